#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Full-text search and multilingual reads: ranking, highlighting, stemming,
//! locale negotiation, translation links, hostile queries, and the index kept
//! current by writes.

mod common;

use actix_web::test::TestRequest;
use common::search::{hits, urlencode};
use serde_json::json;

both_backends!(
    async fn search_ranks_title_matches_first_and_marks_the_words(app) {
        let res = app.get("/v1/search?q=castle").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.header("content-language").as_deref(), Some("en"));
        let body = res.json();
        let found = hits(&body);
        assert!(found.len() >= 3, "{found:?}");
        // Every kind of item is searched, and items named for a castle come first.
        let top = &body["data"][0];
        assert!(top["title"].as_str().unwrap().to_lowercase().contains("castle"), "{top}");
        assert!(found.iter().any(|(t, _)| t == "tourist_site"));
        assert!(found.iter().any(|(t, _)| t == "unesco_site"));
        let scores: Vec<f64> = body["data"].as_array().unwrap().iter().map(|h| h["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        for h in body["data"].as_array().unwrap() {
            let snippet = h["snippet"].as_str().unwrap();
            assert!(snippet.to_lowercase().contains("<mark>castle"), "{snippet}");
            assert!(!snippet.contains("<p>"), "snippets are plain text: {snippet}");
        }
        assert!(body["meta"]["total"].as_i64().unwrap() as usize >= found.len());
    }
);

both_backends!(
    async fn english_words_are_stemmed_in_search_and_list_q(app) {
        // "castles" and "festivals" find "castle" and "festival".
        let s = app.get("/v1/search?q=castles&types=tourist_site").await.json();
        assert!(hits(&s).iter().any(|(_, slug)| slug == "mir-castle"), "{s}");
        let l = app.get("/v1/tourist-sites?q=castles").await.json();
        assert!(l["data"].as_array().unwrap().iter().any(|p| p["slug"] == "mir-castle"), "{l}");
        let e = app.get("/v1/events?q=festivals&from=2020-01-01&to=2040-12-31").await.json();
        assert!(e["meta"]["total"].as_i64().unwrap() > 0, "{e}");
        let a = app.get("/v1/articles?q=talks").await.json();
        assert!(a["data"].as_array().unwrap().iter().any(|x| x["slug"] == "fm-belarus-pakistan-talks"), "{a}");
    }
);

both_backends!(
    async fn russian_search_finds_other_word_forms(app) {
        // "фестивалях" (prepositional plural) finds the festival events, whose
        // texts say "фестиваль", "фестиваля" ...
        let s = app.get(&format!("/v1/search?q={}&lang=ru", urlencode("фестивалях"))).await;
        assert_eq!(s.status, 200, "{}", s.text());
        assert_eq!(s.header("content-language").as_deref(), Some("ru"));
        let s = s.json();
        assert!(hits(&s).iter().any(|(t, _)| t == "event"), "{s}");
        // ... and "замки" (plural) the castles named "замок" in their texts.
        let c = app.get(&format!("/v1/search?q={}&lang=ru&types=tourist_site", urlencode("замки"))).await.json();
        assert!(!hits(&c).is_empty(), "{c}");
        let first = &s["data"][0];
        assert!(first["snippet"].as_str().unwrap().contains("<mark>"), "{first}");
        // Belarusian: "замак" finds "замка"/"замкавы" forms by their stem.
        let b = app.get(&format!("/v1/search?q={}&lang=be", urlencode("замак"))).await.json();
        assert!(!hits(&b).is_empty(), "{b}");
        // English items are not mixed into a Russian search.
        assert!(hits(&s).iter().all(|(_, slug)| slug != "mir-castle"));
    }
);

