//! Place list and item requests: parameter parsing (geo, vocabularies, format)
//! and the shared handler flows.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;

use super::{
    context, find_place, geojson, list_places, Ctx, PlaceFilter, PlaceKind, PlaceRow,
    DEFAULT_RADIUS_KM, MAX_RADIUS_KM,
};
use crate::db;
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::geo::{BBox, Point};
use crate::http::locale::negotiate;
use crate::http::params::{is_slug, ItemRef, ListParams, RawList};
use crate::http::response;
use crate::AppState;

/// The geo and common filter parameters, as they came.
#[derive(Debug, Default, Clone)]
pub struct RawPlaceFilter<'a> {
    pub region: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub near: Option<&'a str>,
    pub radius_km: Option<&'a str>,
    pub bbox: Option<&'a str>,
}

fn parse_coord_pair(field: &str, v: &str) -> AppResult<Point> {
    let parts: Vec<&str> = v.split(',').map(str::trim).collect();
    let nums: Option<Vec<f64>> = parts
        .iter()
        .map(|p| p.parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    match nums.as_deref() {
        Some([lat, lon]) => point(field, *lat, *lon),
        _ => Err(AppError::bad_param(
            field,
            "expected `lat,lon` in decimal degrees",
        )),
    }
}

/// A point with its coordinates in range.
pub fn point(field: &str, lat: f64, lon: f64) -> AppResult<Point> {
    if !(-90.0..=90.0).contains(&lat) || !lat.is_finite() {
        return Err(AppError::bad_param(
            field,
            "latitude must be between -90 and 90",
        ));
    }
    if !(-180.0..=180.0).contains(&lon) || !lon.is_finite() {
        return Err(AppError::bad_param(
            field,
            "longitude must be between -180 and 180",
        ));
    }
    Ok(Point { lat, lon })
}

pub fn parse_radius(v: Option<&str>) -> AppResult<f64> {
    match v {
        None => Ok(DEFAULT_RADIUS_KM),
        Some(s) => s
            .trim()
            .parse::<f64>()
            .ok()
            .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_RADIUS_KM)
            .ok_or_else(|| {
                AppError::bad_param(
                    "radius_km",
                    format!("must be a number above 0 and at most {MAX_RADIUS_KM}"),
                )
            }),
    }
}

pub fn parse_bbox(v: &str) -> AppResult<BBox> {
    let nums: Option<Vec<f64>> = v
        .split(',')
        .map(|p| p.trim().parse::<f64>().ok().filter(|x| x.is_finite()))
        .collect();
    let Some([min_lon, min_lat, max_lon, max_lat]) = nums
        .as_deref()
        .map(|n| n.to_vec())
        .and_then(|n| <[f64; 4]>::try_from(n).ok())
    else {
        return Err(AppError::bad_param(
            "bbox",
            "expected `min_lon,min_lat,max_lon,max_lat`",
        ));
    };
    point("bbox", min_lat, min_lon)?;
    point("bbox", max_lat, max_lon)?;
    if min_lat > max_lat || min_lon > max_lon {
        return Err(AppError::bad_param(
            "bbox",
            "minimums must not exceed maximums",
        ));
    }
    Ok(BBox {
        min_lat,
        min_lon,
        max_lat,
        max_lon,
    })
}

/// Parses the filters every place list shares into `f`.
pub fn apply_common(
    f: &mut PlaceFilter,
    raw: &RawPlaceFilter<'_>,
    params: &ListParams,
) -> AppResult<()> {
    use crate::resources::vocab::RegionSlug;
    if let Some(r) = raw.region {
        f.region = Some(RegionSlug::parse_param("region", r)?.to_string());
    }
    if let Some(t) = raw.tag {
        if !is_slug(t) {
            return Err(AppError::bad_param(
                "tag",
                "must be a slug: lowercase letters, digits and hyphens",
            ));
        }
        f.terms.push(("tag", t.to_string()));
    }
    if raw.radius_km.is_some() && raw.near.is_none() {
        return Err(AppError::bad_param(
            "radius_km",
            "only applies together with `near`",
        ));
    }
    if let Some(n) = raw.near {
        f.area.near = Some((parse_coord_pair("near", n)?, parse_radius(raw.radius_km)?));
    }
    if let Some(b) = raw.bbox {
        f.area.bbox = Some(parse_bbox(b)?);
    }
    f.q = params.q.clone();
    f.updated_since = params.updated_since;
    Ok(())
}

/// The list's sort fields: `distance` joins when `near` is given, and becomes the
/// default sort then.
pub fn list_params(
    raw: RawList<'_>,
    near: bool,
    sorts: &[&'static str],
    default_sort: &str,
) -> AppResult<ListParams> {
    let mut all: Vec<&'static str> = sorts.to_vec();
    if near {
        all.push("distance");
    }
    let default = if near { "distance" } else { default_sort };
    ListParams::parse(raw, &all, default)
}

/// Whether the client asked for GeoJSON (`format=geojson` or `Accept: application/geo+json`).
pub fn wants_geojson(req: &HttpRequest, format: Option<&str>) -> AppResult<bool> {
    match format {
        Some("geojson") => Ok(true),
        Some("json") => Ok(false),
        Some(other) => Err(AppError::bad_param(
            "format",
            format!("unknown format `{other}`; allowed: json, geojson"),
        )),
        None => Ok(req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("application/geo+json"))),
    }
}

