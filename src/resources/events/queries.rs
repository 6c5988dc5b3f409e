//! Event queries: the filters shared by the list, calendar and feed; one page
//! (keyset, or a radius search); an item.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::model::*;
use crate::cache::Caches;
use crate::db::fallback::BestLocale;
use crate::db::geo::{self, Area};
use crate::db::schema::{event_tags, events};
use crate::db::search::{self, SearchQuery};
use crate::db::text_filter::text_match;
use crate::db::{keyset, AnyConnection, MultiBackend};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::http::list::CommonParams;
use crate::http::params::{day_range, ItemRef, ListParams};
use crate::http::response::Page;
use crate::resource::{EventId, ResourceType};
use crate::resources::places::{apply_common, PlaceFilter, RawPlaceFilter};
use crate::resources::vocab::EventCategory;

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
    /// Locale fallback: the preferred locales in order (empty: `locale` only).
    pub fallback: Vec<String>,
}

impl EventFilter {
    fn cache_key(&self) -> String {
        format!(
            "events|{:?}|{:?}|{}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}|{:?}",
            self.fallback,
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
    let q = crate::filter_visibility!(events::table.into_boxed(), events, f.vis, f.now);
    let mut q = if f.fallback.is_empty() {
        q.filter(events::locale.eq(f.locale.clone()))
    } else {
        let best = BestLocale::new("events", None, &f.fallback, f.vis, f.now);
        q.filter(events::locale.eq_any(f.fallback.clone()))
            .filter(best)
    };
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
            Some(sq) => q.filter(text_match(conn, "events.id", &[ResourceType::Event], &sq)),
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
    search::list_forgiving(
        conn,
        f,
        |conn, f| list_events_as_typed(conn, caches, f, params),
        |r| r.title.as_str(),
    )
}

impl search::TextFilter for EventFilter {
    fn text(&self) -> search::ListText<'_> {
        search::ListText {
            q: self.q.as_deref(),
            locale: &self.locale,
            resources: vec![ResourceType::Event],
        }
    }
    fn q_mut(&mut self) -> &mut Option<String> {
        &mut self.q
    }
}

fn list_events_as_typed(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &EventFilter,
    params: &ListParams,
) -> AppResult<(Page<EventRow>, HashMap<i64, f64>)> {
    if let Some(near) = f.area.near {
        return crate::radius_page_of!(
            conn,
            filtered(conn, f),
            near,
            params,
            events,
            EventRow,
            text = title,
            num = starts_at: NaiveDateTime => micros
        );
    }
    let total = caches
        .counts
        .get_or_compute(&f.cache_key(), || -> AppResult<i64> {
            Ok(filtered(conn, f).count().get_result(conn)?)
        })?;
    let q = filtered(conn, f).select(EventRow::as_select());
    let title = keyset::key(events::title, events::id, |r: &EventRow| {
        (r.title.clone(), r.id)
    });
    let starts_at = keyset::key(events::starts_at, events::id, |r: &EventRow| {
        (r.starts_at, r.id)
    });
    let page = keyset::page_by(
        conn,
        q,
        params,
        total,
        &[("title", &title), ("starts_at", &starts_at)],
    )?;
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
        &CommonParams {
            q: raw.q.map(str::to_string),
            updated_since: raw.updated_since.map(str::to_string),
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
        fallback: Vec::new(),
    })
}

/// An event `vis` may see, by id or by slug in `locale`.
pub fn find_event(
    conn: &mut AnyConnection,
    item: &ItemRef<EventId>,
    locale: &str,
    now: NaiveDateTime,
    vis: Visibility,
) -> AppResult<EventRow> {
    let q = crate::filter_visibility!(events::table.into_boxed::<MultiBackend>(), events, vis, now);
    let q = match item {
        ItemRef::Id(id) => q.filter(events::id.eq(id.get())),
        ItemRef::Slug(slug) => q
            .filter(events::locale.eq(locale.to_string()))
            .filter(events::slug.eq(slug.clone())),
    };
    let row: Option<EventRow> = q.select(EventRow::as_select()).first(conn).optional()?;
    row.ok_or_else(|| AppError::not_found("no such event"))
}
