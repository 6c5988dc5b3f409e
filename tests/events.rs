#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The events calendar through HTTP: Minsk-time presentation, day-range overlap,
//! month boundaries, near-midnight events, all-day events and the ICS feed.

mod common;

use serde_json::Value;

/// Adds a published event with UTC instants given as `YYYY-MM-DD HH:MM:SS`.
async fn add_event(
    app: &common::TestApp,
    slug: &str,
    starts_utc: &str,
    ends_utc: &str,
    all_day: bool,
    event_status: &str,
) {
    app.exec(&format!(
        "INSERT INTO events (group_id, locale, slug, title, summary, category, starts_at, ends_at, all_day, \
         venue_name, venue_locality, region, lat, lon, is_free, event_status, status, published_at, created_at, updated_at) \
         VALUES (0, 'en', '{slug}', 'Test {slug}', 'A test event', 'concert', '{starts_utc}', '{ends_utc}', {all_day}, \
         'Minsk-Arena', 'Minsk', 'minsk-city', 53.9364, 27.4833, TRUE, '{event_status}', 'published', '2020-01-01 00:00:00', \
         '2020-01-01 00:00:00', '2020-01-01 00:00:00'); \
         UPDATE events SET group_id = id WHERE group_id = 0;",
        all_day = if all_day { "TRUE" } else { "FALSE" },
    ))
    .await;
}

/// Fixed events in 2035, far from the demo events of the coming year.
async fn fixtures(app: &common::TestApp) {
    // 30 Mar 10:00 - 2 Apr 18:00 Minsk.
    add_event(
        app,
        "multi-day",
        "2035-03-30 07:00:00",
        "2035-04-02 15:00:00",
        false,
        "scheduled",
    )
    .await;
    // 1 Apr 00:30 - 01:30 Minsk, which is still 31 March in UTC.
    add_event(
        app,
        "after-midnight",
        "2035-03-31 21:30:00",
        "2035-03-31 22:30:00",
        false,
        "scheduled",
    )
    .await;
    // All day on 5 April (Minsk).
    add_event(
        app,
        "all-day",
        "2035-04-04 21:00:00",
        "2035-04-05 21:00:00",
        true,
        "scheduled",
    )
    .await;
    // 10 Apr 20:00 - 11 Apr 00:00 Minsk: ends exactly at midnight.
    add_event(
        app,
        "ends-at-midnight",
        "2035-04-10 17:00:00",
        "2035-04-10 21:00:00",
        false,
        "scheduled",
    )
    .await;
    add_event(
        app,
        "called-off",
        "2035-04-20 16:00:00",
        "2035-04-20 18:00:00",
        false,
        "cancelled",
    )
    .await;
}

fn slugs(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| x["slug"].as_str().unwrap().to_string())
        .collect()
}

both_backends! {
    async fn day_ranges_select_overlapping_events_in_minsk_days(app) {
        fixtures(&app).await;
        let apr1 = app.get("/v1/events?from=2035-04-01&to=2035-04-01").await.json();
        assert_eq!(slugs(&apr1), ["multi-day", "after-midnight"]);
        let later = app.get("/v1/events?from=2035-04-02&to=2035-04-04").await.json();
        assert_eq!(slugs(&later), ["multi-day"]);
        let mar31 = app.get("/v1/events?from=2035-03-31&to=2035-03-31").await.json();
        assert_eq!(slugs(&mar31), ["multi-day"], "00:30 on 1 April is not 31 March in Minsk");
        let apr11 = app.get("/v1/events?from=2035-04-11&to=2035-04-11").await.json();
        assert!(slugs(&apr11).is_empty(), "an event ending at midnight does not reach the next day");
        let all = app.get("/v1/events?from=2035-01-01&to=2035-12-31").await.json();
        assert_eq!(all["meta"]["total"], 5);
        let only_from = app.get("/v1/events?from=2035-04-06").await.json();
        assert_eq!(slugs(&only_from), ["ends-at-midnight", "called-off"]);
        let p = app.get("/v1/events?from=2035-04-02&to=2035-04-01").await.problem(400);
        assert_eq!(p["errors"][0]["field"], "to");
    }
}

