//! Writing events: POST, PATCH (JSON Merge Patch) and DELETE.

mod fields;
use fields::{event_times, venue_columns, venue_write};

use actix_web::{delete, patch, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{context, find_event, minsk_time, Event, EventRow};
use crate::db::schema::{event_tags, events};
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, ImageWrite, Visibility};
use crate::editorial::common::{self, translation_group};
use crate::editorial::{sanitize_html, FieldErrors, ItemMeta, Representation, Resource, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::http::params::ItemRef;
use crate::resource::ResourceType;
use crate::resources::vocab::{EventCategory, EventStatus, RegionSlug};

/// Where an event takes place. Every field is optional.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueWrite {
    pub name: Option<String>,
    pub address: Option<String>,
    /// Town or city.
    pub locality: Option<String>,
    pub region: Option<RegionSlug>,
    pub location: Option<VenueLocationWrite>,
}

/// A point on the map (WGS 84).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VenueLocationWrite {
    /// -90 to 90.
    pub lat: f64,
    /// -180 to 180.
    pub lon: f64,
}

/// The body of event writes. Every field is optional in a PATCH (a merge patch
/// onto the stored event); POST needs `slug`, `title`, `category` and `starts_at`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventWrite {
    /// Unique per locale: lowercase letters, digits and hyphens, with a letter.
    pub slug: Option<String>,
    /// A configured locale; defaults to the default locale.
    pub locale: Option<String>,
    /// The id of an event in another locale this one translates.
    pub translation_of: Option<i64>,
    /// 1-300 characters.
    pub title: Option<String>,
    pub summary: Option<String>,
    /// HTML; sanitized on write (allow-listed tags and attributes).
    pub description_html: Option<String>,
    pub category: Option<EventCategory>,
    /// RFC 3339 with an offset.
    pub starts_at: Option<DateTime<FixedOffset>>,
    /// RFC 3339 with an offset, not before `starts_at`; defaults to `starts_at`.
    pub ends_at: Option<DateTime<FixedOffset>>,
    /// With `true`, the event runs from the start of the Minsk day of `starts_at`
    /// to the start of the Minsk day after the last day it touches (exclusive end).
    pub all_day: Option<bool>,
    pub venue: Option<VenueWrite>,
    pub organizer: Option<String>,
    /// An absolute http(s) URL.
    pub website: Option<String>,
    /// Free text, like `from 20 BYN`.
    pub price: Option<String>,
    pub is_free: Option<bool>,
    /// Whether the event takes place as announced: `scheduled` (default), `cancelled` or `postponed`.
    pub status: Option<EventStatus>,
    pub image: Option<ImageWrite>,
    pub tags: Option<Vec<String>>,
    /// `draft` (default), `published` or `archived`.
    pub publication_status: Option<ContentStatus>,
    /// RFC 3339; defaults to now when published. A future instant schedules the event.
    pub published_at: Option<DateTime<FixedOffset>>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
struct EventForm {
    group_id: i64,
    locale: String,
    slug: String,
    title: String,
    summary: String,
    description_html: String,
    category: String,
    starts_at: NaiveDateTime,
    ends_at: NaiveDateTime,
    all_day: bool,
    venue_name: Option<String>,
    venue_address: Option<String>,
    venue_locality: Option<String>,
    region: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    organizer: Option<String>,
    website: Option<String>,
    price: Option<String>,
    is_free: bool,
    event_status: String,
    image: Option<String>,
    status: String,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
}

pub struct Events;

