//! The Belarus Events Calendar: events with Minsk-time presentation, day-range
//! overlap filters, geo filters, the month calendar and an iCalendar feed.

pub mod calendar;
pub mod ics;
pub mod write;

use std::collections::HashMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Minsk;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::places::{apply_common, regions_for, PlaceFilter, RawPlaceFilter, RegionRef};
use super::regions::{Location, Region};
use super::vocab::{EventCategory, EventStatus, RegionSlug};
use crate::cache::Caches;
use crate::db::geo::{self, Area, Candidate};
use crate::db::schema::{event_tags, events};
use crate::db::search::SearchQuery;
use crate::db::text_filter::text_match;
use crate::db::{self, keyset, AnyConnection, MultiBackend};
use crate::domain::{siblings, utc, ContentStatus, Image, Translation, Visibility};
use crate::error::{AppError, AppResult};
use crate::geo::Point;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::locale::negotiate;
use crate::http::params::ContentItemQuery;
use crate::http::params::{day_range, minsk_day, ItemRef, ListParams, RawList};
use crate::http::response::{self, ListBody, Page};
use crate::resources::jsonld::{self, JsonLd};
use crate::AppState;

pub const TIMEZONE: &str = "Europe/Minsk";

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    pub group_id: i64,
    pub locale: String,
    pub slug: String,
    pub title: String,
    pub summary: String,
    pub description_html: String,
    pub category: String,
    pub starts_at: NaiveDateTime,
    pub ends_at: NaiveDateTime,
    pub all_day: bool,
    pub timezone: String,
    pub venue_name: Option<String>,
    pub venue_address: Option<String>,
    pub venue_locality: Option<String>,
    pub region: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    pub organizer: Option<String>,
    pub website: Option<String>,
    pub price: Option<String>,
    pub is_free: bool,
    pub event_status: String,
    pub image: Option<String>,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl EventRow {
    /// The first and last Minsk days an event spans (its end is exclusive, so an
    /// event ending at midnight does not count on the next day).
    pub fn span_days(starts_at: NaiveDateTime, ends_at: NaiveDateTime) -> (NaiveDate, NaiveDate) {
        let last = if ends_at > starts_at {
            ends_at - Duration::microseconds(1)
        } else {
            ends_at
        };
        (minsk_day(starts_at), minsk_day(last))
    }

    pub fn start_date(&self) -> NaiveDate {
        Self::span_days(self.starts_at, self.ends_at).0
    }

    pub fn end_date(&self) -> NaiveDate {
        Self::span_days(self.starts_at, self.ends_at).1
    }

    pub fn point(&self) -> Option<Point> {
        Some(Point {
            lat: self.lat?,
            lon: self.lon?,
        })
    }
}

/// `d`, or `fallback` when a date computation ran off the calendar.
pub fn minsk_day_or_date(d: Option<NaiveDate>, fallback: NaiveDate) -> NaiveDate {
    d.unwrap_or(fallback)
}

/// A UTC instant shown with the Europe/Minsk offset.
pub fn minsk_time(t: NaiveDateTime) -> DateTime<FixedOffset> {
    Utc.from_utc_datetime(&t)
        .with_timezone(&Minsk)
        .fixed_offset()
}

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
            .filter(event_tags::event_id.eq_any(ids))
            .select((event_tags::event_id, event_tags::tag))
            .order((event_tags::event_id, event_tags::tag))
            .load(conn)?;
        for (id, tag) in tag_rows {
            tags.entry(id).or_default().push(tag);
        }
        let groups: Vec<i64> = rows.iter().map(|r| r.group_id).collect();
        // By group only (an index lookup); visibility is checked here.
        sibling_rows = events::table
            .filter(events::group_id.eq_any(groups))
            .select((
                (events::group_id, events::id, events::locale, events::slug),
                events::status,
                events::published_at,
            ))
            .load::<((i64, i64, String, String), String, Option<NaiveDateTime>)>(conn)?
            .into_iter()
            .filter(|(_, s, p)| Visibility::Public.allows(s, *p, now))
            .map(|(r, _, _)| r)
            .collect();
    }
    Ok(EventCtx {
        regions,
        tags,
        siblings: sibling_rows,
        distances: HashMap::new(),
    })
}

