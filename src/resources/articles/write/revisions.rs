//! An article's revisions: every saved version, newest first.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::super::Article;
use crate::db::schema::{article_revisions, articles};
use crate::db::{self, AnyConnection};
use crate::domain::utc;
use crate::editorial;
use crate::error::{AppError, AppResult};
use crate::http::auth::Editor;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::response::{self, ListBody, Page};
use crate::resource::ArticleId;
use crate::AppState;

/// One saved version of an article.
#[derive(Debug, Serialize, ToSchema)]
pub struct Revision {
    /// 1 for the first save, then consecutive.
    pub number: i32,
    pub saved_at: DateTime<Utc>,
    /// The name of the API key that saved it.
    pub saved_by: String,
    /// The article as it read right after this save.
    #[schema(value_type = Article)]
    pub article: Value,
}

/// Revisions are paged only, newest first.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RevisionFilters {}

impl ListFilters for RevisionFilters {
    const SORTS: &'static [&'static str] = &["number"];
    const DEFAULT_SORT: &'static str = "-number";
    const LANG_DOC: Option<&'static str> = None;
}

/// The query of the revision list.
pub type RevisionQuery = ListQuery<RevisionFilters>;

/// Up to `limit` revisions of article `id` from the `start`-th, newest first,
/// and how many it has (404 when there is no such article).
pub fn article_revisions(
    conn: &mut AnyConnection,
    id: i64,
    start: i64,
    limit: i64,
) -> AppResult<(Vec<Revision>, i64)> {
    let exists: i64 = articles::table
        .filter(articles::id.eq(id))
        .count()
        .get_result(conn)?;
    if exists == 0 {
        return Err(AppError::not_found("no such article"));
    }
    let total: i64 = article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .count()
        .get_result(conn)?;
    let rows: Vec<(i32, NaiveDateTime, String, String)> = article_revisions::table
        .filter(article_revisions::article_id.eq(id))
        .order(article_revisions::number.desc())
        .offset(start)
        .limit(limit)
        .select((
            article_revisions::number,
            article_revisions::saved_at,
            article_revisions::key_name,
            article_revisions::content,
        ))
        .load(conn)?;
    let revisions = rows
        .into_iter()
        .map(|(number, saved_at, saved_by, content)| Revision {
            number,
            saved_at: utc(saved_at),
            saved_by,
            article: serde_json::from_str(&content).unwrap_or(Value::Null),
        })
        .collect();
    Ok((revisions, total))
}

/// List an article's revisions
///
/// Every saved version of an article, newest first, with who saved it and when,
/// and the article as it was. Needs an editor key.
#[utoipa::path(
    tag = "news",
    params(("id" = i64, Path, description = "Article id"), RevisionQuery),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Every saved version, newest first", body = ListBody<Revision>),
        (status = 404, description = "No such article"),
    )
)]
#[get("/articles/{id}/revisions")]
pub async fn list_article_revisions(
    req: HttpRequest,
    state: web::Data<AppState>,
    _editor: Editor,
    path: web::Path<String>,
    query: RevisionQuery,
) -> AppResult<HttpResponse> {
    let id: ArticleId = editorial::write_id(&path)?;
    let params = query.params()?;
    let start = Page::<Revision>::offset_of(&params);
    let limit = params.limit + 1;
    let (rows, total) = db::run(&state.pool, move |conn| {
        article_revisions(conn, id.get(), start, limit)
    })
    .await?;
    let page = Page::from_offset_rows(rows, total, start, &params);
    Ok(response::list_in(&req, None, &params, page, None))
}
