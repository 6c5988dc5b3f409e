#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The HTTP conventions every route follows: problem+json errors, caching,
//! compression, CORS, request ids, operations endpoints.

mod common;

use actix_web::test::TestRequest;
use common::{Kind, TestApp};

both_backends! {
    async fn bad_input_gets_a_problem_never_a_500(app) {
        let cases: &[(&str, u16)] = &[
            ("/v1/articles?unknown=1", 400),
            ("/v1/articles?limit=0", 400),
            ("/v1/articles?limit=101", 400),
            ("/v1/articles?limit=ten", 400),
            ("/v1/articles?limit=1&limit=2", 400),
            ("/v1/articles?page=0", 400),
            ("/v1/articles?page=-3", 400),
            ("/v1/articles?page=1&cursor=abc", 400),
            ("/v1/articles?cursor=not-a-cursor", 400),
            ("/v1/articles?cursor=%00%01", 400),
            ("/v1/articles?sort=author", 400),
            ("/v1/articles?sort=--title", 400),
            ("/v1/articles?lang=de", 400),
            ("/v1/articles?from=2023-02-30", 400),
            ("/v1/articles?to=tomorrow", 400),
            ("/v1/articles?updated_since=2023-01-01", 400),
            ("/v1/articles?section=", 400),
            ("/v1/articles?q=%01", 400),
            ("/v1/articles/calendar?month=0000-00", 400),
            ("/v1/sections?sort=id", 400),
            ("/v1/regions?page=x", 400),
            ("/v1/articles/%FF%FE", 404),
            ("/v1/articles/..%2F..%2Fetc", 404),
            ("/v1/no-such-thing", 404),
            ("/nothing/here", 404),
        ];
        for (uri, status) in cases {
            let r = app.get(uri).await;
            let p = r.problem(*status);
            if *status == 400 {
                assert!(!p["detail"].as_str().unwrap().is_empty(), "{uri}");
            }
        }
        // A long q, a huge page and a cursor with the wrong types stay 4xx.
        let long = "a".repeat(500);
        app.get(&format!("/v1/articles?q={long}")).await.problem(400);
        app.get("/v1/articles?page=99999999999999999999").await.problem(400);
        let wrong_type = belportal::http::params::CursorKey {
            sort: "-published_at".into(),
            key: serde_json::json!(12),
            id: 1,
        }
        .encode();
        app.get(&format!("/v1/articles?cursor={wrong_type}")).await.problem(400);
        // Far-away pages within 10,000 items are empty, not errors.
        let far = app.get("/v1/articles?page=500").await;
        assert_eq!(far.status, 200);
        assert_eq!(far.json()["data"].as_array().unwrap().len(), 0);
    }
}

both_backends! {
    async fn wrong_method_is_405_with_allow(app) {
        for (method, uri, allow) in [
            ("POST", "/v1/regions", "GET, HEAD"),
            ("DELETE", "/v1/regions/brest", "GET, HEAD"),
            ("PUT", "/v1/articles", "GET, HEAD, POST"),
            ("PUT", "/v1/articles/42", "DELETE, GET, HEAD, PATCH"),
        ] {
            let req = TestRequest::default().method(method.parse().unwrap()).uri(uri);
            let r = app.send(req).await;
            r.problem(405);
            assert_eq!(r.header("allow").as_deref(), Some(allow), "{method} {uri}");
        }
    }
}

both_backends! {
    async fn get_has_strong_etag_and_if_none_match_gives_304(app) {
        for uri in ["/v1/articles", "/v1/articles/fm-belarus-pakistan-talks", "/v1/regions", "/v1/sections/news", "/v1/articles/feed.atom", "/openapi.json"] {
            let r = app.get(uri).await;
            assert_eq!(r.status, 200, "{uri}");
            let etag = r.header("etag").expect("etag");
            assert!(etag.starts_with('"') && !etag.starts_with("W/"), "strong: {etag}");
            let again = app.send(TestRequest::get().uri(uri).insert_header(("If-None-Match", etag.clone()))).await;
            assert_eq!(again.status, 304, "{uri}");
            assert!(again.body.is_empty());
            assert_eq!(again.header("etag"), Some(etag.clone()));
            let other = app.send(TestRequest::get().uri(uri).insert_header(("If-None-Match", "\"stale\""))).await;
            assert_eq!(other.status, 200);
        }
        // The validator follows the content: a change gives a new ETag.
        let before = app.get("/v1/articles/fm-belarus-pakistan-talks").await.header("etag");
        app.exec("UPDATE articles SET title = 'Changed' WHERE slug = 'fm-belarus-pakistan-talks'").await;
        let after = app.get("/v1/articles/fm-belarus-pakistan-talks").await.header("etag");
        assert_ne!(before, after);
    }
}

