//! The write path's statements that differ per backend: the next row id and
//! multi-row inserts (which `MultiConnection` cannot run as one statement).

use diesel::prelude::*;

use crate::db::schema::{article_tags, event_tags};
use crate::db::AnyConnection;
use crate::error::AppResult;

#[derive(diesel::QueryableByName)]
struct NextId {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    id: i64,
}

/// The id the next row inserted into `table` (articles, places, events,
/// sections: a trusted constant) gets, taken before the INSERT so that a new
/// row can be its own translation group in that same statement; setting
/// `group_id` with an UPDATE afterwards wrote every row twice (on PostgreSQL a
/// second version of the row and of each of its index entries). Call inside
/// `write_tx`: its lock keeps SQLite's `max(id) + 1` (the rowid SQLite itself
/// would pick) free until the INSERT.
pub fn next_id(conn: &mut AnyConnection, table: &'static str) -> AppResult<i64> {
    let sql = match conn {
        AnyConnection::Sqlite(_) => format!("SELECT COALESCE(MAX(id), 0) + 1 AS id FROM {table}"),
        AnyConnection::Postgresql(_) => {
            format!("SELECT nextval(pg_get_serial_sequence('{table}', 'id')) AS id")
        }
    };
    let row: NextId = crate::with_backend!(conn, |c| diesel::sql_query(sql).get_result(c)?);
    Ok(row.id)
}

/// The tags of article `id`, one statement (a round trip each added up in imports).
pub fn insert_article_tags(conn: &mut AnyConnection, id: i64, tags: &[String]) -> AppResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = tags
        .iter()
        .map(|t| (article_tags::article_id.eq(id), article_tags::tag.eq(t)))
        .collect();
    crate::with_backend!(conn, |c| diesel::insert_into(article_tags::table)
        .values(&rows)
        .execute(c)?);
    Ok(())
}

/// The tags of event `id`, one statement.
pub fn insert_event_tags(conn: &mut AnyConnection, id: i64, tags: &[String]) -> AppResult<()> {
    if tags.is_empty() {
        return Ok(());
    }
    let rows: Vec<_> = tags
        .iter()
        .map(|t| (event_tags::event_id.eq(id), event_tags::tag.eq(t)))
        .collect();
    crate::with_backend!(conn, |c| diesel::insert_into(event_tags::table)
        .values(&rows)
        .execute(c)?);
    Ok(())
}
