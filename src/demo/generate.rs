//! Deterministic article generator for benchmarks: the same seed gives the same rows.

use chrono::{Duration, NaiveDate};
use diesel::prelude::*;

use crate::db::schema::{article_tags, articles, sections};
use crate::db::{self, AnyConnection};
use crate::error::AppResult;
use crate::resources::articles::write::{ArticleColumns, ArticleForm};

/// SplitMix64: tiny, fast and reproducible.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

const WORDS: [&str; 24] = [
    "minsk",
    "brest",
    "vitebsk",
    "gomel",
    "grodno",
    "mogilev",
    "harvest",
    "festival",
    "forum",
    "exhibition",
    "museum",
    "castle",
    "lake",
    "tractor",
    "export",
    "school",
    "hospital",
    "marathon",
    "theatre",
    "railway",
    "forest",
    "bison",
    "linen",
    "potash",
];
const TAGS: [&str; 12] = [
    "economy",
    "culture",
    "sport",
    "tourism",
    "minsk",
    "education",
    "health",
    "industry",
    "history",
    "ecology",
    "agriculture",
    "festival",
];

/// A made-up word for vocabulary rank `r` (distinct for every rank below 65^3).
fn vocab_word(r: u64) -> String {
    const C: &[u8] = b"bdgklmnprstvz";
    const V: &[u8] = b"aeiou";
    let mut x = (r * 7919) % 274_625;
    let mut w = String::with_capacity(6);
    for _ in 0..3 {
        let s = (x % 65) as usize;
        x /= 65;
        w.push(C[s / 5] as char);
        w.push(V[s % 5] as char);
    }
    w
}

/// A word of a 20,000-word vocabulary with Zipf-like frequencies (rank r drawn
/// with probability about 1/r), as in real text: a few words are everywhere,
/// most are rare, so one-word searches match realistic fractions of articles.
fn zipf_word(rng: &mut Rng) -> String {
    let u = (rng.below(1_000_000) as f64) / 1_000_000.0;
    let r = (20_000f64).powf(u) as u64;
    vocab_word(r.max(1))
}

/// Runs `batch(conn, done, size)` for `n` items in transactions of up to 500
/// (`done` items before this batch), calling `progress` after each commit.
fn in_batches(
    conn: &mut AnyConnection,
    n: u64,
    progress: &mut dyn FnMut(u64),
    mut batch: impl FnMut(&mut AnyConnection, u64, u64) -> AppResult<()>,
) -> AppResult<u64> {
    let mut done = 0u64;
    while done < n {
        let size = 500u64.min(n - done);
        conn.transaction::<_, crate::error::AppError, _>(|conn| batch(conn, done, size))?;
        done += size;
        progress(size);
    }
    Ok(done)
}

/// Adds `n` published English articles spread over ten years, in batches.
pub fn generate_articles(conn: &mut AnyConnection, n: u64, seed: u64) -> AppResult<u64> {
    generate_articles_with(conn, n, seed, &mut |_| {})
}

