#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Caches across nodes (PostgreSQL LISTEN/NOTIFY): a write on one node is
//! visible on another within 250 ms although its response cache would keep
//! the old body for seconds, and a listener that loses its connection
//! reconnects and clears everything.

mod common;

use std::time::{Duration, Instant};

use common::{FreshDb, Kind, TestApp};
use serde_json::json;

/// Two nodes on one database with a 10 s response cache.
fn two_nodes(db: &FreshDb) -> (TestApp, TestApp) {
    let start = |name: &str| {
        let mut c = db.config();
        c.demo = true;
        c.response_cache_ms = Some(10_000);
        c.node.name = name.into();
        db.app(belportal::startup::prepare(c).expect("node starts"))
    };
    (start("node-a"), start("node-b"))
}

/// Polls `uri` on the service `$svc` until `$done` holds; the time since the
/// call. The service is built before the write, so the figure is the node's
/// staleness, not the test's setup.
macro_rules! visible_after {
    ($svc:expr, $uri:expr, $done:expr) => {{
        let started = Instant::now();
        loop {
            let req = actix_web::test::TestRequest::get().uri($uri).to_request();
            let res = actix_web::test::call_service($svc, req).await;
            let ok = res.status() == 200;
            let body = actix_web::test::read_body(res).await;
            let value: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
            if ok && ($done)(&value) {
                let took = started.elapsed();
                eprintln!("{} visible on the other node after {took:?}", $uri);
                break took;
            }
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{} never changed: {value}",
                $uri
            );
            actix_web::rt::time::sleep(Duration::from_millis(5)).await;
        }
    }};
}

#[actix_web::test]
async fn a_write_on_one_node_is_visible_on_another_within_250_ms() {
    let Some(db) = FreshDb::new(Kind::Postgres) else {
        return eprintln!("TEST_POSTGRES_URL unset: not run");
    };
    let (a, b) = two_nodes(&db);
    let key = a.key("editor").await;
    let svc_b =
        actix_web::test::init_service(belportal::build_app(b.state.clone(), b.metrics.clone()))
            .await;
    let first = b.get("/v1/articles?limit=1").await.json();
    let id = first["data"][0]["id"].as_i64().unwrap();
    let loc = format!("/v1/articles/{id}");
    // B has the item, the list total and the section tree cached.
    let total = b.get("/v1/articles?limit=1").await.json()["meta"]["total"]
        .as_i64()
        .unwrap();
    assert_eq!(b.get(&loc).await.status, 200);
    assert_eq!(b.get("/v1/sections").await.status, 200);

    let res = a
        .patch(&loc, &key, json!({"title": "Changed on node A"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let took = visible_after!(&svc_b, &loc, |v: &serde_json::Value| v["title"]
        == "Changed on node A");
    assert!(
        took < Duration::from_millis(250),
        "item stale on B for {took:?}"
    );
    assert_eq!(
        a.get(&loc).await.header("etag"),
        b.get(&loc).await.header("etag"),
        "one representation, one ETag on both nodes"
    );

    let body = json!({
        "slug": "coherent-news", "section": "culture", "title": "Coherent",
        "lead": "Both nodes agree.", "body_html": "<p>Yes.</p>",
        "publication_status": "published"
    });
    assert_eq!(a.post("/v1/articles", &key, body).await.status, 201);
    let took = visible_after!(&svc_b, "/v1/articles?limit=1", |v: &serde_json::Value| v
        ["meta"]["total"]
        == total + 1);
    assert!(
        took < Duration::from_millis(250),
        "list total stale on B for {took:?}"
    );

    let section =
        json!({"slug": "coherence", "title": "Coherence", "parent": "news", "position": 9});
    let res = a.post("/v1/sections", &key, section).await;
    assert_eq!(res.status, 201, "{}", res.text());
    let took = visible_after!(&svc_b, "/v1/sections", |v: &serde_json::Value| v
        .to_string()
        .contains("\"coherence\""));
    assert!(
        took < Duration::from_millis(250),
        "section tree stale on B for {took:?}"
    );

    // B's listener loses its connection: it reconnects and clears its caches.
    a.exec(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
         WHERE application_name = 'node-b listener'",
    )
    .await;
    let res = a
        .patch(&loc, &key, json!({"title": "Changed while B was away"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let took = visible_after!(&svc_b, &loc, |v: &serde_json::Value| v["title"]
        == "Changed while B was away");
    assert!(
        took < Duration::from_secs(2),
        "B stale for {took:?} after reconnecting"
    );
}

fn hits(app: &TestApp) -> u64 {
    app.state
        .caches
        .response_results
        .with_label_values(&["hit"])
        .get()
}

#[actix_web::test]
async fn a_write_on_one_node_drops_only_that_item_on_another() {
    let Some(db) = FreshDb::new(Kind::Postgres) else {
        return eprintln!("TEST_POSTGRES_URL unset: not run");
    };
    let (a, b) = two_nodes(&db);
    let key = a.key("editor").await;
    let svc_b =
        actix_web::test::init_service(belportal::build_app(b.state.clone(), b.metrics.clone()))
            .await;
    // Two articles that show nothing of each other: other sections, no
    // shared tag, neither related to the other.
    let list_uri = "/v1/articles?limit=100&include=related";
    let list = b.get(list_uri).await.json();
    let items = list["data"].as_array().unwrap();
    let tags = |v: &serde_json::Value| v["tags"].as_array().cloned().unwrap_or_default();
    let related = |v: &serde_json::Value| {
        v["related"]
            .as_array()
            .map(|r| r.iter().map(|x| x["id"].clone()).collect::<Vec<_>>())
            .unwrap_or_default()
    };
    let (x, y) = items
        .iter()
        .flat_map(|x| items.iter().map(move |y| (x, y)))
        .find(|(x, y)| {
            x["section"]["id"] != y["section"]["id"]
                && !tags(x).iter().any(|t| tags(y).contains(t))
                && !related(x).contains(&y["id"])
                && !related(y).contains(&x["id"])
        })
        .expect("two unrelated articles");
    let (x_item, y_item) = (
        format!("/v1/articles/{}", x["id"]),
        format!("/v1/articles/{}", y["id"]),
    );
    let x_body = b.get(&x_item).await.body;
    assert_eq!(b.get(&y_item).await.status, 200);

    let res = a
        .patch(&y_item, &key, json!({"title": "Changed on node A"}))
        .await;
    assert_eq!(res.status, 200, "{}", res.text());
    let took = visible_after!(&svc_b, &y_item, |v: &serde_json::Value| v["title"]
        == "Changed on node A");
    assert!(
        took < Duration::from_millis(250),
        "item stale on B for {took:?}"
    );
    visible_after!(&svc_b, list_uri, |v: &serde_json::Value| v
        .to_string()
        .contains("Changed on node A"));
    let before = hits(&b);
    assert_eq!(b.get(&x_item).await.body, x_body);
    assert_eq!(
        hits(&b),
        before + 1,
        "the other article is still cached on B"
    );

    // An announcement of an older node (`seq,type,id`, nothing of what the
    // write touched) drops every article on B.
    a.exec("SELECT pg_notify('belportal_changes', '1,article,1')")
        .await;
    let started = Instant::now();
    loop {
        let before = hits(&b);
        assert_eq!(b.get(&x_item).await.status, 200);
        if hits(&b) == before {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(2),
            "an older node's announcement kept the article cached on B"
        );
        actix_web::rt::time::sleep(Duration::from_millis(5)).await;
    }
}
