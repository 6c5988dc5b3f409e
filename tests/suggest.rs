#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The search box (`/v1/suggest`) against the demo content: real spellings of
//! Belarusian places (Latin, Cyrillic, with and without diacritics, with a
//! typo) and the item each must find first; aliases written through the API;
//! bad input; caching.

mod common;

use serde_json::json;

/// `(typed, lang, type, slug)`: what typing `typed` must suggest first.
const TABLE: &[(&str, &str, &str, &str)] = &[
    // Mir
    ("Mir", "en", "tourist_site", "mir-castle"),
    ("Мір", "en", "tourist_site", "mir-castle"),
    ("Мир", "en", "tourist_site", "mir-castle"),
    ("mir cas", "en", "tourist_site", "mir-castle"),
    ("Мир", "ru", "tourist_site", "mirskii-zamkovyi-kompleks"),
    // Nesvizh
    ("Nesvizh", "en", "tourist_site", "nesvizh-palace"),
    ("nesv", "en", "tourist_site", "nesvizh-palace"),
    ("Niasviž", "en", "tourist_site", "nesvizh-palace"),
    ("Niasviz", "en", "tourist_site", "nesvizh-palace"),
    ("Нясвіж", "en", "tourist_site", "nesvizh-palace"),
    ("Несвиж", "en", "tourist_site", "nesvizh-palace"),
    ("Nieśwież", "en", "tourist_site", "nesvizh-palace"),
    ("Nieswiez", "en", "tourist_site", "nesvizh-palace"),
    (
        "Нясвіж",
        "be",
        "tourist_site",
        "niasvizhski-palatsava-zamkavy-kompleks",
    ),
    // Grodno
    ("Hrodna", "en", "tourist_site", "grodno-castles"),
    ("Гродна", "en", "tourist_site", "grodno-castles"),
    ("Гродно", "en", "tourist_site", "grodno-castles"),
    ("Grodno", "en", "tourist_site", "grodno-castles"),
    ("Grodna", "en", "tourist_site", "grodno-castles"),
    ("Hrodna", "be", "tourist_site", "stary-i-novy-zamki-grodna"),
    // Mogilev
    ("Mahilioŭ", "en", "tourist_site", "mogilev-town-hall"),
    ("Mahiliou", "en", "tourist_site", "mogilev-town-hall"),
    ("Магілёў", "en", "tourist_site", "mogilev-town-hall"),
    ("Могилёв", "en", "tourist_site", "mogilev-town-hall"),
    ("Mogilev", "en", "tourist_site", "mogilev-town-hall"),
    // Vitebsk
    ("Viciebsk", "en", "tourist_site", "vitebsk-chagall-museum"),
    ("Vitsebsk", "en", "tourist_site", "vitebsk-chagall-museum"),
    ("Віцебск", "en", "tourist_site", "vitebsk-chagall-museum"),
    ("Vitebsk", "en", "tourist_site", "vitebsk-chagall-museum"),
    ("Chagall", "en", "tourist_site", "vitebsk-chagall-museum"),
    // Gomel
    ("Homiel", "en", "tourist_site", "gomel-palace-park"),
    ("Гомель", "en", "tourist_site", "gomel-palace-park"),
    ("Gomel", "en", "tourist_site", "gomel-palace-park"),
    // Belovezhskaya Pushcha
    (
        "Belovezhskaya",
        "en",
        "tourist_site",
        "belovezhskaya-pushcha",
    ),
    (
        "Belavezhskaya",
        "en",
        "tourist_site",
        "belovezhskaya-pushcha",
    ),
    (
        "Беловежская пуща",
        "en",
        "tourist_site",
        "belovezhskaya-pushcha",
    ),
    ("Белавежская", "en", "tourist_site", "belovezhskaya-pushcha"),
    (
        "Białowieża",
        "en",
        "unesco_site",
        "belovezhskaya-pushcha-bialowieza-forest",
    ),
    (
        "Bialowieza",
        "en",
        "unesco_site",
        "belovezhskaya-pushcha-bialowieza-forest",
    ),
    // Brest, Minsk, Khatyn, Polotsk, Slutsk
    ("Brest", "en", "tourist_site", "brest-fortress"),
    ("Брэст", "en", "tourist_site", "brest-fortress"),
    ("Брест", "en", "tourist_site", "brest-fortress"),
    ("Minsk", "en", "monument", "minsk-hero-city-obelisk"),
    ("Мінск", "en", "monument", "minsk-hero-city-obelisk"),
    ("Khatyn", "en", "tourist_site", "khatyn-memorial"),
    ("Хатынь", "en", "tourist_site", "khatyn-memorial"),
    ("Polatsk", "en", "tourist_site", "polotsk"),
    ("Полацк", "en", "tourist_site", "polotsk"),
    ("Слуцк", "en", "souvenir", "slutsk-sash"),
    // One typo (two in long words)
    ("Nesvish", "en", "tourist_site", "nesvizh-palace"),
    ("Nisviz", "en", "tourist_site", "nesvizh-palace"),
    ("Mogilv", "en", "tourist_site", "mogilev-town-hall"),
    ("Vitbsk", "en", "tourist_site", "vitebsk-chagall-museum"),
    ("Grodmo", "en", "tourist_site", "grodno-castles"),
    ("Brestt", "en", "tourist_site", "brest-fortress"),
    ("Minks", "en", "monument", "minsk-hero-city-obelisk"),
    (
        "Belovezhskya",
        "en",
        "tourist_site",
        "belovezhskaya-pushcha",
    ),
    (
        "Bilovezskaja",
        "en",
        "tourist_site",
        "belovezhskaya-pushcha",
    ),
    ("Гродено", "en", "tourist_site", "grodno-castles"),
    // Events and articles
    ("Listapad", "en", "event", "listapad-minsk-film-festival"),
    ("Slavianski", "en", "event", "slavianski-bazaar-vitebsk"),
    ("Belaz", "en", "article", "belaz-mining-trucks-exports"),
];

