//! UNESCO World Heritage listings of Belarus: inscribed properties and the
//! Tentative List, with criteria, years, areas and the matching tourist site.

use actix_web::{delete, patch, post};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::KindDoc;
use super::write::{self as pw, KindFields, PlaceWrite};
use super::{
    parse_list, Ctx, Kind, KindFilters, Place, PlaceCore, PlaceFilter, PlaceFilters, PlaceRow,
    Terms, TouristSiteRef,
};
use crate::db::schema::places;
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, Visibility};
use crate::editorial::FieldErrors;
use crate::error::AppResult;
use crate::http::list::ListQuery;
use crate::resource::PlaceKind;
use crate::resources::vocab::{UnescoCategory, UnescoCriterion, UnescoStatus};

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
    const DOC: KindDoc = KindDoc {
        list_summary: "List UNESCO World Heritage listings",
        geojson_summary: Some("UNESCO listings as GeoJSON"),
        get_summary: "Get a UNESCO listing",
        plural: "UNESCO World Heritage listings",
        order: "by `name`",
        filters: "listing `status` (`inscribed` or `tentative`), `category`, `criterion` (all of a comma list), `region`, `tag`",
        list_preview: "may instead be a publication status (`draft`, `any`, ...) to preview listings.",
        noun: "UNESCO listing",
        a_noun: "an UNESCO listing",
        jsonld: "form (`TouristAttraction` and `LandmarksOrHistoricalBuildings` with the World Heritage status, reference, year and criteria)",
        example: "radziwill-complex-nesvizh",
    };
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
