#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! NDJSON export and import: exact round trips, all-or-nothing imports with a
//! report that names line and field, upserts, and the CLI backup and restore.

mod common;

use actix_web::test::TestRequest;
use common::{Kind, Resp, TestApp};
use serde_json::{json, Value};

async fn export(app: &TestApp, key: &str) -> String {
    let res = app.get_as("/v1/admin/export", key).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/x-ndjson")
    );
    res.text()
}

async fn import(app: &TestApp, key: &str, body: impl Into<String>) -> Resp {
    app.send(
        TestRequest::post()
            .uri("/v1/admin/import")
            .insert_header(("Authorization", format!("Bearer {key}")))
            .insert_header(("Content-Type", "application/x-ndjson"))
            .set_payload(body.into()),
    )
    .await
}

async fn empty_twin(app: &TestApp) -> TestApp {
    let kind = if app.backend.is_sqlite() {
        Kind::Sqlite
    } else {
        Kind::Postgres
    };
    TestApp::empty(kind).await.expect("second database")
}

/// Equal exports, or the first line that differs.
fn assert_same(a: &str, b: &str) {
    for (i, (x, y)) in a.lines().zip(b.lines()).enumerate() {
        if x != y {
            let at = x.bytes().zip(y.bytes()).take_while(|(p, q)| p == q).count();
            let from = at.saturating_sub(80);
            let show = |s: &str| {
                String::from_utf8_lossy(&s.as_bytes()[from..(at + 80).min(s.len())]).into_owned()
            };
            panic!(
                "line {} differs at byte {at}:\n  {}\n  {}",
                i + 1,
                show(x),
                show(y)
            );
        }
    }
    assert_eq!(a.lines().count(), b.lines().count(), "line counts");
    assert_eq!(a, b);
}

fn lines(ndjson: &str) -> Vec<Value> {
    ndjson
        .lines()
        .map(|l| serde_json::from_str(l).expect("each line is JSON"))
        .collect()
}

/// Copies every stored media file of `from` into `to`'s media directory (the
/// file half of a backup).
fn copy_media_files(from: &TestApp, to: &TestApp) -> usize {
    let (src, dst) = (&from.state.config.media_dir, &to.state.config.media_dir);
    std::fs::create_dir_all(dst).unwrap();
    let mut n = 0;
    for entry in std::fs::read_dir(src).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dst.join(path.file_name().unwrap())).unwrap();
        n += 1;
    }
    n
}

// The full demo, images included: media lines first, content referring to them.
mod export_then_import_into_an_empty_database_round_trips_exactly {
    use super::*;

    #[actix_web::test]
    async fn on_sqlite() {
        run(TestApp::new(Kind::Sqlite).await.expect("sqlite")).await;
    }

    #[actix_web::test]
    async fn on_postgres() {
        if let Some(app) = TestApp::new(Kind::Postgres).await {
            run(app).await;
        }
    }

