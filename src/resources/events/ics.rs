//! `/v1/events.ics`: the events of the list's filters as an RFC 5545 calendar,
//! built with the icalendar crate (CRLF, folding at 75 octets, escaping).

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use icalendar::{Calendar, CalendarDateTime, Component, DatePerhapsTime, EventLike};
use serde::Deserialize;
use utoipa::IntoParams;

use super::{
    event_filter, filtered, minsk_day_or_date, EventForm, EventRow, RawEventFilter, TIMEZONE,
};
use crate::db;
use crate::db::geo;
use crate::db::schema::events;
use crate::error::AppResult;
use crate::http::locale::negotiate;
use crate::http::response;
use crate::resources::vocab::{EventCategory, RegionSlug};
use crate::AppState;

/// At most this many events go into one feed.
pub const MAX_EVENTS: i64 = 1000;

/// Europe/Minsk has kept UTC+3 all year since 2011.
const VTIMEZONE: &str = "BEGIN:VTIMEZONE\r\nTZID:Europe/Minsk\r\nBEGIN:STANDARD\r\nDTSTART:20110327T020000\r\nTZOFFSETFROM:+0300\r\nTZOFFSETTO:+0300\r\nTZNAME:+03\r\nEND:STANDARD\r\nEND:VTIMEZONE\r\n";

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventIcsQuery {
    /// First day, inclusive (`YYYY-MM-DD`, Europe/Minsk).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// Last day, inclusive. Without `from` and `to`: upcoming and ongoing events.
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    #[param(value_type = Option<EventCategory>)]
    pub category: Option<String>,
    #[param(value_type = Option<RegionSlug>)]
    pub region: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// Text to find in the title or summary.
    pub q: Option<String>,
    /// Only events changed at or after this instant (RFC 3339).
    #[param(value_type = Option<DateTime<Utc>>)]
    pub updated_since: Option<String>,
    /// `lat,lon`: only events within `radius_km`.
    pub near: Option<String>,
    /// Radius around `near` in km (default 25, at most 500).
    #[param(value_type = Option<f64>, minimum = 0, maximum = 500)]
    pub radius_km: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat`.
    pub bbox: Option<String>,
    /// Locale of the events (`be`, `ru`, `en`).
    pub lang: Option<String>,
}

fn location_text(r: &EventRow) -> Option<String> {
    let parts: Vec<&str> = [&r.venue_name, &r.venue_address, &r.venue_locality]
        .into_iter()
        .filter_map(|p| p.as_deref())
        .filter(|p| !p.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(", "))
}

/// The calendar text for these events.
pub fn calendar_text(rows: &[EventRow], base: &str) -> String {
    let mut cal = Calendar::new();
    cal.name("belportal: Belarus Events Calendar")
        .timezone(TIMEZONE);
    for r in rows {
        let mut e = icalendar::Event::new();
        e.uid(&format!("event-{}-{}@belportal", r.group_id, r.locale))
            .timestamp(r.updated_at.and_utc())
            .summary(&r.title)
            .description(&r.summary)
            .add_property("CATEGORIES", r.category.to_uppercase())
            .url(
                r.website
                    .as_deref()
                    .unwrap_or(&format!("{base}/v1/events/{}", r.id)),
            )
            .status(match r.event_status.as_str() {
                "cancelled" => icalendar::EventStatus::Cancelled,
                // RFC 5545 has no "postponed"; TENTATIVE is the nearest.
                "postponed" => icalendar::EventStatus::Tentative,
                _ => icalendar::EventStatus::Confirmed,
            });
        if r.all_day {
            let (first, last) = EventForm::span_days(r.starts_at, r.ends_at);
            e.starts(DatePerhapsTime::Date(first));
            e.ends(DatePerhapsTime::Date(minsk_day_or_date(
                last.succ_opt(),
                last,
            )));
        } else {
            let local = |t| CalendarDateTime::WithTimezone {
                date_time: super::minsk_time(t).naive_local(),
                tzid: TIMEZONE.to_string(),
            };
            e.starts(DatePerhapsTime::DateTime(local(r.starts_at)));
            e.ends(DatePerhapsTime::DateTime(local(r.ends_at)));
        }
        if let Some(loc) = location_text(r) {
            e.location(&loc);
        }
        if let Some(p) = r.point() {
            e.add_property("GEO", format!("{:.6};{:.6}", p.lat, p.lon));
        }
        cal.push(e.done());
    }
    let text = cal.done().to_string();
    // The icalendar crate writes no VTIMEZONE; calendar apps want one for TZID.
    match text.find("BEGIN:VEVENT") {
        Some(i) => format!("{}{VTIMEZONE}{}", &text[..i], &text[i..]),
        None => text.replacen("END:VCALENDAR", &format!("{VTIMEZONE}END:VCALENDAR"), 1),
    }
}

/// Events as iCalendar
///
/// An RFC 5545 calendar of up to 1000 published events, earliest first, with the
/// same filters as `GET /v1/events` (day range, category, region, tag, text and
/// geo): subscribe to it from a calendar application. Public and cacheable.
#[utoipa::path(
    tag = "events",
    params(EventIcsQuery),
    responses(
        (status = 200, description = "RFC 5545 calendar (up to 1000 events, earliest first)", content_type = "text/calendar", body = String),
    )
)]
#[get("/events.ics")]
pub async fn events_ics(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<EventIcsQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let locale = negotiate(&req, q.lang.as_deref(), &state.config)?;
    let mut f = event_filter(
        RawEventFilter {
            from: q.from.as_deref(),
            to: q.to.as_deref(),
            category: q.category.as_deref(),
            region: q.region.as_deref(),
            tag: q.tag.as_deref(),
            q: q.q.as_deref(),
            updated_since: q.updated_since.as_deref(),
            near: q.near.as_deref(),
            radius_km: q.radius_km.as_deref(),
            bbox: q.bbox.as_deref(),
        },
        &locale,
    )?;
    let rows = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let rows: Vec<EventRow> = filtered(conn, &f)
            .select(EventRow::as_select())
            .order((events::starts_at.asc(), events::id.asc()))
            .limit(MAX_EVENTS)
            .load(conn)?;
        Ok(rows
            .into_iter()
            .filter(|r| geo::within_radius(&f.area, r.point()))
            .collect::<Vec<_>>())
    })
    .await?;
    let base = crate::http::public_url(&req);
    Ok(response::typed(
        "text/calendar; charset=utf-8",
        &locale,
        calendar_text(&rows, &base),
    ))
}
