//! What each operation gets by its method and kind, in one place rather than
//! on 70 annotations: the statuses it can answer (304 on cacheable GETs, 400
//! on parameters and bodies, 413/415 on bodies, 401/403 where keys matter),
//! `ETag`/`Cache-Control` and `Link` headers, optional auth on the editor
//! previews, comma lists as arrays, and the `.geojson` operations' parameters.

use serde_json::{json, Value};
use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn, ParameterStyle};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::SecurityRequirement;
use utoipa::openapi::{Deprecated, OpenApi, RefOr};

use super::responses::{header, refer};
use crate::resource::ResourceType;

/// GETs whose 200 is streamed (no ETag, so no 304).
const NOT_CACHEABLE: &[&str] = &["/v1/admin/export"];

/// Query parameters that take a comma-separated list (`a,b`): declared as
/// arrays serialized `style: form, explode: false`. The parsing is unchanged.
/// `lang` is one only where the list takes a preference list (`fallback`).
const COMMA_LISTS: &[&str] = &[
    "profile",
    "treatment",
    "criterion",
    "types",
    "fields",
    "include",
];

/// The schemas of a list's 200: a page with `meta` and `links`, paged by
/// cursor (and the `Link` header).
const LIST_BODIES: &[&str] = &["ListBody_", "ChangesBody", "FeatureCollection"];

/// Every operation with its path and method.
pub(super) fn each(
    api: &mut OpenApi,
) -> impl Iterator<Item = (&String, &'static str, &mut Operation)> + '_ {
    api.paths.paths.iter_mut().flat_map(|(path, item)| {
        [
            ("get", &mut item.get),
            ("put", &mut item.put),
            ("post", &mut item.post),
            ("delete", &mut item.delete),
            ("patch", &mut item.patch),
        ]
        .into_iter()
        .filter_map(move |(m, op)| op.as_mut().map(|op| (path, m, op)))
    })
}

pub(super) fn apply(api: &mut OpenApi) {
    for (path, method, op) in each(api) {
        let get = method == "get";
        let queries = params(op).any(|p| p.parameter_in == ParameterIn::Query);
        let body = op.request_body.is_some();
        if get && !NOT_CACHEABLE.contains(&path.as_str()) {
            refer(op, "304", "NotModified");
            ok_header(op, "ETag", Type::String, "Strong validator of this representation: send it in `If-None-Match` to get a 304 when nothing changed");
            ok_header(op, "Cache-Control", Type::String, "`public, max-age=N` (`BELPORTAL_CACHE_MAX_AGE`, default 60) on anonymous reads unless the operation says otherwise; `private, no-store` on reads with a key");
        }
        if is_list(op) {
            ok_header(op, "Link", Type::String, "RFC 8288 paging links, e.g. `</v1/articles?limit=20&cursor=eyJz...>; rel=\"next\"`: `next` while there are more items; with `page` also `first`, `prev` (after the first page) and `last`. Absent when there is nothing to link");
        }
        if queries || body {
            refer(op, "400", "BadRequest");
        }
        if body {
            refer(op, "413", "PayloadTooLarge");
            refer(op, "415", "UnsupportedMediaType");
        }
        if get && op.security.is_none() && has_param(op, "status") {
            // An editor preview: anonymous reads as before, a key to see drafts.
            op.security = Some(vec![
                SecurityRequirement::default(),
                SecurityRequirement::new("api_key", Vec::<String>::new()),
            ]);
        }
        let optional = optional_auth(op);
        if let Some(requirements) = &op.security {
            if !requirements.is_empty() {
                refer(op, "401", "Unauthorized");
                if !optional {
                    refer(op, "403", "Forbidden");
                }
            }
        }
        comma_lists(path, op);
        geojson_params(path, op);
    }
}

/// The operation's parameters (utoipa-actix-web inlines them all).
fn params(op: &Operation) -> impl Iterator<Item = &Parameter> {
    op.parameters.iter().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p),
        RefOr::Ref(_) => None,
    })
}

pub(super) fn params_mut(op: &mut Operation) -> impl Iterator<Item = &mut Parameter> {
    op.parameters.iter_mut().flatten().filter_map(|p| match p {
        RefOr::T(p) => Some(p),
        RefOr::Ref(_) => None,
    })
}

