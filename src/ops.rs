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
    /// `/readyz` with a read replica (`DATABASE_READ_URL`): its state. A
    /// lagging or unreachable replica does not fail readiness (reads then
    /// use the primary).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub replica: Option<crate::db::replica::ReplicaHealth>,
}

fn no_store(status: &str) -> HttpResponse {
    no_store_with(status, None)
}

fn no_store_with(status: &str, replica: Option<crate::db::replica::ReplicaHealth>) -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .json(Health {
            status: status.into(),
            replica,
        })
}

/// Liveness probe
///
/// Answers 200 `{"status": "ok"}` while the process serves requests, without
/// touching the database: for a load balancer or orchestrator deciding whether to
/// restart the process. Use `/readyz` to decide whether to send it traffic.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, description = "The process is alive", body = Health))
)]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    no_store("ok")
}

/// Readiness probe
///
/// Answers 200 when the database is reachable and accepts writes, and 503 (with
/// `Retry-After`) while it is unreachable or read-only, so a load balancer sends
/// traffic only to nodes that can serve it.
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
    let replica = state.pool.replica_status().map(|r| r.health());
    Ok(no_store_with("ready", replica))
}

/// Where the API port answers the metrics (unless `BELPORTAL_METRICS_ADDR`).
pub const METRICS_PATH: &str = "/metrics";

/// Prometheus metrics
///
/// Prometheus text exposition: request counts and latency histograms per route
/// pattern and status, response cache hits and misses, compressions and requests
/// refused by the rate limiter. The Prometheus middleware answers it before
/// routing. With `BELPORTAL_METRICS_ADDR` set it is served on that separate
/// listener only and this path answers 404.
#[utoipa::path(
    tag = "operations",
    responses(
        (status = 200, description = "Prometheus text exposition: request counts and latency histograms per route", content_type = "text/plain", body = String),
        (status = 404, description = "`BELPORTAL_METRICS_ADDR` is set: the metrics are served on that separate listener, not on the API port"),
    )
)]
#[get("/metrics")]
pub async fn metrics() -> HttpResponse {
    HttpResponse::NotFound().finish()
}

/// The text exposition of a registry.
async fn exposition(registry: web::Data<prometheus::Registry>) -> HttpResponse {
    use prometheus::Encoder;
    let encoder = prometheus::TextEncoder::new();
    let mut buf = Vec::new();
    match encoder.encode(&registry.gather(), &mut buf) {
        Ok(()) => HttpResponse::Ok()
            .insert_header(("Content-Type", encoder.format_type()))
            .insert_header(("Cache-Control", "no-store"))
            .body(buf),
        Err(e) => {
            tracing::error!(%e, "cannot encode metrics");
            HttpResponse::InternalServerError().finish()
        }
    }
}

/// The separate metrics listener (`BELPORTAL_METRICS_ADDR`): `GET /metrics` with
/// the API's registry, everything else 404. One worker; it stops with the API
/// server (the caller stops it through the returned server's handle). Returns
/// the server and the address it is bound to (port 0 picks a free one).
pub fn metrics_server(
    registry: prometheus::Registry,
    addr: std::net::SocketAddr,
) -> Result<(actix_web::dev::Server, std::net::SocketAddr), String> {
    let registry = web::Data::new(registry);
    let server = actix_web::HttpServer::new(move || {
        actix_web::App::new()
            .app_data(registry.clone())
            .route("/metrics", web::get().to(exposition))
    })
    .workers(1)
    .disable_signals()
    .bind(addr)
    .map_err(|e| format!("cannot listen on {addr} (BELPORTAL_METRICS_ADDR): {e}"))?;
    let bound = server.addrs().first().copied().unwrap_or(addr);
    Ok((server.run(), bound))
}

/// `/docs` -> `/docs/`, where the bundled Swagger UI lives (its assets are served by this binary).
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::PermanentRedirect()
        .insert_header(("Location", "/docs/"))
        .finish()
}
