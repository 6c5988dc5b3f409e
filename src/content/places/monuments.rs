//! Great Patriotic War monuments and memorials.

use actix_web::{get, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{run_item, run_list, Ctx, Kind, PlaceCore, PlaceRow};
use crate::content::sections::ItemQuery;
use crate::content::vocab::MonumentKind;
use crate::error::{AppResult, Problem};
use crate::http::response::ListBody;
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

pub fn shape(r: &PlaceRow, ctx: &Ctx) -> Monument {
    let d: MonumentDetails = r.details();
    Monument {
        core: ctx.core(r),
        kind: r.category.as_deref().and_then(MonumentKind::from_wire),
        year_unveiled: d.year_unveiled,
        commemorates: d.commemorates,
    }
}

place_list_query!(
    MonumentListQuery,
    sort_doc = "`name` (default), and `distance` with `near` (then the default); `-` for descending.",
    sort_pattern = "^-?(name|distance)$",
    {
        /// Kind of monument (the monuments' category).
        #[param(value_type = Option<MonumentKind>)]
        kind,
    }
);

#[utoipa::path(
    tag = "places",
    params(MonumentListQuery),
    responses(
        (status = 200, description = "Great Patriotic War monuments: a list, or a GeoJSON FeatureCollection",
            content(
                (ListBody<Monument> = "application/json"),
                (super::geojson::FeatureCollection = "application/geo+json"),
            )),
        (status = 400, description = "Unknown or malformed parameter", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monuments")]
pub async fn list_monuments(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<MonumentListQuery>,
) -> AppResult<HttpResponse> {
    let kind = query.kind.clone();
    run_list(
        &req,
        &state,
        vec![Kind::Monument],
        &*query,
        &["name"],
        |f| {
            if let Some(k) = kind.as_deref() {
                f.category = Some(MonumentKind::parse_param("kind", k)?.to_string());
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
        (status = 200, description = "One monument", body = Monument),
        (status = 404, description = "No such monument", body = Problem, content_type = "application/problem+json"),
    )
)]
#[get("/monuments/{id}")]
pub async fn get_monument(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ItemQuery>,
) -> AppResult<HttpResponse> {
    run_item(
        &req,
        &state,
        Kind::Monument,
        &path,
        query.lang.as_deref(),
        shape,
    )
    .await
}
