//! The article rows as diesel reads and writes them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::articles;

/// The columns both article rows hold: all but `id`, `body_html` (lists do
/// not read it) and `created_at` (an UPDATE keeps it).
#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleColumns {
    pub group_id: i64,
    pub locale: String,
    pub slug: String,
    pub section_id: i64,
    pub title: String,
    pub lead: String,
    pub dateline: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub image: Option<String>,
    pub reading_time_minutes: i32,
    pub status: String,
    // Read with `db::timestamp`: SQLite's text without chrono's format parser.
    #[diesel(deserialize_as = crate::db::timestamp::OptTs)]
    pub published_at: Option<NaiveDateTime>,
    #[diesel(deserialize_as = crate::db::timestamp::Ts)]
    pub updated_at: NaiveDateTime,
}

/// A stored article without its body, as lists and items read it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleSummaryRow {
    pub id: i64,
    #[diesel(embed)]
    pub columns: ArticleColumns,
    #[diesel(deserialize_as = crate::db::timestamp::Ts)]
    pub created_at: NaiveDateTime,
}

impl std::ops::Deref for ArticleSummaryRow {
    type Target = ArticleColumns;
    fn deref(&self) -> &ArticleColumns {
        &self.columns
    }
}

/// An article's row as a write (and the demo loader) stores it; an UPDATE
/// keeps `created_at`.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
pub struct ArticleForm {
    #[diesel(embed)]
    pub columns: ArticleColumns,
    pub body_html: String,
    #[diesel(skip_update)]
    pub created_at: NaiveDateTime,
}

impl std::ops::Deref for ArticleForm {
    type Target = ArticleColumns;
    fn deref(&self) -> &ArticleColumns {
        &self.columns
    }
}

/// `save_translatable_row!` names a new translation group through the form.
impl std::ops::DerefMut for ArticleForm {
    fn deref_mut(&mut self) -> &mut ArticleColumns {
        &mut self.columns
    }
}
