#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! What anonymous clients may see and how much work they may cause: the media
//! library needs a key, the changes feed hides drafts, numbered pages stop at
//! 10,000 items, reads run under a timeout, and writers waiting for the write
//! lock give up (503) without starving reads.

mod common;

use std::time::{Duration, Instant};

use actix_web::test::{self, TestRequest};
use belportal::build_app;
use belportal::db::{self, Backend};
use common::TestApp;
use diesel::connection::SimpleConnection;
use diesel::Connection;
use futures_util::future::join_all;
use serde_json::json;

fn article(slug: &str, status: &str) -> serde_json::Value {
    json!({
        "slug": slug,
        "section": "culture",
        "title": "Straw birds of Polesie",
        "lead": "Weavers bind rye straw.",
        "body_html": "<p>Straw.</p>",
        "publication_status": status
    })
}

both_backends!(
    async fn media_library_needs_an_editor_key_but_files_stay_public(app) {
        let r = app.get("/v1/media").await;
        r.problem(401);
        assert!(r.header("www-authenticate").is_some());
        app.get("/v1/media/1").await.problem(401);
        let key = app.key("editor").await;
        let list = app.get_as("/v1/media?limit=1", &key).await;
        assert_eq!(list.status, 200, "{}", list.text());
        let item = list.json()["data"][0].clone();
        let id = item["id"].as_i64().expect("the demo has media");
        assert_eq!(app.get_as(&format!("/v1/media/{id}"), &key).await.status, 200);
        // The files themselves (unguessable names) are what public pages embed.
        let file = app.get(item["url"].as_str().unwrap()).await;
        assert_eq!(file.status, 200);
    }
);

/// Every entry of the feed after `since`, read `limit` at a time with `next_since`.
async fn read_feed(
    app: &TestApp,
    key: Option<&str>,
    since: i64,
    limit: i64,
) -> Vec<serde_json::Value> {
    let mut since = since;
    let mut all = Vec::new();
    loop {
        let uri = format!("/v1/changes?since={since}&limit={limit}");
        let r = match key {
            Some(k) => app.get_as(&uri, k).await,
            None => app.get(&uri).await,
        };
        assert_eq!(r.status, 200, "{}", r.text());
        let page = r.json();
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        let next = page["meta"]["next_since"].as_i64().unwrap();
        if page["meta"]["has_more"] != true {
            assert!(next >= since);
            return all;
        }
        assert!(next > since, "next_since moves on");
        since = next;
    }
}

both_backends!(
    async fn anonymous_changes_feed_hides_drafts_but_shows_unpublishing_and_deletes(app) {
        let key = app.key("editor").await;
        let start = read_feed(&app, Some(&key), 0, 1000)
            .await
            .last()
            .map(|c| c["seq"].as_i64().unwrap())
            .unwrap_or(0);
        let id_of = |r: common::Resp| {
            assert!(r.status.is_success(), "{}", r.text());
            r.json()["id"].as_i64().unwrap()
        };
        // A draft, edited: never public.
        let draft = id_of(app.post("/v1/articles", &key, article("straw-draft", "draft")).await);
        id_of(app.patch(&format!("/v1/articles/{draft}"), &key, json!({"lead": "Still secret."})).await);
        // Published, unpublished, then edited as a draft.
        let unpub = id_of(app.post("/v1/articles", &key, article("straw-unpub", "published")).await);
        let to_draft = json!({"publication_status": "draft"});
        id_of(app.patch(&format!("/v1/articles/{unpub}"), &key, to_draft).await);
        id_of(app.patch(&format!("/v1/articles/{unpub}"), &key, json!({"lead": "Embargoed."})).await);
        // Published, then deleted.
        let gone = id_of(app.post("/v1/articles", &key, article("straw-gone", "published")).await);
        assert_eq!(app.delete(&format!("/v1/articles/{gone}"), &key).await.status, 204);
        // A draft, deleted: never public.
        let scrap = id_of(app.post("/v1/articles", &key, article("straw-scrap", "draft")).await);
        assert_eq!(app.delete(&format!("/v1/articles/{scrap}"), &key).await.status, 204);

        let summary = |feed: &[serde_json::Value]| -> Vec<(i64, String, bool)> {
            feed.iter()
                .map(|c| (c["id"].as_i64().unwrap(), c["action"].as_str().unwrap().to_string(), c["slug"].is_null()))
                .collect()
        };
        let editor = read_feed(&app, Some(&key), start, 1000).await;
        assert_eq!(editor.len(), 9, "editors see every entry");
        let seqs: Vec<i64> = editor.iter().map(|c| c["seq"].as_i64().unwrap()).collect();
        assert_eq!(seqs, (start + 1..=start + 9).collect::<Vec<_>>(), "no gaps for editors");

        let anon = read_feed(&app, None, start, 1000).await;
        assert_eq!(
            summary(&anon),
            [
                (unpub, "created".to_string(), false),
                (unpub, "updated".to_string(), true), // unpublished: shown, slug hidden
                (gone, "created".to_string(), false),
                (gone, "deleted".to_string(), false),
            ],
            "{anon:?}"
        );
        // Read one entry at a time, an anonymous client resumes over the gaps
        // and gets exactly the same entries.
        let stepped = read_feed(&app, None, start, 1).await;
        assert_eq!(stepped, anon);
        // Past the end: nothing, and next_since stays where it was.
        let last = anon.last().unwrap()["seq"].as_i64().unwrap();
        let tail = app.get(&format!("/v1/changes?since={last}")).await.json();
        assert_eq!(tail["data"], json!([]));
        assert_eq!(tail["meta"]["next_since"], last);
        assert_eq!(tail["meta"]["has_more"], false);
    }
);

