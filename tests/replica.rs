#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Read replicas (`DATABASE_READ_URL`) against a real streaming replica
//! (`scripts/replica.sh start`; runs when TEST_REPLICA_PRIMARY_URL and
//! TEST_REPLICA_URL are set, as `.ci/run` does): anonymous reads come from
//! the replica, editors read the primary, and a lagging, paused or
//! unreachable replica sends reads to the primary without errors.
//!
//! Replay is paused with `pg_wal_replay_pause()` to make the replica visibly
//! behind; that pauses it for every database of the cluster, so these tests
//! take turns (`SERIAL`).

mod common;

use std::time::{Duration, Instant};

use common::{FreshDb, TestApp};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::{json, Value};

static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.is_empty())
}

/// The primary's and the replica's admin URLs.
fn servers() -> Option<(String, String)> {
    Some((env("TEST_REPLICA_PRIMARY_URL")?, env("TEST_REPLICA_URL")?))
}

fn replica_sql(admin: &str, sql: &str) {
    let mut c = PgConnection::establish(admin).unwrap();
    c.batch_execute(sql).unwrap();
}

/// A database on the replicated primary, once the replica has it too, and
/// its URL on the replica.
fn replicated_db(primary: &str, replica: &str) -> (FreshDb, String) {
    // A test that failed while replay was paused must not stall the next.
    replica_sql(replica, "SELECT pg_wal_replay_resume()");
    let db = FreshDb::on_server(primary);
    let name = db.url.rsplit('/').next().unwrap().to_string();
    let read_url = common::with_database(replica, &name);
    let started = Instant::now();
    while PgConnection::establish(&read_url).is_err() {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "no {name} on the replica"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    (db, read_url)
}

/// A node on `db` reading anonymously from `read_url`.
fn node(db: &FreshDb, read_url: &str, max_lag_ms: u64) -> TestApp {
    let mut c = db.config();
    c.replica.url = Some(read_url.to_string());
    c.replica.max_lag_ms = max_lag_ms;
    c.node.name = "replica-test".into();
    db.app(
        belportal::startup::prepare(c).expect("node starts with DATABASE_READ_URL on the standby"),
    )
}

/// Polls `/readyz` until its replica report satisfies `done`.
async fn until_replica(app: &TestApp, what: &str, done: impl Fn(&Value) -> bool) -> Value {
    let started = Instant::now();
    loop {
        let res = app.get("/readyz").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let r = res.json()["replica"].clone();
        if done(&r) {
            return r;
        }
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica never {what}: {r}"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn serving(app: &TestApp) {
    until_replica(app, "served reads", |r| r["serving_reads"] == true).await;
}

/// What every test starts from: its turn, a database on the replicated
/// primary, and a node on it. Fields drop in order: the node before its
/// database, the turn last.
struct Replicated {
    app: TestApp,
    db: FreshDb,
    /// The replica's admin URL (to pause and resume replay).
    replica: String,
    _turn: tokio::sync::MutexGuard<'static, ()>,
}

/// A node allowing `max_lag_ms` of lag, reading anonymously from
/// `read_from` (default: the replica's copy of its database); `None`, and
/// the test is not run, when TEST_REPLICA_* is unset.
async fn replicated_node(max_lag_ms: u64, read_from: Option<&str>) -> Option<Replicated> {
    let Some((primary, replica)) = servers() else {
        eprintln!("TEST_REPLICA_URL unset: not run (scripts/replica.sh start)");
        return None;
    };
    let turn = SERIAL.lock().await;
    let (db, read_url) = replicated_db(&primary, &replica);
    let app = node(&db, read_from.unwrap_or(&read_url), max_lag_ms);
    Some(Replicated {
        app,
        db,
        replica,
        _turn: turn,
    })
}

impl Replicated {
    /// An editor key and a published article `slug` (its location), once the
    /// replica serves reads.
    async fn published(&self, slug: &str) -> (String, String) {
        let key = self.app.key("editor").await;
        let loc = article(&self.app, &key, slug).await;
        serving(&self.app).await;
        (key, loc)
    }
}

/// A published article, created through the API; its location.
async fn article(app: &TestApp, key: &str, slug: &str) -> String {
    let body = json!({
        "slug": slug, "section": "culture", "title": "As written",
        "lead": "Replicated.", "body_html": "<p>Replicated.</p>",
        "publication_status": "published"
    });
    let res = app.post("/v1/articles", key, body).await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.header("location").unwrap()
}

/// Changes the title on the primary behind the node's back (no NOTIFY).
fn retitle_on_primary(db: &FreshDb, loc: &str, title: &str) {
    let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
    let mut c = PgConnection::establish(&db.url).unwrap();
    diesel::sql_query("UPDATE articles SET title = $1 WHERE id = $2")
        .bind::<diesel::sql_types::Text, _>(title)
        .bind::<diesel::sql_types::BigInt, _>(id)
        .execute(&mut c)
        .unwrap();
}

#[actix_web::test]
async fn anonymous_reads_come_from_the_replica_and_editors_read_the_primary() {
    let Some(t) = replicated_node(60_000, None).await else {
        return;
    };
    let (app, db) = (&t.app, &t.db);
    let (key, loc) = t.published("from-the-replica").await;
    assert_eq!(app.get(&loc).await.json()["title"], "As written");

    replica_sql(&t.replica, "SELECT pg_wal_replay_pause()");
    retitle_on_primary(db, &loc, "Only on the primary");
    // The replica has not replayed the change: anonymous reads show it as
    // it was, an editor's read shows the primary's row.
    let anonymous = app.get(&loc).await;
    assert_eq!(anonymous.status, 200, "{}", anonymous.text());
    assert_eq!(
        anonymous.json()["title"],
        "As written",
        "anonymous read from the replica"
    );
    let editor = app.get_as(&loc, &key).await;
    assert_eq!(
        editor.json()["title"],
        "Only on the primary",
        "editor read from the primary"
    );

    replica_sql(&t.replica, "SELECT pg_wal_replay_resume()");
    let started = Instant::now();
    while app.get(&loc).await.json()["title"] != "Only on the primary" {
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "replica never caught up"
        );
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    }
}

#[actix_web::test]
async fn an_editors_write_is_read_at_once_and_anonymous_reads_wait_for_the_replica_to_replay_it() {
    let Some(t) = replicated_node(60_000, None).await else {
        return;
    };
    let app = &t.app;
    let key = app.key("editor").await;
    serving(app).await;

    replica_sql(&t.replica, "SELECT pg_wal_replay_pause()");
    let loc = article(app, &key, "read-your-writes").await;
    let res = app
        .patch(
            &loc,
            &key,
            json!({"title": "Edited while the replica waits"}),
        )
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    // The editor reads their own write at once (primary) ...
    let editor = app.get_as(&loc, &key).await;
    assert_eq!(editor.json()["title"], "Edited while the replica waits");
    // ... and so does everyone else: the write cleared the caches, and
    // until the replica has replayed it, reads refill them from the primary.
    let anonymous = app.get(&loc).await;
    assert_eq!(anonymous.status, 200, "{}", anonymous.text());
    assert_eq!(anonymous.json()["title"], "Edited while the replica waits");
    let r = app.get("/readyz").await.json()["replica"].clone();
    assert_eq!(r["serving_reads"], false, "{r}");

    replica_sql(&t.replica, "SELECT pg_wal_replay_resume()");
    serving(app).await;
    assert_eq!(
        app.get(&loc).await.json()["title"],
        "Edited while the replica waits"
    );
}

#[actix_web::test]
async fn a_replica_further_behind_than_the_limit_sends_anonymous_reads_to_the_primary() {
    let Some(t) = replicated_node(300, None).await else {
        return;
    };
    let (app, db) = (&t.app, &t.db);
    let (_, loc) = t.published("lagging-replica").await;

    replica_sql(&t.replica, "SELECT pg_wal_replay_pause()");
    retitle_on_primary(db, &loc, "Newer than the replica");
    let r = until_replica(app, "lagged", |r| r["state"] == "lagging").await;
    assert!(r["lag_ms"].as_u64().unwrap() > 300, "{r}");
    assert_eq!(r["serving_reads"], false, "{r}");
    let res = app.get(&loc).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.json()["title"],
        "Newer than the replica",
        "read from the primary"
    );

    replica_sql(&t.replica, "SELECT pg_wal_replay_resume()");
    let r = until_replica(app, "caught up", |r| r["state"] == "streaming").await;
    assert!(r["lag_ms"].as_u64().unwrap() <= 300, "{r}");
}

