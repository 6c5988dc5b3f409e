//! Sanatoria and health resorts: medical profiles, treatments, capacity, prices.

use actix_web::{delete, patch, post};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::api::KindDoc;
use super::write::{self as pw, KindFields, PlaceWrite};
use super::{
    parse_list, Ctx, Kind, KindFilters, Place, PlaceCore, PlaceFilter, PlaceFilters, PlaceRow,
};
use crate::db::AnyConnection;
use crate::domain::ContentStatus;
use crate::editorial::FieldErrors;
use crate::error::AppResult;
use crate::resource::PlaceKind;
use crate::resources::vocab::{MedicalProfile, Treatment};

/// A price in a currency (ISO 4217).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct Price {
    pub amount: f64,
    pub currency: String,
}

/// Kind fields kept in `details`.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct SanatoriumDetails {
    pub capacity_beds: Option<i32>,
    #[serde(default)]
    pub open_all_year: bool,
    #[serde(default)]
    pub accepts_children: bool,
    pub price_from: Option<Price>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Sanatorium {
    #[serde(flatten)]
    pub core: PlaceCore,
    pub profiles: Vec<MedicalProfile>,
    pub treatments: Vec<Treatment>,
    pub capacity_beds: Option<i32>,
    pub open_all_year: bool,
    pub accepts_children: bool,
    /// The lowest nightly price per person.
    pub price_from: Option<Price>,
}

/// The sanatoria list's own filters (beside [`PlaceParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SanatoriumFilters {
    /// A medical profile; comma-separate several to require all.
    #[param(value_type = Option<MedicalProfile>)]
    pub profile: Option<String>,
    /// A treatment; comma-separate several to require all.
    #[param(value_type = Option<Treatment>)]
    pub treatment: Option<String>,
}

impl KindFilters for SanatoriumFilters {
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview sanatoria the public cannot see yet.",
    );
}

/// The body of sanatorium writes. Every field is optional in a PATCH (a
/// merge patch onto the stored sanatorium); POST needs `slug` and `name`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[schema(as = SanatoriumWrite)]
pub struct SanatoriumFields {
    /// Synonym of `publication_status`.
    pub status: Option<ContentStatus>,
    pub profiles: Option<Vec<MedicalProfile>>,
    pub treatments: Option<Vec<Treatment>>,
    /// 1-100000.
    pub capacity_beds: Option<i32>,
    pub open_all_year: Option<bool>,
    pub accepts_children: Option<bool>,
    /// `amount` at least 0; `currency` an ISO 4217 code (three capital letters).
    pub price_from: Option<Price>,
}

pub type SanatoriumWrite = PlaceWrite<SanatoriumFields>;

fn check_price(e: &mut FieldErrors, p: &Option<Price>) {
    let Some(p) = p else { return };
    if !p.amount.is_finite() || p.amount < 0.0 {
        e.add("price_from.amount", "must not be negative");
    }
    if p.currency.len() != 3 || !p.currency.bytes().all(|b| b.is_ascii_uppercase()) {
        e.add(
            "price_from.currency",
            "must be an ISO 4217 code: three capital letters such as BYN",
        );
    }
}

pub type Sanatoria = Place<Sanatorium>;

impl Kind for Sanatorium {
    const KIND: PlaceKind = PlaceKind::Sanatorium;
    const DOC: KindDoc = KindDoc {
        list_summary: "List sanatoria",
        geojson_summary: Some("Sanatoria as GeoJSON"),
        get_summary: "Get a sanatorium",
        plural: "sanatoria and health resorts",
        order: "by `name`",
        filters: "`profile` and `treatment` (all of a comma list), `region`, `tag`",
        list_preview: "previews items the public cannot see yet.",
        noun: "sanatorium",
        a_noun: "a sanatorium",
        jsonld: "form (`LodgingBusiness` and `Resort`, address, geo, priceRange)",
        example: "naroch-bereg-sanatorium",
    };
    type Own = SanatoriumFields;
    type Write = SanatoriumWrite;
    type Filters = PlaceFilters<SanatoriumFilters>;

    fn shape(r: &PlaceRow, ctx: &Ctx) -> Sanatorium {
        let d: SanatoriumDetails = r.details();
        Sanatorium {
            core: ctx.core(r),
            profiles: ctx
                .terms(r.id, "profile")
                .iter()
                .filter_map(|v| MedicalProfile::from_wire(v))
                .collect(),
            treatments: ctx
                .terms(r.id, "treatment")
                .iter()
                .filter_map(|v| Treatment::from_wire(v))
                .collect(),
            capacity_beds: d.capacity_beds,
            open_all_year: d.open_all_year,
            accepts_children: d.accepts_children,
            price_from: d.price_from,
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
        check_price(e, &b.price_from);
        let details = SanatoriumDetails {
            capacity_beds: pw::int_in(e, "capacity_beds", b.capacity_beds, 1..=100_000),
            open_all_year: b.open_all_year.unwrap_or(false),
            accepts_children: b.accepts_children.unwrap_or(false),
            price_from: b.price_from,
        };
        let mut k = KindFields::new(None, &details)?;
        k.terms = vec![
            (
                "profile",
                pw::vocab_terms(&b.profiles, MedicalProfile::as_str),
            ),
            (
                "treatment",
                pw::vocab_terms(&b.treatments, Treatment::as_str),
            ),
        ];
        Ok(k)
    }

    fn filter(filters: &Self::Filters, f: &mut PlaceFilter) -> AppResult<()> {
        let k = &filters.kind;
        if let Some(p) = k.profile.as_deref() {
            for v in parse_list("profile", p, MedicalProfile::parse_param)? {
                f.terms.push(("profile", v.to_string()));
            }
        }
        if let Some(t) = k.treatment.as_deref() {
            for v in parse_list("treatment", t, Treatment::parse_param)? {
                f.terms.push(("treatment", v.to_string()));
            }
        }
        Ok(())
    }
}

crate::write_routes! {
    resource = Sanatoria, write = SanatoriumWrite, item = Sanatorium, tag = "places",
    paths = ("/sanatoria", "/sanatoria/{id}"), id_doc = "Sanatorium id",
    noun = "sanatorium", location = "Path of the new item", deleted = "Deleted, with its terms",
    create = create_sanatorium, update = update_sanatorium, delete = delete_sanatorium,
}
