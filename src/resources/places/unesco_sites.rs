//! UNESCO World Heritage listings of Belarus: inscribed properties and the
//! Tentative List, with criteria, years, areas and the matching tourist site.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::write::{self as pw, KindFields, PlaceWrite};
use super::{
    item, list, parse_list, Ctx, Kind, KindFilters, ListPath, Place, PlaceCore, PlaceFilter,
    PlaceFilters, PlaceRow, Terms, TouristSiteRef,
};
use crate::db::schema::places;
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, Visibility};
use crate::editorial::FieldErrors;
use crate::error::AppResult;
use crate::http::list::ListQuery;
use crate::http::params::ContentItemQuery;
use crate::http::response::ListBody;
use crate::resource::PlaceKind;
use crate::resources::vocab::{UnescoCategory, UnescoCriterion, UnescoStatus};
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

/// The unesco sites list's own filters (beside [`PlaceParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UnescoSiteFilters {
    /// The listing status, `inscribed` or `tentative`. Editors (with a key) may instead pass a publication status to preview listings the public cannot see yet: `draft`, `published` (scheduled included), `archived` or `any`.
    #[param(pattern = "^(inscribed|tentative|draft|published|archived|any)$")]
    pub status: Option<String>,
    /// `cultural`, `natural` or `mixed`.
    #[param(value_type = Option<UnescoCategory>)]
    pub category: Option<String>,
    /// A selection criterion (i-x); comma-separate several to require all.
    #[param(value_type = Option<UnescoCriterion>)]
    pub criterion: Option<String>,
}

impl KindFilters for UnescoSiteFilters {
    const STATUS_DOC: Option<&'static str> = None;
}

/// List UNESCO World Heritage listings
///
/// The published UNESCO World Heritage listings in the requested locale (`lang`, or
/// `Accept-Language`; `fallback=true` or `lang=be,ru,en` gives each one once in
/// the best locale available), by `name`. Filter by listing `status` (`inscribed` or `tentative`), `category`, `criterion` (all of a comma list), `region`, `tag`,
/// `updated_since`, and search names and summaries with `q`. With `near` (`lat,lon`) only places within `radius_km` are kept, each with `distance_km`, nearest first unless `sort` is given; `bbox` keeps a rectangle.
///
/// Pages hold `limit` items (default 20, at most 100): follow `links.next` (or the `Link` header, or `meta.next_cursor` as `cursor`), or ask for a numbered `page`. Items leave out `description_html`, `gallery` and `translations` unless `include` names them; `fields` keeps
/// only the fields named. The same list as a GeoJSON FeatureCollection is `GET /v1/unesco-sites.geojson` (this path also answers GeoJSON to `Accept: application/geo+json`).
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// may instead be a publication status (`draft`, `any`, ...) to preview listings.
#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<UnescoSiteFilters>>),
    responses(
        (status = 200, description = "A page of UNESCO World Heritage listings", body = ListBody<UnescoSite>),
    )
)]
#[get("/unesco-sites")]
pub async fn list_unesco_sites(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<UnescoSiteFilters>>,
) -> AppResult<HttpResponse> {
    list::<UnescoSite>(&req, &state, &query, ListPath::Json).await
}

/// UNESCO listings as GeoJSON
///
/// The list of `GET /v1/unesco-sites` as an RFC 7946 FeatureCollection: one
/// Point feature (`[lon, lat]`) per place, the item's fields as `properties`
/// (`fields` and `include` apply), and paging as the foreign members `meta`
/// and `links` and in the `Link` header. Places without a location are left
/// out. Same parameters, sort, paging and caching as the JSON list.
#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<UnescoSiteFilters>>),
    responses(
        (status = 200, description = "A page of UNESCO World Heritage listings as a GeoJSON FeatureCollection", body = super::geojson::FeatureCollection, content_type = "application/geo+json"),
    )
)]
#[get("/unesco-sites.geojson")]
pub async fn list_unesco_sites_geojson(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<UnescoSiteFilters>>,
) -> AppResult<HttpResponse> {
    list::<UnescoSite>(&req, &state, &query, ListPath::GeoJson).await
}