/// Validated filters of the event list, calendar and feed.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Public for the calendar and the iCalendar feed; editors may preview lists.
    pub vis: Visibility,
    pub locale: String,
    pub now: NaiveDateTime,
    /// Start of the first day of `from` (UTC).
    pub from: Option<NaiveDateTime>,
    /// Start of the day after `to` (UTC, exclusive).
    pub to: Option<NaiveDateTime>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub tag: Option<String>,
    pub q: Option<String>,
    pub updated_since: Option<NaiveDateTime>,
    /// `bbox` and `near` with its radius.
    pub area: Area,
}

impl EventFilter {
    fn cache_key(&self) -> String {
        format!(
            "events|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.vis,
            self.locale,
            self.from,
            self.to,
            self.category,
            self.region,
            self.tag,
            self.q,
            self.updated_since,
            self.area.cache_key(),
        )
    }
}

/// Visible events matching the filters: those overlapping `[from, to)`, or,
/// with neither, the upcoming and ongoing ones.
pub fn filtered(
    conn: &AnyConnection,
    f: &EventFilter,
) -> events::BoxedQuery<'static, MultiBackend> {
    let mut q = crate::filter_visibility!(events::table.into_boxed(), events, f.vis, f.now)
        .filter(events::locale.eq(f.locale.clone()));
    match (f.from, f.to) {
        (None, None) => q = q.filter(events::ends_at.gt(f.now)),
        (from, to) => {
            if let Some(a) = from {
                // Overlaps: ends after the range starts (an instant event at the start counts).
                q = q.filter(events::ends_at.gt(a).or(events::starts_at.ge(a)));
            }
            if let Some(b) = to {
                q = q.filter(events::starts_at.lt(b));
            }
        }
    }
    if let Some(c) = &f.category {
        q = q.filter(events::category.eq(c.clone()));
    }
    if let Some(r) = &f.region {
        q = q.filter(events::region.eq(r.clone()));
    }
    if let Some(t) = &f.tag {
        q = q.filter(
            events::id.eq_any(
                event_tags::table
                    .filter(event_tags::tag.eq(t.clone()))
                    .select(event_tags::event_id),
            ),
        );
    }
    if let Some(text) = &f.q {
        q = match SearchQuery::parse(text, &f.locale) {
            Some(sq) => q.filter(text_match(conn, "events.id", &["event"], &sq)),
            None => q.filter(events::id.eq(-1)),
        };
    }
    if let Some(t) = f.updated_since {
        q = q.filter(events::updated_at.ge(t));
    }
    geo::in_box(q, &f.area, events::lat, events::lon)
}

fn micros(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp_micros()
}

/// One page of events (a radius search pages in memory, like places).
pub fn list_events_page(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &EventFilter,
    params: &ListParams,
) -> AppResult<(Page<EventRow>, HashMap<i64, f64>)> {
    if let Some(near) = f.area.near {
        type GeoRow = (i64, Option<f64>, Option<f64>, String, NaiveDateTime);
        let rows: Vec<GeoRow> = filtered(conn, f)
            .select((
                events::id,
                events::lat,
                events::lon,
                events::title,
                events::starts_at,
            ))
            .load(conn)?;
        let cands = rows
            .into_iter()
            .map(|(id, lat, lon, title, starts_at)| Candidate {
                id,
                lat,
                lon,
                text: title,
                num: micros(starts_at),
            });
        return geo::radius_page(
            cands,
            near,
            params,
            |ids| {
                Ok(events::table
                    .filter(events::id.eq_any(ids))
                    .select(EventRow::as_select())
                    .load(conn)?)
            },
            |r| r.id,
        );
    }
    let total = caches
        .counts
        .get_or_compute(&f.cache_key(), || -> AppResult<i64> {
            Ok(filtered(conn, f).count().get_result(conn)?)
        })?;
    let q = filtered(conn, f).select(EventRow::as_select());
    let page = match params.sort.field {
        "title" => keyset::page(
            conn,
            q,
            events::title,
            events::id,
            params,
            total,
            |r: &EventRow| (r.title.clone(), r.id),
        )?,
        _ => keyset::page(
            conn,
            q,
            events::starts_at,
            events::id,
            params,
            total,
            |r: &EventRow| (r.starts_at, r.id),
        )?,
    };
    Ok((page, HashMap::new()))
}

