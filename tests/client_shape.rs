#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! What client authors shape through HTTP: sparse fields (`fields`), opt-in
//! expansions (`include`) and locale fallback (`fallback`, `lang=be,ru,en`).

mod common;

use actix_web::test::TestRequest;
use serde_json::Value;

fn keys(item: &Value) -> Vec<String> {
    let mut k: Vec<String> = item.as_object().unwrap().keys().cloned().collect();
    k.sort();
    k
}

both_backends! {
    async fn fields_keep_only_the_named_fields_and_id_on_every_list(app) {
        for path in [
            "/v1/articles", "/v1/events", "/v1/sections", "/v1/regions",
            "/v1/tourist-sites", "/v1/unesco-sites", "/v1/sanatoria", "/v1/monuments", "/v1/souvenirs",
            "/v1/nearby?lat=53.9&lon=27.56&radius_km=500",
            "/v1/search?q=minsk",
        ] {
            let sep = if path.contains('?') { '&' } else { '?' };
            let field = if path.contains("regions") || path.contains("search") || path.contains("sections") {
                "slug"
            } else {
                "locale"
            };
            let r = app.get(&format!("{path}{sep}fields={field}")).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text());
            let v = r.json();
            let data = v["data"].as_array().unwrap();
            assert!(!data.is_empty(), "{path}");
            // Regions are named by slug and have no id.
            let want: Vec<String> = if path.contains("regions") { vec![field.into()] } else { vec!["id".into(), field.into()] };
            for item in data {
                assert_eq!(keys(item), want, "{path}");
            }
            // The envelope stays whole.
            assert!(v["meta"]["total"].is_i64() && v["links"]["self"].is_string(), "{path}");
        }
    }
}

both_backends! {
    async fn fields_apply_to_items_and_geojson_properties(app) {
        let v = app.get("/v1/articles?limit=1").await.json();
        let id = v["data"][0]["id"].as_i64().unwrap();
        let r = app.get(&format!("/v1/articles/{id}?fields=title,body_html")).await;
        assert_eq!(r.status, 200);
        let item = r.json();
        assert_eq!(keys(&item), ["body_html", "id", "title"]);
        let whole = app.get(&format!("/v1/articles/{id}")).await;
        assert_ne!(whole.header("etag"), r.header("etag"), "the ETag follows the representation");
        assert!(whole.json()["related"].is_array(), "an item keeps its expansions by default");

        let s = app.get("/v1/sections/news?fields=title").await;
        assert_eq!(s.status, 200, "{}", s.text());
        assert_eq!(keys(&s.json()), ["id", "title"]);

        let g = app.send(TestRequest::get().uri("/v1/unesco-sites?fields=name").insert_header(("Accept", "application/geo+json"))).await;
        assert_eq!(g.status, 200);
        let fc = g.json();
        let features = fc["features"].as_array().unwrap();
        assert!(!features.is_empty());
        for f in features {
            assert_eq!(keys(&f["properties"]), ["id", "name"]);
            assert!(f["geometry"]["coordinates"].is_array());
        }
        let p = app.get("/v1/tourist-sites?fields=name,opening_hours").await.json();
        assert_eq!(keys(&p["data"][0]), ["id", "name", "opening_hours"], "a kind's own fields are fields too");
    }
}

both_backends! {
    async fn an_unknown_field_is_a_400_listing_the_allowed_ones(app) {
        for uri in ["/v1/articles?fields=title,colour", "/v1/articles/1?fields=colour", "/v1/tourist-sites?fields=colour&format=geojson", "/v1/sections/news?fields=colour"] {
            let p = app.get(uri).await.problem(400);
            let detail = p["detail"].as_str().unwrap().to_string() + &p["errors"].to_string();
            assert!(detail.contains("unknown field `colour`"), "{uri}: {p}");
            assert!(detail.contains("allowed: "), "{uri}: {p}");
            assert_eq!(p["errors"][0]["field"], "fields", "{uri}");
        }
        let p = app.get("/v1/articles?fields=Title").await.problem(400);
        assert_eq!(p["errors"][0]["field"], "fields");
        let p = app.get("/v1/articles?fields=").await.problem(400);
        assert_eq!(p["errors"][0]["field"], "fields");
    }
}

