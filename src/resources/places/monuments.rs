//! Great Patriotic War monuments and memorials.

use actix_web::{delete, get, patch, post, web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::write::{self as pw, KindFields, KindWrite, PlaceWrite};
use super::{run_item, run_list, Ctx, KindFilters, PlaceCore, PlaceFilters, PlaceRow};
use crate::db::AnyConnection;
use crate::domain::ContentStatus;
use crate::editorial::{Representation, Resource, SaveCtx};
use crate::error::AppResult;
use crate::http::list::ListQuery;
use crate::http::params::ContentItemQuery;
use crate::http::response::ListBody;
use crate::resource::{PlaceId, PlaceKind, ResourceType};
use crate::resources::jsonld::JsonLd;
use crate::resources::vocab::MonumentKind;
use crate::AppState;

/// PlaceKind fields kept in `details`.
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

/// The monuments list's own filters (beside [`PlaceParams`]).
#[derive(Debug, Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct MonumentFilters {
    /// PlaceKind of monument (the monuments' category).
    #[param(value_type = Option<MonumentKind>)]
    pub kind: Option<String>,
}

impl KindFilters for MonumentFilters {
    const SORTS: &'static [&'static str] = &["name"];
    const SORT_DOC: &'static str =
        "`name` (default), and `distance` with `near` (then the default); `-` for descending.";
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview monuments the public cannot see yet.",
    );
}

#[utoipa::path(
    tag = "places",
    params(ListQuery<PlaceFilters<MonumentFilters>>),
    responses(
        (status = 200, description = "Great Patriotic War monuments: a list, or a GeoJSON FeatureCollection",
            content(
                (ListBody<Monument> = "application/json"),
                (super::geojson::FeatureCollection = "application/geo+json"),
            )),
    )
)]
#[get("/monuments")]
pub async fn list_monuments(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<PlaceFilters<MonumentFilters>>,
) -> AppResult<HttpResponse> {
    let kind = query.filters.kind.kind.clone();
    let vis = crate::http::auth::visibility(&req, query.common.status.as_deref()).await?;
    run_list(
        &req,
        &state,
        vec![PlaceKind::Monument],
        vis,
        &query,
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
    params(("id" = String, Path, description = "Id, or slug in the requested locale"), ContentItemQuery),
    responses(
        (status = 200, description = "One monument; with `Accept: application/ld+json`, its schema.org form (`TouristAttraction` and `LandmarksOrHistoricalBuildings`, address, geo)",
            content((Monument = "application/json"), (JsonLd = "application/ld+json"))),
        (status = 404, description = "No such monument"),
    )
)]
#[get("/monuments/{id}")]
pub async fn get_monument(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    run_item(&req, &state, PlaceKind::Monument, &path, &query, shape).await
}

/// A monument's own write fields; its whole body is `MonumentWrite`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
pub struct MonumentFields {
    /// Synonym of `publication_status`.
    pub status: Option<ContentStatus>,
    pub kind: Option<MonumentKind>,
    /// 1000-2100.
    pub year_unveiled: Option<i32>,
    /// Whom or what the monument commemorates, up to 1000 characters.
    pub commemorates: Option<String>,
}

impl KindWrite for MonumentFields {
    const NAME: &'static str = "MonumentWrite";
    const DOC: &'static str = "The body of monument writes. Every field is optional in a PATCH (a merge\npatch onto the stored monument); POST needs `slug` and `name`.";
}

/// The body of monument writes. Every field is optional in a PATCH (a merge
/// patch onto the stored monument); POST needs `slug` and `name`.
pub type MonumentWrite = PlaceWrite<MonumentFields>;

pub struct Monuments;

impl Resource for Monuments {
    const TYPE: ResourceType = ResourceType::Place(PlaceKind::Monument);
    const READ_ONLY: &'static [&'static str] = pw::READ_ONLY;
    const SYNONYMS: &'static [(&'static str, &'static str)] = &[("status", "publication_status")];
    type Write = MonumentWrite;
    type Id = PlaceId;

    fn load_write(
        conn: &mut AnyConnection,
        _ctx: &SaveCtx,
        id: PlaceId,
    ) -> AppResult<MonumentWrite> {
        let (row, _, core) = pw::stored_core(conn, PlaceKind::Monument, id.get())?;
        let d: MonumentDetails = row.details();
        Ok(PlaceWrite {
            core,
            own: MonumentFields {
                status: None,
                kind: row.category.as_deref().and_then(MonumentKind::from_wire),
                year_unveiled: d.year_unveiled,
                commemorates: d.commemorates,
            },
        })
    }

    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<PlaceId>,
        b: MonumentWrite,
    ) -> AppResult<PlaceId> {
        let (core, b) = (b.core, b.own);
        pw::save_place(
            conn,
            ctx,
            PlaceKind::Monument,
            id.map(PlaceId::get),
            core,
            b.status,
            |_, e, _| {
                let details = MonumentDetails {
                    year_unveiled: pw::int_in(e, "year_unveiled", b.year_unveiled, 1000..=2100),
                    commemorates: e.opt_text("commemorates", &b.commemorates, 1000),
                };
                KindFields::new(b.kind.map(MonumentKind::as_str), &details)
            },
        )
        .map(PlaceId)
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: PlaceId) -> AppResult<()> {
        pw::delete_place(conn, PlaceKind::Monument, id.get())
    }

    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: PlaceId,
    ) -> AppResult<Representation> {
        pw::representation(conn, ctx, PlaceKind::Monument, id.get(), shape)
    }

    fn scheduled_at(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: PlaceId,
    ) -> AppResult<Option<chrono::NaiveDateTime>> {
        pw::scheduled_at(conn, ctx, id.get())
    }
}

crate::write_routes! {
    resource = Monuments, write = MonumentWrite, item = Monument, tag = "places",
    collection = "/monuments", item_path = "/monuments/{id}", id_doc = "Monument id",
    location = "Path of the new item",
    created = "Created; `Location` and `ETag` name the new monument",
    updated = "The updated monument", missing = "No such monument",
    deleted = "Deleted, with its terms",
    update_invalid = "Validation failed: one `errors` entry per field", delete_responses = [],
    create = create_monument, update = update_monument, delete = delete_monument,
}
