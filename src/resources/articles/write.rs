//! Writing articles: POST, PATCH (JSON Merge Patch), DELETE, and revisions.

mod revisions;
pub use revisions::{list_article_revisions, Revision, RevisionQuery};

use actix_web::{delete, patch, post};
use chrono::{DateTime, FixedOffset, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{find_article, Article};
use crate::db::schema::{article_revisions, article_tags, articles, sections as sections_t};
use crate::db::{self, AnyConnection};
use crate::domain::{reading_time_minutes, ContentStatus, ImageWrite, Visibility};
use crate::editorial::common::{self, translation_group};
use crate::editorial::{sanitize_html, FieldErrors, ItemMeta, Representation, Resource, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::http::params::ItemRef;
use crate::resource::ResourceType;

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

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = articles, treat_none_as_null = true)]
struct ArticleForm {
    group_id: i64,
    locale: String,
    slug: String,
    section_id: i64,
    title: String,
    lead: String,
    body_html: String,
    dateline: Option<String>,
    source: Option<String>,
    author: Option<String>,
    image: Option<String>,
    reading_time_minutes: i32,
    status: String,
    published_at: Option<NaiveDateTime>,
    updated_at: NaiveDateTime,
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

    fn load_write(conn: &mut AnyConnection, _ctx: &SaveCtx, id: i64) -> AppResult<ArticleWrite> {
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
        Ok(ArticleWrite {
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
        })
    }

    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<i64>,
        b: ArticleWrite,
    ) -> AppResult<i64> {
        let mut e = FieldErrors::default();
        let locale = common::locale(&mut e, ctx, &b.locale);
        let slug = e.slug("slug", &b.slug);
        let title = e.text("title", &b.title, 300);
        let lead = e.opt_text("lead", &b.lead, 2000).unwrap_or_default();
        let body_html = sanitize_html(b.body_html.as_deref().unwrap_or(""));
        if body_html.len() > 500_000 {
            e.add("body_html", "must be at most 500000 bytes");
        }
        let dateline = e.opt_text("dateline", &b.dateline, 200);
        let source = e.opt_text("source", &b.source, 200);
        let author = e.opt_text("author", &b.author, 200);
        let images = common::ImageResolver::load(conn, b.image.iter())?;
        let image = b
            .image
            .as_ref()
            .and_then(|i| images.resolve(&mut e, "image", i));
        let tags = e.tags("tags", &b.tags);
        let (status, published_at) =
            common::publication(&mut e, ctx, b.publication_status, b.status, b.published_at);
        let section_id = match b.section.as_deref() {
            None => {
                e.add("section", "is required");
                0
            }
            Some(s) => {
                let found: Option<i64> = sections_t::table
                    .filter(sections_t::locale.eq(&locale))
                    .filter(sections_t::slug.eq(s))
                    .select(sections_t::id)
                    .first(conn)
                    .optional()?;
                found.unwrap_or_else(|| {
                    e.add("section", format!("no section `{s}` in locale `{locale}`"));
                    0
                })
            }
        };
        let own_group: Option<i64> = match id {
            Some(id) => Some(
                articles::table
                    .find(id)
                    .select(articles::group_id)
                    .first(conn)?,
            ),
            None => None,
        };
        let target: Option<(i64, String)> = match b.translation_of {
            None => None,
            Some(t) => {
                let found: Option<(i64, String)> = articles::table
                    .find(t)
                    .select((articles::group_id, articles::locale))
                    .first(conn)
                    .optional()?;
                if found.is_none() {
                    e.add("translation_of", format!("no article {t}"));
                }
                found
            }
        };
        let group_id = translation_group(
            &mut e,
            target,
            |g| {
                Ok(articles::table
                    .filter(articles::group_id.eq(g))
                    .select((articles::id, articles::locale))
                    .load(conn)?)
            },
            &locale,
            id,
            own_group,
        )?;
        e.finish()?;
        let mut form = ArticleForm {
            group_id,
            locale,
            slug,
            section_id,
            title,
            lead,
            reading_time_minutes: reading_time_minutes(&body_html),
            body_html,
            dateline,
            source,
            author,
            image: common::image_column(&image),
            status,
            published_at,
            updated_at: ctx.updated_at(),
        };
        let id = match id {
            Some(id) => {
                diesel::update(articles::table.find(id))
                    .set(&form)
                    .execute(conn)?;
                diesel::delete(article_tags::table.filter(article_tags::article_id.eq(id)))
                    .execute(conn)?;
                id
            }
            None => {
                let id = common::next_id(conn, "articles")?;
                if form.group_id == 0 {
                    form.group_id = id;
                }
                diesel::insert_into(articles::table)
                    .values((
                        articles::id.eq(id),
                        &form,
                        articles::created_at.eq(ctx.created_at()),
                    ))
                    .execute(conn)?;
                id
            }
        };
        db::write::insert_article_tags(conn, id, &tags)?;
        Ok(id)
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: i64) -> AppResult<()> {
        diesel::delete(articles::table.find(id)).execute(conn)?;
        crate::regroup_translations!(conn, articles, id);
        Ok(())
    }

    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: i64,
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
        id: i64,
    ) -> AppResult<Option<NaiveDateTime>> {
        let (status, at): (String, Option<NaiveDateTime>) = articles::table
            .find(id)
            .select((articles::status, articles::published_at))
            .first(conn)?;
        Ok(at.filter(|t| status == "published" && *t > ctx.now))
    }

    fn after_save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: i64,
        rep: &Representation,
    ) -> AppResult<()> {
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
    collection = "/articles", item_path = "/articles/{id}", id_doc = "Article id",
    location = "Path of the new article",
    created = "Created; `Location` and `ETag` name the new article",
    updated = "The updated article", missing = "No such article",
    deleted = "Deleted, with its revisions",
    update_invalid = "Validation failed: one `errors` entry per field", delete_responses = [],
    create = create_article, update = update_article, delete = delete_article,
}
