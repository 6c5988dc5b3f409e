//! Keyset paging for any sort key: the seek condition after a cursor and the
//! ORDER BY (key, then id as the tiebreak), ascending or descending. A list
//! declares one line per sort key to [`page_by`], e.g.
//! `("title", &keyset::key(articles::title, articles::id, |r: &Row| (r.title.clone(), r.id)))`,
//! and writes no keyset SQL.

use std::marker::PhantomData;

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::{FilterDsl, LimitDsl, OffsetDsl, OrderDsl};
use diesel::serialize::ToSql;
use diesel::sql_types::{BigInt, Bool, HasSqlType, SingleValue};
use diesel::{dsl, ExpressionMethods, QueryResult, RunQueryDsl};
use serde_json::Value;

use crate::db::AnyConnection;
use crate::domain::time::rfc3339_utc;
use crate::error::{AppError, AppResult};
use crate::paging::{invalid_cursor, CursorKey, ListParams, Page};

/// A sort key's value as a cursor stores it (`encode`) and as the seek binds it (`decode`).
pub trait SortValue {
    /// The value bound against the key column.
    type Bind: Send + 'static;
    fn decode(c: &CursorKey) -> AppResult<Self::Bind>;
    fn encode(self) -> Value;
}

impl SortValue for String {
    type Bind = String;
    fn decode(c: &CursorKey) -> AppResult<String> {
        c.key_str().map(str::to_string)
    }
    fn encode(self) -> Value {
        Value::String(self)
    }
}

impl SortValue for i32 {
    type Bind = i32;
    fn decode(c: &CursorKey) -> AppResult<i32> {
        i32::try_from(c.key_i64()?).map_err(|_| invalid_cursor())
    }
    fn encode(self) -> Value {
        Value::from(self)
    }
}

impl SortValue for i64 {
    type Bind = i64;
    fn decode(c: &CursorKey) -> AppResult<i64> {
        c.key_i64()
    }
    fn encode(self) -> Value {
        Value::from(self)
    }
}

/// Instants travel as RFC 3339 UTC strings.
impl SortValue for NaiveDateTime {
    type Bind = NaiveDateTime;
    fn decode(c: &CursorKey) -> AppResult<NaiveDateTime> {
        c.key_time()
    }
    fn encode(self) -> Value {
        Value::String(rfc3339_utc(self))
    }
}

/// A nullable instant (`published_at`): a null key is encoded, but never seeks.
impl SortValue for Option<NaiveDateTime> {
    type Bind = NaiveDateTime;
    fn decode(c: &CursorKey) -> AppResult<NaiveDateTime> {
        NaiveDateTime::decode(c)
    }
    fn encode(self) -> Value {
        self.map(SortValue::encode).unwrap_or(Value::Null)
    }
}

/// `(key > k OR (key = k AND id > i))`, or with `<` when descending: the rows
/// strictly after the cursor `(k, i)` in the list's order.
#[derive(Debug, Clone, QueryId)]
pub struct After<C, I, K> {
    key: C,
    id: I,
    value: K,
    after_id: i64,
    desc: bool,
}

impl<C, I, K> Expression for After<C, I, K> {
    type SqlType = Bool;
}

impl<C, I, K, QS> AppearsOnTable<QS> for After<C, I, K>
where
    C: AppearsOnTable<QS>,
    I: AppearsOnTable<QS>,
{
}

impl<C, I, K> ValidGrouping<()> for After<C, I, K> {
    type IsAggregate = is_aggregate::Never;
}

impl<C, I, K, DB> QueryFragment<DB> for After<C, I, K>
where
    DB: Backend + HasSqlType<C::SqlType> + HasSqlType<BigInt>,
    C: Expression + QueryFragment<DB>,
    I: QueryFragment<DB>,
    K: ToSql<C::SqlType, DB>,
    i64: ToSql<BigInt, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let op = if self.desc { " < " } else { " > " };
        out.push_sql("(");
        self.key.walk_ast(out.reborrow())?;
        out.push_sql(op);
        out.push_bind_param::<C::SqlType, K>(&self.value)?;
        out.push_sql(" OR (");
        self.key.walk_ast(out.reborrow())?;
        out.push_sql(" = ");
        out.push_bind_param::<C::SqlType, K>(&self.value)?;
        out.push_sql(" AND ");
        self.id.walk_ast(out.reborrow())?;
        out.push_sql(op);
        out.push_bind_param::<BigInt, i64>(&self.after_id)?;
        out.push_sql("))");
        Ok(())
    }
}

