#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! `If-Match` follows the item's own state: writes to other items that change
//! its body (a translation added to its group, a related article) never fail
//! an editor's precondition; a change to the item itself always does. Every
//! writable resource, through HTTP.

mod common;

use actix_web::test::TestRequest;
use belportal::editorial::{stored_fields, Resource};
use belportal::resource::ResourceType;
use belportal::transfer::{with_resource, ResourceVisitor};
use serde_json::{json, Map, Value};

use common::{Resp, TestApp};

struct Fields(i64);

impl ResourceVisitor for Fields {
    type Output = Box<dyn FnOnce(&mut belportal::db::AnyConnection) -> Map<String, Value> + Send>;
    fn visit<R: Resource>(self) -> Self::Output {
        let id = self.0;
        Box::new(move |c| stored_fields::<R>(c, R::Id::from(id)).unwrap())
    }
}

async fn send_with(app: &TestApp, req: TestRequest, key: &str, if_match: Option<&str>) -> Resp {
    let mut req = req.insert_header(("Authorization", format!("Bearer {key}")));
    if let Some(e) = if_match {
        req = req.insert_header(("If-Match", e.to_string()));
    }
    app.send(req).await
}

/// PATCH `{"slug": slug}` to `path`, with `If-Match` when given.
async fn rename(
    app: &TestApp,
    key: &str,
    path: &str,
    slug: String,
    if_match: Option<&str>,
) -> Resp {
    let req = TestRequest::patch()
        .uri(path)
        .set_json(json!({ "slug": slug }));
    send_with(app, req, key, if_match).await
}

/// A new item of type `t` (a copy of a demo item's writable fields, without
/// translations), its path and its ETag.
async fn fresh_item(app: &TestApp, key: &str, t: ResourceType) -> (String, Map<String, Value>) {
    let coll = t.collection();
    let list = app.get(&format!("/v1/{coll}?limit=1")).await.json();
    let demo = list["data"][0]["id"]
        .as_i64()
        .unwrap_or_else(|| panic!("no demo {coll}"));
    let read = with_resource(t, Fields(demo));
    let mut fields = app.with_conn(read).await;
    fields.remove("translation_of");
    fields.insert("slug".into(), json!(format!("if-match-{coll}")));
    let res = app
        .post(&format!("/v1/{coll}"), key, Value::Object(fields.clone()))
        .await;
    assert_eq!(res.status, 201, "{coll}: {}", res.text());
    (res.header("location").unwrap(), fields)
}

/// Another locale of the configured three than `locale`.
fn other_locale(locale: &str) -> &'static str {
    if locale == "ru" {
        "be"
    } else {
        "ru"
    }
}

both_backends!(
    async fn unrelated_write_does_not_fail_if_match(app) {
        let key = app.key("editor").await;
        for t in ResourceType::ALL {
            let coll = t.collection();
            let (path, fields) = fresh_item(&app, &key, t).await;
            let id: i64 = path.rsplit('/').next().unwrap().parse().unwrap();
            let first = app.get_as(&path, &key).await;
            assert_eq!(first.status, 200, "{coll}");
            let etag = first.header("etag").unwrap();

            // Another item joins its translation group (an article: its
            // `related` list): its body changes, the item does not.
            let mut tr = fields.clone();
            tr.insert("slug".into(), json!(format!("if-match-{coll}-tr")));
            if t != ResourceType::Article {
                let locale = fields["locale"].as_str().unwrap_or("en").to_string();
                tr.insert("locale".into(), json!(other_locale(&locale)));
                tr.insert("translation_of".into(), json!(id));
            }
            let res = app.post(&format!("/v1/{coll}"), &key, Value::Object(tr)).await;
            assert_eq!(res.status, 201, "{coll}: {}", res.text());
            let now = app.get_as(&path, &key).await;
            assert_ne!(now.header("etag").unwrap(), etag, "{coll}: the body changed, so the ETag does");
            assert_ne!(now.body, first.body, "{coll}");

            let res = rename(&app, &key, &path, format!("if-match-{coll}-2"), Some(&etag)).await;
            assert_eq!(res.status, 200, "{coll}: {}", res.text());
        }

        // The case: a new article in the same section and tags changes `related`.
        let art = json!({"slug": "rel-a", "section": "culture", "title": "Kupalle",
                         "tags": ["kupalle"], "publication_status": "published"});
        let res = app.post("/v1/articles", &key, art).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let path = res.header("location").unwrap();
        let etag = app.get(&path).await.header("etag").unwrap();
        let other = json!({"slug": "rel-b", "section": "culture", "title": "Kupalle again",
                           "tags": ["kupalle"], "publication_status": "published"});
        assert_eq!(app.post("/v1/articles", &key, other).await.status, 201);
        let now = app.get(&path).await;
        assert!(now.text().contains("rel-b"), "related lists the new article: {}", now.text());
        assert_ne!(now.header("etag").unwrap(), etag);
        let res = send_with(&app, TestRequest::delete().uri(&path), &key, Some(&etag)).await;
        assert_eq!(res.status, 204, "{}", res.text());
    }
);

both_backends!(
    async fn own_change_fails_if_match_with_412(app) {
        let key = app.key("editor").await;
        for t in ResourceType::ALL {
            let coll = t.collection();
            let (path, _) = fresh_item(&app, &key, t).await;
            let etag = app.get_as(&path, &key).await.header("etag").unwrap();
            // Someone else changes the item itself.
            let res = app.patch(&path, &key, json!({"slug": format!("if-match-{coll}-moved")})).await;
            assert_eq!(res.status, 200, "{coll}: {}", res.text());
            let fresh = res.header("etag").unwrap();
            assert_ne!(fresh, etag, "{coll}");
            assert_eq!(app.get_as(&path, &key).await.header("etag"), Some(fresh.clone()), "{coll}");

            let stale = rename(&app, &key, &path, format!("if-match-{coll}-lost"), Some(&etag)).await;
            stale.problem(412);
            send_with(&app, TestRequest::delete().uri(&path), &key, Some(&etag))
                .await
                .problem(412);
            // The current ETag passes, and a GET revalidates with it.
            let res = rename(&app, &key, &path, format!("if-match-{coll}-3"), Some(&fresh)).await;
            assert_eq!(res.status, 200, "{coll}: {}", res.text());
            let newest = res.header("etag").unwrap();
            let again = app
                .send(TestRequest::get().uri(&path).insert_header(("If-None-Match", newest)))
                .await;
            assert_eq!(again.status, 304, "{coll}");
        }
    }
);
