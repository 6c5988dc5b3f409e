#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Places through HTTP: the five collections, vocabulary filters, geo search
//! checked against independently computed distances, GeoJSON and /v1/nearby.

mod common;

use actix_web::test::TestRequest;
use serde_json::Value;

/// Great-circle distance by the spherical law of cosines: a different formula
/// from the service's haversine, on the same sphere.
fn law_of_cosines_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dl = (lon2 - lon1).to_radians();
    let c = (p1.sin() * p2.sin() + p1.cos() * p2.cos() * dl.cos()).clamp(-1.0, 1.0);
    6371.0088 * c.acos()
}

fn data(v: &Value) -> &Vec<Value> {
    v["data"].as_array().expect("data")
}

fn slugs(v: &Value) -> Vec<String> {
    data(v)
        .iter()
        .map(|x| x["slug"].as_str().unwrap().to_string())
        .collect()
}

const MINSK: (f64, f64) = (53.9006, 27.5590);

both_backends! {
    async fn tourist_sites_come_in_rank_order_with_unranked_last(app) {
        let v = app.get("/v1/tourist-sites?limit=100").await.json();
        let items = data(&v);
        assert!(items.len() >= 20);
        let ranks: Vec<Option<i64>> = items.iter().map(|x| x["rank"].as_i64()).collect();
        let ranked: Vec<i64> = ranks.iter().flatten().copied().collect();
        assert_eq!(ranked, (1..=ranked.len() as i64).collect::<Vec<_>>());
        let first_null = ranks.iter().position(Option::is_none).unwrap_or(ranks.len());
        assert!(ranks[first_null..].iter().all(Option::is_none), "unranked sites come last");
        for key in ["translations", "description_html", "gallery"] {
            assert!(items[0].get(key).is_none(), "{key} is an opt-in expansion of place lists");
        }
        for key in ["id", "slug", "locale", "name", "summary", "region", "locality", "address", "location", "image", "website", "phone", "email", "tags", "created_at", "updated_at", "category", "rank", "opening_hours", "admission"] {
            assert!(items[0].get(key).is_some(), "tourist site has {key}");
        }
        assert!(items[0].get("distance_km").is_none(), "distance only with near");
        let by_name = app.get("/v1/tourist-sites?sort=name&limit=100").await.json();
        let names: Vec<String> = data(&by_name).iter().map(|x| x["name"].as_str().unwrap().to_string()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // Keyset pages over the rank order match one big page.
        let mut walked = Vec::new();
        let mut uri = "/v1/tourist-sites?limit=6".to_string();
        loop {
            let p = app.get(&uri).await.json();
            walked.extend(slugs(&p));
            match p["meta"]["next_cursor"].as_str() {
                Some(c) => uri = format!("/v1/tourist-sites?limit=6&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(walked, slugs(&v));
        let castles = app.get("/v1/tourist-sites?category=castle&limit=100").await.json();
        assert!(data(&castles).iter().all(|x| x["category"] == "castle"));
        assert!(slugs(&castles).contains(&"mir-castle".to_string()));
    }
}

both_backends! {
    async fn unesco_listings_carry_their_facts_and_link_to_tourist_sites(app) {
        let mir = app.get("/v1/unesco-sites/mir-castle-complex").await.json();
        assert_eq!(mir["unesco_id"], 625);
        assert_eq!(mir["status"], "inscribed");
        assert_eq!(mir["category"], "cultural");
        assert_eq!(mir["criteria"], serde_json::json!(["ii", "iv"]));
        assert_eq!(mir["year_inscribed"], 2000);
        assert_eq!(mir["tourist_site"]["slug"], "mir-castle");
        let site = app.get(&format!("/v1/tourist-sites/{}", mir["tourist_site"]["id"])).await;
        assert_eq!(site.status, 200);
        let nesvizh = app.get("/v1/unesco-sites/radziwill-complex-nesvizh").await.json();
        assert_eq!(nesvizh["unesco_id"], 1196);
        assert_eq!(nesvizh["criteria"], serde_json::json!(["ii", "iv", "vi"]));
        let struve = app.get("/v1/unesco-sites/struve-geodetic-arc").await.json();
        assert_eq!(struve["unesco_id"], 1187);
        assert_eq!(struve["transboundary"], true);
        assert_eq!(struve["countries"].as_array().unwrap().len(), 10);
        let forest = app.get("/v1/unesco-sites/belovezhskaya-pushcha-bialowieza-forest").await.json();
        assert_eq!(forest["unesco_id"], 33);
        assert_eq!(forest["category"], "natural");
        assert_eq!(forest["criteria"], serde_json::json!(["ix", "x"]));
        assert_eq!(forest["countries"], serde_json::json!(["BY", "PL"]));
        let inscribed = app.get("/v1/unesco-sites?status=inscribed").await.json();
        assert_eq!(inscribed["meta"]["total"], 4);
        let tentative = app.get("/v1/unesco-sites?status=tentative").await.json();
        assert!(tentative["meta"]["total"].as_i64().unwrap() >= 5);
        let vi = app.get("/v1/unesco-sites?criterion=vi").await.json();
        let mut s = slugs(&vi);
        s.sort();
        assert_eq!(s, ["radziwill-complex-nesvizh", "struve-geodetic-arc"]);
        let both = app.get("/v1/unesco-sites?criterion=ii,iii").await.json();
        assert_eq!(slugs(&both), ["struve-geodetic-arc"], "several criteria are all required");
        let natural = app.get("/v1/unesco-sites?category=natural&status=inscribed").await.json();
        assert_eq!(slugs(&natural), ["belovezhskaya-pushcha-bialowieza-forest"]);
    }
}

both_backends! {
    async fn sanatoria_filter_by_profile_and_treatment(app) {
        let all = app.get("/v1/sanatoria?limit=100").await.json();
        assert!(data(&all).len() >= 10);
        let regions: std::collections::HashSet<&str> = data(&all).iter().map(|x| x["region"]["slug"].as_str().unwrap()).collect();
        assert!(regions.len() >= 5, "{regions:?}");
        for s in data(&all) {
            assert_eq!(s["price_from"]["currency"], "BYN");
            assert!(s["price_from"]["amount"].as_f64().unwrap() > 0.0);
        }
        let cardio = app.get("/v1/sanatoria?profile=cardiovascular&limit=100").await.json();
        assert!(!data(&cardio).is_empty());
        for s in data(&cardio) {
            assert!(s["profiles"].as_array().unwrap().iter().any(|p| p == "cardiovascular"));
        }
        let radon = app.get("/v1/sanatoria?treatment=radon_baths&limit=100").await.json();
        for s in data(&radon) {
            assert!(s["treatments"].as_array().unwrap().iter().any(|p| p == "radon_baths"));
        }
        let minsk_region = app.get("/v1/sanatoria?region=minsk-region&limit=100").await.json();
        assert!(data(&minsk_region).iter().all(|x| x["region"]["slug"] == "minsk-region"));
    }
}

both_backends! {
    async fn monuments_and_souvenirs_filter_by_their_vocabularies(app) {
        let m = app.get("/v1/monuments?limit=100").await.json();
        assert!(data(&m).len() >= 8);
        let complexes = app.get("/v1/monuments?kind=memorial_complex&limit=100").await.json();
        assert!(data(&complexes).iter().all(|x| x["kind"] == "memorial_complex"));
        assert!(slugs(&complexes).contains(&"khatyn-memorial-complex".to_string()));
        let khatyn = app.get("/v1/monuments/khatyn-memorial-complex").await.json();
        assert!(khatyn["commemorates"].is_string());
        let s = app.get("/v1/souvenirs?limit=100").await.json();
        assert!(data(&s).len() >= 8);
        assert!(data(&s)[0].get("location").is_none(), "souvenirs have no location");
        let linen = app.get("/v1/souvenirs?material=linen&limit=100").await.json();
        assert!(!data(&linen).is_empty());
        assert!(data(&linen).iter().all(|x| x["materials"].as_array().unwrap().iter().any(|m| m == "linen")));
        let straw = app.get("/v1/souvenirs?category=straw").await.json();
        assert!(data(&straw).iter().all(|x| x["category"] == "straw"));
        let item = app.get("/v1/souvenirs/straw-work-solomka").await.json();
        assert_eq!(item["category"], "straw");
    }
}

both_backends! {
    async fn unknown_vocabulary_values_are_400_listing_the_allowed_ones(app) {
        for (uri, field, allowed) in [
            ("/v1/tourist-sites?category=spaceport", "category", "national_park"),
            ("/v1/unesco-sites?criterion=xi", "criterion", "viii"),
            ("/v1/unesco-sites?status=pending", "status", "tentative"),
            ("/v1/sanatoria?profile=dental", "profile", "musculoskeletal"),
            ("/v1/sanatoria?treatment=magic", "treatment", "speleotherapy"),
            ("/v1/monuments?kind=statue", "kind", "mass_grave"),
            ("/v1/souvenirs?category=cars", "category", "ceramics"),
            ("/v1/monuments?region=atlantis", "region", "minsk-city"),
            ("/v1/nearby?lat=53&lon=27&types=hotels", "types", "sanatorium"),
        ] {
            let p = app.get(uri).await.problem(400);
            assert_eq!(p["errors"][0]["field"], field, "{uri}");
            assert!(p["detail"].as_str().unwrap().contains(allowed), "{uri}: {}", p["detail"]);
        }
    }
}

both_backends! {
    async fn near_keeps_places_within_the_radius_sorted_by_true_distance(app) {
        let (lat, lon) = MINSK;
        let all = app.get("/v1/tourist-sites?limit=100").await.json();
        let mut expected: Vec<(f64, String)> = data(&all)
            .iter()
            .filter(|x| !x["location"].is_null())
            .map(|x| {
                let d = law_of_cosines_km(lat, lon, x["location"]["lat"].as_f64().unwrap(), x["location"]["lon"].as_f64().unwrap());
                (d, x["slug"].as_str().unwrap().to_string())
            })
            .filter(|(d, _)| *d <= 150.0)
            .collect();
        expected.sort_by(|a, b| a.0.total_cmp(&b.0));
        assert!(expected.len() >= 3, "demo has sites within 150 km of Minsk");
        let v = app.get(&format!("/v1/tourist-sites?near={lat},{lon}&radius_km=150&limit=100")).await.json();
        assert_eq!(v["meta"]["total"], expected.len() as i64);
        let got: Vec<(f64, String)> = data(&v)
            .iter()
            .map(|x| (x["distance_km"].as_f64().unwrap(), x["slug"].as_str().unwrap().to_string()))
            .collect();
        assert_eq!(got.iter().map(|g| &g.1).collect::<Vec<_>>(), expected.iter().map(|e| &e.1).collect::<Vec<_>>());
        for (g, e) in got.iter().zip(&expected) {
            assert!((g.0 - e.0).abs() < 0.1, "{}: {} vs {}", g.1, g.0, e.0);
        }
        // Mir Castle is about 87.3 km from central Minsk.
        let mir = got.iter().find(|g| g.1 == "mir-castle").expect("Mir within 150 km");
        assert!((mir.0 - 87.3).abs() < 0.5, "{}", mir.0);
        // Cursor pages of a radius search give the same order.
        let mut walked = Vec::new();
        let mut uri = format!("/v1/tourist-sites?near={lat},{lon}&radius_km=150&limit=2");
        loop {
            let p = app.get(&uri).await.json();
            walked.extend(slugs(&p));
            match p["meta"]["next_cursor"].as_str() {
                Some(c) => uri = format!("/v1/tourist-sites?near={lat},{lon}&radius_km=150&limit=2&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(walked, slugs(&v));
        // An explicit sort wins over distance; descending distance reverses.
        let far_first = app.get(&format!("/v1/tourist-sites?near={lat},{lon}&radius_km=150&limit=100&sort=-distance")).await.json();
        let mut rev = slugs(&v);
        rev.reverse();
        assert_eq!(slugs(&far_first), rev);
        let by_name = app.get(&format!("/v1/tourist-sites?near={lat},{lon}&radius_km=150&limit=100&sort=name")).await.json();
        let names: Vec<&str> = data(&by_name).iter().map(|x| x["name"].as_str().unwrap()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(names, sorted);
        // The default radius is 25 km.
        let near_default = app.get(&format!("/v1/tourist-sites?near={lat},{lon}&limit=100")).await.json();
        assert!(data(&near_default).iter().all(|x| x["distance_km"].as_f64().unwrap() <= 25.0));
    }
}

both_backends! {
    async fn bbox_keeps_places_inside_the_box(app) {
        let bbox = (23.0, 51.5, 27.0, 54.0);
        let v = app.get(&format!("/v1/tourist-sites?bbox={},{},{},{}&limit=100", bbox.0, bbox.1, bbox.2, bbox.3)).await.json();
        let all = app.get("/v1/tourist-sites?limit=100").await.json();
        let expected: Vec<String> = data(&all)
            .iter()
            .filter(|x| {
                let (la, lo) = (x["location"]["lat"].as_f64().unwrap_or(99.0), x["location"]["lon"].as_f64().unwrap_or(999.0));
                la >= bbox.1 && la <= bbox.3 && lo >= bbox.0 && lo <= bbox.2
            })
            .map(|x| x["slug"].as_str().unwrap().to_string())
            .collect();
        assert!(!expected.is_empty());
        assert_eq!(slugs(&v), expected);
    }
}

both_backends! {
    async fn geojson_is_a_feature_collection_of_lon_lat_points(app) {
        for req in [
            TestRequest::get().uri("/v1/unesco-sites?format=geojson&limit=100"),
            TestRequest::get().uri("/v1/unesco-sites?limit=100").insert_header(("Accept", "application/geo+json")),
        ] {
            let r = app.send(req).await;
            assert_eq!(r.status, 200);
            assert_eq!(r.header("content-type").as_deref(), Some("application/geo+json"));
            let fc = r.json();
            assert_eq!(fc["type"], "FeatureCollection");
            let features = fc["features"].as_array().unwrap();
            let list = app.get("/v1/unesco-sites?limit=100").await.json();
            let located = data(&list).iter().filter(|x| !x["location"].is_null()).count();
            assert!(located < data(&list).len(), "demo has a listing without a location");
            assert_eq!(features.len(), located, "places without a location are left out");
            for f in features {
                assert_eq!(f["type"], "Feature");
                assert_eq!(f["geometry"]["type"], "Point");
                let c = f["geometry"]["coordinates"].as_array().unwrap();
                assert_eq!(c[0], f["properties"]["location"]["lon"]);
                assert_eq!(c[1], f["properties"]["location"]["lat"]);
                assert_eq!(f["id"], f["properties"]["id"]);
            }
        }
        app.get("/v1/monuments?format=kml").await.problem(400);
        let near = app.get("/v1/monuments?format=geojson&near=53.9006,27.559&radius_km=50").await.json();
        assert!(near["features"].as_array().unwrap().iter().all(|f| f["properties"]["distance_km"].is_number()));
    }
}

both_backends! {
    async fn nearby_mixes_kinds_by_distance(app) {
        let (lat, lon) = MINSK;
        let v = app.get(&format!("/v1/nearby?lat={lat}&lon={lon}&radius_km=30&limit=100")).await.json();
        let items = data(&v);
        assert!(items.len() >= 4);
        let kinds: std::collections::HashSet<&str> = items.iter().map(|x| x["type"].as_str().unwrap()).collect();
        assert!(kinds.len() >= 2, "{kinds:?}");
        let d: Vec<f64> = items.iter().map(|x| x["distance_km"].as_f64().unwrap()).collect();
        assert!(d.windows(2).all(|w| w[0] <= w[1]), "nearest first: {d:?}");
        for x in items {
            let e = law_of_cosines_km(lat, lon, x["location"]["lat"].as_f64().unwrap(), x["location"]["lon"].as_f64().unwrap());
            assert!((x["distance_km"].as_f64().unwrap() - e).abs() < 0.1);
            assert!(e <= 30.0);
        }
        let only = app.get(&format!("/v1/nearby?lat={lat}&lon={lon}&radius_km=30&types=monuments")).await.json();
        assert!(data(&only).iter().all(|x| x["type"] == "monument"), "the item type, as in search: {only}");
        for bad in [
            "/v1/nearby?lon=27",
            "/v1/nearby?lat=53",
            "/v1/nearby?lat=91&lon=27",
            "/v1/nearby?lat=53&lon=-181",
            "/v1/nearby?lat=north&lon=27",
            "/v1/nearby?lat=53&lon=27&radius_km=501",
            "/v1/nearby?lat=53&lon=27&radius_km=-1",
            "/v1/nearby?lat=53&lon=27&types=souvenirs",
        ] {
            app.get(bad).await.problem(400);
        }
    }
}

both_backends! {
    async fn bad_geo_parameters_are_400(app) {
        for bad in [
            "/v1/tourist-sites?near=abc",
            "/v1/tourist-sites?near=53.9",
            "/v1/tourist-sites?near=95,27",
            "/v1/tourist-sites?near=53,27&radius_km=0",
            "/v1/tourist-sites?near=53,27&radius_km=1000",
            "/v1/tourist-sites?radius_km=10",
            "/v1/tourist-sites?bbox=1,2,3",
            "/v1/tourist-sites?bbox=30,50,20,56",
            "/v1/tourist-sites?bbox=23,51,33,91",
            "/v1/tourist-sites?sort=distance",
            "/v1/sanatoria?sort=rank",
            "/v1/souvenirs?near=53,27",
            "/v1/tourist-sites/no-such-site",
        ] {
            let r = app.get(bad).await;
            assert!(r.status == 400 || r.status == 404, "{bad}: {}", r.status);
            r.problem(r.status.as_u16());
        }
        app.get("/v1/monuments/mir-castle").await.problem(404);
    }
}

both_backends! {
    async fn nearby_and_search_take_the_same_type_words(app) {
        let (lat, lon) = MINSK;
        let near = |types: &str| format!("/v1/nearby?lat={lat}&lon={lon}&radius_km=300&limit=100&types={types}");
        // /v1/nearby: the item types (canonical) and the collection names, alike.
        let by_type = app.get(&near("unesco_site,monument")).await.json();
        let by_collection = app.get(&near("unesco-sites,monuments")).await.json();
        let mixed = app.get(&near("unesco_site,monuments")).await.json();
        assert!(!data(&by_type).is_empty(), "{by_type}");
        let kinds: std::collections::HashSet<&str> =
            data(&by_type).iter().map(|x| x["type"].as_str().unwrap()).collect();
        assert!(kinds.iter().all(|k| ["unesco_site", "monument"].contains(k)), "item types, as in search: {kinds:?}");
        assert_eq!(slugs(&by_type), slugs(&by_collection));
        assert_eq!(slugs(&by_type), slugs(&mixed));
        // /v1/search: the collection names as well as the item types.
        let s1 = app.get("/v1/search?q=mir&types=unesco_site").await.json();
        let s2 = app.get("/v1/search?q=mir&types=unesco-sites").await.json();
        assert!(!s1["data"].as_array().unwrap().is_empty(), "{s1}");
        assert!(s1["data"].as_array().unwrap().iter().all(|h| h["type"] == "unesco_site"), "{s1}");
        assert_eq!(s1["data"], s2["data"]);
        // Souvenirs have no location: refused by /v1/nearby in either form.
        for bad in ["souvenir", "souvenirs", "unesco"] {
            let p = app.get(&near(bad)).await.problem(400);
            assert!(p["detail"].as_str().unwrap().contains("unesco_site"), "{p}");
        }
    }
}
