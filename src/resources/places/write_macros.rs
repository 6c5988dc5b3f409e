//! The macros of the place write API: a kind's write body (the shared fields
//! plus its own) and its POST / PATCH / DELETE handlers with their OpenAPI
//! descriptions.

/// Defines a place kind's write body: the fields every located place has, plus
/// the kind's own (every field optional, unknown fields denied). The invoking
/// module imports `ContentStatus`, `Location` and `RegionSlug`.
macro_rules! place_write_body {
    ($(#[$sm:meta])* $name:ident { $($(#[$m:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$sm])*
        #[derive(Debug, Default, serde::Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Unique per collection and locale: lowercase letters, digits and hyphens, with a letter.
            pub slug: Option<String>,
            /// A configured locale; defaults to the default locale.
            pub locale: Option<String>,
            /// The id of an item of this collection in another locale that this one translates.
            pub translation_of: Option<i64>,
            /// 1-300 characters.
            pub name: Option<String>,
            /// Up to 2000 characters.
            pub summary: Option<String>,
            /// HTML; sanitized on write (allow-listed tags and attributes).
            pub description_html: Option<String>,
            /// Region slug.
            pub region: Option<RegionSlug>,
            /// Town or village, up to 200 characters.
            pub locality: Option<String>,
            /// Up to 500 characters.
            pub address: Option<String>,
            /// WGS 84: `lat` -90..90, `lon` -180..180.
            pub location: Option<Location>,
            pub image: Option<$crate::domain::ImageWrite>,
            /// Up to 50 images.
            pub gallery: Option<Vec<$crate::domain::ImageWrite>>,
            /// An absolute http(s) URL.
            pub website: Option<String>,
            /// Digits, spaces and `+ ( ) - .`, up to 50 characters.
            pub phone: Option<String>,
            pub email: Option<String>,
            /// Slugs, at most 50.
            pub tags: Option<Vec<String>>,
            /// `draft` (default), `published` or `archived`.
            pub publication_status: Option<ContentStatus>,
            /// RFC 3339; defaults to now when published. A future instant schedules the item.
            pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
            $($(#[$m])* pub $field: $ty,)*
        }

        impl $name {
            /// Moves the fields every located place has out of the body.
            fn take_core(&mut self) -> $crate::resources::places::write::CoreIn {
                $crate::resources::places::write::CoreIn {
                    slug: self.slug.take(),
                    locale: self.locale.take(),
                    translation_of: self.translation_of.take(),
                    name: self.name.take(),
                    summary: self.summary.take(),
                    description_html: self.description_html.take(),
                    region: self.region.take(),
                    locality: self.locality.take(),
                    address: self.address.take(),
                    location: self.location.take(),
                    image: self.image.take(),
                    gallery: self.gallery.take(),
                    website: self.website.take(),
                    phone: self.phone.take(),
                    email: self.email.take(),
                    tags: self.tags.take(),
                    publication_status: self.publication_status.take(),
                    status: None,
                    published_at: self.published_at.take(),
                }
            }
        }
    };
}

/// Defines a place kind's POST, PATCH and DELETE handlers on `$crate::editorial`'s
/// generic flows, with their OpenAPI descriptions. The invoking module imports
/// actix-web's `post`, `patch` and `delete` and `Problem`.
macro_rules! place_write_handlers {
    (
        resource = $res:ident, body = $body:ident, item = $item:ident,
        collection = $coll:literal, item_path = $ipath:literal, id_doc = $id_doc:literal,
        created = $created:literal, updated = $updated:literal, missing = $missing:literal,
        create = $create:ident, update = $update:ident, delete = $delete:ident $(,)?
    ) => {
        #[utoipa::path(
            tag = "places",
            request_body = $body,
            params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated POST with the same key and body")),
            security(("api_key" = [])),
            responses(
                (status = 201, description = $created, body = $item,
                    headers(("Location" = String, description = "Path of the new item"), ("ETag" = String, description = "Validator for If-Match"))),
                (status = 409, description = "The slug is taken in this locale"),
                (status = 422, description = "Validation failed: one `errors` entry per field"),
            )
        )]
        #[post($coll)]
        pub async fn $create(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<$crate::AppState>,
            editor: $crate::http::auth::Editor,
            body: actix_web::web::Json<serde_json::Value>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::editorial::create::<$res>(&req, &state, editor.0, body.into_inner()).await
        }

        #[utoipa::path(
            tag = "places",
            request_body(content = $body, description = "JSON Merge Patch (RFC 7396) of the writable fields", content_type = "application/merge-patch+json"),
            params(
                ("id" = i64, Path, description = $id_doc),
                ("If-Match" = Option<String>, Header, description = "The ETag the change is based on; a stale one is a 412"),
            ),
            security(("api_key" = [])),
            responses(
                (status = 200, description = $updated, body = $item,
                    headers(("ETag" = String, description = "Validator of the new version"))),
                (status = 404, description = $missing),
                (status = 409, description = "The slug is taken in this locale"),
                (status = 412, description = "If-Match names an older version; nothing was changed"),
                (status = 422, description = "Validation failed: one `errors` entry per field"),
            )
        )]
        #[patch($ipath)]
        pub async fn $update(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<$crate::AppState>,
            editor: $crate::http::auth::Editor,
            path: actix_web::web::Path<String>,
            body: actix_web::web::Json<serde_json::Value>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::editorial::update::<$res>(&req, &state, editor.0, &path, body.into_inner()).await
        }

        #[utoipa::path(
            tag = "places",
            params(
                ("id" = i64, Path, description = $id_doc),
                ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on; a stale one is a 412"),
            ),
            security(("api_key" = [])),
            responses(
                (status = 204, description = "Deleted, with its terms"),
                (status = 404, description = $missing),
                (status = 412, description = "If-Match names an older version; nothing was deleted"),
            )
        )]
        #[delete($ipath)]
        pub async fn $delete(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<$crate::AppState>,
            editor: $crate::http::auth::Editor,
            path: actix_web::web::Path<String>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::editorial::delete::<$res>(&req, &state, editor.0, &path).await
        }
    };
}
