#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Nodes through PgBouncer in transaction mode (`scripts/pgbouncer.sh`; runs
//! when TEST_PGBOUNCER_URL is set, as `.ci/run` does): they start together,
//! serve reads and writes, keep the read bound, and leave no session state on
//! the server connections other clients get next.

mod common;

use actix_web::test::TestRequest;
use common::{FreshDb, Kind};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;

fn bouncer_url(db: &FreshDb) -> Option<String> {
    let base = std::env::var("TEST_PGBOUNCER_URL")
        .ok()
        .filter(|v| !v.is_empty())?;
    let mut u = url::Url::parse(&base).expect("TEST_PGBOUNCER_URL");
    u.set_path(&format!("/{}", db.pg_name()?));
    Some(u.to_string())
}

fn node(db: &FreshDb, url: &str, name: &str) -> belportal::config::Config {
    let mut c = db.config();
    c.database_url = url.to_string();
    c.demo = true;
    c.node.name = name.to_string();
    c.node.pgbouncer = Some(true);
    c
}

#[derive(QueryableByName)]
struct Setting {
    #[diesel(sql_type = diesel::sql_types::Text)]
    v: String,
}

fn show(conn: &mut PgConnection, name: &str) -> String {
    diesel::sql_query(format!("SELECT current_setting('{name}') AS v"))
        .get_result::<Setting>(conn)
        .unwrap()
        .v
}

#[actix_web::test]
async fn nodes_start_and_serve_through_pgbouncer_in_transaction_mode() {
    let Some(db) = FreshDb::new(Kind::Postgres) else {
        return eprintln!("TEST_POSTGRES_URL unset: not run");
    };
    let Some(url) = bouncer_url(&db) else {
        return eprintln!("TEST_PGBOUNCER_URL unset: not run (scripts/pgbouncer.sh start)");
    };
    // Two nodes started at once through the pooler: migrations, seeding, index.
    let starts: Vec<_> = ["bouncer-a", "bouncer-b"]
        .into_iter()
        .map(|n| {
            let config = node(&db, &url, n);
            std::thread::spawn(move || belportal::startup::prepare(config))
        })
        .collect();
    let mut states = starts
        .into_iter()
        .map(|h| h.join().unwrap().expect("node starts through PgBouncer"));
    let a = db.app(states.next().unwrap());
    let b = db.app(states.next().unwrap());

    // Writes on A, reads and a conditional write on B, repeated so statements
    // land on different server connections.
    let key = a.key("editor").await;
    for i in 0..5 {
        let body = json!({
            "slug": format!("through-the-bouncer-{i}"),
            "section": "culture",
            "title": "Through the bouncer",
            "lead": "Transaction pooling.",
            "body_html": "<p>Pooled.</p>",
            "publication_status": "published"
        });
        let res = a.post("/v1/articles", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let got = b.get(&loc).await;
        assert_eq!(got.status, 200, "{}", got.text());
        let etag = got.header("etag").unwrap();
        let res = b
            .send(
                TestRequest::patch()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", etag))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .set_payload(r#"{"title": "Through the bouncer, again"}"#),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(
            a.get(&loc).await.json()["title"],
            "Through the bouncer, again"
        );
    }
    let list = b.get("/v1/articles?q=bouncer&limit=50").await;
    assert_eq!(list.status, 200, "{}", list.text());
    assert_eq!(b.get("/v1/search?q=bouncer").await.status, 200);
    assert_eq!(a.get("/readyz").await.status, 200);

    // The read bound holds through the pooler (SET LOCAL in the transaction).
    let mut config = node(&db, &url, "bouncer-c");
    config.read_timeout_ms = 100;
    let pool = belportal::AppState::new(config).unwrap().pool;
    let slow = belportal::db::run(&pool, |c| {
        c.batch_execute("SELECT pg_sleep(2)")?;
        Ok(())
    })
    .await;
    assert!(
        matches!(slow, Err(belportal::error::AppError::Busy(_))),
        "{slow:?}"
    );

    // No node left a session setting on a server connection: fresh clients
    // see the server's defaults.
    for _ in 0..10 {
        let mut c = PgConnection::establish(&url).unwrap();
        assert_eq!(show(&mut c, "statement_timeout"), "0");
        assert_eq!(show(&mut c, "lock_timeout"), "0");
    }
}
