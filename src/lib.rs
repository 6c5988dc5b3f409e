//! belportal: a headless JSON content API. `build_app` is shared by the binary and the tests.

pub mod admin;
pub mod cache;
pub mod changes;
pub mod config;
pub mod db;
pub mod demo;
pub mod domain;
pub mod editorial;
pub mod error;
pub mod geo;
pub mod http;
pub mod keys;
pub mod logging;
pub mod media;
pub mod net;
pub mod openapi;
pub mod ops;
pub mod paging;
pub mod progress;
pub mod resource;
pub mod resources;
pub mod startup;
pub mod transfer;
pub mod webhooks;

use std::sync::Arc;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::http::{header, Method};
use actix_web::middleware::{from_fn, Compress};
use actix_web::{web, App};
use actix_web_prom::{PrometheusMetrics, PrometheusMetricsBuilder};
use utoipa::OpenApi;
use utoipa_actix_web::{scope, AppExt, UtoipaApp};
use utoipa_swagger_ui::SwaggerUi;

use crate::config::Config;
use crate::db::{Backend, DbPool};
use crate::http::edge::edge;
use crate::http::middleware::{conditional_get, envelope, HttpSettings};
use crate::http::RouteTable;

/// What every handler shares.
pub struct AppState {
    pub pool: DbPool,
    pub config: Arc<Config>,
    pub backend: Backend,
    pub caches: cache::Caches,
    /// Where media files are stored (`BELPORTAL_MEDIA_URL`: a directory or an S3 bucket).
    pub media: Arc<dyn media::storage::MediaStore>,
    /// Per-client request limits; None when `BELPORTAL_RATE_LIMIT=0`.
    pub limiter: Option<Arc<http::ratelimit::Limiter>>,
    /// Requests refused by the limiter (shared with it; always in `/metrics`).
    pub rate_limited: prometheus::IntCounterVec,
    /// Permits for image decodes (`BELPORTAL_MEDIA_DECODES`): bounds their memory.
    pub decodes: Arc<tokio::sync::Semaphore>,
    /// One permit per megapixel (`BELPORTAL_MEDIA_DECODE_MEGAPIXELS`): running
    /// decodes together hold at most this many pixels, whatever the core count.
    pub decode_pixels: Arc<tokio::sync::Semaphore>,
    /// Clears `caches` when another node writes (PostgreSQL LISTEN); started
    /// by `startup::prepare`, stopped when the state is dropped.
    pub listener: Option<db::notify::Listener>,
}

impl AppState {
    pub fn new(config: Config) -> Result<Self, String> {
        let backend = Backend::from_url(&config.database_url)?;
        let limits = db::Limits {
            read_timeout_ms: config.read_timeout_ms,
            lock_timeout_ms: config.lock_timeout_ms,
        };
        let pool = db::build_pool(&backend, config.pool_size, limits, &config.node).with_replica(
            &config.replica,
            &config.database_url,
            &config.node,
        );
        let caches = cache::Caches::new(config.response_cache_fresh_ms());
        let media = media::storage::open_store(&config)?;
        let rate_limited = http::ratelimit::refused_counter();
        let limiter = http::ratelimit::Limiter::new(
            config.rate_limit,
            config.rate_limit_burst,
            rate_limited.clone(),
        )
        .map(Arc::new);
        let decodes = Arc::new(tokio::sync::Semaphore::new(config.media_decodes));
        let decode_pixels = Arc::new(tokio::sync::Semaphore::new(
            config.media_decode_megapixels as usize,
        ));
        Ok(AppState {
            pool,
            media,
            decodes,
            decode_pixels,
            limiter,
            rate_limited,
            listener: None,
            config: Arc::new(config),
            backend,
            caches,
        })
    }
}

/// Request counts and latency histograms per route pattern. A fresh registry each
/// call, so test apps never collide; `main` builds it once and shares it.
pub fn metrics() -> Result<PrometheusMetrics, String> {
    metrics_with(true)
}