/// `generate_articles`, calling `progress` with the size of each batch committed.
pub fn generate_articles_with(
    conn: &mut AnyConnection,
    n: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> AppResult<u64> {
    super::ensure_reference_data(conn)?;
    let section_ids: Vec<i64> = sections::table
        .filter(sections::locale.eq("en"))
        .select(sections::id)
        .load(conn)?;
    let start = NaiveDate::from_ymd_opt(2016, 1, 1)
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .unwrap_or_default();
    let now = db::now();
    let mut rng = Rng(seed);
    let first_index: i64 = articles::table.count().get_result(conn)?;
    in_batches(conn, n, progress, |conn, done, size| {
        let mut rows = Vec::with_capacity(size as usize);
        let mut tags: Vec<(u64, &str)> = Vec::new();
        for k in 0..size {
            let i = first_index as u64 + done + k;
            let w: Vec<&str> = (0..6).map(|_| WORDS[rng.below(24) as usize]).collect();
            let title = format!("{} {} {} news {}", w[0], w[1], w[2], i);
            let text: Vec<String> = (0..40).map(|_| zipf_word(&mut rng)).collect();
            let body = format!(
                "<p>{}</p><p>Generated article number {i} about {} and {}: {}.</p>",
                w.join(" "),
                w[3],
                w[4],
                text.join(" ")
            );
            let published_at = start + Duration::seconds(rng.below(10 * 365 * 86_400) as i64);
            let columns = ArticleColumns {
                group_id: 0,
                locale: "en".into(),
                slug: format!("gen-{i}-{}", w[0]),
                section_id: section_ids[rng.below(section_ids.len() as u64) as usize],
                title,
                lead: format!("A generated lead about {} in {}.", w[1], w[2]),
                dateline: Some("MINSK, 1 January".into()),
                source: Some("BelTA".into()),
                author: None,
                image: None,
                reading_time_minutes: 1,
                status: "published".into(),
                published_at: Some(published_at),
                updated_at: now,
            };
            rows.push(ArticleForm {
                columns,
                body_html: body,
                created_at: now,
            });
            for t in 0..(1 + rng.below(3)) {
                tags.push((k, TAGS[((rng.below(12)) + t) as usize % 12]));
            }
        }
        let ids: Vec<i64> = db::bulk::get_results(
            conn,
            diesel::insert_into(articles::table)
                .values(&rows)
                .returning(articles::id),
        )?;
        let mut tag_rows: Vec<(i64, &str)> = tags
            .into_iter()
            .filter_map(|(k, t)| ids.get(k as usize).map(|id| (*id, t)))
            .collect();
        tag_rows.sort();
        tag_rows.dedup();
        let values: Vec<_> = tag_rows
            .iter()
            .map(|(id, t)| (article_tags::article_id.eq(*id), article_tags::tag.eq(*t)))
            .collect();
        db::bulk::insert_rows(conn, article_tags::table, &values)?;
        diesel::update(articles::table.filter(articles::group_id.eq(0i64)))
            .set(articles::group_id.eq(articles::id))
            .execute(conn)?;
        Ok(())
    })
}

const PLACE_WORDS: [&str; 12] = [
    "castle", "manor", "lake", "church", "museum", "park", "forest", "memorial", "spring", "hill",
    "mill", "chapel",
];
const REGIONS: [&str; 7] = [
    "brest",
    "vitebsk",
    "gomel",
    "grodno",
    "minsk-region",
    "mogilev",
    "minsk-city",
];

/// Adds `n` published English places of the four geo kinds, spread uniformly
/// over Belarus' bounding box, in batches.
pub fn generate_places(conn: &mut AnyConnection, n: u64, seed: u64) -> AppResult<u64> {
    generate_places_with(conn, n, seed, &mut |_| {})
}

/// `generate_places`, calling `progress` with the size of each batch committed.
pub fn generate_places_with(
    conn: &mut AnyConnection,
    n: u64,
    seed: u64,
    progress: &mut dyn FnMut(u64),
) -> AppResult<u64> {
    use crate::db::schema::{place_terms, places};
    use crate::demo::places::NewPlace;
    use crate::resource::PlaceKind;
    use crate::resources::places::PlaceForm;
    super::ensure_reference_data(conn)?;
    let now = db::now();
    let mut rng = Rng(seed ^ 0x005e_ed91_ace5);
    let first_index: i64 = places::table.count().get_result(conn)?;
    in_batches(conn, n, progress, |conn, done, size| {
        let mut rows = Vec::with_capacity(size as usize);
        let mut tags: Vec<(u64, &str)> = Vec::new();
        for k in 0..size {
            let i = first_index as u64 + done + k;
            let kind = PlaceKind::PLACES[rng.below(4) as usize];
            let word = PLACE_WORDS[rng.below(12) as usize];
            let lat = 51.3 + (rng.below(1_000_000) as f64 / 1_000_000.0) * 4.8;
            let lon = 23.3 + (rng.below(1_000_000) as f64 / 1_000_000.0) * 9.4;
            let category = match kind {
                PlaceKind::TouristSite => {
                    Some(["castle", "museum", "lake", "church"][rng.below(4) as usize])
                }
                PlaceKind::UnescoSite => Some("cultural"),
                PlaceKind::Monument => Some("monument"),
                PlaceKind::Sanatorium | PlaceKind::Souvenir => None,
            };
            let form = PlaceForm {
                group_id: 0,
                kind: kind.as_str().into(),
                locale: "en".into(),
                slug: format!("gen-{i}-{word}"),
                name: format!("Generated {word} {i}"),
                summary: format!("A generated {word} for load tests."),
                description_html: format!("<p>Generated {word} number {i}.</p>"),
                region: Some(REGIONS[rng.below(7) as usize].into()),
                locality: None,
                address: None,
                lat: Some(lat),
                lon: Some(lon),
                geo_cell: Some(crate::geo::cell(crate::geo::Point { lat, lon })),
                image: None,
                gallery: "[]".into(),
                website: None,
                phone: None,
                email: None,
                category: category.map(str::to_string),
                rank_order: i32::MAX,
                listing_status: (kind == PlaceKind::UnescoSite).then(|| "tentative".to_string()),
                details: "{}".into(),
                status: "published".into(),
                published_at: Some(now),
                updated_at: now,
            };
            rows.push(NewPlace {
                form,
                created_at: now,
            });
            tags.push((k, TAGS[rng.below(12) as usize]));
        }
        let ids: Vec<i64> = db::bulk::get_results(
            conn,
            diesel::insert_into(places::table)
                .values(&rows)
                .returning(places::id),
        )?;
        let values: Vec<_> = tags
            .iter()
            .filter_map(|(k, t)| ids.get(*k as usize).map(|id| (*id, *t)))
            .map(|(id, t)| {
                (
                    place_terms::place_id.eq(id),
                    place_terms::term.eq("tag"),
                    place_terms::value.eq(t),
                    place_terms::position.eq(0),
                )
            })
            .collect();
        db::bulk::insert_rows(conn, place_terms::table, &values)?;
        diesel::update(places::table.filter(places::group_id.eq(0i64)))
            .set(places::group_id.eq(places::id))
            .execute(conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vocabulary_words_are_distinct_and_zipf_draws_favour_low_ranks() {
        let words: std::collections::HashSet<String> = (1..20_001).map(vocab_word).collect();
        assert_eq!(words.len(), 20_000);
        let mut rng = Rng(7);
        let top = vocab_word(1);
        let hits = (0..10_000).filter(|_| zipf_word(&mut rng) == top).count();
        // P(rank 1) = log(2)/log(20000), about 7 %.
        assert!((400..1100).contains(&hits), "{hits}");
    }
}
