//! The event rows as diesel reads them, and their Minsk days.

use chrono::{DateTime, Duration, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Minsk;
use diesel::prelude::*;

use crate::db::schema::events;
use crate::domain::time::minsk_day;
use crate::geo::Point;

pub const TIMEZONE: &str = "Europe/Minsk";

/// An event's row as a write (and the demo loader) stores it; an UPDATE
/// keeps `created_at` and `timezone`.
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = events, treat_none_as_null = true)]
pub struct EventForm {
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
    #[diesel(skip_update)]
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
    #[diesel(skip_update)]
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
/// A stored event: its id and the columns a write stores.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = events)]
pub struct EventRow {
    pub id: i64,
    #[diesel(embed)]
    pub form: EventForm,
}

impl std::ops::Deref for EventRow {
    type Target = EventForm;
    fn deref(&self) -> &EventForm {
        &self.form
    }
}

impl EventForm {
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
