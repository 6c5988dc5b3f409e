//! Event fields that take more than one check: the start and end instants and the venue.

use chrono::{DateTime, FixedOffset, NaiveDateTime};

use super::super::EventForm;
use super::{VenueLocationWrite, VenueWrite};
use crate::db::truncate_micros;
use crate::domain::time::minsk_day_start;
use crate::editorial::FieldErrors;
use crate::resources::vocab::RegionSlug;

/// The stored start and end (UTC): `ends_at` defaults to `starts_at` and may not
/// precede it; all-day events are widened to whole Minsk days.
pub(super) fn event_times(
    e: &mut FieldErrors,
    starts_at: Option<DateTime<FixedOffset>>,
    ends_at: Option<DateTime<FixedOffset>>,
    all_day: bool,
) -> (NaiveDateTime, NaiveDateTime) {
    let Some(start) = starts_at.map(|t| truncate_micros(t.naive_utc())) else {
        e.add("starts_at", "is required");
        return Default::default();
    };
    let end = ends_at.map_or(start, |t| truncate_micros(t.naive_utc()));
    if end < start {
        e.add("ends_at", "must not be before `starts_at`");
        return (start, start);
    }
    if !all_day {
        return (start, end);
    }
    let (first, last) = EventForm::span_days(start, end);
    (
        minsk_day_start(first),
        minsk_day_start(last.succ_opt().unwrap_or(last)),
    )
}

/// The venue columns: name, address, locality, region, lat, lon.
pub(super) type VenueColumns = (
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<f64>,
    Option<f64>,
);

pub(super) fn venue_columns(e: &mut FieldErrors, v: Option<VenueWrite>) -> VenueColumns {
    let v = v.unwrap_or_default();
    let name = e.opt_text("venue.name", &v.name, 300);
    let address = e.opt_text("venue.address", &v.address, 500);
    let locality = e.opt_text("venue.locality", &v.locality, 200);
    let (lat, lon) = match v.location {
        None => (None, None),
        Some(l) => {
            if !(-90.0..=90.0).contains(&l.lat) {
                e.add("venue.location.lat", "must be from -90 to 90");
            }
            if !(-180.0..=180.0).contains(&l.lon) {
                e.add("venue.location.lon", "must be from -180 to 180");
            }
            (Some(l.lat), Some(l.lon))
        }
    };
    let region = v.region.map(|r| r.as_str().to_string());
    (name, address, locality, region, lat, lon)
}

/// The stored venue as a write sends it; None when it has no field.
pub(super) fn venue_write(r: &EventForm) -> Option<VenueWrite> {
    let v = VenueWrite {
        name: r.venue_name.clone(),
        address: r.venue_address.clone(),
        locality: r.venue_locality.clone(),
        region: r.region.as_deref().and_then(RegionSlug::from_wire),
        location: r.point().map(|p| VenueLocationWrite {
            lat: p.lat,
            lon: p.lon,
        }),
    };
    let empty = v.name.is_none()
        && v.address.is_none()
        && v.locality.is_none()
        && v.region.is_none()
        && v.location.is_none();
    (!empty).then_some(v)
}

#[cfg(test)]
mod tests {
    use super::super::super::minsk_time;
    use super::*;

    fn at(s: &str) -> Option<DateTime<FixedOffset>> {
        DateTime::parse_from_rfc3339(s).ok()
    }

    #[test]
    fn all_day_events_cover_whole_minsk_days() {
        let mut e = FieldErrors::default();
        let (s, t) = event_times(
            &mut e,
            at("2035-04-05T15:00:00+03:00"),
            at("2035-04-06T10:00:00+03:00"),
            true,
        );
        assert!(e.0.is_empty());
        assert_eq!(s.to_string(), "2035-04-04 21:00:00");
        assert_eq!(t.to_string(), "2035-04-06 21:00:00");
        // Stored values read back the same (a merge patch keeps them).
        let (s2, t2) = event_times(&mut e, Some(minsk_time(s)), Some(minsk_time(t)), true);
        assert_eq!((s2, t2), (s, t));
        // Without an end: one day.
        let (_, t) = event_times(&mut e, at("2035-04-05T00:00:00+03:00"), None, true);
        assert_eq!(t.to_string(), "2035-04-05 21:00:00");
    }

    #[test]
    fn an_end_before_the_start_is_named() {
        let mut e = FieldErrors::default();
        event_times(
            &mut e,
            at("2035-04-05T15:00:00+03:00"),
            at("2035-04-05T14:00:00+03:00"),
            false,
        );
        assert_eq!(e.0.len(), 1);
        assert_eq!(e.0[0].field, "ends_at");
    }
}
