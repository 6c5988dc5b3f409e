//! The read operations every place kind shares: the list (and its GeoJSON
//! twin) and one item, as one generic handler each, and their OpenAPI operations
//! built by one function from the kind's [`KindDoc`]. `lib.rs` registers
//! [`Reads`]`::<K>` once per kind: the routes and their operations together,
//! named as before (`list_monuments`, `list_monuments_geojson`,
//! `get_monument`).

use std::marker::PhantomData;

use actix_web::dev::{AppService, HttpServiceFactory};
use actix_web::{guard, web, HttpRequest, HttpResponse, Resource};
use serde_json::json;
use utoipa::openapi::path::{
    HttpMethod, Operation, OperationBuilder, ParameterBuilder, ParameterIn, PathItem, Paths,
};
use utoipa::openapi::schema::ObjectBuilder;
use utoipa::openapi::{ContentBuilder, Ref, RefOr, Required, ResponseBuilder, Schema, Type};
use utoipa::{IntoParams, PartialSchema, ToSchema};
use utoipa_actix_web::OpenApiFactory;

use super::geojson::FeatureCollection;
use super::{item, list, Kind, ListPath};
use crate::error::AppResult;
use crate::http::list::{ListFilters, ListQuery};
use crate::http::params::ContentItemQuery;
use crate::http::response::ListBody;
use crate::AppState;

/// A kind's wording in the spec of its reads; the rest of the text is
/// shared. A kind with a `geojson_summary` has a location: its list takes
/// `near`/`bbox` and has a `.geojson` twin.
pub struct KindDoc {
    /// The list's summary ("List war monuments").
    pub list_summary: &'static str,
    /// The `.geojson` list's summary; None for a kind without a location.
    pub geojson_summary: Option<&'static str>,
    /// The item's summary ("Get a monument").
    pub get_summary: &'static str,
    /// What the list holds ("Great Patriotic War monuments and memorials").
    pub plural: &'static str,
    /// The list's default order ("by `name`").
    pub order: &'static str,
    /// The kind's filters and the shared ones ("`kind`, `region`, `tag`").
    pub filters: &'static str,
    /// What an editor's `status` does on the list ("previews items the public
    /// cannot see yet.").
    pub list_preview: &'static str,
    /// One item ("monument"), and with its article ("a monument").
    pub noun: &'static str,
    pub a_noun: &'static str,
    /// The JSON-LD form, after "its schema.org " ("`Product`").
    pub jsonld: &'static str,
    /// A slug to show as the example id.
    pub example: &'static str,
}

/// The list of kind `K`, at its JSON path or (`GEOJSON`) its `.geojson` one.
async fn list_at<K: Kind, const GEOJSON: bool>(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: ListQuery<K::Filters>,
) -> AppResult<HttpResponse> {
    let path = if GEOJSON {
        ListPath::GeoJson
    } else {
        ListPath::Json
    };
    list::<K>(&req, &state, &query, path).await
}

async fn get_item<K: Kind>(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
    query: web::Query<ContentItemQuery>,
) -> AppResult<HttpResponse> {
    item::<K>(&req, &state, &path, &query).await
}

/// The reads of kind `K` (`GET /{collection}`, `/{collection}.geojson` where
/// the kind has a location, `/{collection}/{id}`), as one service for
/// `utoipa_actix_web`'s `ServiceConfig::service`.
pub struct Reads<K>(PhantomData<fn() -> K>);

/// The reads of kind `K`, to register.
pub fn reads<K: Kind>() -> Reads<K> {
    Reads(PhantomData)
}

/// The three paths and operation ids of kind `K`'s reads.
struct Names {
    list: String,
    geojson: String,
    item: String,
    list_id: String,
    geojson_id: String,
    item_id: String,
}

