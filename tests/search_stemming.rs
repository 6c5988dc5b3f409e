#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Russian search stems with Snowball on both backends (issue 16): PostgreSQL's
//! `russian` configuration, SQLite's stem columns (`db::search::stems`).

#[macro_use]
mod common;

use common::search::{hits, urlencode};
use serde_json::json;

both_backends!(
    async fn russian_words_find_other_inflections_by_their_snowball_stem(app) {
        let key = app.key("editor").await;
        let article = json!({"slug": "noch-muzeev", "section": "kultura", "locale": "ru",
            "title": "Ночь в музею", "lead": "Минск не спит.",
            "body_html": "<p>Театры и мирные парки открыты до утра.</p>", "publication_status": "published"});
        let res = app.post("/v1/articles", &key, article).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let found = |v: &serde_json::Value| hits(v).iter().any(|(_, slug)| slug == "noch-muzeev");
        // "театрами" (instrumental) finds "Театры", which no prefix of it starts;
        // "музеи" finds "музею": both share their Snowball stem.
        for word in ["театрами", "музеи", "Театрах"] {
            let s = app.get(&format!("/v1/search?q={}&lang=ru&types=article", urlencode(word))).await.json();
            assert!(found(&s), "{word}: {s}");
            let l = app.get(&format!("/v1/articles?lang=ru&q={}", urlencode(word))).await.json();
            assert!(l["data"].as_array().unwrap().iter().any(|a| a["slug"] == "noch-muzeev"), "list q {word}: {l}");
        }
        let s = app.get(&format!("/v1/search?q={}&lang=ru&types=article", urlencode("театрами"))).await.json();
        let hit = s["data"].as_array().unwrap().iter().find(|h| h["slug"] == "noch-muzeev").unwrap();
        let snippet = hit["snippet"].as_str().unwrap();
        assert!(snippet.contains("<mark>Театры</mark>"), "the original word is marked: {snippet}");
        // Stems, not prefixes: "мира" (stem "мир") does not find "мирные" ("мирн").
        let s = app.get(&format!("/v1/search?q={}&lang=ru&types=article", urlencode("мира"))).await.json();
        assert!(!found(&s), "{s}");
    }
);
