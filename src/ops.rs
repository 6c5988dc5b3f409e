//! Operations endpoints: liveness, readiness, and the metrics route's documentation.

use std::time::Duration;

use actix_web::{get, web, HttpResponse};
use serde::Serialize;
use utoipa::ToSchema;

use crate::error::AppError;
use crate::AppState;

#[derive(Serialize, ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: String,
}

fn no_store(status: &str) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: status.into(),
        })
}

#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    no_store("ok")
}

#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "The database is reachable and accepts writes (503 while it is unreachable or read-only)", body = Health),
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    let pool = state.pool.clone();
    web::block(move || {
        let mut conn = pool.get_timeout(Duration::from_secs(2))?;
        crate::db::health::check_ready(&mut conn)
    })
    .await??;
    Ok(no_store("ready"))
}

/// Documents `/metrics`; the Prometheus middleware answers it before routing.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "Prometheus text exposition: request counts and latency histograms per route", content_type = "text/plain", body = String))
)]
#[get("/metrics")]
pub async fn metrics() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

/// `/docs` -> `/docs/`, where the bundled Swagger UI lives (its assets are served by this binary).
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
