#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Webhooks: registration, signed deliveries after commit, retries with backoff,
//! slow receivers that never slow a write, and deliveries that survive a restart.
//! Receivers are tiny HTTP servers on 127.0.0.1.

mod common;

use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use belportal::webhooks::worker::WorkerSettings;
use common::TestApp;
use hmac::{Hmac, KeyInit, Mac};
use serde_json::{json, Value};

const SECRET: &str = "correct horse battery staple";

/// A request a receiver got: lower-cased headers and the body.
#[derive(Clone, Debug)]
struct Got {
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Got {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("JSON body")
    }
}

struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Got>>>,
}

impl Receiver {
    fn got(&self) -> Vec<Got> {
        self.got.lock().unwrap().clone()
    }
}

/// Answers the n-th request with `statuses[n]` (the last one from then on),
/// after `delay`.
fn receiver(statuses: Vec<u16>, delay: Duration) -> Receiver {
    receiver_with(statuses, delay, String::new())
}

/// `receiver` that adds `extra` (whole header lines) to every answer.
fn receiver_with(statuses: Vec<u16>, delay: Duration, extra: String) -> Receiver {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let log = got.clone();
    std::thread::spawn(move || {
        for (n, stream) in listener.incoming().enumerate() {
            let Ok(mut stream) = stream else { continue };
            let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let head_end = loop {
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    break Some(i);
                }
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break None,
                    Ok(k) => buf.extend_from_slice(&chunk[..k]),
                }
            };
            let Some(head_end) = head_end else { continue };
            let head = String::from_utf8_lossy(&buf[..head_end]).to_string();
            let headers: Vec<(String, String)> = head
                .lines()
                .skip(1)
                .filter_map(|l| l.split_once(':'))
                .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                .collect();
            let len: usize = headers
                .iter()
                .find(|(k, _)| k == "content-length")
                .and_then(|(_, v)| v.parse().ok())
                .unwrap_or(0);
            let mut body = buf[head_end + 4..].to_vec();
            while body.len() < len {
                match stream.read(&mut chunk) {
                    Ok(0) | Err(_) => break,
                    Ok(k) => body.extend_from_slice(&chunk[..k]),
                }
            }
            log.lock().unwrap().push(Got { headers, body });
            std::thread::sleep(delay);
            let status = statuses.get(n).or(statuses.last()).copied().unwrap_or(200);
            let _ = stream.write_all(
                format!(
                    "HTTP/1.1 {status} X\r\n{extra}Content-Length: 0\r\nConnection: close\r\n\r\n"
                )
                .as_bytes(),
            );
        }
    });
    Receiver { url, got }
}

fn fast() -> WorkerSettings {
    WorkerSettings {
        max_attempts: 5,
        timeout: Duration::from_millis(800),
        first_backoff: Duration::from_millis(200),
        max_backoff: Duration::from_secs(2),
        poll: Duration::from_millis(50),
        batch: 16,
        retention: None,
        allow_private: true,
    }
}

/// The receivers of these tests listen on 127.0.0.1.
fn allow_private(c: &mut belportal::config::Config) {
    c.webhook_allow_private = true;
}

