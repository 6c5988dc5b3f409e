//! The month calendar of events: every day of the month, a multi-day event on
//! each Minsk day it spans. One query over the events overlapping the month.

use std::collections::BTreeMap;

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{event_filter, filtered, EventForm, RawEventFilter, TIMEZONE};
use crate::db::schema::events;
use crate::db::{self, AnyConnection};
use crate::domain::time::minsk_day_start;
use crate::error::AppResult;
use crate::http::locale::negotiate;
use crate::http::params::parse_month;
use crate::http::response;
use crate::resources::articles::days_of_month;
use crate::resources::vocab::{EventCategory, RegionSlug};
use crate::AppState;

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct EventRef {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventDay {
    pub date: NaiveDate,
    pub count: i64,
    /// The events on this day, earliest start first.
    pub events: Vec<EventRef>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct EventCalendar {
    /// `YYYY-MM`.
    pub month: String,
    /// Always `Europe/Minsk`: days are Minsk days.
    pub timezone: String,
    /// Every day of the month, in order.
    pub days: Vec<EventDay>,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct EventCalendarQuery {
    /// The month, `YYYY-MM`.
    #[param(pattern = r"^\d{4}-\d{2}$", example = "2027-07")]
    pub month: Option<String>,
    #[param(value_type = Option<EventCategory>)]
    pub category: Option<String>,
    #[param(value_type = Option<RegionSlug>)]
    pub region: Option<String>,
    /// Response locale (`be`, `ru`, `en`).
    pub lang: Option<String>,
}

pub fn month_calendar(
    conn: &mut AnyConnection,
    f: &super::EventFilter,
    first: NaiveDate,
) -> AppResult<EventCalendar> {
    let days = days_of_month(first);
    let last = *days.last().unwrap_or(&first);
    let mut range = f.clone();
    range.from = Some(minsk_day_start(first));
    range.to = last.succ_opt().map(minsk_day_start);
    type Brief = (i64, String, String, NaiveDateTime, NaiveDateTime);
    let rows: Vec<Brief> = filtered(conn, &range)
        .select((
            events::id,
            events::slug,
            events::title,
            events::starts_at,
            events::ends_at,
        ))
        .order((events::starts_at.asc(), events::id.asc()))
        .load(conn)?;
    let mut by_day: BTreeMap<NaiveDate, Vec<EventRef>> = BTreeMap::new();
    for (id, slug, title, starts_at, ends_at) in rows {
        let span = EventForm::span_days(starts_at, ends_at);
        let (start, end) = (span.0.max(first), span.1.min(last));
        for day in start.iter_days().take_while(|d| *d <= end) {
            by_day.entry(day).or_default().push(EventRef {
                id,
                slug: slug.clone(),
                title: title.clone(),
            });
        }
    }
    Ok(EventCalendar {
        month: first.format("%Y-%m").to_string(),
        timezone: TIMEZONE.into(),
        days: days
            .into_iter()
            .map(|date| {
                let events = by_day.remove(&date).unwrap_or_default();
                EventDay {
                    date,
                    count: events.len() as i64,
                    events,
                }
            })
            .collect(),
    })
}

/// Events month calendar
///
/// The events of a `month` (`YYYY-MM`) grouped by Minsk day, for a month view:
/// a multi-day event appears on each of its days. Filter by `category` and
/// `region`. Public and cacheable.
#[utoipa::path(
    tag = "events",
    params(EventCalendarQuery),
    responses(
        (status = 200, description = "Events per Minsk day of the month (multi-day events on each day)", body = EventCalendar),
        (status = 400, description = "Missing or malformed month, or another bad parameter"),
    )
)]
#[get("/events/calendar")]
pub async fn event_calendar(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<EventCalendarQuery>,
) -> AppResult<HttpResponse> {
    let q = query.into_inner();
    let locale = negotiate(&req, q.lang.as_deref(), &state.config)?;
    let first = parse_month(q.month.as_deref())?;
    let mut f = event_filter(
        RawEventFilter {
            category: q.category.as_deref(),
            region: q.region.as_deref(),
            ..Default::default()
        },
        &locale,
    )?;
    let cal = db::run(&state.pool, move |conn| {
        f.now = db::now();
        month_calendar(conn, &f, first)
    })
    .await?;
    Ok(response::json(Some(&locale), &cal))
}
