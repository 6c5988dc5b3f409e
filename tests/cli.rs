#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The `belportal keys` commands, run as the real binary against a temporary SQLite file.

use std::process::Command;

use belportal::db::{Backend, Manager};
use belportal::keys;

fn belportal(db: &str, args: &[&str]) -> (bool, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_belportal"))
        .args(args)
        .env("DATABASE_URL", db)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run belportal");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn keys_create_prints_the_key_alone_on_the_last_line_and_revoke_disables_it() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = format!("sqlite://{}", dir.path().join("cli.db").display());
    let (ok, out, err) = belportal(&db, &["keys", "create", "--role", "admin", "--name", "ops"]);
    assert!(ok, "{err}");
    let key = out.lines().last().expect("output").to_string();
    assert!(key.starts_with("bp_") && !key.contains(' '), "{out}");

    let mut conn = Manager::new(Backend::from_url(&db).unwrap())
        .connect()
        .expect("connect");
    let caller = keys::authenticate(&mut conn, &key).expect("the printed key works");
    assert_eq!(caller.name, "ops");
    assert_eq!(caller.role, keys::Role::Admin);

    let (ok, out, _) = belportal(&db, &["keys", "list"]);
    assert!(ok);
    assert!(out.contains("ops") && out.contains("admin"));
    assert!(!out.contains(&key), "list never shows secrets");

    let (ok, _, _) = belportal(&db, &["keys", "revoke", &caller.key_id.to_string()]);
    assert!(ok);
    assert!(keys::authenticate(&mut conn, &key).is_err());

    let (ok, _, err) = belportal(&db, &["keys", "create", "--role", "owner", "--name", "x"]);
    assert!(!ok && err.contains("owner"), "{err}");
    let (ok, _, _) = belportal(&db, &["keys", "revoke", "999"]);
    assert!(!ok);
}
