//! The one shape of every place kind: what a kind declares ([`Kind`]), and the
//! list, item and write flows every kind runs on it (`Place<K>` is its
//! `Resource`). A kind's module holds only its fields, filters, shape and
//! checks, and its wording; `api.rs` serves every kind's reads on [`list`]
//! and [`item`].

use std::collections::HashMap;
use std::marker::PhantomData;

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::api::KindDoc;
use super::request::{apply_common, wants_geojson, ListPath, PlaceQuery};
use super::write::{self as pw, KindFields, KindWrite, PlaceWrite, PlaceWriteCore};
use super::{context, context_of, find_place, geojson, list_places, Ctx, PlaceFilter, PlaceRow};
use crate::db::{self, AnyConnection};
use crate::domain::ContentStatus;
use crate::editorial::{FieldErrors, Representation, Resource, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::geo::Point;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::params::ContentItemQuery;
use crate::http::response;
use crate::resource::{PlaceId, PlaceKind, ResourceType};
use crate::resources::jsonld;
use crate::AppState;

/// A stored place's terms: term name to values in order.
pub type Terms = HashMap<String, Vec<String>>;

/// A place kind: its API item (the implementing type), its write body and
/// list filters, and how its own fields are read, checked and stored.
pub trait Kind: Serialize + ToSchema + Send + Sized + 'static {
    const KIND: PlaceKind;
    /// The kind's wording in the spec of its reads (see [`Reads`](super::api::Reads)).
    const DOC: KindDoc;
    /// Alternative names of write fields (see `Resource::SYNONYMS`).
    const SYNONYMS: &'static [(&'static str, &'static str)] = &[("status", "publication_status")];
    /// The kind's own write fields (beside the shared [`PlaceWriteCore`]).
    type Own: DeserializeOwned;
    /// The whole write body the handlers take and the spec shows.
    type Write: PlaceBody<Own = Self::Own>;
    /// The list's query filters (besides the common list parameters).
    type Filters: ListFilters + PlaceQuery;

    /// The API item of a row.
    fn shape(r: &PlaceRow, ctx: &Ctx) -> Self;

    /// The stored item's own write fields, as a write would send them. By
    /// default the item's fields of the same names (a kind's write fields are
    /// its read fields, each optional), read from its shape.
    fn stored_own(_: &mut AnyConnection, row: &PlaceRow, terms: Terms) -> AppResult<Self::Own> {
        let item = Self::shape(row, &Ctx::of_terms(row.id, terms));
        serde_json::to_value(item)
            .and_then(serde_json::from_value)
            .map_err(|e| AppError::Internal(format!("stored place fields: {e}")))
    }

    /// The body's synonym of `publication_status`, if the kind has one.
    fn status_synonym(own: &Self::Own) -> Option<ContentStatus>;

    /// Validates the kind's own fields (errors into `e`) for a write in `locale`.
    fn checked(
        own: Self::Own,
        conn: &mut AnyConnection,
        e: &mut FieldErrors,
        locale: &str,
    ) -> AppResult<KindFields>;

    /// The editor preview status the list asks for (None: the public list).
    fn preview(query: &ListQuery<Self::Filters>) -> Option<&str> {
        query.common.status.as_deref()
    }

    /// Adds the kind's own list filters to `f`, validated.
    fn filter(filters: &Self::Filters, f: &mut PlaceFilter) -> AppResult<()>;
}

/// A write body split into the shared fields and a kind's own.
pub trait PlaceBody: Serialize + DeserializeOwned + ToSchema {
    type Own;
    fn into_parts(self) -> (PlaceWriteCore, Self::Own);
    fn from_parts(core: PlaceWriteCore, own: Self::Own) -> Self;
}

impl<F: KindWrite> PlaceBody for PlaceWrite<F> {
    type Own = F;
    fn into_parts(self) -> (PlaceWriteCore, F) {
        (self.core, self.own)
    }
    fn from_parts(core: PlaceWriteCore, own: F) -> Self {
        PlaceWrite { core, own }
    }
}

/// The writable resource of place kind `K`.
pub struct Place<K>(PhantomData<fn() -> K>);