/// The filter parameters shared by the list, the calendar and the iCalendar feed.
#[derive(Debug, Default, Clone, Copy)]
pub struct RawEventFilter<'a> {
    pub from: Option<&'a str>,
    pub to: Option<&'a str>,
    pub category: Option<&'a str>,
    pub region: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub q: Option<&'a str>,
    pub updated_since: Option<&'a str>,
    pub near: Option<&'a str>,
    pub radius_km: Option<&'a str>,
    pub bbox: Option<&'a str>,
}

/// Validates the shared filters.
pub fn event_filter(raw: RawEventFilter<'_>, locale: &str) -> AppResult<EventFilter> {
    let (from, to) = day_range(raw.from, raw.to)?;
    let mut geo = PlaceFilter::default();
    // Region, tag, q and updated_since are checked by the list parameters' rules.
    let list = ListParams::parse(
        RawList {
            q: raw.q,
            updated_since: raw.updated_since,
            ..Default::default()
        },
        &["starts_at"],
        "starts_at",
    )?;
    apply_common(
        &mut geo,
        &RawPlaceFilter {
            region: raw.region,
            tag: raw.tag,
            near: raw.near,
            radius_km: raw.radius_km,
            bbox: raw.bbox,
        },
        &list,
    )?;
    let tag = geo
        .terms
        .iter()
        .find(|(t, _)| *t == "tag")
        .map(|(_, v)| v.clone());
    Ok(EventFilter {
        vis: Visibility::Public,
        locale: locale.to_string(),
        now: NaiveDateTime::default(),
        from,
        to,
        category: raw
            .category
            .map(|c| EventCategory::parse_param("category", c).map(str::to_string))
            .transpose()?,
        region: geo.region.clone(),
        tag,
        q: list.q,
        updated_since: list.updated_since,
        area: geo.area,
    })
}

