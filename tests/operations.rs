#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Operations (issue 16): one access log line per request and `/metrics` on a
//! separate listener (`BELPORTAL_METRICS_ADDR`).

mod common;

use std::sync::{Arc, Mutex};

use actix_web::test::{self, TestRequest};

/// Log output captured in memory (one JSON object per line).
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Captured {
    fn access_lines(&self) -> Vec<serde_json::Value> {
        let text = String::from_utf8(self.0.lock().unwrap().clone()).unwrap();
        text.lines()
            .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
            .filter(|v| v["target"] == "access")
            .collect()
    }
}

/// Runs `f` with a JSON subscriber (as `BELPORTAL_LOG_FORMAT=json` sets up) on this thread.
fn json_logs() -> (Captured, tracing::subscriber::DefaultGuard) {
    let captured = Captured::default();
    let writer = captured.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .flatten_event(true)
        .with_current_span(false)
        .with_span_list(false)
        .with_writer(move || writer.clone())
        .finish();
    let guard = tracing::subscriber::set_default(subscriber);
    (captured, guard)
}

both_backends! {
    async fn each_request_writes_one_access_line_with_route_status_bytes_id_and_client(app) {
        let (logs, _guard) = json_logs();
        let slug = app.get("/v1/articles?limit=1").await.json()["data"][0]["slug"]
            .as_str()
            .unwrap()
            .to_string();
        let res = app
            .send(
                TestRequest::get()
                    .uri(&format!("/v1/articles/{slug}"))
                    .insert_header(("X-Request-Id", "trace-me-42"))
                    .peer_addr("203.0.113.7:5000".parse().unwrap()),
            )
            .await;
        assert_eq!(res.status, 200);
        let missing = app.get("/v1/no-such-thing").await;
        assert_eq!(missing.status, 404);

        let lines = logs.access_lines();
        assert_eq!(lines.len(), 3, "one line per request: {lines:?}");
        let item = &lines[1];
        assert_eq!(item["message"], "request");
        assert_eq!(item["method"], "GET");
        assert_eq!(item["route"], "/v1/articles/{id}");
        assert_eq!(item["path"], format!("/v1/articles/{slug}"));
        assert_eq!(item["status"], 200);
        assert_eq!(item["bytes"], res.body.len() as u64);
        assert_eq!(item["request_id"], "trace-me-42");
        assert_eq!(item["client"], "203.0.113.7");
        assert!(item["latency_ms"].as_f64().unwrap() >= 0.0);
        assert_eq!(lines[2]["status"], 404);
        assert_eq!(lines[2]["route"], "unmatched");
        // The generated id the response carries is the one logged.
        assert_eq!(
            lines[2]["request_id"].as_str(),
            missing.header("x-request-id").as_deref()
        );
    }
}

both_backends! {
    async fn metrics_move_to_their_own_listener_when_an_address_is_set(app) {
        let metrics = belportal::metrics_with(false).unwrap();
        let svc = test::init_service(belportal::build_app(app.state.clone(), metrics.clone())).await;
        let (listener, bound) =
            belportal::ops::metrics_server(metrics.registry.clone(), "127.0.0.1:0".parse().unwrap())
                .unwrap();
        let handle = listener.handle();
        actix_web::rt::spawn(listener);

        // The API port no longer answers /metrics, but still counts requests.
        let res = test::call_service(&svc, TestRequest::get().uri("/healthz").to_request()).await;
        assert_eq!(res.status(), 200);
        // Counted once its body has been sent.
        test::read_body(res).await;
        let res = test::call_service(&svc, TestRequest::get().uri("/metrics").to_request()).await;
        assert_eq!(res.status(), 404);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "application/problem+json"
        );

        let client = awc::Client::default();
        let mut got = client
            .get(format!("http://{bound}/metrics"))
            .send()
            .await
            .unwrap();
        assert_eq!(got.status(), 200);
        let text = String::from_utf8(got.body().await.unwrap().to_vec()).unwrap();
        assert!(
            text.contains("belportal_http_requests_total{endpoint=\"/healthz\",method=\"GET\",status=\"200\"} 1"),
            "{text}"
        );
        let other = client.get(format!("http://{bound}/v1/articles")).send().await.unwrap();
        assert_eq!(other.status(), 404, "the metrics listener serves nothing else");
        handle.stop(true).await;
    }
}

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn metrics_are_never_served_from_the_response_cache(app) {
        let hits = |text: &str| -> u64 {
            text.lines()
                .find_map(|l| l.strip_prefix("belportal_response_cache_total{result=\"hit\"}")?.trim().parse().ok())
                .unwrap_or(0)
        };
        assert_eq!(app.get("/v1/regions").await.status, 200);
        let first = app.get("/metrics").await;
        assert_eq!(first.header("cache-control").as_deref(), Some("private, no-store"));
        let first = first.text();
        assert_eq!(app.get("/v1/regions").await.status, 200);
        assert_eq!(app.get("/v1/regions").await.status, 200);
        // The same URL again: a fresh exposition, with both cache hits counted.
        let second = app.get("/metrics").await.text();
        assert_eq!(hits(&second), hits(&first) + 2, "{second}");
        for probe in ["/healthz", "/readyz", "/openapi.json", "/healthz", "/readyz", "/openapi.json"] {
            assert_eq!(app.get(probe).await.status, 200, "{probe}");
        }
        assert_eq!(hits(&app.get("/metrics").await.text()), hits(&second), "probes and docs are not cached");
    }
);
