//! Reading `TIMESTAMP` columns without chrono's format parser on SQLite.
//!
//! SQLite stores timestamps as text (`YYYY-MM-DD HH:MM:SS[.fff]`, as diesel
//! writes them) and diesel parses each one by trying up to 18 chrono formats:
//! about 2,600 instructions a value, a tenth of an uncached article list. Rows
//! that read many timestamps name these types in `#[diesel(deserialize_as =
//! ...)]`: the text diesel writes is parsed directly, anything else (another
//! format, a julian day number) goes to diesel's own parser, so the values are
//! the same. PostgreSQL sends binary timestamps and uses diesel's as before.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql};
use diesel::pg::Pg;
use diesel::sql_types::{Nullable, Timestamp};
use diesel::sqlite::Sqlite;

use crate::db::MultiBackend;

/// A `TIMESTAMP` read as `NaiveDateTime` (see the module docs).
#[derive(Debug, Clone, Copy, diesel::FromSqlRow)]
pub struct Ts(pub NaiveDateTime);

/// A nullable `TIMESTAMP` read as `Option<NaiveDateTime>`.
#[derive(Debug, Clone, Copy, diesel::FromSqlRow)]
pub struct OptTs(pub Option<NaiveDateTime>);

impl From<Ts> for NaiveDateTime {
    fn from(t: Ts) -> Self {
        t.0
    }
}

impl From<OptTs> for Option<NaiveDateTime> {
    fn from(t: OptTs) -> Self {
        t.0
    }
}

fn digits(b: &[u8]) -> Option<u32> {
    let mut n = 0u32;
    for &c in b {
        if !c.is_ascii_digit() {
            return None;
        }
        n = n * 10 + u32::from(c - b'0');
    }
    Some(n)
}

/// `YYYY-MM-DD HH:MM:SS` with an optional fraction of 1 to 9 digits: what
/// diesel writes (`%F %T%.f`). `None` for anything else.
pub fn parse_sqlite_text(s: &str) -> Option<NaiveDateTime> {
    let b = s.as_bytes();
    if b.len() < 19
        || b[4] != b'-'
        || b[7] != b'-'
        || b[10] != b' '
        || b[13] != b':'
        || b[16] != b':'
    {
        return None;
    }
    let year = i32::try_from(digits(&b[0..4])?).ok()?;
    let date = NaiveDate::from_ymd_opt(year, digits(&b[5..7])?, digits(&b[8..10])?)?;
    let (h, m, sec) = (
        digits(&b[11..13])?,
        digits(&b[14..16])?,
        digits(&b[17..19])?,
    );
    let nanos = match &b[19..] {
        [] => 0,
        [b'.', frac @ ..] if (1..=9).contains(&frac.len()) => {
            digits(frac)? * 10u32.pow(9 - frac.len() as u32)
        }
        _ => return None,
    };
    // A leap second (`:60`) goes to chrono's parser.
    if sec >= 60 {
        return None;
    }
    Some(date.and_time(NaiveTime::from_hms_nano_opt(h, m, sec, nanos)?))
}

impl FromSql<Timestamp, Sqlite> for Ts {
    fn from_sql(mut value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        if let Some(t) = parse_sqlite_text(value.read_text()) {
            return Ok(Ts(t));
        }
        Ok(Ts(<NaiveDateTime as FromSql<Timestamp, Sqlite>>::from_sql(
            value,
        )?))
    }
}

impl FromSql<Timestamp, Pg> for Ts {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(Ts(<NaiveDateTime as FromSql<Timestamp, Pg>>::from_sql(
            value,
        )?))
    }
}

impl FromSql<Timestamp, MultiBackend> for Ts {
    fn from_sql(value: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        value.from_sql::<Ts, Timestamp>()
    }
}

/// On every backend `Ts` is read on: diesel's rows (`MultiBackend`) and raw
/// statements on a backend's own connection (`db::sql::cached`).
impl<DB> FromSql<Nullable<Timestamp>, DB> for OptTs
where
    DB: Backend,
    Ts: FromSql<Timestamp, DB>,
{
    fn from_sql(value: DB::RawValue<'_>) -> deserialize::Result<Self> {
        Ok(OptTs(Some(
            <Ts as FromSql<Timestamp, DB>>::from_sql(value)?.0,
        )))
    }

    fn from_nullable_sql(value: Option<DB::RawValue<'_>>) -> deserialize::Result<Self> {
        match value {
            Some(v) => Self::from_sql(v),
            None => Ok(OptTs(None)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chrono(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%F %T%.f").unwrap_or_default()
    }

    #[test]
    fn parses_what_diesel_writes_as_chrono_does() {
        for s in [
            "2022-04-15 15:03:06",
            "2026-12-01 03:56:50.491706",
            "2026-12-01 03:56:50.4",
            "2000-02-29 23:59:59.123456789",
            "0001-01-01 00:00:00",
        ] {
            assert_eq!(parse_sqlite_text(s), Some(chrono(s)), "{s}");
        }
    }

    #[test]
    fn leaves_other_text_to_diesel() {
        for s in [
            "2022-04-15T15:03:06",
            "2022-04-15 15:03",
            "2022-04-15 15:03:06Z",
            "2022-04-15 15:03:06+01:00",
            "2022-04-15 15:03:06.",
            "2022-04-15 15:03:06.1234567891",
            "2022-02-30 00:00:00",
            "2022-04-15 15:03:60",
            "2460000.5",
            "",
        ] {
            assert_eq!(parse_sqlite_text(s), None, "{s}");
        }
    }
}
