//! Writing events: POST, PATCH (JSON Merge Patch) and DELETE.

mod fields;
use fields::{event_times, venue_columns, venue_write};

use actix_web::{delete, patch, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{context, find_event, minsk_time, Event, EventForm, TIMEZONE};
use crate::db::schema::{event_tags, events};
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, ImageWrite, Visibility};
use crate::editorial::common;
use crate::editorial::fields::{self as shared, Publication};
use crate::editorial::{FieldErrors, ItemMeta, Representation, Resource, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::http::params::ItemRef;
use crate::resource::{EventId, ResourceType};
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
    type Id = EventId;

    fn load_write(conn: &mut AnyConnection, id: EventId) -> AppResult<EventWrite> {
        let id = id.get();
        let row: Option<EventForm> = events::table
            .find(id)
            .select(EventForm::as_select())
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
        id: Option<EventId>,
        b: EventWrite,
    ) -> AppResult<EventId> {
        let id = id.map(EventId::get);
        let mut e = FieldErrors::default();
        let head = shared::head(&mut e, ctx, &b.locale, &b.slug, &b.title, 300);
        let summary = e.opt_text("summary", &b.summary, 2000).unwrap_or_default();
        let description_html = shared::html(&mut e, "description_html", &b.description_html);
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
        let publication = Publication {
            status: b.publication_status,
            synonym: None,
            published_at: b.published_at,
        };
        let tail = shared::tail(conn, &mut e, ctx, &b.image, &b.tags, publication)?;
        let group_id = crate::translation_group_in!(
            conn,
            &mut e,
            events,
            id,
            b.translation_of,
            &head.locale,
            "event"
        );
        e.finish()?;
        let mut form = EventForm {
            group_id,
            locale: head.locale,
            slug: head.slug,
            title: head.title,
            summary,
            description_html,
            category: category.to_string(),
            starts_at,
            ends_at,
            all_day,
            timezone: TIMEZONE.into(),
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
            image: tail.image,
            status: tail.status,
            published_at: tail.published_at,
            created_at: ctx.created_at(),
            updated_at: ctx.updated_at(),
        };
        let new_id = crate::save_translatable_row!(conn, events, id, form, "no such event");
        if id.is_some() {
            diesel::delete(event_tags::table.filter(event_tags::event_id.eq(new_id)))
                .execute(conn)?;
        }
        crate::db::write::insert_event_tags(conn, new_id, &tail.tags)?;
        Ok(EventId(new_id))
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: EventId) -> AppResult<()> {
        let id = id.get();
        diesel::delete(event_tags::table.filter(event_tags::event_id.eq(id))).execute(conn)?;
        diesel::delete(events::table.find(id)).execute(conn)?;
        crate::regroup_translations!(conn, events, id);
        Ok(())
    }

    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: EventId,
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
        id: EventId,
    ) -> AppResult<Option<NaiveDateTime>> {
        crate::scheduled_in!(conn, ctx, events, id.get())
    }
}

crate::write_routes! {
    resource = Events, write = EventWrite, item = Event, tag = "events",
    paths = ("/events", "/events/{id}"), id_doc = "Event id",
    noun = "event", location = "Path of the new event", deleted = "Deleted",
    create = create_event, update = update_event, delete = delete_event,
}
