//! Regions: fixed reference data (six regions and Minsk city), localized names.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{region_names, regions};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::http::list::{ListFilters, ListQuery};
use crate::http::locale::negotiate;
use crate::http::response::{self, ListBody, Page};
use crate::AppState;

/// A point on the map (WGS 84).
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Location {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Region {
    /// One of `brest`, `vitebsk`, `gomel`, `grodno`, `minsk-region`, `mogilev`, `minsk-city`.
    pub slug: String,
    pub name: String,
    pub capital: String,
    pub location: Location,
}

/// Regions take no filters of their own.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RegionFilters {}

impl ListFilters for RegionFilters {
    const SORTS: &'static [&'static str] = &["position", "name"];
    const DEFAULT_SORT: &'static str = "position";
    const SORT_DOC: Option<&'static str> =
        Some("`position` (default) or `name`; prefix `-` for descending.");
    const Q_DOC: Option<&'static str> = Some("Text to find in the name or capital.");
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LangQuery {
    /// Response locale (`be`, `ru`, `en`).
    pub lang: Option<String>,
}

/// All regions with names in `locale`, falling back to `fallback` per region.
pub fn load_regions(
    conn: &mut AnyConnection,
    locale: &str,
    fallback: &str,
) -> AppResult<Vec<Region>> {
    let rows: Vec<(i64, String, i32, f64, f64)> = regions::table
        .select((
            regions::id,
            regions::slug,
            regions::position,
            regions::lat,
            regions::lon,
        ))
        .order(regions::position.asc())
        .load(conn)?;
    let names: Vec<(i64, String, String, String)> = region_names::table
        .filter(region_names::locale.eq_any([locale, fallback]))
        .select((
            region_names::region_id,
            region_names::locale,
            region_names::name,
            region_names::capital,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(id, slug, _, lat, lon)| {
            let pick = names
                .iter()
                .filter(|n| n.0 == id)
                .max_by_key(|n| n.1 == locale);
            let (name, capital) = pick
                .map(|n| (n.2.clone(), n.3.clone()))
                .unwrap_or_else(|| (slug.clone(), String::new()));
            Region {
                slug,
                name,
                capital,
                location: Location { lat, lon },
            }
        })
        .collect())
}

#[utoipa::path(
    tag = "reference",
    params(ListQuery<RegionFilters>),
    responses(
        (status = 200, description = "The regions of Belarus", body = ListBody<Region>),
    )
)]
#[get("/regions")]
pub async fn list_regions(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<RegionFilters>,
) -> AppResult<HttpResponse> {
    let locale = negotiate(&req, query.common.lang.as_deref(), &state.config)?;
    let params = query.params()?;
    let fallback = state.config.default_locale.clone();
    let loc = locale.clone();
    let mut all = db::run(&state.pool, move |c| load_regions(c, &loc, &fallback)).await?;
    if let Some(text) = &params.q {
        let t = text.to_lowercase();
        all.retain(|r| r.name.to_lowercase().contains(&t) || r.capital.to_lowercase().contains(&t));
    }
    if params.sort.field == "name" {
        all.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let page = Page::from_sorted(all, &params);
    Ok(response::list(&req, &locale, &params, page))
}

#[utoipa::path(
    tag = "reference",
    params(("slug" = String, Path, description = "Region slug"), LangQuery),
    responses(
        (status = 200, description = "One region", body = Region),
        (status = 404, description = "No such region"),
    )
)]
#[get("/regions/{slug}")]
pub async fn get_region(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<LangQuery>,
) -> AppResult<HttpResponse> {
    let locale = negotiate(&req, query.lang.as_deref(), &state.config)?;
    let slug = path.into_inner();
    let fallback = state.config.default_locale.clone();
    let loc = locale.clone();
    let all = db::run(&state.pool, move |c| load_regions(c, &loc, &fallback)).await?;
    let region = all
        .into_iter()
        .find(|r| r.slug == slug)
        .ok_or_else(|| AppError::not_found(format!("no region `{slug}`")))?;
    Ok(response::json(Some(&locale), &region))
}
