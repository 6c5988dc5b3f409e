#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The editorial write API for articles: keys and roles, validation, sanitizing,
//! concurrency, idempotency, publication, revisions and the changes feed.

mod common;

use actix_web::test::TestRequest;
use serde_json::json;

fn article(slug: &str) -> serde_json::Value {
    json!({
        "slug": slug,
        "section": "culture",
        "title": "Slutsk sashes return to the loom",
        "lead": "Weavers revive the silk belts.",
        "body_html": "<p>Silk and <b>gold</b> thread.</p>",
        "tags": ["crafts", "slutsk"],
        "publication_status": "published"
    })
}

both_backends!(
    async fn editor_creates_updates_and_deletes_an_article(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/articles", &key, article("slutsk-sashes")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").expect("location");
        let etag = res.header("etag").expect("etag");
        let created = res.json();
        assert_eq!(created["slug"], "slutsk-sashes");
        assert_eq!(created["section"]["slug"], "culture");
        assert_eq!(created["publication_status"], "published");
        assert_eq!(created["tags"], json!(["crafts", "slutsk"]));
        let id = created["id"].as_i64().unwrap();
        assert_eq!(loc, format!("/v1/articles/{id}"));

        // The public sees it, with the same ETag as the write returned.
        let got = app.get(&loc).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.header("etag").as_deref(), Some(etag.as_str()));

        // A merge patch changes one field and keeps the rest.
        let res = app
            .send(
                TestRequest::patch()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", etag.clone()))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .set_payload(r#"{"title": "Slutsk sashes, woven again", "dateline": null}"#),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let updated = res.json();
        assert_eq!(updated["title"], "Slutsk sashes, woven again");
        assert_eq!(updated["lead"], "Weavers revive the silk belts.");
        let new_etag = res.header("etag").unwrap();
        assert_ne!(new_etag, etag);

        // The old ETag is now stale: 412 and nothing changes.
        let res = app
            .send(
                TestRequest::patch()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", etag.clone()))
                    .set_json(json!({"title": "Lost update"})),
            )
            .await;
        res.problem(412);
        assert_eq!(app.get(&loc).await.json()["title"], "Slutsk sashes, woven again");

        let res = app
            .send(
                TestRequest::delete()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", new_etag)),
            )
            .await;
        assert_eq!(res.status, 204, "{}", res.text());
        app.get(&loc).await.problem(404);

        let changes = app.get("/v1/changes").await.json();
        let mine: Vec<(String, String)> = changes["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id && c["type"] == "article")
            .map(|c| (c["action"].as_str().unwrap().to_string(), c["seq"].to_string()))
            .collect();
        assert_eq!(
            mine.iter().map(|(a, _)| a.as_str()).collect::<Vec<_>>(),
            ["created", "updated", "deleted"]
        );
    }
);

both_backends!(
    async fn writes_need_a_valid_key_and_role(app) {
        let body = article("keyless");
        let res = app
            .send(TestRequest::post().uri("/v1/articles").set_json(body.clone()))
            .await;
        res.problem(401);
        assert!(res.header("www-authenticate").is_some());
        app.post("/v1/articles", "bp_00000000_nope", body.clone())
            .await
            .problem(401);
        let editor = app.key("editor").await;
        app.get_as("/v1/admin/api-keys", &editor).await.problem(403);
        let admin = app.key("admin").await;
        let res = app
            .post("/v1/admin/api-keys", &admin, json!({"name": "night desk", "role": "editor"}))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let created = res.json();
        let new_key = created["key"].as_str().unwrap().to_string();
        assert!(new_key.len() >= 40);
        assert_eq!(
            app.post("/v1/articles", &new_key, article("night-news")).await.status,
            201
        );
        let listed = app.get_as("/v1/admin/api-keys", &admin).await.json();
        assert!(listed["data"].as_array().unwrap().iter().all(|k| k.get("key").is_none()));
        let id = created["id"].as_i64().unwrap();
        let res = app.delete(&format!("/v1/admin/api-keys/{id}"), &admin).await;
        assert_eq!(res.status, 204);
        app.post("/v1/articles", &new_key, article("after-revoke"))
            .await
            .problem(401);
    }
);