/// Get a UNESCO listing
///
/// One published UNESCO listing by numeric id or by its slug in the requested
/// locale, with every field (`description_html`, `gallery` where the kind has
/// one, and `translations`, the same item in the other locales); `fields` keeps
/// only the fields named. With `Accept: application/ld+json` the answer is
/// its schema.org form (`TouristAttraction` and `LandmarksOrHistoricalBuildings` with the World Heritage status, reference, year and criteria), for search engines (schema `JsonLd`).
///
/// Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`
/// previews an UNESCO listing the public cannot see yet.
#[utoipa::path(
    tag = "places",
    params(("id" = String, Path, description = "Id, or slug in the requested locale", example = "radziwill-complex-nesvizh"), ContentItemQuery),
    responses(
        (status = 200, description = "The UNESCO listing", body = UnescoSite),
        (status = 404, description = "No such UNESCO listing (or not visible without a key)"),
    )
)]
#[get("/unesco-sites/{id}")]
pub async fn get_unesco_site(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    item::<UnescoSite>(&req, &state, &path, &query).await
}

/// The body of UNESCO listing writes. Every field is optional in a PATCH (a
/// merge patch onto the stored listing); POST needs `slug` and `name`. Here
/// `status` is the listing status; the publication status is only
/// `publication_status`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = UnescoSiteWrite)]
pub struct UnescoSiteFields {
    /// The listing status: `inscribed` or `tentative`.
    pub status: Option<UnescoStatus>,
    pub category: Option<UnescoCategory>,
    pub criteria: Option<Vec<UnescoCriterion>>,
    /// The World Heritage List number (or the Tentative List reference), 1-100000.
    pub unesco_id: Option<i32>,
    /// 1972-2100.
    pub year_inscribed: Option<i32>,
    /// 1972-2100.
    pub year_submitted: Option<i32>,
    pub transboundary: Option<bool>,
    /// ISO 3166-1 alpha-2 codes (two capital letters).
    pub countries: Option<Vec<String>>,
    /// Hectares, at least 0.
    pub area_ha: Option<f64>,
    /// Hectares, at least 0.
    pub buffer_zone_ha: Option<f64>,
    /// The slug of the matching tourist site in the listing's locale.
    pub tourist_site: Option<String>,
}

pub type UnescoSiteWrite = PlaceWrite<UnescoSiteFields>;

fn countries(e: &mut FieldErrors, v: &Option<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for c in v.iter().flatten() {
        if c.len() != 2 || !c.bytes().all(|b| b.is_ascii_uppercase()) {
            e.add(
                "countries",
                format!("`{c}` is not an ISO 3166-1 alpha-2 code such as BY"),
            );
            return Vec::new();
        }
        if !out.contains(c) {
            out.push(c.clone());
        }
    }
    out
}

/// The translation group of the tourist site `slug` in `locale`.
fn tourist_site_group(
    conn: &mut AnyConnection,
    e: &mut FieldErrors,
    slug: &Option<String>,
    locale: &str,
) -> AppResult<Option<i64>> {
    let Some(slug) = slug else { return Ok(None) };
    let group: Option<i64> = places::table
        .filter(places::kind.eq(PlaceKind::TouristSite.as_str()))
        .filter(places::locale.eq(locale))
        .filter(places::slug.eq(slug))
        .select(places::group_id)
        .first(conn)
        .optional()?;
    if group.is_none() {
        e.add(
            "tourist_site",
            format!("no tourist site `{slug}` in locale `{locale}`"),
        );
    }
    Ok(group)
}

pub type UnescoSites = Place<UnescoSite>;

impl Kind for UnescoSite {
    const KIND: PlaceKind = PlaceKind::UnescoSite;
    // `status` is the listing status here, not a synonym.
    const SYNONYMS: &'static [(&'static str, &'static str)] = &[];
    type Own = UnescoSiteFields;
    type Write = UnescoSiteWrite;
    type Filters = PlaceFilters<UnescoSiteFilters>;