/// Seeks past the cursor (cursor paging) or skips to the page (page paging),
/// orders by `key` then `id` in the sort's direction, and asks for one row
/// more than the page, so the caller knows whether more follow.
pub fn seek_and_order<Q, C, I, K>(
    q: Q,
    key: C,
    id: I,
    params: &ListParams,
    decode: impl Fn(&CursorKey) -> AppResult<K>,
) -> AppResult<Q>
where
    C: Expression + Copy,
    C::SqlType: SingleValue,
    I: Expression + Copy,
    I::SqlType: SingleValue,
    Q: FilterDsl<After<C, I, K>, Output = Q>
        + OrderDsl<(dsl::Asc<C>, dsl::Asc<I>), Output = Q>
        + OrderDsl<(dsl::Desc<C>, dsl::Desc<I>), Output = Q>
        + OffsetDsl<Output = Q>
        + LimitDsl<Output = Q>,
{
    let desc = params.sort.desc;
    let mut q = q;
    if let Some(c) = params.cursor() {
        let seek = After {
            key,
            id,
            value: decode(c)?,
            after_id: c.id,
            desc,
        };
        q = FilterDsl::filter(q, seek);
    }
    q = if desc {
        OrderDsl::order(q, (key.desc(), id.desc()))
    } else {
        OrderDsl::order(q, (key.asc(), id.asc()))
    };
    if params.page().is_some() {
        q = OffsetDsl::offset(q, params.offset());
    }
    Ok(LimitDsl::limit(q, params.limit + 1))
}

/// One keyset page of `q` sorted by `key` (then `id`): `key_of` gives a row's
/// sort value and id, from which the next cursor is made.
pub fn page<Q, C, I, R, V, F>(
    conn: &mut AnyConnection,
    q: Q,
    key: C,
    id: I,
    params: &ListParams,
    total: i64,
    key_of: F,
) -> AppResult<Page<R>>
where
    Key<C, I, F, V>: SortKey<Q, R>,
{
    self::key(key, id, key_of).page(conn, q, params, total)
}

/// A list's sort key: its column, the id column as the tiebreak, and a row's
/// values of both (`of`), from which the next cursor is made. See [`key`].
pub struct Key<C, I, F, V> {
    key: C,
    id: I,
    of: F,
    value: PhantomData<fn() -> V>,
}

/// The sort key on `key` (then `id`), `of` giving a row's values.
pub fn key<C, I, F, V>(key: C, id: I, of: F) -> Key<C, I, F, V> {
    Key {
        key,
        id,
        of,
        value: PhantomData,
    }
}

/// A sort key a list of rows `R`, queried by `Q`, can be paged by.
pub trait SortKey<Q, R> {
    fn page(
        &self,
        conn: &mut AnyConnection,
        q: Q,
        params: &ListParams,
        total: i64,
    ) -> AppResult<Page<R>>;
}

impl<Q, R, C, I, F, V> SortKey<Q, R> for Key<C, I, F, V>
where
    F: Fn(&R) -> (V, i64),
    V: SortValue,
    C: Expression + Copy,
    C::SqlType: SingleValue,
    I: Expression + Copy,
    I::SqlType: SingleValue,
    Q: FilterDsl<After<C, I, V::Bind>, Output = Q>
        + OrderDsl<(dsl::Asc<C>, dsl::Asc<I>), Output = Q>
        + OrderDsl<(dsl::Desc<C>, dsl::Desc<I>), Output = Q>
        + OffsetDsl<Output = Q>
        + LimitDsl<Output = Q>
        + RunQueryDsl<AnyConnection>
        + for<'a> diesel::query_dsl::LoadQuery<'a, AnyConnection, R>,
{
    fn page(
        &self,
        conn: &mut AnyConnection,
        q: Q,
        params: &ListParams,
        total: i64,
    ) -> AppResult<Page<R>> {
        let q = seek_and_order(q, self.key, self.id, params, V::decode)?;
        let rows: Vec<R> = q.load(conn)?;
        Ok(Page::from_rows(rows, total, params, |r| {
            let (v, id) = (self.of)(r);
            (v.encode(), id)
        }))
    }
}

/// One page of `q` by the sort `params` names: `keys` gives each sort field's
/// key, the last one also every field not listed (the list's default).
pub fn page_by<Q, R>(
    conn: &mut AnyConnection,
    q: Q,
    params: &ListParams,
    total: i64,
    keys: &[(&str, &dyn SortKey<Q, R>)],
) -> AppResult<Page<R>> {
    let chosen = keys
        .iter()
        .find(|(field, _)| *field == params.sort.field)
        .or(keys.last())
        .ok_or_else(|| AppError::Internal("a list without sort keys".into()))?;
    chosen.1.page(conn, q, params, total)
}

#[cfg(test)]
mod tests;