both_backends! {
    async fn head_answers_like_get(app) {
        let get = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
        let head = app
            .send(TestRequest::default().method(actix_web::http::Method::HEAD).uri("/v1/articles/fm-belarus-pakistan-talks"))
            .await;
        assert_eq!(head.status, 200);
        assert_eq!(head.header("etag"), get.header("etag"));
        let missing = app.send(TestRequest::default().method(actix_web::http::Method::HEAD).uri("/v1/articles/nope")).await;
        assert_eq!(missing.status, 404);
    }
}

both_backends! {
    async fn public_gets_are_cacheable_and_vary(app) {
        let r = app.get("/v1/articles?limit=1").await;
        assert_eq!(r.header("cache-control").as_deref(), Some("public, max-age=60"));
        assert_eq!(r.header("vary").as_deref(), Some("Accept, Accept-Language, Accept-Encoding"));
        assert_eq!(r.header("content-language").as_deref(), Some("en"));
        let key = app.key("editor").await;
        let authed = app.get_as("/v1/articles?limit=1", &key).await;
        assert_eq!(authed.status, 200);
        assert_eq!(authed.header("cache-control").as_deref(), Some("private, no-store"));
    }
}

both_backends! {
    async fn responses_are_compressed_when_asked(app) {
        for enc in ["gzip", "br", "zstd"] {
            let r = app.send(TestRequest::get().uri("/v1/articles").insert_header(("Accept-Encoding", enc))).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-encoding").as_deref(), Some(enc));
        }
        let plain = app.get("/v1/articles").await;
        assert!(plain.header("content-encoding").is_none());
    }
}

both_backends! {
    async fn cors_allows_any_origin_to_read_and_only_configured_ones_to_write(app) {
        let r = app.send(TestRequest::get().uri("/v1/regions").insert_header(("Origin", "https://anywhere.example"))).await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("access-control-allow-origin").as_deref(), Some("https://anywhere.example"));
        let preflight = |origin: &'static str, method: &'static str| {
            TestRequest::default()
                .method(actix_web::http::Method::OPTIONS)
                .uri("/v1/articles")
                .insert_header(("Origin", origin))
                .insert_header(("Access-Control-Request-Method", method))
        };
        let ok = app.send(preflight("https://anywhere.example", "GET")).await;
        assert!(ok.status.is_success());
        let editor = app.send(preflight("https://editor.example.org", "POST")).await;
        assert!(editor.status.is_success());
        assert_eq!(editor.header("access-control-allow-origin").as_deref(), Some("https://editor.example.org"));
        let stranger = app.send(preflight("https://evil.example", "POST")).await;
        assert!(stranger.header("access-control-allow-origin").is_none());
        assert!(stranger.status.is_client_error());
    }
}

both_backends! {
    async fn request_id_is_echoed_or_generated(app) {
        let r = app.send(TestRequest::get().uri("/v1/regions").insert_header(("X-Request-Id", "abc-123"))).await;
        assert_eq!(r.header("x-request-id").as_deref(), Some("abc-123"));
        let g = app.get("/v1/no-such").await;
        assert_eq!(g.header("x-request-id").map(|v| v.len()), Some(36));
        let bad = app.send(TestRequest::get().uri("/v1/regions").insert_header(("X-Request-Id", "x".repeat(300)))).await;
        assert_ne!(bad.header("x-request-id"), Some("x".repeat(300)));
    }
}

both_backends! {
    async fn health_readiness_and_metrics_answer(app) {
        let h = app.get("/healthz").await;
        assert_eq!(h.status, 200);
        assert_eq!(h.json()["status"], "ok");
        let r = app.get("/readyz").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.json()["status"], "ready");
        app.get("/v1/articles").await;
        let m = app.get("/metrics").await;
        assert_eq!(m.status, 200);
        let text = m.text();
        assert!(text.contains("belportal_http_requests_total{endpoint=\"/v1/articles\",method=\"GET\",status=\"200\"} 1"), "{text}");
        assert!(text.contains("belportal_http_requests_duration_seconds_bucket"));
    }
}

