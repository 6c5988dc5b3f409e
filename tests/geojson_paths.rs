#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The `.geojson` paths of the located place lists: the same list as the JSON
//! path's GeoJSON negotiation (same parameters, paging and caching), always
//! GeoJSON, while `Accept: application/geo+json` on the JSON path keeps working.

mod common;

use actix_web::test::TestRequest;
use serde_json::Value;

const LISTS: [&str; 4] = ["tourist-sites", "unesco-sites", "sanatoria", "monuments"];

both_backends! {
    async fn each_located_list_answers_geojson_at_its_geojson_path(app) {
        for list in LISTS {
            let r = app.get(&format!("/v1/{list}.geojson?limit=100")).await;
            assert_eq!(r.status, 200, "{list}");
            assert_eq!(r.header("content-type").as_deref(), Some("application/geo+json"), "{list}");
            let by_path = r.json();
            assert_eq!(by_path["type"], "FeatureCollection");
            assert!(!by_path["features"].as_array().unwrap().is_empty(), "{list}");
            // The same collection as the Accept negotiation on the JSON path.
            let negotiated = app
                .send(TestRequest::get().uri(&format!("/v1/{list}?limit=100")).insert_header(("Accept", "application/geo+json")))
                .await;
            assert_eq!(negotiated.header("content-type").as_deref(), Some("application/geo+json"));
            let negotiated = negotiated.json();
            assert_eq!(by_path["features"], negotiated["features"], "{list}");
            assert_eq!(by_path["meta"]["total"], negotiated["meta"]["total"], "{list}");
            // The JSON path without Accept stays JSON.
            let json = app.get(&format!("/v1/{list}?limit=1")).await;
            assert_eq!(json.header("content-type").as_deref(), Some("application/json"));
            assert!(json.json()["data"].is_array());
        }
    }
}

both_backends! {
    async fn geojson_paths_take_the_list_parameters_and_page_with_link(app) {
        // Filters, fields and geo search as on the JSON list.
        let near = app
            .get("/v1/monuments.geojson?near=53.9006,27.559&radius_km=50&fields=id,name")
            .await
            .json();
        let features = near["features"].as_array().unwrap();
        assert!(!features.is_empty());
        for f in features {
            let props = f["properties"].as_object().unwrap();
            let mut keys: Vec<&str> = props.keys().map(String::as_str).collect();
            keys.sort();
            assert_eq!(keys, ["id", "name"], "fields apply to properties: {f}");
        }
        let inscribed = app.get("/v1/unesco-sites.geojson?status=inscribed&limit=100").await.json();
        let json = app.get("/v1/unesco-sites?status=inscribed&limit=100").await.json();
        let located = json["data"].as_array().unwrap().iter().filter(|x| !x["location"].is_null()).count();
        assert_eq!(inscribed["features"].as_array().unwrap().len(), located);
        // Paging: a cursor from `links.next` and the Link header, as on JSON lists.
        let first = app.get("/v1/tourist-sites.geojson?limit=3").await;
        let link = first.header("link").unwrap();
        assert!(link.contains("rel=\"next\""), "{link}");
        assert!(link.contains("/v1/tourist-sites.geojson?"), "links stay on the .geojson path: {link}");
        let first = first.json();
        let next = first["links"]["next"].as_str().unwrap();
        let second = app.get(next).await.json();
        let ids = |v: &Value| -> Vec<Value> { v["features"].as_array().unwrap().iter().map(|f| f["id"].clone()).collect() };
        assert!(ids(&second).iter().all(|id| !ids(&first).contains(id)), "the next page is new places");
        // Bad parameters are the same 400s; `format=json` contradicts the path.
        for bad in [
            "/v1/sanatoria.geojson?profile=hearts",
            "/v1/tourist-sites.geojson?near=95,27",
            "/v1/tourist-sites.geojson?format=json",
            "/v1/tourist-sites.geojson?nope=1",
        ] {
            app.get(bad).await.problem(400);
        }
        assert_eq!(app.get("/v1/tourist-sites.geojson?format=geojson&limit=1").await.status, 200);
        // Souvenirs have no location, so no GeoJSON path.
        assert_eq!(app.get("/v1/souvenirs.geojson").await.status, 404);
    }
}

both_backends! {
    async fn geojson_paths_are_cached_with_etags_like_the_json_lists(app) {
        let r = app.get("/v1/sanatoria.geojson").await;
        let etag = r.header("etag").unwrap();
        assert!(r.header("cache-control").unwrap().contains("max-age"));
        let again = app
            .send(TestRequest::get().uri("/v1/sanatoria.geojson").insert_header(("If-None-Match", etag.as_str())))
            .await;
        assert_eq!(again.status, 304);
        // Editor previews answer there too (and need the key).
        let key = app.key("editor").await;
        let preview = app.get_as("/v1/sanatoria.geojson?status=any&limit=100", &key).await;
        assert_eq!(preview.status, 200);
        app.get("/v1/sanatoria.geojson?status=any").await.problem(401);
    }
}
