//! Sanatoria and health resorts: medical profiles, treatments, capacity, prices.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{parse_list, run_item, run_list, Ctx, Kind, PlaceCore, PlaceRow};
use crate::content::sections::ItemQuery;
use crate::content::vocab::{MedicalProfile, Treatment};
use crate::error::{AppResult, Problem};
use crate::http::response::ListBody;
use crate::AppState;

/// A price in a currency (ISO 4217).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
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

pub fn shape(r: &PlaceRow, ctx: &Ctx) -> Sanatorium {
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

place_list_query!(
    SanatoriumListQuery,
    sort_doc = "`name` (default), and `distance` with `near` (then the default); `-` for descending.",
    sort_pattern = "^-?(name|distance)$",
    {
        /// A medical profile; comma-separate several to require all.
        #[param(value_type = Option<MedicalProfile>)]
        profile,
        /// A treatment; comma-separate several to require all.
        #[param(value_type = Option<Treatment>)]
        treatment,
    }
);

#[utoipa::path(
    tag = "places",
    params(SanatoriumListQuery),
    responses(
        (status = 200, description = "Sanatoria and health resorts: a list, or a GeoJSON FeatureCollection",
            content(
                (ListBody<Sanatorium> = "application/json"),
                (super::geojson::FeatureCollection = "application/geo+json"),
            )),
        (status = 400, description = "Unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sanatoria")]
pub async fn list_sanatoria(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<SanatoriumListQuery>,
) -> AppResult<HttpResponse> {
    let (profile, treatment) = (query.profile.clone(), query.treatment.clone());
    run_list(
        &req,
        &state,
        vec![Kind::Sanatorium],
        &*query,
        &["name"],
        |f| {
            if let Some(p) = profile.as_deref() {
                for v in parse_list("profile", p, MedicalProfile::parse_param)? {
                    f.terms.push(("profile", v.to_string()));
                }
            }
            if let Some(t) = treatment.as_deref() {
                for v in parse_list("treatment", t, Treatment::parse_param)? {
                    f.terms.push(("treatment", v.to_string()));
                }
            }
            Ok(())
        },
        shape,
    )
    .await
}

#[utoipa::path(
    tag = "places",
    params(("id" = String, Path, description = "Id, or slug in the requested locale"), ItemQuery),
    responses(
        (status = 200, description = "One sanatorium", body = Sanatorium),
        (status = 404, description = "No such sanatorium", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/sanatoria/{id}")]
pub async fn get_sanatorium(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ItemQuery>,
) -> AppResult<HttpResponse> {
    run_item(
        &req,
        &state,
        Kind::Sanatorium,
        &path,
        query.lang.as_deref(),
        shape,
    )
    .await
}