both_backends!(
    async fn bad_bodies_get_one_error_per_field(app) {
        let key = app.key("editor").await;
        let res = app
            .post(
                "/v1/articles",
                &key,
                json!({
                    "slug": "Not A Slug",
                    "section": "no-such-section",
                    "title": 5,
                    "id": 7,
                    "reading_time_minutes": 3,
                    "colour": "red",
                    "publication_status": "live",
                }),
            )
            .await;
        let p = res.problem(422);
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        for f in ["title", "id", "reading_time_minutes", "colour", "publication_status"] {
            assert!(fields.contains(&f), "{f} missing from {fields:?}");
        }
        // After the type errors are fixed, the semantic ones are named.
        let p = app
            .post("/v1/articles", &key, json!({"slug": "Not A Slug", "section": "nope"}))
            .await
            .problem(422);
        let fields: Vec<&str> = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| e["field"].as_str().unwrap())
            .collect();
        assert_eq!(fields, ["slug", "title", "section"]);
        // Duplicate slug in the same locale.
        assert_eq!(app.post("/v1/articles", &key, article("twice")).await.status, 201);
        app.post("/v1/articles", &key, article("twice")).await.problem(409);
        // Malformed JSON, wrong type, too large.
        let send = |ct: &'static str, body: Vec<u8>| {
            TestRequest::post()
                .uri("/v1/articles")
                .insert_header(("Authorization", format!("Bearer {key}")))
                .insert_header(("Content-Type", ct))
                .set_payload(body)
        };
        app.send(send("application/json", b"{\"slug\":".to_vec())).await.problem(400);
        app.send(send("text/plain", b"{}".to_vec())).await.problem(415);
        let big = format!("{{\"lead\": \"{}\"}}", "x".repeat(1_100_000));
        app.send(send("application/json", big.into_bytes())).await.problem(413);
        // Nothing half-written: the failed writes left no changes behind.
        let changes = app.get("/v1/changes").await.json();
        assert_eq!(changes["data"].as_array().unwrap().len(), 1);
    }
);

both_backends!(
    async fn html_is_sanitized_on_write(app) {
        let key = app.key("editor").await;
        let mut body = article("sanitized");
        body["body_html"] = json!(
            "<p onmouseover=\"steal()\">Hello <a href=\"javascript:alert(1)\">x</a> <a href=\"https://belarus.by\">portal</a></p><script>alert(1)</script><img src=\"https://e.org/p.jpg\" onerror=\"boom()\" alt=\"p\"><em>ok</em>"
        );
        let res = app.post("/v1/articles", &key, body).await;
        assert_eq!(res.status, 201);
        let html = res.json()["body_html"].as_str().unwrap().to_string();
        for bad in ["onmouseover", "javascript:", "<script", "onerror", "alert(1)"] {
            assert!(!html.contains(bad), "{bad} survived: {html}");
        }
        for good in ["<a href=\"https://belarus.by\"", "<img src=\"https://e.org/p.jpg\"", "<em>ok</em>"] {
            assert!(html.contains(good), "{good} lost: {html}");
        }
    }
);

both_backends!(
    async fn concurrent_patches_with_the_same_if_match_have_one_winner(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/articles", &key, article("contested")).await;
        let loc = res.header("location").unwrap();
        let etag = res.header("etag").unwrap();
        let svc = actix_web::test::init_service(belportal::build_app(
            app.state.clone(),
            app.metrics.clone(),
        ))
        .await;
        let reqs = (0..12).map(|i| {
            TestRequest::patch()
                .uri(&loc)
                .insert_header(("Authorization", format!("Bearer {key}")))
                .insert_header(("If-Match", etag.clone()))
                .set_json(json!({"title": format!("Version {i}")}))
                .to_request()
        });
        let results =
            futures_util::future::join_all(reqs.map(|r| actix_web::test::call_service(&svc, r))).await;
        let statuses: Vec<u16> = results.iter().map(|r| r.status().as_u16()).collect();
        assert_eq!(statuses.iter().filter(|s| **s == 200).count(), 1, "{statuses:?}");
        assert_eq!(statuses.iter().filter(|s| **s == 412).count(), 11, "{statuses:?}");
        let revisions = app
            .get_as(&format!("{loc}/revisions"), &key)
            .await
            .json();
        assert_eq!(revisions["meta"]["total"], 2);
    }
);

