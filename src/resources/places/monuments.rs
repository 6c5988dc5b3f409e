//! Great Patriotic War monuments and memorials.

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
use crate::resources::vocab::MonumentKind;

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
    const DOC: KindDoc = KindDoc {
        list_summary: "List war monuments",
        geojson_summary: Some("War monuments as GeoJSON"),
        get_summary: "Get a monument",
        plural: "Great Patriotic War monuments and memorials",
        order: "by `name`",
        filters: "`kind`, `region`, `tag`",
        list_preview: "previews items the public cannot see yet.",
        noun: "monument",
        a_noun: "a monument",
        jsonld: "form (`TouristAttraction` and `LandmarksOrHistoricalBuildings`, address, geo)",
        example: "brest-fortress-memorial",
    };
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
