//! Belarusian and Russian versions of part of the demo content, from
//! `translations.json` (written for this project): each entry names the English
//! item it translates (`of`) and carries only the texts; everything else (dates,
//! places, images, tags, status) is copied from the English sibling, and the two
//! share its translation group.

use diesel::prelude::*;
use serde::Deserialize;

use super::places::{insert_place, NewPlace};
use crate::db::schema::{
    article_tags, articles, event_tags, events, place_terms, places, sections,
};
use crate::db::AnyConnection;
use crate::domain::{reading_time_minutes, Image};
use crate::error::{AppError, AppResult};
use crate::resources::articles::write::{ArticleColumns, ArticleForm};
use crate::resources::events::EventForm;
use crate::resources::events::EventRow;
use crate::resources::places::PlaceForm;
use crate::resources::places::PlaceRow;
use crate::resources::sections::SectionRow;

#[derive(Deserialize)]
struct SectionText {
    of: String,
    locale: String,
    slug: String,
    title: String,
    description: String,
}

#[derive(Deserialize)]
struct ArticleText {
    of: String,
    locale: String,
    slug: String,
    title: String,
    lead: String,
    body_html: String,
    dateline: Option<String>,
    caption: Option<String>,
}

#[derive(Deserialize)]
struct PlaceText {
    #[serde(rename = "type")]
    kind: String,
    of: String,
    locale: String,
    slug: String,
    name: String,
    summary: String,
    description_html: String,
    locality: Option<String>,
    address: Option<String>,
    opening_hours: Option<String>,
    admission: Option<String>,
}

#[derive(Deserialize)]
struct EventText {
    of: String,
    locale: String,
    slug: String,
    title: String,
    summary: String,
    description_html: String,
    venue_name: Option<String>,
    venue_address: Option<String>,
    venue_locality: Option<String>,
    organizer: Option<String>,
    price: Option<String>,
}

#[derive(Deserialize)]
struct Texts {
    sections: Vec<SectionText>,
    articles: Vec<ArticleText>,
    places: Vec<PlaceText>,
    events: Vec<EventText>,
}

fn bad(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("demo translations: {e}"))
}

/// The section in `locale` translating the English section `en_id`.
fn section_in(conn: &mut AnyConnection, en_id: i64, locale: &str) -> AppResult<i64> {
    let group: i64 = sections::table
        .find(en_id)
        .select(sections::group_id)
        .first(conn)?;
    Ok(sections::table
        .filter(sections::group_id.eq(group))
        .filter(sections::locale.eq(locale))
        .select(sections::id)
        .first(conn)?)
}

