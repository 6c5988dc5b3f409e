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
        (name = "operations", description = "Health, readiness and metrics"),
    ),
    components(schemas(
        crate::error::Problem,
        crate::error::FieldError,
        crate::content::vocab::RegionSlug,
    ))
)]
pub struct ApiDoc;