impl Resource for Events {
    const TYPE: ResourceType = ResourceType::Event;
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "translations",
        "created_at",
        "updated_at",
        "start_date",
        "end_date",
        "timezone",
        "distance_km",
    ];
    type Write = EventWrite;

    fn load_write(conn: &mut AnyConnection, _ctx: &SaveCtx, id: i64) -> AppResult<EventWrite> {
        let row: Option<EventRow> = events::table
            .find(id)
            .select(EventRow::as_select())
            .first(conn)
            .optional()?;
        let r = row.ok_or_else(|| AppError::not_found("no such event"))?;
        let tags: Vec<String> = event_tags::table
            .filter(event_tags::event_id.eq(id))
            .select(event_tags::tag)
            .order(event_tags::tag)
            .load(conn)?;
        Ok(EventWrite {
            venue: venue_write(&r),
            image: ImageWrite::from_column(r.image.as_deref()),
            tags: Some(tags),
            publication_status: Some(ContentStatus::from_column(&r.status)),
            published_at: common::instant(r.published_at),
            slug: Some(r.slug),
            locale: Some(r.locale),
            translation_of: None,
            title: Some(r.title),
            summary: Some(r.summary),
            description_html: Some(r.description_html),
            category: EventCategory::from_wire(&r.category),
            starts_at: Some(minsk_time(r.starts_at)),
            ends_at: Some(minsk_time(r.ends_at)),
            all_day: Some(r.all_day),
            organizer: r.organizer,
            website: r.website,
            price: r.price,
            is_free: Some(r.is_free),
            status: EventStatus::from_wire(&r.event_status),
        })
    }

    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<i64>,
        b: EventWrite,
    ) -> AppResult<i64> {
        let mut e = FieldErrors::default();
        let locale = common::locale(&mut e, ctx, &b.locale);
        let slug = e.slug("slug", &b.slug);
        let title = e.text("title", &b.title, 300);
        let summary = e.opt_text("summary", &b.summary, 2000).unwrap_or_default();
        let description_html = sanitize_html(b.description_html.as_deref().unwrap_or(""));
        if description_html.len() > 500_000 {
            e.add("description_html", "must be at most 500000 bytes");
        }
        let category = match b.category {
            Some(c) => c.as_str(),
            None => {
                e.add("category", "is required");
                EventCategory::Other.as_str()
            }
        };
        let all_day = b.all_day.unwrap_or(false);
        let (starts_at, ends_at) = event_times(&mut e, b.starts_at, b.ends_at, all_day);
        let (venue_name, venue_address, venue_locality, region, lat, lon) =
            venue_columns(&mut e, b.venue);
        let organizer = e.opt_text("organizer", &b.organizer, 300);
        let website = e.url("website", &b.website);
        let price = e.opt_text("price", &b.price, 200);
        let images = common::ImageResolver::load(conn, b.image.iter())?;
        let image = b
            .image
            .as_ref()
            .and_then(|i| images.resolve(&mut e, "image", i));
        let tags = e.tags("tags", &b.tags);
        let (status, published_at) =
            common::publication(&mut e, ctx, b.publication_status, None, b.published_at);
        let own_group: Option<i64> = match id {
            Some(id) => Some(
                events::table
                    .find(id)
                    .select(events::group_id)
                    .first(conn)?,
            ),
            None => None,
        };
        let target: Option<(i64, String)> = match b.translation_of {
            None => None,
            Some(t) => {
                let found: Option<(i64, String)> = events::table
                    .find(t)
                    .select((events::group_id, events::locale))
                    .first(conn)
                    .optional()?;
                if found.is_none() {
                    e.add("translation_of", format!("no event {t}"));
                }
                found
            }
        };
        let group_id = translation_group(
            &mut e,
            target,
            |g| {
                Ok(events::table
                    .filter(events::group_id.eq(g))
                    .select((events::id, events::locale))
                    .load(conn)?)
            },
            &locale,
            id,
            own_group,
        )?;
        e.finish()?;
        let mut form = EventForm {
            group_id,
            locale,
            slug,
            title,
            summary,
            description_html,
            category: category.to_string(),
            starts_at,
            ends_at,
            all_day,
            venue_name,
            venue_address,
            venue_locality,
            region,
            lat,
            lon,
            organizer,
            website,
            price,
            is_free: b.is_free.unwrap_or(false),
            event_status: b
                .status
                .unwrap_or(EventStatus::Scheduled)
                .as_str()
                .to_string(),
            image: common::image_column(&image),
            status,
            published_at,
            updated_at: ctx.updated_at(),
        };
        let id = match id {
            Some(id) => {
                diesel::update(events::table.find(id))
                    .set(&form)
                    .execute(conn)?;
                diesel::delete(event_tags::table.filter(event_tags::event_id.eq(id)))
                    .execute(conn)?;
                id
            }
            None => {
                let id = common::next_id(conn, "events")?;
                if form.group_id == 0 {
                    form.group_id = id;
                }
                diesel::insert_into(events::table)
                    .values((
                        events::id.eq(id),
                        &form,
                        events::created_at.eq(ctx.created_at()),
                    ))
                    .execute(conn)?;
                id
            }
        };
        crate::db::write::insert_event_tags(conn, id, &tags)?;
        Ok(id)
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: i64) -> AppResult<()> {
        diesel::delete(event_tags::table.filter(event_tags::event_id.eq(id))).execute(conn)?;
        diesel::delete(events::table.find(id)).execute(conn)?;
        crate::regroup_translations!(conn, events, id);
        Ok(())
    }

    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: i64,
    ) -> AppResult<Representation> {
        let row = find_event(conn, &ItemRef::Id(id), "", ctx.now, Visibility::Any)?;
        let ectx = context(
            conn,
            &ctx.caches,
            std::slice::from_ref(&row),
            &row.locale,
            &ctx.config.default_locale,
            ctx.now,
        )?;
        let event: Event = ectx.event(&row);
        let meta = ItemMeta {
            slug: row.slug.clone(),
            locale: row.locale.clone(),
            public: Visibility::Public.allows(&row.status, row.published_at, ctx.now),
        };
        Representation::of(&event, meta)
    }

    fn scheduled_at(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: i64,
    ) -> AppResult<Option<NaiveDateTime>> {
        let (status, at): (String, Option<NaiveDateTime>) = events::table
            .find(id)
            .select((events::status, events::published_at))
            .first(conn)?;
        Ok(at.filter(|t| status == "published" && *t > ctx.now))
    }
}

crate::write_routes! {
    resource = Events, write = EventWrite, item = Event, tag = "events",
    collection = "/events", item_path = "/events/{id}", id_doc = "Event id",
    location = "Path of the new event",
    created = "Created; `Location` and `ETag` name the new event",
    updated = "The updated event", missing = "No such event", deleted = "Deleted",
    update_invalid = "Validation failed: one `errors` entry per field", delete_responses = [],
    create = create_event, update = update_event, delete = delete_event,
}
