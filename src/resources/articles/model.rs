//! The article rows as diesel reads them.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::articles;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = articles)]
pub struct ArticleSummaryRow {
    pub id: i64,
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
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}
