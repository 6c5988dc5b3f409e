//! Demo events from `events.json` (written for this project). Each recurs every
//! year and is placed on its next occurrence relative to the load day, so the
//! coming twelve months always hold events.

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime, TimeZone, Utc};
use chrono_tz::Europe::Minsk;
use diesel::prelude::*;
use serde::Deserialize;

use crate::db::schema::{event_tags, events};
use crate::db::{self, AnyConnection};
use crate::domain::time::{minsk_day, minsk_day_start};
use crate::domain::Image;
use crate::error::{AppError, AppResult};
use crate::resources::regions::Location;

#[derive(Debug, Deserialize)]
struct VenueSeed {
    name: Option<String>,
    address: Option<String>,
    locality: Option<String>,
    region: Option<String>,
    location: Option<Location>,
}

#[derive(Debug, Deserialize)]
struct Seed {
    slug: String,
    title: String,
    summary: String,
    description_html: String,
    category: String,
    month: u32,
    day: u32,
    days: i64,
    all_day: bool,
    start_time: Option<String>,
    end_time: Option<String>,
    venue: VenueSeed,
    organizer: Option<String>,
    website: Option<String>,
    price: Option<String>,
    is_free: bool,
    status: String,
    image: Option<Image>,
    tags: Vec<String>,
}

use crate::resources::events::EventForm;

fn bad(e: impl std::fmt::Display) -> AppError {
    AppError::Internal(format!("demo events: {e}"))
}

/// A Minsk wall-clock time as a UTC instant.
pub fn minsk_local(d: NaiveDate, t: NaiveTime) -> NaiveDateTime {
    match Minsk.from_local_datetime(&d.and_time(t)).earliest() {
        Some(x) => x.with_timezone(&Utc).naive_utc(),
        None => d.and_time(t) - Duration::hours(3),
    }
}

/// The next occurrence (start and last day) of an annual date that has not
/// ended before `today`.
pub fn next_occurrence(
    month: u32,
    day: u32,
    days: i64,
    today: NaiveDate,
) -> Option<(NaiveDate, NaiveDate)> {
    use chrono::Datelike;
    for year in [today.year(), today.year() + 1] {
        let start = NaiveDate::from_ymd_opt(year, month, day)?;
        let last = start + Duration::days(days.max(1) - 1);
        if last >= today {
            return Some((start, last));
        }
    }
    None
}

/// Loads the demo events when the database holds none, relative to `now`.
pub fn load_demo_events(conn: &mut AnyConnection, now: NaiveDateTime) -> AppResult<usize> {
    let seeds: Vec<Seed> = serde_json::from_str(include_str!("events.json")).map_err(bad)?;
    let today = minsk_day(now);
    conn.transaction(|conn| {
        let have: i64 = events::table.count().get_result(conn)?;
        if have > 0 {
            return Ok(0);
        }
        let stamp = db::now();
        for s in &seeds {
            let (first, last) =
                next_occurrence(s.month, s.day, s.days, today).ok_or_else(|| bad(&s.slug))?;
            let time = |v: &Option<String>| {
                v.as_deref()
                    .and_then(|t| NaiveTime::parse_from_str(t, "%H:%M").ok())
            };
            let (starts_at, ends_at) = match (s.all_day, time(&s.start_time), time(&s.end_time)) {
                (false, Some(a), Some(b)) => {
                    let start = minsk_local(first, a);
                    let end = minsk_local(last, b);
                    // A one-night event ending after midnight ends on the next day.
                    let end = if end <= start {
                        end + Duration::days(1)
                    } else {
                        end
                    };
                    (start, end)
                }
                _ => (
                    minsk_day_start(first),
                    minsk_day_start(last.succ_opt().unwrap_or(last)),
                ),
            };
            let new = EventForm {
                group_id: 0,
                locale: "en".into(),
                slug: s.slug.clone(),
                title: s.title.clone(),
                summary: s.summary.clone(),
                description_html: crate::editorial::sanitize_html(&s.description_html),
                category: s.category.clone(),
                starts_at,
                ends_at,
                all_day: s.all_day || s.start_time.is_none(),
                timezone: "Europe/Minsk".into(),
                venue_name: s.venue.name.clone(),
                venue_address: s.venue.address.clone(),
                venue_locality: s.venue.locality.clone(),
                region: s.venue.region.clone(),
                lat: s.venue.location.map(|l| l.lat),
                lon: s.venue.location.map(|l| l.lon),
                organizer: s.organizer.clone(),
                website: s.website.clone(),
                price: s.price.clone(),
                is_free: s.is_free,
                event_status: s.status.clone(),
                image: s
                    .image
                    .as_ref()
                    .map(|i| serde_json::to_string(i).map_err(bad))
                    .transpose()?,
                status: "published".into(),
                published_at: Some(stamp),
                created_at: stamp,
                updated_at: stamp,
            };
            let id: i64 = diesel::insert_into(events::table)
                .values(&new)
                .returning(events::id)
                .get_result(conn)?;
            for t in &s.tags {
                diesel::insert_into(event_tags::table)
                    .values((event_tags::event_id.eq(id), event_tags::tag.eq(t)))
                    .execute(conn)?;
            }
        }
        diesel::update(events::table.filter(events::group_id.eq(0i64)))
            .set(events::group_id.eq(events::id))
            .execute(conn)?;
        Ok(seeds.len())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn annual_events_move_to_next_year_once_over() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(
            next_occurrence(7, 3, 1, d(2026, 11, 27)),
            Some((d(2027, 7, 3), d(2027, 7, 3)))
        );
        assert_eq!(
            next_occurrence(12, 31, 2, d(2026, 11, 27)),
            Some((d(2026, 12, 31), d(2027, 1, 1)))
        );
        // Ongoing: started yesterday, ends tomorrow.
        assert_eq!(
            next_occurrence(11, 26, 3, d(2026, 11, 27)),
            Some((d(2026, 11, 26), d(2026, 11, 28)))
        );
    }
}
