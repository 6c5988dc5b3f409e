//! The event types of the API, and how rows become them.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::Serialize;
use utoipa::ToSchema;

use super::model::*;
use crate::cache::Caches;
use crate::db::schema::{event_tags, events};
use crate::db::AnyConnection;
use crate::domain::{siblings, utc, ContentStatus, Image, Translation};
use crate::error::AppResult;
use crate::resources::places::{regions_for, RegionRef};
use crate::resources::regions::{Location, Region};
use crate::resources::vocab::{EventCategory, EventStatus};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Venue {
    pub name: Option<String>,
    pub address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<RegionRef>,
    pub location: Option<Location>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Event {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub translations: Vec<Translation>,
    pub title: String,
    pub summary: String,
    /// Sanitized HTML.
    pub description_html: String,
    pub category: EventCategory,
    /// Start, with the Europe/Minsk offset.
    pub starts_at: DateTime<FixedOffset>,
    /// End, with the Europe/Minsk offset; for all-day events the start of the day after the last (exclusive).
    pub ends_at: DateTime<FixedOffset>,
    pub all_day: bool,
    /// The first day (Europe/Minsk).
    pub start_date: NaiveDate,
    /// The last day, inclusive (Europe/Minsk).
    pub end_date: NaiveDate,
    /// Always `Europe/Minsk`.
    pub timezone: String,
    pub venue: Venue,
    pub organizer: Option<String>,
    pub website: Option<String>,
    /// Free text, like `from 20 BYN`.
    pub price: Option<String>,
    pub is_free: bool,
    /// Whether the event takes place as announced.
    pub status: EventStatus,
    pub image: Option<Image>,
    pub tags: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// `published` for everything the public sees; editors previewing also see `draft` and `archived`.
    pub publication_status: ContentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Great-circle distance from `near` (km); only with `near`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

/// What rows need to become API items.
pub struct EventCtx {
    pub regions: std::sync::Arc<Vec<Region>>,
    pub tags: HashMap<i64, Vec<String>>,
    pub siblings: Vec<(i64, i64, String, String)>,
    pub distances: HashMap<i64, f64>,
}

impl EventCtx {
    pub fn event(&self, r: &EventRow) -> Event {
        let region = r.region.as_ref().map(|slug| RegionRef {
            slug: slug.clone(),
            name: self
                .regions
                .iter()
                .find(|x| &x.slug == slug)
                .map(|x| x.name.clone())
                .unwrap_or_else(|| slug.clone()),
        });
        Event {
            id: r.id,
            slug: r.slug.clone(),
            locale: r.locale.clone(),
            translations: siblings(&self.siblings, r.group_id, r.id),
            title: r.title.clone(),
            summary: r.summary.clone(),
            description_html: r.description_html.clone(),
            category: EventCategory::from_wire(&r.category).unwrap_or(EventCategory::Other),
            starts_at: minsk_time(r.starts_at),
            ends_at: minsk_time(r.ends_at),
            all_day: r.all_day,
            start_date: r.start_date(),
            end_date: r.end_date(),
            timezone: r.timezone.clone(),
            venue: Venue {
                name: r.venue_name.clone(),
                address: r.venue_address.clone(),
                locality: r.venue_locality.clone(),
                region,
                location: r.point().map(|p| Location {
                    lat: p.lat,
                    lon: p.lon,
                }),
            },
            organizer: r.organizer.clone(),
            website: r.website.clone(),
            price: r.price.clone(),
            is_free: r.is_free,
            status: EventStatus::from_wire(&r.event_status).unwrap_or(EventStatus::Scheduled),
            image: Image::from_column(r.image.as_deref()),
            tags: self.tags.get(&r.id).cloned().unwrap_or_default(),
            published_at: r.published_at.map(utc),
            publication_status: ContentStatus::from_column(&r.status),
            created_at: utc(r.created_at),
            updated_at: utc(r.updated_at),
            distance_km: self.distances.get(&r.id).copied(),
        }
    }
}

pub fn context(
    conn: &mut AnyConnection,
    caches: &Caches,
    rows: &[EventRow],
    locale: &str,
    fallback: &str,
    now: NaiveDateTime,
) -> AppResult<EventCtx> {
    let regions = regions_for(conn, caches, locale, fallback)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.id).collect();
    let mut tags: HashMap<i64, Vec<String>> = HashMap::new();
    let mut sibling_rows = Vec::new();
    if !ids.is_empty() {
        let tag_rows: Vec<(i64, String)> = event_tags::table
            .filter(crate::db::any_of::any_of(conn, event_tags::event_id, &ids))
            .select((event_tags::event_id, event_tags::tag))
            .order((event_tags::event_id, event_tags::tag))
            .load(conn)?;
        for (id, tag) in tag_rows {
            tags.entry(id).or_default().push(tag);
        }
        let groups: Vec<i64> = rows.iter().map(|r| r.group_id).collect();
        sibling_rows = crate::visible_siblings!(conn, events, groups, now);
    }
    Ok(EventCtx {
        regions,
        tags,
        siblings: sibling_rows,
        distances: HashMap::new(),
    })
}
