//! The generic POST / PATCH / DELETE flows each writable resource plugs into:
//! one transaction per write (`write_tx`), its `Idempotency-Key` and `If-Match`
//! checks, the save, and the one after-write step.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::{Map, Value};

use super::idempotency::{fingerprint, idempotency_key, remember, replay, Written};
use super::pipeline::{after_write, ItemWritten};
use super::{
    body, parse_body, write_tx, Action, Representation, Resource, SaveCtx, Stamps, WriteBody,
};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult};
use crate::http::json_object;
use crate::http::params::write_id;
use crate::http::preconditions::{self, check_own_if_match, if_match};
use crate::keys::Caller;
use crate::resources::item::deps;
use crate::AppState;

fn save_ctx(state: &AppState, caller: Caller) -> SaveCtx {
    SaveCtx {
        caller,
        now: db::now(),
        config: state.config.clone(),
        caches: state.caches.clone(),
        stamps: Stamps::default(),
    }
}

/// What a PATCH or DELETE of `path` names: the item's id, the `If-Match` it is
/// based on, and the write's context.
fn target<R: Resource>(
    req: &HttpRequest,
    state: &AppState,
    caller: Caller,
    path: &str,
) -> AppResult<(R::Id, Option<String>, SaveCtx)> {
    Ok((
        write_id::<R::Id>(path)?,
        if_match(req),
        save_ctx(state, caller),
    ))
}

/// The merge-patch base of item `id`: its `load_write`, without null fields
/// (in a merge patch they mean "absent").
pub fn stored_fields<R: Resource>(
    conn: &mut AnyConnection,
    id: R::Id,
) -> AppResult<Map<String, Value>> {
    let write = R::load_write(conn, id)?;
    match serde_json::to_value(write) {
        Ok(Value::Object(mut m)) => {
            m.retain(|_, v| !v.is_null());
            Ok(m)
        }
        Ok(_) => Err(AppError::Internal("a write body is not an object".into())),
        Err(e) => Err(AppError::Internal(format!("serialize write body: {e}"))),
    }
}

/// The own version of item `id` (404 if none): the `own` part of its ETag,
/// which only a change to its stored writable fields changes.
pub fn own_version<R: Resource>(conn: &mut AnyConnection, id: R::Id) -> AppResult<String> {
    Ok(preconditions::own_version(&stored_fields::<R>(conn, id)?))
}

/// After a create or update of item `id`: its representation, the after-write
/// step and the resource's own `after_save`. Returns the representation.
fn saved<R: Resource>(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    id: R::Id,
    action: Action,
    was_public: bool,
) -> AppResult<Representation> {
    let mut rep = R::representation(conn, ctx, id)?;
    rep.own = Some(own_version::<R>(conn, id)?);
    let media = crate::media::usage::media_ids_in(&rep.bytes);
    let due = R::scheduled_at(conn, ctx, id)?;
    after_write(
        conn,
        None,
        &ItemWritten {
            resource: R::TYPE,
            id: id.into(),
            action,
            meta: &rep.meta,
            was_public,
            media: &media,
            due,
            at: ctx.now,
        },
    )?;
    R::after_save(conn, ctx, id, &rep)?;
    Ok(rep)
}

/// Runs write `f` of an `R` (of item `target`, or of the item it returns) in
/// one `write_tx` on a pooled connection, then drops the cached values it can
/// change (`Caches::invalidate`, with what the write touched before and after
/// it, which `db::notify` also tells the other nodes). Also after a failed
/// write, type-wide: a cache filled inside its rolled-back transaction may hold
/// rows that never existed.
async fn run_write<R: Resource>(
    state: &web::Data<AppState>,
    target: Option<R::Id>,
    f: impl FnOnce(&mut AnyConnection) -> AppResult<(Written, Option<R::Id>)> + Send + 'static,
) -> AppResult<HttpResponse> {
    let written = db::run_write(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            let state = |conn: &mut AnyConnection, id: Option<R::Id>| match id {
                Some(id) => deps::state(conn, R::TYPE, id.into(), db::now()).map(Some),
                None => Ok(None),
            };
            let before = state(conn, target)?;
            let (w, made) = f(conn)?;
            let after = state(conn, made.or(target))?;
            let deps = deps::touched(before, after);
            db::notify::note_deps(conn, &deps)?;
            Ok((w, deps))
        })
    })
    .await;
    let deps = written.as_ref().ok().map(|(_, d)| d.as_slice());
    state.caches.invalidate(R::TYPE, deps);
    Ok(written?.0.into_response())
}