both_backends!(
    async fn locale_is_negotiated_and_items_link_their_translations(app) {
        let res = app
            .send(TestRequest::get().uri("/v1/tourist-sites?limit=3").insert_header(("Accept-Language", "de;q=1, ru;q=0.8, en;q=0.5")))
            .await;
        assert_eq!(res.header("content-language").as_deref(), Some("ru"));
        let list = res.json();
        assert_eq!(list["data"][0]["locale"], "ru");
        assert_eq!(list["data"][0]["rank"], 1);
        // A slug is looked up in the requested locale.
        app.get("/v1/tourist-sites/mirskii-zamkovyi-kompleks").await.problem(404);
        let ru = app.get("/v1/tourist-sites/mirskii-zamkovyi-kompleks?lang=ru").await.json();
        assert_eq!(ru["name"], "Мирский замковый комплекс");
        let en = app.get("/v1/tourist-sites/mir-castle").await.json();
        let locales: Vec<&str> = en["translations"].as_array().unwrap().iter().map(|t| t["locale"].as_str().unwrap()).collect();
        assert_eq!(locales, ["be", "ru"]);
        assert!(en["translations"].as_array().unwrap().iter().any(|t| t["id"] == ru["id"]));
        // Sections, UNESCO listings, articles and events have be and ru versions too.
        for uri in ["/v1/sections?lang=be", "/v1/unesco-sites?lang=be", "/v1/articles?lang=ru", "/v1/events?lang=ru&from=2020-01-01&to=2040-12-31", "/v1/regions?lang=be"] {
            let r = app.get(uri).await;
            assert_eq!(r.status, 200, "{uri}");
            assert!(r.json()["meta"]["total"].as_i64().unwrap() > 0, "{uri}");
        }
        let ru_article = app.get("/v1/articles?lang=ru&limit=1&include=translations").await.json();
        assert!(ru_article["data"][0]["section"]["slug"].as_str().unwrap().is_ascii());
        assert_eq!(ru_article["data"][0]["translations"].as_array().unwrap().len(), 2);
        app.get("/v1/articles?lang=de").await.problem(400);
    }
);

both_backends!(
    async fn any_typed_query_is_valid_and_never_a_server_error(app) {
        for q in [
            "\"castle", "castle\"", "\"\"", "*", "castle*", "NEAR(mir nesvizh)", "mir OR nesvizh", "-mir",
            "mir AND", "(", ")", "^", ":", "mir:castle", "' OR 1=1 --", "'; DROP TABLE articles; --", "\\",
            "%", "_", "🏰", "замок!!!", "a & b | !c", "<script>", "&amp;", "x:*", "!", "#",
        ] {
            let uri = format!("/v1/search?q={}", urlencode(q));
            let res = app.get(&uri).await;
            assert_eq!(res.status, 200, "{q}: {}", res.text());
            for list in ["/v1/articles", "/v1/tourist-sites", "/v1/events", "/v1/souvenirs"] {
                let res = app.get(&format!("{list}?q={}", urlencode(q))).await;
                assert_eq!(res.status, 200, "{list} {q}: {}", res.text());
            }
        }
        app.get("/v1/search").await.problem(400);
        app.get("/v1/search?q=%20%20").await.problem(400);
        app.get(&format!("/v1/search?q={}", "a".repeat(201))).await.problem(400);
        let p = app.get("/v1/search?q=mir&types=article,castle").await.problem(400);
        assert!(
            p.to_string().contains(
                "unknown type `castle`; allowed: article, tourist_site, unesco_site, sanatorium, \
                 monument, souvenir, event"
            ),
            "{p}"
        );
        app.get("/v1/search?q=mir&lang=xx").await.problem(400);
        // Snippets escape what the text holds before marking.
        let s = app.get("/v1/search?q=castle&limit=1").await.json();
        assert!(!s["data"][0]["snippet"].as_str().unwrap().contains("<script"));
    }
);

both_backends!(
    async fn search_follows_writes_and_never_shows_drafts(app) {
        let key = app.key("editor").await;
        let article = json!({
            "slug": "zubr-census", "section": "society", "title": "Bison census counts record herd",
            "lead": "Rangers counted the wisent herds.", "body_html": "<p>The <b>wisent</b> population grew again.</p>",
            "publication_status": "draft"
        });
        let res = app.post("/v1/articles", &key, article).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id = res.json()["id"].as_i64().unwrap();
        assert!(hits(&app.get("/v1/search?q=wisent").await.json()).is_empty(), "drafts are not found");
        let res = app.patch(&format!("/v1/articles/{id}"), &key, json!({"publication_status": "published"})).await;
        assert_eq!(res.status, 200);
        let s = app.get("/v1/search?q=wisent").await.json();
        assert_eq!(hits(&s), [("article".to_string(), "zubr-census".to_string())]);
        assert!(s["data"][0]["snippet"].as_str().unwrap().contains("<mark>wisent</mark>"));
        // Titles are weighted above bodies.
        let res = app.patch(&format!("/v1/articles/{id}"), &key, json!({"title": "Aurochs relatives thrive"})).await;
        assert_eq!(res.status, 200);
        assert_eq!(app.get("/v1/articles?q=aurochs").await.json()["meta"]["total"], 1);
        assert_eq!(app.get("/v1/articles?q=census").await.json()["meta"]["total"], 0);
        assert_eq!(app.delete(&format!("/v1/articles/{id}"), &key).await.status, 204);
        assert!(hits(&app.get("/v1/search?q=aurochs").await.json()).is_empty());
    }
);

