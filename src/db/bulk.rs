//! Statements `MultiConnection` cannot express, run on the concrete connection:
//! multi-row inserts (with or without `RETURNING`), and the per-backend
//! transaction settings of bulk reads and writes (export, import).

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::query_builder::InsertStatement;
use diesel::query_dsl::methods::{ExecuteDsl, LoadQuery};
use diesel::{PgConnection, SqliteConnection};

use super::AnyConnection;

/// `INSERT INTO table VALUES (..), (..), ...`: one statement for all `rows`
/// (a `Vec` of tuples of `column.eq(value)`, or of `Insertable` structs).
/// The caller keeps a statement's bound parameters within both backends' limits.
pub fn insert_rows<T, V>(conn: &mut AnyConnection, table: T, rows: V) -> QueryResult<usize>
where
    T: Table,
    V: Insertable<T>,
    InsertStatement<T, V::Values>: ExecuteDsl<SqliteConnection> + ExecuteDsl<PgConnection>,
{
    let statement = diesel::insert_into(table).values(rows);
    match conn {
        AnyConnection::Sqlite(c) => statement.execute(c),
        AnyConnection::Postgresql(c) => statement.execute(c),
    }
}

/// Runs a statement the backends must each compile (a multi-row
/// `INSERT ... RETURNING`) and loads its rows.
pub fn get_results<'q, Q, Out>(conn: &mut AnyConnection, statement: Q) -> QueryResult<Vec<Out>>
where
    Q: RunQueryDsl<SqliteConnection> + RunQueryDsl<PgConnection>,
    Q: LoadQuery<'q, SqliteConnection, Out> + LoadQuery<'q, PgConnection, Out>,
{
    match conn {
        AnyConnection::Sqlite(c) => RunQueryDsl::<SqliteConnection>::get_results(statement, c),
        AnyConnection::Postgresql(c) => RunQueryDsl::<PgConnection>::get_results(statement, c),
    }
}

/// Makes the current transaction a read-only snapshot, so a long read (an
/// export) sees one consistent state. SQLite's read transaction already is one.
pub fn read_only_snapshot(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// For a transaction that grows its tables (an import): plans every statement
/// for its parameters. The tables grow inside the transaction, which
/// autovacuum never analyzes, so a plan cached while they were small (a
/// sequential scan to find a slug) would stay and cost more with every line.
/// SQLite plans each statement afresh anyway.
pub fn plan_for_growing_tables(conn: &mut AnyConnection) -> QueryResult<()> {
    match conn {
        AnyConnection::Postgresql(c) => {
            c.batch_execute("SET LOCAL plan_cache_mode = force_custom_plan")
        }
        AnyConnection::Sqlite(_) => Ok(()),
    }
}

/// Pages SQLite keeps in memory during a bulk load (KiB; negative in the
/// pragma): the index builds after it sort in memory up to this size.
const SQLITE_BULK_CACHE_KIB: i64 = 256 * 1024;

/// Runs `f` (a bulk load: a full search index rebuild) with a large SQLite
/// page cache, then gives the connection its own back. Memory only: what is
/// written and when it is synced do not change. PostgreSQL sets its memory
/// per statement (`maintenance_work_mem`, in the load's transaction).
pub fn with_bulk_cache<T, E: From<diesel::result::Error>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    #[derive(QueryableByName)]
    struct CacheSize {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        cache_size: i64,
    }
    let before = match conn {
        AnyConnection::Sqlite(c) => {
            let CacheSize { cache_size } = diesel::sql_query("PRAGMA cache_size").get_result(c)?;
            c.batch_execute(&format!("PRAGMA cache_size = -{SQLITE_BULK_CACHE_KIB}"))?;
            Some(cache_size)
        }
        AnyConnection::Postgresql(_) => None,
    };
    let out = f(conn);
    if let (Some(size), AnyConnection::Sqlite(c)) = (before, &mut *conn) {
        c.batch_execute(&format!("PRAGMA cache_size = {size}"))?;
    }
    out
}
