#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The `belportal` commands (keys, generate, export, import), run as the real
//! binary against temporary SQLite files.

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

fn run(
    db: &str,
    media: &std::path::Path,
    env: &[(&str, &str)],
    args: &[&str],
) -> std::process::Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_belportal"));
    cmd.args(args)
        .env("DATABASE_URL", db)
        .env("BELPORTAL_MEDIA_DIR", media)
        .env("RUST_LOG", "warn");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("run belportal")
}

#[test]
fn long_commands_draw_no_progress_when_stderr_is_not_a_terminal_and_logs_can_be_json() {
    let dir = tempfile::tempdir().expect("temp dir");
    let media = dir.path().join("media");
    let db = format!("sqlite://{}", dir.path().join("a.db").display());
    let out = run(
        &db,
        &media,
        &[],
        &["generate", "--articles", "600", "--places", "10"],
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.stderr.is_empty(),
        "no progress on a pipe: {:?}",
        String::from_utf8_lossy(&out.stderr)
    );

    let dump = dir.path().join("dump.ndjson");
    let out = run(&db, &media, &[], &["export"]);
    assert!(out.status.success());
    assert!(
        out.stderr.is_empty(),
        "{:?}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::write(&dump, &out.stdout).unwrap();

    // JSON logs: every stderr line is a JSON object (the import's summary among them).
    let other = format!("sqlite://{}", dir.path().join("b.db").display());
    let json = [("BELPORTAL_LOG_FORMAT", "json"), ("RUST_LOG", "info")];
    let out = run(&other, &media, &json, &["import", dump.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let err = String::from_utf8(out.stderr).unwrap();
    let lines: Vec<serde_json::Value> = err
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{e}: {l}")))
        .collect();
    assert!(
        lines
            .iter()
            .any(|l| l["message"] == "imported" && l["created"].as_u64() > Some(600)),
        "{err}"
    );
    assert!(!err.contains('\u{1b}'), "no colour off a terminal");

    let out = run(
        &other,
        &media,
        &[("BELPORTAL_LOG_FORMAT", "yaml")],
        &["migrate"],
    );
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("BELPORTAL_LOG_FORMAT"));
}
