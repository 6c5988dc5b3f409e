//! `Idempotency-Key`: a repeated POST with the same key and body gets the first
//! response again; the same key with another body is a 422.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpRequest, HttpResponse};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde_json::Value;
use sha2::{Digest, Sha256};

use crate::db::schema::idempotency_keys;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult, FieldError};
use crate::keys::Caller;

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
    /// A write answered with the item's representation (its bytes, ETag and locale).
    pub fn item(status: u16, location: Option<String>, rep: super::Representation) -> Written {
        Written {
            status,
            location,
            etag: Some(rep.etag()),
            locale: Some(rep.meta.locale),
            body: rep.bytes,
            replayed: false,
        }
    }

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

pub(super) fn fingerprint(path: &str, body: &Value) -> String {
    let mut h = Sha256::new();
    h.update(path.as_bytes());
    h.update(b"\n");
    h.update(body.to_string().as_bytes());
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Keys are kept a day, like most payment APIs; older ones are purged on use.
const IDEMPOTENCY_TTL_HOURS: i64 = 24;

pub(super) fn replay(
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

pub(super) fn remember(
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