/// The common parameters of a place list query (implemented by `place_list_query!`).
pub trait PlaceQuery {
    fn raw(&self) -> RawList<'_>;
    fn raw_filter(&self) -> RawPlaceFilter<'_>;
    fn lang(&self) -> Option<&str>;
    fn format(&self) -> Option<&str>;
}

/// The list flow of every place kind: locale, filters, query, JSON or GeoJSON.
/// `vis` is public or an editor's preview; `sorts` are the kind's sort fields
/// (the first is the default); `extra` adds the kind's own filters; `shape` turns
/// a row into the kind's API item.
#[allow(clippy::too_many_arguments)]
pub async fn run_list<T, F>(
    req: &HttpRequest,
    state: &AppState,
    kinds: Vec<PlaceKind>,
    vis: Visibility,
    query: &impl PlaceQuery,
    sorts: &'static [&'static str],
    extra: impl FnOnce(&mut PlaceFilter) -> AppResult<()>,
    shape: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: Fn(&PlaceRow, &Ctx) -> T + Send + 'static,
{
    let locale = negotiate(req, query.lang(), &state.config)?;
    let geojson = wants_geojson(req, query.format())?;
    let raw_filter = query.raw_filter();
    let params = list_params(query.raw(), raw_filter.near.is_some(), sorts, sorts[0])?;
    let mut f = PlaceFilter {
        kinds,
        vis,
        locale: locale.clone(),
        ..Default::default()
    };
    apply_common(&mut f, &raw_filter, &params)?;
    extra(&mut f)?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let p = params.clone();
    let (page, points) = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let (page, distances) = list_places(conn, &caches, &f, &p)?;
        let mut ctx = context(conn, &caches, &page.items, &f.locale, &fallback, f.now)?;
        ctx.distances = distances;
        let points: Vec<Option<Point>> = page.items.iter().map(PlaceRow::point).collect();
        Ok((page.map(|r| shape(&r, &ctx)), points))
    })
    .await?;
    if geojson {
        return Ok(geojson::feature_collection(
            req, &locale, &params, page, points,
        ));
    }
    Ok(response::list(req, &locale, &params, page))
}

/// Runs an item lookup for a kind and renders it; `status` is an editor's
/// preview (`draft`, `published`, `archived`, `any`; needs a key).
pub async fn run_item<T, F>(
    req: &HttpRequest,
    state: &AppState,
    kind: PlaceKind,
    id: &str,
    query: &crate::http::params::ContentItemQuery,
    shape: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: Fn(&PlaceRow, &Ctx) -> T + Send + 'static,
{
    let locale = negotiate(req, query.lang.as_deref(), &state.config)?;
    let vis = crate::http::auth::visibility(req, query.status.as_deref()).await?;
    let item = ItemRef::parse(id)?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let loc = locale.clone();
    let (body, row_locale) = db::run(&state.pool, move |conn| {
        let now = db::now();
        let row = find_place(conn, kind, &item, &loc, now, vis)?;
        let ctx = context(
            conn,
            &caches,
            std::slice::from_ref(&row),
            &row.locale,
            &fallback,
            now,
        )?;
        Ok((shape(&row, &ctx), row.locale.clone()))
    })
    .await?;
    if crate::resources::jsonld::wanted(req) {
        use crate::resources::jsonld;
        let v = serde_json::to_value(&body)
            .map_err(|e| crate::error::AppError::Internal(format!("place: {e}")))?;
        let doc = jsonld::place(kind, &v, &jsonld::base_url(req));
        return Ok(jsonld::respond(&row_locale, doc));
    }
    Ok(response::json(Some(&row_locale), &body))
}

/// Parses a comma-separated list of one vocabulary into validated values (empty
/// items are an error).
pub fn parse_list(
    field: &str,
    v: &str,
    parse: fn(&str, &str) -> AppResult<&'static str>,
) -> AppResult<Vec<&'static str>> {
    v.split(',').map(|s| parse(field, s)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bbox_and_near_are_validated() {
        assert!(parse_bbox("23.1,51.2,32.8,56.2").is_ok());
        assert!(parse_bbox("23.1,51.2,32.8").is_err());
        assert!(parse_bbox("32.8,51.2,23.1,56.2").is_err(), "min above max");
        assert!(parse_bbox("23.1,-91,32.8,56.2").is_err());
        assert!(parse_coord_pair("near", "53.9,27.56").is_ok());
        assert!(parse_coord_pair("near", "95,27").is_err());
        assert!(parse_coord_pair("near", "53.9,200").is_err());
        assert!(parse_coord_pair("near", "NaN,1").is_err());
        assert!(parse_coord_pair("near", "53.9").is_err());
        assert!(parse_radius(Some("0")).is_err());
        assert!(parse_radius(Some("501")).is_err());
        assert_eq!(parse_radius(None).unwrap(), 25.0);
    }
}
