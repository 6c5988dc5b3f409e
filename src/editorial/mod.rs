//! The editorial write path shared by every collection: body validation with one
//! error per field, HTML sanitizing, one transaction per write that also appends
//! to the changes feed, `If-Match` checks, `Idempotency-Key` replays, and the
//! generic POST / PATCH / DELETE flows that each resource plugs into.

pub mod body;
pub mod changes;
pub mod common;
pub mod pipeline;
pub mod routes;

use actix_web::http::{header, StatusCode};
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::cache::Caches;
use crate::config::Config;
use crate::db::schema::{change_seq, idempotency_keys};
use crate::db::{self, AnyConnection};
use crate::error::{AppError, AppResult, FieldError};
use crate::http::middleware::etag_for;
use crate::keys::Caller;
use crate::resource::ResourceType;
use crate::AppState;

pub use body::{parse_body, FieldErrors, WriteBody};
pub use changes::{
    insert_changes, record_change, replace_schedules, track_schedule, Action, NewChange,
    NewSchedule, SeqBlock,
};
pub use pipeline::{after_write, ItemWritten, WriteBatch};

/// Cleans HTML with ammonia's maintained allow-list: formatting, links and images
/// survive; scripts, event handlers, `style`, and `javascript:` URLs do not.
pub fn sanitize_html(html: &str) -> String {
    ammonia::clean(html)
}

/// Runs `f` in one transaction that first takes the write lock (the changes
/// counter row): writes are serialized, commit in feed order, and on SQLite the
/// lock is taken before any read, so a writer never fails on a stale snapshot.
pub fn write_tx<T, E: From<diesel::result::Error>>(
    conn: &mut AnyConnection,
    f: impl FnOnce(&mut AnyConnection) -> Result<T, E>,
) -> Result<T, E> {
    conn.transaction(|conn| {
        diesel::update(change_seq::table.find(1))
            .set(change_seq::seq.eq(change_seq::seq))
            .execute(conn)?;
        f(conn)
    })
}

/// Everything a resource's save needs besides the connection.
pub struct SaveCtx {
    pub caller: Caller,
    pub now: NaiveDateTime,
    pub config: std::sync::Arc<Config>,
    pub caches: Caches,
    /// Instants a save stores instead of `now` (an import restores the exported ones).
    pub stamps: Stamps,
}

/// `created_at` and `updated_at` to store, when not the time of the write.
#[derive(Debug, Clone, Copy, Default)]
pub struct Stamps {
    pub created_at: Option<NaiveDateTime>,
    pub updated_at: Option<NaiveDateTime>,
}

impl SaveCtx {
    /// The `created_at` of a row this save inserts.
    pub fn created_at(&self) -> NaiveDateTime {
        self.stamps.created_at.unwrap_or(self.now)
    }

    /// The `updated_at` of the row this save writes.
    pub fn updated_at(&self) -> NaiveDateTime {
        self.stamps.updated_at.unwrap_or(self.now)
    }

    /// The same context storing `stamps` instead of `now`.
    pub fn with_stamps(&self, stamps: Stamps) -> SaveCtx {
        SaveCtx {
            caller: self.caller.clone(),
            now: self.now,
            config: self.config.clone(),
            caches: self.caches.clone(),
            stamps,
        }
    }
}

/// What the changes feed and responses need to know about a saved item.
#[derive(Debug, Clone)]
pub struct ItemMeta {
    pub slug: String,
    pub locale: String,
    /// Visible to anonymous readers right now.
    pub public: bool,
}

/// The GET representation of an item: the exact bytes a GET sends (so its ETag
/// is the GET's ETag), its locale, and its feed metadata.
pub struct Representation {
    pub bytes: Vec<u8>,
    pub meta: ItemMeta,
}

impl Representation {
    pub fn of<T: serde::Serialize>(item: &T, meta: ItemMeta) -> AppResult<Self> {
        let bytes = serde_json::to_vec(item)
            .map_err(|e| AppError::Internal(format!("serialize item: {e}")))?;
        Ok(Representation { bytes, meta })
    }

    pub fn etag(&self) -> String {
        etag_for(&self.bytes)
    }
}

