#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
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
    config = |c| c.response_cache_ms = Some(60_000),
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
    config = |c| c.response_cache_ms = Some(60_000),
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
    config = |c| c.response_cache_ms = Some(60_000),
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

/// A GET with extra request headers.
async fn get_with(app: &TestApp, uri: &str, headers: &[(&'static str, &str)]) -> common::Resp {
    let mut req = actix_web::test::TestRequest::get().uri(uri);
    for (n, v) in headers {
        req = req.insert_header((*n, v.to_string()));
    }
    app.send(req).await
}

fn ids(v: &Value, field: &str) -> Vec<i64> {
    v[field]
        .as_array()
        .map(|a| a.iter().filter_map(|x| x["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn strs(v: &Value, field: &str) -> Vec<String> {
    v[field]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| Some(x.as_str()?.to_string()))
                .collect()
        })
        .unwrap_or_default()
}

const ALL_ARTICLES: &str = "/v1/articles?limit=100&include=related,translations";

/// Two articles of one locale that show nothing of each other: other
/// sections, no shared tag, neither a related article of the other.
async fn unrelated_pair(app: &TestApp) -> (Value, Value) {
    let list = app.get(ALL_ARTICLES).await.json();
    let items = list["data"].as_array().expect("articles").clone();
    for x in &items {
        for y in &items {
            let (xid, yid) = (x["id"].as_i64().unwrap(), y["id"].as_i64().unwrap());
            let unrelated = xid != yid
                && x["section"]["id"] != y["section"]["id"]
                && !strs(x, "tags").iter().any(|t| strs(y, "tags").contains(t))
                && !ids(x, "related").contains(&yid)
                && !ids(y, "related").contains(&xid);
            if unrelated {
                return (x.clone(), y.clone());
            }
        }
    }
    panic!("no two unrelated articles in the demo data");
}

/// The views of one article a reader may have cached: by id, by slug in its
/// locale (with `lang` and with `Accept-Language`), some `fields`, JSON-LD.
fn views(a: &Value) -> Vec<(String, Vec<(&'static str, String)>)> {
    let (id, slug, locale) = (
        &a["id"],
        a["slug"].as_str().unwrap(),
        a["locale"].as_str().unwrap(),
    );
    vec![
        (format!("/v1/articles/{id}"), vec![]),
        (format!("/v1/articles/{slug}?lang={locale}"), vec![]),
        (
            format!("/v1/articles/{slug}"),
            vec![("Accept-Language", locale.to_string())],
        ),
        (
            format!("/v1/articles/{id}?fields=id,slug,title,translations"),
            vec![],
        ),
        (
            format!("/v1/articles/{id}"),
            vec![("Accept", "application/ld+json".to_string())],
        ),
    ]
}

async fn get_view(
    app: &TestApp,
    (uri, headers): &(String, Vec<(&'static str, String)>),
) -> common::Resp {
    let h: Vec<(&'static str, &str)> = headers.iter().map(|(n, v)| (*n, v.as_str())).collect();
    get_with(app, uri, &h).await
}

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn a_write_keeps_other_items_cached_responses(app) {
        let key = app.key("editor").await;
        let (x, y) = unrelated_pair(&app).await;
        let x_views = views(&x);
        let mut before = Vec::new();
        for v in &x_views {
            let r = get_view(&app, v).await;
            assert_eq!(r.status, 200, "{v:?}: {}", r.text());
            before.push(r.body);
        }
        let y_item = format!("/v1/articles/{}", y["id"]);
        assert_eq!(app.get(&y_item).await.status, 200);

        let res = app.patch(&y_item, &key, json!({"lead": "Zubrovich lead"})).await;
        assert_eq!(res.status, 200, "{}", res.text());

        let hits = cache_hits(&app);
        for (v, old) in x_views.iter().zip(&before) {
            let r = get_view(&app, v).await;
            assert_eq!(&r.body, old, "{v:?} unchanged");
        }
        assert_eq!(
            cache_hits(&app),
            hits + x_views.len() as u64,
            "every view of the other article is still cached"
        );
        assert!(app.get(&y_item).await.text().contains("Zubrovich lead"));
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn a_write_still_drops_the_lists_feeds_and_search_of_its_type(app) {
        let key = app.key("editor").await;
        let (_, y) = unrelated_pair(&app).await;
        let section = y["section"]["slug"].as_str().unwrap();
        let lists = [
            ALL_ARTICLES.to_string(),
            format!("/v1/articles?section={section}&limit=100"),
            "/v1/articles/feed.atom".to_string(),
            "/v1/search?q=zubrovich".to_string(),
        ];
        for l in &lists {
            assert_eq!(app.get(l).await.status, 200, "{l}");
        }
        let res = app
            .patch(&format!("/v1/articles/{}", y["id"]), &key, json!({"title": "Zubrovich title", "lead": "Zubrovich lead"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let hits = cache_hits(&app);
        for l in &lists {
            let r = app.get(l).await;
            assert!(r.text().contains("Zubrovich"), "{l} is fresh: {}", r.text());
        }
        assert_eq!(cache_hits(&app), hits, "no list was served from the cache");
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn a_write_drops_the_items_responses_in_every_locale(app) {
        let key = app.key("editor").await;
        let list = app.get(ALL_ARTICLES).await.json();
        let a = list["data"]
            .as_array()
            .and_then(|d| d.iter().find(|a| !ids(a, "translations").is_empty()))
            .expect("a translated article")
            .clone();
        let mut members = vec![a.clone()];
        for t in ids(&a, "translations") {
            members.push(app.get(&format!("/v1/articles/{t}")).await.json());
        }
        let all: Vec<_> = members.iter().flat_map(views).collect();
        for v in &all {
            assert_eq!(get_view(&app, v).await.status, 200, "{v:?}");
        }

        let res = app
            .patch(&format!("/v1/articles/{}", a["id"]), &key, json!({"slug": "zubrovich-slug"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());

        let hits = cache_hits(&app);
        for v in &all {
            let r = get_view(&app, v).await;
            let old_slug = v.0.contains(a["slug"].as_str().unwrap());
            if old_slug {
                assert_eq!(r.status, 404, "{v:?}: the old slug is gone");
            } else if v.1.is_empty() {
                assert!(r.text().contains("zubrovich-slug"), "{v:?} is fresh: {}", r.text());
            }
        }
        assert_eq!(cache_hits(&app), hits, "no view of the group was served from the cache");
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn a_write_refreshes_the_articles_that_show_it_as_related(app) {
        let key = app.key("editor").await;
        let list = app.get(ALL_ARTICLES).await.json();
        let x = list["data"]
            .as_array()
            .and_then(|d| d.iter().find(|a| !ids(a, "related").is_empty() && !strs(a, "tags").is_empty()))
            .expect("an article with related articles")
            .clone();
        let x_item = format!("/v1/articles/{}", x["id"]);
        let related = ids(&app.get(&x_item).await.json(), "related");

        // A related article's new title.
        let res = app
            .patch(&format!("/v1/articles/{}", related[0]), &key, json!({"title": "Zubrovich related"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(app.get(&x_item).await.text().contains("Zubrovich related"));

        // A new article with all of its tags becomes one of its related articles.
        let body = json!({
            "slug": "zubrovich-news", "locale": x["locale"], "section": x["section"]["slug"],
            "title": "Zubrovich news", "lead": "New.", "body_html": "<p>New.</p>",
            "tags": x["tags"], "publication_status": "published"
        });
        let res = app.post("/v1/articles", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let new_id = res.json()["id"].as_i64().unwrap();
        let now = app.get(&x_item).await.json();
        assert!(ids(&now, "related").contains(&new_id), "{now}");

        // Taken out of the related articles' reach (no tags, a draft): gone again.
        let res = app
            .patch(&format!("/v1/articles/{new_id}"), &key, json!({"tags": [], "publication_status": "draft"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let now = app.get(&x_item).await.json();
        assert!(!ids(&now, "related").contains(&new_id), "{now}");
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn a_tourist_site_write_refreshes_the_unesco_listings_that_show_it(app) {
        let key = app.key("editor").await;
        let list = app.get("/v1/unesco-sites?limit=100").await.json();
        let listing = list["data"]
            .as_array()
            .and_then(|d| d.iter().find(|u| u["tourist_site"]["id"].is_i64()))
            .expect("a listing with its tourist site")
            .clone();
        let item = format!("/v1/unesco-sites/{}", listing["id"]);
        assert_eq!(app.get(&item).await.status, 200);
        let site = listing["tourist_site"]["id"].as_i64().unwrap();
        let res = app
            .patch(&format!("/v1/tourist-sites/{site}"), &key, json!({"name": "Zubrovich site"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        for v in [item, "/v1/unesco-sites?limit=100".to_string()] {
            let r = app.get(&v).await;
            assert!(r.text().contains("Zubrovich site"), "{v} is fresh: {}", r.text());
        }
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn an_edit_of_todays_article_drops_only_the_articles_that_show_it(app) {
        let key = app.key("editor").await;
        let first = app.get(ALL_ARTICLES).await.json()["data"][0].clone();
        let body = json!({
            "slug": "zubrovich-today", "section": first["section"]["slug"],
            "title": "Zubrovich", "lead": "New.", "body_html": "<p>New.</p>",
            "tags": first["tags"], "publication_status": "published"
        });
        let res = app.post("/v1/articles", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let today = res.json()["id"].as_i64().unwrap();
        // Every other article cached, some showing today's among their related.
        let list = app.get(ALL_ARTICLES).await.json();
        let mut cached = Vec::new();
        for a in list["data"].as_array().unwrap() {
            if a["id"] == today {
                continue;
            }
            let uri = format!("/v1/articles/{}", a["id"]);
            let r = app.get(&uri).await;
            let shows = ids(&r.json(), "related").contains(&today);
            cached.push((uri, r.body, shows));
        }
        let showing = cached.iter().filter(|c| c.2).count();
        assert!(showing > 0 && showing < cached.len(), "{showing} of {}", cached.len());

        let res = app
            .patch(&format!("/v1/articles/{today}"), &key, json!({"title": "Zubrovich today", "lead": "Edited."}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let hits = cache_hits(&app);
        for (uri, old, shows) in &cached {
            let r = app.get(uri).await;
            if *shows {
                assert!(r.text().contains("Zubrovich today"), "{uri} is fresh");
            } else {
                assert_eq!(&r.body, old, "{uri} unchanged");
            }
        }
        assert_eq!(
            cache_hits(&app),
            hits + (cached.len() - showing) as u64,
            "the articles that do not show it stay cached"
        );
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn a_scheduled_article_shows_in_cached_views_once_promoted(app) {
        let key = app.key("editor").await;
        let list = app.get("/v1/articles?limit=100").await.json();
        let id = first_id(&list);
        let item = format!("/v1/articles/{id}");
        // Rescheduled a moment ahead: hidden until then.
        let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(2000)).to_rfc3339();
        let res = app.patch(&item, &key, json!({"published_at": soon})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let shows = |list: &Value| list["data"].as_array().unwrap().iter().any(|a| a["id"] == id);
        assert!(!shows(&app.get("/v1/articles?limit=100").await.json()));
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2200)).await;
        // Due now, but no write has happened: the cached list does not show it yet.
        let hits = cache_hits(&app);
        assert!(!shows(&app.get("/v1/articles?limit=100").await.json()));
        assert_eq!(cache_hits(&app), hits + 1, "served from the cache");
        // The promoter's tick announces it and drops what may show it.
        belportal::changes::promoter::tick(&app.state.pool, &app.state.caches)
            .await
            .unwrap();
        assert!(shows(&app.get("/v1/articles?limit=100").await.json()));
        assert_eq!(app.get(&item).await.status, 200);
        let feed = app.get("/v1/changes").await.json();
        assert!(feed["data"].as_array().unwrap().iter().any(|c| c["id"] == id), "{feed}");
    }
);

both_backends!(
    config = |c| c.response_cache_ms = Some(60_000),
    async fn reading_the_changes_feed_promotes_due_items_and_drops_their_cached_lists(app) {
        let key = app.key("editor").await;
        let list = app.get("/v1/events?limit=100").await.json();
        let id = first_id(&list);
        let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(2000)).to_rfc3339();
        let res = app
            .patch(&format!("/v1/events/{id}"), &key, json!({"published_at": soon}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let shows = |list: &Value| list["data"].as_array().unwrap().iter().any(|e| e["id"] == id);
        assert!(!shows(&app.get("/v1/events?limit=100").await.json()));
        actix_web::rt::time::sleep(std::time::Duration::from_millis(2200)).await;
        assert!(!shows(&app.get("/v1/events?limit=100").await.json()), "still cached");
        assert_eq!(app.get("/v1/changes").await.status, 200);
        assert!(shows(&app.get("/v1/events?limit=100").await.json()));
    }
);