fn first(v: &serde_json::Value) -> (String, String) {
    let top = &v["data"][0];
    (
        top["type"].as_str().unwrap_or("-").to_string(),
        top["slug"].as_str().unwrap_or("-").to_string(),
    )
}

fn enc(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

both_backends!(
    async fn real_spellings_in_any_script_find_their_place_first(app) {
        let mut wrong = Vec::new();
        for (typed, lang, kind, slug) in TABLE {
            let res = app.get(&format!("/v1/suggest?q={}&lang={lang}", enc(typed))).await;
            assert_eq!(res.status, 200, "{typed}: {}", res.text());
            let got = first(&res.json());
            if got != (kind.to_string(), slug.to_string()) {
                wrong.push(format!("{typed} ({lang}): got {got:?}, want {kind}/{slug}"));
            }
        }
        assert!(TABLE.len() >= 40);
        assert!(wrong.is_empty(), "{} of {} wrong:\n{}", wrong.len(), TABLE.len(), wrong.join("\n"));
    }
);

both_backends!(
    async fn suggestions_are_places_first_with_marked_highlights(app) {
        let res = app.get("/v1/suggest?q=mir&lang=en&limit=20").await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.header("content-language").as_deref(), Some("en"));
        assert!(res.header("etag").is_some());
        assert!(res.header("cache-control").is_some());
        let body = res.json();
        let items = body["data"].as_array().unwrap();
        let types: Vec<&str> = items.iter().map(|i| i["type"].as_str().unwrap()).collect();
        let first_event = types.iter().position(|t| *t == "event").unwrap();
        let first_article = types.iter().position(|t| *t == "article").unwrap();
        assert!(types[..first_event].iter().all(|t| !matches!(*t, "event" | "article")), "{types:?}");
        assert!(first_event < first_article, "{types:?}");
        assert_eq!(items[0]["highlight"], "<mark>Mir</mark> Castle Complex");
        assert_eq!(items[0]["locale"], "en");
        assert!(items[0]["id"].as_i64().unwrap() > 0);
        // An alias match shows the alias.
        let res = app.get(&format!("/v1/suggest?q={}&lang=en&limit=1", enc("Нясвіж"))).await;
        assert_eq!(
            res.json()["data"][0]["highlight"],
            "Nesvizh Palace and Castle Complex (<mark>Нясвіж</mark>)"
        );
        // Types filter; limit.
        let res = app.get("/v1/suggest?q=minsk&types=event&limit=3").await;
        let body = res.json();
        let items = body["data"].as_array().unwrap();
        assert_eq!(items.len(), 3, "{body}");
        assert!(items.iter().all(|i| i["type"] == "event"));
        // Nothing close: an empty list.
        let res = app.get("/v1/suggest?q=qqqqzzzz").await;
        assert_eq!(res.status, 200);
        assert_eq!(res.json()["data"], json!([]));
    }
);

