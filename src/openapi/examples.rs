//! Examples for every request body and the main parameters, drawn from the
//! demo content (Mir, Nesvizh, Brest, Naroch): what a client author copies
//! first, so each is a valid request against `belportal demo`.

use serde_json::{json, Value};
use utoipa::openapi::path::{Operation, ParameterBuilder};
use utoipa::openapi::{OpenApi, RefOr};

use crate::http::params::CursorKey;

/// A cursor as `meta.next_cursor` gives it for the collection's default sort
/// (opaque to clients, and bound to the sort it was made for).
fn cursor(collection: &str) -> String {
    let c = collection.split(['/', '.']).next().unwrap_or_default();
    let (sort, key) = match c {
        _ if collection.ends_with("/revisions") => ("-number", json!(3)),
        _ if collection.ends_with("/deliveries") => ("-id", json!(120)),
        "articles" => ("-published_at", json!("2026-05-30T09:15:00Z")),
        "events" => ("starts_at", json!("2026-12-15T16:00:00Z")),
        "tourist-sites" => ("rank", json!(6)),
        "regions" | "sections" => ("position", json!(3)),
        "media" => ("-created_at", json!("2026-05-30T09:15:00Z")),
        "search" => ("relevance", json!(20)),
        "nearby" => ("distance", json!(12.5)),
        _ => ("name", json!("Mir Castle")),
    };
    CursorKey {
        sort: sort.into(),
        key,
        id: 42,
    }
    .encode()
}

/// The example of parameter `name` on `path`, where one is worth giving.
fn param_example(path: &str, name: &str) -> Option<Value> {
    let collection = path.trim_start_matches("/v1/");
    let place = [
        "tourist-sites",
        "unesco-sites",
        "sanatoria",
        "monuments",
        "nearby",
    ]
    .iter()
    .any(|c| collection.starts_with(c));
    Some(match name {
        "q" if place || path == "/v1/search" => json!("Nesvizh"),
        "q" if path == "/v1/suggest" => json!("Мір"),
        "q" if collection.starts_with("souvenirs") => json!("linen"),
        "q" if collection.starts_with("events") => json!("festival"),
        "q" if collection.starts_with("regions") => json!("Grodno"),
        "q" => json!("Minsk"),
        "lang" => json!("be"),
        "limit" => json!(20),
        "cursor" => json!(cursor(collection)),
        "page" => json!(2),
        "updated_since" => json!("2026-05-01T00:00:00Z"),
        "since" => json!(1500),
        "near" => json!("53.9006,27.5590"),
        "bbox" => json!("23.1,51.2,32.8,56.2"),
        "radius_km" => json!(25),
        "lat" => json!(53.4513),
        "lon" => json!(26.4729),
        "month" => json!("2026-07"),
        "from" => json!("2026-07-01"),
        "to" => json!("2026-07-31"),
        "section" => json!("tourism"),
        "region" => json!("grodno"),
        "tag" if place || collection.starts_with("souvenirs") => json!("unesco"),
        "tag" => json!("history"),
        "types" if path == "/v1/nearby" => json!(["unesco_site", "monument"]),
        "types" => json!(["tourist_site", "unesco_site"]),
        "profile" => json!(["respiratory", "nervous_system"]),
        "treatment" => json!(["mineral_water"]),
        "criterion" => json!(["ii", "iv"]),
        "fields" => fields_example(collection)?,
        _ => return None,
    })
}

/// `fields` naming real fields of the collection's items.
fn fields_example(collection: &str) -> Option<Value> {
    if collection.ends_with("/revisions") {
        return Some(json!(["number", "saved_at", "saved_by"]));
    }
    if collection.ends_with("/deliveries") {
        return Some(json!(["id", "event", "state"]));
    }
    let c = collection.split(['/', '.']).next().unwrap_or_default();
    Some(match c {
        "articles" | "sections" | "events" => json!(["id", "title", "slug"]),
        "tourist-sites" | "unesco-sites" | "sanatoria" | "monuments" | "nearby" => {
            json!(["id", "name", "location"])
        }
        "souvenirs" => json!(["id", "name", "materials"]),
        "regions" => json!(["slug", "name", "capital"]),
        "search" => json!(["id", "type", "title"]),
        "media" => json!(["id", "url", "alt"]),
        _ => return None,
    })
}