/// `POST /v1/{collection}`: 201 with `Location` and `ETag`; honours `Idempotency-Key`.
pub async fn create<R: Resource>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    caller: Caller,
    body: WriteBody<R::Write>,
) -> AppResult<HttpResponse> {
    let body = body.into_value();
    let key = idempotency_key(req)?;
    let fp = fingerprint(req.path(), &body);
    let ctx = save_ctx(state, caller);
    run_write::<R>(state, None, move |conn| {
        if let Some(k) = &key {
            if let Some(w) = replay(conn, &ctx.caller, k, &fp, ctx.now)? {
                return Ok((w, None));
            }
        }
        let obj = json_object(body)?;
        let parsed = parse_body::<R::Write>(&obj, R::READ_ONLY)?;
        let id = R::save(conn, &ctx, None, parsed)?;
        let rep = saved::<R>(conn, &ctx, id, Action::Created, false)?;
        let w = Written::item(201, Some(R::TYPE.item_path(id.into())), rep);
        if let Some(k) = &key {
            remember(conn, &ctx.caller, k, &fp, &w, ctx.now)?;
        }
        Ok((w, Some(id)))
    })
    .await
}

/// `PATCH /v1/{collection}/{id}`: JSON Merge Patch (RFC 7396) onto the stored
/// writable fields, then the same validation as a POST. 412 on a stale `If-Match`.
pub async fn update<R: Resource>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    caller: Caller,
    path: &str,
    patch: WriteBody<R::Write>,
) -> AppResult<HttpResponse> {
    let patch = patch.into_value();
    let (id, if_match, ctx) = target::<R>(req, state, caller, path)?;
    run_write::<R>(state, Some(id), move |conn| {
        let mut current = stored_fields::<R>(conn, id)?;
        check_own_if_match(if_match.as_deref(), &preconditions::own_version(&current))?;
        let before = R::representation(conn, &ctx, id)?;
        let patch = json_object(patch)?;
        body::check_patch_keys::<R::Write>(&patch, R::READ_ONLY)?;
        for (synonym, field) in R::SYNONYMS {
            if patch.contains_key(*synonym) {
                current.remove(*field);
            }
        }
        let mut merged = Value::Object(std::mem::take(&mut current));
        json_patch::merge(&mut merged, &Value::Object(patch));
        let merged = json_object(merged)?;
        let parsed = parse_body::<R::Write>(&merged, R::READ_ONLY)?;
        R::save(conn, &ctx, Some(id), parsed)?;
        let rep = saved::<R>(conn, &ctx, id, Action::Updated, before.meta.public)?;
        Ok((Written::item(200, None, rep), None))
    })
    .await
}

/// `DELETE /v1/{collection}/{id}`: 204; 412 on a stale `If-Match`.
pub async fn delete<R: Resource>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    caller: Caller,
    path: &str,
) -> AppResult<HttpResponse> {
    let (id, if_match, ctx) = target::<R>(req, state, caller, path)?;
    run_write::<R>(state, Some(id), move |conn| {
        check_own_if_match(if_match.as_deref(), &own_version::<R>(conn, id)?)?;
        let before = R::representation(conn, &ctx, id)?;
        R::delete(conn, &ctx, id)?;
        after_write(
            conn,
            None,
            &ItemWritten {
                resource: R::TYPE,
                id: id.into(),
                action: Action::Deleted,
                meta: &before.meta,
                was_public: before.meta.public,
                media: &[],
                due: None,
                at: ctx.now,
            },
        )?;
        let w = Written {
            status: 204,
            location: None,
            etag: None,
            locale: None,
            body: Vec::new(),
            replayed: false,
        };
        Ok((w, None))
    })
    .await
}