both_backends!(
    async fn idempotency_key_replays_the_first_response(app) {
        let key = app.key("editor").await;
        let send = |body: serde_json::Value| {
            TestRequest::post()
                .uri("/v1/articles")
                .insert_header(("Authorization", format!("Bearer {key}")))
                .insert_header(("Idempotency-Key", "7b0e-retry"))
                .set_json(body)
        };
        let first = app.send(send(article("once-only"))).await;
        assert_eq!(first.status, 201);
        let again = app.send(send(article("once-only"))).await;
        assert_eq!(again.status, 201);
        assert_eq!(again.body, first.body);
        assert_eq!(again.header("location"), first.header("location"));
        assert_eq!(again.header("idempotent-replayed").as_deref(), Some("true"));
        let listed = app.get_as("/v1/articles?status=any&q=slutsk", &key).await.json();
        assert_eq!(listed["meta"]["total"], 1);
        app.send(send(article("another-body"))).await.problem(422);
    }
);

both_backends!(
    async fn drafts_and_scheduled_articles_stay_private_until_due(app) {
        let key = app.key("editor").await;
        let mut draft = article("secret-draft");
        draft["publication_status"] = json!("draft");
        let res = app.post("/v1/articles", &key, draft).await;
        let id = res.json()["id"].as_i64().unwrap();
        // Scheduled for tomorrow while privacy is checked; moved to a second from
        // now below, to see it turn public.
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let mut scheduled = article("scheduled-news");
        scheduled["published_at"] = json!(tomorrow);
        let res = app.post("/v1/articles", &key, scheduled).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let sid = res.json()["id"].as_i64().unwrap();
        for uri in [
            format!("/v1/articles/{id}"),
            "/v1/articles/secret-draft".to_string(),
            format!("/v1/articles/{sid}"),
        ] {
            app.get(&uri).await.problem(404);
        }
        let list = app.get("/v1/articles?q=slutsk").await.json();
        assert_eq!(list["meta"]["total"], 0);
        let atom = app.get("/v1/articles/feed.atom").await;
        assert_eq!(atom.status, 200);
        let atom = atom.text();
        assert!(!atom.contains("secret-draft") && !atom.contains("scheduled-news"));
        // Previews need a key.
        app.get("/v1/articles?status=any").await.problem(401);
        let preview = app.get_as("/v1/articles?status=draft&q=slutsk", &key).await.json();
        assert_eq!(preview["meta"]["total"], 1);
        assert_eq!(preview["data"][0]["publication_status"], "draft");
        assert_eq!(app.get_as(&format!("/v1/articles/{id}?status=any"), &key).await.status, 200);
        // The changes feed hides drafts from anonymous readers; editors see them.
        let feed = app.get("/v1/changes").await.json();
        assert!(!feed["data"].as_array().unwrap().iter().any(|c| c["id"] == id), "{feed}");
        let feed = app.get_as("/v1/changes", &key).await.json();
        let entry = feed["data"].as_array().unwrap().iter().find(|c| c["id"] == id).unwrap().clone();
        assert_eq!(entry["slug"], "secret-draft");
        // The scheduled article turns public by itself.
        let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
        let res = app
            .patch(&format!("/v1/articles/{sid}"), &key, json!({"published_at": soon}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1000)).await;
        assert_eq!(app.get(&format!("/v1/articles/{sid}")).await.status, 200);
        // ... and the changes feed announces it once it is due, slug and all.
        let feed = app.get("/v1/changes").await.json();
        let entries: Vec<&serde_json::Value> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == sid)
            .collect();
        // Created and rescheduled while private (hidden), then announced when due.
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0]["action"], "updated");
        assert_eq!(entries[0]["slug"], "scheduled-news");
        let all = app.get_as("/v1/changes", &key).await.json();
        let seen = all["data"].as_array().unwrap().iter().filter(|c| c["id"] == sid).count();
        assert_eq!(seen, 3, "editors see the private entries too");
        let again = app.get("/v1/changes").await.json();
        assert_eq!(again["data"], feed["data"], "announced once");
    }
);