/// The example body of `method path`.
fn body_example(method: &str, path: &str) -> Option<Value> {
    let patch = method == "patch";
    let collection = path.trim_start_matches("/v1/").split('/').next()?;
    Some(match (collection, patch) {
        ("articles", false) => json!({
            "slug": "mir-castle-summer-season",
            "section": "tourism",
            "title": "Mir Castle opens its summer season with a knights' tournament",
            "lead": "The Mir Castle Complex, a UNESCO World Heritage site, starts the season with jousting, crafts fairs and evening tours of the towers.",
            "body_html": "<p>From 1 June visitors can climb the <strong>north-west tower</strong> again after restoration.</p>",
            "dateline": "Mir",
            "author": "Alena Karpovich",
            "tags": ["tourism", "history"],
            "locale": "en",
            "publication_status": "draft"
        }),
        ("articles", true) => json!({"title": "Mir Castle opens its summer season", "tags": ["tourism"], "publication_status": "published"}),
        ("sections", false) => json!({"slug": "heritage", "title": "Heritage", "description": "Castles, palaces and monuments of Belarus", "parent": "tourism", "position": 3, "locale": "en"}),
        ("sections", true) => json!({"position": 1}),
        ("events", false) => json!({
            "slug": "slavianski-bazaar-2026",
            "title": "Slavianski Bazaar in Vitebsk",
            "summary": "Five days of concerts, theatre and street festivities on the Western Dvina.",
            "category": "festival",
            "starts_at": "2026-07-10T19:00:00+03:00",
            "ends_at": "2026-07-14T23:00:00+03:00",
            "venue": {"name": "Summer Amphitheatre", "locality": "Vitebsk", "region": "vitebsk", "location": {"lat": 55.1926, "lon": 30.2049}},
            "is_free": false,
            "price": "from 40 BYN",
            "tags": ["music"],
            "locale": "en",
            "publication_status": "published"
        }),
        ("events", true) => json!({"status": "postponed", "starts_at": "2026-07-17T19:00:00+03:00"}),
        ("tourist-sites", false) => json!({
            "slug": "mir-castle",
            "name": "Mir Castle",
            "summary": "A sixteenth-century castle of red brick and white stone, the Radziwills' seat in the Grodno region.",
            "category": "castle",
            "rank": 2,
            "region": "grodno",
            "locality": "Mir",
            "location": {"lat": 53.4513, "lon": 26.4729},
            "opening_hours": "Daily 10:00-18:00",
            "admission": "from 20 BYN",
            "aliases": ["Мірскі замак", "Mirskiy zamok"],
            "tags": ["castle", "history"],
            "locale": "en",
            "publication_status": "published"
        }),
        ("tourist-sites", true) => json!({"opening_hours": "Daily 10:00-19:00 (summer)", "rank": 1}),
        ("unesco-sites", false) => json!({
            "slug": "radziwill-complex-nesvizh",
            "name": "Architectural, Residential and Cultural Complex of the Radziwill Family at Nesvizh",
            "status": "inscribed",
            "category": "cultural",
            "criteria": ["ii", "iv", "vi"],
            "unesco_id": 1196,
            "year_inscribed": 2005,
            "region": "minsk-region",
            "locality": "Nesvizh",
            "location": {"lat": 53.2226, "lon": 26.6918},
            "countries": ["BY"],
            "locale": "en",
            "publication_status": "published"
        }),
        ("unesco-sites", true) => json!({"buffer_zone_ha": 98.5}),
        ("sanatoria", false) => json!({
            "slug": "naroch-bereg-sanatorium",
            "name": "Naroch Bereg",
            "summary": "A lakeside sanatorium on Lake Naroch with mineral water and mud therapy.",
            "region": "minsk-region",
            "locality": "Naroch",
            "location": {"lat": 54.8520, "lon": 26.7510},
            "profiles": ["respiratory", "nervous_system"],
            "treatments": ["mineral_water", "mud_therapy"],
            "capacity_beds": 420,
            "accepts_children": true,
            "open_all_year": true,
            "price_from": {"amount": 95.0, "currency": "BYN"},
            "locale": "en",
            "publication_status": "published"
        }),
        ("sanatoria", true) => json!({"price_from": {"amount": 105.0, "currency": "BYN"}}),
        ("monuments", false) => json!({
            "slug": "buinichi-field",
            "name": "Buinichi Field",
            "kind": "memorial_complex",
            "commemorates": "The defenders of Mogilev in July 1941",
            "year_unveiled": 1995,
            "region": "mogilev",
            "locality": "Mogilev",
            "location": {"lat": 53.8460, "lon": 30.2640},
            "locale": "en",
            "publication_status": "published"
        }),
        ("monuments", true) => json!({"summary": "A memorial on the field where Mogilev was defended for 23 days in 1941."}),
        ("souvenirs", false) => json!({
            "slug": "slutsk-sash",
            "name": "Slutsk sash",
            "summary": "Silk and gold-thread sashes woven in Slutsk since the eighteenth century.",
            "category": "textiles",
            "materials": ["silk", "gold thread"],
            "origin_region": "minsk-region",
            "locale": "en",
            "publication_status": "published"
        }),
        ("souvenirs", true) => json!({"materials": ["silk", "silver thread"]}),
        ("media", false) => json!({
            "file": "(the JPEG, PNG or WebP bytes)",
            "alt": "Mir Castle from across the pond at dusk",
            "caption": "Mir Castle, Grodno region",
            "credit": "Photo: BelTA"
        }),
        ("media", true) => json!({"alt": "Mir Castle towers reflected in the pond", "credit": null}),
        ("admin", false) if path.ends_with("/api-keys") => json!({"name": "newsroom CMS", "role": "editor"}),
        ("admin", false) if path.ends_with("/webhooks") => json!({
            "url": "https://cms.example.by/hooks/belportal",
            "secret": "change-me-to-a-long-random-secret",
            "events": ["published", "updated", "deleted"]
        }),
        ("admin", false) if path.ends_with("/import") => json!(concat!(
            "{\"type\":\"section\",\"slug\":\"tourism\",\"title\":\"Tourism\",\"locale\":\"en\"}\n",
            "{\"type\":\"tourist_site\",\"slug\":\"mir-castle\",\"name\":\"Mir Castle\",\"region\":\"grodno\",\"locale\":\"en\",\"publication_status\":\"published\"}\n"
        )),
        _ => return None,
    })
}

pub(super) fn apply(api: &mut OpenApi) {
    for (path, method, op) in super::operations::each(api) {
        if let Some(body) = op.request_body.as_mut().and_then(|b| match b {
            RefOr::T(b) => Some(b),
            RefOr::Ref(_) => None,
        }) {
            for content in body.content.values_mut() {
                if let (RefOr::T(c), Some(example)) = (content, body_example(method, path)) {
                    c.example.get_or_insert(example);
                }
            }
        }
        params(path, op);
    }
}

/// Sets the example of each parameter that has none and is worth one.
fn params(path: &str, op: &mut Operation) {
    for p in super::operations::params_mut(op) {
        // `fields` is shared by every list, its example is the collection's.
        if p.name != "fields" && super::operations::example_of(p).is_some() {
            continue;
        }
        if let Some(example) = param_example(path, &p.name) {
            *p = ParameterBuilder::from(p.clone())
                .example(Some(example))
                .build();
        }
    }
}
