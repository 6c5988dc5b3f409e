//! `<column> IN (a list of values)` as ONE fixed statement whatever the list's
//! length. diesel's `eq_any` writes one placeholder per value, so SQLite
//! prepares the statement afresh for every list length (and diesel does not
//! cache it at all); here the whole list is one bound text:
//!
//! - SQLite: `<column> IN (SELECT value FROM json_each(?))`, the list as a JSON array;
//! - PostgreSQL: `<column> = ANY(CAST($1 AS BIGINT[]))` (or `TEXT[]`), the list
//!   as an array literal (`MultiBackend` binds no arrays, so the text is cast).
//!
//! The SQL depends only on the backend, which a connection never changes, so
//! the statement has a static query id and diesel's statement cache keeps it.
//! An empty list matches nothing, as `eq_any` of an empty list.

use std::fmt::Write as _;
use std::marker::PhantomData;

use diesel::expression::{AppearsOnTable, Expression, SelectableExpression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Bool, SqlType, Text};
use diesel::QueryResult;

use crate::db::{is_sqlite, AnyConnection, MultiBackend};

/// A value `any_of` can list: how it is written into a JSON array (SQLite)
/// and a PostgreSQL array literal, and the array type it is cast to.
pub trait ListValue {
    /// The diesel SQL type of a column this value is compared with.
    type SqlType: SqlType;
    /// `BIGINT[]`, `TEXT[]`.
    const PG_ARRAY: &'static str;
    fn push_json(&self, out: &mut String);
    fn push_pg(&self, out: &mut String);
}

impl ListValue for i64 {
    type SqlType = BigInt;
    const PG_ARRAY: &'static str = "BIGINT[]";
    fn push_json(&self, out: &mut String) {
        let _ = write!(out, "{self}");
    }
    fn push_pg(&self, out: &mut String) {
        self.push_json(out);
    }
}

impl ListValue for String {
    type SqlType = Text;
    const PG_ARRAY: &'static str = "TEXT[]";
    fn push_json(&self, out: &mut String) {
        // A JSON string of a Rust string cannot fail to serialize.
        out.push_str(&serde_json::to_string(self).unwrap_or_else(|_| "\"\"".into()));
    }
    fn push_pg(&self, out: &mut String) {
        // An element of an array literal: double-quoted, `"` and `\` escaped.
        out.push('"');
        for c in self.chars() {
            if c == '"' || c == '\\' {
                out.push('\\');
            }
            out.push(c);
        }
        out.push('"');
    }
}

/// `column IN (values)`: a fixed statement on either backend (see the module docs).
pub fn any_of<C, V>(conn: &AnyConnection, column: C, values: &[V]) -> AnyOf<C, V>
where
    C: Expression<SqlType = V::SqlType>,
    V: ListValue,
{
    let sqlite = is_sqlite(conn);
    let mut list = String::with_capacity(2 + values.len() * 8);
    list.push(if sqlite { '[' } else { '{' });
    for (i, v) in values.iter().enumerate() {
        if i > 0 {
            list.push(',');
        }
        if sqlite {
            v.push_json(&mut list);
        } else {
            v.push_pg(&mut list);
        }
    }
    list.push(if sqlite { ']' } else { '}' });
    AnyOf {
        column,
        sqlite,
        list,
        value: PhantomData,
    }
}

/// The condition `any_of` builds.
#[derive(Debug, Clone)]
pub struct AnyOf<C, V> {
    column: C,
    sqlite: bool,
    /// The values as one JSON array (SQLite) or array literal (PostgreSQL).
    list: String,
    value: PhantomData<fn() -> V>,
}

impl<C, V: 'static> QueryId for AnyOf<C, V>
where
    C: QueryId,
{
    type QueryId = AnyOf<C::QueryId, V>;
    const HAS_STATIC_QUERY_ID: bool = C::HAS_STATIC_QUERY_ID;
}

impl<C, V> Expression for AnyOf<C, V> {
    type SqlType = Bool;
}

impl<C, V, QS> AppearsOnTable<QS> for AnyOf<C, V> where C: AppearsOnTable<QS> {}

impl<C, V, QS> SelectableExpression<QS> for AnyOf<C, V> where C: SelectableExpression<QS> {}

impl<C, V, G> ValidGrouping<G> for AnyOf<C, V>
where
    C: ValidGrouping<G>,
{
    type IsAggregate = C::IsAggregate;
}

impl<C, V> QueryFragment<MultiBackend> for AnyOf<C, V>
where
    C: QueryFragment<MultiBackend>,
    V: ListValue,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        self.column.walk_ast(out.reborrow())?;
        if self.sqlite {
            out.push_sql(" IN (SELECT value FROM json_each(");
            out.push_bind_param::<Text, String>(&self.list)?;
            out.push_sql("))");
        } else {
            out.push_sql(" = ANY(CAST(");
            out.push_bind_param::<Text, String>(&self.list)?;
            out.push_sql(" AS ");
            out.push_sql(V::PG_ARRAY);
            out.push_sql("))");
        }
        Ok(())
    }
}