    fn shape(r: &PlaceRow, ctx: &Ctx) -> UnescoSite {
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

    fn stored_own(conn: &mut AnyConnection, row: &PlaceRow, terms: Terms) -> AppResult<Self::Own> {
        let d: UnescoDetails = row.details();
        let tourist_site: Option<String> = match d.tourist_site_group {
            Some(g) => places::table
                .filter(places::kind.eq(PlaceKind::TouristSite.as_str()))
                .filter(places::group_id.eq(g))
                .filter(places::locale.eq(&row.locale))
                .select(places::slug)
                .first(conn)
                .optional()?,
            None => None,
        };
        Ok(UnescoSiteFields {
            status: row
                .listing_status
                .as_deref()
                .and_then(UnescoStatus::from_wire),
            category: row.category.as_deref().and_then(UnescoCategory::from_wire),
            criteria: pw::stored_terms(&terms, "criterion", UnescoCriterion::from_wire),
            unesco_id: d.unesco_id,
            year_inscribed: d.year_inscribed,
            year_submitted: d.year_submitted,
            transboundary: Some(d.transboundary),
            countries: Some(terms.get("country").cloned().unwrap_or_default()),
            area_ha: d.area_ha,
            buffer_zone_ha: d.buffer_zone_ha,
            tourist_site,
        })
    }

    fn status_synonym(_: &Self::Own) -> Option<ContentStatus> {
        None
    }

    fn checked(
        b: Self::Own,
        conn: &mut AnyConnection,
        e: &mut FieldErrors,
        locale: &str,
    ) -> AppResult<KindFields> {
        let details = UnescoDetails {
            unesco_id: pw::int_in(e, "unesco_id", b.unesco_id, 1..=100_000),
            year_inscribed: pw::int_in(e, "year_inscribed", b.year_inscribed, 1972..=2100),
            year_submitted: pw::int_in(e, "year_submitted", b.year_submitted, 1972..=2100),
            transboundary: b.transboundary.unwrap_or(false),
            area_ha: pw::non_negative(e, "area_ha", b.area_ha),
            buffer_zone_ha: pw::non_negative(e, "buffer_zone_ha", b.buffer_zone_ha),
            tourist_site_group: tourist_site_group(conn, e, &b.tourist_site, locale)?,
        };
        let mut k = KindFields::new(b.category.map(UnescoCategory::as_str), &details)?;
        k.listing_status = b.status.map(|s| s.as_str().to_string());
        k.terms = vec![
            (
                "criterion",
                pw::vocab_terms(&b.criteria, UnescoCriterion::as_str),
            ),
            ("country", countries(e, &b.countries)),
        ];
        Ok(k)
    }

    /// The two value sets of `status` are disjoint: a preview, or a listing status.
    fn preview(query: &ListQuery<Self::Filters>) -> Option<&str> {
        is_preview(query.filters.kind.status.as_deref())
    }

    fn filter(filters: &Self::Filters, f: &mut PlaceFilter) -> AppResult<()> {
        let k = &filters.kind;
        if let (Some(s), None) = (k.status.as_deref(), is_preview(k.status.as_deref())) {
            f.listing_status = Some(UnescoStatus::parse_param("status", s)?.to_string());
        }
        if let Some(c) = k.category.as_deref() {
            f.category = Some(UnescoCategory::parse_param("category", c)?.to_string());
        }
        if let Some(c) = k.criterion.as_deref() {
            for v in parse_list("criterion", c, UnescoCriterion::parse_param)? {
                f.terms.push(("criterion", v.to_string()));
            }
        }
        Ok(())
    }
}

/// `status` when it names an editor preview rather than a listing status.
fn is_preview(status: Option<&str>) -> Option<&str> {
    status.filter(|s| Visibility::preview_value(s).is_some())
}

crate::write_routes! {
    resource = UnescoSites, write = UnescoSiteWrite, item = UnescoSite, tag = "places",
    paths = ("/unesco-sites", "/unesco-sites/{id}"), id_doc = "UNESCO listing id",
    noun = "listing", location = "Path of the new item", deleted = "Deleted, with its terms",
    create = create_unesco_site, update = update_unesco_site, delete = delete_unesco_site,
}