both_backends! {
    async fn times_show_the_minsk_offset_and_all_day_events_carry_dates(app) {
        fixtures(&app).await;
        let v = app.get("/v1/events?from=2035-03-01&to=2035-04-30&limit=100&include=translations").await.json();
        let by = |slug: &str| v["data"].as_array().unwrap().iter().find(|e| e["slug"] == slug).unwrap().clone();
        let multi = by("multi-day");
        assert_eq!(multi["starts_at"], "2035-03-30T10:00:00+03:00");
        assert_eq!(multi["ends_at"], "2035-04-02T18:00:00+03:00");
        assert_eq!(multi["start_date"], "2035-03-30");
        assert_eq!(multi["end_date"], "2035-04-02");
        assert_eq!(multi["timezone"], "Europe/Minsk");
        assert_eq!(multi["venue"]["region"]["slug"], "minsk-city");
        assert_eq!(multi["venue"]["location"]["lat"], 53.9364);
        let night = by("after-midnight");
        assert_eq!(night["starts_at"], "2035-04-01T00:30:00+03:00");
        assert_eq!(night["start_date"], "2035-04-01");
        let day = by("all-day");
        assert_eq!(day["all_day"], true);
        assert_eq!(day["start_date"], "2035-04-05");
        assert_eq!(day["end_date"], "2035-04-05");
        assert_eq!(day["starts_at"], "2035-04-05T00:00:00+03:00");
        assert_eq!(by("called-off")["status"], "cancelled");
        for key in ["id", "slug", "locale", "translations", "title", "summary", "description_html", "category", "starts_at", "ends_at", "all_day", "timezone", "venue", "organizer", "website", "price", "is_free", "status", "image", "tags"] {
            assert!(multi.get(key).is_some(), "event has {key}");
        }
        let item = app.get(&format!("/v1/events/{}", multi["id"])).await.json();
        assert_eq!(item["slug"], "multi-day");
        app.get("/v1/events/multi-day").await.json();
        app.get("/v1/events/no-such-event").await.problem(404);
    }
}

both_backends! {
    async fn month_calendar_counts_each_minsk_day_an_event_spans(app) {
        fixtures(&app).await;
        let apr = app.get("/v1/events/calendar?month=2035-04").await.json();
        assert_eq!(apr["timezone"], "Europe/Minsk");
        let days = apr["days"].as_array().unwrap();
        assert_eq!(days.len(), 30);
        let count = |d: usize| days[d - 1]["count"].as_i64().unwrap();
        let names = |d: usize| days[d - 1]["events"].as_array().unwrap().iter().map(|e| e["slug"].as_str().unwrap().to_string()).collect::<Vec<_>>();
        assert_eq!(names(1), ["multi-day", "after-midnight"]);
        assert_eq!(count(2), 1);
        assert_eq!(count(3), 0);
        assert_eq!(names(5), ["all-day"]);
        assert_eq!(count(4), 0, "an all-day event is not on the day before in UTC");
        assert_eq!(count(6), 0);
        assert_eq!(names(10), ["ends-at-midnight"]);
        assert_eq!(count(11), 0);
        let mar = app.get("/v1/events/calendar?month=2035-03").await.json();
        let mdays = mar["days"].as_array().unwrap();
        assert_eq!(mdays.len(), 31);
        assert_eq!(mdays[29]["count"], 1, "30 March: the multi-day event");
        assert_eq!(mdays[30]["count"], 1, "31 March: only the multi-day event");
        let filtered = app.get("/v1/events/calendar?month=2035-04&category=festival").await.json();
        assert!(filtered["days"].as_array().unwrap().iter().all(|d| d["count"] == 0));
        app.get("/v1/events/calendar?month=2035-4").await.problem(400);
        app.get("/v1/events/calendar").await.problem(400);
        app.get("/v1/events/calendar?month=2035-04&category=rave").await.problem(400);
    }
}