/// `(type, id)` of each suggestion of a response.
fn keys(body: &serde_json::Value) -> Vec<(String, i64)> {
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["type"].as_str().unwrap().to_string(),
                i["id"].as_i64().unwrap(),
            )
        })
        .collect()
}

both_backends!(
    async fn types_filter_keeps_the_order_of_the_unfiltered_suggestions(app) {
        let mut compared = 0;
        for q in ["m", "mi", "g", "br", "nes", "b"] {
            let all = keys(&app.get(&format!("/v1/suggest?q={q}&limit=20")).await.json());
            for types in ["tourist_site,monument", "unesco_site,event", "article,tourist_site", "monument"] {
                let res = app.get(&format!("/v1/suggest?q={q}&limit=20&types={types}")).await;
                assert_eq!(res.status, 200, "{q} {types}: {}", res.text());
                let got = keys(&res.json());
                let wanted: Vec<&str> = types.split(',').collect();
                assert!(got.iter().all(|(t, _)| wanted.contains(&t.as_str())), "{q} {types}: {got:?}");
                // The unfiltered suggestions of these types come first, in the same order.
                let expected: Vec<(String, i64)> =
                    all.iter().filter(|(t, _)| wanted.contains(&t.as_str())).cloned().collect();
                assert!(got.len() >= expected.len(), "{q} {types}: {got:?}");
                assert_eq!(got[..expected.len()], expected[..], "{q} {types}");
                compared += expected.len();
            }
        }
        assert!(compared > 40, "{compared}");
    }
);

both_backends!(
    async fn bad_suggest_input_is_a_400_problem(app) {
        let long = "a".repeat(101);
        for uri in [
            "/v1/suggest".to_string(),
            "/v1/suggest?q=%20%20".to_string(),
            format!("/v1/suggest?q={long}"),
            "/v1/suggest?q=mir&limit=0".to_string(),
            "/v1/suggest?q=mir&limit=21".to_string(),
            "/v1/suggest?q=mir&limit=x".to_string(),
            "/v1/suggest?q=mir&types=section".to_string(),
            "/v1/suggest?q=mir&types=castle".to_string(),
            "/v1/suggest?q=mir&lang=de".to_string(),
            "/v1/suggest?q=mir&sort=name".to_string(),
        ] {
            let res = app.get(&uri).await;
            assert_eq!(res.status, 400, "{uri}: {}", res.text());
            assert_eq!(
                res.header("content-type").as_deref(),
                Some("application/problem+json"),
                "{uri}"
            );
        }
    }
);

both_backends!(
    async fn aliases_are_written_shown_and_suggested_at_once(app) {
        let key = app.key("editor").await;
        let res = app
            .post(
                "/v1/tourist-sites",
                &key,
                json!({
                    "slug": "zaslawye-test",
                    "name": "Kreva Castle",
                    "aliases": ["Krewo", "Крэва", " Крэва ", "Крево", "Gediminas"],
                    "publication_status": "published"
                }),
            )
            .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let id = res.json()["id"].as_i64().unwrap();
        let got = app.get(&format!("/v1/tourist-sites/{id}")).await.json();
        assert_eq!(got["aliases"], json!(["Krewo", "Крэва", "Крево", "Gediminas"]));
        let res = app.get(&format!("/v1/suggest?q={}", enc("Крэв"))).await;
        assert_eq!(first(&res.json()), ("tourist_site".into(), "zaslawye-test".into()));
        let res = app.get("/v1/suggest?q=gedimin").await;
        assert_eq!(first(&res.json()).1, "zaslawye-test");
        // Replacing the aliases drops the old ones from the index.
        let res = app
            .patch(&format!("/v1/tourist-sites/{id}"), &key, json!({"aliases": ["Kreŭ"]}))
            .await;
        assert_eq!(res.status, 200, "{}", res.text());
        let res = app.get("/v1/suggest?q=gedimin").await;
        assert_eq!(res.json()["data"], json!([]));
        let res = app.get("/v1/suggest?q=kreu").await;
        assert_eq!(first(&res.json()).1, "zaslawye-test");
        // Bad aliases are a 422 naming the field.
        let res = app
            .post(
                "/v1/tourist-sites",
                &key,
                json!({"slug": "bad-aliases", "name": "X", "aliases": ["", "y".repeat(101)]}),
            )
            .await;
        assert_eq!(res.status, 422, "{}", res.text());
        assert!(res.text().contains("aliases[0]"), "{}", res.text());
    }
);

