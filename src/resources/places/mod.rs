//! Places: tourist sites, UNESCO listings, sanatoria, monuments (and souvenirs,
//! stored alike without a location). The shared core: the row, filters, the list
//! engine (SQL keyset, or geo radius search in memory after an indexed bounding
//! box prefilter), GeoJSON and item lookup, and the one [`Kind`] trait with its
//! generic flows (`kind.rs`): each kind's module declares only its fields,
//! filters, shape, checks and wording; one generic handler per read serves
//! every kind (`api.rs`).

mod write;

pub mod api;
pub mod geojson;
mod index;
mod kind;
mod model;
pub mod monuments;
pub mod nearby;
mod query;
mod request;
pub mod sanatoria;
pub mod souvenirs;
pub mod tourist_sites;
pub mod unesco_sites;

pub use kind::{item, list, Kind, Place, PlaceBody, Terms};
pub use model::{
    context, context_of, regions_for, Ctx, PlaceCore, PlaceForm, PlaceRow, RegionRef,
    TouristSiteRef,
};
pub use query::{find_place, list_places, near_page_without_index, PlaceFilter};
pub use request::{
    apply_common, parse_bbox, parse_list, parse_radius, point, wants_geojson, KindFilters,
    ListPath, PlaceFilters, PlaceParams, PlaceQuery, RawPlaceFilter,
};

pub use crate::resource::PlaceKind;

/// The opt-in expansions of a place list: left out of its items by default.
pub const PLACE_INCLUDE: &[&str] = &["translations", "gallery", "description_html"];

pub const DEFAULT_RADIUS_KM: f64 = 25.0;
pub const MAX_RADIUS_KM: f64 = 500.0;
