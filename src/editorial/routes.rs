//! `write_routes!`: a writable resource's POST, PATCH and DELETE handlers on
//! the generic flows of this module, each with its `#[utoipa::path]`. All eight
//! writable resources declare theirs with it, naming each handler in the call
//! (`create = create_article`), so a grep for the name finds the declaration.
//! A macro because utoipa-actix-web collects only annotated handler functions,
//! which cannot be generic over the resource. utoipa recognizes the route
//! attributes only by their bare names: the calling module imports actix-web's
//! `post`, `patch` and `delete`.

/// Declares `$create`, `$update` and `$delete` for resource `$res`, whose
/// `Resource::Write` must be `$write` (the body the spec shows and the handler
/// takes; anything else does not compile).
/// The response descriptions name the item with `noun` ("No such `noun`"),
/// `location` is the description of the 201's `Location` header;
/// `invalid` (the 422 of PATCH) and `delete_responses` (more DELETE
/// responses) may be given after `deleted`.
#[macro_export]
macro_rules! write_routes {
    (@invalid) => { "Validation failed: one `errors` entry per field" };
    (@invalid $invalid:literal) => { $invalid };
    (
        resource = $res:ident, write = $write:ident, item = $item:ident, tag = $tag:literal,
        paths = ($coll:literal, $ipath:literal), id_doc = $id_doc:literal,
        noun = $noun:literal, location = $location:literal, deleted = $deleted:literal,
        $(invalid = $invalid:literal, delete_responses = [$($delete_extra:tt)*],)?
        create = $create:ident, update = $update:ident, delete = $delete:ident $(,)?
    ) => {
        #[utoipa::path(
            tag = $tag,
            summary = concat!("Create a new ", $noun),
            description = concat!("Creates a ", $noun, " from a JSON body (the schema says which fields POST needs) and answers 201 with the stored ", $noun, ", its `Location` and `ETag`. \
A draft (the default `publication_status`) stays invisible to the public until published; a future `published_at` schedules it. \
With `Idempotency-Key`, a retried POST with the same key and body replays the first response instead of creating a second ", $noun, ". \
Needs an `editor` or `admin` key; an invalid field is a 422 with one `errors` entry per field."),
            request_body = $write,
            params(("Idempotency-Key" = Option<String>, Header, description = "Replays the first response for a repeated POST with the same key and body")),
            security(("api_key" = [])),
            responses(
                (status = 201, description = concat!("Created; `Location` and `ETag` name the new ", $noun), body = $item,
                    headers(("Location" = String, description = $location), ("ETag" = String, description = "`\"<own>-<body>\"`; If-Match compares the own part"))),
                (status = 409, description = "The slug is taken in this locale"),
                (status = 422, description = "Validation failed: one `errors` entry per field"),
            )
        )]
        #[post($coll)]
        pub async fn $create(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<$crate::AppState>,
            editor: $crate::http::auth::Editor,
            body: $crate::editorial::WriteBody<$write>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::editorial::create::<$res>(&req, &state, editor.0, body).await
        }

        #[utoipa::path(
            tag = $tag,
            summary = concat!("Update an existing ", $noun),
            description = concat!("Applies a JSON Merge Patch (RFC 7396; `application/merge-patch+json`, `application/json` is taken too) to the ", $noun, " with this numeric id: fields present are set, `null` clears an optional field, absent fields keep their values. \
Send the `ETag` you read in `If-Match` so a concurrent change is a 412 rather than a lost update. Answers the updated ", $noun, " with its new `ETag`; caches, webhooks and the changes feed follow. \
Needs an `editor` or `admin` key."),
            request_body(content = $write, description = "JSON Merge Patch (RFC 7396) of the writable fields", content_type = "application/merge-patch+json"),
            params(
                ("id" = i64, Path, description = $id_doc),
                ("If-Match" = Option<String>, Header, description = "The ETag the change is based on; a stale one is a 412"),
            ),
            security(("api_key" = [])),
            responses(
                (status = 200, description = concat!("The updated ", $noun), body = $item,
                    headers(("ETag" = String, description = "`\"<own>-<body>\"` of the new version; If-Match compares the own part"))),
                (status = 404, description = concat!("No such ", $noun)),
                (status = 409, description = "The slug is taken in this locale"),
                (status = 412, description = "If-Match names an older version; nothing was changed"),
                (status = 422, description = $crate::write_routes!(@invalid $($invalid)?)),
            )
        )]
        #[patch($ipath)]
        pub async fn $update(
            req: actix_web::HttpRequest,
            state: actix_web::web::Data<$crate::AppState>,
            editor: $crate::http::auth::Editor,
            path: actix_web::web::Path<String>,
            body: $crate::editorial::WriteBody<$write>,
        ) -> $crate::error::AppResult<actix_web::HttpResponse> {
            $crate::editorial::update::<$res>(&req, &state, editor.0, &path, body).await
        }

        #[utoipa::path(
            tag = $tag,
            summary = concat!("Delete an existing ", $noun),
            description = concat!("Deletes the ", $noun, " with this numeric id (answers 204); webhooks and the changes feed report the deletion and caches drop it. \
`If-Match` with the `ETag` you read refuses to delete a version you have not seen (412). \
Needs an `editor` or `admin` key."),
            params(
                ("id" = i64, Path, description = $id_doc),
                ("If-Match" = Option<String>, Header, description = "The ETag the deletion is based on; a stale one is a 412"),
            ),
            security(("api_key" = [])),
            responses(
                (status = 204, description = $deleted),
                (status = 404, description = concat!("No such ", $noun)),
                (status = 412, description = "If-Match names an older version; nothing was deleted"),
                $($($delete_extra)*)?
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
