#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The editorial write API for events: round trips, all-day normalization,
//! per-field validation, concurrency, publication previews and the changes feed.

mod common;

use actix_web::test::TestRequest;
use serde_json::{json, Value};

/// A published evening event in July 2035 (far from the demo events).
fn event(slug: &str) -> Value {
    json!({
        "slug": slug,
        "title": "Kupalle night on the Sluch",
        "summary": "Wreaths on the river and a fire until dawn.",
        "description_html": "<p>Bring a <b>wreath</b>.</p><script>alert(1)</script>",
        "category": "festival",
        "starts_at": "2035-07-06T20:00:00+03:00",
        "ends_at": "2035-07-07T02:00:00+03:00",
        "venue": {
            "name": "Riverside park",
            "address": "Sluch embankment",
            "locality": "Slutsk",
            "region": "minsk-region",
            "location": {"lat": 53.0274, "lon": 27.5597}
        },
        "organizer": "Slutsk culture house",
        "website": "https://example.org/kupalle",
        "price": "from 10 BYN",
        "tags": ["kupalle", "folk"],
        "publication_status": "published"
    })
}

fn fields(p: &Value) -> Vec<String> {
    p["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["field"].as_str().expect("field").to_string())
        .collect()
}

fn patch_with(uri: &str, key: &str, etag: &str, body: &str) -> TestRequest {
    TestRequest::patch()
        .uri(uri)
        .insert_header(("Authorization", format!("Bearer {key}")))
        .insert_header(("If-Match", etag.to_string()))
        .insert_header(("Content-Type", "application/merge-patch+json"))
        .set_payload(body.to_string())
}

both_backends!(
    async fn editor_creates_patches_and_deletes_an_event(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/events", &key, event("kupalle-sluch")).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let loc = res.header("location").expect("location");
        let etag = res.header("etag").expect("etag");
        let created = res.json();
        let id = created["id"].as_i64().unwrap();
        assert_eq!(loc, format!("/v1/events/{id}"));
        assert_eq!(created["slug"], "kupalle-sluch");
        assert_eq!(created["locale"], "en");
        assert_eq!(created["category"], "festival");
        assert_eq!(created["starts_at"], "2035-07-06T20:00:00+03:00");
        assert_eq!(created["ends_at"], "2035-07-07T02:00:00+03:00");
        assert_eq!(created["start_date"], "2035-07-06");
        assert_eq!(created["end_date"], "2035-07-07");
        assert_eq!(created["all_day"], false);
        assert_eq!(created["timezone"], "Europe/Minsk");
        assert_eq!(created["venue"]["name"], "Riverside park");
        assert_eq!(created["venue"]["locality"], "Slutsk");
        assert_eq!(created["venue"]["region"]["slug"], "minsk-region");
        assert_eq!(created["venue"]["location"], json!({"lat": 53.0274, "lon": 27.5597}));
        assert_eq!(created["website"], "https://example.org/kupalle");
        assert_eq!(created["is_free"], false);
        assert_eq!(created["status"], "scheduled");
        assert_eq!(created["publication_status"], "published");
        assert_eq!(created["tags"], json!(["folk", "kupalle"]));
        let html = created["description_html"].as_str().unwrap();
        assert!(html.contains("<b>wreath</b>") && !html.contains("script"), "{html}");

        // The public sees it, with the ETag the write returned.
        let got = app.get(&loc).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.header("etag").as_deref(), Some(etag.as_str()));
        assert_eq!(got.body, res.body);

        // A merge patch of part of the venue keeps the rest of it and every other field.
        let res = app
            .send(patch_with(
                &loc,
                &key,
                &etag,
                r#"{"venue": {"name": "Old town square", "location": null}, "price": null, "is_free": true}"#,
            ))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let updated = res.json();
        assert_eq!(updated["venue"]["name"], "Old town square");
        assert_eq!(updated["venue"]["locality"], "Slutsk");
        assert_eq!(updated["venue"]["region"]["slug"], "minsk-region");
        assert!(updated["venue"]["location"].is_null());
        assert!(updated["price"].is_null());
        assert_eq!(updated["is_free"], true);
        assert_eq!(updated["title"], "Kupalle night on the Sluch");
        assert_eq!(updated["starts_at"], "2035-07-06T20:00:00+03:00");
        assert_eq!(updated["ends_at"], "2035-07-07T02:00:00+03:00");
        assert_eq!(updated["tags"], json!(["folk", "kupalle"]));
        assert_eq!(updated["organizer"], "Slutsk culture house");
        let new_etag = res.header("etag").unwrap();
        assert_ne!(new_etag, etag);
        assert_eq!(app.get(&loc).await.header("etag"), Some(new_etag.clone()));

        let res = app
            .send(
                TestRequest::delete()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", new_etag)),
            )
            .await;
        assert_eq!(res.status, 204, "{}", res.text());
        app.get(&loc).await.problem(404);
        app.get_as(&format!("{loc}?status=any"), &key).await.problem(404);

        let changes = app.get("/v1/changes").await.json();
        let mine: Vec<&str> = changes["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|c| c["id"] == id && c["type"] == "event")
            .map(|c| c["action"].as_str().unwrap())
            .collect();
        assert_eq!(mine, ["created", "updated", "deleted"]);
        let entry = &changes["data"][0];
        assert_eq!(entry["slug"], "kupalle-sluch");
        assert_eq!(entry["locale"], "en");
    }
);

both_backends!(
    async fn all_day_events_are_stored_as_whole_minsk_days(app) {
        let key = app.key("editor").await;
        let mut body = event("craft-fair");
        body["category"] = json!("fair");
        body["all_day"] = json!(true);
        // Times inside the days, one given in UTC: widened to 5-6 April, Minsk.
        body["starts_at"] = json!("2035-04-05T15:00:00+03:00");
        body["ends_at"] = json!("2035-04-06T07:00:00Z");
        let res = app.post("/v1/events", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let e = res.json();
        let loc = res.header("location").unwrap();
        assert_eq!(e["all_day"], true);
        assert_eq!(e["starts_at"], "2035-04-05T00:00:00+03:00");
        assert_eq!(e["ends_at"], "2035-04-07T00:00:00+03:00");
        assert_eq!(e["start_date"], "2035-04-05");
        assert_eq!(e["end_date"], "2035-04-06");

        // A patch of another field keeps the normalized times.
        let res = app.patch(&loc, &key, json!({"title": "Spring craft fair"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let e = res.json();
        assert_eq!(e["starts_at"], "2035-04-05T00:00:00+03:00");
        assert_eq!(e["ends_at"], "2035-04-07T00:00:00+03:00");

        // Without `ends_at`, an all-day event lasts its one day.
        let mut one = event("one-day-fair");
        one["all_day"] = json!(true);
        one["starts_at"] = json!("2035-04-10T12:00:00+03:00");
        one.as_object_mut().unwrap().remove("ends_at");
        let e = app.post("/v1/events", &key, one).await.json();
        assert_eq!(e["starts_at"], "2035-04-10T00:00:00+03:00");
        assert_eq!(e["ends_at"], "2035-04-11T00:00:00+03:00");
        assert_eq!(e["end_date"], "2035-04-10");

        // A timed event without `ends_at` ends when it starts.
        let mut instant = event("midnight-fireworks");
        instant.as_object_mut().unwrap().remove("ends_at");
        let e = app.post("/v1/events", &key, instant).await.json();
        assert_eq!(e["ends_at"], e["starts_at"]);

        // The calendar shows the fair on both days, the feed as whole days.
        let cal = app.get("/v1/events/calendar?month=2035-04").await.json();
        for (day, n) in [(4usize, 1), (5, 1), (6, 0)] {
            let d = &cal["days"][day];
            assert_eq!(d["count"], n, "{d}");
        }
        let ics = app.get("/v1/events.ics?from=2035-04-01&to=2035-04-08").await.text();
        assert!(ics.contains("DTSTART;VALUE=DATE:20350405"), "{ics}");
        assert!(ics.contains("DTEND;VALUE=DATE:20350407"), "{ics}");
    }
);

both_backends!(
    async fn bad_event_bodies_get_one_error_per_field(app) {
        let key = app.key("editor").await;
        // Type errors, unknown and read-only fields.
        let p = app
            .post(
                "/v1/events",
                &key,
                json!({
                    "slug": "rave",
                    "title": "Rave",
                    "category": "rave",
                    "starts_at": "2035-05-01 20:00",
                    "start_date": "2035-05-01",
                    "timezone": "Europe/Minsk",
                    "colour": "red",
                    "venue": {"floor": 2},
                }),
            )
            .await
            .problem(422);
        let f = fields(&p);
        for want in ["category", "starts_at", "start_date", "timezone", "colour", "venue"] {
            assert!(f.contains(&want.to_string()), "{want} missing from {f:?}");
        }
        let venue = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "venue")
            .unwrap();
        assert!(venue["message"].as_str().unwrap().contains("floor"), "{venue}");
        let read_only = p["errors"]
            .as_array()
            .unwrap()
            .iter()
            .find(|e| e["field"] == "start_date")
            .unwrap();
        assert_eq!(read_only["message"], "is read-only");

        // Semantic errors: a missing title, an end before the start, bad coordinates.
        let p = app
            .post(
                "/v1/events",
                &key,
                json!({
                    "slug": "backwards",
                    "category": "concert",
                    "starts_at": "2035-05-01T20:00:00+03:00",
                    "ends_at": "2035-05-01T18:00:00+03:00",
                    "venue": {"location": {"lat": 95.0, "lon": -200.0}},
                    "website": "ftp://example.org/",
                }),
            )
            .await
            .problem(422);
        assert_eq!(
            fields(&p),
            ["title", "ends_at", "venue.location.lat", "venue.location.lon", "website"]
        );
        // Required fields, each named.
        let p = app.post("/v1/events", &key, json!({})).await.problem(422);
        assert_eq!(fields(&p), ["slug", "title", "category", "starts_at"]);

        // Duplicate slug in the same locale: 409.
        assert_eq!(app.post("/v1/events", &key, event("twice")).await.status, 201);
        let p = app.post("/v1/events", &key, event("twice")).await.problem(409);
        assert!(p["detail"].as_str().unwrap().contains("slug"));

        // Patches name read-only and unknown fields too, and change nothing.
        let id = app.get("/v1/events/twice").await.json()["id"].as_i64().unwrap();
        let uri = format!("/v1/events/{id}");
        let p = app
            .patch(&uri, &key, json!({"start_date": "2035-01-01", "colour": "red"}))
            .await
            .problem(422);
        let mut f = fields(&p);
        f.sort();
        assert_eq!(f, ["colour", "start_date"]);
        let p = app
            .patch(&uri, &key, json!({"ends_at": "2035-07-06T19:00:00+03:00"}))
            .await
            .problem(422);
        assert_eq!(fields(&p), ["ends_at"]);
        app.patch(&uri, &key, json!({"category": "rave"})).await.problem(422);
        assert_eq!(app.get(&uri).await.json()["category"], "festival");

        // Nothing half-written: only the one successful create is in the feed.
        let changes = app.get("/v1/changes").await.json();
        assert_eq!(changes["data"].as_array().unwrap().len(), 1);
    }
);

both_backends!(
    async fn a_stale_if_match_is_412_and_changes_nothing(app) {
        let key = app.key("editor").await;
        let res = app.post("/v1/events", &key, event("contested-event")).await;
        let loc = res.header("location").unwrap();
        let first = res.header("etag").unwrap();
        let res = app
            .send(patch_with(&loc, &key, &first, r#"{"title": "First edit"}"#))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let second = res.header("etag").unwrap();
        app.send(patch_with(&loc, &key, &first, r#"{"title": "Lost update"}"#))
            .await
            .problem(412);
        let res = app
            .send(
                TestRequest::delete()
                    .uri(&loc)
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("If-Match", first)),
            )
            .await;
        res.problem(412);
        let got = app.get(&loc).await;
        assert_eq!(got.json()["title"], "First edit");
        assert_eq!(got.header("etag"), Some(second));
    }
);

both_backends!(
    async fn draft_events_stay_out_of_lists_calendar_and_feed_until_published(app) {
        let key = app.key("editor").await;
        let mut body = event("closed-rehearsal");
        body["title"] = json!("Closed dress rehearsal");
        body["category"] = json!("theatre");
        body["starts_at"] = json!("2035-08-10T19:00:00+03:00");
        body["ends_at"] = json!("2035-08-10T22:00:00+03:00");
        body.as_object_mut().unwrap().remove("publication_status");
        let res = app.post("/v1/events", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let draft = res.json();
        assert_eq!(draft["publication_status"], "draft");
        assert!(draft["published_at"].is_null());
        let etag = res.header("etag").unwrap();
        let id = draft["id"].as_i64().unwrap();
        let range = "from=2035-08-01&to=2035-08-31";

        // Invisible to the public everywhere.
        let list = app.get(&format!("/v1/events?{range}")).await.json();
        assert_eq!(list["meta"]["total"], 0);
        app.get(&format!("/v1/events/{id}")).await.problem(404);
        app.get("/v1/events/closed-rehearsal").await.problem(404);
        let cal = app.get("/v1/events/calendar?month=2035-08").await.json();
        assert_eq!(cal["days"][9]["count"], 0);
        let ics = app.get(&format!("/v1/events.ics?{range}")).await.text();
        assert!(!ics.contains("Closed dress rehearsal"), "{ics}");
        // An editor key does not open the calendar or the feed either.
        let cal = app.get_as("/v1/events/calendar?month=2035-08", &key).await.json();
        assert_eq!(cal["days"][9]["count"], 0);
        let ics = app.get_as(&format!("/v1/events.ics?{range}"), &key).await.text();
        assert!(!ics.contains("Closed dress rehearsal"));

        // Previews need an editor key.
        app.get(&format!("/v1/events?{range}&status=any")).await.problem(401);
        app.get(&format!("/v1/events/{id}?status=any")).await.problem(401);
        app.get_as(&format!("/v1/events?{range}&status=live"), &key)
            .await
            .problem(400);
        let preview = app
            .get_as(&format!("/v1/events?{range}&status=any"), &key)
            .await
            .json();
        assert_eq!(preview["meta"]["total"], 1);
        assert_eq!(preview["data"][0]["slug"], "closed-rehearsal");
        assert_eq!(preview["data"][0]["publication_status"], "draft");
        let drafts = app
            .get_as(&format!("/v1/events?{range}&status=draft"), &key)
            .await
            .json();
        assert_eq!(drafts["meta"]["total"], 1);
        let published = app
            .get_as(&format!("/v1/events?{range}&status=published"), &key)
            .await
            .json();
        assert_eq!(published["meta"]["total"], 0);
        let item = app.get_as(&format!("/v1/events/{id}?status=any"), &key).await;
        assert_eq!(item.status, 200);
        assert_eq!(item.header("etag"), Some(etag));
        let by_slug = app
            .get_as("/v1/events/closed-rehearsal?status=draft", &key)
            .await;
        assert_eq!(by_slug.status, 200);

        // The changes feed hides the draft from anonymous readers, not from editors.
        let feed = app.get("/v1/changes").await.json();
        assert_eq!(feed["data"], json!([]));
        let feed = app.get_as("/v1/changes", &key).await.json();
        let entry = &feed["data"][0];
        assert_eq!(entry["type"], "event");
        assert_eq!(entry["id"], id);
        assert_eq!(entry["slug"], "closed-rehearsal");

        // Published: it appears everywhere.
        let res = app
            .patch(&format!("/v1/events/{id}"), &key, json!({"publication_status": "published"}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert!(res.json()["published_at"].is_string());
        let list = app.get(&format!("/v1/events?{range}")).await.json();
        assert_eq!(list["meta"]["total"], 1);
        assert_eq!(list["data"][0]["publication_status"], "published");
        assert_eq!(app.get(&format!("/v1/events/{id}")).await.status, 200);
        let cal = app.get("/v1/events/calendar?month=2035-08").await.json();
        assert_eq!(cal["days"][9]["count"], 1);
        assert_eq!(cal["days"][9]["events"][0]["slug"], "closed-rehearsal");
        let ics = app.get(&format!("/v1/events.ics?{range}")).await.text();
        assert!(ics.contains("Closed dress rehearsal"));
        // Anonymous readers see it from its publication on.
        let feed = app.get("/v1/changes").await.json();
        assert_eq!(feed["data"][0]["slug"], "closed-rehearsal");
        assert_eq!(feed["data"][0]["action"], "updated");
    }
);

both_backends!(
    async fn a_cancelled_event_shows_status_cancelled(app) {
        let key = app.key("editor").await;
        let mut body = event("cancelled-concert");
        body["category"] = json!("concert");
        body["status"] = json!("cancelled");
        let res = app.post("/v1/events", &key, body).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let created = res.json();
        assert_eq!(created["status"], "cancelled");
        assert_eq!(created["publication_status"], "published");
        let loc = res.header("location").unwrap();
        assert_eq!(app.get(&loc).await.json()["status"], "cancelled");
        let ics = app.get("/v1/events.ics?from=2035-07-01&to=2035-07-31").await.text();
        assert!(ics.contains("STATUS:CANCELLED"), "{ics}");
        // `status` is the event's status only: a publication value is a 422.
        let p = app.patch(&loc, &key, json!({"status": "draft"})).await.problem(422);
        assert_eq!(fields(&p), ["status"]);
        // Postponing keeps the event public.
        let res = app.patch(&loc, &key, json!({"status": "postponed"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let e = res.json();
        assert_eq!(e["status"], "postponed");
        assert_eq!(e["publication_status"], "published");
        assert_eq!(app.get(&loc).await.json()["status"], "postponed");
    }
);

both_backends!(
    async fn translation_of_links_events_across_locales(app) {
        let key = app.key("editor").await;
        let en = app.post("/v1/events", &key, event("kupalle-night")).await.json();
        let en_id = en["id"].as_i64().unwrap();
        let mut be = event("kupalle-noch");
        be["locale"] = json!("be");
        be["title"] = json!("Купалле на Случы");
        be["translation_of"] = json!(en_id);
        let res = app.post("/v1/events", &key, be.clone()).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let be_id = res.json()["id"].as_i64().unwrap();
        assert_eq!(res.json()["translations"][0]["id"], en_id);
        let en = app.get(&format!("/v1/events/{en_id}")).await.json();
        assert_eq!(en["translations"], json!([{"locale": "be", "id": be_id, "slug": "kupalle-noch"}]));
        // A second `be` translation of the same group is refused.
        be["slug"] = json!("kupalle-druhaja");
        let p = app.post("/v1/events", &key, be).await.problem(422);
        assert_eq!(fields(&p), ["translation_of"]);
        let mut missing = event("orphan");
        missing["translation_of"] = json!(999_999);
        let p = app.post("/v1/events", &key, missing).await.problem(422);
        assert_eq!(fields(&p), ["translation_of"]);
    }
);