both_backends! {
    async fn without_a_range_the_list_holds_upcoming_and_ongoing_events_by_start(app) {
        app.exec("DELETE FROM event_tags; DELETE FROM events;").await;
        add_event(&app, "long-past", "2020-01-01 10:00:00", "2020-01-01 12:00:00", false, "scheduled").await;
        add_event(&app, "ongoing", "2020-01-01 10:00:00", "2099-01-01 12:00:00", false, "scheduled").await;
        add_event(&app, "future-b", "2090-05-01 10:00:00", "2090-05-01 12:00:00", false, "postponed").await;
        add_event(&app, "future-a", "2090-04-01 10:00:00", "2090-04-01 12:00:00", false, "scheduled").await;
        let v = app.get("/v1/events").await.json();
        assert_eq!(slugs(&v), ["ongoing", "future-a", "future-b"]);
        let by_title = app.get("/v1/events?sort=-title").await.json();
        assert_eq!(slugs(&by_title), ["ongoing", "future-b", "future-a"]);
        let page = app.get("/v1/events?limit=1").await.json();
        let c = page["meta"]["next_cursor"].as_str().unwrap();
        let next = app.get(&format!("/v1/events?limit=1&cursor={c}")).await.json();
        assert_eq!(slugs(&next), ["future-a"]);
    }
}

both_backends! {
    async fn an_event_ending_before_it_starts_is_never_stored(app) {
        let state = app.state.clone();
        let result = actix_web::web::block(move || {
            use diesel::connection::SimpleConnection;
            let mut conn = state.pool.get().unwrap();
            conn.batch_execute(
                "INSERT INTO events (group_id, locale, slug, title, category, starts_at, ends_at, status, created_at, updated_at) \
                 VALUES (1, 'en', 'backwards', 'Backwards', 'other', '2035-01-02 00:00:00', '2035-01-01 00:00:00', 'published', '2020-01-01 00:00:00', '2020-01-01 00:00:00')",
            )
        })
        .await
        .unwrap();
        assert!(result.is_err(), "the CHECK constraint refuses ends_at before starts_at");
        app.get("/v1/events/backwards").await.problem(404);
    }
}

both_backends! {
    async fn event_filters_by_category_region_text_and_distance(app) {
        let v = app.get("/v1/events?limit=100").await.json();
        assert!(v["meta"]["total"].as_i64().unwrap() >= 25);
        let festivals = app.get("/v1/events?category=festival&limit=100").await.json();
        assert!(!slugs(&festivals).is_empty());
        assert!(festivals["data"].as_array().unwrap().iter().all(|e| e["category"] == "festival"));
        let vitebsk = app.get("/v1/events?region=vitebsk&limit=100").await.json();
        assert!(slugs(&vitebsk).contains(&"slavianski-bazaar-vitebsk".to_string()));
        let q = app.get("/v1/events?q=bazaar").await.json();
        assert_eq!(slugs(&q), ["slavianski-bazaar-vitebsk"]);
        let near = app.get("/v1/events?near=55.1904,30.2049&radius_km=20&limit=100").await.json();
        let d: Vec<f64> = near["data"].as_array().unwrap().iter().map(|e| e["distance_km"].as_f64().unwrap()).collect();
        assert!(!d.is_empty() && d.iter().all(|x| *x <= 20.0));
        assert!(d.windows(2).all(|w| w[0] <= w[1]));
        let statuses: Vec<&str> = v["data"].as_array().unwrap().iter().map(|e| e["status"].as_str().unwrap()).collect();
        assert!(statuses.contains(&"cancelled") && statuses.contains(&"postponed"));
        app.get("/v1/events?category=rave").await.problem(400);
        app.get("/v1/events?region=narnia").await.problem(400);
        app.get("/v1/events?near=1000,1").await.problem(400);
        app.get("/v1/events?from=tomorrow").await.problem(400);
    }
}

