#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The news API through HTTP: lists, filters, pagination, items, calendar, feeds.

mod common;
use common::ids;

use std::collections::HashSet;

use serde_json::Value;

both_backends! {
    async fn article_list_is_newest_first_in_the_list_envelope(app) {
        let r = app.get("/v1/articles").await;
        assert_eq!(r.status, 200);
        let v = r.json();
        assert_eq!(v["meta"]["total"], 40);
        assert_eq!(v["meta"]["limit"], 20);
        assert_eq!(v["meta"]["page"], Value::Null);
        let data = v["data"].as_array().unwrap();
        assert_eq!(data.len(), 20);
        let times: Vec<&str> = data.iter().map(|a| a["published_at"].as_str().unwrap()).collect();
        let mut sorted = times.clone();
        sorted.sort_by(|a, b| b.cmp(a));
        assert_eq!(times, sorted, "newest first");
        assert!(data[0].get("body_html").is_none(), "list items omit body_html");
        assert!(data[0].get("translations").is_none(), "translations are an opt-in expansion of lists");
        for key in ["id", "slug", "locale", "section", "title", "lead", "dateline", "source", "image", "tags", "published_at", "updated_at", "created_at", "reading_time_minutes"] {
            assert!(data[0].get(key).is_some(), "list item has {key}");
        }
        let next = v["links"]["next"].as_str().unwrap();
        assert!(r.header("link").unwrap().contains(&format!("<{next}>; rel=\"next\"")));
        assert_eq!(v["links"]["self"], "/v1/articles");
    }
}

both_backends! {
    async fn cursor_pagination_visits_every_article_once_in_order(app) {
        let mut seen = Vec::new();
        let mut uri = "/v1/articles?limit=7".to_string();
        let mut pages = 0;
        loop {
            let v = app.get(&uri).await.json();
            seen.extend(ids(&v));
            pages += 1;
            match v["meta"]["next_cursor"].as_str() {
                Some(c) => uri = format!("/v1/articles?limit=7&cursor={c}"),
                None => {
                    assert_eq!(v["links"]["next"], Value::Null);
                    break;
                }
            }
            assert!(pages < 20, "pagination must end");
        }
        assert_eq!(pages, 6);
        assert_eq!(seen.len(), 40);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 40, "no duplicates");
        // The same order as one big page.
        let all = ids(&app.get("/v1/articles?limit=100").await.json());
        assert_eq!(seen, all);
    }
}

