//! RFC 7946 GeoJSON: a place list as a FeatureCollection of Points `[lon, lat]`,
//! item fields as properties, paging as foreign members (`meta`, `links`) and in
//! the `Link` header. Places without a location are left out.

use actix_web::{HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::geo::Point;
use crate::http::params::ListParams;
use crate::http::response::{self, list_parts, with_link_header, ListLinks, ListMeta, Page};

pub const GEO_JSON: &str = "application/geo+json";

#[derive(Debug, Serialize, ToSchema)]
pub struct PointGeometry {
    /// Always `Point`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    /// `[lon, lat]`.
    #[schema(min_items = 2, max_items = 2)]
    pub coordinates: Vec<f64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Feature {
    /// Always `Feature`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: i64,
    pub geometry: PointGeometry,
    /// The item's fields, as in the JSON list (`fields` and `include` apply).
    #[schema(value_type = Object)]
    pub properties: crate::http::shape::Fields,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct FeatureCollection {
    /// Always `FeatureCollection`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub features: Vec<Feature>,
    /// Paging of the underlying list (a foreign member).
    pub meta: ListMeta,
    pub links: ListLinks,
}

/// A page as a FeatureCollection: each item's properties in the list's shape
/// (`fields`, `include`; an unknown field is a 400).
pub fn feature_collection<T: Serialize + ToSchema + 'static>(
    req: &HttpRequest,
    locale: &str,
    params: &ListParams,
    page: Page<T>,
    points: Vec<Option<Point>>,
) -> HttpResponse {
    if let Err(e) = params.shape.check::<T>() {
        return actix_web::ResponseError::error_response(&e);
    }
    let (meta, links, link) = list_parts(req, params, &page);
    let features = page
        .items
        .iter()
        .zip(points)
        .filter_map(|(item, p)| {
            let p = p?;
            let properties = params.shape.value(item)?;
            let id = properties
                .get("id")
                .and_then(|v| v.get().parse::<i64>().ok())
                .unwrap_or_default();
            Some(Feature {
                kind: "Feature",
                id,
                geometry: PointGeometry {
                    kind: "Point",
                    coordinates: vec![p.lon, p.lat],
                },
                properties,
            })
        })
        .collect();
    let body = FeatureCollection {
        kind: "FeatureCollection",
        features,
        meta,
        links,
    };
    let res = response::typed(
        GEO_JSON,
        locale,
        serde_json::to_vec(&body).unwrap_or_default(),
    );
    with_link_header(res, link)
}
