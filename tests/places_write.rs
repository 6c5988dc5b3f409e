#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The editorial write API of the five place collections: kind fields round
//! trips, per-field validation, conflicts, If-Match, publication previews, the
//! geo cell, the UNESCO → tourist site reference, translations and the changes feed.

mod common;
use common::ids;

use actix_web::test::TestRequest;
use serde_json::{json, Value};

fn image(name: &str) -> Value {
    json!({
        "url": format!("https://images.example.org/{name}.jpg"),
        "width": 1200, "height": 800, "alt": name, "caption": null, "credit": "test"
    })
}

/// A body every located kind accepts, before its kind fields.
fn place(slug: &str, lat: f64, lon: f64) -> Value {
    json!({
        "slug": slug,
        "name": format!("Place {slug}"),
        "summary": "A place for the write tests.",
        "description_html": "<p>Stone <b>walls</b>.</p>",
        "region": "grodno",
        "locality": "Lida",
        "address": "Zamkovaya 1",
        "location": {"lat": lat, "lon": lon},
        "image": image(slug),
        "gallery": [image("g1"), image("g2")],
        "website": "https://lida.example.by/",
        "phone": "+375 154 52-11-11",
        "email": "info@lida.example.by",
        "tags": ["castle", "gediminas"],
        "publication_status": "published"
    })
}

fn with(mut v: Value, extra: Value) -> Value {
    for (k, x) in extra.as_object().unwrap() {
        v[k] = x.clone();
    }
    v
}

fn tourist_site(slug: &str) -> Value {
    with(
        place(slug, 53.8868, 25.2997),
        json!({"category": "castle", "rank": 999, "opening_hours": "10:00-18:00", "admission": "8 BYN"}),
    )
}

fn unesco_site(slug: &str) -> Value {
    let mut v = with(
        place(slug, 53.45, 26.47),
        json!({
            "status": "tentative", "category": "cultural", "criteria": ["iv", "ii", "iv"],
            "unesco_id": 5432, "year_submitted": 2004, "transboundary": true,
            "countries": ["BY", "LT"], "area_ha": 12.5, "buffer_zone_ha": 80.0
        }),
    );
    v.as_object_mut().unwrap().remove("region");
    v
}

fn sanatorium(slug: &str) -> Value {
    with(
        place(slug, 54.1, 26.9),
        json!({
            "profiles": ["cardiovascular", "respiratory"], "treatments": ["mineral_water"],
            "capacity_beds": 300, "open_all_year": true, "accepts_children": false,
            "price_from": {"amount": 95.5, "currency": "BYN"}
        }),
    )
}

fn monument(slug: &str) -> Value {
    with(
        place(slug, 52.1, 26.1),
        json!({"kind": "obelisk", "year_unveiled": 1967, "commemorates": "The partisans of 1943"}),
    )
}

fn souvenir(slug: &str) -> Value {
    json!({
        "slug": slug, "name": "Glazed pottery", "summary": "Clay jugs.",
        "description_html": "<p>Fired twice.</p>", "category": "ceramics",
        "materials": ["Clay", "glaze", "clay"], "origin_region": "brest",
        "image": image(slug), "tags": ["pottery"], "publication_status": "published"
    })
}

fn feature_ids(fc: &Value) -> Vec<i64> {
    fc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect()
}

fn error_fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap().to_string())
        .collect()
}

/// A merge patch with `If-Match`, as editors send it.
fn merge_patch(uri: &str, key: &str, if_match: &str, body: Value) -> TestRequest {
    TestRequest::patch()
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {key}")))
        .insert_header(("If-Match", if_match.to_string()))
        .insert_header(("Content-Type", "application/merge-patch+json"))
        .set_payload(body.to_string())
}

async fn geo_cell(app: &common::TestApp, id: i64) -> Option<i32> {
    use belportal::db::schema::places;
    use diesel::prelude::*;
    app.with_conn(move |c| {
        places::table
            .find(id)
            .select(places::geo_cell)
            .first::<Option<i32>>(c)
            .expect("place row")
    })
    .await
}