both_backends! {
    async fn title_sort_pages_by_cursor_in_both_directions(app) {
        let all = app.get("/v1/articles?limit=100&sort=title").await.json();
        let titles: Vec<String> = all["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect();
        let mut walked = Vec::new();
        let mut uri = "/v1/articles?limit=15&sort=title".to_string();
        loop {
            let v = app.get(&uri).await.json();
            walked.extend(v["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()));
            match v["meta"]["next_cursor"].as_str() {
                Some(c) => uri = format!("/v1/articles?limit=15&sort=title&cursor={c}"),
                None => break,
            }
        }
        assert_eq!(walked, titles);
        let desc = app.get("/v1/articles?limit=100&sort=-title").await.json();
        let mut reversed: Vec<String> = desc["data"].as_array().unwrap().iter().map(|a| a["title"].as_str().unwrap().to_string()).collect();
        reversed.reverse();
        assert_eq!(reversed, titles);
        // A cursor of one sort is refused by another.
        let c = app.get("/v1/articles?limit=5").await.json()["meta"]["next_cursor"].as_str().unwrap().to_string();
        app.get(&format!("/v1/articles?sort=title&cursor={c}")).await.problem(400);
    }
}

both_backends! {
    async fn numbered_pages_give_total_and_first_prev_last_links(app) {
        let r = app.get("/v1/articles?limit=15&page=2").await;
        let v = r.json();
        assert_eq!(v["meta"]["page"], 2);
        assert_eq!(v["meta"]["total"], 40);
        assert_eq!(v["data"].as_array().unwrap().len(), 15);
        assert_eq!(v["links"]["next"], "/v1/articles?limit=15&page=3");
        let link = r.header("link").unwrap();
        assert!(link.contains("</v1/articles?limit=15&page=1>; rel=\"first\""), "{link}");
        assert!(link.contains("</v1/articles?limit=15&page=1>; rel=\"prev\""), "{link}");
        assert!(link.contains("</v1/articles?limit=15&page=3>; rel=\"last\""), "{link}");
        let page2 = ids(&v);
        let all = ids(&app.get("/v1/articles?limit=100").await.json());
        assert_eq!(page2, all[15..30].to_vec());
        let last = app.get("/v1/articles?limit=15&page=3").await.json();
        assert_eq!(last["data"].as_array().unwrap().len(), 10);
        assert_eq!(last["links"]["next"], Value::Null);
    }
}

both_backends! {
    async fn section_filter_includes_subsections(app) {
        let news = app.get("/v1/articles?section=news&limit=100").await.json();
        assert_eq!(news["meta"]["total"], 40, "every section is a child of news");
        let oi = app.get("/v1/articles?section=opinions-interviews&limit=100").await.json();
        assert_eq!(oi["meta"]["total"], 7);
        for a in oi["data"].as_array().unwrap() {
            assert_eq!(a["section"]["slug"], "opinions-interviews");
        }
        let p = app.get("/v1/articles?section=no-such-section").await.problem(400);
        assert_eq!(p["errors"][0]["field"], "section");
    }
}

both_backends! {
    async fn tag_filter_returns_only_tagged_articles(app) {
        let v = app.get("/v1/articles?tag=pakistan&limit=100").await.json();
        let n = v["meta"]["total"].as_i64().unwrap();
        assert!(n >= 2, "demo has several pakistan items");
        for a in v["data"].as_array().unwrap() {
            assert!(a["tags"].as_array().unwrap().iter().any(|t| t == "pakistan"));
        }
        assert_eq!(app.get("/v1/articles?tag=no-such-tag").await.json()["meta"]["total"], 0);
        app.get("/v1/articles?tag=Bad%20Tag").await.problem(400);
    }
}

both_backends! {
    async fn from_and_to_select_minsk_days_inclusively(app) {
        // Published 2023-06-30T21:30Z, which is 1 July 00:30 in Minsk.
        let july = app.get("/v1/articles?from=2023-07-01&to=2023-07-01").await.json();
        let slugs: Vec<&str> = july["data"].as_array().unwrap().iter().map(|a| a["slug"].as_str().unwrap()).collect();
        let late = app.get("/v1/articles?q=independence&limit=100").await.json();
        let late_slug = late["data"].as_array().unwrap().iter()
            .find(|a| a["published_at"] == "2023-06-30T21:30:00Z")
            .map(|a| a["slug"].as_str().unwrap().to_string())
            .expect("the late-evening Independence Day item");
        assert!(slugs.contains(&late_slug.as_str()), "{slugs:?}");
        let june = app.get("/v1/articles?from=2023-06-30&to=2023-06-30").await.json();
        assert!(!june["data"].as_array().unwrap().iter().any(|a| a["slug"] == late_slug.as_str()));
        // 31 May 2023 holds the source page's item and one more.
        let may31 = app.get("/v1/articles?from=2023-05-31&to=2023-05-31").await.json();
        assert_eq!(may31["meta"]["total"], 2);
        app.get("/v1/articles?from=2023-06-02&to=2023-06-01").await.problem(400);
        app.get("/v1/articles?from=31.05.2023").await.problem(400);
    }
}

both_backends! {
    async fn q_matches_title_or_lead_case_insensitively_and_literally(app) {
        let v = app.get("/v1/articles?q=PAKISTAN&limit=100").await.json();
        assert!(v["meta"]["total"].as_i64().unwrap() >= 2);
        for a in v["data"].as_array().unwrap() {
            let hay = format!("{} {}", a["title"], a["lead"]).to_lowercase();
            assert!(hay.contains("pakistan"), "{hay}");
        }
        // Wildcards are literal text, not patterns.
        assert_eq!(app.get("/v1/articles?q=%25").await.json()["meta"]["total"], 0);
        assert_eq!(app.get("/v1/articles?q=_").await.json()["meta"]["total"], 0);
        for hostile in ["%27%20OR%201%3D1--", "%22%22%22", "%5C", "*", "a%20AND%20b"] {
            assert_eq!(app.get(&format!("/v1/articles?q={hostile}")).await.status, 200, "{hostile}");
        }
        app.get("/v1/articles?q=").await.problem(400);
    }
}

both_backends! {
    async fn updated_since_keeps_recently_changed_articles(app) {
        app.exec("UPDATE articles SET updated_at = '2030-01-01 00:00:00' WHERE slug = 'fm-belarus-pakistan-talks'").await;
        let v = app.get("/v1/articles?updated_since=2029-12-31T23:00:00Z").await.json();
        assert_eq!(v["meta"]["total"], 1);
        assert_eq!(v["data"][0]["slug"], "fm-belarus-pakistan-talks");
        app.get("/v1/articles?updated_since=yesterday").await.problem(400);
    }
}

both_backends! {
    async fn source_page_article_is_served_by_slug_and_by_id(app) {
        let r = app.get("/v1/articles/fm-belarus-pakistan-talks").await;
        assert_eq!(r.status, 200);
        assert_eq!(r.header("content-language").as_deref(), Some("en"));
        let a = r.json();
        assert_eq!(a["title"], "FM: Belarus and Pakistan stay committed to mutually beneficial cooperation");
        assert_eq!(a["section"]["slug"], "opinions-interviews");
        assert_eq!(a["dateline"], "MINSK, 31 May");
        assert_eq!(a["source"], "BelTA");
        assert_eq!(a["published_at"], "2023-05-31T08:40:00Z");
        assert_eq!(a["image"]["caption"], "An archive photo");
        assert!(a["body_html"].as_str().unwrap().contains("Islamabad"));
        assert!(a["reading_time_minutes"].as_i64().unwrap() >= 1);
        let related = a["related"].as_array().unwrap();
        assert!(!related.is_empty() && related.len() <= 4);
        assert!(related.iter().all(|r| r["id"] != a["id"]));
        let by_id = app.get(&format!("/v1/articles/{}", a["id"])).await.json();
        assert_eq!(by_id["slug"], "fm-belarus-pakistan-talks");
        // A slug is looked up in the requested locale only.
        app.get("/v1/articles/fm-belarus-pakistan-talks?lang=ru").await.problem(404);
        app.get("/v1/articles/no-such-article").await.problem(404);
        app.get("/v1/articles/Bad%20Slug").await.problem(404);
        app.get("/v1/articles/99999999999999999999").await.problem(404);
    }
}

both_backends! {
    async fn drafts_archived_and_scheduled_articles_stay_hidden(app) {
        app.exec("UPDATE articles SET status = 'draft' WHERE slug = 'fm-belarus-pakistan-talks'").await;
        app.exec("UPDATE articles SET status = 'archived' WHERE slug = 'belarus-pakistan-agricultural-machinery'").await;
        app.exec("UPDATE articles SET published_at = '2999-01-01 00:00:00' WHERE slug = 'nesvizh-palace-autumn-visitors'").await;
        app.get("/v1/articles/fm-belarus-pakistan-talks").await.problem(404);
        app.get("/v1/articles/nesvizh-palace-autumn-visitors").await.problem(404);
        let v = app.get("/v1/articles?limit=100").await.json();
        assert_eq!(v["meta"]["total"], 37);
        let slugs: Vec<&str> = v["data"].as_array().unwrap().iter().map(|a| a["slug"].as_str().unwrap()).collect();
        assert!(!slugs.contains(&"fm-belarus-pakistan-talks"));
        assert!(!slugs.contains(&"belarus-pakistan-agricultural-machinery"));
        assert!(!slugs.contains(&"nesvizh-palace-autumn-visitors"));
        let cal = app.get("/v1/articles/calendar?month=2023-05").await.json();
        let may31 = cal["days"].as_array().unwrap().iter().find(|d| d["date"] == "2023-05-31").unwrap().clone();
        assert_eq!(may31["count"], 0);
        let feed = app.get("/v1/articles/feed.atom").await.text();
        assert!(!feed.contains("fm-belarus-pakistan-talks"));
    }
}

both_backends! {
    async fn archive_calendar_lists_every_day_with_minsk_counts(app) {
        let v = app.get("/v1/articles/calendar?month=2023-05").await.json();
        assert_eq!(v["month"], "2023-05");
        assert_eq!(v["timezone"], "Europe/Minsk");
        let days = v["days"].as_array().unwrap();
        assert_eq!(days.len(), 31);
        assert_eq!(days[0]["date"], "2023-05-01");
        assert_eq!(days[30]["date"], "2023-05-31");
        assert_eq!(days[30]["count"], 2);
        let total: i64 = days.iter().map(|d| d["count"].as_i64().unwrap()).sum();
        let listed = app.get("/v1/articles?from=2023-05-01&to=2023-05-31").await.json();
        assert_eq!(total, listed["meta"]["total"].as_i64().unwrap());
        // The 21:30 UTC item of 30 June counts on 1 July.
        let july = app.get("/v1/articles/calendar?month=2023-07").await.json();
        assert_eq!(july["days"][0]["count"], 1);
        let feb = app.get("/v1/articles/calendar?month=2024-02").await.json();
        assert_eq!(feb["days"].as_array().unwrap().len(), 29, "leap year");
        for bad in ["2023-13", "2023-5", "May", "2023-05-01"] {
            app.get(&format!("/v1/articles/calendar?month={bad}")).await.problem(400);
        }
        app.get("/v1/articles/calendar").await.problem(400);
    }
}

both_backends! {
    async fn atom_and_rss_feeds_parse_and_hold_the_latest_articles(app) {
        let r = app.get("/v1/articles/feed.atom").await;
        assert_eq!(r.status, 200);
        assert!(r.header("content-type").unwrap().starts_with("application/atom+xml"));
        let feed: atom_syndication::Feed = r.text().parse().expect("valid Atom");
        assert_eq!(feed.entries().len(), 40);
        let newest = app.get("/v1/articles?limit=1").await.json();
        assert_eq!(feed.entries()[0].title().as_str(), newest["data"][0]["title"].as_str().unwrap());
        let r = app.get("/v1/articles/feed.rss?section=opinions-interviews").await;
        assert!(r.header("content-type").unwrap().starts_with("application/rss+xml"));
        let channel: rss::Channel = r.text().parse().expect("valid RSS");
        assert_eq!(channel.items().len(), 7);
        app.get("/v1/articles/feed.rss?section=nope").await.problem(400);
        app.get("/v1/articles/feed.atom?limit=5").await.problem(400);
    }
}

both_backends! {
    async fn sections_form_a_tree_with_parent_and_children(app) {
        let v = app.get("/v1/sections").await.json();
        assert!(v["meta"]["total"].as_i64().unwrap() >= 8);
        let news = app.get("/v1/sections/news").await.json();
        assert_eq!(news["parent"], Value::Null);
        let children: Vec<&str> = news["children"].as_array().unwrap().iter().map(|c| c["slug"].as_str().unwrap()).collect();
        assert!(children.contains(&"opinions-interviews"));
        let oi = app.get("/v1/sections/opinions-interviews").await.json();
        assert_eq!(oi["parent"]["slug"], "news");
        assert_eq!(oi["title"], "Opinions & Interviews");
        let by_id = app.get(&format!("/v1/sections/{}", oi["id"])).await.json();
        assert_eq!(by_id["slug"], "opinions-interviews");
        let roots = app.get("/v1/sections?parent=root").await.json();
        assert_eq!(roots["meta"]["total"], 1);
        app.get("/v1/sections/nope").await.problem(404);
        app.get("/v1/sections?parent=nope").await.problem(400);
    }
}

both_backends! {
    async fn regions_are_localized_by_lang_and_accept_language(app) {
        let v = app.get("/v1/regions").await.json();
        let slugs: Vec<&str> = v["data"].as_array().unwrap().iter().map(|r| r["slug"].as_str().unwrap()).collect();
        assert_eq!(slugs, ["brest", "vitebsk", "gomel", "grodno", "minsk-region", "mogilev", "minsk-city"]);
        let ru = app.get("/v1/regions/grodno?lang=ru").await;
        assert_eq!(ru.header("content-language").as_deref(), Some("ru"));
        assert_eq!(ru.json()["name"], "Гродненская область");
        let be = app
            .send(actix_web::test::TestRequest::get().uri("/v1/regions/brest").insert_header(("Accept-Language", "de, be;q=0.8, en;q=0.5")))
            .await;
        assert_eq!(be.header("content-language").as_deref(), Some("be"));
        assert_eq!(be.json()["capital"], "Брэст");
        // `*` is "any language": the default locale (en), not the first listed (be).
        let any = app
            .send(actix_web::test::TestRequest::get().uri("/v1/regions/brest").insert_header(("Accept-Language", "*")))
            .await;
        assert_eq!(any.header("content-language").as_deref(), Some("en"));
        let loc = app.get("/v1/regions/minsk-city").await.json();
        assert!((loc["location"]["lat"].as_f64().unwrap() - 53.9).abs() < 0.1);
        app.get("/v1/regions/atlantis").await.problem(404);
        app.get("/v1/regions?lang=xx").await.problem(400);
    }
}

both_backends! {
    async fn any_of_matches_the_listed_values_as_eq_any_does_for_any_length(app) {
        use belportal::db::any_of::any_of;
        use belportal::db::schema::articles;
        use diesel::prelude::*;
        app.with_conn(|c| {
            let all: Vec<i64> = articles::table.select(articles::id).order(articles::id).load(c).unwrap();
            assert!(all.len() >= 2);
            let by_any_of = |c: &mut belportal::db::AnyConnection, ids: &[i64]| -> Vec<i64> {
                articles::table
                    .filter(any_of(c, articles::id, ids))
                    .select(articles::id)
                    .order(articles::id)
                    .load(c)
                    .unwrap()
            };
            assert_eq!(by_any_of(c, &[]), Vec::<i64>::new(), "an empty list matches nothing");
            assert_eq!(by_any_of(c, &[all[1]]), vec![all[1]]);
            // More values than SQLite's old limit of 999 parameters.
            let mut many: Vec<i64> = (0..1500 - all.len() as i64).map(|i| 1_000_000 + i).collect();
            many.extend(all.iter().rev());
            assert_eq!(many.len(), 1500);
            assert_eq!(by_any_of(c, &many), all);
            let expected: Vec<i64> = articles::table
                .filter(articles::id.eq_any(many.clone()))
                .select(articles::id)
                .order(articles::id)
                .load(c)
                .unwrap();
            assert_eq!(by_any_of(c, &many), expected, "as eq_any");
            // Text values, quotes and backslashes included.
            let locales = vec!["en".to_string(), "b\"e\\".to_string(), "x'y".to_string()];
            let found: Vec<i64> = articles::table
                .filter(any_of(c, articles::locale, &locales))
                .select(articles::id)
                .order(articles::id)
                .load(c)
                .unwrap();
            let expected: Vec<i64> = articles::table
                .filter(articles::locale.eq_any(locales))
                .select(articles::id)
                .order(articles::id)
                .load(c)
                .unwrap();
            assert!(!expected.is_empty());
            assert_eq!(found, expected);
            let odd = vec!["b\"e\\".to_string()];
            let none: Vec<i64> = articles::table
                .filter(any_of(c, articles::locale, &odd))
                .select(articles::id)
                .load(c)
                .unwrap();
            assert!(none.is_empty());
        })
        .await;
    }
}

both_backends! {
    async fn an_article_etag_carries_the_stored_own_version(app) {
        let v = app.get("/v1/articles?limit=100&include=translations").await.json();
        let found = ids(&v);
        assert!(found.len() >= 20);
        for id in found {
            let r = app.get(&format!("/v1/articles/{id}")).await;
            assert_eq!(r.status, 200);
            let etag = r.header("etag").unwrap();
            let own = app
                .with_conn(move |c| {
                    belportal::editorial::own_version::<belportal::resources::articles::write::Articles>(
                        c,
                        id.into(),
                    )
                    .unwrap()
                })
                .await;
            assert!(etag.starts_with(&format!("\"{own}-")), "article {id}: {etag} vs {own}");
        }
    }
}
