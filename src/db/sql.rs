//! Raw SQL that diesel's statement cache keeps. `diesel::sql_query` marks
//! every statement unsafe to cache (its text may be built from anything), so
//! PostgreSQL parses and plans it again on every call (a `/v1/suggest` with a
//! typo ran nine such statements: planning took ten times their execution)
//! and SQLite prepares it again. [`cached`] is for texts that are one of a few
//! fixed ones, with every value bound: diesel then keeps one prepared
//! statement per text and connection (PostgreSQL switches it to a generic
//! plan after five runs). Never for a text that carries values, such as an
//! `IN` list written out: each would stay in the cache for good.

use std::marker::PhantomData;

use diesel::backend::Backend;
use diesel::connection::Connection;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::result::Error;
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A statement written with `?` for each value, in order, on both backends
/// (PostgreSQL gets `$1`, `$2`, ... from diesel). No other `?` may be in the text.
pub struct Cached<'a, DB: Backend> {
    sql: String,
    binds: Vec<Box<dyn QueryFragment<DB> + Send + 'a>>,
}

/// `sql` (with `?` placeholders) as a statement diesel caches; values go in
/// with [`Cached::bind`], as with `diesel::sql_query`.
pub fn cached<'a, DB: Backend>(sql: impl Into<String>) -> Cached<'a, DB> {
    Cached {
        sql: sql.into(),
        binds: Vec::new(),
    }
}

impl<'a, DB: Backend> Cached<'a, DB> {
    /// Binds the value of the next `?`.
    pub fn bind<ST, V>(mut self, value: V) -> Self
    where
        DB: HasSqlType<ST>,
        V: ToSql<ST, DB> + Send + 'a,
        ST: 'a,
    {
        self.binds.push(Box::new(Bind {
            value,
            sql_type: PhantomData,
        }));
        self
    }
}

struct Bind<ST, V> {
    value: V,
    sql_type: PhantomData<fn() -> ST>,
}

impl<ST, V, DB> QueryFragment<DB> for Bind<ST, V>
where
    DB: Backend + HasSqlType<ST>,
    V: ToSql<ST, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        out.push_bind_param::<ST, V>(&self.value)
    }
}

impl<DB: Backend> QueryFragment<DB> for Cached<'_, DB> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let mut parts = self.sql.split('?');
        let mut binds = self.binds.iter();
        if let Some(first) = parts.next() {
            out.push_sql(first);
        }
        for part in parts {
            let bind = binds.next().ok_or_else(|| {
                Error::QueryBuilderError("a `?` of the statement has no bound value".into())
            })?;
            bind.walk_ast(out.reborrow())?;
            out.push_sql(part);
        }
        if binds.next().is_some() {
            return Err(Error::QueryBuilderError(
                "more values bound than the statement has `?`".into(),
            ));
        }
        Ok(())
    }
}

/// No static id: diesel keys the cached statement by its text and bind types.
impl<DB: Backend> QueryId for Cached<'_, DB> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl<DB: Backend> Query for Cached<'_, DB> {
    type SqlType = Untyped;
}

impl<DB: Backend, Conn: Connection<Backend = DB>> RunQueryDsl<Conn> for Cached<'_, DB> {}

#[cfg(test)]
mod tests {
    use diesel::connection::SimpleConnection;
    use diesel::prelude::*;
    use diesel::sql_types::{BigInt, Text};
    use diesel::SqliteConnection;

    use super::cached;

    #[derive(QueryableByName, Debug, PartialEq)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        n: i64,
        #[diesel(sql_type = Text)]
        s: String,
    }

    #[test]
    fn binds_go_to_their_placeholders() -> Result<(), Box<dyn std::error::Error>> {
        let mut c = SqliteConnection::establish(":memory:")?;
        c.batch_execute("CREATE TABLE t (n BIGINT NOT NULL, s TEXT NOT NULL)")?;
        for (n, s) in [(1i64, "a"), (2, "b"), (3, "c")] {
            cached("INSERT INTO t (n, s) VALUES (?, ?)")
                .bind::<BigInt, _>(n)
                .bind::<Text, _>(s)
                .execute(&mut c)?;
        }
        let rows: Vec<Row> = cached("SELECT n, s FROM t WHERE n >= ? AND s <> ? ORDER BY n")
            .bind::<BigInt, _>(2i64)
            .bind::<Text, _>("c")
            .load(&mut c)?;
        assert_eq!(
            rows,
            vec![Row {
                n: 2,
                s: "b".into()
            }]
        );
        Ok(())
    }

    #[test]
    fn a_missing_or_extra_value_is_an_error_not_a_wrong_statement() {
        let Ok(mut c) = SqliteConnection::establish(":memory:") else {
            panic!("in-memory SQLite");
        };
        let missing = cached("SELECT ? + ? AS n, 'x' AS s")
            .bind::<BigInt, _>(1i64)
            .load::<Row>(&mut c);
        assert!(missing.is_err());
        let extra = cached("SELECT ? AS n, 'x' AS s")
            .bind::<BigInt, _>(1i64)
            .bind::<BigInt, _>(2i64)
            .load::<Row>(&mut c);
        assert!(extra.is_err());
    }
}
