//! Great Patriotic War monuments and memorials.

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
use crate::resources::vocab::MonumentKind;
use crate::AppState;

/// Kind fields kept in `details`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct MonumentDetails {
    pub year_unveiled: Option<i32>,
    pub commemorates: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Monument {
    #[serde(flatten)]
    pub core: PlaceCore,
    pub kind: Option<MonumentKind>,
    pub year_unveiled: Option<i32>,
    /// Whom or what the monument commemorates.
    pub commemorates: Option<String>,
}

/// The monuments list's own filters (beside [`PlaceParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonumentFilters {
    /// Kind of monument (the monuments' category).
    #[param(value_type = Option<MonumentKind>)]
    pub kind: Option<String>,
}

impl KindFilters for MonumentFilters {
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview monuments the public cannot see yet.",
    );
}

/// List war monuments
///
/// The published Great Patriotic War monuments and memorials in the requested locale (`lang`, or
/// `Accept-Language`; `fallback=true` or `lang=be,ru,en` gives each one once in
/// the best locale available), by `name`. Filter by `kind`, `region`, `tag`,
/// `updated_since`, and search names and summaries with `q`. With `near` (`lat,lon`) only places within `radius_km` are kept, each with `distance_km`, nearest first unless `sort` is given; `bbox` keeps a rectangle.
///
/// Pages hold `limit` items (default 20, at most 100): follow `links.next` (or the `Link` header, or `meta.next_cursor` as `cursor`), or ask for a numbered `page`. Items leave out `description_html`, `gallery` and `translations` unless `include` names them; `fields` keeps
/// only the fields named. The same list as a GeoJSON FeatureCollection is `GET /v1/monuments.geojson` (this path also answers GeoJSON to `Accept: application/geo+json`).
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews items the public cannot see yet.
#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<MonumentFilters>>),
    responses(
        (status = 200, description = "A page of Great Patriotic War monuments and memorials", body = ListBody<Monument>),
    )
)]
#[get("/monuments")]
pub async fn list_monuments(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<MonumentFilters>>,
) -> AppResult<HttpResponse> {
    list::<Monument>(&req, &state, &query, ListPath::Json).await
}

/// War monuments as GeoJSON
///
/// The list of `GET /v1/monuments` as an RFC 7946 FeatureCollection: one
/// Point feature (`[lon, lat]`) per place, the item's fields as `properties`
/// (`fields` and `include` apply), and paging as the foreign members `meta`
/// and `links` and in the `Link` header. Places without a location are left
/// out. Same parameters, sort, paging and caching as the JSON list.
#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<MonumentFilters>>),
    responses(
        (status = 200, description = "A page of Great Patriotic War monuments and memorials as a GeoJSON FeatureCollection", body = super::geojson::FeatureCollection, content_type = "application/geo+json"),
    )
)]
#[get("/monuments.geojson")]
pub async fn list_monuments_geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<MonumentFilters>>,
) -> AppResult<HttpResponse> {
    list::<Monument>(&req, &state, &query, ListPath::GeoJson).await
}

/// Get a monument
///
/// One published monument by numeric id or by its slug in the requested
/// locale, with every field (`description_html`, `gallery` where the kind has
/// one, and `translations`, the same item in the other locales); `fields` keeps
/// only the fields named. With `Accept: application/ld+json` the answer is
/// its schema.org form (`TouristAttraction` and `LandmarksOrHistoricalBuildings`, address, geo), for search engines (schema `JsonLd`).
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews a monument the public cannot see yet.
#[utoipa::path(
    tag = "places",
    params(("id" = String, Path, description = "Id, or slug in the requested locale", example = "brest-fortress-memorial"), ContentItemQuery),
    responses(
        (status = 200, description = "The monument", body = Monument),
        (status = 404, description = "No such monument (or not visible without a key)"),
    )
)]
#[get("/monuments/{id}")]
pub async fn get_monument(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    item::<Monument>(&req, &state, &path, &query).await
}

/// The body of monument writes. Every field is optional in a PATCH (a merge
/// patch onto the stored monument); POST needs `slug` and `name`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = MonumentWrite)]
pub struct MonumentFields {
    /// Synonym of `publication_status`.
    pub status: Option<ContentStatus>,
    pub kind: Option<MonumentKind>,
    /// 1000-2100.
    pub year_unveiled: Option<i32>,
    /// Whom or what the monument commemorates, up to 1000 characters.
    pub commemorates: Option<String>,
}

pub type MonumentWrite = PlaceWrite<MonumentFields>;

pub type Monuments = Place<Monument>;

impl Kind for Monument {
    const KIND: PlaceKind = PlaceKind::Monument;
    type Own = MonumentFields;
    type Write = MonumentWrite;
    type Filters = PlaceFilters<MonumentFilters>;

    fn shape(r: &PlaceRow, ctx: &Ctx) -> Monument {
        let d: MonumentDetails = r.details();
        Monument {
            core: ctx.core(r),
            kind: r.category.as_deref().and_then(MonumentKind::from_wire),
            year_unveiled: d.year_unveiled,
            commemorates: d.commemorates,
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
        let details = MonumentDetails {
            year_unveiled: pw::int_in(e, "year_unveiled", b.year_unveiled, 1000..=2100),
            commemorates: e.opt_text("commemorates", &b.commemorates, 1000),
        };
        KindFields::new(b.kind.map(MonumentKind::as_str), &details)
    }

    fn filter(filters: &Self::Filters, f: &mut PlaceFilter) -> AppResult<()> {
        if let Some(k) = filters.kind.kind.as_deref() {
            f.category = Some(MonumentKind::parse_param("kind", k)?.to_string());
        }
        Ok(())
    }
}

crate::write_routes! {
    resource = Monuments, write = MonumentWrite, item = Monument, tag = "places",
    paths = ("/monuments", "/monuments/{id}"), id_doc = "Monument id",
    noun = "monument", location = "Path of the new item", deleted = "Deleted, with its terms",
    create = create_monument, update = update_monument, delete = delete_monument,
}