/// The event list's own filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventFilters {
    /// First day, inclusive (`YYYY-MM-DD`, Europe/Minsk): events overlapping the range are listed.
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day, inclusive (`YYYY-MM-DD`, Europe/Minsk). Without `from` and `to`: upcoming and ongoing events.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    #[param(value_type = Option<EventCategory>)]
    pub category: Option<String>,
    #[param(value_type = Option<RegionSlug>)]
    pub region: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// `lat,lon`: keeps events within `radius_km`, adds `distance_km`, sorts by distance unless `sort` is given.
    pub near: Option<String>,
    /// Radius around `near` in km (default 25, at most 500).
    #[param(value_type = Option<f64>, minimum = 0, maximum = 500)]
    pub radius_km: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`.
    pub bbox: Option<String>,
}

impl ListFilters for EventFilters {
    const SORTS: &'static [&'static str] = &["starts_at", "title"];
    const DEFAULT_SORT: &'static str = "starts_at";
    const SORT_DOC: Option<&'static str> = Some(
        "`starts_at` (default) or `title`, and `distance` with `near` (then the default); `-` for descending.",
    );
    const Q_DOC: Option<&'static str> = Some("Text to find in the title or summary.");
    const UPDATED_SINCE_DOC: Option<&'static str> =
        Some("Only events changed at or after this instant (RFC 3339).");
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview events the public cannot see yet. The event's own `status` (scheduled, cancelled, postponed) is not a filter.",
    );

    fn near(&self) -> bool {
        self.near.is_some()
    }
}

impl ListQuery<EventFilters> {
    fn raw_filter(&self) -> RawEventFilter<'_> {
        let f = &self.filters;
        RawEventFilter {
            from: f.from.as_deref(),
            to: f.to.as_deref(),
            category: f.category.as_deref(),
            region: f.region.as_deref(),
            tag: f.tag.as_deref(),
            q: self.common.q.as_deref(),
            updated_since: self.common.updated_since.as_deref(),
            near: f.near.as_deref(),
            radius_km: f.radius_km.as_deref(),
            bbox: f.bbox.as_deref(),
        }
    }
}

#[utoipa::path(
    tag = "events",
    params(ListQuery<EventFilters>),
    responses(
        (status = 200, description = "Events: overlapping the day range, or upcoming and ongoing; earliest first", body = ListBody<Event>),
        (status = 400, description = "Unknown or malformed parameter (also `to` before `from`)"),
    )
)]
#[get("/events")]
pub async fn list_events(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<EventFilters>,
) -> AppResult<HttpResponse> {
    let locale = negotiate(&req, query.common.lang.as_deref(), &state.config)?;
    let mut f = event_filter(query.raw_filter(), &locale)?;
    f.vis = crate::http::auth::visibility(&req, query.common.status.as_deref()).await?;
    let params = query.params()?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let p = params.clone();
    let page = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let (page, distances) = list_events_page(conn, &caches, &f, &p)?;
        let mut ctx = context(conn, &caches, &page.items, &f.locale, &fallback, f.now)?;
        ctx.distances = distances;
        Ok(page.map(|r| ctx.event(&r)))
    })
    .await?;
    Ok(response::list(&req, &locale, &params, page))
}

/// An event `vis` may see, by id or by slug in `locale`.
pub fn find_event(
    conn: &mut AnyConnection,
    item: &ItemRef,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
) -> AppResult<EventRow> {
    let q = crate::filter_visibility!(events::table.into_boxed::<MultiBackend>(), events, vis, now);
    let q = match item {
        ItemRef::Id(id) => q.filter(events::id.eq(*id)),
        ItemRef::Slug(slug) => q
            .filter(events::locale.eq(locale.to_string()))
            .filter(events::slug.eq(slug.clone())),
    };
    let row: Option<EventRow> = q.select(EventRow::as_select()).first(conn).optional()?;
    row.ok_or_else(|| AppError::not_found("no such event"))
}

#[utoipa::path(
    tag = "events",
    params(("id" = String, Path, description = "Id, or slug in the requested locale"), ContentItemQuery),
    responses(
        (status = 200, description = "One event; with `Accept: application/ld+json`, its schema.org `Event` (start and end with the Minsk offset, eventStatus, location Place with address and geo, organizer, offers, isAccessibleForFree)",
            content((Event = "application/json"), (JsonLd = "application/ld+json")),
            headers(("ETag" = String, description = "Strong validator of this representation"))),
        (status = 304, description = "Not modified (If-None-Match)"),
        (status = 404, description = "No such event"),
    )
)]
#[get("/events/{id}")]
pub async fn get_event(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    let locale = negotiate(&req, query.lang.as_deref(), &state.config)?;
    let vis = crate::http::auth::visibility(&req, query.status.as_deref()).await?;
    let item = ItemRef::parse(&path)?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let loc = locale.clone();
    let event = db::run(&state.pool, move |conn| {
        let now = db::now();
        let row = find_event(conn, &item, &loc, now, vis)?;
        let ctx = context(
            conn,
            &caches,
            std::slice::from_ref(&row),
            &row.locale,
            &fallback,
            now,
        )?;
        Ok(ctx.event(&row))
    })
    .await?;
    if jsonld::wanted(&req) {
        let v = serde_json::to_value(&event)
            .map_err(|e| crate::error::AppError::Internal(format!("event: {e}")))?;
        return Ok(jsonld::respond(
            &event.locale,
            jsonld::event(&v, &jsonld::base_url(&req)),
        ));
    }
    Ok(response::json(Some(&event.locale.clone()), &event))
}
