//! Writing articles: POST, PATCH (JSON Merge Patch), DELETE, and revisions.

mod revisions;
pub use revisions::{list_article_revisions, Revision, RevisionQuery};

use actix_web::{delete, patch, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::model::ArticleSummaryRow;
pub use super::model::{ArticleColumns, ArticleForm};
use super::{find_article, Article};
use crate::db::schema::{article_revisions, article_tags, articles, sections as sections_t};
use crate::db::{self, AnyConnection};
use crate::domain::{reading_time_minutes, ContentStatus, ImageWrite, Visibility};
use crate::editorial::common;
use crate::editorial::fields::{self, Publication};
use crate::editorial::{FieldErrors, ItemMeta, Representation, Resource, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::http::params::ItemRef;
use crate::resource::{ArticleId, ResourceType, SectionId};

/// The body of article writes. Every field is optional in a PATCH (a merge
/// patch onto the stored article); POST needs `slug`, `section` and `title`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ArticleWrite {
    /// Unique per locale: lowercase letters, digits and hyphens, with a letter.
    pub slug: Option<String>,
    /// A configured locale; defaults to the default locale.
    pub locale: Option<String>,
    /// The id of an article in another locale this one translates.
    pub translation_of: Option<i64>,
    /// The section's slug (in the article's locale).
    pub section: Option<String>,
    /// 1-300 characters.
    pub title: Option<String>,
    pub lead: Option<String>,
    /// HTML; sanitized on write (allow-listed tags and attributes).
    pub body_html: Option<String>,
    pub dateline: Option<String>,
    pub source: Option<String>,
    pub author: Option<String>,
    pub image: Option<ImageWrite>,
    pub tags: Option<Vec<String>>,
    /// `draft` (default), `published` or `archived`.
    pub publication_status: Option<ContentStatus>,
    /// Synonym of `publication_status`.
    pub status: Option<ContentStatus>,
    /// RFC 3339; defaults to now when published. A future instant schedules the article.
    pub published_at: Option<DateTime<FixedOffset>>,
}

/// The section named `slug` in `locale` (`section` is required; errors go to `e`).
fn section_in_locale(
    conn: &mut AnyConnection,
    e: &mut FieldErrors,
    slug: Option<&str>,
    locale: &str,
) -> AppResult<SectionId> {
    let Some(s) = slug else {
        e.add("section", "is required");
        return Ok(SectionId(0));
    };
    let found: Option<i64> = sections_t::table
        .filter(sections_t::locale.eq(locale))
        .filter(sections_t::slug.eq(s))
        .select(sections_t::id)
        .first(conn)
        .optional()?;
    Ok(SectionId(found.unwrap_or_else(|| {
        e.add("section", format!("no section `{s}` in locale `{locale}`"));
        0
    })))
}

/// An article's stored writable columns, as `load_write` reads them.
#[derive(Queryable)]
struct StoredArticle {
    slug: String,
    locale: String,
    section: String,
    title: String,
    lead: String,
    body_html: String,
    dateline: Option<String>,
    source: Option<String>,
    author: Option<String>,
    image: Option<String>,
    status: String,
    published_at: Option<NaiveDateTime>,
}

impl StoredArticle {
    /// The write shape of the stored article with its `tags` (sorted).
    fn into_write(self, tags: Vec<String>) -> ArticleWrite {
        let a = self;
        ArticleWrite {
            slug: Some(a.slug),
            locale: Some(a.locale),
            translation_of: None,
            section: Some(a.section),
            title: Some(a.title),
            lead: Some(a.lead),
            body_html: Some(a.body_html),
            dateline: a.dateline,
            source: a.source,
            author: a.author,
            image: ImageWrite::from_column(a.image.as_deref()),
            tags: Some(tags),
            publication_status: Some(ContentStatus::from_column(&a.status)),
            status: None,
            published_at: common::instant(a.published_at),
        }
    }
}

/// The own version (`editorial::own_version`, the `own` part of the ETag) of
/// an article an item read has loaded: its row, its section's slug, body and
/// tags (sorted, as `load_write` reads them). The same value, without loading
/// the write shape again.
pub(super) fn own_version_of(
    row: ArticleSummaryRow,
    section: String,
    body_html: String,
    tags: Vec<String>,
) -> AppResult<String> {
    let c = row.columns;
    let write = StoredArticle {
        slug: c.slug,
        locale: c.locale,
        section,
        title: c.title,
        lead: c.lead,
        body_html,
        dateline: c.dateline,
        source: c.source,
        author: c.author,
        image: c.image,
        status: c.status,
        published_at: c.published_at,
    }
    .into_write(tags);
    // As `editorial::stored_fields`: the fields without nulls.
    match serde_json::to_value(write) {
        Ok(serde_json::Value::Object(mut m)) => {
            m.retain(|_, v| !v.is_null());
            Ok(crate::http::preconditions::own_version(&m))
        }
        Ok(_) => Err(AppError::Internal("a write body is not an object".into())),
        Err(e) => Err(AppError::Internal(format!("serialize write body: {e}"))),
    }
}

pub struct Articles;

impl Resource for Articles {
    const TYPE: ResourceType = ResourceType::Article;
    const READ_ONLY: &'static [&'static str] = &[
        "id",
        "translations",
        "created_at",
        "updated_at",
        "reading_time_minutes",
        "related",
    ];
    const SYNONYMS: &'static [(&'static str, &'static str)] = &[("status", "publication_status")];
    type Write = ArticleWrite;
    type Id = ArticleId;

    fn load_write(conn: &mut AnyConnection, id: ArticleId) -> AppResult<ArticleWrite> {
        let id = id.get();
        let row: Option<StoredArticle> = articles::table
            .inner_join(sections_t::table)
            .filter(articles::id.eq(id))
            .select((
                articles::slug,
                articles::locale,
                sections_t::slug,
                articles::title,
                articles::lead,
                articles::body_html,
                articles::dateline,
                articles::source,
                articles::author,
                articles::image,
                articles::status,
                articles::published_at,
            ))
            .first(conn)
            .optional()?;
        let a = row.ok_or_else(|| AppError::not_found("no such article"))?;
        let tags: Vec<String> = article_tags::table
            .filter(article_tags::article_id.eq(id))
            .select(article_tags::tag)
            .order(article_tags::tag)
            .load(conn)?;
        Ok(a.into_write(tags))
    }

    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<ArticleId>,
        b: ArticleWrite,
    ) -> AppResult<ArticleId> {
        let id = id.map(ArticleId::get);
        let mut e = FieldErrors::default();
        let head = fields::head(&mut e, ctx, &b.locale, &b.slug, &b.title, 300);
        let lead = e.opt_text("lead", &b.lead, 2000).unwrap_or_default();
        let body_html = fields::html(&mut e, "body_html", &b.body_html);
        let dateline = e.opt_text("dateline", &b.dateline, 200);
        let source = e.opt_text("source", &b.source, 200);
        let author = e.opt_text("author", &b.author, 200);
        let publication = Publication {
            status: b.publication_status,
            synonym: b.status,
            published_at: b.published_at,
        };
        let tail = fields::tail(conn, &mut e, ctx, &b.image, &b.tags, publication)?;
        let section_id = section_in_locale(conn, &mut e, b.section.as_deref(), &head.locale)?;
        let group_id = crate::translation_group_in!(
            conn,
            &mut e,
            articles,
            id,
            b.translation_of,
            &head.locale,
            "article"
        );
        e.finish()?;
        let columns = ArticleColumns {
            group_id,
            locale: head.locale,
            slug: head.slug,
            section_id: section_id.get(),
            title: head.title,
            lead,
            reading_time_minutes: reading_time_minutes(&body_html),
            dateline,
            source,
            author,
            image: tail.image,
            status: tail.status,
            published_at: tail.published_at,
            updated_at: ctx.updated_at(),
        };
        let mut form = ArticleForm {
            columns,
            body_html,
            created_at: ctx.created_at(),
        };
        let new_id = crate::save_translatable_row!(conn, articles, id, form, "no such article");
        if id.is_some() {
            diesel::delete(article_tags::table.filter(article_tags::article_id.eq(new_id)))
                .execute(conn)?;
        }
        db::write::insert_article_tags(conn, new_id, &tail.tags)?;
        Ok(ArticleId(new_id))
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: ArticleId) -> AppResult<()> {
        let id = id.get();
        diesel::delete(articles::table.find(id)).execute(conn)?;
        crate::regroup_translations!(conn, articles, id);
        Ok(())
    }

    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: ArticleId,
    ) -> AppResult<Representation> {
        let a: Article = find_article(
            conn,
            &ctx.caches,
            &ItemRef::Id(id),
            "",
            ctx.now,
            Visibility::Any,
        )?;
        let s = &a.summary;
        let public = s.publication_status == ContentStatus::Published
            && s.published_at.is_some_and(|t| t.naive_utc() <= ctx.now);
        let meta = ItemMeta {
            slug: s.slug.clone(),
            locale: s.locale.clone(),
            public,
        };
        Representation::of(&a, meta)
    }

    fn scheduled_at(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: ArticleId,
    ) -> AppResult<Option<NaiveDateTime>> {
        crate::scheduled_in!(conn, ctx, articles, id.get())
    }

    fn after_save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: ArticleId,
        rep: &Representation,
    ) -> AppResult<()> {
        let id = id.get();
        let last: Option<i32> = article_revisions::table
            .filter(article_revisions::article_id.eq(id))
            .select(diesel::dsl::max(article_revisions::number))
            .first(conn)?;
        diesel::insert_into(article_revisions::table)
            .values((
                article_revisions::article_id.eq(id),
                article_revisions::number.eq(last.unwrap_or(0) + 1),
                article_revisions::key_name.eq(&ctx.caller.name),
                article_revisions::saved_at.eq(ctx.now),
                article_revisions::content.eq(String::from_utf8_lossy(&rep.bytes).into_owned()),
            ))
            .execute(conn)?;
        Ok(())
    }
}

crate::write_routes! {
    resource = Articles, write = ArticleWrite, item = Article, tag = "news",
    paths = ("/articles", "/articles/{id}"), id_doc = "Article id",
    noun = "article", location = "Path of the new article", deleted = "Deleted, with its revisions",
    create = create_article, update = update_article, delete = delete_article,
}
