//! UNESCO World Heritage listings of Belarus: inscribed properties and the
//! Tentative List, with criteria, years, areas and the matching tourist site.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_list, run_item, run_list, Ctx, Kind, PlaceCore, PlaceRow, TouristSiteRef};
use crate::content::sections::ItemQuery;
use crate::content::vocab::{UnescoCategory, UnescoCriterion, UnescoStatus};
use crate::error::{AppResult, Problem};
use crate::http::response::ListBody;
use crate::AppState;

/// Kind fields kept in `details`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct UnescoDetails {
    pub unesco_id: Option<i32>,
    pub year_inscribed: Option<i32>,
    pub year_submitted: Option<i32>,
    #[serde(default)]
    pub transboundary: bool,
    pub area_ha: Option<f64>,
    pub buffer_zone_ha: Option<f64>,
    /// The translation group of the matching tourist site.
    pub tourist_site_group: Option<i64>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct UnescoSite {
    #[serde(flatten)]
    pub core: PlaceCore,
    /// The World Heritage List number (or the Tentative List reference).
    pub unesco_id: Option<i32>,
    pub status: Option<UnescoStatus>,
    pub category: Option<UnescoCategory>,
    /// Selection criteria, lowercase roman numerals.
    pub criteria: Vec<UnescoCriterion>,
    pub year_inscribed: Option<i32>,
    pub year_submitted: Option<i32>,
    pub transboundary: bool,
    /// ISO 3166-1 alpha-2 codes of the states sharing the property.
    pub countries: Vec<String>,
    pub area_ha: Option<f64>,
    pub buffer_zone_ha: Option<f64>,
    /// The same place among the top tourist sites, or null.
    pub tourist_site: Option<TouristSiteRef>,
}

pub fn shape(r: &PlaceRow, ctx: &Ctx) -> UnescoSite {
    let d: UnescoDetails = r.details();
    UnescoSite {
        core: ctx.core(r),
        unesco_id: d.unesco_id,
        status: r
            .listing_status
            .as_deref()
            .and_then(UnescoStatus::from_wire),
        category: r.category.as_deref().and_then(UnescoCategory::from_wire),
        criteria: ctx
            .terms(r.id, "criterion")
            .iter()
            .filter_map(|c| UnescoCriterion::from_wire(c))
            .collect(),
        year_inscribed: d.year_inscribed,
        year_submitted: d.year_submitted,
        transboundary: d.transboundary,
        countries: ctx.terms(r.id, "country"),
        area_ha: d.area_ha,
        buffer_zone_ha: d.buffer_zone_ha,
        tourist_site: d
            .tourist_site_group
            .and_then(|g| ctx.tourist_refs.get(&g).cloned()),
    }
}

place_list_query!(
    UnescoSiteListQuery,
    sort_doc = "`name` (default), and `distance` with `near` (then the default); `-` for descending.",
    sort_pattern = "^-?(name|distance)$",
    {
        /// `inscribed` or `tentative`.
        #[param(value_type = Option<UnescoStatus>)]
        status,
        /// `cultural`, `natural` or `mixed`.
        #[param(value_type = Option<UnescoCategory>)]
        category,
        /// A selection criterion (i-x); comma-separate several to require all.
        #[param(value_type = Option<UnescoCriterion>)]
        criterion,
    }
);

#[utoipa::path(
    tag = "places",
    params(UnescoSiteListQuery),
    responses(
        (status = 200, description = "UNESCO World Heritage listings: a list, or a GeoJSON FeatureCollection",
            content(
                (ListBody<UnescoSite> = "application/json"),
                (super::geojson::FeatureCollection = "application/geo+json"),
            )),
        (status = 400, description = "Unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/unesco-sites")]
pub async fn list_unesco_sites(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<UnescoSiteListQuery>,
) -> AppResult<HttpResponse> {
    let (status, category, criterion) = (
        query.status.clone(),
        query.category.clone(),
        query.criterion.clone(),
    );
    run_list(
        &req,
        &state,
        vec![Kind::UnescoSite],
        &*query,
        &["name"],
        |f| {
            if let Some(s) = status.as_deref() {
                f.listing_status = Some(UnescoStatus::parse_param("status", s)?.to_string());
            }
            if let Some(c) = category.as_deref() {
                f.category = Some(UnescoCategory::parse_param("category", c)?.to_string());
            }
            if let Some(c) = criterion.as_deref() {
                for v in parse_list("criterion", c, UnescoCriterion::parse_param)? {
                    f.terms.push(("criterion", v.to_string()));
                }
            }
            Ok(())
        },
        shape,
    )
    .await
}

#[utoipa::path(
    tag = "places",
    params(("id" = String, Path, description = "Id, or slug in the requested locale"), ItemQuery),
    responses(
        (status = 200, description = "One UNESCO listing", body = UnescoSite),
        (status = 404, description = "No such listing", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/unesco-sites/{id}")]
pub async fn get_unesco_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ItemQuery>,
) -> AppResult<HttpResponse> {
    run_item(
        &req,
        &state,
        Kind::UnescoSite,
        &path,
        query.lang.as_deref(),
        shape,
    )
    .await
}