fn sections_text(conn: &mut AnyConnection, list: &[SectionText]) -> AppResult<()> {
    // English parents come before their children in the file's order of `of`.
    let english: Vec<SectionRow> = sections::table
        .filter(sections::locale.eq("en"))
        .select(SectionRow::as_select())
        .order((sections::parent_id.is_not_null(), sections::id))
        .load(conn)?;
    for en in &english {
        for t in list.iter().filter(|t| t.of == en.slug) {
            let parent = match en.parent_id {
                Some(p) => Some(section_in(conn, p, &t.locale)?),
                None => None,
            };
            diesel::insert_into(sections::table)
                .values((
                    sections::group_id.eq(en.group_id),
                    sections::locale.eq(&t.locale),
                    sections::slug.eq(&t.slug),
                    sections::parent_id.eq(parent),
                    sections::title.eq(&t.title),
                    sections::description.eq(&t.description),
                    sections::position.eq(en.position),
                    sections::created_at.eq(en.created_at),
                    sections::updated_at.eq(en.updated_at),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn articles_text(conn: &mut AnyConnection, list: &[ArticleText]) -> AppResult<()> {
    type Row = (
        i64,
        i64,
        i64,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    for t in list {
        let (en_id, group, section, source, author, image, status): Row = articles::table
            .filter(articles::locale.eq("en"))
            .filter(articles::slug.eq(&t.of))
            .select((
                articles::id,
                articles::group_id,
                articles::section_id,
                articles::source,
                articles::author,
                articles::image,
                articles::status,
            ))
            .first(conn)?;
        let (published_at, created_at, updated_at) = articles::table
            .find(en_id)
            .select((
                articles::published_at,
                articles::created_at,
                articles::updated_at,
            ))
            .first(conn)?;
        let image = Image::from_column(image.as_deref()).map(|mut i| {
            i.caption = t.caption.clone();
            i
        });
        let columns = ArticleColumns {
            group_id: group,
            locale: t.locale.clone(),
            slug: t.slug.clone(),
            section_id: section_in(conn, section, &t.locale)?,
            title: t.title.clone(),
            lead: t.lead.clone(),
            dateline: t.dateline.clone(),
            source,
            author,
            image: image.and_then(|i| serde_json::to_string(&i).ok()),
            reading_time_minutes: reading_time_minutes(&t.body_html),
            status,
            published_at,
            updated_at,
        };
        let new = ArticleForm {
            columns,
            body_html: t.body_html.clone(),
            created_at,
        };
        let id: i64 = diesel::insert_into(articles::table)
            .values(&new)
            .returning(articles::id)
            .get_result(conn)?;
        let tags: Vec<String> = article_tags::table
            .filter(article_tags::article_id.eq(en_id))
            .select(article_tags::tag)
            .load(conn)?;
        for tag in tags {
            diesel::insert_into(article_tags::table)
                .values((article_tags::article_id.eq(id), article_tags::tag.eq(tag)))
                .execute(conn)?;
        }
    }
    Ok(())
}

fn places_text(conn: &mut AnyConnection, list: &[PlaceText]) -> AppResult<()> {
    for t in list {
        let en: PlaceRow = places::table
            .filter(places::kind.eq(&t.kind))
            .filter(places::locale.eq("en"))
            .filter(places::slug.eq(&t.of))
            .select(PlaceRow::as_select())
            .first(conn)?;
        let mut details: serde_json::Value = serde_json::from_str(&en.details).map_err(bad)?;
        if let Some(d) = details.as_object_mut() {
            for (k, v) in [
                ("opening_hours", &t.opening_hours),
                ("admission", &t.admission),
            ] {
                if d.contains_key(k) {
                    d.insert(k.to_string(), serde_json::json!(v));
                }
            }
        }
        let form = PlaceForm {
            group_id: en.group_id,
            kind: en.kind.clone(),
            locale: t.locale.clone(),
            slug: t.slug.clone(),
            name: t.name.clone(),
            summary: t.summary.clone(),
            description_html: t.description_html.clone(),
            region: en.region.clone(),
            locality: t.locality.clone().or(en.locality.clone()),
            address: t.address.clone().or(en.address.clone()),
            lat: en.lat,
            lon: en.lon,
            geo_cell: en.geo_cell,
            image: en.image.clone(),
            gallery: en.gallery.clone(),
            website: en.website.clone(),
            phone: en.phone.clone(),
            email: en.email.clone(),
            category: en.category.clone(),
            rank_order: en.rank_order,
            listing_status: en.listing_status.clone(),
            details: details.to_string(),
            status: en.status.clone(),
            published_at: en.published_at,
            updated_at: en.updated_at,
        };
        let new = NewPlace {
            form,
            created_at: en.created_at,
        };
        let terms: Vec<(String, String)> = place_terms::table
            .filter(place_terms::place_id.eq(en.id))
            .order((place_terms::term, place_terms::position))
            .select((place_terms::term, place_terms::value))
            .load(conn)?;
        let mut grouped: Vec<(String, Vec<String>)> = Vec::new();
        for (term, value) in terms {
            match grouped.iter_mut().find(|(t, _)| *t == term) {
                Some((_, v)) => v.push(value),
                None => grouped.push((term, vec![value])),
            }
        }
        let refs: Vec<(&str, &[String])> = grouped
            .iter()
            .map(|(t, v)| (t.as_str(), v.as_slice()))
            .collect();
        insert_place(conn, &new, &refs)?;
    }
    Ok(())
}

fn events_text(conn: &mut AnyConnection, list: &[EventText]) -> AppResult<()> {
    for t in list {
        let en: EventRow = events::table
            .filter(events::locale.eq("en"))
            .filter(events::slug.eq(&t.of))
            .select(EventRow::as_select())
            .first(conn)?;
        let new = EventForm {
            group_id: en.group_id,
            locale: t.locale.clone(),
            slug: t.slug.clone(),
            title: t.title.clone(),
            summary: t.summary.clone(),
            description_html: t.description_html.clone(),
            category: en.category.clone(),
            starts_at: en.starts_at,
            ends_at: en.ends_at,
            all_day: en.all_day,
            timezone: en.timezone.clone(),
            venue_name: t.venue_name.clone().or(en.venue_name.clone()),
            venue_address: t.venue_address.clone().or(en.venue_address.clone()),
            venue_locality: t.venue_locality.clone().or(en.venue_locality.clone()),
            region: en.region.clone(),
            lat: en.lat,
            lon: en.lon,
            organizer: t.organizer.clone().or(en.organizer.clone()),
            website: en.website.clone(),
            price: t.price.clone().or(en.price.clone()),
            is_free: en.is_free,
            event_status: en.event_status.clone(),
            image: en.image.clone(),
            status: en.status.clone(),
            published_at: en.published_at,
            created_at: en.created_at,
            updated_at: en.updated_at,
        };
        let id: i64 = diesel::insert_into(events::table)
            .values(&new)
            .returning(events::id)
            .get_result(conn)?;
        let tags: Vec<String> = event_tags::table
            .filter(event_tags::event_id.eq(en.id))
            .select(event_tags::tag)
            .load(conn)?;
        for tag in tags {
            diesel::insert_into(event_tags::table)
                .values((event_tags::event_id.eq(id), event_tags::tag.eq(tag)))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Loads the be/ru texts next to freshly loaded English demo content, in one
/// transaction. Sections are added only where their locale has none yet.
pub fn load_demo_translations(conn: &mut AnyConnection) -> AppResult<()> {
    let texts: Texts = serde_json::from_str(include_str!("translations.json")).map_err(bad)?;
    conn.transaction(|conn| {
        let have: i64 = sections::table
            .filter(sections::locale.ne("en"))
            .count()
            .get_result(conn)?;
        if have == 0 {
            sections_text(conn, &texts.sections)?;
        }
        articles_text(conn, &texts.articles)?;
        places_text(conn, &texts.places)?;
        events_text(conn, &texts.events)
    })
}
