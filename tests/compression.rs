//! Content codings of GET bodies: made once per cached entry and coding, and
//! negotiated by the q-values of `Accept-Encoding`.
mod common;

use std::io::Read;

use actix_web::test::TestRequest;
use common::{Resp, TestApp};

const BROWSER: &str = "gzip, deflate, br, zstd";

async fn get_enc(app: &TestApp, uri: &str, accept_encoding: &str) -> Resp {
    app.send(
        TestRequest::get()
            .uri(uri)
            .insert_header(("Accept-Encoding", accept_encoding)),
    )
    .await
}

fn decoded(r: &Resp) -> Vec<u8> {
    let body = &r.body[..];
    let mut out = Vec::new();
    match r.header("content-encoding").as_deref() {
        None => out.extend_from_slice(body),
        Some("gzip") => {
            flate2::read::GzDecoder::new(body)
                .read_to_end(&mut out)
                .expect("gzip");
        }
        Some("deflate") => {
            flate2::read::ZlibDecoder::new(body)
                .read_to_end(&mut out)
                .expect("deflate");
        }
        Some("br") => {
            brotli::Decompressor::new(body, 4096)
                .read_to_end(&mut out)
                .expect("br");
        }
        Some("zstd") => out = zstd::decode_all(body).expect("zstd"),
        Some(other) => panic!("unexpected coding {other}"),
    }
    out
}

/// `belportal_response_cache_total{result="hit"}` (read from the counter: `/metrics`
/// itself is an anonymous GET, cached like any other).
fn cache_hits(app: &TestApp) -> u64 {
    app.state
        .caches
        .response_results
        .with_label_values(&["hit"])
        .get()
}

/// `belportal_response_compressions_total{coding}`.
fn compressions(app: &TestApp, coding: &str) -> u64 {
    app.state
        .caches
        .compressions
        .with_label_values(&[coding])
        .get()
}

fn assert_varies_on_encoding(r: &Resp) {
    let vary = r.header("vary").unwrap_or_default().to_ascii_lowercase();
    assert!(vary.contains("accept-encoding"), "vary: {vary}");
    assert!(vary.contains("accept-language"), "vary: {vary}");
}

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn cached_list_hits_in_every_coding_decode_to_the_identity_body(app) {
        let plain = app.get("/v1/articles").await;
        assert_eq!(plain.status, 200);
        assert_eq!(plain.header("content-encoding"), None);
        let etag = plain.header("etag").expect("etag");
        for (asked, coding) in [
            (BROWSER, "br"),
            ("gzip", "gzip"),
            ("zstd", "zstd"),
            ("deflate", "deflate"),
        ] {
            let before = cache_hits(&app);
            for round in 0..2 {
                let r = get_enc(&app, "/v1/articles", asked).await;
                assert_eq!(r.status, 200);
                assert_eq!(r.header("content-encoding").as_deref(), Some(coding));
                assert_eq!(decoded(&r), plain.body, "{coding}, round {round}");
                assert!(r.body.len() < plain.body.len(), "{coding} compresses");
                assert_varies_on_encoding(&r);
                assert_eq!(r.header("etag").as_deref(), Some(etag.as_str()));
            }
            assert_eq!(
                cache_hits(&app),
                before + 2,
                "both {coding} requests were cache hits"
            );
            assert_eq!(
                compressions(&app, coding),
                1,
                "the cached entry was compressed to {coding} once"
            );
        }
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn identity_and_refused_codings_are_honoured_on_cache_hits(app) {
        let plain = app.get("/v1/articles").await;
        let identity = get_enc(&app, "/v1/articles", "identity").await;
        assert_eq!(identity.header("content-encoding"), None);
        assert_eq!(identity.body, plain.body);
        assert_varies_on_encoding(&identity);
        let no_br = get_enc(&app, "/v1/articles", "br;q=0, gzip").await;
        assert_eq!(no_br.header("content-encoding").as_deref(), Some("gzip"));
        assert_eq!(decoded(&no_br), plain.body);
        let weighted = get_enc(&app, "/v1/articles", "gzip;q=0.5, zstd;q=0.8, br;q=0.1").await;
        assert_eq!(weighted.header("content-encoding").as_deref(), Some("zstd"));
        assert_eq!(decoded(&weighted), plain.body);
        let nothing_known = get_enc(&app, "/v1/articles", "br;q=0, compress").await;
        assert_eq!(nothing_known.status, 200);
        assert_eq!(nothing_known.header("content-encoding"), None);
        assert_eq!(nothing_known.body, plain.body);
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn if_none_match_gives_304_with_an_encoding(app) {
        let first = get_enc(&app, "/v1/articles", BROWSER).await;
        let etag = first.header("etag").expect("etag");
        for _ in 0..2 {
            let r = app
                .send(
                    TestRequest::get()
                        .uri("/v1/articles")
                        .insert_header(("Accept-Encoding", BROWSER))
                        .insert_header(("If-None-Match", etag.as_str())),
                )
                .await;
            assert_eq!(r.status, 304);
            assert!(r.body.is_empty());
            assert_eq!(r.header("etag").as_deref(), Some(etag.as_str()));
        }
    }
);

both_backends!(
    async fn uncached_gets_are_compressed_once_and_decode_to_the_identity_body(app) {
        let plain = app.get("/v1/articles").await;
        let item = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
        for uri in ["/v1/articles", "/v1/articles/fm-belarus-pakistan-talks"] {
            let r = get_enc(&app, uri, BROWSER).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-encoding").as_deref(), Some("br"));
            assert_varies_on_encoding(&r);
            let expected = if uri == "/v1/articles" { &plain } else { &item };
            assert_eq!(decoded(&r), expected.body);
            assert_eq!(r.header("etag"), expected.header("etag"));
        }
        assert_eq!(compressions(&app, "br"), 2, "once per uncached response");
    }
);