fn names<K: Kind>() -> Names {
    let coll = K::KIND.collection();
    let snake = coll.replace('-', "_");
    Names {
        list: format!("/{coll}"),
        geojson: format!("/{coll}.geojson"),
        item: format!("/{coll}/{{id}}"),
        list_id: format!("list_{snake}"),
        geojson_id: format!("list_{snake}_geojson"),
        item_id: format!("get_{}", K::KIND.as_str()),
    }
}

impl<K: Kind> HttpServiceFactory for Reads<K> {
    fn register(self, config: &mut AppService) {
        let n = names::<K>();
        // As `#[get(..)]` registers: a GET guard on the resource, so the
        // writes at the same paths are still reached.
        Resource::new(n.list.as_str())
            .name(&n.list_id)
            .guard(guard::Get())
            .to(list_at::<K, false>)
            .register(config);
        if K::DOC.geojson_summary.is_some() {
            Resource::new(n.geojson.as_str())
                .name(&n.geojson_id)
                .guard(guard::Get())
                .to(list_at::<K, true>)
                .register(config);
        }
        Resource::new(n.item.as_str())
            .name(&n.item_id)
            .guard(guard::Get())
            .to(get_item::<K>)
            .register(config);
    }
}

impl<K: Kind> OpenApiFactory for Reads<K> {
    fn paths(&self) -> Paths {
        let n = names::<K>();
        let d = &K::DOC;
        let get = |op| PathItem::new(HttpMethod::Get, op);
        let mut paths = Paths::builder().path(n.list.clone(), get(list_operation::<K>(&n)));
        if let Some(summary) = d.geojson_summary {
            paths = paths.path(n.geojson.clone(), get(geojson_operation::<K>(&n, summary)));
        }
        paths
            .path(n.item.clone(), get(item_operation::<K>(&n)))
            .build()
    }

    fn schemas(&self, schemas: &mut Vec<(String, RefOr<Schema>)>) {
        schemas.push((K::name().into(), K::schema()));
        K::schemas(schemas);
        // As `#[utoipa::path]` composes `body = ListBody<Monument>`: the item inline.
        let page = <ListBody<K> as utoipa::__dev::ComposeSchema>::compose(vec![K::schema()]);
        schemas.push((list_body::<K>(), page));
        ListBody::<K>::schemas(schemas);
        if K::DOC.geojson_summary.is_some() {
            schemas.push((
                FeatureCollection::name().into(),
                FeatureCollection::schema(),
            ));
            FeatureCollection::schemas(schemas);
        }
    }
}

/// The name of the list body schema (`ListBody_Monument`), as utoipa names
/// a generic schema.
fn list_body<K: Kind>() -> String {
    format!("{}_{}", ListBody::<K>::name(), K::name())
}

/// An operation of the `places` tag with the list's parameters or the item's.
fn operation(id: &str, summary: &str, description: String) -> OperationBuilder {
    OperationBuilder::new()
        .tag("places")
        .summary(Some(summary))
        .description(Some(description))
        .operation_id(Some(id))
}

fn ok(description: String, content_type: &str, schema: &str) -> ResponseBuilder {
    let content = ContentBuilder::new().schema(Some(Ref::from_schema_name(schema)));
    ResponseBuilder::new()
        .description(description)
        .content(content_type, content.build())
}

fn list_params<K: Kind>() -> Vec<utoipa::openapi::path::Parameter> {
    ListQuery::<K::Filters>::into_params(|| Some(ParameterIn::Query))
}

/// `a`, `a and b`, `a, b and c`.
fn and_list(items: &[String]) -> String {
    match items.split_last() {
        Some((last, [])) => last.clone(),
        Some((last, rest)) => format!("{} and {last}", rest.join(", ")),
        None => String::new(),
    }
}