both_backends!(
    async fn tourist_site_is_created_patched_and_deleted_with_its_fields(app) {
        let key = app.key("editor").await;
        let mut body = tourist_site("lida-castle-test");
        body["description_html"] = json!("<p onclick=\"x()\">Walls<script>alert(1)</script></p>");
        let res = app.post("/v1/tourist-sites", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let etag = res.header("etag").unwrap();
        let v = res.json();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(loc, format!("/v1/tourist-sites/{id}"));
        assert_eq!(v["category"], "castle");
        assert_eq!(v["rank"], 999);
        assert_eq!(v["opening_hours"], "10:00-18:00");
        assert_eq!(v["admission"], "8 BYN");
        assert_eq!(v["region"]["slug"], "grodno");
        assert_eq!(v["location"], json!({"lat": 53.8868, "lon": 25.2997}));
        assert_eq!(v["gallery"].as_array().unwrap().len(), 2);
        assert_eq!(v["tags"], json!(["castle", "gediminas"]));
        assert_eq!(v["publication_status"], "published");
        assert_eq!(v["phone"], "+375 154 52-11-11");
        assert_eq!(v["description_html"], "<p>Walls</p>");
        assert!(v.get("distance_km").is_none());

        // The public GET sends the same bytes with the same ETag, by id and by slug.
        let got = app.get(&loc).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.header("etag").as_deref(), Some(etag.as_str()));
        assert_eq!(got.body, res.body);
        assert_eq!(app.get("/v1/tourist-sites/lida-castle-test").await.body, res.body);

        // A merge patch of two fields keeps every other one; the rank moves it up the list.
        let res = app
            .send(merge_patch(&loc, &key, &etag, json!({"rank": 1, "admission": null})))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let v = res.json();
        assert_eq!(v["rank"], 1);
        assert!(v["admission"].is_null());
        assert_eq!(v["opening_hours"], "10:00-18:00");
        assert_eq!(v["category"], "castle");
        assert_eq!(v["tags"], json!(["castle", "gediminas"]));
        assert_eq!(v["location"], json!({"lat": 53.8868, "lon": 25.2997}));
        assert_eq!(v["gallery"].as_array().unwrap().len(), 2);
        assert_eq!(v["website"], "https://lida.example.by/");
        assert!(ids(&app.get("/v1/tourist-sites?limit=2").await.json()).contains(&id));
        // Unranked sites sort last.
        let res = app.patch(&loc, &key, json!({"rank": null})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let all = ids(&app.get("/v1/tourist-sites?limit=100").await.json());
        assert_eq!(all.last(), Some(&id));

        let res = app.delete(&loc, &key).await;
        assert_eq!(res.status, 204, "{}", res.text());
        app.get(&loc).await.problem(404);
        app.delete(&loc, &key).await.problem(404);
        let feed = app.get("/v1/changes").await.json();
        let mine: Vec<&str> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id && c["type"] == "tourist_site")
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(mine, ["created", "updated", "updated", "deleted"]);
    }
);

