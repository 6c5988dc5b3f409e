#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The benchmark data generator is deterministic: the same seed gives the same rows.

use belportal::db::{self, Backend};
use belportal::demo::generate::{generate_articles, generate_places};
use diesel::prelude::*;

type Generated = (Vec<(String, String)>, Vec<(String, Option<f64>)>);

fn generated(seed: u64) -> Generated {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().join("g.db").display().to_string());
    db::run_migrations(&backend).unwrap();
    let mut conn = db::Manager::new(backend).connect().unwrap();
    assert_eq!(generate_articles(&mut conn, 120, seed).unwrap(), 120);
    assert_eq!(generate_places(&mut conn, 80, seed).unwrap(), 80);
    use belportal::db::schema::{articles, places};
    let a = articles::table
        .select((articles::slug, articles::title))
        .order(articles::id)
        .load(&mut conn)
        .unwrap();
    let p = places::table
        .select((places::slug, places::lat))
        .order(places::id)
        .load(&mut conn)
        .unwrap();
    (a, p)
}

#[test]
fn the_same_seed_generates_the_same_articles_and_places() {
    let one = generated(42);
    assert_eq!(one.0.len(), 120);
    assert_eq!(one.1.len(), 80);
    assert_eq!(one, generated(42));
    assert_ne!(one, generated(43));
}