both_backends! {
    config = |c| c.response_cache_ms = Some(60_000),
    async fn the_response_cache_and_etags_follow_the_fields(app) {
        let full = app.get("/v1/tourist-sites?limit=3").await;
        let slim = app.get("/v1/tourist-sites?limit=3&fields=name").await;
        assert_eq!(slim.status, 200);
        assert_eq!(keys(&slim.json()["data"][0]), ["id", "name"], "not the cached full page");
        assert_ne!(full.header("etag"), slim.header("etag"));
        let again = app.get("/v1/tourist-sites?limit=3&fields=name").await;
        assert_eq!(again.header("etag"), slim.header("etag"));
        assert_eq!(again.body, slim.body);
        let full_again = app.get("/v1/tourist-sites?limit=3").await;
        assert_eq!(full_again.body, full.body);
    }
}

both_backends! {
    async fn list_expansions_are_opt_in_and_include_adds_them(app) {
        let plain = app.get("/v1/tourist-sites?limit=5").await.json();
        for key in ["translations", "gallery", "description_html"] {
            assert!(plain["data"][0].get(key).is_none(), "{key} left out by default");
        }
        let full = app.get("/v1/tourist-sites?limit=5&include=gallery,description_html,translations").await.json();
        for key in ["translations", "gallery", "description_html"] {
            assert!(full["data"][0].get(key).is_some(), "{key} with include");
        }
        assert!(full["data"][0]["description_html"].as_str().unwrap().contains('<'));
        let g = app.get("/v1/tourist-sites?limit=5&format=geojson&include=gallery").await.json();
        assert!(g["features"][0]["properties"]["gallery"].is_array());
        assert!(g["features"][0]["properties"].get("description_html").is_none());

        let a = app.get("/v1/articles?limit=3").await.json();
        for key in ["translations", "body_html", "related"] {
            assert!(a["data"][0].get(key).is_none(), "articles: {key} left out by default");
        }
        let a = app.get("/v1/articles?limit=3&include=body_html,related,translations").await.json();
        let first = &a["data"][0];
        let item = app.get(&format!("/v1/articles/{}", first["id"])).await.json();
        assert_eq!(first["body_html"], item["body_html"]);
        assert_eq!(first["related"], item["related"], "the same related articles as the item");
        assert_eq!(first["translations"], item["translations"]);
        // Naming an expansion in `fields` includes it.
        let a = app.get("/v1/articles?limit=1&fields=body_html").await.json();
        assert_eq!(keys(&a["data"][0]), ["body_html", "id"]);

        for (uri, key) in [("/v1/events?from=2020-01-01&to=2040-12-31&include=translations", "translations"), ("/v1/sections?include=translations", "translations"), ("/v1/souvenirs?include=description_html", "description_html"), ("/v1/nearby?lat=53.9&lon=27.56&radius_km=500&include=gallery", "gallery")] {
            let v = app.get(uri).await.json();
            assert!(v["data"][0].get(key).is_some(), "{uri}");
        }
    }
}

both_backends! {
    async fn an_unknown_include_is_a_400_listing_the_allowed_ones(app) {
        let p = app.get("/v1/articles?include=gallery").await.problem(400);
        assert_eq!(p["errors"][0]["field"], "include");
        assert!(p.to_string().contains("allowed: translations, body_html, related"), "{p}");
        let p = app.get("/v1/tourist-sites?include=related").await.problem(400);
        assert!(p.to_string().contains("allowed: translations, gallery, description_html"), "{p}");
        // A list with no expansions takes no `include`.
        let p = app.get("/v1/regions?include=translations").await.problem(400);
        assert!(p.to_string().contains("unknown field `include`"), "{p}");
    }
}

/// Every item of a list by cursor (`limit=7`), with the last page's meta.
async fn walk(app: &common::TestApp, base: &str) -> (Vec<Value>, Value) {
    let mut items = Vec::new();
    let mut uri = format!("{base}&limit=7");
    for _ in 0..50 {
        let v = app.get(&uri).await.json();
        items.extend(v["data"].as_array().unwrap().iter().cloned());
        match v["meta"]["next_cursor"].as_str() {
            Some(c) => uri = format!("{base}&limit=7&cursor={c}"),
            None => return (items, v["meta"].clone()),
        }
    }
    panic!("paging must end");
}

