//! Places: tourist sites, UNESCO listings, sanatoria, monuments (and souvenirs,
//! stored alike without a location). The shared core: the row, filters, the list
//! engine (SQL keyset, or geo radius search in memory after an indexed bounding
//! box prefilter), GeoJSON and item lookup. Each kind's module adds its fields.

/// Defines a place list's query struct: the parameters every place list takes
/// (paging, sort, q, updated_since, region, tag, geo, format, lang) plus the
/// kind's own filters, all as strings validated later into 400s that name the field.
macro_rules! place_list_query {
    ($name:ident, sort_doc = $sort_doc:literal, sort_pattern = $pat:literal, { $($(#[$m:meta])* $field:ident),* $(,)? }) => {
        #[derive(serde::Deserialize, utoipa::IntoParams)]
        #[serde(deny_unknown_fields)]
        #[into_params(parameter_in = Query)]
        pub struct $name {
            /// Page size, 1-100 (default 20).
            #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
            pub limit: Option<String>,
            /// Opaque cursor from `meta.next_cursor`.
            pub cursor: Option<String>,
            /// 1-based page number (not with `cursor`).
            #[param(value_type = Option<i64>, minimum = 1)]
            pub page: Option<String>,
            #[doc = $sort_doc]
            #[param(pattern = $pat)]
            pub sort: Option<String>,
            /// Text to find in the name or summary.
            pub q: Option<String>,
            /// Only places changed at or after this instant (RFC 3339).
            #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
            pub updated_since: Option<String>,
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
            /// Response locale (`be`, `ru`, `en`).
            pub lang: Option<String>,
            $($(#[$m])* pub $field: Option<String>,)*
        }

        impl $crate::resources::places::PlaceQuery for $name {
            fn raw(&self) -> $crate::http::params::RawList<'_> {
                $crate::http::params::RawList {
                    limit: self.limit.as_deref(),
                    cursor: self.cursor.as_deref(),
                    page: self.page.as_deref(),
                    sort: self.sort.as_deref(),
                    q: self.q.as_deref(),
                    updated_since: self.updated_since.as_deref(),
                }
            }
            fn raw_filter(&self) -> $crate::resources::places::RawPlaceFilter<'_> {
                $crate::resources::places::RawPlaceFilter {
                    region: self.region.as_deref(),
                    tag: self.tag.as_deref(),
                    near: self.near.as_deref(),
                    radius_km: self.radius_km.as_deref(),
                    bbox: self.bbox.as_deref(),
                }
            }
            fn lang(&self) -> Option<&str> {
                self.lang.as_deref()
            }
            fn format(&self) -> Option<&str> {
                self.format.as_deref()
            }
        }
    };
}

// Before the kinds, which use `place_write_body!` and `place_write_handlers!`.
mod write;

pub mod geojson;
mod model;
pub mod monuments;
pub mod nearby;
mod query;
mod request;
pub mod sanatoria;
pub mod souvenirs;
pub mod tourist_sites;
pub mod unesco_sites;

pub use model::{context, regions_for, Ctx, PlaceCore, PlaceRow, RegionRef, TouristSiteRef};
pub use query::{find_place, list_places, page_candidates, Candidate, PlaceFilter};
pub use request::{
    apply_common, list_params, parse_bbox, parse_list, parse_radius, point, run_item, run_list,
    wants_geojson, PlaceQuery, RawPlaceFilter,
};

pub use crate::resource::PlaceKind;

pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 500.0;
