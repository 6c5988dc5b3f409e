#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The edge of the API (issue 13): absolute URLs only from BELPORTAL_PUBLIC_URL,
//! client addresses only through trusted proxies, rate limits with 429 and the
//! RateLimit headers, any `Authorization` header a valid key or 401, and
//! `Cache-Control: private, no-store` on every authenticated response.

mod common;

use std::net::SocketAddr;

use actix_web::test::TestRequest;
use belportal::config::Config;
use common::{Kind, Resp, TestApp};
use serde_json::json;

/// A test on both backends with `tweak`ed settings.
macro_rules! both_with {
    ($tweak:expr, async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: TestApp) $body

            #[actix_web::test]
            async fn on_sqlite() {
                run(TestApp::new_with(Kind::Sqlite, $tweak).await.expect("sqlite")).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                match TestApp::new_with(Kind::Postgres, $tweak).await {
                    Some(app) => run(app).await,
                    None => eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run"),
                }
            }
        }
    };
}

fn peer(ip: &str) -> SocketAddr {
    SocketAddr::new(ip.parse().unwrap(), 40000)
}

fn from(ip: &str, uri: &str) -> TestRequest {
    TestRequest::get().uri(uri).peer_addr(peer(ip))
}

/// The response cache on, and a public URL that no request header names.
fn public_and_cached(c: &mut Config) {
    c.public_url = "https://portal.example".into();
    c.response_cache_ms = Some(60_000);
}

/// One request per second, two at once; the 10/8 proxies are trusted.
fn tight_limit(c: &mut Config) {
    c.rate_limit = 1;
    c.rate_limit_burst = 2;
    c.trusted_proxies = vec![belportal::net::Cidr::parse("10.0.0.0/8").unwrap()];
}

fn poisoned(uri: &str) -> TestRequest {
    TestRequest::get()
        .uri(uri)
        .insert_header(("Host", "attacker.test"))
        .insert_header(("X-Forwarded-Host", "evil.example"))
        .insert_header(("X-Forwarded-Proto", "https"))
        .insert_header(("Forwarded", "for=192.0.2.1;host=evil.example;proto=https"))
}

fn assert_clean(r: &Resp, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.text());
    let text = r.text().replace("\r\n ", ""); // iCalendar folds long lines
    assert!(
        !text.contains("evil.example") && !text.contains("attacker.test"),
        "{what}: {text}"
    );
    assert!(
        text.contains("https://portal.example/v1/"),
        "{what} links to the public URL: {text}"
    );
}

both_with!(public_and_cached, async fn forwarded_host_and_proto_never_change_absolute_urls(app) {
    let ld = |req: TestRequest| req.insert_header(("Accept", "application/ld+json"));
    let article = "/v1/articles/fm-belarus-pakistan-talks";
    for uri in ["/v1/articles/feed.atom", "/v1/articles/feed.rss", "/v1/events.ics", article] {
        let accept_ld = uri == article;
        let first = poisoned(uri);
        let first = app.send(if accept_ld { ld(first) } else { first }).await;
        assert_clean(&first, &format!("{uri} with forwarded headers"));
        // The next plain request (served from the response cache) is clean too.
        let plain = TestRequest::get().uri(uri);
        let plain = app.send(if accept_ld { ld(plain) } else { plain }).await;
        assert_clean(&plain, &format!("{uri} after a poisoning attempt"));
        assert_eq!(first.body, plain.body, "{uri}: one answer for everyone");
    }
});

both_with!(tight_limit, async fn over_the_limit_is_429_with_retry_after_and_ratelimit_headers(app) {
    let a = "203.0.113.5";
    let first = app.send(from(a, "/v1/regions")).await;
    assert_eq!(first.status, 200);
    assert_eq!(first.header("ratelimit-policy").as_deref(), Some("\"default\";q=2;w=2"));
    assert_eq!(first.header("ratelimit").as_deref(), Some("\"default\";r=1;t=1"));
    let second = app.send(from(a, "/v1/regions/brest")).await;
    assert_eq!(second.status, 200);
    assert_eq!(second.header("ratelimit").as_deref(), Some("\"default\";r=0;t=2"));
    let refused = app.send(from(a, "/v1/regions")).await;
    let p = refused.problem(429);
    assert!(p["detail"].as_str().unwrap().contains("rate limit"));
    let retry: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!(retry >= 1, "whole seconds, at least one");
    assert_eq!(refused.header("ratelimit-policy").as_deref(), Some("\"default\";q=2;w=2"));
    assert!(refused.header("ratelimit").unwrap().starts_with("\"default\";r=0;t="));
    // Another client has its own bucket; the refusal is counted in /metrics.
    let metrics = app.send(from("198.51.100.9", "/metrics")).await.text();
    assert!(
        metrics.contains("belportal_rate_limited_total{by=\"address\"} 1"),
        "{metrics}"
    );
    // The bucket refills at the rate.
    actix_web::rt::time::sleep(std::time::Duration::from_millis(1100)).await;
    assert_eq!(app.send(from(a, "/v1/regions")).await.status, 200);
});