both_backends!(
    async fn pages_deeper_than_10000_items_are_refused_in_favour_of_cursors(app) {
        for uri in ["/v1/articles?page=501", "/v1/articles?limit=100&page=101", "/v1/events?limit=1&page=10001"] {
            let p = app.get(uri).await.problem(400);
            assert_eq!(p["errors"][0]["field"], "page", "{uri}");
            assert!(p["detail"].as_str().unwrap().contains("`cursor`"), "{p}");
        }
        for uri in ["/v1/articles?page=500", "/v1/articles?limit=100&page=100", "/v1/events?limit=1&page=10000"] {
            assert_eq!(app.get(uri).await.status, 200, "{uri}");
        }
        // A cursor goes on where pages stop.
        let first = app.get("/v1/articles?limit=2").await.json();
        let cursor = first["meta"]["next_cursor"].as_str().unwrap();
        assert_eq!(app.get(&format!("/v1/articles?limit=2&cursor={cursor}")).await.status, 200);
    }
);

/// Appends `n` feed entries of never-public items after `after` (without the
/// partial index `changes_visible`, an anonymous read from there would walk
/// all of them to find nothing).
async fn add_hidden_changes(app: &TestApp, after: i64, n: i64) {
    let sql = if matches!(app.backend, Backend::Sqlite(_)) {
        format!(
            "INSERT INTO changes (seq, resource, item_id, slug, locale, action, public, at, was_public) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT {after} + i, 'article', 9000000 + i, 'hidden-' || i, 'en', 'created', 0, '2026-01-01 00:00:00', 0 FROM n"
        )
    } else {
        format!(
            "INSERT INTO changes (seq, resource, item_id, slug, locale, action, public, at, was_public) \
             SELECT {after} + i, 'article', 9000000 + i, 'hidden-' || i, 'en', 'created', false, TIMESTAMP '2026-01-01', false \
             FROM generate_series(1, {n}) AS i"
        )
    };
    app.with_conn(move |c| db::unbounded(c, |c| c.batch_execute(&sql)).unwrap())
        .await;
}

/// Adds `n` published articles, all in January 2020, straight into the table.
async fn add_articles(app: &TestApp, n: i64) {
    let cols = "id, group_id, locale, slug, section_id, title, lead, body_html, \
                reading_time_minutes, status, published_at, created_at, updated_at";
    let vals = "9000000 + i, 9000000 + i, 'en', 'bulk-' || i, (SELECT MIN(id) FROM sections), \
                'Bulk ' || i, 'Lead', '<p>x</p>', 1, 'published', t, t, t";
    let sql = if matches!(app.backend, Backend::Sqlite(_)) {
        format!(
            "INSERT INTO articles ({cols}) \
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {n}) \
             SELECT {vals} FROM (SELECT i, '2020-01-15 10:00:00' AS t FROM n)"
        )
    } else {
        format!(
            "INSERT INTO articles ({cols}) SELECT {vals} FROM \
             (SELECT i, TIMESTAMP '2020-01-15 10:00:00' AS t FROM generate_series(1, {n}) AS i) s"
        )
    };
    app.with_conn(move |c| db::unbounded(c, |c| c.batch_execute(&sql)).unwrap())
        .await;
}

fn tiny_read_timeout(c: &mut belportal::config::Config) {
    c.read_timeout_ms = 20;
}

both_backends_with!(
    tiny_read_timeout,
    async fn a_read_past_the_read_timeout_is_stopped_with_503_and_retry_after(app) {
        let key = app.key("editor").await;
        let base = 1_000_000;
        add_hidden_changes(&app, base, 300_000).await;
        add_articles(&app, 300_000).await;
        // Cheap reads are unaffected, and an anonymous feed read skips the
        // 300,000 hidden entries by an index instead of walking them.
        assert_eq!(app.get("/v1/regions").await.status, 200);
        let r = app.get(&format!("/v1/changes?since={base}")).await;
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["data"], json!([]));
        let r = app.get_as(&format!("/v1/changes?since={base}&limit=5"), &key).await;
        assert_eq!(r.status, 200, "{}", r.text());
        // A month with 300,000 articles takes far longer than 20 ms to count: stopped.
        let started = Instant::now();
        let r = app.get("/v1/articles/calendar?month=2020-01").await;
        let took = started.elapsed();
        let p = r.problem(503);
        assert!(r.header("retry-after").is_some(), "Retry-After");
        assert!(p["detail"].as_str().unwrap().contains("too long"), "{p}");
        assert!(took < Duration::from_millis(700), "stopped early, not at the end: {took:?}");
        // The connection is fine afterwards.
        assert_eq!(app.get("/readyz").await.status, 200);
        assert_eq!(app.get("/v1/regions").await.status, 200);
    }
);

