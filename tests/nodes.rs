//! Several nodes on one database: rolling starts (migrations and seeding
//! under the startup lock), node names, the database clock.

mod common;

use common::{FreshDb, Kind};
use diesel::prelude::*;

/// Rows a seeded database has: regions, sections, articles, places, events, feed.
fn counts(url: &str) -> Vec<i64> {
    let mut conn = belportal::db::Manager::new(belportal::db::Backend::from_url(url).expect("url"))
        .connect()
        .expect("connect");
    [
        "regions", "sections", "articles", "places", "events", "changes",
    ]
    .iter()
    .map(|t| {
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        let q = format!("SELECT COUNT(*) AS n FROM {t}");
        belportal::with_backend!(&mut conn, |c| diesel::sql_query(q)
            .get_result::<N>(c)
            .expect("count")
            .n)
    })
    .collect()
}

/// Starts `n` nodes at once (threads) on `db` with the demo on; all must start.
fn start_together(db: &FreshDb, n: usize) -> Vec<belportal::AppState> {
    let handles: Vec<_> = (0..n)
        .map(|i| {
            let mut config = db.config();
            config.demo = true;
            config.node.name = format!("node-{i}");
            std::thread::spawn(move || belportal::startup::prepare(config))
        })
        .collect();
    handles
        .into_iter()
        .map(|h| h.join().expect("thread").expect("node starts"))
        .collect()
}

async fn nodes_started_together_all_start_and_seed_once(kind: Kind) {
    let Some(db) = FreshDb::new(kind) else {
        return eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run");
    };
    let states = start_together(&db, 4);
    let after_race = counts(&db.url);
    assert_eq!(after_race[0], 7, "the reference regions, once");
    assert_eq!(
        after_race[1], 24,
        "the 8 reference sections in 3 locales, once"
    );
    assert!(
        after_race[2] > 0 && after_race[3] > 0,
        "demo content loaded"
    );
    // A fifth node started later finds everything in place and adds nothing.
    let mut config = db.config();
    config.demo = true;
    let late = belportal::startup::prepare(config).expect("late node starts");
    assert_eq!(counts(&db.url), after_race, "seeded once");
    for state in states.into_iter().chain([late]) {
        let app = db.app(state);
        assert_eq!(app.get("/readyz").await.status, 200);
        let list = app.get("/v1/articles?limit=1").await;
        assert_eq!(list.status, 200, "{}", list.text());
    }
}

#[actix_web::test]
async fn nodes_started_together_all_start_and_seed_once_on_sqlite() {
    nodes_started_together_all_start_and_seed_once(Kind::Sqlite).await;
}

#[actix_web::test]
async fn nodes_started_together_all_start_and_seed_once_on_postgres() {
    nodes_started_together_all_start_and_seed_once(Kind::Postgres).await;
}

/// A primary that turns read-only (as a demoted primary or
/// `default_transaction_read_only` does): writes are 503 with Retry-After,
/// never 500; reads go on; `/readyz` is 503 until it takes writes again.
#[actix_web::test]
async fn read_only_primary_is_503_with_retry_after_and_not_ready() {
    let Some(db) = FreshDb::new(Kind::Postgres) else {
        return eprintln!("TEST_POSTGRES_URL unset: not run");
    };
    let mut config = db.config();
    config.demo = true;
    let before = db.app(belportal::startup::prepare(config.clone()).expect("start"));
    let key = before.key("editor").await;
    let first = before.get("/v1/articles?limit=1").await.json();
    let loc = format!("/v1/articles/{}", first["data"][0]["id"]);
    let name = db.pg_name().expect("database name").to_string();
    let admin = common::postgres_url().expect("admin url");
    let alter = |on: bool| {
        let mut c = PgConnection::establish(&admin).expect("admin");
        let sql = format!("ALTER DATABASE {name} SET default_transaction_read_only = {on}");
        diesel::connection::SimpleConnection::batch_execute(&mut c, &sql).expect("alter");
    };
    alter(true);
    // New connections (a fresh pool) are read-only now.
    let app = db.app(belportal::AppState::new(config.clone()).expect("state"));
    let res = app
        .patch(
            &loc,
            &key,
            serde_json::json!({"title": "Written on a read-only primary"}),
        )
        .await;
    res.problem(503);
    assert!(
        res.header("retry-after").is_some(),
        "Retry-After on a read-only 503"
    );
    let res = app.delete(&loc, &key).await;
    res.problem(503);
    assert_eq!(app.get(&loc).await.status, 200, "reads go on");
    let ready = app.get("/readyz").await;
    ready.problem(503);
    assert!(ready.header("retry-after").is_some());
    alter(false);
    let app = db.app(belportal::AppState::new(config).expect("state"));
    assert_eq!(app.get("/readyz").await.status, 200);
    let res = app
        .patch(&loc, &key, serde_json::json!({"title": "Written again"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
}

/// A node whose clock is an hour off still stamps and compares due times on
/// the database's clock: the measured offset takes the skew out.
#[actix_web::test]
async fn skewed_node_clock_is_corrected_to_the_database_clock() {
    let Some(db) = FreshDb::new(Kind::Postgres) else {
        return eprintln!("TEST_POSTGRES_URL unset: not run");
    };
    let app = db.app(belportal::startup::prepare(db.config()).expect("start"));
    app.with_conn(|conn| {
        use belportal::db::clock;
        let skew = chrono::TimeDelta::hours(1);
        let skewed = move || chrono::Utc::now().naive_utc() + skew;
        let offset = clock::measure(conn, skewed)
            .expect("measure")
            .expect("a fast round trip");
        let corrected = clock::apply(skewed(), offset);
        let db_now = db_clock(conn);
        let error = (corrected - db_now).num_milliseconds().abs();
        assert!(error < 250, "corrected clock {error} ms off the database's");
        // The running node (its own clock is right here) agrees too.
        let error = (belportal::db::now() - db_clock(conn))
            .num_milliseconds()
            .abs();
        assert!(error < 250, "db::now() {error} ms off the database's");
    })
    .await;
}

fn db_clock(conn: &mut belportal::db::AnyConnection) -> chrono::NaiveDateTime {
    #[derive(QueryableByName)]
    struct T {
        #[diesel(sql_type = diesel::sql_types::Timestamp)]
        t: chrono::NaiveDateTime,
    }
    belportal::with_backend!(conn, |c| diesel::sql_query(
        "SELECT clock_timestamp() AT TIME ZONE 'UTC' AS t"
    )
    .get_result::<T>(c)
    .expect("clock")
    .t)
}

/// Every connection of a node carries its name (`BELPORTAL_NODE_NAME`).
#[actix_web::test]
async fn connections_are_named_for_the_node() {
    let Some(db) = FreshDb::new(Kind::Postgres) else {
        return eprintln!("TEST_POSTGRES_URL unset: not run");
    };
    let mut config = db.config();
    config.node.name = "web-7".into();
    let app = db.app(belportal::startup::prepare(config).expect("start"));
    assert_eq!(app.get("/v1/sections").await.status, 200);
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let name = app
        .with_conn(|conn| {
            belportal::with_backend!(conn, |c| diesel::sql_query(
                "SELECT current_setting('application_name') AS v"
            )
            .get_result::<Name>(c)
            .expect("name")
            .v)
        })
        .await;
    assert_eq!(name, "web-7");
}