both_with!(tight_limit, async fn trusted_proxies_name_the_client_and_others_cannot(app) {
    let via_proxy = |client: &str| {
        from("10.0.0.1", "/v1/regions").insert_header(("X-Forwarded-For", format!("1.2.3.4, {client}")))
    };
    for _ in 0..2 {
        assert_eq!(app.send(via_proxy("203.0.113.5")).await.status, 200);
    }
    assert_eq!(app.send(via_proxy("203.0.113.5")).await.status, 429, "one client behind the proxy");
    assert_eq!(app.send(via_proxy("203.0.113.6")).await.status, 200, "another client, another bucket");
    let forwarded = from("10.0.0.1", "/v1/regions")
        .insert_header(("Forwarded", "for=203.0.113.7;proto=https, for=\"10.0.0.2\""));
    let r = app.send(forwarded).await;
    assert_eq!(r.header("ratelimit").as_deref(), Some("\"default\";r=1;t=1"), "Forwarded, through two trusted hops");
    // An untrusted peer's forwarding headers are ignored: spoofing a new
    // address each time does not escape its limit.
    let spoofed = |n: u8| {
        from("198.51.100.1", "/v1/regions").insert_header(("X-Forwarded-For", format!("203.0.113.{n}")))
    };
    assert_eq!(app.send(spoofed(10)).await.status, 200);
    assert_eq!(app.send(spoofed(11)).await.status, 200);
    assert_eq!(app.send(spoofed(12)).await.status, 429);
});

fn costly(c: &mut Config) {
    c.rate_limit = 1;
    c.rate_limit_burst = 5;
}

both_with!(costly, async fn expensive_requests_take_more_tokens(app) {
    let a = "203.0.113.20";
    let search = app.send(from(a, "/v1/search?q=minsk")).await;
    assert_eq!(search.status, 200);
    assert_eq!(search.header("ratelimit").as_deref(), Some("\"default\";r=0;t=5"), "search costs 5");
    assert_eq!(app.send(from(a, "/v1/regions")).await.status, 429);
    let b = "203.0.113.21";
    let q = app.send(from(b, "/v1/articles?q=minsk")).await;
    assert_eq!(q.header("ratelimit").as_deref(), Some("\"default\";r=0;t=5"), "list q costs 5");
    let c = "203.0.113.22";
    let plain = app.send(from(c, "/v1/articles")).await;
    assert_eq!(plain.header("ratelimit").as_deref(), Some("\"default\";r=4;t=1"), "a plain list costs 1");
});

fn one_at_a_time(c: &mut Config) {
    c.rate_limit = 1;
    c.rate_limit_burst = 1;
}

both_with!(one_at_a_time, async fn valid_keys_are_limited_per_key_not_per_address(app) {
    let key = app.key("editor").await;
    let other = app.key("editor").await;
    let a = "203.0.113.30";
    let with = |k: &str| from(a, "/v1/regions").insert_header(("Authorization", format!("Bearer {k}")));
    assert_eq!(app.send(from(a, "/v1/regions")).await.status, 200);
    assert_eq!(app.send(from(a, "/v1/regions")).await.status, 429, "the address is spent");
    assert_eq!(app.send(with(&key)).await.status, 200, "the key has its own bucket");
    let refused = app.send(with(&key)).await;
    refused.problem(429);
    assert_eq!(refused.header("cache-control").as_deref(), Some("private, no-store"));
    assert_eq!(app.send(with(&other)).await.status, 200, "each key its own");
    // Guessing keys is charged to the address.
    let guess = app
        .send(from("203.0.113.31", "/v1/regions").insert_header(("Authorization", "Bearer bp_00000000_guess")))
        .await;
    guess.problem(401);
    let again = app
        .send(from("203.0.113.31", "/v1/regions").insert_header(("Authorization", "Bearer bp_00000001_guess")))
        .await;
    again.problem(429);
    let metrics = app.send(from("198.51.100.9", "/metrics")).await.text();
    assert!(metrics.contains("belportal_rate_limited_total{by=\"key\"} 1"), "{metrics}");
    assert!(metrics.contains("belportal_rate_limited_total{by=\"address\"} 2"), "{metrics}");
});

both_backends! {
    async fn limiting_off_sends_no_ratelimit_headers(app) {
        // The harness turns the limiter off (BELPORTAL_RATE_LIMIT=0).
        for _ in 0..20 {
            let r = app.get("/v1/regions").await;
            assert_eq!(r.status, 200);
            assert!(r.header("ratelimit").is_none() && r.header("ratelimit-policy").is_none());
        }
    }
}

fn assert_unauthorized(r: &Resp, what: &str) {
    assert_eq!(r.status, 401, "{what}: {}", r.text());
    r.problem(401);
    assert!(
        r.header("www-authenticate").unwrap().starts_with("Bearer"),
        "{what}"
    );
    assert_eq!(
        r.header("cache-control").as_deref(),
        Some("private, no-store"),
        "{what}"
    );
}