async fn wait_until(what: &str, mut ok: impl FnMut() -> bool) {
    let start = Instant::now();
    while !ok() {
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "timed out: {what}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn register(app: &TestApp, admin: &str, url: &str, events: Value) -> i64 {
    let res = app
        .post(
            "/v1/admin/webhooks",
            admin,
            json!({"url": url, "secret": SECRET, "events": events}),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()["id"].as_i64().unwrap()
}

async fn deliveries(app: &TestApp, admin: &str, hook: i64) -> Vec<Value> {
    let res = app
        .get_as(&format!("/v1/admin/webhooks/{hook}/deliveries"), admin)
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    res.json()["data"].as_array().unwrap().clone()
}

fn article(slug: &str, status: &str) -> Value {
    json!({"slug": slug, "section": "culture", "title": "Kupalle by the river",
           "publication_status": status})
}

fn hmac_hex(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(body);
    let out = mac.finalize().into_bytes();
    out.iter().map(|b| format!("{b:02x}")).collect()
}

both_backends!(
    config = allow_private,
    async fn deliveries_are_signed_and_follow_publish_update_delete(app) {
        let admin = app.key("admin").await;
        let rx = receiver(vec![200], Duration::ZERO);
        let hook = register(&app, &admin, &rx.url, json!(["published", "updated", "deleted"])).await;
        let worker = app.start_webhooks(fast());

        // A draft is nobody's business; publishing it is.
        let res = app.post("/v1/articles", &admin, article("kupalle", "draft")).await;
        assert_eq!(res.status, 201);
        let id = res.json()["id"].as_i64().unwrap();
        let path = format!("/v1/articles/{id}");
        app.patch(&path, &admin, json!({"publication_status": "published"})).await;
        app.patch(&path, &admin, json!({"title": "Kupalle night"})).await;
        assert_eq!(app.delete(&path, &admin).await.status, 204);
        wait_until("three deliveries", || rx.got().len() >= 3).await;
        worker.stop().await;

        let got = rx.got();
        let events: Vec<Value> = got.iter().map(|g| g.json()["event"].clone()).collect();
        assert_eq!(events, [json!("published"), json!("updated"), json!("deleted")]);
        for g in &got {
            let expected = format!("sha256={}", hmac_hex(SECRET, &g.body));
            assert_eq!(g.header("x-belportal-signature"), Some(expected.as_str()));
            // V2 signs the timestamp with the body (replay protection).
            let t = g.header("x-belportal-timestamp").unwrap();
            let age = chrono::Utc::now().timestamp() - t.parse::<i64>().unwrap();
            assert!((0..60).contains(&age), "timestamp {t}");
            let signed = [t.as_bytes(), b".", &g.body].concat();
            let v2 = format!("t={t},v1={}", hmac_hex(SECRET, &signed));
            assert_eq!(g.header("x-belportal-signature-v2"), Some(v2.as_str()));
            assert_eq!(g.header("content-type"), Some("application/json"));
            let b = g.json();
            assert_eq!(b["type"], "article");
            assert_eq!(b["id"], id);
            assert_eq!(b["slug"], "kupalle");
            assert!(b["seq"].as_i64().unwrap() > 0 && b["at"].is_string());
        }
        let log = deliveries(&app, &admin, hook).await;
        assert_eq!(log.len(), 3);
        for d in &log {
            assert_eq!(d["state"], "delivered", "{d}");
            assert_eq!(d["status_code"], 200);
            assert_eq!(d["attempts"], 1);
            assert!(d["delivered_at"].is_string());
        }
        // The log pages in the database: newest first, by cursor or page.
        let ids: Vec<i64> = log.iter().map(|d| d["id"].as_i64().unwrap()).collect();
        assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
        let first = app
            .get_as(&format!("/v1/admin/webhooks/{hook}/deliveries?limit=2"), &admin)
            .await
            .json();
        assert_eq!(first["meta"]["total"], 3);
        let page: Vec<i64> = first["data"].as_array().unwrap().iter().map(|d| d["id"].as_i64().unwrap()).collect();
        assert_eq!(page, ids[..2]);
        let next = first["links"]["next"].as_str().unwrap().to_string();
        let second = app.get_as(&next, &admin).await.json();
        assert_eq!(second["data"][0]["id"], ids[2]);
        assert!(second["links"]["next"].is_null());
        let by_page = app
            .get_as(&format!("/v1/admin/webhooks/{hook}/deliveries?page=3&limit=1"), &admin)
            .await
            .json();
        assert_eq!(by_page["data"][0]["id"], ids[2], "{by_page}");
    }
);

both_backends!(
    config = allow_private,
    async fn a_failed_delivery_is_retried_with_backoff_until_it_succeeds(app) {
        let admin = app.key("admin").await;
        let rx = receiver(vec![500, 503, 200], Duration::ZERO);
        let hook = register(&app, &admin, &rx.url, json!(["published"])).await;
        let worker = app.start_webhooks(fast());
        let res = app.post("/v1/articles", &admin, article("retry-me", "published")).await;
        assert_eq!(res.status, 201);
        wait_until("three attempts", || rx.got().len() >= 3).await;
        // The log catches up once the last outcome is recorded.
        let start = Instant::now();
        let log = loop {
            let log = deliveries(&app, &admin, hook).await;
            if log[0]["state"] == "delivered" || start.elapsed() > Duration::from_secs(10) {
                break log;
            }
            actix_web::rt::time::sleep(Duration::from_millis(50)).await;
        };
        worker.stop().await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["state"], "delivered");
        assert_eq!(log[0]["attempts"], 3);
        assert_eq!(log[0]["status_code"], 200);
        let got = rx.got();
        assert_eq!(got[0].body, got[2].body, "a retry sends the same body");
        assert_eq!(
            got[0].header("x-belportal-delivery"),
            got[2].header("x-belportal-delivery")
        );
    }
);

both_backends!(
    config = allow_private,
    async fn a_slow_receiver_never_delays_the_write(app) {
        let admin = app.key("admin").await;
        let rx = receiver(vec![200], Duration::from_secs(3));
        let hook = register(&app, &admin, &rx.url, json!(["published"])).await;
        let worker = app.start_webhooks(fast());
        let res = app.post("/v1/articles", &admin, article("slow-one", "published")).await;
        assert_eq!(res.status, 201);
        wait_until("the receiver is busy", || !rx.got().is_empty()).await;
        // The worker is waiting on the receiver now; writes go on regardless.
        let start = Instant::now();
        let res = app.post("/v1/articles", &admin, article("slow-two", "published")).await;
        assert_eq!(res.status, 201);
        assert!(
            start.elapsed() < Duration::from_millis(700),
            "write took {:?}",
            start.elapsed()
        );
        let start = Instant::now();
        let log = loop {
            let log = deliveries(&app, &admin, hook).await;
            let timed_out = log
                .iter()
                .any(|d| d["last_error"].as_str().is_some_and(|e| e.contains("timed out")));
            if timed_out || start.elapsed() > Duration::from_secs(10) {
                break log;
            }
            actix_web::rt::time::sleep(Duration::from_millis(100)).await;
        };
        worker.stop().await;
        let first = log
            .iter()
            .find(|d| d["last_error"].as_str().is_some_and(|e| e.contains("timed out")))
            .unwrap_or_else(|| panic!("a timed-out attempt is logged: {log:?}"));
        assert_eq!(first["state"], "pending", "{first}");
        assert!(first["next_attempt_at"].is_string());
    }
);

both_backends!(
    config = allow_private,
    async fn pending_deliveries_are_sent_after_a_restart(app) {
        let admin = app.key("admin").await;
        let rx = receiver(vec![200], Duration::ZERO);
        let hook = register(&app, &admin, &rx.url, json!(["published"])).await;
        let worker = app.start_webhooks(fast());
        worker.stop().await;
        let res = app.post("/v1/articles", &admin, article("while-down", "published")).await;
        assert_eq!(res.status, 201);
        let log = deliveries(&app, &admin, hook).await;
        assert_eq!(log.len(), 1);
        assert_eq!(log[0]["state"], "pending");
        assert_eq!(log[0]["attempts"], 0);
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        assert!(rx.got().is_empty(), "nothing is sent while no worker runs");

        let worker = app.start_webhooks(fast());
        wait_until("the delivery after the restart", || rx.got().len() == 1).await;
        worker.stop().await;
        assert_eq!(rx.got()[0].json()["slug"], "while-down");
    }
);

both_backends!(
    config = allow_private,
    async fn webhooks_are_admin_only_and_validated(app) {
        let editor = app.key("editor").await;
        let admin = app.key("admin").await;
        let body = json!({"url": "https://example.org/hook", "secret": SECRET});
        app.post("/v1/admin/webhooks", &editor, body.clone()).await.problem(403);
        let bad = app
            .post(
                "/v1/admin/webhooks",
                &admin,
                json!({"url": "ftp://example.org/x", "secret": "short", "events": ["created"]}),
            )
            .await
            .problem(422);
        let fields: Vec<&str> = bad["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["url", "secret", "events"]);
        let res = app.post("/v1/admin/webhooks", &admin, body).await;
        assert_eq!(res.status, 201);
        let hook = res.json();
        assert_eq!(hook["events"], json!(["published", "updated", "deleted"]));
        let list = app.get_as("/v1/admin/webhooks", &admin).await;
        assert!(!list.text().contains(SECRET), "the secret is never shown");
        assert_eq!(list.json()["data"].as_array().unwrap().len(), 1);
        let path = format!("/v1/admin/webhooks/{}", hook["id"]);
        assert_eq!(app.delete(&path, &admin).await.status, 204);
        app.delete(&path, &admin).await.problem(404);
        app.get_as(&format!("{path}/deliveries"), &admin).await.problem(404);
    }
);

both_backends!(
    config = allow_private,
    async fn finished_deliveries_older_than_the_retention_are_pruned(app) {
        let admin = app.key("admin").await;
        let rx = receiver(vec![200], Duration::ZERO);
        let hook = register(&app, &admin, &rx.url, json!(["published"])).await;
        let worker = app.start_webhooks(fast());
        assert_eq!(app.post("/v1/articles", &admin, article("old-news", "published")).await.status, 201);
        wait_until("one delivery", || !rx.got().is_empty()).await;
        worker.stop().await;
        // A second one stays pending: no worker runs.
        assert_eq!(app.post("/v1/articles", &admin, article("new-news", "published")).await.status, 201);
        assert_eq!(deliveries(&app, &admin, hook).await.len(), 2);
        app.exec("UPDATE webhook_deliveries SET delivered_at = '2000-01-01 00:00:00' WHERE delivered_at IS NOT NULL")
            .await;
        let cutoff = belportal::db::now() - chrono::Duration::days(30);
        let removed = app
            .with_conn(move |conn| belportal::webhooks::worker::prune_log(conn, cutoff).unwrap())
            .await;
        assert_eq!(removed, 1);
        let log = deliveries(&app, &admin, hook).await;
        assert_eq!(log.len(), 1, "{log:?}");
        assert_eq!(log[0]["state"], "pending");
    }
);

both_backends!(
    async fn registration_refuses_internal_addresses_and_other_schemes(app) {
        let admin = app.key("admin").await;
        for url in [
            "http://127.0.0.1:8080/hook",
            "http://127.1.2.3/",
            "http://2130706433/",
            "http://localhost/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/",
            "http://[::ffff:a9fe:a9fe]/",
            "http://10.0.0.1:6379/",
            "http://172.16.0.1/",
            "http://192.168.1.1/",
            "http://100.64.0.1/",
            "http://169.254.169.254/latest/meta-data/",
            "http://[fe80::1]/",
            "http://[fd12:3456::1]/",
            "http://0.0.0.0/",
            "http://[::]/",
            "http://224.0.0.1/",
            "http://255.255.255.255/",
            "http://192.0.2.10/",
            "ftp://example.org/hook",
            "gopher://example.org/",
            "file:///etc/passwd",
        ] {
            let p = app
                .post("/v1/admin/webhooks", &admin, json!({"url": url, "secret": SECRET}))
                .await
                .problem(422);
            assert_eq!(p["errors"][0]["field"], "url", "{url}: {p}");
        }
        for url in ["https://example.org/hook", "http://93.184.216.34:8080/x"] {
            let res = app
                .post("/v1/admin/webhooks", &admin, json!({"url": url, "secret": SECRET}))
                .await;
            assert_eq!(res.status, 201, "{url}: {}", res.text());
        }
    }
);

/// The log of `hook` once its only delivery is finished.
async fn finished(app: &TestApp, admin: &str, hook: i64) -> Value {
    let start = Instant::now();
    loop {
        let log = deliveries(app, admin, hook).await;
        if log.first().is_some_and(|d| d["state"] != "pending") {
            return log[0].clone();
        }
        assert!(
            start.elapsed() < Duration::from_secs(20),
            "never finished: {log:?}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

both_backends!(
    config = allow_private,
    async fn a_redirect_is_a_failed_attempt_and_is_never_followed(app) {
        let admin = app.key("admin").await;
        let inner = receiver(vec![200], Duration::ZERO);
        let outer = receiver_with(vec![307], Duration::ZERO, format!("Location: {}\r\n", inner.url));
        let hook = register(&app, &admin, &outer.url, json!(["published"])).await;
        let worker = app.start_webhooks(WorkerSettings { max_attempts: 1, ..fast() });
        assert_eq!(app.post("/v1/articles", &admin, article("moved", "published")).await.status, 201);
        let d = finished(&app, &admin, hook).await;
        // Had the redirect been followed, the inner receiver would have the body by now.
        actix_web::rt::time::sleep(Duration::from_millis(300)).await;
        worker.stop().await;
        assert_eq!(outer.got().len(), 1);
        assert!(inner.got().is_empty(), "the redirect was followed");
        assert_eq!(d["state"], "failed", "{d}");
        assert_eq!(d["status_code"], 307);
        assert!(d["last_error"].as_str().unwrap().contains("redirect"), "{d}");
    }
);

both_backends!(
    // Registration allows loopback here; the worker does not, as in production.
    config = allow_private,
    async fn loopback_targets_are_refused_at_send_time(app) {
        let admin = app.key("admin").await;
        let rx = receiver(vec![200], Duration::ZERO);
        let port = rx.url.split(':').nth(2).unwrap().split('/').next().unwrap().to_string();
        // A host name that resolves to 127.0.0.1, and a literal address.
        let by_name = register(&app, &admin, &format!("http://localhost:{port}/hook"), json!(["published"])).await;
        let literal = register(&app, &admin, &rx.url, json!(["published"])).await;
        let worker = app.start_webhooks(WorkerSettings { allow_private: false, ..fast() });
        assert_eq!(app.post("/v1/articles", &admin, article("inside", "published")).await.status, 201);
        for hook in [by_name, literal] {
            let d = finished(&app, &admin, hook).await;
            assert_eq!(d["state"], "failed", "refused at once, not retried: {d}");
            assert_eq!(d["attempts"], 1);
            assert!(d["status_code"].is_null());
            let e = d["last_error"].as_str().unwrap();
            assert!(e.starts_with("refused"), "{e}");
            assert!(!e.contains("os error") && !e.contains(&port), "no connect details: {e}");
        }
        worker.stop().await;
        assert!(rx.got().is_empty(), "nothing reached the loopback receiver");
    }
);