/// No item is a translation of another in the list (each group once).
fn groups_once(items: &[Value]) {
    let ids: Vec<i64> = items.iter().map(|i| i["id"].as_i64().unwrap()).collect();
    let unique: std::collections::HashSet<i64> = ids.iter().copied().collect();
    assert_eq!(unique.len(), ids.len(), "each item once");
    for i in items {
        for t in i["translations"].as_array().unwrap() {
            assert!(
                !ids.contains(&t["id"].as_i64().unwrap()),
                "{} and its translation {}",
                i["id"],
                t["id"]
            );
        }
    }
}

both_backends! {
    async fn fallback_gives_each_group_once_in_the_best_locale_through_every_page(app) {
        for coll in ["tourist-sites", "articles", "unesco-sites", "sanatoria", "monuments", "souvenirs"] {
            let en = app.get(&format!("/v1/{coll}?lang=en&limit=1")).await.json()["meta"]["total"].as_i64().unwrap();
            let ru = app.get(&format!("/v1/{coll}?lang=ru&limit=1")).await.json()["meta"]["total"].as_i64().unwrap();
            let base = format!("/v1/{coll}?lang=ru&fallback=true&include=translations");
            let (items, meta) = walk(&app, &base).await;
            assert_eq!(meta["total"].as_i64().unwrap(), items.len() as i64, "{coll}: the total counts what paging visits");
            assert!(items.len() as i64 >= en.max(ru), "{coll}: every English group is there too");
            groups_once(&items);
            let in_ru = items.iter().filter(|i| i["locale"] == "ru").count() as i64;
            assert_eq!(in_ru, ru, "{coll}: every Russian item is shown in Russian");
            // The same through a preference list, and by page.
            let listed = app.get(&format!("/v1/{coll}?lang=ru,be,en&limit=100")).await.json();
            assert_eq!(listed["meta"]["total"], meta["total"], "{coll}");
        }
        let r = app.get("/v1/tourist-sites?lang=ru&fallback=true&limit=100").await;
        assert_eq!(r.header("content-language").as_deref(), Some("ru, en"));
        let first = app.get("/v1/tourist-sites?lang=ru&fallback=true&limit=3").await;
        assert_eq!(first.header("content-language").as_deref(), Some("ru"), "only the locales the page holds");
        let e = app.get("/v1/events?lang=ru&fallback=true&from=2020-01-01&to=2040-12-31&include=translations&limit=100").await.json();
        groups_once(e["data"].as_array().unwrap());
        assert_eq!(e["meta"]["total"].as_i64().unwrap(), e["data"].as_array().unwrap().len() as i64);
    }
}

both_backends! {
    async fn fallback_keeps_search_and_filters_and_refuses_bad_values(app) {
        let ru = app.get("/v1/tourist-sites?lang=ru&q=%D0%B7%D0%B0%D0%BC%D0%BE%D0%BA&limit=100").await.json();
        let fb = app.get("/v1/tourist-sites?lang=ru&fallback=true&q=%D0%B7%D0%B0%D0%BC%D0%BE%D0%BA&limit=100").await.json();
        assert!(ru["meta"]["total"].as_i64().unwrap() > 0);
        assert_eq!(fb["meta"]["total"], ru["meta"]["total"], "a Russian word finds the Russian items");
        assert_eq!(fb["meta"]["total"].as_i64().unwrap(), fb["data"].as_array().unwrap().len() as i64);
        let castles = app.get("/v1/tourist-sites?lang=ru&fallback=true&category=castle&limit=100").await.json();
        assert!(castles["data"].as_array().unwrap().iter().all(|c| c["category"] == "castle"));
        // A section (slug in the first locale) holds its articles of every locale.
        let sections = app.get("/v1/sections?lang=ru&parent=root").await.json();
        let slug = sections["data"][0]["slug"].as_str().unwrap().to_string();
        let only_ru = app.get(&format!("/v1/articles?lang=ru&section={slug}&limit=1")).await.json();
        let fb = app.get(&format!("/v1/articles?lang=ru&fallback=true&section={slug}&limit=100")).await.json();
        assert!(fb["meta"]["total"].as_i64().unwrap() > only_ru["meta"]["total"].as_i64().unwrap(), "{slug}");
        assert!(fb["data"].as_array().unwrap().iter().any(|a| a["locale"] == "en"));
        app.get("/v1/articles?fallback=maybe").await.problem(400);
        app.get("/v1/articles?lang=ru,de").await.problem(400);
        app.get("/v1/regions?fallback=true").await.problem(400);
    }
}