both_backends! {
    async fn demo_calendar_covers_the_coming_year_with_the_required_events(app) {
        let v = app.get("/v1/events?limit=100").await.json();
        let events = v["data"].as_array().unwrap();
        assert!(events.len() >= 25);
        let multi = events.iter().filter(|e| e["start_date"] != e["end_date"]).count();
        let all_day = events.iter().filter(|e| e["all_day"] == true).count();
        let free = events.iter().filter(|e| e["is_free"] == true).count();
        assert!(multi >= 3 && all_day >= 3 && free >= 3, "{multi} {all_day} {free}");
        let independence = events.iter().find(|e| e["slug"].as_str().unwrap().contains("independence")).expect("Independence Day");
        assert!(independence["start_date"].as_str().unwrap().ends_with("-07-03"));
        let regions: std::collections::HashSet<&str> = events.iter().filter_map(|e| e["venue"]["region"]["slug"].as_str()).collect();
        assert_eq!(regions.len(), 7);
        // Every demo event starts within the next twelve months.
        let today = chrono::Utc::now().date_naive();
        let horizon = today + chrono::Duration::days(366);
        for e in events {
            let start: chrono::NaiveDate = e["start_date"].as_str().unwrap().parse().unwrap();
            assert!(start <= horizon, "{}", e["slug"]);
        }
    }
}

both_backends! {
    async fn ics_feed_is_valid_rfc5545_that_a_parser_reads(app) {
        fixtures(&app).await;
        let r = app.get("/v1/events.ics?from=2035-01-01&to=2035-12-31").await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("text/calendar"));
        let text = r.text();
        assert!(text.starts_with("BEGIN:VCALENDAR\r\n"));
        assert!(text.ends_with("END:VCALENDAR\r\n"));
        assert!(!text.replace("\r\n", "").contains('\n'), "CRLF line endings only");
        for line in text.split("\r\n") {
            assert!(line.len() <= 75, "folded at 75 octets: {line}");
        }
        assert!(text.contains("BEGIN:VTIMEZONE\r\nTZID:Europe/Minsk"));
        let unfolded = icalendar::parser::unfold(&text);
        let cal = icalendar::parser::read_calendar(&unfolded).expect("the icalendar parser reads it");
        let events: Vec<_> = cal.components.iter().filter(|c| c.name == "VEVENT").collect();
        assert_eq!(events.len(), 5);
        let prop = |c: &icalendar::parser::Component, name: &str| {
            c.properties.iter().find(|p| p.name == name).map(|p| p.val.to_string())
        };
        let param = |c: &icalendar::parser::Component, name: &str| {
            c.properties.iter().find(|p| p.name == name).map(|p| format!("{:?}", p.params))
        };
        let find = |summary: &str| *events.iter().find(|c| prop(c, "SUMMARY").as_deref() == Some(summary)).unwrap();
        let multi = find("Test multi-day");
        assert_eq!(prop(multi, "DTSTART").as_deref(), Some("20350330T100000"));
        assert!(param(multi, "DTSTART").unwrap().contains("Europe/Minsk"));
        assert_eq!(prop(multi, "DTEND").as_deref(), Some("20350402T180000"));
        assert!(prop(multi, "UID").unwrap().ends_with("@belportal"));
        assert!(prop(multi, "DTSTAMP").is_some());
        assert!(prop(multi, "LOCATION").unwrap().contains("Minsk-Arena"));
        assert_eq!(prop(multi, "GEO").as_deref(), Some("53.936400;27.483300"));
        assert!(prop(multi, "URL").is_some());
        assert_eq!(prop(multi, "STATUS").as_deref(), Some("CONFIRMED"));
        let day = find("Test all-day");
        assert_eq!(prop(day, "DTSTART").as_deref(), Some("20350405"));
        assert!(param(day, "DTSTART").unwrap().contains("DATE"));
        assert_eq!(prop(day, "DTEND").as_deref(), Some("20350406"), "DTEND of an all-day event is exclusive");
        assert_eq!(prop(find("Test called-off"), "STATUS").as_deref(), Some("CANCELLED"));
        // UIDs are stable across requests.
        let again = app.get("/v1/events.ics?from=2035-01-01&to=2035-12-31").await.text();
        let uids = |t: &str| t.lines().filter(|l| l.starts_with("UID:")).map(str::to_string).collect::<Vec<_>>();
        assert_eq!(uids(&text), uids(&again));
        app.get("/v1/events.ics?limit=5").await.problem(400);
        app.get("/v1/events.ics?category=rave").await.problem(400);
    }
}
