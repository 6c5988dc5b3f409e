//! Targeted invalidation of the response cache: a write drops only what it can
//! change, and every view that shows the written item is fresh after it.
mod common;

use common::TestApp;
use serde_json::{json, Value};

fn cache_hits(app: &TestApp) -> u64 {
    app.state
        .caches
        .response_results
        .with_label_values(&["hit"])
        .get()
}

fn first_id(list: &Value) -> i64 {
    list["data"][0]["id"].as_i64().expect("an item id")
}

both_backends!(
    config = |c| c.response_cache_ms = 60_000,
    async fn an_event_write_keeps_cached_articles_and_refreshes_every_event_view(app) {
        let key = app.key("editor").await;
        let events = app.get("/v1/events").await.json();
        let id = first_id(&events);
        let item = format!("/v1/events/{id}");
        let views = [
            "/v1/events".to_string(),
            item.clone(),
            "/v1/events.ics".to_string(),
            "/v1/search?q=zubrovich".to_string(),
        ];
        let articles = app.get("/v1/articles").await;
        for v in &views {
            assert_eq!(app.get(v).await.status, 200, "{v}");
        }
        let res = app.patch(&item, &key, json!({"title": "Zubrovich gathering"})).await;
        assert_eq!(res.status, 200, "{}", res.text());

        let hits = cache_hits(&app);
        let again = app.get("/v1/articles").await;
        assert_eq!(cache_hits(&app), hits + 1, "the article list stays cached");
        assert_eq!(again.body, articles.body);
        for v in &views {
            let r = app.get(v).await;
            assert!(r.text().contains("Zubrovich gathering"), "{v} is fresh: {}", r.text());
        }
    }
);

both_backends!(
    config = |c| c.response_cache_ms = 60_000,
    async fn a_place_write_refreshes_nearby_and_keeps_other_kinds(app) {
        let key = app.key("editor").await;
        let monuments = app.get("/v1/monuments").await.json();
        let id = first_id(&monuments);
        let m = app.get(&format!("/v1/monuments/{id}")).await.json();
        let lat = m["location"]["lat"].as_f64().expect("lat");
        let lon = m["location"]["lon"].as_f64().expect("lon");
        let nearby = format!("/v1/nearby?lat={lat}&lon={lon}&radius_km=5");
        assert_eq!(app.get(&nearby).await.status, 200);
        let sites = app.get("/v1/tourist-sites").await;
        let res = app
            .patch(&format!("/v1/monuments/{id}"), &key, json!({"name": "Zubrovich stone"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let hits = cache_hits(&app);
        assert_eq!(app.get("/v1/tourist-sites").await.body, sites.body);
        assert_eq!(cache_hits(&app), hits + 1, "another kind's list stays cached");
        for v in [nearby, "/v1/monuments".into(), format!("/v1/monuments/{id}")] {
            let r = app.get(&v).await;
            assert!(r.text().contains("Zubrovich stone"), "{v} is fresh: {}", r.text());
        }
    }
);

both_backends!(
    config = |c| c.response_cache_ms = 60_000,
    async fn a_section_write_refreshes_articles_that_show_it(app) {
        let key = app.key("editor").await;
        let list = app.get("/v1/articles").await.json();
        let section = list["data"][0]["section"]["slug"].as_str().expect("section").to_string();
        let sections = app.get("/v1/sections").await.json();
        let sid = sections["data"]
            .as_array()
            .and_then(|a| a.iter().find(|s| s["slug"] == section.as_str()))
            .map(|s| s["id"].as_i64().expect("id"))
            .expect("the section is listed");
        let res = app
            .patch(&format!("/v1/sections/{sid}"), &key, json!({"title": "Zubrovich desk"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(app.get("/v1/articles").await.text().contains("Zubrovich desk"));
        assert!(app.get("/v1/sections").await.text().contains("Zubrovich desk"));
    }
);