fn list_operation<K: Kind>(n: &Names) -> Operation {
    let d = &K::DOC;
    let mut expansions: Vec<String> = <K::Filters as ListFilters>::INCLUDE
        .iter()
        .map(|i| format!("`{i}`"))
        .collect();
    expansions.sort();
    let (geo, geojson) = match d.geojson_summary {
        Some(_) => (
            " With `near` (`lat,lon`) only places within `radius_km` are kept, each with `distance_km`, nearest first unless `sort` is given; `bbox` keeps a rectangle.".to_string(),
            format!(" The same list as a GeoJSON FeatureCollection is `GET /v1{}.geojson` (this path also answers GeoJSON to `Accept: application/geo+json`).", n.list),
        ),
        None => (String::new(), String::new()),
    };
    let description = format!(
        "The published {plural} in the requested locale (`lang`, or\n\
`Accept-Language`; `fallback=true` or `lang=be,ru,en` gives each one once in\n\
the best locale available), {order}. Filter by {filters},\n\
`updated_since`, and search names and summaries with `q`.{geo}\n\n\
Pages hold `limit` items (default 20, at most 100): follow `links.next` (or the `Link` header, or `meta.next_cursor` as `cursor`), or ask for a numbered `page`. Items leave out {expansions} unless `include` names them; `fields` keeps\n\
only the fields named.{geojson}\n\n\
Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`\n\
{preview}",
        plural = d.plural,
        order = d.order,
        filters = d.filters,
        expansions = and_list(&expansions),
        preview = d.list_preview,
    );
    let body = list_body::<K>();
    operation(&n.list_id, d.list_summary, description)
        .parameters(Some(list_params::<K>()))
        .response(
            "200",
            ok(format!("A page of {}", d.plural), "application/json", &body),
        )
        .build()
}

fn geojson_operation<K: Kind>(n: &Names, summary: &str) -> Operation {
    let d = &K::DOC;
    let description = format!(
        "The list of `GET /v1{}` as an RFC 7946 FeatureCollection: one\n\
Point feature (`[lon, lat]`) per place, the item's fields as `properties`\n\
(`fields` and `include` apply), and paging as the foreign members `meta`\n\
and `links` and in the `Link` header. Places without a location are left\n\
out. Same parameters, sort, paging and caching as the JSON list.",
        n.list
    );
    let ok = ok(
        format!("A page of {} as a GeoJSON FeatureCollection", d.plural),
        "application/geo+json",
        &FeatureCollection::name(),
    );
    operation(&n.geojson_id, summary, description)
        .parameters(Some(list_params::<K>()))
        .response("200", ok)
        .build()
}

fn item_operation<K: Kind>(n: &Names) -> Operation {
    let d = &K::DOC;
    let description = format!(
        "One published {noun} by numeric id or by its slug in the requested\n\
locale, with every field (`description_html`, `gallery` where the kind has\n\
one, and `translations`, the same item in the other locales); `fields` keeps\n\
only the fields named. With `Accept: application/ld+json` the answer is\n\
its schema.org {jsonld}, for search engines (schema `JsonLd`).\n\n\
Public and cacheable (`ETag`, `Cache-Control`). With an editor key, `status`\n\
previews {a_noun} the public cannot see yet.",
        noun = d.noun,
        jsonld = d.jsonld,
        a_noun = d.a_noun,
    );
    let id = ParameterBuilder::new()
        .name("id")
        .parameter_in(ParameterIn::Path)
        .description(Some("Id, or slug in the requested locale"))
        .required(Required::True)
        .schema(Some(ObjectBuilder::new().schema_type(Type::String)))
        .example(Some(json!(d.example)))
        .build();
    let mut params = vec![id];
    params.extend(ContentItemQuery::into_params(|| Some(ParameterIn::Query)));
    let not_found = format!("No such {} (or not visible without a key)", d.noun);
    operation(&n.item_id, d.get_summary, description)
        .parameters(Some(params))
        .response(
            "200",
            ok(format!("The {}", d.noun), "application/json", &K::name()),
        )
        .response("404", ResponseBuilder::new().description(not_found))
        .build()
}
