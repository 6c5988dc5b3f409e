//! `/v1/nearby`: places of every kind around a point, nearest first.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{context, list_places, parse_radius, point, PlaceCore, PlaceFilter, PlaceKind};
use crate::db;
use crate::db::geo::Area;
use crate::error::{AppError, AppResult};
use crate::http::list::{ListFilters, ListQuery};
use crate::http::locale::negotiate;
use crate::http::response::{self, ListBody};
use crate::resource::ResourceType;
use crate::resources::search::parse_types;
use crate::AppState;

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NearbyPlace {
    /// The item type, as in `/v1/search` hits: `tourist_site`, `unesco_site`,
    /// `sanatorium` or `monument` (the collection is its plural path, like
    /// `/v1/unesco-sites`).
    #[serde(rename = "type")]
    #[schema(example = "unesco_site")]
    pub kind: String,
    #[serde(flatten)]
    pub core: PlaceCore,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NearbyFilters {
    /// Latitude of the centre, -90..90.
    #[param(value_type = f64, minimum = -90, maximum = 90)]
    pub lat: Option<String>,
    /// Longitude of the centre, -180..180.
    #[param(value_type = f64, minimum = -180, maximum = 180)]
    pub lon: Option<String>,
    /// Radius in km (default 25, at most 500).
    #[param(value_type = Option<f64>, minimum = 0, maximum = 500)]
    pub radius_km: Option<String>,
    /// Comma-separated item types: `tourist_site`, `unesco_site`, `sanatorium`,
    /// `monument` (default all), the words of each item's `type`, as in
    /// `/v1/search`. (The collection names, like `unesco-sites`, are accepted
    /// too.)
    #[param(example = "unesco_site,monument")]
    pub types: Option<String>,
}

impl ListFilters for NearbyFilters {
    const SORTS: &'static [&'static str] = &["distance"];
    const DEFAULT_SORT: &'static str = "distance";
    const INCLUDE: &'static [&'static str] = super::PLACE_INCLUDE;
    const PARAM_ORDER: &'static [&'static str] = &[
        "lat",
        "lon",
        "radius_km",
        "types",
        "limit",
        "cursor",
        "page",
        "lang",
    ];
}

fn coordinate(field: &str, v: Option<&str>) -> AppResult<f64> {
    v.ok_or_else(|| AppError::bad_param(field, "is required"))?
        .trim()
        .parse::<f64>()
        .ok()
        .filter(|x| x.is_finite())
        .ok_or_else(|| AppError::bad_param(field, "must be a decimal number of degrees"))
}

/// The places `/v1/nearby` finds (souvenirs have no location).
pub const NEARBY_TYPES: [ResourceType; 4] = [
    ResourceType::Place(PlaceKind::TouristSite),
    ResourceType::Place(PlaceKind::UnescoSite),
    ResourceType::Place(PlaceKind::Sanatorium),
    ResourceType::Place(PlaceKind::Monument),
];

/// Places near a point
///
/// Tourist sites, UNESCO listings, sanatoria and monuments within `radius_km`
/// (default 25, at most 500) of `lat`/`lon`, nearest first, each with its item
/// `type` (`unesco_site`, as in search) and `distance_km`. `types` keeps some
/// kinds. Pages hold `limit` items: follow `links.next` or `cursor`. Public and
/// cacheable.
#[utoipa::path(
    tag = "places",
    params(ListQuery<NearbyFilters>),
    responses(
        (status = 200, description = "Places of every kind within the radius, nearest first, each with `type` and `distance_km`", body = ListBody<NearbyPlace>),
        (status = 400, description = "Missing or out-of-range coordinates, or another bad parameter"),
    )
)]
#[get("/nearby")]
pub async fn nearby(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<NearbyFilters>,
) -> AppResult<HttpResponse> {
    let q = &query.filters;
    let locale = negotiate(&req, query.common.lang.as_deref(), &state.config)?;
    let lat = coordinate("lat", q.lat.as_deref())?;
    let lon = coordinate("lon", q.lon.as_deref())?;
    let center = point("lat", lat, lon)?;
    let radius = parse_radius(q.radius_km.as_deref())?;
    let kinds = parse_types(q.types.as_deref(), &NEARBY_TYPES)?
        .into_iter()
        .filter_map(ResourceType::place_kind)
        .collect();
    let params = query.params()?;
    let mut f = PlaceFilter {
        kinds,
        locale: locale.clone(),
        area: Area {
            bbox: None,
            near: Some((center, radius)),
        },
        ..Default::default()
    };
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let p = params.clone();
    let page = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let (page, distances) = list_places(conn, &caches, &f, &p)?;
        let mut ctx = context(conn, &caches, &page.items, &f.locale, &fallback, f.now)?;
        ctx.distances = distances;
        Ok(page.map(|r| NearbyPlace {
            kind: PlaceKind::from_type_str(&r.kind)
                .map(PlaceKind::as_str)
                .unwrap_or_default()
                .to_string(),
            core: ctx.core(&r),
        }))
    })
    .await?;
    Ok(response::list(&req, &locale, &params, page))
}
