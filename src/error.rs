//! `AppError` -> RFC 9457 problem+json. The only place HTTP error statuses are chosen.

use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;
use utoipa::ToSchema;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// One offending field of a request.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

/// A content item that uses a media item (a 409 on deleting the media item lists them).
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct UsedBy {
    /// The resource type, as in the changes feed (`article`, `tourist_site`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    pub slug: String,
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, ToSchema)]
pub struct Problem {
    /// A URI reference naming the problem type; `about:blank` when the status says it all.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub instance: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<FieldError>>,
    /// On a 409 for deleting a media item: the content that still uses it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub used_by: Option<Vec<UsedBy>>,
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("bad request: {detail}")]
    BadRequest {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("unauthorized: {0}")]
    Unauthorized(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("not found: {0}")]
    NotFound(String),
    #[error("method not allowed")]
    MethodNotAllowed { allow: Vec<String> },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("in use: {detail}")]
    InUse {
        detail: String,
        used_by: Vec<UsedBy>,
    },
    #[error("precondition failed")]
    PreconditionFailed(String),
    #[error("payload too large")]
    PayloadTooLarge(String),
    #[error("unsupported media type")]
    UnsupportedMediaType(String),
    #[error("unprocessable: {0:?}")]
    Unprocessable(Vec<FieldError>),
    #[error("too many requests")]
    TooManyRequests { retry_after: u64 },
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// A bounded wait or read ran out (the write lock, the read timeout): 503
    /// with `Retry-After`. The text is ours and is shown to the client.
    #[error("busy: {0}")]
    Busy(&'static str),
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    /// A 400 naming one query parameter.
    pub fn bad_param(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        AppError::BadRequest {
            detail: format!("invalid parameter `{field}`: {message}"),
            errors: vec![FieldError {
                field: field.to_string(),
                message,
            }],
        }
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        AppError::BadRequest {
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn not_found(what: impl Into<String>) -> Self {
        AppError::NotFound(what.into())
    }

    fn detail(&self) -> String {
        match self {
            AppError::BadRequest { detail, .. } | AppError::InUse { detail, .. } => detail.clone(),
            AppError::NotFound(what) => what.clone(),
            AppError::MethodNotAllowed { allow } => {
                format!("this resource allows {}", allow.join(", "))
            }
            AppError::Unauthorized(d)
            | AppError::Forbidden(d)
            | AppError::Conflict(d)
            | AppError::PreconditionFailed(d)
            | AppError::PayloadTooLarge(d)
            | AppError::UnsupportedMediaType(d) => d.clone(),
            AppError::Unprocessable(_) => "the request body failed validation".into(),
            AppError::TooManyRequests { retry_after } => {
                format!("rate limit exceeded; retry in {retry_after} s (see the RateLimit header)")
            }
            AppError::Unavailable(_) => "the database is unavailable; try again shortly".into(),
            AppError::Busy(d) => (*d).into(),
            // Never leak internals: the cause is logged with the request id.
            AppError::Internal(_) => "an unexpected error occurred".into(),
        }
    }
}

/// Builds a problem+json response for any status; shared with the middleware that
/// turns the framework's own plain-text errors into problems.
pub fn problem_response(
    status: StatusCode,
    detail: String,
    errors: Option<Vec<FieldError>>,
) -> HttpResponse {
    let body = Problem {
        kind: "about:blank".into(),
        title: status.canonical_reason().unwrap_or("Error").to_string(),
        status: status.as_u16(),
        detail,
        instance: None,
        errors,
        used_by: None,
    };
    HttpResponse::build(status)
        .insert_header((header::CONTENT_TYPE, PROBLEM_JSON))
        .body(serde_json::to_vec(&body).unwrap_or_default())
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed { .. } => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) | AppError::InUse { .. } => StatusCode::CONFLICT,
            AppError::PreconditionFailed(_) => StatusCode::PRECONDITION_FAILED,
            AppError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) | AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        let errors = match self {
            AppError::BadRequest { errors, .. } if !errors.is_empty() => Some(errors.clone()),
            AppError::Unprocessable(errors) => Some(errors.clone()),
            _ => None,
        };
        let mut res = problem_response(self.status_code(), self.detail(), errors);
        match self {
            AppError::MethodNotAllowed { allow } => {
                if let Ok(v) = header::HeaderValue::from_str(&allow.join(", ")) {
                    res.headers_mut().insert(header::ALLOW, v);
                }
            }
            AppError::Unauthorized(_) => {
                res.headers_mut().insert(
                    header::WWW_AUTHENTICATE,
                    header::HeaderValue::from_static("Bearer realm=\"belportal\""),
                );
            }
            AppError::InUse { detail, used_by } => {
                let body = Problem {
                    kind: "about:blank".into(),
                    title: "Conflict".into(),
                    status: 409,
                    detail: detail.clone(),
                    instance: None,
                    errors: None,
                    used_by: Some(used_by.clone()),
                };
                if let Ok(bytes) = serde_json::to_vec(&body) {
                    res = res.set_body(actix_web::body::BoxBody::new(bytes));
                }
            }
            AppError::TooManyRequests { retry_after } => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from(*retry_after));
            }
            AppError::Unavailable(_) | AppError::Busy(_) => {
                res.headers_mut()
                    .insert(header::RETRY_AFTER, header::HeaderValue::from_static("5"));
            }
            _ => {}
        }
        res
    }
}

/// What a writer that waited `BELPORTAL_LOCK_TIMEOUT_MS` for the write lock is told.
pub const LOCK_BUSY: &str =
    "another write (or an import) holds the write lock; nothing was changed, try again shortly";
/// What a read stopped after `BELPORTAL_READ_TIMEOUT_MS` is told.
pub const READ_TIMEOUT: &str =
    "the query took too long and was stopped; try again shortly, or narrow it (fewer words, a filter, a cursor)";

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind as K, Error as E};
        match e {
            E::NotFound => AppError::not_found("no such item"),
            E::DatabaseError(K::UniqueViolation, _) => {
                AppError::Conflict("an item with this slug already exists in this locale".into())
            }
            E::DatabaseError(K::ForeignKeyViolation, _) => {
                AppError::Conflict("other content still refers to this item".into())
            }
            // SQLSTATE 25006: the primary turned read-only (failover, maintenance).
            E::DatabaseError(K::ReadOnlyTransaction, _) => {
                AppError::Busy(crate::db::health::READ_ONLY)
            }
            // A pooled connection whose server went away (a failover): libpq
            // says "no connection to the server" when sending; the next
            // checkout connects again.
            E::DatabaseError(K::ClosedConnection | K::UnableToSendCommand, _)
            | E::BrokenTransactionManager => AppError::Unavailable(e.to_string()),
            E::DatabaseError(_, ref info) if crate::db::is_lock_timeout(info.message()) => {
                AppError::Busy(LOCK_BUSY)
            }
            E::DatabaseError(_, ref info) if crate::db::is_read_timeout(info.message()) => {
                AppError::Busy(READ_TIMEOUT)
            }
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(e: diesel::r2d2::PoolError) -> Self {
        AppError::Unavailable(e.to_string())
    }
}

impl From<actix_web::error::BlockingError> for AppError {
    fn from(e: actix_web::error::BlockingError) -> Self {
        AppError::Internal(e.to_string())
    }
}

pub type AppResult<T> = Result<T, AppError>;
