//! Place list and item requests: parameter parsing (geo, vocabularies, format)
//! (the flows that use them are in `kind.rs`).

use actix_web::http::header;
use actix_web::HttpRequest;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::IntoParams;

use super::{PlaceFilter, DEFAULT_RADIUS_KM, MAX_RADIUS_KM};
use crate::error::{AppError, AppResult};
use crate::geo::{BBox, Point};
use crate::http::list::{from_pairs, ListFilters};
use crate::http::params::{is_slug, ListParams};

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

/// Which path a place list was asked at: its JSON path, which also answers
/// GeoJSON on request, or its `.geojson` path, which always does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListPath {
    Json,
    GeoJson,
}

/// Whether the client asked for GeoJSON (the `.geojson` path, `format=geojson`
/// or `Accept: application/geo+json`).
pub fn wants_geojson(req: &HttpRequest, format: Option<&str>, path: ListPath) -> AppResult<bool> {
    if path == ListPath::GeoJson {
        return match format {
            None | Some("geojson") => Ok(true),
            Some(other) => Err(AppError::bad_param(
                "format",
                format!("`{other}`: a `.geojson` path always answers GeoJSON; leave `format` out"),
            )),
        };
    }
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

/// The filters every located place list takes (all but souvenirs).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PlaceParams {
    /// Region slug.
    #[param(value_type = Option<crate::resources::vocab::RegionSlug>)]
    pub region: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
    /// `lat,lon`: keeps places within `radius_km`, adds `distance_km`, and sorts by distance unless `sort` is given.
    #[param(example = "53.9006,27.5590")]
    pub near: Option<String>,
    /// Radius around `near` in km (default 25, at most 500).
    #[param(value_type = Option<f64>, minimum = 0, maximum = 500)]
    pub radius_km: Option<String>,
    /// `min_lon,min_lat,max_lon,max_lat` in decimal degrees.
    #[param(example = "23.1,51.2,32.8,56.2")]
    pub bbox: Option<String>,
    /// `json` (default) or `geojson` (the same as `Accept: application/geo+json`).
    #[param(pattern = "^(json|geojson)$")]
    pub format: Option<String>,
}

/// A place kind's own list filters, and its sorts.
pub trait KindFilters: DeserializeOwned + IntoParams {
    /// The kind's sort fields; the first is the default.
    const SORTS: &'static [&'static str] = &["name"];
    const SORT_DOC: &'static str =
        "`name` (default), and `distance` with `near` (then the default); `-` for descending.";
    /// The editor preview `status`; `None` where `status` is the kind's own filter.
    const STATUS_DOC: Option<&'static str>;
}

/// The filters of a located place list: the shared [`PlaceParams`] and the kind's own `K`.
/// (Read by `from_pairs`, which splits the pairs itself: serde's `flatten` would
/// lose `deny_unknown_fields`; the derive only satisfies `ListFilters`' bound.)
#[derive(Debug, Deserialize)]
#[serde(bound = "K: DeserializeOwned")]
pub struct PlaceFilters<K> {
    #[serde(flatten)]
    pub place: PlaceParams,
    #[serde(flatten)]
    pub kind: K,
}

impl<K: KindFilters + 'static> ListFilters for PlaceFilters<K> {
    const SORTS: &'static [&'static str] = K::SORTS;
    const DEFAULT_SORT: &'static str = K::SORTS[0];
    const SORT_DOC: Option<&'static str> = Some(K::SORT_DOC);
    const Q_DOC: Option<&'static str> = Some("Text to find in the name or summary.");
    const UPDATED_SINCE_DOC: Option<&'static str> =
        Some("Only places changed at or after this instant (RFC 3339).");
    const STATUS_DOC: Option<&'static str> = K::STATUS_DOC;
    const INCLUDE: &'static [&'static str] = super::PLACE_INCLUDE;
    const FALLBACK: bool = true;

    fn near(&self) -> bool {
        self.place.near.is_some()
    }

    fn from_pairs(pairs: Vec<(String, String)>) -> AppResult<Self> {
        let shared: Vec<String> = PlaceParams::into_params(|| Some(ParameterIn::Query))
            .into_iter()
            .map(|p| p.name)
            .collect();
        let (place, kind): (Vec<_>, Vec<_>) =
            pairs.into_iter().partition(|(k, _)| shared.contains(k));
        Ok(PlaceFilters {
            place: from_pairs(place)?,
            kind: from_pairs(kind)?,
        })
    }
}

impl<K: KindFilters> IntoParams for PlaceFilters<K> {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let mut params = PlaceParams::into_params(&parameter_in);
        params.extend(K::into_params(&parameter_in));
        params
    }
}

/// What the shared place list flow reads from a list's filters.
pub trait PlaceQuery {
    fn raw_filter(&self) -> RawPlaceFilter<'_>;
    fn format(&self) -> Option<&str>;
}

impl<K> PlaceQuery for PlaceFilters<K> {
    fn raw_filter(&self) -> RawPlaceFilter<'_> {
        let p = &self.place;
        RawPlaceFilter {
            region: p.region.as_deref(),
            tag: p.tag.as_deref(),
            near: p.near.as_deref(),
            radius_km: p.radius_km.as_deref(),
            bbox: p.bbox.as_deref(),
        }
    }
    fn format(&self) -> Option<&str> {
        self.place.format.as_deref()
    }
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
