//! Europe/Minsk calendar days and UTC instants: where a Minsk day starts in UTC,
//! which day an instant falls on, months of days. Time math only; parsing query
//! parameters (and their 400s) stays in `http::params`.

use chrono::{Datelike, NaiveDate, NaiveDateTime, TimeZone, Utc};
use chrono_tz::Europe::Minsk;

/// The UTC instant at which a Minsk calendar day starts.
pub fn minsk_day_start(d: NaiveDate) -> NaiveDateTime {
    let local = d.and_hms_opt(0, 0, 0).unwrap_or_default();
    match Minsk.from_local_datetime(&local).earliest() {
        Some(t) => t.with_timezone(&Utc).naive_utc(),
        // A day that starts inside a DST gap: fall back to the fixed offset.
        None => local - chrono::Duration::hours(3),
    }
}

/// The Minsk calendar day of a UTC instant.
pub fn minsk_day(t: NaiveDateTime) -> NaiveDate {
    Utc.from_utc_datetime(&t).with_timezone(&Minsk).date_naive()
}

/// A UTC instant shown as RFC 3339 with `Z`.
pub fn rfc3339_utc(t: NaiveDateTime) -> String {
    Utc.from_utc_datetime(&t)
        .to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
}

/// Minsk days `from..=to` (either end open) as a half-open UTC interval.
pub fn minsk_days_utc(
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> (Option<NaiveDateTime>, Option<NaiveDateTime>) {
    (
        from.map(minsk_day_start),
        to.and_then(|t| t.succ_opt()).map(minsk_day_start),
    )
}

/// The first day of a `YYYY-MM` month between 1900 and 2200.
pub fn month_start(v: &str) -> Option<NaiveDate> {
    let v = v.trim();
    let ok = v.len() == 7 && v.as_bytes()[4] == b'-';
    ok.then(|| NaiveDate::parse_from_str(&format!("{v}-01"), "%Y-%m-%d").ok())
        .flatten()
        .filter(|d| (1900..=2200).contains(&d.year()))
}

/// Every day of a month (first day given).
pub fn days_of_month(first: NaiveDate) -> Vec<NaiveDate> {
    first
        .iter_days()
        .take_while(|d| d.month() == first.month())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minsk_days_start_at_21_utc_the_day_before() {
        let d = NaiveDate::from_ymd_opt(2023, 5, 31).unwrap();
        assert_eq!(rfc3339_utc(minsk_day_start(d)), "2023-05-30T21:00:00Z");
        let late = NaiveDate::from_ymd_opt(2023, 5, 30)
            .unwrap()
            .and_hms_opt(21, 30, 0)
            .unwrap();
        assert_eq!(minsk_day(late), d);
    }

    #[test]
    fn months_are_yyyy_mm_between_1900_and_2200() {
        assert_eq!(month_start("2023-02"), NaiveDate::from_ymd_opt(2023, 2, 1));
        assert_eq!(month_start("2023-2"), None);
        assert_eq!(month_start("1899-12"), None);
        assert_eq!(
            days_of_month(NaiveDate::from_ymd_opt(2024, 2, 1).unwrap()).len(),
            29
        );
    }
}
