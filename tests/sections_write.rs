#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The editorial write API for sections: the tree per locale, cycles, deletes
//! guarded by the content that uses a section, and the changes feed.

mod common;

use actix_web::test::TestRequest;
use serde_json::{json, Value};

fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect()
}

async fn section_id(app: &common::TestApp, slug: &str) -> i64 {
    let res = app.get(&format!("/v1/sections/{slug}")).await;
    assert_eq!(res.status, 200, "{slug}: {}", res.text());
    res.json()["id"].as_i64().unwrap()
}

fn slugs(list: &Value) -> Vec<String> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["slug"].as_str().unwrap().to_string())
        .collect()
}

both_backends!(
    async fn a_subsection_of_news_takes_articles_listed_under_news(app) {
        let key = app.key("editor").await;
        let res = app
            .post(
                "/v1/sections",
                &key,
                json!({
                    "slug": "regional-news",
                    "title": "Regional news",
                    "description": "News from the six regions.",
                    "parent": "news",
                    "position": 9
                }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let etag = res.header("etag").unwrap();
        let created = res.json();
        let id = created["id"].as_i64().unwrap();
        assert_eq!(loc, format!("/v1/sections/{id}"));
        assert_eq!(created["locale"], "en");
        assert_eq!(created["parent"]["slug"], "news");
        assert_eq!(created["position"], 9);
        assert_eq!(created["children"], json!([]));

        // GET sends the same bytes and ETag; the parent lists its new child.
        let got = app.get(&loc).await;
        assert_eq!(got.header("etag"), Some(etag.clone()));
        assert_eq!(got.body, res.body);
        let news = app.get("/v1/sections/news").await.json();
        assert!(news["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == "regional-news"));

        // An article posted into it shows up under `news`.
        let res = app
            .post(
                "/v1/articles",
                &key,
                json!({
                    "slug": "grodno-bridge-reopens",
                    "section": "regional-news",
                    "title": "Grodno's old bridge reopens",
                    "body_html": "<p>After two years of repairs.</p>",
                    "publication_status": "published"
                }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["section"]["slug"], "regional-news");
        let under_news = app.get("/v1/articles?section=news&limit=100").await.json();
        assert!(
            slugs(&under_news).contains(&"grodno-bridge-reopens".to_string()),
            "{under_news}"
        );
        let own = app.get("/v1/articles?section=regional-news").await.json();
        assert_eq!(slugs(&own), ["grodno-bridge-reopens"]);

        // A merge patch keeps the other fields; a stale If-Match is a 412.
        let res = app
            .send(
                TestRequest::patch()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", etag.clone()))
                    .insert_header(("Content-Type", "application/merge-patch+json"))
                    .set_payload(r#"{"title": "Regions"}"#),
            )
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let updated = res.json();
        assert_eq!(updated["title"], "Regions");
        assert_eq!(updated["description"], "News from the six regions.");
        assert_eq!(updated["parent"]["slug"], "news");
        assert_eq!(updated["position"], 9);
        let res = app
            .send(
                TestRequest::patch()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", etag))
                    .set_json(json!({"title": "Lost update"})),
            )
            .await;
        res.problem(412);
        assert_eq!(app.get(&loc).await.json()["title"], "Regions");

        let changes = app.get("/v1/changes").await.json();
        let mine: Vec<&str> = changes["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "section" && c["id"] == id)
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(mine, ["created", "updated"]);
    }
);

both_backends!(
    async fn a_section_cannot_become_its_own_ancestor(app) {
        let key = app.key("editor").await;
        let news = section_id(&app, "news").await;
        let politics = section_id(&app, "politics").await;
        let res = app
            .post(
                "/v1/sections",
                &key,
                json!({"slug": "diplomacy", "title": "Diplomacy", "parent": "politics"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());

        // Itself, a child, a grandchild: each a 422 on `parent`.
        for (id, parent) in [(politics, "politics"), (news, "politics"), (news, "diplomacy")] {
            let p = app
                .patch(&format!("/v1/sections/{id}"), &key, json!({"parent": parent}))
                .await
                .problem(422);
            assert_eq!(fields(&p), ["parent"], "{id} under {parent}");
        }
        assert!(app.get("/v1/sections/news").await.json()["parent"].is_null());

        // Unknown parents and missing titles are named too.
        let p = app
            .post("/v1/sections", &key, json!({"slug": "lost", "parent": "nowhere"}))
            .await
            .problem(422);
        assert_eq!(fields(&p), ["title", "parent"]);
        let p = app
            .post("/v1/sections", &key, json!({"slug": "lost", "title": "Lost", "children": []}))
            .await
            .problem(422);
        assert_eq!(fields(&p), ["children"]);
        app.post("/v1/sections", &key, json!({"slug": "politics", "title": "Again"}))
            .await
            .problem(409);

        // A legal move: politics to the top level, then back under news.
        let res = app
            .patch(&format!("/v1/sections/{politics}"), &key, json!({"parent": null}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.json()["parent"].is_null());
        let roots = app.get("/v1/sections?parent=root&limit=100").await.json();
        assert!(slugs(&roots).contains(&"politics".to_string()));
        let res = app
            .patch(&format!("/v1/sections/{politics}"), &key, json!({"parent": "news"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["children"][0]["slug"], "diplomacy");
    }
);

both_backends!(
    async fn deleting_a_section_in_use_is_409_and_removes_nothing(app) {
        let key = app.key("editor").await;
        let culture = section_id(&app, "culture").await;
        let before = app.get("/v1/articles?section=culture").await.json();
        let n = before["meta"]["total"].as_i64().unwrap();
        assert!(n > 0);
        let p = app
            .delete(&format!("/v1/sections/{culture}"), &key)
            .await
            .problem(409);
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains(&format!("{n} article")), "{detail}");
        let news = section_id(&app, "news").await;
        let p = app.delete(&format!("/v1/sections/{news}"), &key).await.problem(409);
        let detail = p["detail"].as_str().unwrap();
        assert!(detail.contains("subsection"), "{detail}");

        assert_eq!(app.get(&format!("/v1/sections/{culture}")).await.status, 200);
        assert_eq!(app.get("/v1/sections/news").await.status, 200);
        let after = app.get("/v1/articles?section=culture").await.json();
        assert_eq!(after["meta"]["total"], n);
        let changes = app.get("/v1/changes").await.json();
        assert_eq!(changes["data"].as_array().unwrap().len(), 0);
    }
);

both_backends!(
    async fn deleting_an_empty_section_removes_it(app) {
        let key = app.key("editor").await;
        let res = app
            .post(
                "/v1/sections",
                &key,
                json!({"slug": "temporary-desk", "title": "Temporary desk", "parent": "news"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let id = res.json()["id"].as_i64().unwrap();
        let listed = app.get("/v1/sections?limit=100").await.json();
        assert!(slugs(&listed).contains(&"temporary-desk".to_string()));

        let res = app.delete(&loc, &key).await;
        assert_eq!(res.status, 204, "{}", res.text());
        app.get(&loc).await.problem(404);
        app.get("/v1/sections/temporary-desk").await.problem(404);
        let listed = app.get("/v1/sections?limit=100").await.json();
        assert!(!slugs(&listed).contains(&"temporary-desk".to_string()));
        let news = app.get("/v1/sections/news").await.json();
        assert!(!news["children"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["slug"] == "temporary-desk"));
        app.delete(&loc, &key).await.problem(404);

        let changes = app.get("/v1/changes").await.json();
        let mine: Vec<&str> = changes["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["type"] == "section" && c["id"] == id)
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(mine, ["created", "deleted"]);
    }
);

both_backends!(
    async fn translation_of_links_sections_across_locales(app) {
        let key = app.key("editor").await;
        let res = app
            .post("/v1/sections", &key, json!({"slug": "travel-notes", "title": "Travel notes"}))
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let news = res.json()["id"].as_i64().unwrap();
        let res = app
            .post(
                "/v1/sections",
                &key,
                json!({"slug": "padarozhnyia-notatki", "locale": "be", "title": "Падарожныя нататкі", "translation_of": news}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let be = res.json();
        assert_eq!(be["translations"][0]["id"], news);
        let en = app.get("/v1/sections/travel-notes").await.json();
        assert_eq!(en["translations"][0]["slug"], "padarozhnyia-notatki");
        // A `be` subsection must name a `be` parent.
        let p = app
            .post(
                "/v1/sections",
                &key,
                json!({"slug": "dalekiia-shliakhi", "locale": "be", "title": "Далёкія шляхі", "parent": "politics"}),
            )
            .await
            .problem(422);
        assert_eq!(fields(&p), ["parent"]);
        let res = app
            .post(
                "/v1/sections",
                &key,
                json!({"slug": "dalekiia-shliakhi", "locale": "be", "title": "Далёкія шляхі", "parent": "padarozhnyia-notatki"}),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        // A section with subsections keeps its locale.
        let p = app
            .patch(&format!("/v1/sections/{}", be["id"]), &key, json!({"locale": "ru"}))
            .await
            .problem(422);
        assert_eq!(fields(&p), ["locale"]);
    }
);
