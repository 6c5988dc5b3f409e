//! The item flow every content resource's GET of one item runs: the locale,
//! who may see what (`status` is an editor's preview), the id or slug, then
//! JSON, or the item's schema.org JSON-LD when the client asks for it. The
//! response carries what it shows (`deps`), so that the response cache drops
//! it only on a write that can change it.

pub mod deps;

use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use serde::Serialize;
use serde_json::Value;

use crate::cache::{Caches, ItemDeps};
use crate::db::{self, AnyConnection};
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::http::locale::negotiate;
use crate::http::params::{ContentItemQuery, ItemRef};
use crate::http::response;
use crate::resource::ResourceType;
use crate::resources::jsonld;
use crate::AppState;

/// What a resource's lookup gets: the item asked for, in which locale, seen by whom.
pub struct Lookup<I> {
    pub item: ItemRef<I>,
    /// The negotiated locale (a slug is looked up in it).
    pub locale: String,
    /// The default locale, for names missing in `locale`.
    pub fallback: String,
    pub vis: Visibility,
    pub caches: Caches,
    pub now: NaiveDateTime,
}

/// Runs `find` (the item of type `t`, the locale it is in, and its own
/// version: the If-Match part of its ETag) and answers with it as JSON, or as
/// `to_jsonld` makes it (from the item's JSON and the base URL).
pub async fn item<T, I, F>(
    req: &HttpRequest,
    state: &AppState,
    t: ResourceType,
    id: &str,
    query: &ContentItemQuery,
    to_jsonld: impl FnOnce(&Value, &str) -> Value,
    find: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + utoipa::ToSchema + Send + 'static,
    I: From<i64> + Send + 'static,
    F: FnOnce(&mut AnyConnection, Lookup<I>) -> AppResult<(T, String, String)> + Send + 'static,
{
    let locale = negotiate(req, query.lang.as_deref(), &state.config)?;
    let shape = query.shape()?;
    shape.check::<T>()?;
    let vis = crate::http::auth::visibility(req, query.status.as_deref()).await?;
    let mut lookup = Lookup {
        item: ItemRef::parse(id)?,
        locale: locale.clone(),
        fallback: state.config.default_locale.clone(),
        vis,
        caches: state.caches.clone(),
        now: db::now(),
    };
    // Only a response the cache may keep needs what it shows.
    let cached = state.caches.responses.is_some()
        && !req
            .headers()
            .contains_key(actix_web::http::header::AUTHORIZATION);
    let (body, item_locale, own, json, deps) = db::run(&state.pool, move |conn| {
        lookup.now = db::now();
        let (body, item_locale, own) = find(conn, lookup)?;
        let (json, deps) = if cached {
            let v = to_json(&body)?;
            let deps = deps::of_item(conn, t, &v)?;
            (Some(v), deps)
        } else {
            (None, None)
        };
        Ok((body, item_locale, own, json, deps))
    })
    .await?;
    let mut res = if jsonld::wanted(req) {
        let v = match json {
            Some(v) => v,
            None => to_json(&body)?,
        };
        let doc = to_jsonld(&v, &jsonld::base_url(req));
        jsonld::respond(&item_locale, doc)
    } else {
        match shape.fields {
            None => response::item(Some(&item_locale), &body, &own),
            Some(_) => {
                let v = shape
                    .value(&body)
                    .ok_or_else(|| AppError::Internal("item: serialization failed".into()))?;
                response::item(Some(&item_locale), &v, &own)
            }
        }
    };
    if let Some(deps) = deps {
        res.extensions_mut().insert(ItemDeps(deps.into()));
    }
    Ok(res)
}

fn to_json<T: Serialize>(body: &T) -> AppResult<Value> {
    serde_json::to_value(body).map_err(|e| AppError::Internal(format!("item: {e}")))
}
