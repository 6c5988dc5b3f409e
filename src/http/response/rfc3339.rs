//! Instants in JSON bodies without chrono's formatter: chrono serializes a
//! `DateTime<Utc>` through `collect_str`, one small write per character, each
//! of which serde_json scans for escapes (about a fifth of serializing an
//! article summary). Here the same text (RFC 3339, `Z`, the fraction as
//! chrono's `AutoSi` writes it: none, 3, 6 or 9 digits) is written into a
//! buffer and serialized as one string. Years outside 0..=9999 go to chrono.

use chrono::{DateTime, Datelike, SecondsFormat, Timelike, Utc};
use serde::Serializer;

/// The longest text: `YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ`.
const MAX: usize = 30;

fn two(out: &mut [u8; MAX], at: usize, n: u32) {
    out[at] = b'0' + (n / 10 % 10) as u8;
    out[at + 1] = b'0' + (n % 10) as u8;
}

fn digits(out: &mut [u8; MAX], at: usize, mut n: u32, len: usize) {
    for i in (at..at + len).rev() {
        out[i] = b'0' + (n % 10) as u8;
        n /= 10;
    }
}

/// `t` as chrono's `Serialize` writes it, into `out`; the length, or `None`
/// for a year chrono writes with a sign.
fn write(t: &DateTime<Utc>, out: &mut [u8; MAX]) -> Option<usize> {
    let year = t.year();
    if !(0..=9999).contains(&year) {
        return None;
    }
    digits(out, 0, year as u32, 4);
    out[4] = b'-';
    two(out, 5, t.month());
    out[7] = b'-';
    two(out, 8, t.day());
    out[10] = b'T';
    let (mut sec, mut nano) = (t.second(), t.nanosecond());
    // A leap second: chrono keeps it in the fraction and writes second 60.
    if nano >= 1_000_000_000 {
        sec += 1;
        nano -= 1_000_000_000;
    }
    two(out, 11, t.hour());
    out[13] = b':';
    two(out, 14, t.minute());
    out[16] = b':';
    two(out, 17, sec);
    let mut len = 19;
    let frac = if nano == 0 {
        None
    } else if nano % 1_000_000 == 0 {
        Some((nano / 1_000_000, 3))
    } else if nano % 1_000 == 0 {
        Some((nano / 1_000, 6))
    } else {
        Some((nano, 9))
    };
    if let Some((n, width)) = frac {
        out[len] = b'.';
        digits(out, len + 1, n, width);
        len += 1 + width;
    }
    out[len] = b'Z';
    Some(len + 1)
}

/// `serialize_with` for a `DateTime<Utc>`: the text chrono's `Serialize` writes.
pub fn instant<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    let mut buf = [0u8; MAX];
    match write(t, &mut buf).and_then(|n| std::str::from_utf8(&buf[..n]).ok()) {
        Some(text) => s.serialize_str(text),
        None => s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
    }
}

/// `serialize_with` for an `Option<DateTime<Utc>>` (`null` for `None`).
pub fn opt_instant<S: Serializer>(t: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
    match t {
        Some(t) => instant(t, s),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone};

    use super::*;

    #[derive(serde::Serialize)]
    struct Ours(#[serde(serialize_with = "instant")] DateTime<Utc>);

    fn at(y: i32, nano: u32) -> DateTime<Utc> {
        let d = NaiveDate::from_ymd_opt(y, 12, 1).unwrap_or_default();
        Utc.from_utc_datetime(&d.and_hms_nano_opt(3, 56, 59, nano).unwrap_or_default())
    }

    #[test]
    fn writes_what_chrono_writes() {
        let mut cases = Vec::new();
        for y in [0, 7, 999, 2026, 9999, -1, 10000, -44] {
            for nano in [
                0,
                1,
                5_000,
                491_706_000,
                491_000_000,
                100_000_000,
                123_456_789,
                999_999_999,
                1_000_000_000,
                1_250_000_000,
                1_000_000_001,
            ] {
                cases.push(at(y, nano));
            }
        }
        for t in cases {
            let chrono = serde_json::to_string(&t).unwrap_or_default();
            let ours = serde_json::to_string(&Ours(t)).unwrap_or_default();
            assert_eq!(ours, chrono);
            assert!(!ours.is_empty());
        }
    }

    #[test]
    fn none_is_null() {
        #[derive(serde::Serialize)]
        struct O(#[serde(serialize_with = "opt_instant")] Option<DateTime<Utc>>);
        assert_eq!(serde_json::to_string(&O(None)).unwrap_or_default(), "null");
        let t = at(2026, 0);
        assert_eq!(
            serde_json::to_string(&O(Some(t))).unwrap_or_default(),
            serde_json::to_string(&t).unwrap_or_default()
        );
    }
}