/// `metrics()`, answering `/metrics` on the API port or (`on_api_port` false,
/// when `BELPORTAL_METRICS_ADDR` is set) only counting: `ops::metrics_server`
/// then serves the registry on its own listener and the API port answers 404.
pub fn metrics_with(on_api_port: bool) -> Result<PrometheusMetrics, String> {
    let mut builder =
        PrometheusMetricsBuilder::new("belportal").mask_unmatched_patterns("UNMATCHED");
    if on_api_port {
        builder = builder.endpoint(ops::METRICS_PATH);
    }
    builder
        .build()
        .map_err(|e| format!("cannot set up metrics: {e}"))
}

fn routes<T>(app: UtoipaApp<T>) -> UtoipaApp<T>
where
    T: ServiceFactory<ServiceRequest, Config = (), Error = actix_web::Error, InitError = ()>,
{
    app.openapi(openapi::ApiDoc::openapi())
        .service(scope::scope("/v1").configure(v1_routes))
        .service(media::serve::media_file)
        .service(ops::healthz)
        .service(ops::readyz)
        .service(ops::metrics)
}

/// Every route under `/v1`, registered here and nowhere else. Order matters: fixed paths such as
/// `/articles/calendar` come before `/articles/{id}`.
fn v1_routes(cfg: &mut utoipa_actix_web::service_config::ServiceConfig) {
    cfg.service(resources::regions::list_regions)
        .service(resources::regions::get_region)
        .service(resources::sections::list_sections)
        .service(resources::sections::get_section)
        .service(resources::articles::list_articles)
        .service(resources::articles::article_calendar)
        .service(resources::feeds::atom_feed)
        .service(resources::feeds::rss_feed)
        .service(resources::articles::get_article)
        .service(resources::articles::write::create_article)
        .service(resources::articles::write::update_article)
        .service(resources::articles::write::delete_article)
        .service(resources::articles::write::list_article_revisions)
        .service(resources::places::api::reads::<
            resources::places::tourist_sites::TouristSite,
        >())
        .service(resources::places::tourist_sites::create_tourist_site)
        .service(resources::places::tourist_sites::update_tourist_site)
        .service(resources::places::tourist_sites::delete_tourist_site)
        .service(resources::places::api::reads::<
            resources::places::unesco_sites::UnescoSite,
        >())
        .service(resources::places::unesco_sites::create_unesco_site)
        .service(resources::places::unesco_sites::update_unesco_site)
        .service(resources::places::unesco_sites::delete_unesco_site)
        .service(resources::places::api::reads::<
            resources::places::sanatoria::Sanatorium,
        >())
        .service(resources::places::sanatoria::create_sanatorium)
        .service(resources::places::sanatoria::update_sanatorium)
        .service(resources::places::sanatoria::delete_sanatorium)
        .service(resources::places::api::reads::<
            resources::places::monuments::Monument,
        >())
        .service(resources::places::monuments::create_monument)
        .service(resources::places::monuments::update_monument)
        .service(resources::places::monuments::delete_monument)
        .service(resources::places::api::reads::<
            resources::places::souvenirs::Souvenir,
        >())
        .service(resources::places::souvenirs::create_souvenir)
        .service(resources::places::souvenirs::update_souvenir)
        .service(resources::places::souvenirs::delete_souvenir)
        .service(resources::places::nearby::nearby)
        .service(resources::events::list_events)
        .service(resources::events::calendar::event_calendar)
        .service(resources::events::ics::events_ics)
        .service(resources::events::get_event)
        .service(resources::events::write::create_event)
        .service(resources::events::write::update_event)
        .service(resources::events::write::delete_event)
        .service(resources::sections::write::create_section)
        .service(resources::sections::write::update_section)
        .service(resources::sections::write::delete_section)
        .service(resources::search::search_all)
        .service(resources::suggest::suggest_items)
        .service(media::handlers::upload_media)
        .service(media::handlers::list_media)
        .service(media::handlers::get_media)
        .service(media::handlers::update_media)
        .service(media::handlers::delete_media)
        .service(changes::handlers::changes_feed)
        .service(admin::api_keys::list_api_keys)
        .service(admin::api_keys::create_api_key)
        .service(admin::api_keys::revoke_api_key)
        .service(transfer::handlers::export)
        .service(transfer::handlers::import)
        .service(webhooks::handlers::list_webhooks)
        .service(webhooks::handlers::create_webhook)
        .service(webhooks::handlers::delete_webhook)
        .service(webhooks::handlers::list_deliveries);
}