#[actix_web::test]
async fn readyz_and_reads_are_503_while_the_database_is_unreachable() {
    let config = belportal::config::Config {
        // Nothing listens on port 9 (discard) here; connections are refused at once.
        database_url: "postgres://postgres@127.0.0.1:9/none".into(),
        ..Default::default()
    };
    let state = actix_web::web::Data::new(belportal::AppState::new(config).unwrap());
    let svc =
        actix_web::test::init_service(belportal::build_app(state, belportal::metrics().unwrap()))
            .await;
    for uri in ["/readyz", "/v1/articles", "/v1/regions"] {
        let res =
            actix_web::test::call_service(&svc, TestRequest::get().uri(uri).to_request()).await;
        assert_eq!(res.status(), 503, "{uri}");
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/problem+json"
        );
        assert!(res.headers().contains_key("retry-after"));
    }
    let res =
        actix_web::test::call_service(&svc, TestRequest::get().uri("/healthz").to_request()).await;
    assert_eq!(
        res.status(),
        200,
        "liveness does not depend on the database"
    );
}

#[actix_web::test]
async fn docs_page_and_its_assets_are_served_by_the_binary() {
    let app = TestApp::empty(Kind::Sqlite).await.unwrap();
    let redirect = app.get("/docs").await;
    assert_eq!(redirect.status, 308);
    let page = app.get("/docs/").await;
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(html.contains("swagger-ui"), "{html}");
    assert!(
        !html.contains("cdn") && !html.contains("unpkg"),
        "no CDN assets"
    );
    for asset in [
        "/docs/swagger-ui-bundle.js",
        "/docs/swagger-ui.css",
        "/docs/swagger-initializer.js",
    ] {
        let r = app.get(asset).await;
        assert_eq!(r.status, 200, "{asset}");
    }
    let init = app.get("/docs/swagger-initializer.js").await.text();
    assert!(init.contains("/openapi.json"));
}

#[actix_web::test]
async fn anonymous_gets_are_served_from_the_response_cache_until_a_write_invalidates_it() {
    let mut app = TestApp::new(Kind::Sqlite).await.unwrap();
    // A state with the cache on, over the same database.
    let config = belportal::config::Config {
        response_cache_ms: Some(60_000),
        ..(*app.state.config).clone()
    };
    let cached = actix_web::web::Data::new(belportal::AppState::new(config).unwrap());
    app.state = cached.clone();
    let first = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
    app.exec("UPDATE articles SET title = 'Changed' WHERE slug = 'fm-belarus-pakistan-talks'")
        .await;
    let second = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
    assert_eq!(first.body, second.body, "reused within the TTL");
    assert_eq!(first.header("etag"), second.header("etag"));
    let revalidated = app
        .send(
            TestRequest::get()
                .uri("/v1/articles/fm-belarus-pakistan-talks")
                .insert_header(("If-None-Match", first.header("etag").unwrap())),
        )
        .await;
    assert_eq!(
        revalidated.status, 304,
        "a cached response still answers 304"
    );
    let key = app.key("editor").await;
    let authed = app
        .get_as("/v1/articles/fm-belarus-pakistan-talks", &key)
        .await;
    assert_eq!(
        authed.json()["title"],
        "Changed",
        "authenticated reads bypass the cache"
    );
    let other_lang = app
        .send(
            TestRequest::get()
                .uri("/v1/regions/brest")
                .insert_header(("Accept-Language", "ru")),
        )
        .await;
    assert_eq!(other_lang.json()["name"], "Брестская область");
    let en = app.get("/v1/regions/brest").await;
    assert_eq!(
        en.json()["name"],
        "Brest Region",
        "Accept-Language is part of the key"
    );
    cached.caches.invalidate_all();
    let third = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
    assert_eq!(third.json()["title"], "Changed");
    let metrics = app.get("/metrics").await.text();
    assert!(
        metrics.contains("belportal_response_cache_total{result=\"hit\"} 2"),
        "{metrics}"
    );
}
