#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! An article's `related` articles, checked against the rule written out
//! plainly (one lookup per tag, as the API once ran it) on data made for its
//! corners: a tag with more than `PER_TAG` taggings, drafts, scheduled and
//! other-locale articles among a tag's newest taggings, ties in shared tags
//! and publication time, and articles topped up from their section.

mod common;

use std::collections::HashMap;

use belportal::db::schema::{article_tags, articles, sections};
use chrono::NaiveDateTime;
use diesel::prelude::*;

/// Per tag, how many of its newest taggings are candidates (`PER_TAG`).
const PER_TAG: usize = 25;
const RELATED: usize = 4;

#[derive(Clone)]
struct Art {
    id: i64,
    locale: String,
    section_id: i64,
    status: String,
    published_at: Option<NaiveDateTime>,
}

impl Art {
    fn visible(&self, now: NaiveDateTime) -> bool {
        self.status == "published" && self.published_at.is_some_and(|t| t <= now)
    }
}

/// The related articles of `me`: per tag its `PER_TAG` newest taggings (by
/// id) but `me`'s, counted per article; the visible ones in `me`'s locale
/// with most shared tags, then newest, then highest id; topped up with the
/// newest visible articles of its section and locale.
fn expected(all: &[Art], tags: &[(i64, String)], me: &Art, now: NaiveDateTime) -> Vec<i64> {
    let by_id: HashMap<i64, &Art> = all.iter().map(|a| (a.id, a)).collect();
    let mut shared: HashMap<i64, usize> = HashMap::new();
    for (_, tag) in tags.iter().filter(|(id, _)| *id == me.id) {
        let mut ids: Vec<i64> = tags
            .iter()
            .filter(|(id, t)| t == tag && *id != me.id)
            .map(|(id, _)| *id)
            .collect();
        ids.sort_by(|a, b| b.cmp(a));
        for id in ids.into_iter().take(PER_TAG) {
            *shared.entry(id).or_default() += 1;
        }
    }
    let mut found: Vec<&Art> = shared
        .keys()
        .map(|id| by_id[id])
        .filter(|a| a.visible(now) && a.locale == me.locale)
        .collect();
    found.sort_by(|a, b| {
        shared[&b.id]
            .cmp(&shared[&a.id])
            .then(b.published_at.cmp(&a.published_at))
            .then(b.id.cmp(&a.id))
    });
    found.truncate(RELATED);
    let mut ids: Vec<i64> = found.iter().map(|a| a.id).collect();
    let mut more: Vec<&Art> = all
        .iter()
        .filter(|a| {
            a.visible(now)
                && a.locale == me.locale
                && a.id != me.id
                && a.section_id == me.section_id
                && !ids.contains(&a.id)
        })
        .collect();
    more.sort_by(|a, b| b.published_at.cmp(&a.published_at).then(b.id.cmp(&a.id)));
    let missing = RELATED - ids.len();
    ids.extend(more.into_iter().take(missing).map(|a| a.id));
    ids
}

/// A small deterministic generator (no randomness between runs).
struct Lcg(u64);

impl Lcg {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

/// Inserts `n` articles from id 1000 on: three locales, the demo's sections,
/// few distinct publication times (ties), drafts, archived and scheduled
/// ones, and up to four of six tags, the first two on far more than
/// `PER_TAG` articles.
async fn add_articles(app: &common::TestApp, n: i64) {
    let secs: Vec<(i64, String)> = app
        .with_conn(|c| {
            sections::table
                .select((sections::id, sections::locale))
                .order(sections::id)
                .load(c)
                .unwrap()
        })
        .await;
    let mut rng = Lcg(17);
    let mut sql = String::new();
    let times = [
        "2024-03-01 10:00:00",
        "2024-03-01 10:00:00",
        "2024-03-02 08:30:00",
        "2024-03-02 08:30:00.250000",
        "2024-03-05 12:00:00",
        "2023-11-20 09:15:00",
    ];
    for i in 0..n {
        let id = 1000 + i;
        let (section, locale) = &secs[rng.below(secs.len() as u64) as usize];
        let (status, published) = match rng.below(10) {
            0 => ("draft", "NULL".to_string()),
            1 => ("archived", format!("'{}'", times[0])),
            2 => ("published", "'2099-01-01 00:00:00'".to_string()),
            _ => (
                "published",
                format!("'{}'", times[rng.below(times.len() as u64) as usize]),
            ),
        };
        sql.push_str(&format!(
            "INSERT INTO articles (id, group_id, locale, slug, section_id, title, status, \
             published_at, created_at, updated_at) VALUES ({id}, {id}, '{locale}', \
             'rel-{id}', {section}, 'Related {id}', '{status}', {published}, \
             '2024-01-01 00:00:00', '2024-01-01 00:00:00');\n"
        ));
        let mut tags: Vec<u64> = Vec::new();
        for _ in 0..rng.below(5) {
            // Skewed: rel-t0 and rel-t1 are on most articles.
            let t = match rng.below(10) {
                0..=3 => 0,
                4..=6 => 1,
                r => r - 5,
            };
            if !tags.contains(&t) {
                tags.push(t);
            }
        }
        for t in tags {
            sql.push_str(&format!(
                "INSERT INTO article_tags (article_id, tag) VALUES ({id}, 'rel-t{t}');\n"
            ));
        }
    }
    app.exec(&sql).await;
}

async fn dump(app: &common::TestApp) -> (Vec<Art>, Vec<(i64, String)>) {
    app.with_conn(|c| {
        let arts: Vec<(i64, String, i64, String, Option<NaiveDateTime>)> = articles::table
            .select((
                articles::id,
                articles::locale,
                articles::section_id,
                articles::status,
                articles::published_at,
            ))
            .load(c)
            .unwrap();
        let tags: Vec<(i64, String)> = article_tags::table
            .select((article_tags::article_id, article_tags::tag))
            .load(c)
            .unwrap();
        let arts = arts
            .into_iter()
            .map(|(id, locale, section_id, status, published_at)| Art {
                id,
                locale,
                section_id,
                status,
                published_at,
            })
            .collect();
        (arts, tags)
    })
    .await
}

both_backends! {
    async fn related_articles_follow_the_rule_through_ties_and_hidden_candidates(app) {
        add_articles(&app, 240).await;
        let (all, tags) = dump(&app).await;
        let now = chrono::Utc::now().naive_utc();
        let mut tags_of: HashMap<i64, Vec<&str>> = HashMap::new();
        for (id, t) in &tags {
            tags_of.entry(*id).or_default().push(t);
        }
        let (mut checked, mut topped_up, mut cut) = (0, 0, 0);
        for me in all.iter().filter(|a| a.visible(now)) {
            let want = expected(&all, &tags, me, now);
            let item = app.get(&format!("/v1/articles/{}", me.id)).await.json();
            let got: Vec<i64> = item["related"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["id"].as_i64().unwrap())
                .collect();
            assert_eq!(got, want, "related articles of {}", me.id);
            checked += 1;
            let mine = tags_of.get(&me.id).cloned().unwrap_or_default();
            // Related through no shared tag: a top-up from the section.
            topped_up += usize::from(want.iter().any(|id| {
                !tags_of.get(id).is_some_and(|theirs| theirs.iter().any(|t| mine.contains(t)))
            }));
            cut += usize::from(mine.contains(&"rel-t0"));
        }
        // The data reaches the corners it is made for.
        assert!(tags.iter().filter(|(_, t)| t == "rel-t0").count() > 2 * PER_TAG);
        assert!(checked > 150 && topped_up > 0 && cut > 0, "{checked} {topped_up} {cut}");
    }
}
