//! Top tourist sites: the place core plus category, rank, opening hours, admission.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::write::{self as pw, KindFields, PlaceWrite};
use super::{
    item, list, Ctx, Kind, KindFilters, ListPath, Place, PlaceCore, PlaceFilter, PlaceFilters,
    PlaceRow,
};
use crate::db::AnyConnection;
use crate::domain::ContentStatus;
use crate::editorial::FieldErrors;
use crate::error::AppResult;
use crate::http::list::ListQuery;
use crate::http::params::ContentItemQuery;
use crate::http::response::ListBody;
use crate::resource::PlaceKind;
use crate::resources::vocab::TouristCategory;
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

/// The tourist sites list's own filters (beside [`PlaceParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TouristSiteFilters {
    /// Category.
    #[param(value_type = Option<TouristCategory>)]
    pub category: Option<String>,
}

impl KindFilters for TouristSiteFilters {
    const SORTS: &'static [&'static str] = &["rank", "name"];
    const SORT_DOC: &'static str =
        "`rank` (default; unranked last) or `name`, and `distance` with `near` (then the default); `-` for descending.";
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview sites the public cannot see yet.",
    );
}

/// List top tourist sites
///
/// The published top tourist sites in the requested locale (`lang`, or
/// `Accept-Language`; `fallback=true` or `lang=be,ru,en` gives each one once in
/// the best locale available), in `rank` order by default (unranked sites last), or by `name`. Filter by `category`, `region`, `tag`,
/// `updated_since`, and search names and summaries with `q`. With `near` (`lat,lon`) only places within `radius_km` are kept, each with `distance_km`, nearest first unless `sort` is given; `bbox` keeps a rectangle.
///
/// Pages hold `limit` items (default 20, at most 100): follow `links.next` (or the `Link` header, or `meta.next_cursor` as `cursor`), or ask for a numbered `page`. Items leave out `description_html`, `gallery` and `translations` unless `include` names them; `fields` keeps
/// only the fields named. The same list as a GeoJSON FeatureCollection is `GET /v1/tourist-sites.geojson` (this path also answers GeoJSON to `Accept: application/geo+json`).
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews items the public cannot see yet.
#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<TouristSiteFilters>>),
    responses(
        (status = 200, description = "A page of top tourist sites", body = ListBody<TouristSite>),
    )
)]
#[get("/tourist-sites")]
pub async fn list_tourist_sites(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<TouristSiteFilters>>,
) -> AppResult<HttpResponse> {
    list::<TouristSite>(&req, &state, &query, ListPath::Json).await
}

/// Top tourist sites as GeoJSON
///
/// The list of `GET /v1/tourist-sites` as an RFC 7946 FeatureCollection: one
/// Point feature (`[lon, lat]`) per place, the item's fields as `properties`
/// (`fields` and `include` apply), and paging as the foreign members `meta`
/// and `links` and in the `Link` header. Places without a location are left
/// out. Same parameters, sort, paging and caching as the JSON list.
#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<TouristSiteFilters>>),
    responses(
        (status = 200, description = "A page of top tourist sites as a GeoJSON FeatureCollection", body = super::geojson::FeatureCollection, content_type = "application/geo+json"),
    )
)]
#[get("/tourist-sites.geojson")]
pub async fn list_tourist_sites_geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<TouristSiteFilters>>,
) -> AppResult<HttpResponse> {
    list::<TouristSite>(&req, &state, &query, ListPath::GeoJson).await
}

/// Get a tourist site
///
/// One published tourist site by numeric id or by its slug in the requested
/// locale, with every field (`description_html`, `gallery` where the kind has
/// one, and `translations`, the same item in the other locales); `fields` keeps
/// only the fields named. With `Accept: application/ld+json` the answer is
/// its schema.org `TouristAttraction` (address, geo, opening hours), for search engines (schema `JsonLd`).
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews a tourist site the public cannot see yet.
#[utoipa::path(
    tag = "places",
    params(("id" = String, Path, description = "Id, or slug in the requested locale", example = "mir-castle"), ContentItemQuery),
    responses(
        (status = 200, description = "The tourist site", body = TouristSite),
        (status = 404, description = "No such tourist site (or not visible without a key)"),
    )
)]
#[get("/tourist-sites/{id}")]
pub async fn get_tourist_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    item::<TouristSite>(&req, &state, &path, &query).await
}

/// The body of tourist site writes. Every field is optional in a PATCH (a
/// merge patch onto the stored site); POST needs `slug` and `name`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = TouristSiteWrite)]
pub struct TouristSiteFields {
    /// Synonym of `publication_status`.
    pub status: Option<ContentStatus>,
    pub category: Option<TouristCategory>,
    /// Position in the top list, 1-1000, or null for unranked.
    pub rank: Option<i32>,
    /// Up to 500 characters.
    pub opening_hours: Option<String>,
    /// Up to 500 characters.
    pub admission: Option<String>,
}

pub type TouristSiteWrite = PlaceWrite<TouristSiteFields>;

pub type TouristSites = Place<TouristSite>;

impl Kind for TouristSite {
    const KIND: PlaceKind = PlaceKind::TouristSite;
    type Own = TouristSiteFields;
    type Write = TouristSiteWrite;
    type Filters = PlaceFilters<TouristSiteFilters>;

    fn shape(r: &PlaceRow, ctx: &Ctx) -> TouristSite {
        let d: TouristDetails = r.details();
        TouristSite {
            core: ctx.core(r),
            category: r.category.as_deref().and_then(TouristCategory::from_wire),
            rank: d.rank,
            opening_hours: d.opening_hours,
            admission: d.admission,
        }
    }

    fn status_synonym(own: &Self::Own) -> Option<ContentStatus> {
        own.status
    }

    fn checked(
        b: Self::Own,
        _: &mut AnyConnection,
        e: &mut FieldErrors,
        _: &str,
    ) -> AppResult<KindFields> {
        let details = TouristDetails {
            rank: pw::int_in(e, "rank", b.rank, 1..=1000),
            opening_hours: e.opt_text("opening_hours", &b.opening_hours, 500),
            admission: e.opt_text("admission", &b.admission, 500),
        };
        let mut k = KindFields::new(b.category.map(TouristCategory::as_str), &details)?;
        k.rank_order = details.rank.unwrap_or(i32::MAX);
        Ok(k)
    }

    fn filter(filters: &Self::Filters, f: &mut PlaceFilter) -> AppResult<()> {
        if let Some(c) = filters.kind.category.as_deref() {
            f.category = Some(TouristCategory::parse_param("category", c)?.to_string());
        }
        Ok(())
    }
}

crate::write_routes! {
    resource = TouristSites, write = TouristSiteWrite, item = TouristSite, tag = "places",
    paths = ("/tourist-sites", "/tourist-sites/{id}"), id_doc = "Tourist site id",
    noun = "tourist site", location = "Path of the new item", deleted = "Deleted, with its terms",
    create = create_tourist_site, update = update_tourist_site, delete = delete_tourist_site,
}
