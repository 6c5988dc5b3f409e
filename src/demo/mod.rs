//! Demo content, loaded into an empty database on first start: the regions, the
//! news sections and the articles in `articles.json` (written for this project).

pub mod events;
pub mod generate;
pub mod images;
pub mod places;
pub mod translations;

use chrono::{DateTime, NaiveDateTime};
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{article_tags, articles, region_names, regions, sections};
use crate::db::{self, AnyConnection};
use crate::domain::{reading_time_minutes, Image};
use crate::error::{AppError, AppResult};

/// slug, lat, lon, [(locale, name, capital)]
type RegionSeed = (
    &'static str,
    f64,
    f64,
    [(&'static str, &'static str, &'static str); 3],
);

const REGIONS: [RegionSeed; 7] = [
    (
        "brest",
        52.0976,
        23.7341,
        [
            ("en", "Brest Region", "Brest"),
            ("be", "Брэсцкая вобласць", "Брэст"),
            ("ru", "Брестская область", "Брест"),
        ],
    ),
    (
        "vitebsk",
        55.1904,
        30.2049,
        [
            ("en", "Vitebsk Region", "Vitebsk"),
            ("be", "Віцебская вобласць", "Віцебск"),
            ("ru", "Витебская область", "Витебск"),
        ],
    ),
    (
        "gomel",
        52.4412,
        30.9878,
        [
            ("en", "Gomel Region", "Gomel"),
            ("be", "Гомельская вобласць", "Гомель"),
            ("ru", "Гомельская область", "Гомель"),
        ],
    ),
    (
        "grodno",
        53.6694,
        23.8131,
        [
            ("en", "Grodno Region", "Grodno"),
            ("be", "Гродзенская вобласць", "Гродна"),
            ("ru", "Гродненская область", "Гродно"),
        ],
    ),
    (
        "minsk-region",
        53.9000,
        27.5667,
        [
            ("en", "Minsk Region", "Minsk"),
            ("be", "Мінская вобласць", "Мінск"),
            ("ru", "Минская область", "Минск"),
        ],
    ),
    (
        "mogilev",
        53.9007,
        30.3314,
        [
            ("en", "Mogilev Region", "Mogilev"),
            ("be", "Магілёўская вобласць", "Магілёў"),
            ("ru", "Могилёвская область", "Могилёв"),
        ],
    ),
    (
        "minsk-city",
        53.9006,
        27.5590,
        [
            ("en", "Minsk City", "Minsk"),
            ("be", "Горад Мінск", "Мінск"),
            ("ru", "Город Минск", "Минск"),
        ],
    ),
];

/// slug, parent slug, position, title, description
const SECTIONS: [(&str, Option<&str>, i32, &str, &str); 8] = [
    (
        "news",
        None,
        1,
        "News",
        "Current news of Belarus: politics, economy, society, culture and sport.",
    ),
    (
        "politics",
        Some("news"),
        1,
        "Politics",
        "State affairs, diplomacy and foreign visits.",
    ),
    (
        "economy",
        Some("news"),
        2,
        "Economy",
        "Industry, agriculture, trade and investment.",
    ),
    (
        "society",
        Some("news"),
        3,
        "Society",
        "Education, health care, social life and public holidays.",
    ),
    (
        "culture",
        Some("news"),
        4,
        "Culture",
        "Festivals, museums, theatre and heritage.",
    ),
    (
        "sport",
        Some("news"),
        5,
        "Sport",
        "Competitions, athletes and sporting events in Belarus.",
    ),
    (
        "tourism",
        Some("news"),
        6,
        "Tourism",
        "Travel news: destinations, routes, visa-free entry and events for visitors.",
    ),
    (
        "opinions-interviews",
        Some("news"),
        7,
        "Opinions & Interviews",
        "Interviews with officials and experts, and commentary.",
    ),
];

#[derive(Debug, Deserialize)]
struct ArticleSeed {
    slug: String,
    section: String,
    title: String,
    lead: String,
    body_html: String,
    dateline: Option<String>,
    source: Option<String>,
    author: Option<String>,
    published_at: String,
    image: Option<Image>,
    tags: Vec<String>,
}

#[derive(Insertable)]
#[diesel(table_name = articles)]
pub struct NewArticle {
    pub group_id: i64,
    pub locale: String,
    pub slug: String,
    pub section_id: i64,
    pub title: String,
    pub lead: String,
    pub body_html: String,
    pub dateline: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    pub reading_time_minutes: i32,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("demo content: {e}"))
}

/// Loads the reference data (regions, sections) if missing; both are needed by
/// every installation, demo or not.
pub fn ensure_reference_data(conn: &mut AnyConnection) -> AppResult<()> {
    conn.transaction(|conn| {
        let have: i64 = regions::table.count().get_result(conn)?;
        if have == 0 {
            for (i, (slug, lat, lon, names)) in REGIONS.iter().enumerate() {
                let id: i64 = diesel::insert_into(regions::table)
                    .values((
                        regions::slug.eq(*slug),
                        regions::position.eq(i as i32 + 1),
                        regions::lat.eq(*lat),
                        regions::lon.eq(*lon),
                    ))
                    .returning(regions::id)
                    .get_result(conn)?;
                for (locale, name, capital) in names {
                    diesel::insert_into(region_names::table)
                        .values((
                            region_names::region_id.eq(id),
                            region_names::locale.eq(*locale),
                            region_names::name.eq(*name),
                            region_names::capital.eq(*capital),
                        ))
                        .execute(conn)?;
                }
            }
        }
        let have: i64 = sections::table.count().get_result(conn)?;
        if have == 0 {
            let now = db::now();
            for (slug, parent, position, title, description) in SECTIONS {
                let parent_id: Option<i64> = match parent {
                    Some(p) => Some(
                        sections::table
                            .filter(sections::locale.eq("en"))
                            .filter(sections::slug.eq(p))
                            .select(sections::id)
                            .first(conn)?,
                    ),
                    None => None,
                };
                let id: i64 = diesel::insert_into(sections::table)
                    .values((
                        sections::group_id.eq(0i64),
                        sections::locale.eq("en"),
                        sections::slug.eq(slug),
                        sections::parent_id.eq(parent_id),
                        sections::title.eq(title),
                        sections::description.eq(description),
                        sections::position.eq(position),
                        sections::created_at.eq(now),
                        sections::updated_at.eq(now),
                    ))
                    .returning(sections::id)
                    .get_result(conn)?;
                diesel::update(sections::table.find(id))
                    .set(sections::group_id.eq(id))
                    .execute(conn)?;
            }
        }
        Ok(())
    })
}

/// Loads the demo content when the database holds none, with its images stored
/// in `store`. Returns how many articles were loaded.
pub fn load_demo_content(
    conn: &mut AnyConnection,
    store: &dyn crate::media::storage::MediaStore,
) -> AppResult<usize> {
    let n = load_demo_text(conn)?;
    images::attach_demo_images(conn, store)?;
    Ok(n)
}

/// The demo content without its images.
pub fn load_demo_text(conn: &mut AnyConnection) -> AppResult<usize> {
    ensure_reference_data(conn)?;
    places::load_demo_places(conn)?;
    events::load_demo_events(conn, db::now())?;
    let seeds: Vec<ArticleSeed> =
        serde_json::from_str(include_str!("articles.json")).map_err(internal)?;
    let loaded = conn.transaction::<_, AppError, _>(|conn| {
        let have: i64 = articles::table.count().get_result(conn)?;
        if have > 0 {
            return Ok(0);
        }
        let now = db::now();
        for s in &seeds {
            let section_id: i64 = sections::table
                .filter(sections::locale.eq("en"))
                .filter(sections::slug.eq(&s.section))
                .select(sections::id)
                .first(conn)?;
            let published_at = DateTime::parse_from_rfc3339(&s.published_at)
                .map_err(internal)?
                .naive_utc();
            let new = NewArticle {
                group_id: 0,
                locale: "en".into(),
                slug: s.slug.clone(),
                section_id,
                title: s.title.clone(),
                lead: s.lead.clone(),
                // Stored as the write API stores it, so an export re-imports unchanged.
                body_html: crate::editorial::sanitize_html(&s.body_html),
                dateline: s.dateline.clone(),
                source: s.source.clone(),
                author: s.author.clone(),
                image: s
                    .image
                    .as_ref()
                    .map(|i| serde_json::to_string(i).unwrap_or_default()),
                reading_time_minutes: reading_time_minutes(&s.body_html),
                status: "published".into(),
                published_at: Some(published_at),
                created_at: published_at.min(now),
                updated_at: published_at.min(now),
            };
            let id: i64 = diesel::insert_into(articles::table)
                .values(&new)
                .returning(articles::id)
                .get_result(conn)?;
            for t in &s.tags {
                diesel::insert_into(article_tags::table)
                    .values((
                        article_tags::article_id.eq(id),
                        article_tags::tag.eq(t.as_str()),
                    ))
                    .execute(conn)?;
            }
        }
        diesel::update(articles::table.filter(articles::group_id.eq(0i64)))
            .set(articles::group_id.eq(articles::id))
            .execute(conn)?;
        Ok(seeds.len())
    })?;
    if loaded > 0 {
        translations::load_demo_translations(conn)?;
        crate::resources::search::reindex_all(conn)?;
    }
    Ok(loaded)
}
