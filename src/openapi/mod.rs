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

/// Declares the error responses once for every operation: `4XX` and `5XX` answer
/// with RFC 9457 problem details, and every error status an operation names for a
/// client to handle (404, 409, 412, 422, ...) carries the same problem+json body,
/// so an annotation only says which status and why.
pub fn declare_errors(api: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::header::HeaderBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{ContentBuilder, Ref, RefOr, ResponseBuilder};
    let problem = || {
        ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("Problem")))
            .build()
    };
    let class = |description: &str| {
        ResponseBuilder::new()
            .description(description)
            .content("application/problem+json", problem())
            .build()
    };
    let components = api.components.get_or_insert_with(Default::default);
    components.responses.insert(
        "ClientError".into(),
        class("Client error (bad parameter or body, missing or bad key, unknown item, ...): a problem+json whose `detail` says what to change").into(),
    );
    components.responses.insert(
        "ServerError".into(),
        class("Server error or the database unavailable (503 with `Retry-After`): a problem+json that leaks no internals").into(),
    );
    let header = |ty: Type, description: &str| {
        HeaderBuilder::new()
            .schema(Some(ObjectBuilder::new().schema_type(ty)))
            .description(Some(description))
            .build()
    };
    components.responses.insert(
        "TooManyRequests".into(),
        ResponseBuilder::new()
            .description("Rate limit exceeded (per API key, or per client address without one): retry after `Retry-After` seconds")
            .content("application/problem+json", problem())
            .header("Retry-After", header(Type::Integer, "Whole seconds to wait, at least 1"))
            .header("RateLimit-Policy", header(Type::String, "The quota policy (draft-ietf-httpapi-ratelimit-headers-10), e.g. `\"default\";q=100;w=2`; on every response while limiting is on"))
            .header("RateLimit", header(Type::String, "What is left of the quota, e.g. `\"default\";r=0;t=1`; on every response while limiting is on"))
            .build()
            .into(),
    );
    for item in api.paths.paths.values_mut() {
        let ops = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.options,
            &mut item.head,
            &mut item.patch,
            &mut item.trace,
        ];
        for op in ops.into_iter().flatten() {
            for (status, response) in op.responses.responses.iter_mut() {
                let is_error = status.starts_with('4') || status.starts_with('5');
                if let (true, RefOr::T(r)) = (is_error, response) {
                    if r.content.is_empty() {
                        r.content
                            .insert("application/problem+json".into(), problem().into());
                    }
                }
            }
            let classes = [
                ("429", "TooManyRequests"),
                ("4XX", "ClientError"),
                ("5XX", "ServerError"),
            ];
            for (status, name) in classes {
                op.responses.responses.insert(
                    status.into(),
                    RefOr::Ref(Ref::new(format!("#/components/responses/{name}"))),
                );
            }
        }
    }
}