/// A writable collection: how to read its writable fields, validate and save a
/// body, delete an item, and render the item as a GET does.
pub trait Resource: 'static {
    /// The resource type: its `type` name, collection path and search code.
    const TYPE: ResourceType;
    /// Fields of the read shape that a write may not set (a 422 names them).
    const READ_ONLY: &'static [&'static str];
    /// Alternative names of fields, `(synonym, field)`: a patch that sets the
    /// synonym replaces the stored field.
    const SYNONYMS: &'static [(&'static str, &'static str)] = &[];
    /// The write body: every field optional, unknown fields denied. The
    /// handlers take `WriteBody<Self::Write>`, the spec shows its schema.
    type Write: Serialize + DeserializeOwned + ToSchema;
    /// The old name of `Write`, always the same type, kept while
    /// `transfer::import` names it; delete it when that says `Write`.
    type Body: DeserializeOwned;

    /// The stored item's writable fields as a write would send them (404 if
    /// none): serialized, without its null fields, the base a merge patch applies to.
    fn load_write(conn: &mut AnyConnection, ctx: &SaveCtx, id: i64) -> AppResult<Self::Write>;

    /// The stored writable fields as a map without nulls, for `transfer::export`
    /// until it serializes `load_write` itself.
    fn current(conn: &mut AnyConnection, ctx: &SaveCtx, id: i64) -> AppResult<Map<String, Value>>
    where
        Self: Sized,
    {
        stored_fields::<Self>(conn, ctx, id)
    }

    /// Validates a whole body (422 with one entry per field) and inserts it
    /// (`id` None) or updates item `id`. Returns the item's id.
    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<i64>,
        body: Self::Write,
    ) -> AppResult<i64>;

    /// Deletes item `id` (409 while other content depends on it).
    fn delete(conn: &mut AnyConnection, ctx: &SaveCtx, id: i64) -> AppResult<()>;

    /// The item as `GET /v1/{collection}/{id}` shows it, whatever its publication status.
    fn representation(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: i64,
    ) -> AppResult<Representation>;

    /// The `published_at` of a published item that is not public yet (scheduled),
    /// so the changes feed can announce it when it falls due.
    fn scheduled_at(
        _conn: &mut AnyConnection,
        _ctx: &SaveCtx,
        _id: i64,
    ) -> AppResult<Option<NaiveDateTime>> {
        Ok(None)
    }

    /// Runs after a create or update inside the same transaction (revisions).
    fn after_save(
        _conn: &mut AnyConnection,
        _ctx: &SaveCtx,
        _id: i64,
        _rep: &Representation,
    ) -> AppResult<()> {
        Ok(())
    }
}

/// A finished write response, also what an `Idempotency-Key` replays.
#[derive(Debug, Clone)]
pub struct Written {
    pub status: u16,
    pub location: Option<String>,
    pub etag: Option<String>,
    pub locale: Option<String>,
    pub body: Vec<u8>,
    pub replayed: bool,
}

impl Written {
    pub fn into_response(self) -> HttpResponse {
        let status = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let mut res = HttpResponse::build(status);
        if let Some(l) = self.location {
            res.insert_header((header::LOCATION, l));
        }
        if let Some(e) = self.etag {
            res.insert_header((header::ETAG, e));
        }
        if let Some(l) = self.locale {
            res.insert_header((header::CONTENT_LANGUAGE, l));
        }
        if self.replayed {
            res.insert_header(("Idempotent-Replayed", "true"));
        }
        res.insert_header((header::CACHE_CONTROL, "private, no-store"));
        if self.status == 204 {
            return res.finish();
        }
        res.content_type("application/json").body(self.body)
    }
}

/// The `Idempotency-Key` of a POST, validated (1-255 visible ASCII characters).
pub fn idempotency_key(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(v) = req.headers().get("idempotency-key") else {
        return Ok(None);
    };
    let s = v.to_str().map(str::trim).unwrap_or("");
    if s.is_empty() || s.len() > 255 || !s.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AppError::bad_request(
            "Idempotency-Key must be 1-255 visible ASCII characters",
        ));
    }
    Ok(Some(s.to_string()))
}

