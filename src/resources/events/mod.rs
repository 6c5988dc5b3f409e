//! The Belarus Events Calendar: events with Minsk-time presentation, day-range
//! overlap filters, geo filters, the month calendar and an iCalendar feed.

mod api;
pub mod calendar;
pub mod ics;
mod model;
mod queries;
pub mod write;

pub use api::*;
pub use model::*;
pub use queries::*;

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::vocab::{EventCategory, RegionSlug};
use crate::db;
use crate::error::AppResult;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::params::ContentItemQuery;
use crate::http::response::{self, ListBody};
use crate::resource::ResourceType;
use crate::resources::item::item;
use crate::resources::jsonld;
use crate::AppState;

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
    const INCLUDE: &'static [&'static str] = &["translations"];
    const FALLBACK: bool = true;
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

/// List events
///
/// Events of the Belarus Events Calendar in the requested locale, earliest first
/// (`starts_at`, the default; or `title`): those overlapping the Minsk day range
/// `from`/`to`, or without a range the upcoming and ongoing ones. Filter by
/// `category`, `region`, `tag`, `near`/`radius_km` or `bbox` (the venue's
/// location), `updated_since`, and search with `q`.
///
/// Pages hold `limit` items (default 20, at most 100): follow `links.next` (or the
/// `Link` header, or `meta.next_cursor` as `cursor`), or ask for a numbered
/// `page`. Items leave out `translations` unless `include` asks for it; `fields`
/// keeps only the fields named.
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews unpublished events.
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
    let locales = query.locales(&req, &state.config)?;
    let mut f = event_filter(query.raw_filter(), locales.first())?;
    f.fallback = locales.fallback();
    f.vis = crate::http::auth::visibility(&req, query.common.status.as_deref()).await?;
    let params = query.params()?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let p = params.clone();
    let (page, present) = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let (page, distances) = list_events_page(conn, &caches, &f, &p)?;
        let mut ctx = context(conn, &caches, &page.items, &f.locale, &fallback, f.now)?;
        ctx.distances = distances;
        let present: Vec<String> = page.items.iter().map(|r| r.locale.clone()).collect();
        Ok((page.map(|r| ctx.event(&r)), present))
    })
    .await?;
    let language = locales.content_language(&present);
    Ok(response::list(&req, &language, &params, page))
}

/// Get an event
///
/// One published event by numeric id or by its slug in the requested locale, with
/// its venue, dates (`starts_at`/`ends_at` with the Minsk offset, and the Minsk
/// `start_date`/`end_date`), status, price and `translations`; `fields` keeps only
/// the fields named. With `Accept: application/ld+json` the answer is its
/// schema.org `Event` (start and end, eventStatus, location with address and geo,
/// organizer, offers, isAccessibleForFree), for search engines (schema `JsonLd`).
///
/// Public and cacheable (`ETag`, 304 with `If-None-Match`). With an editor key,
/// `status` previews an event the public cannot see yet.
#[utoipa::path(
    tag = "events",
    params(("id" = String, Path, description = "Id, or slug in the requested locale"), ContentItemQuery),
    responses(
        (status = 200, description = "The event", body = Event,
            headers(("ETag" = String, description = "`\"<own>-<body>\"`: If-Match compares the own part (the item's own fields), If-None-Match the whole"))),
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
    item(
        &req,
        &state,
        ResourceType::Event,
        &path,
        &query,
        jsonld::event,
        |conn, l| {
            let row = find_event(conn, &l.item, &l.locale, l.now, l.vis)?;
            let own = crate::editorial::own_version::<write::Events>(conn, row.id.into())?;
            let rows = std::slice::from_ref(&row);
            let ctx = context(conn, &l.caches, rows, &row.locale, &l.fallback, l.now)?;
            let event = ctx.event(&row);
            Ok((event, row.locale.clone(), own))
        },
    )
    .await
}