both_backends!(
    async fn search_filters_by_type_and_pages_with_cursor(app) {
        let all = app.get("/v1/search?q=minsk&limit=100").await.json();
        let total = all["meta"]["total"].as_i64().unwrap();
        assert!(total > 4, "{all}");
        let only = app.get("/v1/search?q=minsk&types=event,monument&limit=100").await.json();
        assert!(hits(&only).iter().all(|(t, _)| t == "event" || t == "monument"));
        let mut seen = Vec::new();
        let mut uri = "/v1/search?q=minsk&limit=3".to_string();
        loop {
            let page = app.get(&uri).await.json();
            seen.extend(hits(&page));
            match page["links"]["next"].as_str() {
                Some(n) => uri = n.to_string(),
                None => break,
            }
        }
        assert_eq!(seen, hits(&all));
    }
);

/// Runs `run` on both backends with search ranking only the newest 3 matches.
macro_rules! with_window_of_three {
    (async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            async fn run($app: common::TestApp) $body

            fn three(c: &mut belportal::config::Config) {
                c.search_window = 3;
            }

            #[actix_web::test]
            async fn on_sqlite() {
                let app = common::TestApp::new_with(common::Kind::Sqlite, three).await.expect("sqlite");
                run(app).await;
            }

            #[actix_web::test]
            async fn on_postgres() {
                match common::TestApp::new_with(common::Kind::Postgres, three).await {
                    Some(app) => run(app).await,
                    None => eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run"),
                }
            }
        }
    };
}

fn quokka(slug: &str, title: &str, body: &str) -> serde_json::Value {
    json!({"slug": slug, "section": "culture", "title": title, "lead": "A note.",
           "body_html": format!("<p>{body}</p>"), "publication_status": "published"})
}

with_window_of_three!(
    async fn only_the_newest_matches_are_ranked_and_the_total_says_when_capped(app) {
        let key = app.key("editor").await;
        let mut ids = Vec::new();
        for (i, (title, body)) in [
            ("Old quokka marsupial", "Nothing else."),
            ("A second note", "The quokka again."),
            ("Quokka in the title", "And quokka in the body."),
            ("A fourth note", "One more quokka."),
        ]
        .into_iter()
        .enumerate()
        {
            let res = app.post("/v1/articles", &key, quokka(&format!("quokka-{i}"), title, body)).await;
            assert_eq!(res.status, 201, "{}", res.text());
            ids.push(res.json()["id"].as_i64().unwrap());
        }
        // Newer items without the word: the window is the newest matches, not
        // the newest documents.
        for i in 0..10 {
            let res = app.post("/v1/articles", &key, quokka(&format!("filler-{i}"), "Filler", "Other words.")).await;
            assert_eq!(res.status, 201, "{}", res.text());
        }
        // A newer draft is never ranked, and does not take a place in the window.
        let mut draft = quokka("quokka-draft", "Quokka draft", "quokka");
        draft["publication_status"] = json!("draft");
        assert_eq!(app.post("/v1/articles", &key, draft).await.status, 201);

        let body = app.get("/v1/search?q=quokka&types=article").await.json();
        assert_eq!(body["meta"]["total"], 3, "{body}");
        assert_eq!(body["meta"]["total_capped"], true, "{body}");
        let got: Vec<i64> = body["data"].as_array().unwrap().iter().map(|h| h["id"].as_i64().unwrap()).collect();
        let mut sorted = got.clone();
        sorted.sort_unstable();
        assert_eq!(sorted, ids[1..].to_vec(), "the three newest matches: {body}");
        assert_eq!(got[0], ids[2], "the title match ranks first: {body}");

        // Paging walks the ranked set and stops at its end.
        let first = app.get("/v1/search?q=quokka&types=article&limit=2").await.json();
        assert_eq!(first["data"].as_array().unwrap().len(), 2);
        let next = first["links"]["next"].as_str().unwrap().to_string();
        let second = app.get(&next).await.json();
        assert_eq!(second["data"].as_array().unwrap().len(), 1, "{second}");
        assert!(second["links"]["next"].is_null());
        let page3 = app.get("/v1/search?q=quokka&types=article&page=3&limit=2").await.json();
        assert_eq!(page3["data"], json!([]));

        // A word with fewer matches than the window: exact, not capped.
        let rare = app.get("/v1/search?q=marsupial").await.json();
        assert_eq!(rare["meta"]["total"], 1, "{rare}");
        assert_eq!(rare["meta"]["total_capped"], false);
        // `q` in a list stays exact.
        let list = app.get("/v1/articles?q=quokka").await.json();
        assert_eq!(list["meta"]["total"], 4, "{list}");
        assert!(list["meta"].get("total_capped").is_none());
    }
);