fn slugs(v: &serde_json::Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h["slug"].as_str().unwrap().to_string())
        .collect()
}

both_backends!(
    async fn search_and_list_q_find_aliases_and_other_scripts(app) {
        for (q, slug) in [("Hrodna", "grodno-castles"), ("Нясвіж", "nesvizh-palace"), ("Магілёў", "mogilev-town-hall")] {
            let found = slugs(&app.get(&format!("/v1/search?q={}&lang=en", enc(q))).await.json());
            assert!(found.contains(&slug.to_string()), "{q}: {found:?}");
            let listed = slugs(&app.get(&format!("/v1/tourist-sites?q={}&lang=en", enc(q))).await.json());
            assert!(listed.contains(&slug.to_string()), "{q}: {listed:?}");
        }
        // Titles of events and articles are indexed with their fold too.
        let events = slugs(&app.get(&format!("/v1/events?q={}&lang=en", enc("Несвиж"))).await.json());
        assert!(events.contains(&"nesvizh-castle-summer-concert".to_string()), "{events:?}");
        let articles = slugs(&app.get(&format!("/v1/articles?q={}&lang=en", enc("Несвиж"))).await.json());
        assert!(articles.contains(&"nesvizh-palace-autumn-visitors".to_string()), "{articles:?}");
    }
);

both_backends!(
    async fn search_with_a_typo_offers_did_you_mean_and_its_matches(app) {
        let res = app.get("/v1/search?q=Nesvish&lang=en").await;
        assert_eq!(res.status, 200, "{}", res.text());
        let body = res.json();
        assert_eq!(body["meta"]["did_you_mean"], "Nesvizh", "{body}");
        assert!(slugs(&body).contains(&"nesvizh-palace".to_string()), "{body}");
        let res = app.get("/v1/search?q=Brestt%20fortress&lang=en").await;
        let body = res.json();
        assert_eq!(body["meta"]["did_you_mean"], "Brest fortress", "{body}");
        // Exact matches: no did_you_mean.
        let body = app.get("/v1/search?q=Nesvizh&lang=en").await.json();
        assert!(body["meta"].get("did_you_mean").is_none(), "{body}");
        // Nothing close: none either.
        let body = app.get("/v1/search?q=qqqqzzzz&lang=en").await.json();
        assert_eq!(body["meta"]["total"], 0);
        assert!(body["meta"].get("did_you_mean").is_none(), "{body}");
    }
);

both_backends!(
    async fn list_q_with_a_typo_lists_the_closest_spelling_and_says_so(app) {
        for (list, slug) in [
            ("tourist-sites", "nesvizh-palace"),
            ("articles", "nesvizh-palace-autumn-visitors"),
            ("events", "nesvizh-castle-summer-concert"),
        ] {
            let res = app.get(&format!("/v1/{list}?q=Nesvish&lang=en")).await;
            assert_eq!(res.status, 200, "{list}: {}", res.text());
            let body = res.json();
            assert_eq!(body["meta"]["did_you_mean"], "Nesvizh", "{list}: {body}");
            assert!(slugs(&body).contains(&slug.to_string()), "{list}: {body}");
            assert_eq!(body["meta"]["total"].as_i64().unwrap(), body["data"].as_array().unwrap().len() as i64);
        }
        // Every page of a list filters by the same spelling.
        let first = app.get("/v1/articles?q=Nesvish&lang=en&limit=1").await.json();
        if let Some(cursor) = first["meta"]["next_cursor"].as_str() {
            let next = app.get(&format!("/v1/articles?q=Nesvish&lang=en&limit=1&cursor={cursor}")).await.json();
            assert_eq!(next["meta"]["did_you_mean"], "Nesvizh", "{next}");
            assert_ne!(slugs(&next), slugs(&first));
        }
        // Exact words: no did_you_mean.
        let body = app.get("/v1/tourist-sites?q=Nesvizh&lang=en").await.json();
        assert!(body["meta"].get("did_you_mean").is_none(), "{body}");
        assert!(slugs(&body).contains(&"nesvizh-palace".to_string()), "{body}");
        // Nothing close: an empty list, and no did_you_mean.
        let body = app.get("/v1/tourist-sites?q=qqqqzzzz&lang=en").await.json();
        assert_eq!(body["meta"]["total"], 0, "{body}");
        assert!(body["meta"].get("did_you_mean").is_none(), "{body}");
    }
);

