//! Bearer API keys: extractors that answer 401 (no or bad key) and 403 (role too low).

use std::future::Future;
use std::pin::Pin;

use actix_web::http::header;
use actix_web::{dev::Payload, web, FromRequest, HttpMessage, HttpRequest};

use crate::db;
use crate::domain::Visibility;
use crate::error::{AppError, AppResult};
use crate::keys::{self, Caller, Role};
use crate::AppState;

/// The key presented in `Authorization: Bearer <key>`, if any (401 when malformed).
fn bearer(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(v) = req.headers().get(header::AUTHORIZATION) else {
        return Ok(None);
    };
    let v = v
        .to_str()
        .map_err(|_| AppError::Unauthorized("malformed Authorization header".into()))?;
    let (scheme, key) = v
        .trim()
        .split_once(' ')
        .ok_or_else(|| AppError::Unauthorized("expected `Authorization: Bearer <key>`".into()))?;
    if !scheme.eq_ignore_ascii_case("bearer") || key.trim().is_empty() {
        return Err(AppError::Unauthorized(
            "expected `Authorization: Bearer <key>`".into(),
        ));
    }
    Ok(Some(key.trim().to_string()))
}

/// The caller a request's key belongs to, put in the request's extensions by
/// `http::edge` (which answered 401 for any bad key before the request got here).
#[derive(Debug, Clone)]
pub struct Authenticated(pub Caller);

/// The caller behind the request's `Authorization` header: None without one, 401
/// when it is malformed, unknown or revoked.
pub async fn authenticate(req: &HttpRequest) -> AppResult<Option<Caller>> {
    if let Some(Authenticated(c)) = req.extensions().get::<Authenticated>() {
        return Ok(Some(c.clone()));
    }
    let Some(key) = bearer(req)? else {
        return Ok(None);
    };
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| AppError::Internal("no app state".into()))?
        .clone();
    let caller = db::run(&state.pool, move |conn| keys::authenticate(conn, &key)).await?;
    Ok(Some(caller))
}

/// The caller behind the request's key with at least `role`.
pub async fn require(req: &HttpRequest, role: Role) -> AppResult<Caller> {
    let caller = authenticate(req)
        .await?
        .ok_or_else(|| AppError::Unauthorized("this request needs an API key".into()))?;
    if caller.role < role {
        return Err(AppError::Forbidden(format!(
            "this request needs the `{}` role",
            role.as_str()
        )));
    }
    Ok(caller)
}

macro_rules! role_extractor {
    ($name:ident, $role:expr, $doc:literal) => {
        #[doc = $doc]
        pub struct $name(pub Caller);

        impl FromRequest for $name {
            type Error = actix_web::Error;
            type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

            fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
                let req = req.clone();
                Box::pin(async move {
                    require(&req, $role)
                        .await
                        .map($name)
                        .map_err(actix_web::Error::from)
                })
            }
        }
    };
}

role_extractor!(
    Editor,
    Role::Editor,
    "A caller with the `editor` or `admin` role."
);
role_extractor!(Admin, Role::Admin, "A caller with the `admin` role.");

/// The visibility a request asks for with `status`: previews need an editor key.
pub async fn visibility(
    req: &actix_web::HttpRequest,
    status: Option<&str>,
) -> AppResult<Visibility> {
    let Some(v) = status else {
        return Ok(Visibility::Public);
    };
    let vis = Visibility::preview_value(v).ok_or_else(|| {
        AppError::bad_param(
            "status",
            format!("unknown status `{v}`; allowed: draft, published, archived, any"),
        )
    })?;
    require(req, Role::Editor).await?;
    Ok(vis)
}
