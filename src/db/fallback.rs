//! Locale fallback: of each translation group, only the row in the first
//! locale of a preference list that the reader may see. A correlated
//! `NOT EXISTS` over the same table, so totals, keyset cursors and every other
//! filter compose with it as with any WHERE condition; portable SQL (a `CASE`
//! ranks the locales), the same on SQLite and PostgreSQL.

use chrono::NaiveDateTime;
use diesel::backend::Backend;
use diesel::expression::{is_aggregate, AppearsOnTable, Expression, ValidGrouping};
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{Bool, HasSqlType, Text, Timestamp};
use diesel::QueryResult;

use crate::domain::Visibility;

/// `NOT EXISTS (a visible sibling in an earlier preferred locale)`.
#[derive(Debug, Clone)]
pub struct BestLocale {
    /// The table (`articles`, `places`, `events`); every one has `group_id`,
    /// `locale`, `status` and `published_at`.
    table: &'static str,
    /// Siblings must also share this column (`kind` for places).
    same: Option<&'static str>,
    prefs: Vec<String>,
    vis: Visibility,
    status: String,
    now: NaiveDateTime,
}

impl BestLocale {
    pub fn new(
        table: &'static str,
        same: Option<&'static str>,
        prefs: &[String],
        vis: Visibility,
        now: NaiveDateTime,
    ) -> Self {
        let status = match vis {
            Visibility::Status(s) => s.as_str().to_string(),
            Visibility::Public => "published".to_string(),
            Visibility::Any => String::new(),
        };
        BestLocale {
            table,
            same,
            prefs: prefs.to_vec(),
            vis,
            status,
            now,
        }
    }

    /// `CASE <t>.locale WHEN $1 THEN 0 WHEN $2 THEN 1 ... ELSE n END`.
    fn rank<'b, DB>(&'b self, t: &str, out: &mut AstPass<'_, 'b, DB>) -> QueryResult<()>
    where
        DB: Backend + HasSqlType<Text>,
        String: ToSql<Text, DB>,
    {
        out.push_sql(&format!("(CASE {t}.locale"));
        for (i, l) in self.prefs.iter().enumerate() {
            out.push_sql(" WHEN ");
            out.push_bind_param::<Text, String>(l)?;
            out.push_sql(&format!(" THEN {i}"));
        }
        out.push_sql(&format!(" ELSE {} END)", self.prefs.len()));
        Ok(())
    }
}

impl QueryId for BestLocale {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Expression for BestLocale {
    type SqlType = Bool;
}

impl<QS> AppearsOnTable<QS> for BestLocale {}

impl ValidGrouping<()> for BestLocale {
    type IsAggregate = is_aggregate::Never;
}

impl<DB> QueryFragment<DB> for BestLocale
where
    DB: Backend + HasSqlType<Text> + HasSqlType<Timestamp>,
    String: ToSql<Text, DB>,
    NaiveDateTime: ToSql<Timestamp, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        let t = self.table;
        out.push_sql(&format!(
            "NOT EXISTS (SELECT 1 FROM {t} AS better WHERE better.group_id = {t}.group_id"
        ));
        if let Some(c) = self.same {
            out.push_sql(&format!(" AND better.{c} = {t}.{c}"));
        }
        match self.vis {
            Visibility::Any => {}
            Visibility::Status(_) => {
                out.push_sql(" AND better.status = ");
                out.push_bind_param::<Text, String>(&self.status)?;
            }
            Visibility::Public => {
                out.push_sql(" AND better.status = ");
                out.push_bind_param::<Text, String>(&self.status)?;
                out.push_sql(" AND better.published_at <= ");
                out.push_bind_param::<Timestamp, NaiveDateTime>(&self.now)?;
            }
        }
        out.push_sql(" AND ");
        self.rank("better", &mut out)?;
        out.push_sql(" < ");
        self.rank(t, &mut out)?;
        out.push_sql(")");
        Ok(())
    }
}