both_backends!(
    async fn changes_feed_is_gap_free_and_pages_with_next_since(app) {
        let key = app.key("editor").await;
        for i in 0..5 {
            let res = app.post("/v1/articles", &key, article(&format!("feed-{i}"))).await;
            assert_eq!(res.status, 201);
        }
        // A failed write takes no number.
        app.post("/v1/articles", &key, article("feed-0")).await.problem(409);
        app.post("/v1/articles", &key, article("feed-5")).await;
        let first = app.get("/v1/changes?limit=4").await.json();
        assert_eq!(first["meta"]["next_since"], 4);
        assert_eq!(first["meta"]["has_more"], true);
        let rest = app.get("/v1/changes?since=4&limit=4").await.json();
        let seqs: Vec<i64> = first["data"]
            .as_array()
            .unwrap()
            .iter()
            .chain(rest["data"].as_array().unwrap())
            .map(|c| c["seq"].as_i64().unwrap())
            .collect();
        assert_eq!(seqs, [1, 2, 3, 4, 5, 6]);
        app.get("/v1/changes?since=-1").await.problem(400);
    }
);

both_backends!(
    async fn list_etag_changes_when_an_item_in_it_changes(app) {
        let key = app.key("editor").await;
        let before = app.get("/v1/articles?section=culture").await;
        let first = before.json()["data"][0]["id"].as_i64().unwrap();
        let res = app
            .patch(&format!("/v1/articles/{first}"), &key, json!({"lead": "A new lead."}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let after = app.get("/v1/articles?section=culture").await;
        assert_ne!(before.header("etag"), after.header("etag"));
        assert_eq!(after.header("cache-control").as_deref(), Some("public, max-age=60"));
    }
);

both_backends!(
    async fn revisions_record_who_saved_each_version(app) {
        let key = app.key("editor").await;
        let loc = app.post("/v1/articles", &key, article("revised")).await.header("location").unwrap();
        app.patch(&loc, &key, json!({"title": "Second title"})).await;
        let res = app.get_as(&format!("{loc}/revisions"), &key).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let r = res.json();
        assert_eq!(r["meta"]["total"], 2);
        assert_eq!(r["data"][0]["number"], 2);
        assert_eq!(r["data"][0]["saved_by"], "editor desk");
        assert_eq!(r["data"][0]["article"]["title"], "Second title");
        assert_eq!(r["data"][1]["article"]["title"], "Slutsk sashes return to the loom");
        app.get(&format!("{loc}/revisions")).await.problem(401);
    }
);

both_backends!(
    async fn drafts_stay_out_of_the_article_calendar_and_rss(app) {
        let key = app.key("editor").await;
        let mut draft = article("calendar-draft");
        draft["publication_status"] = json!("draft");
        draft["published_at"] = json!("2023-05-31T09:00:00+03:00");
        assert_eq!(app.post("/v1/articles", &key, draft).await.status, 201);
        let mut archived = article("calendar-archived");
        archived["publication_status"] = json!("archived");
        archived["published_at"] = json!("2023-05-31T10:00:00+03:00");
        assert_eq!(app.post("/v1/articles", &key, archived).await.status, 201);
        let before = app.get("/v1/articles/calendar?month=2023-05").await.json();
        let day = |cal: &serde_json::Value| {
            cal["days"]
                .as_array()
                .unwrap()
                .iter()
                .find(|d| d["date"] == "2023-05-31")
                .unwrap()["count"]
                .as_i64()
                .unwrap()
        };
        let public_count = day(&before);
        let rss = app.get("/v1/articles/feed.rss").await;
        assert_eq!(rss.status, 200);
        assert!(!rss.text().contains("calendar-draft") && !rss.text().contains("calendar-archived"));
        // Publishing the draft adds it to the calendar day.
        let id = app
            .get_as("/v1/articles/calendar-draft?status=draft", &key)
            .await
            .json()["id"]
            .as_i64()
            .unwrap();
        let res = app
            .patch(&format!("/v1/articles/{id}"), &key, json!({"status": "published"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["publication_status"], "published");
        let after = app.get("/v1/articles/calendar?month=2023-05").await.json();
        assert_eq!(day(&after), public_count + 1);
    }
);

both_backends!(
    async fn translation_of_links_articles_across_locales(app) {
        let key = app.key("editor").await;
        let en = app.post("/v1/articles", &key, article("linen-harvest")).await.json();
        let en_id = en["id"].as_i64().unwrap();
        let mut ru = article("urozhai-lna");
        ru["locale"] = json!("ru");
        ru["translation_of"] = json!(en_id);
        // Sections are per locale: `culture` is the English slug; Russian has `kultura`.
        let p = app.post("/v1/articles", &key, ru.clone()).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "section");
        ru["section"] = json!("kultura");
        let res = app.post("/v1/articles", &key, ru.clone()).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let ru_id = res.json()["id"].as_i64().unwrap();
        let got = app.get(&format!("/v1/articles/{en_id}")).await.json();
        assert_eq!(got["translations"], json!([{"locale": "ru", "id": ru_id, "slug": "urozhai-lna"}]));
        // A second Russian translation of the same article is refused.
        ru["slug"] = json!("eshche-odin");
        let p = app.post("/v1/articles", &key, ru).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "translation_of");
        // An unsupported locale is named.
        let mut xx = article("klingon");
        xx["locale"] = json!("tlh");
        let p = app.post("/v1/articles", &key, xx).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "locale");
    }
);

both_backends!(
    async fn a_write_that_fails_late_leaves_nothing_behind(app) {
        // Make the last step of an article write (its revision) fail in the database.
        let sql = if app.backend.is_sqlite() {
            "CREATE TRIGGER fail_revision BEFORE INSERT ON article_revisions \
             BEGIN SELECT RAISE(ABORT, 'simulated failure'); END;"
        } else {
            "CREATE FUNCTION fail_revision() RETURNS trigger LANGUAGE plpgsql AS \
             $$ BEGIN RAISE EXCEPTION 'simulated failure'; END $$; \
             CREATE TRIGGER fail_revision BEFORE INSERT ON article_revisions \
             FOR EACH ROW EXECUTE FUNCTION fail_revision();"
        };
        app.exec(sql).await;
        let key = app.key("editor").await;
        let res = app.post("/v1/articles", &key, article("doomed")).await;
        assert_eq!(res.status, 500, "{}", res.text());
        let counts = app
            .with_conn(|c| {
                use belportal::db::schema::{article_tags, articles, changes};
                use diesel::prelude::*;
                let a: i64 = articles::table
                    .filter(articles::slug.eq("doomed"))
                    .count()
                    .get_result(c)
                    .unwrap();
                let t: i64 = article_tags::table
                    .filter(article_tags::tag.eq("slutsk"))
                    .count()
                    .get_result(c)
                    .unwrap();
                let ch: i64 = changes::table.count().get_result(c).unwrap();
                (a, t, ch)
            })
            .await;
        assert_eq!(counts, (0, 0, 0));
    }
);

both_backends!(
    async fn deleting_the_first_translation_keeps_the_rest_linked_and_new_articles_apart(app) {
        let key = app.key("editor").await;
        let a = app.post("/v1/articles", &key, article("first-of-group")).await.json();
        let a_id = a["id"].as_i64().unwrap();
        let mut b = article("vtoroi-v-gruppe");
        b["locale"] = json!("ru");
        b["section"] = json!("kultura");
        b["translation_of"] = json!(a_id);
        let b_id = app.post("/v1/articles", &key, b).await.json()["id"].as_i64().unwrap();
        let mut c = article("third-of-group");
        c["locale"] = json!("be");
        c["section"] = json!("kultura");
        assert_eq!(app.delete(&format!("/v1/articles/{a_id}"), &key).await.status, 204);
        // A new article (which SQLite may give the freed id) is not a translation of b.
        let fresh = app.post("/v1/articles", &key, article("fresh-start")).await.json();
        assert_eq!(fresh["translations"], json!([]));
        let b_now = app.get(&format!("/v1/articles/{b_id}")).await.json();
        assert_eq!(b_now["translations"], json!([]));
    }
);
