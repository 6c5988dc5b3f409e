#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Migration discipline: the same versions for both backends, and every
//! migration reverts and reapplies cleanly on both.

mod common;

use std::collections::BTreeSet;

use belportal::db::{self, Backend};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};

fn versions(dir: &str) -> BTreeSet<String> {
    std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{dir}: {e}"))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect()
}

#[test]
fn both_backends_hold_the_same_migration_versions() {
    let sqlite = versions("migrations/sqlite");
    let postgres = versions("migrations/postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres);
    for v in &sqlite {
        for backend in ["sqlite", "postgres"] {
            for file in ["up.sql", "down.sql"] {
                let p = format!("migrations/{backend}/{v}/{file}");
                assert!(std::path::Path::new(&p).is_file(), "{p} is missing");
            }
        }
    }
}

fn round_trip(backend: &Backend) {
    let applied = db::run_migrations(backend).expect("apply");
    assert!(applied > 0);
    let reverted = db::revert_all_migrations(backend).expect("revert");
    assert_eq!(reverted, applied);
    let again = db::run_migrations(backend).expect("reapply");
    assert_eq!(again, applied);
    assert_eq!(db::run_migrations(backend).expect("idempotent"), 0);
}

#[test]
fn sqlite_migrations_revert_and_reapply() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Backend::Sqlite(dir.path().join("m.db").display().to_string());
    round_trip(&backend);
}

#[test]
fn postgres_migrations_revert_and_reapply() {
    let Some(admin) = common::postgres_url() else {
        eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run");
        return;
    };
    let name = format!("bp_mig_{}", uuid::Uuid::new_v4().simple());
    let mut conn = PgConnection::establish(&admin).expect("PostgreSQL reachable");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let mut url = url::Url::parse(&admin).unwrap();
    url.set_path(&format!("/{name}"));
    let result = std::panic::catch_unwind(|| round_trip(&Backend::Postgres(url.to_string())));
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .unwrap();
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}