fn fingerprint(path: &str, body: &Value) -> String {
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Keys are kept a day, like most payment APIs; older ones are purged on use.
const IDEMPOTENCY_TTL_HOURS: i64 = 24;

fn replay(
    conn: &mut AnyConnection,
    caller: &Caller,
    key: &str,
    fp: &str,
    now: NaiveDateTime,
) -> AppResult<Option<Written>> {
    diesel::delete(idempotency_keys::table.filter(
        idempotency_keys::created_at.lt(now - chrono::Duration::hours(IDEMPOTENCY_TTL_HOURS)),
    ))
    .execute(conn)?;
    type Stored = (
        String,
        i32,
        Option<String>,
        Option<String>,
        Option<String>,
        String,
    );
    let row: Option<Stored> = idempotency_keys::table
        .filter(idempotency_keys::api_key_id.eq(caller.key_id))
        .filter(idempotency_keys::idem_key.eq(key))
        .select((
            idempotency_keys::fingerprint,
            idempotency_keys::status,
            idempotency_keys::location,
            idempotency_keys::etag,
            idempotency_keys::content_language,
            idempotency_keys::body,
        ))
        .first(conn)
        .optional()?;
    let Some((stored_fp, status, location, etag, locale, body)) = row else {
        return Ok(None);
    };
    if stored_fp != fp {
        return Err(AppError::Unprocessable(vec![FieldError {
            field: "Idempotency-Key".into(),
            message: "was already used with a different request".into(),
        }]));
    }
    Ok(Some(Written {
        status: status as u16,
        location,
        etag,
        locale,
        body: body.into_bytes(),
        replayed: true,
    }))
}

fn remember(
    conn: &mut AnyConnection,
    caller: &Caller,
    key: &str,
    fp: &str,
    w: &Written,
    now: NaiveDateTime,
) -> AppResult<()> {
    diesel::insert_into(idempotency_keys::table)
        .values((
            idempotency_keys::api_key_id.eq(caller.key_id),
            idempotency_keys::idem_key.eq(key),
            idempotency_keys::fingerprint.eq(fp),
            idempotency_keys::status.eq(i32::from(w.status)),
            idempotency_keys::location.eq(&w.location),
            idempotency_keys::etag.eq(&w.etag),
            idempotency_keys::content_language.eq(&w.locale),
            idempotency_keys::body.eq(String::from_utf8_lossy(&w.body).into_owned()),
            idempotency_keys::created_at.eq(now),
        ))
        .execute(conn)?;
    Ok(())
}

/// 412 unless `If-Match` (when sent) names the current representation
/// (strong comparison, RFC 9110 13.1.1; `*` matches any existing item).
pub fn check_if_match(if_match: Option<&str>, current: &str) -> AppResult<()> {
    let Some(v) = if_match else { return Ok(()) };
    let ok = v
        .split(',')
        .map(str::trim)
        .any(|t| t == "*" || (!t.starts_with("W/") && t == current));
    if ok {
        Ok(())
    } else {
        Err(AppError::PreconditionFailed(
            "the item has changed since the ETag in If-Match was issued; fetch it again".into(),
        ))
    }
}

fn if_match(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(header::IF_MATCH)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string)
}

fn body_object(v: Value) -> AppResult<Map<String, Value>> {
    match v {
        Value::Object(m) => Ok(m),
        _ => Err(AppError::Unprocessable(vec![FieldError {
            field: "body".into(),
            message: "must be a JSON object".into(),
        }])),
    }
}

/// Write paths address items by numeric id.
pub fn write_id(path: &str) -> AppResult<i64> {
    path.parse::<i64>()
        .ok()
        .filter(|id| *id > 0)
        .ok_or_else(|| AppError::not_found("writes address items by their numeric id"))
}

fn save_ctx(state: &AppState, caller: Caller) -> SaveCtx {
    SaveCtx {
        caller,
        now: db::now(),
        config: state.config.clone(),
        caches: state.caches.clone(),
        stamps: Stamps::default(),
    }
}

/// The merge-patch base of item `id`: its `load_write`, without null fields
/// (in a merge patch they mean "absent").
fn stored_fields<R: Resource>(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    id: i64,
) -> AppResult<Map<String, Value>> {
    let write = R::load_write(conn, ctx, id)?;
    match serde_json::to_value(write) {
        Ok(Value::Object(mut m)) => {
            m.retain(|_, v| !v.is_null());
            Ok(m)
        }
        Ok(_) => Err(AppError::Internal("a write body is not an object".into())),
        Err(e) => Err(AppError::Internal(format!("serialize write body: {e}"))),
    }
}

