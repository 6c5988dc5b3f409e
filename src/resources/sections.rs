//! News sections: a small tree per locale (`news` with `opinions-interviews` and others).

pub mod write;

use std::sync::Arc;

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::cache::Caches;
use crate::db::schema::sections;
use crate::db::{self, AnyConnection};
use crate::domain::{utc, Translation};
use crate::error::{AppError, AppResult};
use crate::http::list::{ListFilters, ListQuery};
use crate::http::locale::negotiate;
use crate::http::params::ItemRef;
use crate::http::response::{self, ListBody, Page};
use crate::http::shape::Shape;
use crate::resource::SectionId;
use crate::AppState;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sections)]
pub struct SectionRow {
    pub id: i64,
    pub group_id: i64,
    pub locale: String,
    pub slug: String,
    pub parent_id: Option<i64>,
    pub title: String,
    pub description: String,
    pub position: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct SectionRef {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

impl From<&SectionRow> for SectionRef {
    fn from(r: &SectionRow) -> Self {
        SectionRef {
            id: r.id,
            slug: r.slug.clone(),
            title: r.title.clone(),
        }
    }
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Section {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub translations: Vec<Translation>,
    pub title: String,
    pub description: String,
    pub parent: Option<SectionRef>,
    pub children: Vec<SectionRef>,
    pub position: i32,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Every section of every locale (tens of rows), from the cache when fresh.
/// Writes validate against `load_fresh` instead: the cache may be up to its TTL
/// old, and must not pick up rows of a transaction that may still roll back.
pub fn load_all(conn: &mut AnyConnection, caches: &Caches) -> AppResult<Arc<Vec<SectionRow>>> {
    if let Some(all) = caches.sections() {
        return Ok(all);
    }
    let all = Arc::new(load_fresh(conn)?);
    caches.set_sections(all.clone());
    Ok(all)
}

/// Every section of every locale from the database, in the order `load_all` keeps.
pub fn load_fresh(conn: &mut AnyConnection) -> AppResult<Vec<SectionRow>> {
    Ok(sections::table
        .select(SectionRow::as_select())
        .order((sections::position.asc(), sections::id.asc()))
        .load(conn)?)
}

/// The section and all its descendants (ids), for "a section includes its subsections".
pub fn subtree_ids(all: &[SectionRow], root: i64) -> Vec<i64> {
    let mut ids = vec![root];
    let mut i = 0;
    while i < ids.len() {
        let parent = ids[i];
        ids.extend(
            all.iter()
                .filter(|s| s.parent_id == Some(parent))
                .map(|s| s.id),
        );
        i += 1;
    }
    ids
}

pub fn to_api(all: &[SectionRow], row: &SectionRow) -> Section {
    let translations = all
        .iter()
        .filter(|s| s.group_id == row.group_id && s.id != row.id)
        .map(|s| Translation {
            locale: s.locale.clone(),
            id: s.id,
            slug: s.slug.clone(),
        })
        .collect();
    Section {
        id: row.id,
        slug: row.slug.clone(),
        locale: row.locale.clone(),
        translations,
        title: row.title.clone(),
        description: row.description.clone(),
        parent: row
            .parent_id
            .and_then(|p| all.iter().find(|s| s.id == p))
            .map(SectionRef::from),
        children: all
            .iter()
            .filter(|s| s.parent_id == Some(row.id))
            .map(SectionRef::from)
            .collect(),
        position: row.position,
        created_at: utc(row.created_at),
        updated_at: utc(row.updated_at),
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SectionFilters {
    /// Only the children of this section (slug); `root` for top-level sections.
    pub parent: Option<String>,
}

impl ListFilters for SectionFilters {
    const SORTS: &'static [&'static str] = &["position", "title"];
    const DEFAULT_SORT: &'static str = "position";
    const SORT_DOC: Option<&'static str> =
        Some("`position` (default) or `title`; prefix `-` for descending.");
    const Q_DOC: Option<&'static str> = Some("Text to find in the title or description.");
    const UPDATED_SINCE_DOC: Option<&'static str> =
        Some("Only sections changed at or after this instant.");
    const INCLUDE: &'static [&'static str] = &["translations"];
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ItemQuery {
    /// Locale in which a slug is looked up and the response is given.
    pub lang: Option<String>,
    /// Only these fields of the section (`id` always), comma-separated, like
    /// `fields=id,title`. An unknown field is a 400 listing the allowed ones.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["id", "title"]))]
    pub fields: Option<String>,
}

/// List sections
///
/// The news sections in the requested locale, in editorial order (`position`, the
/// default) or by `title`; `parent` keeps the children of one section. Items
/// leave out `translations` unless `include` asks for it. Public and cacheable.
#[utoipa::path(
    tag = "news",
    params(ListQuery<SectionFilters>),
    responses(
        (status = 200, description = "News sections in the requested locale", body = ListBody<Section>),
    )
)]
#[get("/sections")]
pub async fn list_sections(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<SectionFilters>,
) -> AppResult<HttpResponse> {
    let locale = negotiate(&req, query.common.lang.as_deref(), &state.config)?;
    let params = query.params()?;
    let caches = state.caches.clone();
    let all = db::run(&state.pool, move |c| load_all(c, &caches)).await?;
    let parent_filter = match query.filters.parent.as_deref() {
        None => None,
        Some("root") => Some(None),
        Some(slug) => {
            let p = all
                .iter()
                .find(|s| s.locale == locale && s.slug == slug)
                .ok_or_else(|| AppError::bad_param("parent", format!("no section `{slug}`")))?;
            Some(Some(p.id))
        }
    };
    let text = params.q.as_ref().map(|t| t.to_lowercase());
    let mut rows: Vec<&SectionRow> = all
        .iter()
        .filter(|s| s.locale == locale)
        .filter(|s| parent_filter.is_none_or(|p| s.parent_id == p))
        .filter(|s| params.updated_since.is_none_or(|t| s.updated_at >= t))
        .filter(|s| {
            text.as_ref().is_none_or(|t| {
                s.title.to_lowercase().contains(t) || s.description.to_lowercase().contains(t)
            })
        })
        .collect();
    if params.sort.field == "title" {
        rows.sort_by(|a, b| a.title.cmp(&b.title).then(a.id.cmp(&b.id)));
    }
    let items: Vec<Section> = rows.into_iter().map(|r| to_api(&all, r)).collect();
    let page = Page::from_sorted(items, &params);
    Ok(response::list(&req, &locale, &params, page))
}

/// Get a section
///
/// One news section by numeric id or slug, with its parent and children. Public
/// and cacheable.
#[utoipa::path(
    tag = "news",
    params(("id" = String, Path, description = "Section id or slug"), ItemQuery),
    responses(
        (status = 200, description = "One section with its parent and children", body = Section),
        (status = 404, description = "No such section"),
    )
)]
#[get("/sections/{id}")]
pub async fn get_section(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ItemQuery>,
) -> AppResult<HttpResponse> {
    let locale = negotiate(&req, query.lang.as_deref(), &state.config)?;
    let shape = Shape::parse(query.fields.as_deref(), None, &[])?;
    shape.check::<Section>()?;
    let item = ItemRef::<SectionId>::parse(&path)?;
    let caches = state.caches.clone();
    let all = db::run(&state.pool, move |c| load_all(c, &caches)).await?;
    let row = all
        .iter()
        .find(|s| match &item {
            ItemRef::Id(id) => s.id == id.get(),
            ItemRef::Slug(slug) => s.locale == locale && &s.slug == slug,
        })
        .ok_or_else(|| AppError::not_found("no such section"))?;
    let id = SectionId::from(row.id);
    let own = db::run(&state.pool, move |c| {
        crate::editorial::own_version::<write::Sections>(c, id)
    })
    .await?;
    let section = to_api(&all, row);
    if shape.fields.is_none() {
        return Ok(response::item(Some(&row.locale), &section, &own));
    }
    let body = shape
        .value(&section)
        .ok_or_else(|| AppError::Internal("section: serialization failed".into()))?;
    Ok(response::item(Some(&row.locale), &body, &own))
}
