//! Regions: fixed reference data (six regions and Minsk city), localized names.

use actix_web::{get, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::db::schema::{region_names, regions};
use crate::db::{self, AnyConnection};
use crate::domain::fold::fold;
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
    /// Other names of the region in any script (`Hrodna`, `Гродно`, `Grodno Oblast`):
    /// `q` finds a region by these too.
    pub aliases: Vec<String>,
    /// Names and capitals in the other locales: found by `q`, not shown.
    #[serde(skip)]
    pub other_names: Vec<String>,
}

impl Region {
    /// Whether `q` (folded: any script, no diacritics) is in the name, the capital
    /// or an alias.
    fn matches(&self, folded_q: &str) -> bool {
        std::iter::once(&self.name)
            .chain(std::iter::once(&self.capital))
            .chain(&self.aliases)
            .chain(&self.other_names)
            .any(|n| fold(n).contains(folded_q))
    }
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
    const Q_DOC: Option<&'static str> =
        Some("Text to find in the name, capital or aliases, in any script (`Hrodna` finds Grodno Region).");
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
            let mine = || names.iter().filter(|n| n.0 == id);
            let pick = mine()
                .filter(|n| n.1 == locale || n.1 == fallback)
                .max_by_key(|n| n.1 == locale);
            let (name, capital) = pick
                .map(|n| (n.2.clone(), n.3.clone()))
                .unwrap_or_else(|| (slug.clone(), String::new()));
            let other_names = mine()
                .filter(|n| n.1 != locale)
                .flat_map(|n| [n.2.clone(), n.3.clone()])
                .collect();
            Region {
                aliases: crate::demo::region_aliases(&slug).to_vec(),
                slug,
                name,
                capital,
                location: Location { lat, lon },
                other_names,
            }
        })
        .collect())
}

/// List regions
///
/// The six regions (oblasts) of Belarus and the city of Minsk, in their usual
/// order (`position`, the default) or by `name`, in the requested locale, each
/// with its capital, centre point and aliases. Public and cacheable; one page
/// holds them all.
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
        let t = fold(text);
        all.retain(|r| r.matches(&t));
    }
    if params.sort.field == "name" {
        all.sort_by(|a, b| a.name.cmp(&b.name));
    }
    let page = Page::from_sorted(all, &params);
    Ok(response::list(&req, &locale, &params, page))
}

/// Get a region
///
/// One region by its slug (`grodno`, `minsk-city`, ...), in the requested locale.
/// Public and cacheable.
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
