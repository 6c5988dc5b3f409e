//! The article types of the API, and how rows become them.

use std::collections::HashMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::Serialize;
use utoipa::ToSchema;

use super::model::ArticleSummaryRow;
use crate::domain::{siblings, utc, ContentStatus, Image, Translation};
use crate::http::response::rfc3339;
use crate::resources::sections::{SectionRef, SectionRow};

/// An article as lists show it (no `body_html`).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleSummary {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub translations: Vec<Translation>,
    pub section: SectionRef,
    pub title: String,
    pub lead: String,
    /// Like `MINSK, 31 May`.
    pub dateline: Option<String>,
    /// Like `BelTA`.
    pub source: Option<String>,
    pub author: Option<String>,
    pub image: Option<Image>,
    pub tags: Vec<String>,
    #[serde(serialize_with = "rfc3339::opt_instant")]
    pub published_at: Option<DateTime<Utc>>,
    /// `published` for everything the public sees; editors previewing also see `draft` and `archived`.
    pub publication_status: ContentStatus,
    pub reading_time_minutes: i32,
    #[serde(serialize_with = "rfc3339::instant")]
    pub created_at: DateTime<Utc>,
    #[serde(serialize_with = "rfc3339::instant")]
    pub updated_at: DateTime<Utc>,
}

/// An article as lists show it: the summary (without `translations` unless
/// included), plus `body_html` and `related` when asked for with `include`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ArticleListItem {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Sanitized HTML; only with `include=body_html`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub body_html: Option<String>,
    /// As on the item; only with `include=related`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub related: Option<Vec<RelatedArticle>>,
}

/// A short reference to another article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct RelatedArticle {
    pub id: i64,
    pub slug: String,
    pub title: String,
    #[serde(serialize_with = "rfc3339::opt_instant")]
    pub published_at: Option<DateTime<Utc>>,
}

/// A whole article.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Article {
    #[serde(flatten)]
    pub summary: ArticleSummary,
    /// Sanitized HTML.
    pub body_html: String,
    /// Up to four visible articles sharing the most tags (then newest), topped up from the same section.
    pub related: Vec<RelatedArticle>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub count: i64,
}

/// The archive calendar widget: published articles per Minsk day of a month.
#[derive(Debug, Serialize, ToSchema)]
pub struct ArticleCalendar {
    /// `YYYY-MM`.
    pub month: String,
    /// Always `Europe/Minsk`: days are Minsk days.
    pub timezone: String,
    /// Every day of the month, in order.
    pub days: Vec<CalendarDay>,
}

pub(super) fn summary_from_row(
    r: ArticleSummaryRow,
    all_sections: &[SectionRow],
    tags: &mut HashMap<i64, Vec<String>>,
    sibling_rows: &[(i64, i64, String, String)],
) -> ArticleSummary {
    let section = all_sections
        .iter()
        .find(|s| s.id == r.section_id)
        .map(SectionRef::from)
        .unwrap_or(SectionRef {
            id: r.section_id,
            slug: String::new(),
            title: String::new(),
        });
    let (id, c) = (r.id, r.columns);
    ArticleSummary {
        translations: siblings(sibling_rows, c.group_id, id),
        tags: tags.remove(&id).unwrap_or_default(),
        section,
        image: Image::from_column(c.image.as_deref()),
        id,
        slug: c.slug,
        locale: c.locale,
        title: c.title,
        lead: c.lead,
        dateline: c.dateline,
        source: c.source,
        author: c.author,
        published_at: c.published_at.map(utc),
        publication_status: ContentStatus::from_column(&c.status),
        reading_time_minutes: c.reading_time_minutes,
        created_at: utc(r.created_at),
        updated_at: utc(c.updated_at),
    }
}