both_backends!(
    async fn unesco_listing_names_its_tourist_site_by_slug_and_keeps_two_statuses(app) {
        let key = app.key("editor").await;
        let site = app.post("/v1/tourist-sites", &key, tourist_site("test-fortress")).await;
        assert_eq!(site.status, 201, "{}", site.text());
        let site_id = site.json()["id"].as_i64().unwrap();
        let body = with(unesco_site("test-fortress-listing"), json!({"tourist_site": "test-fortress"}));
        let res = app.post("/v1/unesco-sites", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let v = res.json();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["tourist_site"], json!({"id": site_id, "slug": "test-fortress", "name": "Place test-fortress"}));
        assert_eq!(v["status"], "tentative");
        assert_eq!(v["publication_status"], "published");
        assert_eq!(v["criteria"], json!(["iv", "ii"]));
        assert_eq!(v["countries"], json!(["BY", "LT"]));
        assert_eq!(v["unesco_id"], 5432);
        assert_eq!(v["year_submitted"], 2004);
        assert_eq!(v["transboundary"], true);
        assert_eq!(v["area_ha"], 12.5);
        assert_eq!(v["buffer_zone_ha"], 80.0);
        assert!(v["region"].is_null());
        assert_eq!(app.get(&loc).await.body, res.body);
        assert!(ids(&app.get("/v1/unesco-sites?status=tentative").await.json()).contains(&id));
        assert!(!ids(&app.get("/v1/unesco-sites?status=inscribed").await.json()).contains(&id));
        assert!(ids(&app.get("/v1/unesco-sites?criterion=ii,iv").await.json()).contains(&id));

        // `status` is the listing status; the publication status is unchanged by it.
        let res = app.patch(&loc, &key, json!({"status": "inscribed", "year_inscribed": 2024})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let v = res.json();
        assert_eq!(v["status"], "inscribed");
        assert_eq!(v["year_inscribed"], 2024);
        assert_eq!(v["publication_status"], "published");
        assert_eq!(v["tourist_site"]["slug"], "test-fortress", "kept by the merge patch");
        let p = app.patch(&loc, &key, json!({"status": "draft"})).await.problem(422);
        assert_eq!(error_fields(&p), ["status"]);

        // The reference must name a tourist site in the listing's locale.
        let p = app.patch(&loc, &key, json!({"tourist_site": "nowhere"})).await.problem(422);
        assert_eq!(error_fields(&p), ["tourist_site"]);
        let ru = with(tourist_site("ru-fortress"), json!({"locale": "ru"}));
        assert_eq!(app.post("/v1/tourist-sites", &key, ru).await.status, 201);
        let p = app.patch(&loc, &key, json!({"tourist_site": "ru-fortress"})).await.problem(422);
        assert_eq!(error_fields(&p), ["tourist_site"]);
        let res = app.patch(&loc, &key, json!({"tourist_site": null})).await;
        assert!(res.json()["tourist_site"].is_null());
        let res = app.patch(&loc, &key, json!({"tourist_site": "test-fortress"})).await;
        assert_eq!(res.json()["tourist_site"]["id"], site_id);
        // The newest site: SQLite may give its id to the next new row once deleted.
        let last = app.post("/v1/tourist-sites", &key, tourist_site("last-fortress")).await;
        let site_id = last.json()["id"].as_i64().unwrap();
        let res = app.patch(&loc, &key, json!({"tourist_site": "last-fortress"})).await;
        assert_eq!(res.json()["tourist_site"]["id"], site_id);

        // Deleting the tourist site is allowed: the reference reads null, and
        // neither a later patch nor a new site with a reused id brings it back.
        let res = app.delete(&format!("/v1/tourist-sites/{site_id}"), &key).await;
        assert_eq!(res.status, 204, "{}", res.text());
        assert!(app.get(&loc).await.json()["tourist_site"].is_null());
        assert_eq!(app.post("/v1/tourist-sites", &key, tourist_site("newer-fortress")).await.status, 201);
        assert!(app.get(&loc).await.json()["tourist_site"].is_null());
        let res = app.patch(&loc, &key, json!({"name": "Renamed listing"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.json()["tourist_site"].is_null());

        // Archiving hides the listing from the public, not from a preview.
        let res = app.patch(&loc, &key, json!({"publication_status": "archived"})).await;
        assert_eq!(res.json()["status"], "inscribed");
        app.get(&loc).await.problem(404);
        let preview = app.get_as(&format!("{loc}?status=archived"), &key).await;
        assert_eq!(preview.status, 200);
        assert_eq!(preview.json()["publication_status"], "archived");
    }
);

both_backends!(
    async fn sanatorium_round_trips_profiles_treatments_and_price(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/sanatoria", &key, sanatorium("test-spa")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let v = res.json();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["profiles"], json!(["cardiovascular", "respiratory"]));
        assert_eq!(v["treatments"], json!(["mineral_water"]));
        assert_eq!(v["capacity_beds"], 300);
        assert_eq!(v["open_all_year"], true);
        assert_eq!(v["accepts_children"], false);
        assert_eq!(v["price_from"], json!({"amount": 95.5, "currency": "BYN"}));
        let found = app.get("/v1/sanatoria?profile=respiratory&treatment=mineral_water").await.json();
        assert!(ids(&found).contains(&id));
        // A merge patch merges into nested objects and replaces lists.
        let res = app
            .patch(&loc, &key, json!({"price_from": {"amount": 80}, "profiles": ["skin"], "status": "archived"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let v = res.json();
        assert_eq!(v["price_from"], json!({"amount": 80.0, "currency": "BYN"}));
        assert_eq!(v["profiles"], json!(["skin"]));
        assert_eq!(v["treatments"], json!(["mineral_water"]));
        assert_eq!(v["publication_status"], "archived", "`status` is a synonym here");
        let p = app
            .patch(&loc, &key, json!({"price_from": {"amount": -1, "currency": "byn"}, "capacity_beds": 0}))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["price_from.amount", "price_from.currency", "capacity_beds"]);
        let p = app
            .patch(&loc, &key, json!({"profiles": ["teeth"], "treatments": "massage"}))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["profiles", "treatments"]);
        let p = app
            .patch(&loc, &key, json!({"status": "draft", "publication_status": "published"}))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["status"]);
        assert_eq!(app.delete(&loc, &key).await.status, 204);
        app.get_as(&format!("{loc}?status=any"), &key).await.problem(404);
    }
);

both_backends!(
    async fn monument_round_trips_kind_year_and_commemoration(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/monuments", &key, monument("test-obelisk")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let v = res.json();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["kind"], "obelisk");
        assert_eq!(v["year_unveiled"], 1967);
        assert_eq!(v["commemorates"], "The partisans of 1943");
        assert!(ids(&app.get("/v1/monuments?kind=obelisk&limit=100").await.json()).contains(&id));
        let res = app.patch(&loc, &key, json!({"kind": "mass_grave", "commemorates": null})).await;
        let v = res.json();
        assert_eq!(v["kind"], "mass_grave");
        assert!(v["commemorates"].is_null());
        assert_eq!(v["year_unveiled"], 1967);
        let p = app
            .patch(&loc, &key, json!({"kind": "statue", "year_unveiled": 3000}))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["kind"]);
        let p = app.patch(&loc, &key, json!({"year_unveiled": 3000})).await.problem(422);
        assert_eq!(error_fields(&p), ["year_unveiled"]);
        assert_eq!(app.delete(&loc, &key).await.status, 204);
    }
);

both_backends!(
    async fn souvenir_round_trips_category_materials_and_origin_region(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/souvenirs", &key, souvenir("test-pottery")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let etag = res.header("etag").unwrap();
        let v = res.json();
        let id = v["id"].as_i64().unwrap();
        assert_eq!(v["category"], "ceramics");
        assert_eq!(v["materials"], json!(["clay", "glaze"]));
        assert_eq!(v["origin_region"]["slug"], "brest");
        assert_eq!(v["publication_status"], "published");
        assert!(v.get("location").is_none() && v.get("region").is_none());
        assert_eq!(app.get(&loc).await.header("etag"), Some(etag.clone()));
        let found = app.get("/v1/souvenirs?material=clay&category=ceramics&region=brest").await.json();
        assert!(ids(&found).contains(&id));
        let res = app.send(merge_patch(&loc, &key, &etag, json!({"status": "archived", "origin_region": null}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let v = res.json();
        assert_eq!(v["publication_status"], "archived");
        assert!(v["origin_region"].is_null());
        assert_eq!(v["materials"], json!(["clay", "glaze"]));
        // Souvenirs have no location, gallery or region.
        let p = app
            .patch(&loc, &key, json!({"location": {"lat": 1, "lon": 2}, "gallery": [], "region": "brest"}))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["gallery", "location", "region"]);
        assert_eq!(app.delete(&loc, &key).await.status, 204);
    }
);

both_backends!(
    async fn bad_place_bodies_get_one_error_per_field(app) {
        let key = app.key("editor").await;
        let p = app
            .post(
                "/v1/tourist-sites",
                &key,
                json!({
                    "slug": "bad-site", "name": "Bad", "category": "spaceport", "region": "atlantis",
                    "location": {"lat": "north"}, "colour": "red", "id": 5, "translations": [],
                    "created_at": "2024-01-01T00:00:00Z", "updated_at": null, "distance_km": 1.0,
                    "rank": "first", "publication_status": "live"
                }),
            )
            .await
            .problem(422);
        let mut fields = error_fields(&p);
        fields.sort();
        assert_eq!(
            fields,
            ["category", "colour", "created_at", "distance_km", "id", "location", "publication_status", "rank", "region", "translations", "updated_at"]
        );
        // Semantic errors, in field order, once the types are right.
        let p = app
            .post(
                "/v1/tourist-sites",
                &key,
                json!({
                    "slug": "Not A Slug", "location": {"lat": 95.0, "lon": 27.5},
                    "image": {"url": "javascript:alert(1)", "alt": ""}, "website": "ftp://example.org",
                    "phone": "call me", "email": "nobody", "rank": 0, "translation_of": 999999
                }),
            )
            .await
            .problem(422);
        assert_eq!(
            error_fields(&p),
            ["slug", "name", "location", "image.url", "website", "phone", "email", "rank", "translation_of"]
        );
        let p = app
            .post("/v1/monuments", &key, with(monument("far-away"), json!({"location": {"lat": 53.0, "lon": -181.0}})))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["location"]);
        // Every collection: missing name, a bad vocabulary value, unknown and read-only fields.
        for (coll, vocab) in [
            ("tourist-sites", json!({"category": "spaceport"})),
            ("unesco-sites", json!({"criteria": ["xi"]})),
            ("sanatoria", json!({"treatments": ["magic"]})),
            ("monuments", json!({"kind": "statue"})),
            ("souvenirs", json!({"category": "magnets"})),
        ] {
            let uri = format!("/v1/{coll}");
            let p = app.post(&uri, &key, json!({"slug": "no-name"})).await.problem(422);
            assert_eq!(error_fields(&p), ["name"], "{coll}");
            let bad = with(json!({"slug": "bad-vocab", "name": "Bad"}), vocab.clone());
            let p = app.post(&uri, &key, bad).await.problem(422);
            assert_eq!(error_fields(&p), [vocab.as_object().unwrap().keys().next().unwrap().clone()], "{coll}");
            let p = app
                .post(&uri, &key, json!({"slug": "extra", "name": "Extra", "opening_hourz": "9-5", "updated_at": "x"}))
                .await
                .problem(422);
            assert_eq!(error_fields(&p), ["opening_hourz", "updated_at"], "{coll}");
        }
        // UNESCO's own checks; `publication_status` takes no listing status.
        let p = app
            .post(
                "/v1/unesco-sites",
                &key,
                with(unesco_site("bad-listing"), json!({
                    "countries": ["by"], "year_inscribed": 1800, "area_ha": -1.0,
                    "tourist_site": "no-such-site", "publication_status": "published"
                })),
            )
            .await;
        let p = p.problem(422);
        assert_eq!(error_fields(&p), ["year_inscribed", "area_ha", "tourist_site", "countries"]);
        let p = app
            .post("/v1/unesco-sites", &key, with(unesco_site("bad-listing"), json!({"publication_status": "inscribed"})))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["publication_status"]);
        // Nothing half-written.
        let feed = app.get("/v1/changes").await.json();
        assert_eq!(feed["data"].as_array().unwrap().len(), 0);
    }
);

both_backends!(
    async fn duplicate_slug_in_a_collection_and_locale_is_409(app) {
        let key = app.key("editor").await;
        assert_eq!(app.post("/v1/monuments", &key, monument("twice")).await.status, 201);
        app.post("/v1/monuments", &key, monument("twice")).await.problem(409);
        // The demo data's slugs are taken too.
        app.post("/v1/tourist-sites", &key, tourist_site("mir-castle")).await.problem(409);
        // Another collection or another locale may use the slug.
        assert_eq!(app.post("/v1/tourist-sites", &key, tourist_site("twice")).await.status, 201);
        let ru = with(monument("twice"), json!({"locale": "ru"}));
        assert_eq!(app.post("/v1/monuments", &key, ru).await.status, 201);
        // Renaming onto a taken slug is a conflict as well.
        let other = app.post("/v1/monuments", &key, monument("once")).await;
        let loc = other.header("location").unwrap();
        app.patch(&loc, &key, json!({"slug": "twice"})).await.problem(409);
        assert_eq!(app.get(&loc).await.json()["slug"], "once");
    }
);

both_backends!(
    async fn stale_if_match_on_a_place_is_412_and_changes_nothing(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/sanatoria", &key, sanatorium("contested-spa")).await;
        let loc = res.header("location").unwrap();
        let etag = res.header("etag").unwrap();
        let res = app.send(merge_patch(&loc, &key, &etag, json!({"capacity_beds": 310}))).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = app.send(merge_patch(&loc, &key, &etag, json!({"capacity_beds": 999}))).await;
        res.problem(412);
        assert_eq!(app.get(&loc).await.json()["capacity_beds"], 310);
        let res = app
            .send(
                TestRequest::delete()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", etag)),
            )
            .await;
        res.problem(412);
        assert_eq!(app.get(&loc).await.status, 200);
        // Writes need an editor key.
        app.send(TestRequest::post().uri("/v1/sanatoria").set_json(sanatorium("keyless"))).await.problem(401);
    }
);

both_backends!(
    async fn draft_places_stay_private_but_editors_preview_them(app) {
        let key = app.key("editor").await;
        let (lat, lon) = (52.31, 30.93);
        let body = with(place("hidden-manor", lat, lon), json!({"category": "estate", "publication_status": "draft"}));
        let res = app.post("/v1/tourist-sites", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id = res.json()["id"].as_i64().unwrap();
        let near = format!("near={lat},{lon}&radius_km=5");

        // Invisible to the public: list, GeoJSON, /v1/nearby, by id and by slug.
        assert!(!ids(&app.get("/v1/tourist-sites?limit=100").await.json()).contains(&id));
        assert!(!ids(&app.get(&format!("/v1/tourist-sites?{near}")).await.json()).contains(&id));
        let fc = app.get(&format!("/v1/tourist-sites?format=geojson&{near}")).await.json();
        assert!(!feature_ids(&fc).contains(&id));
        let nearby = format!("/v1/nearby?lat={lat}&lon={lon}&radius_km=5");
        assert!(!ids(&app.get(&nearby).await.json()).contains(&id));
        app.get(&format!("/v1/tourist-sites/{id}")).await.problem(404);
        app.get("/v1/tourist-sites/hidden-manor").await.problem(404);

        // Editors preview it; previews need a key and a known status.
        app.get("/v1/tourist-sites?status=any").await.problem(401);
        app.get(&format!("/v1/tourist-sites/{id}?status=any")).await.problem(401);
        app.get_as("/v1/tourist-sites?status=secret", &key).await.problem(400);
        let pv = app.get_as(&format!("/v1/tourist-sites?status=any&{near}"), &key).await.json();
        assert!(ids(&pv).contains(&id));
        let drafts = app.get_as("/v1/tourist-sites?status=draft&limit=100", &key).await.json();
        assert_eq!(ids(&drafts), [id]);
        assert_eq!(drafts["data"][0]["publication_status"], "draft");
        let published = app.get_as("/v1/tourist-sites?status=published&limit=100", &key).await.json();
        assert!(!ids(&published).contains(&id));
        let fc = app.get_as(&format!("/v1/tourist-sites?status=any&format=geojson&{near}"), &key).await.json();
        assert_eq!(feature_ids(&fc), [id]);
        assert_eq!(app.get_as(&format!("/v1/tourist-sites/{id}?status=any"), &key).await.status, 200);
        assert_eq!(app.get_as("/v1/tourist-sites/hidden-manor?status=draft", &key).await.status, 200);
        app.get_as("/v1/tourist-sites/hidden-manor?status=published", &key).await.problem(404);
        // /v1/nearby stays public-only, key or not.
        assert!(!ids(&app.get_as(&nearby, &key).await.json()).contains(&id));

        // UNESCO: `status` filters the listing status, or previews with an editor key.
        let res = app
            .post("/v1/unesco-sites", &key, with(unesco_site("hidden-listing"), json!({"status": "inscribed", "publication_status": "draft"})))
            .await;
        let uid = res.json()["id"].as_i64().unwrap();
        assert!(!ids(&app.get("/v1/unesco-sites?status=inscribed").await.json()).contains(&uid));
        app.get("/v1/unesco-sites?status=draft").await.problem(401);
        app.get("/v1/unesco-sites?status=lost").await.problem(400);
        let pv = app.get_as("/v1/unesco-sites?status=draft", &key).await.json();
        assert_eq!(ids(&pv), [uid]);
        assert_eq!(pv["data"][0]["status"], "inscribed");
        assert_eq!(app.get_as(&format!("/v1/unesco-sites/{uid}?status=draft"), &key).await.status, 200);

        // Souvenirs, sanatoria and monuments preview the same way.
        for (coll, body) in [
            ("souvenirs", souvenir("hidden-souvenir")),
            ("sanatoria", sanatorium("hidden-spa")),
            ("monuments", monument("hidden-obelisk")),
        ] {
            let res = app.post(&format!("/v1/{coll}"), &key, with(body, json!({"publication_status": "draft"}))).await;
            let sid = res.json()["id"].as_i64().unwrap();
            assert!(!ids(&app.get(&format!("/v1/{coll}?limit=100")).await.json()).contains(&sid), "{coll}");
            assert_eq!(ids(&app.get_as(&format!("/v1/{coll}?status=draft"), &key).await.json()), [sid], "{coll}");
        }

        // The changes feed hides the draft from anonymous readers; editors see it.
        let feed = app.get("/v1/changes?limit=1000").await.json();
        assert!(!feed["data"].as_array().unwrap().iter().any(|c| c["id"] == id && c["type"] == "tourist_site"));
        let feed = app.get_as("/v1/changes?limit=1000", &key).await.json();
        assert!(feed["data"].as_array().unwrap().iter().any(|c| c["id"] == id && c["type"] == "tourist_site"));

        // Published, it shows up everywhere.
        let res = app.patch(&format!("/v1/tourist-sites/{id}"), &key, json!({"status": "published"})).await;
        assert_eq!(res.json()["publication_status"], "published");
        assert!(ids(&app.get(&format!("/v1/tourist-sites?{near}")).await.json()).contains(&id));
        assert!(ids(&app.get(&nearby).await.json()).contains(&id));
        assert_eq!(app.get("/v1/tourist-sites/hidden-manor").await.status, 200);
    }
);

both_backends!(
    async fn a_written_location_sets_the_geo_cell_that_radius_search_reads(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/monuments", &key, monument("geo-obelisk")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").unwrap();
        let id = res.json()["id"].as_i64().unwrap();
        let cell = |lat: f64, lon: f64| Some(belportal::geo::cell(belportal::geo::Point { lat, lon }));
        assert_eq!(geo_cell(&app, id).await, cell(52.1, 26.1));
        let found = app.get("/v1/monuments?near=52.1,26.1&radius_km=1").await.json();
        let hit = found["data"].as_array().unwrap().iter().find(|x| x["id"] == id).cloned().unwrap();
        assert_eq!(hit["distance_km"], 0.0);
        let nearby = app.get("/v1/nearby?lat=52.1&lon=26.1&radius_km=1&types=monuments").await.json();
        assert!(ids(&nearby).contains(&id));

        // Moving it moves its cell: found at the new spot, not at the old one.
        let res = app.patch(&loc, &key, json!({"location": {"lat": 55.49, "lon": 28.76}})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(geo_cell(&app, id).await, cell(55.49, 28.76));
        assert!(!ids(&app.get("/v1/monuments?near=52.1,26.1&radius_km=1").await.json()).contains(&id));
        assert!(ids(&app.get("/v1/monuments?near=55.49,28.76&radius_km=1").await.json()).contains(&id));
        let fc = app.get("/v1/monuments?format=geojson&bbox=28.7,55.4,28.8,55.6").await.json();
        assert!(feature_ids(&fc).contains(&id));

        // Without a location there is no cell, and geo searches leave it out.
        let res = app.patch(&loc, &key, json!({"location": null})).await;
        assert!(res.json()["location"].is_null());
        assert_eq!(geo_cell(&app, id).await, None);
        assert!(!ids(&app.get("/v1/monuments?near=55.49,28.76&radius_km=1").await.json()).contains(&id));
        assert!(ids(&app.get("/v1/monuments?kind=obelisk&limit=100").await.json()).contains(&id));
    }
);

both_backends!(
    async fn translation_of_links_a_place_across_locales(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/sanatoria", &key, sanatorium("twin-spa")).await;
        let en = res.json()["id"].as_i64().unwrap();
        let ru_body = with(sanatorium("twin-spa"), json!({"locale": "ru", "translation_of": en, "publication_status": "draft"}));
        let res = app.post("/v1/sanatoria", &key, ru_body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.header("content-language").as_deref(), Some("ru"));
        let ru = res.json()["id"].as_i64().unwrap();
        // A draft translation is not listed yet.
        assert_eq!(app.get(&format!("/v1/sanatoria/{en}")).await.json()["translations"], json!([]));
        app.patch(&format!("/v1/sanatoria/{ru}"), &key, json!({"publication_status": "published"})).await;
        assert_eq!(
            app.get(&format!("/v1/sanatoria/{en}")).await.json()["translations"],
            json!([{"locale": "ru", "id": ru, "slug": "twin-spa"}])
        );
        assert_eq!(
            app.get("/v1/sanatoria/twin-spa?lang=ru").await.json()["translations"],
            json!([{"locale": "en", "id": en, "slug": "twin-spa"}])
        );
        // One translation per locale, of the same collection, of an existing item.
        let p = app
            .patch(&format!("/v1/sanatoria/{ru}"), &key, json!({"locale": "en", "slug": "twin-spa-en"}))
            .await
            .problem(422);
        assert_eq!(error_fields(&p), ["locale"]);
        let again = with(sanatorium("twin-spa-2"), json!({"locale": "ru", "translation_of": en}));
        let p = app.post("/v1/sanatoria", &key, again).await.problem(422);
        assert_eq!(error_fields(&p), ["translation_of"]);
        let mon = app.post("/v1/monuments", &key, monument("not-a-spa")).await.json()["id"].as_i64().unwrap();
        let wrong = with(sanatorium("twin-spa-be"), json!({"locale": "be", "translation_of": mon}));
        let p = app.post("/v1/sanatoria", &key, wrong).await.problem(422);
        assert_eq!(error_fields(&p), ["translation_of"]);

        // Deleting the item whose id names the group leaves the others on their
        // own, even when SQLite hands the deleted id to the next new item.
        let res = app.post("/v1/sanatoria", &key, with(sanatorium("group-a"), json!({"locale": "be"}))).await;
        let a = res.json()["id"].as_i64().unwrap();
        let res = app.post("/v1/sanatoria", &key, sanatorium("group-b")).await;
        let b = res.json()["id"].as_i64().unwrap();
        let res = app.patch(&format!("/v1/sanatoria/{a}"), &key, json!({"translation_of": b})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["translations"], json!([{"locale": "en", "id": b, "slug": "group-b"}]));
        assert_eq!(app.delete(&format!("/v1/sanatoria/{b}"), &key).await.status, 204);
        assert_eq!(app.get(&format!("/v1/sanatoria/{a}")).await.json()["translations"], json!([]));
        let res = app.post("/v1/sanatoria", &key, sanatorium("group-c")).await;
        let c = res.json()["id"].as_i64().unwrap();
        assert_eq!(app.get(&format!("/v1/sanatoria/{c}")).await.json()["translations"], json!([]));
        assert_eq!(app.get(&format!("/v1/sanatoria/{a}")).await.json()["translations"], json!([]));
        // Deleting a translation leaves the other locale without it.
        assert_eq!(app.delete(&format!("/v1/sanatoria/{en}"), &key).await.status, 204);
        assert_eq!(app.get(&format!("/v1/sanatoria/{ru}")).await.json()["translations"], json!([]));
    }
);

both_backends!(
    async fn changes_feed_names_each_place_type(app) {
        let key = app.key("editor").await;
        let mut created = Vec::new();
        for (coll, body) in [
            ("tourist-sites", tourist_site("feed-site")),
            ("unesco-sites", unesco_site("feed-listing")),
            ("sanatoria", sanatorium("feed-spa")),
            ("monuments", monument("feed-obelisk")),
            ("souvenirs", souvenir("feed-souvenir")),
        ] {
            let res = app.post(&format!("/v1/{coll}"), &key, body).await;
            assert_eq!(res.status, 201, "{coll}: {}", res.text());
            created.push((res.json()["id"].as_i64().unwrap(), res.header("location").unwrap()));
        }
        app.patch(&created[3].1, &key, json!({"year_unveiled": 1970})).await;
        app.delete(&created[4].1, &key).await;
        let feed = app.get("/v1/changes").await.json();
        let entries: Vec<(String, i64, String, String)> = feed["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| {
                (
                    c["type"].as_str().unwrap().to_string(),
                    c["id"].as_i64().unwrap(),
                    c["action"].as_str().unwrap().to_string(),
                    c["slug"].as_str().unwrap_or_default().to_string(),
                )
            })
            .collect();
        let expected: Vec<(String, i64, String, String)> = [
            ("tourist_site", created[0].0, "created", "feed-site"),
            ("unesco_site", created[1].0, "created", "feed-listing"),
            ("sanatorium", created[2].0, "created", "feed-spa"),
            ("monument", created[3].0, "created", "feed-obelisk"),
            ("souvenir", created[4].0, "created", "feed-souvenir"),
            ("monument", created[3].0, "updated", "feed-obelisk"),
            ("souvenir", created[4].0, "deleted", "feed-souvenir"),
        ]
        .iter()
        .map(|(t, id, a, s)| (t.to_string(), *id, a.to_string(), s.to_string()))
        .collect();
        assert_eq!(entries, expected);
    }
);

#[test]
fn openapi_documents_the_place_writes() {
    let spec = serde_json::to_value(belportal::openapi_spec()).unwrap();
    for (coll, body) in [
        ("tourist-sites", "TouristSiteWrite"),
        ("unesco-sites", "UnescoSiteWrite"),
        ("sanatoria", "SanatoriumWrite"),
        ("monuments", "MonumentWrite"),
        ("souvenirs", "SouvenirWrite"),
    ] {
        let post = &spec["paths"][format!("/v1/{coll}")]["post"];
        assert_eq!(post["security"], json!([{"api_key": []}]), "{coll}");
        assert_eq!(
            post["requestBody"]["content"]["application/json"]["schema"]["$ref"],
            format!("#/components/schemas/{body}")
        );
        let item = &spec["paths"][format!("/v1/{coll}/{{id}}")];
        assert!(
            item["patch"]["requestBody"]["content"]["application/merge-patch+json"].is_object(),
            "{coll}"
        );
        assert!(item["delete"]["responses"]["204"].is_object(), "{coll}");
        assert!(
            item["get"]["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .any(|p| p["name"] == "status"),
            "{coll}"
        );
    }
    let core = &spec["components"]["schemas"]["PlaceCore"]["properties"];
    assert!(core["publication_status"].is_object());
}

both_backends!(
    async fn a_scheduled_place_turns_public_by_itself(app) {
        let key = app.key("editor").await;
        // Tomorrow while privacy is checked; a second from now below.
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let body = with(monument("dawn-obelisk"), json!({"published_at": tomorrow}));
        let res = app.post("/v1/monuments", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id = res.json()["id"].as_i64().unwrap();
        assert_eq!(res.json()["publication_status"], "published");
        let item = format!("/v1/monuments/{id}");
        let near = "/v1/monuments?near=52.1,26.1&radius_km=1";
        app.get(&item).await.problem(404);
        assert!(!ids(&app.get(near).await.json()).contains(&id));
        // Editors see it among the published ones (scheduled included).
        assert_eq!(app.get_as(&format!("{item}?status=published"), &key).await.status, 200);
        // The write registered it for the changes feed's announcement when due.
        let pending: i64 = app
            .with_conn(move |c| {
                use belportal::db::schema::scheduled_changes as s;
                use diesel::prelude::*;
                s::table
                    .filter(s::resource.eq("monument"))
                    .filter(s::item_id.eq(id))
                    .count()
                    .get_result(c)
                    .expect("count")
            })
            .await;
        assert_eq!(pending, 1);
        let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
        let res = app.patch(&item, &key, json!({"published_at": soon})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1000)).await;
        assert_eq!(app.get(&item).await.status, 200);
        assert!(ids(&app.get(near).await.json()).contains(&id));
    }
);