both_backends!(
    async fn an_empty_index_is_rebuilt_when_content_exists(app) {
        let before = app.get("/v1/search?q=castle").await.json();
        assert!(before["meta"]["total"].as_i64().unwrap() > 0);
        app.with_conn(|conn| belportal::db::search::clear(conn).unwrap()).await;
        assert_eq!(app.get("/v1/search?q=castle").await.json()["meta"]["total"], 0);
        let n = app
            .with_conn(|conn| belportal::db::search::ensure_index(conn).unwrap())
            .await;
        assert!(n > 0);
        let after = app.get("/v1/search?q=castle").await.json();
        assert_eq!(after["meta"]["total"], before["meta"]["total"]);
        assert_eq!(after["data"], before["data"]);
        // Nothing to do when the index is full.
        let again = app
            .with_conn(|conn| belportal::db::search::ensure_index(conn).unwrap())
            .await;
        assert_eq!(again, 0);
    }
);

mod a_word_in_very_many_documents_is_ranked_by_where_it_appears {
    use super::*;

    /// Every word counts as very common, so SQLite scores by field, not bm25.
    fn no_bm25(c: &mut belportal::config::Config) {
        c.search_bm25_max_docs = 0;
    }

    async fn run(app: common::TestApp) {
        let body = app.get("/v1/search?q=castle&limit=100").await.json();
        let data = body["data"].as_array().unwrap();
        assert!(data.len() >= 3, "{body}");
        let in_title: Vec<bool> = data
            .iter()
            .map(|h| {
                h["title"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("castle")
            })
            .collect();
        assert!(in_title[0], "{body}");
        // Title matches first: no title match after a hit without one.
        let first_without = in_title.iter().position(|t| !t).unwrap_or(in_title.len());
        assert!(in_title[first_without..].iter().all(|t| !t), "{in_title:?}");
        let scores: Vec<f64> = data.iter().map(|h| h["score"].as_f64().unwrap()).collect();
        assert!(scores.windows(2).all(|w| w[0] >= w[1]), "{scores:?}");
        for h in data {
            assert!(
                h["snippet"]
                    .as_str()
                    .unwrap()
                    .to_lowercase()
                    .contains("<mark>castle"),
                "{h}"
            );
        }
        // The same documents as bm25 ranking finds.
        let plain = common::TestApp::new(if app.backend.is_sqlite() {
            common::Kind::Sqlite
        } else {
            common::Kind::Postgres
        })
        .await
        .unwrap();
        let other = plain.get("/v1/search?q=castle&limit=100").await.json();
        let set = |v: &serde_json::Value| {
            let mut s = hits(v);
            s.sort();
            s
        };
        assert_eq!(set(&body), set(&other));
        assert_eq!(body["meta"]["total"], other["meta"]["total"]);
    }

    #[actix_web::test]
    async fn on_sqlite() {
        run(common::TestApp::new_with(common::Kind::Sqlite, no_bm25)
            .await
            .expect("sqlite"))
        .await;
    }

    #[actix_web::test]
    async fn on_postgres() {
        match common::TestApp::new_with(common::Kind::Postgres, no_bm25).await {
            Some(app) => run(app).await,
            None => eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run"),
        }
    }
}