fn has_param(op: &Operation, name: &str) -> bool {
    params(op).any(|p| p.name == name)
}

/// Whether the operation's security lets anonymous clients in (`{}`).
fn optional_auth(op: &Operation) -> bool {
    op.security.as_ref().is_some_and(|s| {
        s.iter().any(|r| {
            serde_json::to_value(r).is_ok_and(|v| v.as_object().is_some_and(|m| m.is_empty()))
        })
    })
}

/// Whether the 200 is a paged list.
fn is_list(op: &Operation) -> bool {
    let Some(RefOr::T(ok)) = op.responses.responses.get("200") else {
        return false;
    };
    ok.content.values().any(|c| match c {
        RefOr::T(c) => matches!(&c.schema, Some(RefOr::Ref(r))
            if LIST_BODIES.iter().any(|b| r.ref_location.trim_start_matches("#/components/schemas/").starts_with(b))),
        RefOr::Ref(_) => false,
    })
}

/// Documents a header on the 200 (when the 200 is inline and lacks it).
fn ok_header(op: &mut Operation, name: &str, ty: Type, description: &str) {
    if let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") {
        ok.headers
            .entry(name.into())
            .or_insert_with(|| header(ty, description).into());
    }
}

/// The comma-list parameters as arrays (`style: form, explode: false`).
fn comma_lists(path: &str, op: &mut Operation) {
    let fallback = has_param(op, "fallback");
    for p in params_mut(op) {
        let lang_list = fallback && p.name == "lang";
        if p.parameter_in != ParameterIn::Query
            || !(COMMA_LISTS.contains(&p.name.as_str()) || lang_list)
        {
            continue;
        }
        let items: RefOr<Schema> = if p.name == "types" {
            ObjectBuilder::new()
                .schema_type(Type::String)
                .enum_values(Some(type_words(path)))
                .into()
        } else {
            match p.schema.take() {
                Some(RefOr::T(Schema::Array(a))) => RefOr::T(Schema::Array(a)),
                Some(s) => ArrayBuilder::new().items(s).into(),
                None => ArrayBuilder::new()
                    .items(ObjectBuilder::new().schema_type(Type::String))
                    .into(),
            }
        };
        p.schema = Some(match items {
            RefOr::T(Schema::Array(a)) => RefOr::T(Schema::Array(a)),
            items => ArrayBuilder::new().items(items).into(),
        });
        p.style = Some(ParameterStyle::Form);
        p.explode = Some(false);
        // A comma-separated example (`unesco_site,monument`) as the array it is.
        if let Some(Value::String(s)) = example_of(p) {
            let list: Vec<&str> = s.split(',').collect();
            *p = ParameterBuilder::from(p.clone())
                .example(Some(json!(list)))
                .build();
        }
    }
}

/// A parameter's example (a private field of utoipa's `Parameter`).
pub(super) fn example_of(p: &Parameter) -> Option<Value> {
    serde_json::to_value(p)
        .ok()?
        .get_mut("example")
        .map(Value::take)
}

/// The item types `types` takes on `path`, in the one documented form
/// (`unesco_site`; the collection names are accepted too).
fn type_words(path: &str) -> Vec<&'static str> {
    let types: &[ResourceType] = if path == "/v1/nearby" {
        &crate::resources::places::nearby::NEARBY_TYPES
    } else {
        ResourceType::SEARCHABLE
    };
    types.iter().map(|t| t.as_str()).collect()
}

/// A `.geojson` operation always answers GeoJSON: it has no `format`. On the
/// JSON list, `format=geojson` (like `Accept: application/geo+json`) still
/// answers GeoJSON, documented at the `.geojson` path.
fn geojson_params(path: &str, op: &mut Operation) {
    if path.ends_with(".geojson") {
        if let Some(ps) = op.parameters.as_mut() {
            ps.retain(|p| !matches!(p, RefOr::T(p) if p.name == "format"));
        }
        return;
    }
    for p in params_mut(op).filter(|p| p.name == "format") {
        p.deprecated = Some(Deprecated::True);
        p.description = Some(format!(
            "`json` (default) or `geojson`, the same as `Accept: application/geo+json`. Prefer the list's own GeoJSON operation, `{path}.geojson`, which takes the same parameters."
        ));
    }
}
