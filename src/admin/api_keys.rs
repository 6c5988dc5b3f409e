//! `/v1/admin/api-keys`: list, create and revoke API keys.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::db;
use crate::error::{AppError, AppResult, FieldError};
use crate::http::auth::Admin;
use crate::http::body::parse_body;
use crate::http::params::write_id;
use crate::http::response::{self, ListBody};
use crate::keys::{self, ApiKey, ApiKeyWrite, CreatedApiKey};
use crate::resource::KeyId;
use crate::AppState;

/// List API keys
///
/// Every key, revoked ones included, with its name, role and prefix, never the
/// secret. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Every key, revoked ones included (never the secrets)", body = ListBody<ApiKey>),
    )
)]
#[get("/admin/api-keys")]
pub async fn list_api_keys(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> AppResult<HttpResponse> {
    let all = db::run(&state.pool, keys::list_keys).await?;
    Ok(response::admin_list(&req, all))
}

/// Create an API key
///
/// Creates an `editor` or `admin` key; the secret `key` is in this response only,
/// so store it now. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    request_body = ApiKeyWrite,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "The new key; `key` is shown only in this response", body = CreatedApiKey),
        (status = 422, description = "Missing or bad name or role"),
    )
)]
#[post("/admin/api-keys")]
pub async fn create_api_key(
    state: web::Data<AppState>,
    _admin: Admin,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    let obj = crate::http::json_object(body.into_inner())?;
    let w: ApiKeyWrite = parse_body(&obj, &["id", "prefix", "created_at", "revoked_at", "key"])?;
    let mut errors = Vec::new();
    let name = keys::validate_name(w.name.as_deref())
        .map_err(|e| errors.push(e))
        .ok();
    if w.role.is_none() {
        errors.push(FieldError {
            field: "role".into(),
            message: "is required (`editor` or `admin`)".into(),
        });
    }
    let (Some(name), Some(role), true) = (name, w.role, errors.is_empty()) else {
        return Err(AppError::Unprocessable(errors));
    };
    let created = db::run(&state.pool, move |conn| keys::create_key(conn, &name, role)).await?;
    let location = format!("/v1/admin/api-keys/{}", created.info.id);
    Ok(response::created_secret(&created, &location))
}

/// Revoke an API key
///
/// Requests with the key fail from now on; the key stays listed as revoked.
/// Needs an admin key.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Key id")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Revoked; requests with the key fail from now on"),
        (status = 404, description = "No such key"),
    )
)]
#[delete("/admin/api-keys/{id}")]
pub async fn revoke_api_key(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: KeyId = write_id(&path)?;
    db::run(&state.pool, move |conn| keys::revoke_key(conn, id)).await?;
    Ok(HttpResponse::NoContent().finish())
}
