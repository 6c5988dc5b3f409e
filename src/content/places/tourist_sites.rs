//! Top tourist sites: the place core plus category, rank, opening hours, admission.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{run_item, run_list, Ctx, Kind, PlaceCore, PlaceRow};
use crate::content::sections::ItemQuery;
use crate::content::vocab::TouristCategory;
use crate::error::{AppResult, Problem};
use crate::http::response::ListBody;
use crate::AppState;

/// Kind fields kept in `details`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct TouristDetails {
    pub rank: Option<i32>,
    pub opening_hours: Option<String>,
    pub admission: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TouristSite {
    #[serde(flatten)]
    pub core: PlaceCore,
    pub category: Option<TouristCategory>,
    /// Position in the top list, or null.
    pub rank: Option<i32>,
    pub opening_hours: Option<String>,
    pub admission: Option<String>,
}

pub fn shape(r: &PlaceRow, ctx: &Ctx) -> TouristSite {
    let d: TouristDetails = r.details();
    TouristSite {
        core: ctx.core(r),
        category: r.category.as_deref().and_then(TouristCategory::from_wire),
        rank: d.rank,
        opening_hours: d.opening_hours,
        admission: d.admission,
    }
}

place_list_query!(
    TouristSiteListQuery,
    sort_doc = "`rank` (default; unranked last) or `name`, and `distance` with `near` (then the default); `-` for descending.",
    sort_pattern = "^-?(rank|name|distance)$",
    {
        /// Category.
        #[param(value_type = Option<TouristCategory>)]
        category,
    }
);

#[utoipa::path(
    tag = "places",
    params(TouristSiteListQuery),
    responses(
        (status = 200, description = "Top tourist sites: a list, or a GeoJSON FeatureCollection with `format=geojson` or `Accept: application/geo+json`",
            content(
                (ListBody<TouristSite> = "application/json"),
                (super::geojson::FeatureCollection = "application/geo+json"),
            )),
        (status = 400, description = "Unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tourist-sites")]
pub async fn list_tourist_sites(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<TouristSiteListQuery>,
) -> AppResult<HttpResponse> {
    let category = query.category.clone();
    run_list(
        &req,
        &state,
        vec![Kind::TouristSite],
        &*query,
        &["rank", "name"],
        |f| {
            if let Some(c) = category.as_deref() {
                f.category = Some(TouristCategory::parse_param("category", c)?.to_string());
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
        (status = 200, description = "One tourist site", body = TouristSite),
        (status = 404, description = "No such tourist site", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/tourist-sites/{id}")]
pub async fn get_tourist_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ItemQuery>,
) -> AppResult<HttpResponse> {
    run_item(
        &req,
        &state,
        Kind::TouristSite,
        &path,
        query.lang.as_deref(),
        shape,
    )
    .await
}