both_backends!(
    async fn regions_are_found_by_their_other_names_in_any_script(app) {
        for (q, slug) in [
            ("Hrodna", "grodno"),
            ("Гродно", "grodno"),
            ("Mahiliou", "mogilev"),
            ("Магілёўшчына", "mogilev"),
            ("Viciebsk", "vitebsk"),
            ("Homiel", "gomel"),
            ("Brześć", "brest"),
            ("Minsk Oblast", "minsk-region"),
        ] {
            let res = app.get(&format!("/v1/regions?q={}&lang=en", enc(q))).await;
            assert_eq!(res.status, 200, "{q}: {}", res.text());
            let found = slugs(&res.json());
            assert_eq!(found, vec![slug.to_string()], "{q}");
        }
        let region = app.get("/v1/regions/grodno?lang=be").await.json();
        let aliases: Vec<&str> = region["aliases"].as_array().unwrap().iter().map(|a| a.as_str().unwrap()).collect();
        assert!(aliases.contains(&"Hrodna") && aliases.contains(&"Гродненщина"), "{region}");
        // The names in the response's locale still match, folded.
        let found = slugs(&app.get(&format!("/v1/regions?q={}&lang=be", enc("гродзенская"))).await.json());
        assert_eq!(found, vec!["grodno".to_string()]);
    }
);

both_backends!(
    async fn an_interrupted_rebuild_is_redone_at_the_next_start(app) {
        use diesel::RunQueryDsl;
        let url = "/v1/suggest?q=nesv&limit=20";
        let before = app.get(url).await.json();
        assert!(!before["data"].as_array().unwrap().is_empty(), "{before}");
        // What a rebuild stopped halfway leaves: its first step dropped the
        // term indexes, and only some of the terms were written again.
        app.with_conn(|conn| {
            diesel::sql_query("DROP INDEX suggest_terms_prefix")
                .execute(conn)
                .unwrap();
            diesel::sql_query("DELETE FROM suggest_terms WHERE rank > 0")
                .execute(conn)
                .unwrap();
        })
        .await;
        assert!(!app.with_conn(|c| belportal::db::search::is_complete(c).unwrap()).await);
        let n = app
            .with_conn(|conn| belportal::db::search::ensure_index(conn).unwrap())
            .await;
        assert!(n > 0, "the rebuild is redone");
        assert!(app.with_conn(|c| belportal::db::search::is_complete(c).unwrap()).await);
        assert_eq!(app.get(url).await.json()["data"], before["data"]);
        // A finished index is left alone.
        let again = app
            .with_conn(|conn| belportal::db::search::ensure_index(conn).unwrap())
            .await;
        assert_eq!(again, 0);
    }
);

both_backends!(
    config = |c| c.pool_size = 1,
    /// Typing runs the same few statements on every keystroke: each is
    /// prepared once per connection (diesel's statement cache), not parsed
    /// and planned again per request. PostgreSQL lists a connection's kept
    /// statements in `pg_prepared_statements`; SQLite has no such view, so
    /// there the answers are checked alone.
    async fn keystrokes_reuse_the_prepared_suggest_statements(app) {
        let mut answers = Vec::new();
        for _ in 0..3 {
            for q in ["Nesvish", "Mir", "Hrodn"] {
                let res = app.get(&format!("/v1/suggest?q={q}")).await;
                assert_eq!(res.status, 200, "{q}: {}", res.text());
                answers.push(res.json()["data"].clone());
            }
        }
        assert_eq!(answers[0], answers[3]);
        assert_eq!(answers[1], answers[7]);
        assert!(!answers[0].as_array().unwrap().is_empty());
        let kept = app
            .with_conn(|conn| {
                use diesel::prelude::*;
                #[derive(QueryableByName)]
                struct N {
                    #[diesel(sql_type = diesel::sql_types::BigInt)]
                    n: i64,
                }
                match conn {
                    belportal::db::AnyConnection::Postgresql(c) => diesel::sql_query(
                        "SELECT COUNT(*) AS n FROM pg_prepared_statements \
                         WHERE statement LIKE '%suggest_words%' OR statement LIKE '%FROM suggest_terms%'",
                    )
                    .get_result::<N>(c)
                    .map(|r| Some(r.n)),
                    belportal::db::AnyConnection::Sqlite(_) => Ok(None),
                }
            })
            .await
            .unwrap();
        if let Some(n) = kept {
            // The typo lookup and at least one prefix range.
            assert!(n >= 2, "{n} suggest statements kept on the connection");
        }
    }
);
