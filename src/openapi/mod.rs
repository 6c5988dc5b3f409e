//! The OpenAPI root: info, servers, tags and shared components. Paths are
//! collected from the routes themselves by utoipa-actix-web; [`complete`] then
//! adds, in one place, what every operation shares (error statuses, caching and
//! paging headers, optional auth on previews, comma lists, examples), so the
//! spec generates clean clients without 70 hand edits.

mod examples;
mod operations;
mod responses;

use utoipa::OpenApi;

pub use responses::declare_errors;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "belportal",
        description = "Headless content API of a national information and tourism portal of Belarus: news (sections, articles, archive calendar, Atom/RSS), the events calendar (events, month calendar, iCalendar), places (top tourist sites, UNESCO listings, sanatoria, war monuments, souvenirs; geo search, `/v1/nearby` and GeoJSON), regions, full-text search and suggestions, a media library, a changes feed for mirrors, webhooks and NDJSON export/import.\n\n\
Content is in Belarusian (`be`), Russian (`ru`) and English (`en`): `lang` or `Accept-Language` picks the locale, and `Content-Language` says which one answered. Lists page with an opaque `cursor` (`meta.next_cursor`, `links.next` and the `Link` header) or a numbered `page`. Every GET carries a strong `ETag`: send it back in `If-None-Match` for a `304`. Errors are RFC 9457 problem+json (`application/problem+json`) with a `detail` saying what to change; `429` and `503` carry `Retry-After`.\n\n\
Reads are public. Writes, editor previews (`status=draft|published|archived|any`) and the admin endpoints take `Authorization: Bearer <api key>`.\n\n\
Versioning: the path prefix `/v1` is the contract. Within v1 fields and operations are only added (clients must ignore unknown fields); a breaking change would come as `/v2`, with `/v1` kept alongside. `info.version` is the server's release.",
        license(name = "MIT OR Apache-2.0", identifier = "MIT OR Apache-2.0"),
        contact(name = "belportal maintainers", url = "https://example.invalid/belportal")
    ),
    servers(
        (url = "/", description = "This server (the origin the document was fetched from)"),
        (url = "http://127.0.0.1:8080", description = "Local demo: `belportal demo` or `cargo run -- serve` with the demo data"),
    ),
    tags(
        (name = "news", description = "Sections, articles, the archive calendar and the Atom/RSS feeds. Articles are newest first by default."),
        (name = "events", description = "The Belarus Events Calendar: events by date, the month calendar and the iCalendar feed. Days are Minsk days (Europe/Minsk)."),
        (name = "places", description = "Top tourist sites, UNESCO World Heritage listings, sanatoria, war monuments and souvenirs; filters by region and vocabulary, `near`/`bbox` geo search, `/v1/nearby` across kinds, and GeoJSON at each located list's `.geojson` path."),
        (name = "reference", description = "The regions of Belarus: six oblasts and the city of Minsk, with capitals and centre points."),
        (name = "search", description = "Ranked full-text search across articles, places and events, and as-you-type suggestions of names and titles."),
        (name = "media", description = "The media library: image uploads with responsive WebP/JPEG variants (editor key), and the immutable files themselves at `/media/{name}` (public)."),
        (name = "sync", description = "The changes feed: every create, update and delete in commit order, for mirrors, search indexes and importers."),
        (name = "admin", description = "API keys, webhooks and their deliveries, NDJSON export and import: an `admin` key only."),
        (name = "operations", description = "Liveness, readiness and Prometheus metrics, for load balancers and monitoring."),
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        crate::error::UsedBy,
        crate::resources::vocab::RegionSlug,
        crate::resources::jsonld::JsonLd,
    )),
    modifiers(&SecurityAddon)
)]
pub struct ApiDoc;

/// `Authorization: Bearer <api key>` for writes, previews and admin.
struct SecurityAddon;

impl utoipa::Modify for SecurityAddon {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_key",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some(
                        "An API key from `belportal keys create` or `POST /v1/admin/api-keys`; roles `editor` (content) and `admin` (also keys).",
                    ))
                    .build(),
            ),
        );
    }
}

/// Finishes the document the routes produced: the shared error responses,
/// then what each operation gets by its method and kind (see `operations`),
/// then the examples of bodies and parameters.
pub fn complete(api: &mut utoipa::openapi::OpenApi) {
    declare_errors(api);
    operations::apply(api);
    examples::apply(api);
}