/// The OpenAPI document, built from the routes without a database.
pub fn openapi_spec() -> utoipa::openapi::OpenApi {
    let (_, mut api) = routes(App::new().into_utoipa_app()).split_for_parts();
    openapi::complete(&mut api);
    api
}

fn cors(config: &Config) -> Cors {
    let origins = config.cors_origins.clone();
    Cors::default()
        .allowed_origin_fn(move |origin, head| {
            let reading = |m: &Method| matches!(*m, Method::GET | Method::HEAD);
            let requested = head
                .headers()
                .get(header::ACCESS_CONTROL_REQUEST_METHOD)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| Method::from_bytes(v.as_bytes()).ok());
            let public = match head.method {
                Method::OPTIONS => requested.as_ref().is_some_and(reading),
                ref m => reading(m),
            };
            public || origins.iter().any(|o| o.as_bytes() == origin.as_bytes())
        })
        .allowed_methods([
            Method::GET,
            Method::HEAD,
            Method::POST,
            Method::PATCH,
            Method::DELETE,
        ])
        .allowed_headers([
            header::AUTHORIZATION,
            header::CONTENT_TYPE,
            header::IF_MATCH,
            header::IF_NONE_MATCH,
            header::ACCEPT_LANGUAGE,
            header::HeaderName::from_static("idempotency-key"),
            header::HeaderName::from_static("x-request-id"),
        ])
        .expose_headers([
            header::ETAG,
            header::LINK,
            header::LOCATION,
            header::CONTENT_LANGUAGE,
            header::RETRY_AFTER,
            http::edge::RATELIMIT_POLICY,
            http::edge::RATELIMIT,
            header::HeaderName::from_static("x-request-id"),
        ])
        .max_age(3600)
}

/// The whole application: routes, spec, docs, error handlers and middleware.
pub fn build_app(
    state: web::Data<AppState>,
    metrics: PrometheusMetrics,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let settings = web::Data::new(HttpSettings {
        cache_max_age: state.config.cache_max_age,
    });
    let cors = cors(&state.config);
    // Every worker builds an app; the first registration wins, the rest are duplicates.
    let _ = metrics
        .registry
        .register(Box::new(state.caches.response_results.clone()));
    let _ = metrics
        .registry
        .register(Box::new(state.caches.compressions.clone()));
    let _ = metrics
        .registry
        .register(Box::new(state.rate_limited.clone()));
    let (app, mut api) = routes(App::new().into_utoipa_app()).split_for_parts();
    openapi::complete(&mut api);
    let table = web::Data::new(RouteTable::from_openapi(&api));
    app.app_data(state)
        .app_data(settings)
        .app_data(table)
        .app_data(web::QueryConfig::default().error_handler(http::query_error))
        .app_data(
            web::JsonConfig::default()
                .limit(1 << 20)
                // application/json, and +json types such as application/merge-patch+json.
                .content_type(|m| {
                    m.type_() == "application"
                        && (m.subtype() == "json" || m.suffix().is_some_and(|s| s == "json"))
                })
                .error_handler(http::json_error),
        )
        .app_data(web::PathConfig::default().error_handler(http::path_error))
        .service(SwaggerUi::new("/docs/{_:.*}").url("/openapi.json", api))
        .service(web::resource("/docs").route(web::get().to(ops::docs_redirect)))
        .default_service(web::to(http::fallback))
        .wrap(metrics)
        .wrap(from_fn(conditional_get))
        .wrap(from_fn(edge))
        .wrap(Compress::default())
        .wrap(cors)
        .wrap(from_fn(envelope))
        // Outermost: sees the request as it came (HEAD) and the body as it leaves.
        .wrap(from_fn(http::access::access_log))
}
