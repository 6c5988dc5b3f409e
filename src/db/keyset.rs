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
mod tests {
    use diesel::debug_query;
    use diesel::pg::Pg;
    use diesel::prelude::*;
    use diesel::sqlite::Sqlite;

    use super::*;
    use crate::db::schema::{articles, places};
    use crate::http::list::CommonParams;

    fn params(sort: &str, cursor: Option<CursorKey>, page: Option<&str>) -> ListParams {
        let enc = cursor.map(|c| c.encode());
        ListParams::parse(
            &CommonParams {
                sort: Some(sort.into()),
                cursor: enc,
                page: page.map(str::to_string),
                limit: Some("10".into()),
                ..Default::default()
            },
            &["title", "published_at", "rank"],
            "title",
        )
        .unwrap()
    }

    fn cursor(sort: &str, key: Value, id: i64) -> Option<CursorKey> {
        Some(CursorKey {
            sort: sort.into(),
            key,
            id,
        })
    }

    #[test]
    fn first_page_orders_by_key_then_id_and_fetches_one_more() {
        let q = articles::table.select(articles::id).into_boxed::<Sqlite>();
        let q = seek_and_order(
            q,
            articles::title,
            articles::id,
            &params("title", None, None),
            String::decode,
        )
        .unwrap();
        let sql = debug_query::<Sqlite, _>(&q).to_string();
        assert!(
            sql.contains("ORDER BY `articles`.`title` ASC, `articles`.`id` ASC LIMIT ?"),
            "{sql}"
        );
        assert!(!sql.contains("WHERE"), "{sql}");
        assert!(sql.contains("binds: [11]"), "{sql}");
    }

    #[test]
    fn descending_cursor_seeks_below_the_key_then_the_id_on_postgres() {
        let p = params("-title", cursor("-title", "Minsk".into(), 7), None);
        let q = articles::table.select(articles::id).into_boxed::<Pg>();
        let q = seek_and_order(q, articles::title, articles::id, &p, String::decode).unwrap();
        let sql = debug_query::<Pg, _>(&q).to_string();
        assert!(
            sql.contains(r#"WHERE ("articles"."title" < $1 OR ("articles"."title" = $2 AND "articles"."id" < $3)) ORDER BY "articles"."title" DESC, "articles"."id" DESC LIMIT $4"#),
            "{sql}"
        );
        assert!(sql.contains(r#"binds: ["Minsk", "Minsk", 7, 11]"#), "{sql}");
    }

    #[test]
    fn ascending_cursor_on_a_nullable_instant_binds_the_time_on_sqlite() {
        let p = params(
            "published_at",
            cursor("published_at", "2024-05-31T12:00:00Z".into(), 3),
            None,
        );
        let q = articles::table.select(articles::id).into_boxed::<Sqlite>();
        let q = seek_and_order(
            q,
            articles::published_at,
            articles::id,
            &p,
            Option::<NaiveDateTime>::decode,
        )
        .unwrap();
        let sql = debug_query::<Sqlite, _>(&q).to_string();
        assert!(
            sql.contains("WHERE (`articles`.`published_at` > ? OR (`articles`.`published_at` = ? AND `articles`.`id` > ?)) ORDER BY `articles`.`published_at` ASC, `articles`.`id` ASC"),
            "{sql}"
        );
        assert!(sql.contains("2024-05-31T12:00:00"), "{sql}");
    }

    #[test]
    fn pages_use_an_offset_and_no_seek() {
        let q = places::table.select(places::id).into_boxed::<Pg>();
        let q = seek_and_order(
            q,
            places::rank_order,
            places::id,
            &params("rank", None, Some("3")),
            i32::decode,
        )
        .unwrap();
        let sql = debug_query::<Pg, _>(&q).to_string();
        assert!(
            sql.contains(
                r#"ORDER BY "places"."rank_order" ASC, "places"."id" ASC LIMIT $1 OFFSET $2"#
            ),
            "{sql}"
        );
        assert!(sql.contains("binds: [11, 20]"), "{sql}");
    }

    #[test]
    fn a_cursor_key_of_the_wrong_type_is_a_bad_cursor() {
        let c = CursorKey {
            sort: "rank".into(),
            key: Value::from(i64::MAX),
            id: 1,
        };
        assert!(i32::decode(&c).is_err());
        assert!(String::decode(&c).is_err());
        assert!(NaiveDateTime::decode(&c).is_err());
        assert_eq!(Option::<NaiveDateTime>::None.encode(), Value::Null);
    }
}