/// After a create or update of item `id`: its representation, the after-write
/// step and the resource's own `after_save`. Returns the representation.
fn saved<R: Resource>(
    conn: &mut AnyConnection,
    ctx: &SaveCtx,
    id: i64,
    action: Action,
    was_public: bool,
) -> AppResult<Representation> {
    let rep = R::representation(conn, ctx, id)?;
    let media = crate::media::usage::media_ids_in(&rep.bytes);
    let due = R::scheduled_at(conn, ctx, id)?;
    after_write(
        conn,
        None,
        &ItemWritten {
            resource: R::TYPE,
            id,
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
    let written = db::run(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            if let Some(k) = &key {
                if let Some(w) = replay(conn, &ctx.caller, k, &fp, ctx.now)? {
                    return Ok(w);
                }
            }
            let obj = body_object(body)?;
            let parsed = parse_body::<R::Write>(&obj, R::READ_ONLY)?;
            let id = R::save(conn, &ctx, None, parsed)?;
            let rep = saved::<R>(conn, &ctx, id, Action::Created, false)?;
            let w = Written {
                status: 201,
                location: Some(R::TYPE.item_path(id)),
                etag: Some(rep.etag()),
                locale: Some(rep.meta.locale.clone()),
                body: rep.bytes,
                replayed: false,
            };
            if let Some(k) = &key {
                remember(conn, &ctx.caller, k, &fp, &w, ctx.now)?;
            }
            Ok(w)
        })
    })
    .await;
    // Also after a failed write: a cache filled inside its rolled-back
    // transaction (the section tree, say) may hold rows that never existed.
    state.caches.invalidate_all();
    Ok(written?.into_response())
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
    let id = write_id(path)?;
    let if_match = if_match(req);
    let ctx = save_ctx(state, caller);
    let written = db::run(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            let mut current = stored_fields::<R>(conn, &ctx, id)?;
            let before = R::representation(conn, &ctx, id)?;
            check_if_match(if_match.as_deref(), &before.etag())?;
            let patch = body_object(patch)?;
            body::check_patch_keys::<R::Write>(&patch, R::READ_ONLY)?;
            for (synonym, field) in R::SYNONYMS {
                if patch.contains_key(*synonym) {
                    current.remove(*field);
                }
            }
            let mut merged = Value::Object(std::mem::take(&mut current));
            json_patch::merge(&mut merged, &Value::Object(patch));
            let merged = body_object(merged)?;
            let parsed = parse_body::<R::Write>(&merged, R::READ_ONLY)?;
            R::save(conn, &ctx, Some(id), parsed)?;
            let rep = saved::<R>(conn, &ctx, id, Action::Updated, before.meta.public)?;
            Ok(Written {
                status: 200,
                location: None,
                etag: Some(rep.etag()),
                locale: Some(rep.meta.locale.clone()),
                body: rep.bytes,
                replayed: false,
            })
        })
    })
    .await;
    state.caches.invalidate_all();
    Ok(written?.into_response())
}

/// `DELETE /v1/{collection}/{id}`: 204; 412 on a stale `If-Match`.
pub async fn delete<R: Resource>(
    req: &HttpRequest,
    state: &web::Data<AppState>,
    caller: Caller,
    path: &str,
) -> AppResult<HttpResponse> {
    let id = write_id(path)?;
    let if_match = if_match(req);
    let ctx = save_ctx(state, caller);
    let written = db::run(&state.pool, move |conn| {
        write_tx(conn, |conn| {
            R::load_write(conn, &ctx, id)?;
            let before = R::representation(conn, &ctx, id)?;
            check_if_match(if_match.as_deref(), &before.etag())?;
            R::delete(conn, &ctx, id)?;
            after_write(
                conn,
                None,
                &ItemWritten {
                    resource: R::TYPE,
                    id,
                    action: Action::Deleted,
                    meta: &before.meta,
                    was_public: before.meta.public,
                    media: &[],
                    due: None,
                    at: ctx.now,
                },
            )?;
            Ok(Written {
                status: 204,
                location: None,
                etag: None,
                locale: None,
                body: Vec::new(),
                replayed: false,
            })
        })
    })
    .await;
    state.caches.invalidate_all();
    Ok(written?.into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_uses_strong_comparison() {
        let e = "\"abc\"";
        assert!(check_if_match(None, e).is_ok());
        assert!(check_if_match(Some("\"abc\""), e).is_ok());
        assert!(check_if_match(Some("\"x\", \"abc\""), e).is_ok());
        assert!(check_if_match(Some("*"), e).is_ok());
        assert!(check_if_match(Some("W/\"abc\""), e).is_err());
        assert!(check_if_match(Some("\"old\""), e).is_err());
    }

    #[test]
    fn sanitizer_keeps_formatting_and_drops_scripts() {
        let dirty = r#"<p onclick="x()">Hi <b>there</b> <a href="javascript:alert(1)">x</a>
            <a href="https://belarus.by/">ok</a><img src="https://e.org/a.jpg" onerror="y()" alt="a">
            <script>alert(1)</script><iframe src="https://e.org"></iframe></p>"#;
        let clean = sanitize_html(dirty);
        assert!(clean.contains("<b>there</b>"));
        assert!(clean.contains("href=\"https://belarus.by/\""));
        assert!(clean.contains("<img src=\"https://e.org/a.jpg\""));
        for bad in [
            "onclick",
            "onerror",
            "javascript:",
            "<script",
            "<iframe",
            "alert(1)",
        ] {
            assert!(!clean.contains(bad), "{bad} survived: {clean}");
        }
    }
}