impl<K: Kind> Resource for Place<K> {
    const TYPE: ResourceType = ResourceType::Place(K::KIND);
    const READ_ONLY: &'static [&'static str] = pw::READ_ONLY;
    const SYNONYMS: &'static [(&'static str, &'static str)] = K::SYNONYMS;
    type Write = K::Write;
    type Id = PlaceId;

    fn load_write(conn: &mut AnyConnection, id: PlaceId) -> AppResult<K::Write> {
        let (row, terms, core) = pw::stored_core(conn, K::KIND, id.0)?;
        let own = K::stored_own(conn, &row, terms)?;
        Ok(K::Write::from_parts(core, own))
    }

    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<PlaceId>,
        body: K::Write,
    ) -> AppResult<PlaceId> {
        let (core, own) = body.into_parts();
        let synonym = K::status_synonym(&own);
        let id = id.map(|id| id.0);
        pw::save_place(conn, ctx, K::KIND, id, core, synonym, |conn, e, locale| {
            K::checked(own, conn, e, locale)
        })
        .map(PlaceId)
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: PlaceId) -> AppResult<()> {
        pw::delete_place(conn, K::KIND, id.0)
    }

    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: PlaceId,
    ) -> AppResult<Representation> {
        pw::representation(conn, ctx, K::KIND, id.0, K::shape)
    }

    fn scheduled_at(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: PlaceId,
    ) -> AppResult<Option<NaiveDateTime>> {
        pw::scheduled_at(conn, ctx, id.0)
    }
}

/// The list flow of kind `K`: visibility (public or an editor's preview),
/// locale, the shared and the kind's filters, query, then JSON or GeoJSON
/// (always GeoJSON at the `.geojson` path).
pub async fn list<K: Kind>(
    req: &HttpRequest,
    state: &AppState,
    query: &ListQuery<K::Filters>,
    path: ListPath,
) -> AppResult<HttpResponse> {
    let vis = crate::http::auth::visibility(req, K::preview(query)).await?;
    let locales = query.locales(req, &state.config)?;
    let geojson = wants_geojson(req, query.filters.format(), path)?;
    let raw_filter = query.filters.raw_filter();
    let params = query.params()?;
    let mut f = PlaceFilter {
        kinds: vec![K::KIND],
        vis,
        locale: locales.first().to_string(),
        fallback: locales.fallback(),
        ..Default::default()
    };
    apply_common(&mut f, &raw_filter, &params)?;
    K::filter(&query.filters, &mut f)?;
    let caches = state.caches.clone();
    let fallback = state.config.default_locale.clone();
    let p = params.clone();
    let (page, points, present) = db::run(&state.pool, move |conn| {
        f.now = db::now();
        let (page, distances) = list_places(conn, &caches, &f, &p)?;
        let mut ctx = context(conn, &caches, &page.items, &f.locale, &fallback, f.now)?;
        ctx.distances = distances;
        let points: Vec<Option<Point>> = page.items.iter().map(PlaceRow::point).collect();
        let present: Vec<String> = page.items.iter().map(|r| r.locale.clone()).collect();
        Ok((page.map(|r| K::shape(&r, &ctx)), points, present))
    })
    .await?;
    let locale = locales.content_language(&present);
    if geojson {
        return Ok(geojson::feature_collection(
            req, &locale, &params, page, points,
        ));
    }
    Ok(response::list(req, &locale, &params, page))
}

/// The item flow of kind `K` (see [`item`](crate::resources::item::item)).
pub async fn item<K: Kind>(
    req: &HttpRequest,
    state: &AppState,
    id: &str,
    query: &ContentItemQuery,
) -> AppResult<HttpResponse> {
    let to_jsonld = |v: &Value, base: &str| jsonld::place(K::KIND, v, base);
    crate::resources::item::item(
        req,
        state,
        K::KIND.into(),
        id,
        query,
        to_jsonld,
        |conn, l| {
            let row = find_place(conn, K::KIND, &l.item, &l.locale, l.now, l.vis)?;
            let own = crate::editorial::own_version::<Place<K>>(conn, PlaceId(row.id))?;
            let ctx = context_of(conn, &l.caches, &row, &l.fallback, l.now)?;
            Ok((K::shape(&row, &ctx), row.locale.clone(), own))
        },
    )
    .await
}