/// Holds the write lock (the feed counter row) from a second connection, as a
/// long import does, until dropped.
struct LockHolder {
    release: std::sync::mpsc::Sender<()>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl LockHolder {
    fn take(backend: &Backend) -> LockHolder {
        let backend = backend.clone();
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (release, release_rx) = std::sync::mpsc::channel::<()>();
        let thread = std::thread::spawn(move || {
            let mut conn: Box<dyn SimpleConnection> = match backend {
                Backend::Sqlite(path) => {
                    let mut c = diesel::SqliteConnection::establish(&path).unwrap();
                    c.batch_execute("BEGIN IMMEDIATE").unwrap();
                    Box::new(c)
                }
                Backend::Postgres(url) => {
                    let mut c = diesel::PgConnection::establish(&url).unwrap();
                    c.batch_execute("BEGIN; UPDATE change_seq SET seq = seq WHERE id = 1")
                        .unwrap();
                    Box::new(c)
                }
            };
            held_tx.send(()).unwrap();
            let _ = release_rx.recv_timeout(Duration::from_secs(60));
            conn.batch_execute("ROLLBACK").unwrap();
        });
        held_rx.recv().unwrap();
        LockHolder {
            release,
            thread: Some(thread),
        }
    }
}

impl Drop for LockHolder {
    fn drop(&mut self) {
        let _ = self.release.send(());
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn short_lock_timeout(c: &mut belportal::config::Config) {
    c.lock_timeout_ms = 1000;
}

both_backends_with!(
    short_lock_timeout,
    async fn writers_give_up_on_a_held_write_lock_with_503_while_reads_go_on(app) {
        let key = app.key("editor").await;
        let list = app.get("/v1/articles?limit=1").await.json();
        let id = list["data"][0]["id"].as_i64().unwrap();
        let uri = format!("/v1/articles/{id}");
        // One service for all requests: built once, called concurrently.
        let svc = test::init_service(build_app(app.state.clone(), app.metrics.clone())).await;
        let call = |req: TestRequest| {
            let svc = &svc;
            async move {
                let res = test::call_service(svc, req.to_request()).await;
                let status = res.status();
                let retry = res.headers().contains_key("retry-after");
                let body = test::read_body(res).await;
                (status.as_u16(), retry, String::from_utf8_lossy(&body).into_owned())
            }
        };
        let lock = LockHolder::take(&app.backend);
        let started = Instant::now();
        // More writers than the pool (4) has connections, and readers at once.
        let writes = join_all((0..6).map(|i| {
            let req = TestRequest::patch()
                .uri(&uri)
                .insert_header(("Authorization", format!("Bearer {key}")))
                .set_json(json!({"lead": format!("Lead {i}")}));
            let call = &call;
            async move { (call(req).await, started.elapsed()) }
        }));
        let reads = join_all((0..6).map(|i| {
            let uri = if i % 2 == 0 { "/readyz".to_string() } else { format!("/v1/articles?limit=3&page={i}") };
            let call = &call;
            async move {
                // Once the writers are all waiting for the lock.
                actix_web::rt::time::sleep(Duration::from_millis(300)).await;
                let (status, _, _) = call(TestRequest::get().uri(&uri)).await;
                (uri, status, started.elapsed())
            }
        }));
        let (writes, reads) = futures_util::future::join(writes, reads).await;
        for (uri, status, at) in &reads {
            assert_eq!(*status, 200, "{uri}");
            // Not queued behind the writers' lock wait (1 s).
            assert!(*at < Duration::from_millis(950), "{uri} answered after {at:?}");
        }
        for ((status, retry_after, body), at) in &writes {
            assert_eq!(*status, 503, "{body}");
            assert!(*retry_after && body.contains("write lock"), "{body}");
            assert!(*at < Duration::from_millis(3500), "gave up after {at:?}");
        }
        let slowest = writes.iter().map(|(_, at)| *at).max().unwrap();
        assert!(slowest >= Duration::from_millis(900), "waited for the lock: {slowest:?}");
        drop(lock);
        // Nothing was written; with the lock free the write goes through.
        assert_ne!(app.get(&uri).await.json()["lead"], "Lead 0");
        let r = app.patch(&uri, &key, json!({"lead": "After the import"})).await;
        assert_eq!(r.status, 200, "{}", r.text());
    }
);