fn cache_lookups(metrics: &str) -> u64 {
    metrics
        .lines()
        .filter(|l| l.starts_with("belportal_response_cache_total"))
        .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
        .sum()
}

both_with!(public_and_cached, async fn any_bad_authorization_is_401_before_the_cache_or_a_handler(app) {
    let revoked = app.key("editor").await;
    let id = app
        .with_conn({
            let k = revoked.clone();
            move |c| belportal::keys::authenticate(c, &k).unwrap().key_id
        })
        .await;
    app.with_conn(move |c| belportal::keys::revoke_key(c, id).unwrap()).await;
    // Warm the cache: the anonymous answer is there for the taking.
    assert_eq!(app.get("/v1/articles").await.status, 200);
    let before = cache_lookups(&app.get("/metrics").await.text());
    let bad = [
        "x".to_string(),
        "Bearer".into(),
        "Bearer ".into(),
        "Basic YWxhZGRpbjpvcGVuc2VzYW1l".into(),
        "Bearer garbage".into(),
        "Bearer bp_0123abcd_notarealkeyatall".into(),
        format!("Bearer {revoked}"),
    ];
    let routes = ["/v1/articles", "/v1/articles/feed.atom", "/v1/regions/brest", "/v1/search?q=minsk", "/healthz", "/v1/nope"];
    for header in &bad {
        for uri in routes {
            let r = app.send(TestRequest::get().uri(uri).insert_header(("Authorization", header.as_str()))).await;
            assert_unauthorized(&r, &format!("{uri} with `{header}`"));
        }
        let write = app
            .send(TestRequest::post().uri("/v1/articles").insert_header(("Authorization", header.as_str())).set_json(json!({})))
            .await;
        assert_unauthorized(&write, &format!("POST with `{header}`"));
    }
    let not_ascii = TestRequest::get()
        .uri("/v1/articles")
        .insert_header(("Authorization", actix_web::http::header::HeaderValue::from_bytes(b"Bearer \xff\xfe").unwrap()));
    assert_unauthorized(&app.send(not_ascii).await, "a non-ASCII header");
    let after = cache_lookups(&app.get("/metrics").await.text());
    assert_eq!(after, before, "no bad-key request reached the response cache (nor /metrics)");
    // The same requests without the header are still served (from the cache).
    assert_eq!(app.get("/v1/articles").await.status, 200);
});

both_backends! {
    async fn authenticated_responses_and_secrets_are_no_store(app) {
        let editor = app.key("editor").await;
        let admin = app.key("admin").await;
        let anonymous = app.get("/v1/articles").await;
        assert_eq!(anonymous.header("cache-control").as_deref(), Some("public, max-age=60"));
        let cases = [
            (app.get_as("/v1/articles", &editor).await, 200),
            (app.get_as("/v1/articles/nope", &editor).await, 404),
            (app.get_as("/v1/articles?limit=1000", &editor).await, 400),
            (app.get_as("/v1/admin/api-keys", &editor).await, 403),
            (app.get_as("/v1/admin/api-keys", &admin).await, 200),
            (app.post("/v1/articles", &editor, json!({})).await, 422),
            (app.get_as("/healthz", &editor).await, 200),
        ];
        for (r, status) in &cases {
            assert_eq!(r.status.as_u16(), *status, "{}", r.text());
            assert_eq!(r.header("cache-control").as_deref(), Some("private, no-store"), "{status}: {}", r.text());
        }
        let created = app.post("/v1/admin/api-keys", &admin, json!({"name": "mirror", "role": "editor"})).await;
        assert_eq!(created.status, 201, "{}", created.text());
        assert!(created.json()["key"].as_str().unwrap().starts_with("bp_"));
        assert_eq!(created.header("cache-control").as_deref(), Some("private, no-store"), "the new key's secret");
        let hook = app
            .post("/v1/admin/webhooks", &admin, json!({"url": "https://example.org/hook", "secret": "0123456789abcdef0123"}))
            .await;
        assert_eq!(hook.status, 201, "{}", hook.text());
        assert_eq!(hook.header("cache-control").as_deref(), Some("private, no-store"), "the webhook's secret");
    }
}

#[test]
fn the_spec_documents_429_with_retry_after_on_every_operation() {
    let spec = serde_json::to_value(belportal::openapi_spec()).unwrap();
    let too_many = &spec["components"]["responses"]["TooManyRequests"];
    assert!(too_many["headers"]["Retry-After"].is_object());
    assert!(too_many["headers"]["RateLimit"].is_object());
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item
            .as_object()
            .unwrap()
            .iter()
            .filter(|(m, _)| ["get", "post", "patch", "put", "delete"].contains(&m.as_str()))
        {
            assert_eq!(
                op["responses"]["429"]["$ref"], "#/components/responses/TooManyRequests",
                "{method} {path}"
            );
        }
    }
}
