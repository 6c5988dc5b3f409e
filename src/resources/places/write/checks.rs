//! Checks of place fields: numbers in range, vocabulary terms, location, phone, email.

use crate::editorial::FieldErrors;
use crate::geo::Point;
use crate::resources::regions::Location;

/// An optional whole number in `range`.
pub fn int_in(
    e: &mut FieldErrors,
    field: &str,
    v: Option<i32>,
    range: std::ops::RangeInclusive<i32>,
) -> Option<i32> {
    if v.is_some_and(|n| !range.contains(&n)) {
        e.add(
            field,
            format!("must be from {} to {}", range.start(), range.end()),
        );
    }
    v
}

/// An optional non-negative finite number.
pub fn non_negative(e: &mut FieldErrors, field: &str, v: Option<f64>) -> Option<f64> {
    if v.is_some_and(|n| !n.is_finite() || n < 0.0) {
        e.add(field, "must not be negative");
    }
    v
}

/// A list of vocabulary values as stored terms: wire names, duplicates dropped, order kept.
pub fn vocab_terms<T: Copy>(v: &Option<Vec<T>>, wire: fn(T) -> &'static str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for s in v.iter().flatten().map(|t| wire(*t)) {
        if !out.iter().any(|o| o == s) {
            out.push(s.to_string());
        }
    }
    out
}

pub(super) fn check_location(e: &mut FieldErrors, l: &Option<Location>) -> Option<Point> {
    let l = (*l)?;
    let ok = (-90.0..=90.0).contains(&l.lat) && (-180.0..=180.0).contains(&l.lon);
    if !ok {
        e.add(
            "location",
            "`lat` must be from -90 to 90 and `lon` from -180 to 180",
        );
        return None;
    }
    Some(Point {
        lat: l.lat,
        lon: l.lon,
    })
}

pub(super) fn check_phone(e: &mut FieldErrors, v: &Option<String>) -> Option<String> {
    let s = e.opt_text("phone", v, 50)?;
    let ok = s.chars().filter(char::is_ascii_digit).count() >= 3
        && s.chars()
            .all(|c| c.is_ascii_digit() || " +()-.".contains(c));
    if !ok {
        e.add(
            "phone",
            "must be a phone number: digits, spaces and + ( ) - .",
        );
    }
    Some(s)
}

pub(super) fn check_email(e: &mut FieldErrors, v: &Option<String>) -> Option<String> {
    let s = e.opt_text("email", v, 254)?;
    let ok = match s.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !domain.contains('@')
                && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        }
        None => false,
    };
    if !ok {
        e.add("email", "must be an email address such as info@example.by");
    }
    Some(s)
}
