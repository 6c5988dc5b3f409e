//! The `q` filter of lists: full-text matching differs per backend (SQLite FTS5,
//! PostgreSQL tsvector), so the choice is made here, from the connection.

use diesel::expression::BoxableExpression;
use diesel::sql_types::Bool;

use crate::db::search::{matching_ids_condition, SearchQuery};
use crate::db::{is_sqlite, AnyConnection, MultiBackend};
use crate::resource::ResourceType;

/// `<id_column> IN (ids of documents of `resources` matching `q`)`.
pub fn text_match<QS: 'static>(
    conn: &AnyConnection,
    id_column: &'static str,
    resources: &[ResourceType],
    q: &SearchQuery,
) -> Box<dyn BoxableExpression<QS, MultiBackend, SqlType = Bool>> {
    matching_ids_condition(is_sqlite(conn), id_column, resources, q)
}
