//! Top tourist sites: the place core plus category, rank, opening hours, admission.

use actix_web::{delete, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::KindDoc;
use super::write::{self as pw, KindFields, PlaceWrite};
use super::{Ctx, Kind, KindFilters, Place, PlaceCore, PlaceFilter, PlaceFilters, PlaceRow};
use crate::db::AnyConnection;
use crate::domain::ContentStatus;
use crate::editorial::FieldErrors;
use crate::error::AppResult;
use crate::resource::PlaceKind;
use crate::resources::vocab::TouristCategory;

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
    const DOC: KindDoc = KindDoc {
        list_summary: "List top tourist sites",
        geojson_summary: Some("Top tourist sites as GeoJSON"),
        get_summary: "Get a tourist site",
        plural: "top tourist sites",
        order: "in `rank` order by default (unranked sites last), or by `name`",
        filters: "`category`, `region`, `tag`",
        list_preview: "previews items the public cannot see yet.",
        noun: "tourist site",
        a_noun: "a tourist site",
        jsonld: "`TouristAttraction` (address, geo, opening hours)",
        example: "mir-castle",
    };
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
