//! Cross-cutting HTTP: parameters and cursors, locale negotiation, responses,
//! middleware, and the framework error handlers that keep every error problem+json.

pub mod access;
pub mod auth;
pub mod body;
pub mod edge;
pub mod encoding;
pub mod list;
pub mod locale;
pub mod middleware;
pub mod params;
pub mod preconditions;
pub mod prune;
pub mod ratelimit;
pub mod response;
pub mod shape;

use actix_web::dev::ResourceDef;
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::{web, HttpRequest};

use crate::error::{AppError, FieldError};

/// The name inside the first pair of backticks of a serde message (`unknown field `x``).
fn field_in(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = message[start..].find('`')? + start;
    Some(message[start..end].to_string())
}

/// The base of every absolute URL the API builds (feeds, iCalendar, JSON-LD):
/// `BELPORTAL_PUBLIC_URL`. `Host`, `Forwarded` and `X-Forwarded-*` never change it,
/// so a response cached for one client is right for every other.
pub fn public_url(req: &HttpRequest) -> String {
    req.app_data::<web::Data<crate::AppState>>()
        .map(|s| s.config.public_url.clone())
        .unwrap_or_default()
}

/// A JSON body that must be an object (the admin and media writes), else a 422 on `body`.
pub fn json_object(
    body: serde_json::Value,
) -> Result<serde_json::Map<String, serde_json::Value>, AppError> {
    match body {
        serde_json::Value::Object(m) => Ok(m),
        _ => Err(AppError::Unprocessable(vec![FieldError {
            field: "body".into(),
            message: "must be a JSON object".into(),
        }])),
    }
}

pub fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let message = match &err {
        QueryPayloadError::Deserialize(e) => e.to_string(),
        other => other.to_string(),
    };
    invalid_query(message).into()
}

/// The 400 of an unreadable query string; the field the message names, if any.
pub fn invalid_query(message: String) -> AppError {
    let errors = field_in(&message)
        .map(|field| {
            vec![FieldError {
                field,
                message: message.clone(),
            }]
        })
        .unwrap_or_default();
    AppError::BadRequest {
        detail: format!("invalid query string: {message}"),
        errors,
    }
}

pub fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    match err {
        JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
            AppError::PayloadTooLarge("JSON bodies are limited to 1 MiB".into()).into()
        }
        JsonPayloadError::ContentType => {
            AppError::UnsupportedMediaType("expected Content-Type: application/json".into()).into()
        }
        JsonPayloadError::Deserialize(e) => {
            AppError::bad_request(format!("malformed JSON body: {e}")).into()
        }
        other => AppError::bad_request(format!("unreadable body: {other}")).into(),
    }
}

pub fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    AppError::not_found("no such item").into()
}

/// Route patterns and their methods, taken from the OpenAPI document, so a
/// request for a known path with another method gets 405 with `Allow`.
pub struct RouteTable(Vec<(ResourceDef, Vec<String>)>);

impl RouteTable {
    pub fn from_openapi(api: &utoipa::openapi::OpenApi) -> Self {
        let routes = api
            .paths
            .paths
            .iter()
            .map(|(path, item)| {
                let mut methods: Vec<String> = Vec::new();
                let ops = [
                    ("GET", item.get.is_some()),
                    ("POST", item.post.is_some()),
                    ("PUT", item.put.is_some()),
                    ("PATCH", item.patch.is_some()),
                    ("DELETE", item.delete.is_some()),
                ];
                for (m, present) in ops {
                    if present {
                        methods.push(m.to_string());
                    }
                }
                // HEAD is served wherever GET is (see the envelope middleware).
                if item.get.is_some() {
                    methods.push("HEAD".to_string());
                }
                (ResourceDef::new(path.as_str()), methods)
            })
            .collect();
        RouteTable(routes)
    }

    pub fn allowed_methods(&self, path: &str) -> Vec<String> {
        let mut allowed: Vec<String> = self
            .0
            .iter()
            .filter(|(def, _)| def.is_match(path))
            .flat_map(|(_, m)| m.iter().cloned())
            .collect();
        allowed.sort();
        allowed.dedup();
        allowed
    }
}

/// The default service: 405 for a known path with a method it lacks, else 404.
pub async fn fallback(
    req: HttpRequest,
    routes: Option<web::Data<RouteTable>>,
) -> Result<actix_web::HttpResponse, AppError> {
    let allow = routes
        .map(|r| r.allowed_methods(req.path()))
        .unwrap_or_default();
    if allow.is_empty() {
        Err(AppError::not_found(format!(
            "no resource at {}",
            req.path()
        )))
    } else {
        Err(AppError::MethodNotAllowed { allow })
    }
}