    async fn run(app: TestApp) {
        let admin = app.key("admin").await;
        // Content the demo lacks: a draft translation, a subsection, a scheduled event.
        // An English article without a Belarusian version yet.
        let list = app
            .get("/v1/articles?limit=50&include=translations")
            .await
            .json();
        let en = list["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|a| a["translations"].as_array().unwrap().is_empty())
            .unwrap()
            .clone();
        // The demo has `naviny` (be News); add a subsection under it.
        let res = app
            .post(
                "/v1/sections",
                &admin,
                json!({"slug": "padzei", "locale": "be", "title": "Падзеі",
                       "parent": "naviny"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = app
            .post(
                "/v1/articles",
                &admin,
                json!({"slug": "pierakad", "locale": "be", "section": "padzei",
                       "title": "Пераклад", "translation_of": en["id"],
                       "publication_status": "draft"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let res = app
            .post(
                "/v1/sections",
                &admin,
                json!({"slug": "sport-results", "parent": "news", "title": "Results"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());

        let first = export(&app, &admin).await;
        let items = lines(&first);
        let types: Vec<&str> = items.iter().map(|l| l["type"].as_str().unwrap()).collect();
        for t in [
            "section",
            "article",
            "tourist_site",
            "unesco_site",
            "sanatorium",
            "monument",
            "souvenir",
            "event",
        ] {
            assert!(types.contains(&t), "{t} exported");
        }
        assert_eq!(types[0], "media", "media metadata first");
        let first_section = types.iter().position(|t| *t == "section").unwrap();
        assert!(types[..first_section].iter().all(|t| *t == "media"));
        let media_line = &items[0];
        for field in ["id", "file_name", "mime", "width", "height", "bytes", "alt"] {
            assert!(!media_line[field].is_null(), "{field} in {media_line}");
        }
        assert!(!media_line["variants"].as_array().unwrap().is_empty());
        let with_image = items
            .iter()
            .find(|l| l["type"] == "article" && l["image"]["media"].is_i64())
            .expect("an article showing a library image");
        let translated = items.iter().find(|l| l["slug"] == "pierakad").unwrap();
        assert_eq!(translated["translation_of"]["slug"], en["slug"]);
        assert_eq!(translated["publication_status"], "draft");
        assert!(translated["created_at"].is_string() && translated.get("id").is_none());

        let target = empty_twin(&app).await;
        let admin2 = target.key("admin").await;
        assert!(copy_media_files(&app, &target) > 0);
        let res = import(&target, &admin2, first.clone()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let report = res.json();
        // The reference sections exist in every database: they are updated.
        let n = report["created"].as_u64().unwrap() + report["updated"].as_u64().unwrap();
        assert_eq!(n as usize, items.len());
        assert_eq!(report["errors"], json!([]));

        let second = export(&target, &admin2).await;
        assert_same(&first, &second);

        // The translation re-linked, and the import is in the changes feed.
        let be = target
            .get_as("/v1/articles/pierakad?status=any&lang=be", &admin2)
            .await
            .json();
        assert!(be["translations"]
            .to_string()
            .contains(en["slug"].as_str().unwrap()));
        let feed = target
            .get_as("/v1/changes?limit=1000", &admin2)
            .await
            .json();
        // Media are not in the changes feed.
        assert_eq!(
            feed["data"].as_array().unwrap().len(),
            items.len() - first_section
        );
        // A restored image resolves, with the same variants as the source.
        let slug = with_image["slug"].as_str().unwrap();
        let lang = with_image["locale"].as_str().unwrap_or("en");
        let path = format!("/v1/articles/{slug}?status=any&lang={lang}");
        let src = app.get_as(&path, &admin).await.json();
        let dst = target.get_as(&path, &admin2).await.json();
        assert_eq!(src["image"], dst["image"]);
        let url = dst["image"]["url"].as_str().unwrap();
        let file = target.get(url).await;
        assert_eq!(file.status, 200, "{url}");
        assert_eq!(file.body, app.get(url).await.body);
        // The search index was rebuilt with the import.
        let q = "/v1/search?q=minsk";
        let total = app.get(q).await.json()["meta"]["total"].clone();
        assert!(total.as_u64().unwrap() > 0, "{total}");
        assert_eq!(total, target.get(q).await.json()["meta"]["total"]);
        // The restored item is in use: it cannot be deleted.
        let media_id = dst["image"]["media"].as_i64().unwrap();
        let res = target
            .delete(&format!("/v1/media/{media_id}"), &admin2)
            .await;
        assert_eq!(res.status, 409, "{}", res.text());
        let be = target.get("/v1/sections/naviny?lang=be").await.json();
        assert!(be["translations"].to_string().contains("news"), "{be}");
    }
}

both_backends!(
    async fn one_bad_line_writes_nothing_and_the_report_names_line_and_field(app) {
        let admin = app.key("admin").await;
        let before = app.get_as("/v1/changes?limit=1000", &admin).await.json();
        let body = [
            json!({"type": "section", "slug": "imported", "title": "Imported"}).to_string(),
            json!({"type": "article", "slug": "imported-one", "section": "imported",
                   "title": "One", "publication_status": "published"}).to_string(),
            String::new(),
            json!({"type": "article", "slug": "imported-two", "section": "imported",
                   "title": " "}).to_string(),
            "{not json".to_string(),
            json!({"type": "planet", "slug": "mars"}).to_string(),
            json!({"type": "event", "slug": "x", "id": 4}).to_string(),
        ]
        .join("\n");
        let res = import(&app, &admin, body).await;
        let report = res.problem(422);
        assert_eq!(report["created"], 0);
        let errors = report["errors"].as_array().unwrap();
        let has = |line: u64, field: &str| {
            errors.iter().any(|e| e["line"] == line && e["field"] == field)
        };
        assert!(has(4, "title"), "{errors:?}");
        assert!(has(5, "body"), "{errors:?}");
        assert!(has(6, "type"), "{errors:?}");
        assert!(has(7, "id"), "{errors:?}");
        assert!(!has(1, "slug") && !has(2, "title"));
        // The type names, in export order, are part of the contract.
        let type_error = errors.iter().find(|e| e["line"] == 6).unwrap();
        assert_eq!(
            type_error["message"],
            "must be one of media, section, article, tourist_site, unesco_site, sanatorium, \
             monument, souvenir, event"
        );

        let leaked = app.get("/v1/articles/imported-one").await;
        assert_eq!(leaked.status, 404, "{report} {}", leaked.text());
        assert_eq!(app.get("/v1/sections/imported").await.status, 404);
        let after = app.get_as("/v1/changes?limit=1000", &admin).await.json();
        assert_eq!(before["data"], after["data"], "nothing reached the changes feed");
    }
);

both_backends!(
    async fn media_lines_renumber_references_and_need_their_files(app) {
        let admin = app.key("admin").await;
        let dump = lines(&export(&app, &admin).await);
        let article = dump
            .iter()
            .find(|l| l["type"] == "article" && l["image"]["media"].is_i64())
            .unwrap()
            .clone();
        let used = article["image"]["media"].as_i64().unwrap();
        let media_line = |id: i64| {
            dump.iter()
                .find(|l| l["type"] == "media" && l["id"] == id)
                .unwrap()
                .clone()
        };
        let other = dump
            .iter()
            .find(|l| l["type"] == "media" && l["id"] != used)
            .unwrap()
            .clone();
        let target = empty_twin(&app).await;
        let admin2 = target.key("admin").await;
        let body = |ls: &[&Value]| {
            ls.iter()
                .map(|l| l.to_string())
                .collect::<Vec<_>>()
                .join("\n")
        };

        // Without the files, nothing is written and the line names the file.
        let res = import(&target, &admin2, body(&[&media_line(used), &article])).await;
        let report = res.problem(422);
        let errors = report["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["line"] == 1 && e["field"] == "file_name"),
            "{errors:?}"
        );
        assert_eq!(target.get_as("/v1/media", &admin2).await.json()["meta"]["total"], 0);

        // With the files: an item already stored shifts the ids by one, and the
        // article's reference follows its media line.
        copy_media_files(&app, &target);
        let res = import(&target, &admin2, body(&[&other])).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["created"], 1);
        let res = import(&target, &admin2, body(&[&media_line(used), &article])).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["created"], 2);
        let listed = target.get_as("/v1/media?limit=10", &admin2).await.json();
        let new_id = listed["data"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["url"] == format!("/media/{}", media_line(used)["file_name"].as_str().unwrap()))
            .unwrap()["id"]
            .as_i64()
            .unwrap();
        let slug = article["slug"].as_str().unwrap();
        let lang = article["locale"].as_str().unwrap_or("en");
        let got = target
            .get_as(&format!("/v1/articles/{slug}?status=any&lang={lang}"), &admin2)
            .await
            .json();
        assert_eq!(got["image"]["media"], new_id, "{got}");
        assert_eq!(got["image"]["width"], media_line(used)["width"]);
        let res = target.delete(&format!("/v1/media/{new_id}"), &admin2).await;
        assert_eq!(res.status, 409, "{}", res.text());

        // Importing the same media line again updates the item it matched.
        let mut retitled = media_line(used);
        retitled["alt"] = json!("New alternative text");
        let res = import(&target, &admin2, body(&[&retitled])).await;
        assert_eq!(res.json()["updated"], 1, "{}", res.text());
        let item = target.get_as(&format!("/v1/media/{new_id}"), &admin2).await.json();
        assert_eq!(item["alt"], "New alternative text");

        // A malformed media line names each bad field.
        let bad = json!({"type": "media", "id": 7, "file_name": "../../etc/passwd.jpg",
                         "mime": "image/gif", "width": 0, "height": 10, "bytes": 5,
                         "alt": "x".repeat(600), "colour": "red"});
        let report = import(&target, &admin2, bad.to_string()).await.problem(422);
        let errors = report["errors"].as_array().unwrap();
        assert!(errors.iter().any(|e| e["field"] == "colour"), "{errors:?}");
        let bad = json!({"type": "media", "id": 7, "file_name": "../../etc/passwd.jpg",
                         "mime": "image/gif", "width": 0, "height": 10, "bytes": 5,
                         "alt": "x".repeat(600)});
        let report = import(&target, &admin2, bad.to_string()).await.problem(422);
        let errors = report["errors"].as_array().unwrap();
        for field in ["file_name", "mime", "width", "alt"] {
            assert!(
                errors.iter().any(|e| e["line"] == 1 && e["field"] == field),
                "{field}: {errors:?}"
            );
        }
        assert_eq!(target.get_as("/v1/media", &admin2).await.json()["meta"]["total"], 2);
    }
);

both_backends!(
    async fn import_upserts_by_type_locale_and_slug(app) {
        let admin = app.key("admin").await;
        let dump = export(&app, &admin).await;
        let mut article = lines(&dump)
            .into_iter()
            .find(|l| l["type"] == "article" && l["publication_status"] == "published")
            .unwrap();
        article["title"] = json!("Retitled by import");
        let slug = article["slug"].as_str().unwrap().to_string();
        let res = import(&app, &admin, article.to_string()).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["updated"], 1);
        assert_eq!(res.json()["created"], 0);
        let got = app.get(&format!("/v1/articles/{slug}")).await.json();
        assert_eq!(got["title"], "Retitled by import");
        let feed = app.get_as("/v1/changes?limit=1000", &admin).await.json();
        let last = feed["data"].as_array().unwrap().last().unwrap().clone();
        assert_eq!(last["action"], "updated");
        assert_eq!(last["slug"], slug);
    }
);

both_backends!(
    async fn export_and_import_need_an_admin_key_and_ndjson(app) {
        let editor = app.key("editor").await;
        app.get("/v1/admin/export").await.problem(401);
        app.get_as("/v1/admin/export", &editor).await.problem(403);
        import(&app, &editor, "").await.problem(403);
        let admin = app.key("admin").await;
        let res = app
            .post("/v1/admin/import", &admin, json!({"type": "section"}))
            .await;
        res.problem(415);
        let res = import(&app, &admin, "").await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json()["created"], 0);
    }
);

#[test]
fn cli_export_and_import_restore_a_backup() {
    use std::process::{Command, Stdio};
    let run = |db: &str, args: &[&str], stdin: Option<&str>| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_belportal"));
        cmd.args(args)
            .env("DATABASE_URL", db)
            .env("BELPORTAL_DEMO", "false")
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        if let Some(path) = stdin {
            cmd.stdin(std::fs::File::open(path).unwrap());
        }
        let out = cmd.output().expect("run belportal");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).into_owned(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    };
    let dir = tempfile::tempdir().unwrap();
    let source = format!("sqlite://{}", dir.path().join("a.db").display());
    let restored = format!("sqlite://{}", dir.path().join("b.db").display());
    let (ok, _, err) = run(
        &source,
        &["generate", "--articles", "50", "--places", "20"],
        None,
    );
    assert!(ok, "{err}");
    let (ok, backup, err) = run(&source, &["export"], None);
    assert!(ok, "{err}");
    assert!(backup.lines().count() >= 70, "{backup}");
    let file = dir.path().join("backup.ndjson");
    std::fs::write(&file, &backup).unwrap();
    let (ok, report, err) = run(&restored, &["import", file.to_str().unwrap()], None);
    assert!(ok, "{err}");
    let report: Value = serde_json::from_str(&report).unwrap();
    let n = report["created"].as_u64().unwrap() + report["updated"].as_u64().unwrap();
    assert_eq!(n as usize, backup.lines().count());
    let (ok, again, _) = run(&restored, &["export"], None);
    assert!(ok);
    assert_same(&backup, &again);

    // A bad file fails the command and names the line.
    std::fs::write(&file, "{\"type\": \"article\", \"slug\": \"x\"}\n").unwrap();
    let (ok, report, _) = run(&restored, &["import", "-"], Some(file.to_str().unwrap()));
    assert!(!ok);
    assert!(report.contains("\"line\": 1"), "{report}");
}

/// Every feed entry after `since`, following `next_since`.
async fn feed_after(app: &TestApp, key: &str, mut since: i64) -> Vec<Value> {
    let mut all = Vec::new();
    loop {
        let page = app
            .get_as(&format!("/v1/changes?since={since}&limit=1000"), key)
            .await
            .json();
        all.extend(page["data"].as_array().unwrap().iter().cloned());
        since = page["meta"]["next_since"].as_i64().unwrap();
        if page["meta"]["has_more"] != true {
            return all;
        }
    }
}

both_backends!(
    // The hook below points at a loopback address.
    config = |c| c.webhook_allow_private = true,
    // An import writes feed entries, media usage and pending publications a
    // chunk of lines at a time and search documents after the last line: all
    // of them must come out as the write API's per-item path leaves them.
    async fn an_import_of_several_chunks_keeps_feed_usage_schedules_and_search_current(app) {
        let admin = app.key("admin").await;
        let media = app.get_as("/v1/media?limit=1", &admin).await.json();
        let mid = media["data"][0]["id"].as_i64().expect("the demo has media");
        let res = app
            .post(
                "/v1/admin/webhooks",
                &admin,
                json!({"url": "https://receiver.example.org/hook", "secret": "correct horse battery staple",
                       "events": ["published"]}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let hook = res.json()["id"].as_i64().unwrap();
        let since = feed_after(&app, &admin, 0)
            .await
            .last()
            .map_or(0, |e| e["seq"].as_i64().unwrap());

        const N: usize = 2_300; // more than two chunks of the import's deferred writes
        let due = chrono::Utc::now() + chrono::Duration::seconds(2);
        let mut body = vec![json!({"type": "section", "slug": "bulk", "title": "Bulk"})];
        for i in 0..N {
            let mut a = json!({"type": "article", "slug": format!("bulk-{i}"), "section": "bulk",
                               "title": format!("Bulk {i}"), "body_html": format!("<p>zorbl{i}</p>"),
                               "publication_status": "published"});
            if i == 1_500 {
                a["image"] = json!({"media": mid});
            }
            if i == 7 {
                a["published_at"] = json!(due.to_rfc3339());
            }
            body.push(a);
        }
        // Saved again two chunks later: the later line wins everywhere.
        body.push(json!({"type": "article", "slug": "bulk-3", "section": "bulk",
                         "title": "Bulk three again", "body_html": "<p>qwyx3</p>",
                         "publication_status": "published", "image": {"media": mid}}));
        let ndjson = body.iter().map(Value::to_string).collect::<Vec<_>>().join("\n");
        let res = import(&app, &admin, ndjson).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["created"], (N + 1) as u64);
        assert_eq!(res.json()["updated"], 1);

        // Once the scheduled article is due, the feed reads the import gap-free
        // and in line order, then that article's publication.
        while chrono::Utc::now() <= due {
            actix_web::rt::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let feed = feed_after(&app, &admin, since).await;
        assert_eq!(feed.len(), body.len() + 1);
        for (k, e) in feed.iter().enumerate() {
            assert_eq!(e["seq"].as_i64().unwrap(), since + 1 + k as i64, "{e}");
        }
        let slugs: Vec<&str> = feed.iter().map(|e| e["slug"].as_str().unwrap_or("")).collect();
        assert_eq!(&slugs[..3], ["bulk", "bulk-0", "bulk-1"]);
        assert_eq!(feed[body.len() - 1]["slug"], "bulk-3");
        assert_eq!(feed[body.len() - 1]["action"], "updated");
        assert_eq!(feed[body.len()]["slug"], "bulk-7");
        assert_eq!(feed[body.len()]["action"], "updated");
        // One `published` delivery per item that turned public, with its feed number.
        let log = app
            .get_as(&format!("/v1/admin/webhooks/{hook}/deliveries?limit=100"), &admin)
            .await
            .json();
        assert_eq!(log["meta"]["total"], (N + 1) as u64, "{}", log["meta"]);
        let newest = &log["data"][0];
        assert_eq!(newest["item_id"], feed[body.len()]["id"]);
        assert_eq!(newest["seq"], feed[body.len()]["seq"]);
        let imported = log["data"][1].clone();
        let entry = feed.iter().find(|e| e["seq"] == imported["seq"]).unwrap();
        assert_eq!((&entry["id"], &entry["action"]), (&imported["item_id"], &json!("created")));
        // The counter went on from the import's last number.
        let res = app.post("/v1/sections", &admin, json!({"slug": "after-bulk", "title": "After"})).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let next = feed_after(&app, &admin, since + feed.len() as i64).await;
        assert_eq!(next.len(), 1);
        assert_eq!(next[0]["slug"], "after-bulk");

        // Search documents of every chunk, the repeated item's from its last line.
        for (q, slug) in [("zorbl0", "bulk-0"), ("zorbl1999", "bulk-1999"), ("zorbl2299", "bulk-2299"),
                          ("qwyx3", "bulk-3")] {
            let hits = app.get(&format!("/v1/search?q={q}")).await.json();
            assert_eq!(hits["data"].as_array().unwrap().len(), 1, "{q}: {hits}");
            assert_eq!(hits["data"][0]["slug"], slug);
        }
        let stale = app.get("/v1/search?q=zorbl3").await.json();
        assert_eq!(stale["data"], json!([]), "bulk-3 was re-imported without it");

        // Media usage of both chunks, so the item cannot be deleted.
        let p = app.delete(&format!("/v1/media/{mid}"), &admin).await.problem(409);
        let users = p["used_by"].to_string();
        assert!(users.contains("\"bulk-1500\"") && users.contains("\"bulk-3\""), "{users}");

    }
);
