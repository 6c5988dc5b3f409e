//! The OpenAPI root: info, tags and shared components. Paths are collected from
//! the routes themselves by utoipa-actix-web.

use utoipa::OpenApi;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "belportal",
        description = "Headless content API of a national information and tourism portal: news, reference data and (in later versions) places and events. Errors are RFC 9457 problem+json.",
        license(name = "MIT OR Apache-2.0")
    ),
    tags(
        (name = "news", description = "Sections, articles, archive calendar and feeds"),
        (name = "events", description = "The Belarus Events Calendar: events, month calendar, iCalendar feed"),
        (name = "places", description = "Top tourist sites, UNESCO listings, sanatoria, war monuments, souvenirs; geo search and GeoJSON"),
        (name = "reference", description = "Regions of Belarus"),
        (name = "search", description = "Full-text search across resources"),
        (name = "media", description = "The media library: image uploads with responsive variants, and the files themselves at /media/{name}"),
        (name = "sync", description = "The changes feed for mirrors and importers"),
        (name = "admin", description = "API keys, webhooks, NDJSON export and import (admin role)"),
        (name = "operations", description = "Health, readiness and metrics"),
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        crate::error::UsedBy,
        crate::resources::vocab::RegionSlug,
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
