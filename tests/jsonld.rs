#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! `Accept: application/ld+json` on content items: the schema.org form, with
//! its own content type and ETag.

mod common;

use actix_web::test::TestRequest;
use common::{Resp, TestApp};
use serde_json::Value;

async fn ld(app: &TestApp, uri: &str) -> (Resp, Value) {
    let res = app
        .send(
            TestRequest::get()
                .uri(uri)
                .insert_header(("Accept", "application/ld+json")),
        )
        .await;
    assert_eq!(res.status, 200, "{uri}: {}", res.text());
    assert_eq!(
        res.header("content-type").as_deref(),
        Some("application/ld+json"),
        "{uri}"
    );
    let doc = res.json();
    assert_eq!(doc["@context"], "https://schema.org", "{uri}");
    (res, doc)
}

both_backends!(
    async fn an_article_is_a_news_article_with_its_own_etag(app) {
        let json = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
        let a = json.json();
        let (res, doc) = ld(&app, "/v1/articles/fm-belarus-pakistan-talks").await;
        assert_eq!(doc["@type"], "NewsArticle");
        assert_eq!(doc["headline"], a["title"]);
        assert_eq!(doc["datePublished"], a["published_at"]);
        assert_eq!(doc["dateModified"], a["updated_at"]);
        assert_eq!(doc["articleSection"], a["section"]["title"]);
        assert_eq!(doc["inLanguage"], "en");
        assert_eq!(doc["publisher"]["@type"], "Organization");
        assert!(doc["author"]["name"].is_string());
        assert!(doc["url"].as_str().unwrap().ends_with(&format!("/v1/articles/{}", a["id"])));
        assert_ne!(res.header("etag"), json.header("etag"), "one ETag per representation");
        assert!(res.header("vary").unwrap().contains("Accept"));
        // The ETag revalidates the JSON-LD representation.
        let again = app
            .send(
                TestRequest::get()
                    .uri("/v1/articles/fm-belarus-pakistan-talks")
                    .insert_header(("Accept", "application/ld+json"))
                    .insert_header(("If-None-Match", res.header("etag").unwrap())),
            )
            .await;
        assert_eq!(again.status, 304);
        // JSON stays the default.
        assert_eq!(json.header("content-type").as_deref(), Some("application/json"));
    }
);

both_backends!(
    async fn places_are_attractions_landmarks_resorts_and_products(app) {
        let (_, site) = ld(&app, "/v1/tourist-sites/mir-castle").await;
        assert_eq!(site["@type"], "TouristAttraction");
        assert_eq!(site["geo"]["@type"], "GeoCoordinates");
        assert!(site["geo"]["latitude"].is_number());
        assert_eq!(site["address"]["addressCountry"], "BY");

        let (_, m) = ld(&app, "/v1/monuments/khatyn-memorial-complex").await;
        assert_eq!(
            m["@type"],
            serde_json::json!(["TouristAttraction", "LandmarksOrHistoricalBuildings"])
        );

        let (_, u) = ld(&app, "/v1/unesco-sites/mir-castle-complex").await;
        assert!(u["@type"].to_string().contains("LandmarksOrHistoricalBuildings"));
        assert!(u["award"].as_str().unwrap().contains("UNESCO World Heritage Site"));
        assert!(u["sameAs"].as_str().unwrap().starts_with("https://whc.unesco.org/en/list/"));
        assert!(u["additionalProperty"].to_string().contains("inscribed"));

        let (_, s) = ld(&app, "/v1/sanatoria/naroch-bereg-sanatorium").await;
        assert_eq!(s["@type"], serde_json::json!(["LodgingBusiness", "Resort"]));
        assert!(s["geo"].is_object() && s["address"].is_object());
        let json = app.get("/v1/sanatoria/naroch-bereg-sanatorium").await.json();
        if json["price_from"].is_object() {
            assert!(s["priceRange"].as_str().unwrap().starts_with("from "));
        }

        let (_, p) = ld(&app, "/v1/souvenirs/slutsk-sash").await;
        assert_eq!(p["@type"], "Product");
        assert!(p["name"].is_string());
    }
);

both_backends!(
    async fn an_event_has_status_location_and_minsk_times(app) {
        let list = app.get("/v1/events?limit=100").await.json();
        let events = list["data"].as_array().unwrap();
        let timed = events
            .iter()
            .find(|e| e["all_day"] == false && e["venue"]["location"].is_object())
            .unwrap();
        let (_, doc) = ld(&app, &format!("/v1/events/{}", timed["slug"].as_str().unwrap())).await;
        assert_eq!(doc["@type"], "Event");
        assert_eq!(doc["startDate"], timed["starts_at"]);
        assert!(doc["startDate"].as_str().unwrap().ends_with("+03:00"));
        assert_eq!(doc["endDate"], timed["ends_at"]);
        assert!(doc["eventStatus"].as_str().unwrap().starts_with("https://schema.org/Event"));
        assert_eq!(doc["location"]["@type"], "Place");
        assert_eq!(doc["location"]["geo"]["@type"], "GeoCoordinates");
        assert_eq!(doc["isAccessibleForFree"], timed["is_free"]);

        let postponed = events.iter().find(|e| e["status"] == "postponed");
        if let Some(p) = postponed {
            let (_, doc) = ld(&app, &format!("/v1/events/{}", p["slug"].as_str().unwrap())).await;
            assert_eq!(doc["eventStatus"], "https://schema.org/EventPostponed");
        }
    }
);
