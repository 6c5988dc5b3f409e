//! Demo content, loaded into an empty database on first start: the regions, the
//! news sections and the articles in `articles.json` (written for this project).

pub mod events;
pub mod generate;
pub mod images;
pub mod places;
pub mod translations;

use chrono::DateTime;
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{article_tags, articles, region_names, regions, sections};
use crate::db::{self, AnyConnection};
use crate::domain::{reading_time_minutes, Image};
use crate::error::{AppError, AppResult};

/// The regions and news sections every installation needs (`reference.json`).
#[derive(Deserialize)]
struct ReferenceData {
    regions: Vec<RegionSeed>,
    sections: Vec<SectionSeed>,
}

#[derive(Deserialize)]
struct RegionSeed {
    slug: String,
    lat: f64,
    lon: f64,
    /// `[locale, name, capital]`
    names: Vec<(String, String, String)>,
    /// Other names (exonyms, transliterations, the oblast forms), searched by
    /// `/v1/regions?q=`; reference data, so read from here, not stored.
    #[serde(default)]
    aliases: Vec<String>,
}

/// The other names of the region `slug` (reference data; see `reference.json`).
pub fn region_aliases(slug: &str) -> &'static [String] {
    static REFERENCE: std::sync::OnceLock<Vec<(String, Vec<String>)>> = std::sync::OnceLock::new();
    let all = REFERENCE.get_or_init(|| {
        serde_json::from_str::<ReferenceData>(include_str!("reference.json"))
            .map(|d| d.regions.into_iter().map(|r| (r.slug, r.aliases)).collect())
            .unwrap_or_default()
    });
    all.iter()
        .find(|(s, _)| s == slug)
        .map_or(&[], |(_, a)| a.as_slice())
}

#[derive(Deserialize)]
struct SectionSeed {
    slug: String,
    parent: Option<String>,
    position: i32,
    title: String,
    description: String,
}

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

use crate::resources::articles::write::{ArticleColumns, ArticleForm};

fn internal(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("demo content: {e}"))
}

/// Loads the reference data (regions, sections) if missing; both are needed by
/// every installation, demo or not.
pub fn ensure_reference_data(conn: &mut AnyConnection) -> AppResult<()> {
    let data: ReferenceData =
        serde_json::from_str(include_str!("reference.json")).map_err(internal)?;
    conn.transaction(|conn| {
        let have: i64 = regions::table.count().get_result(conn)?;
        if have == 0 {
            for (
                i,
                RegionSeed {
                    slug,
                    lat,
                    lon,
                    names,
                    ..
                },
            ) in data.regions.iter().enumerate()
            {
                let id: i64 = diesel::insert_into(regions::table)
                    .values((
                        regions::slug.eq(slug),
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
                            region_names::locale.eq(locale),
                            region_names::name.eq(name),
                            region_names::capital.eq(capital),
                        ))
                        .execute(conn)?;
                }
            }
        }
        let have: i64 = sections::table.count().get_result(conn)?;
        if have == 0 {
            let now = db::now();
            for s in &data.sections {
                let parent_id: Option<i64> = match &s.parent {
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
                        sections::slug.eq(&s.slug),
                        sections::parent_id.eq(parent_id),
                        sections::title.eq(&s.title),
                        sections::description.eq(&s.description),
                        sections::position.eq(s.position),
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
            let columns = ArticleColumns {
                group_id: 0,
                locale: "en".into(),
                slug: s.slug.clone(),
                section_id,
                title: s.title.clone(),
                lead: s.lead.clone(),
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
                updated_at: published_at.min(now),
            };
            let new = ArticleForm {
                columns,
                // Stored as the write API stores it, so an export re-imports unchanged.
                body_html: crate::editorial::sanitize_html(&s.body_html),
                created_at: published_at.min(now),
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
        crate::db::search::reindex_all(conn)?;
    }
    Ok(loaded)
}
