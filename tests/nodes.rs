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