#[actix_web::test]
async fn an_unreachable_replica_sends_reads_to_the_primary_without_errors() {
    // A port nothing listens on: the node starts, reads use the primary.
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = free.local_addr().unwrap().port();
    drop(free);
    let nowhere = format!("postgres://postgres@127.0.0.1:{port}/x");
    let Some(t) = replicated_node(1000, Some(&nowhere)).await else {
        return;
    };
    let app = &t.app;
    let r = until_replica(app, "was found unreachable", |r| {
        r["state"] == "unreachable"
    })
    .await;
    assert!(r["error"].is_string(), "{r}");
    for _ in 0..20 {
        let res = app.get("/v1/articles?limit=1").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
}

#[actix_web::test]
async fn reads_survive_the_replica_dropping_the_nodes_connections() {
    let Some(t) = replicated_node(1000, None).await else {
        return;
    };
    let app = &t.app;
    serving(app).await;
    for _ in 0..4 {
        assert_eq!(app.get("/v1/sections").await.status, 200);
    }
    // What a replica restart does to the node's pooled connections.
    replica_sql(
        &t.replica,
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name LIKE 'replica-test%' AND pid <> pg_backend_pid()",
    );
    for _ in 0..20 {
        let res = app.get("/v1/articles?limit=1").await;
        assert_eq!(res.status, 200, "{}", res.text());
    }
    serving(app).await;
}

#[test]
fn a_read_url_with_sqlite_is_a_clear_startup_error() {
    let vars = [
        ("DATABASE_URL", "sqlite://data/x.db"),
        ("DATABASE_READ_URL", "postgres://u@replica/portal"),
    ];
    let e = belportal::config::Config::from_lookup(|k| {
        vars.iter()
            .find(|(n, _)| *n == k)
            .map(|(_, v)| v.to_string())
    })
    .unwrap_err();
    assert_eq!(e.var, "DATABASE_READ_URL");
    assert!(e.to_string().contains("PostgreSQL"), "{e}");
}
