//! schema.org JSON-LD of content items, for `Accept: application/ld+json`: a
//! front end embeds it in a `<script type="application/ld+json">` for search
//! engines. Built from the item's JSON representation, so it always says what
//! the JSON says.

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse};
use serde_json::{json, Map, Value};
use utoipa::ToSchema;

use crate::resource::PlaceKind;

pub const LD_JSON: &str = "application/ld+json";

/// A schema.org JSON-LD document (`@context` https://schema.org).
#[derive(ToSchema)]
#[schema(value_type = Object)]
pub struct JsonLd(pub Value);

/// Whether the request prefers JSON-LD: `Accept` names `application/ld+json`
/// with a quality above zero and at least that of `application/json`.
pub fn wanted(req: &HttpRequest) -> bool {
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    let mut ld = None;
    let mut plain: f32 = 0.0;
    for part in accept.split(',') {
        let mut bits = part.split(';');
        let media = bits.next().unwrap_or("").trim().to_ascii_lowercase();
        let q = bits
            .filter_map(|p| p.trim().strip_prefix("q="))
            .find_map(|q| q.trim().parse::<f32>().ok())
            .unwrap_or(1.0);
        match media.as_str() {
            LD_JSON => ld = Some(q),
            "application/json" => plain = plain.max(q),
            _ => {}
        }
    }
    ld.is_some_and(|q| q > 0.0 && q >= plain)
}

/// The JSON-LD response (the ETag middleware hashes this body, so it has its own validator).
pub fn respond(locale: &str, doc: Value) -> HttpResponse {
    let body = serde_json::to_vec(&doc).unwrap_or_default();
    crate::http::response::typed(LD_JSON, locale, body)
}

/// The base of absolute URLs: `BELPORTAL_PUBLIC_URL`, never the request's headers.
pub fn base_url(req: &HttpRequest) -> String {
    crate::http::public_url(req)
}

fn s<'a>(v: &'a Value, k: &str) -> Option<&'a str> {
    v.get(k).and_then(Value::as_str).filter(|s| !s.is_empty())
}

fn absolute(base: &str, u: &str) -> String {
    if u.starts_with('/') {
        format!("{base}{u}")
    } else {
        u.to_string()
    }
}

fn image(base: &str, img: Option<&Value>) -> Option<Value> {
    let img = img.filter(|i| i.is_object())?;
    let mut o = Map::new();
    o.insert("@type".into(), json!("ImageObject"));
    o.insert("url".into(), json!(absolute(base, s(img, "url")?)));
    for (from, to) in [("width", "width"), ("height", "height")] {
        if let Some(n) = img.get(from).filter(|n| n.is_number()) {
            o.insert(to.into(), n.clone());
        }
    }
    for (from, to) in [("caption", "caption"), ("credit", "creditText")] {
        if let Some(t) = s(img, from) {
            o.insert(to.into(), json!(t));
        }
    }
    Some(Value::Object(o))
}

/// Drops nulls, empty strings and empty lists, so documents carry only what is known.
fn compact(mut v: Map<String, Value>) -> Value {
    v.retain(|_, x| match x {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => !a.is_empty(),
        _ => true,
    });
    Value::Object(v)
}

fn obj(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        _ => Map::new(),
    }
}

fn keywords(v: &Value) -> Option<String> {
    let tags: Vec<&str> = v
        .get("tags")?
        .as_array()?
        .iter()
        .filter_map(Value::as_str)
        .collect();
    (!tags.is_empty()).then(|| tags.join(", "))
}

fn address(street: Option<&str>, locality: Option<&str>, region: Option<&Value>) -> Option<Value> {
    if street.is_none() && locality.is_none() && region.is_none() {
        return None;
    }
    Some(compact(obj(json!({
        "@type": "PostalAddress",
        "streetAddress": street,
        "addressLocality": locality,
        "addressRegion": region.and_then(|r| s(r, "name")),
        "addressCountry": "BY",
    }))))
}

fn geo(location: Option<&Value>) -> Option<Value> {
    let l = location.filter(|l| l.is_object())?;
    Some(json!({
        "@type": "GeoCoordinates",
        "latitude": l.get("lat")?,
        "longitude": l.get("lon")?,
    }))
}

fn item_url(base: &str, collection: &str, item: &Value) -> String {
    let id = item.get("id").and_then(Value::as_i64).unwrap_or_default();
    format!("{base}/v1/{collection}/{id}")
}

/// An article as a `NewsArticle`.
pub fn article(a: &Value, base: &str) -> Value {
    let url = item_url(base, "articles", a);
    let host = base.split("://").nth(1).unwrap_or(base);
    let author = match s(a, "author") {
        Some(name) => json!({"@type": "Person", "name": name}),
        None => json!({"@type": "Organization", "name": s(a, "source").unwrap_or(host)}),
    };
    compact(obj(json!({
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "@id": url,
        "url": url,
        "mainEntityOfPage": url,
        "headline": s(a, "title"),
        "description": s(a, "lead"),
        "datePublished": a.get("published_at"),
        "dateCreated": a.get("created_at"),
        "dateModified": a.get("updated_at"),
        "articleSection": a.get("section").and_then(|x| s(x, "title")),
        "image": image(base, a.get("image")).map(|i| vec![i]),
        "author": author,
        "publisher": {"@type": "Organization", "name": host, "url": base},
        "inLanguage": s(a, "locale"),
        "keywords": keywords(a),
        "sourceOrganization": s(a, "source").map(|n| json!({"@type": "Organization", "name": n})),
    })))
}

/// A place of `kind` as a TouristAttraction, LandmarksOrHistoricalBuildings,
/// LodgingBusiness/Resort or (souvenirs) Product.
pub fn place(kind: PlaceKind, p: &Value, base: &str) -> Value {
    let url = item_url(base, kind.collection(), p);
    let mut doc = obj(json!({
        "@context": "https://schema.org",
        "@id": url,
        "url": url,
        "name": s(p, "name"),
        "description": s(p, "summary"),
        "image": image(base, p.get("image")).map(|i| vec![i]),
        "inLanguage": s(p, "locale"),
        "keywords": keywords(p),
    }));
    if kind == PlaceKind::Souvenir {
        let materials: Vec<&str> = p
            .get("materials")
            .and_then(Value::as_array)
            .map(|m| m.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        doc.insert("@type".into(), json!("Product"));
        doc.insert("category".into(), json!(s(p, "category")));
        doc.insert("material".into(), json!(materials.join(", ")));
        doc.insert(
            "countryOfOrigin".into(),
            json!({"@type": "Country", "name": "Belarus"}),
        );
        return compact(doc);
    }
    let types: Value = match kind {
        PlaceKind::Sanatorium => json!(["LodgingBusiness", "Resort"]),
        PlaceKind::Monument | PlaceKind::UnescoSite => {
            json!(["TouristAttraction", "LandmarksOrHistoricalBuildings"])
        }
        _ => json!("TouristAttraction"),
    };
    doc.insert("@type".into(), types);
    doc.insert(
        "address".into(),
        json!(address(
            s(p, "address"),
            s(p, "locality"),
            p.get("region").filter(|r| r.is_object())
        )),
    );
    doc.insert("geo".into(), json!(geo(p.get("location"))));
    doc.insert("telephone".into(), json!(s(p, "phone")));
    doc.insert("email".into(), json!(s(p, "email")));
    doc.insert("sameAs".into(), json!(s(p, "website")));
    match kind {
        PlaceKind::TouristSite => {
            doc.insert("openingHours".into(), json!(s(p, "opening_hours")));
            doc.insert("touristType".into(), json!(s(p, "category")));
        }
        PlaceKind::Sanatorium => {
            if let Some(price) = p.get("price_from").filter(|x| x.is_object()) {
                let amount = price.get("amount").cloned().unwrap_or(Value::Null);
                let currency = s(price, "currency").unwrap_or("");
                doc.insert(
                    "priceRange".into(),
                    json!(format!("from {amount} {currency}").trim_end()),
                );
                doc.insert("currenciesAccepted".into(), json!(currency));
            }
        }
        PlaceKind::Monument => {
            doc.insert("about".into(), json!(s(p, "commemorates")));
            if let Some(y) = p.get("year_unveiled").and_then(Value::as_i64) {
                doc.insert("dateCreated".into(), json!(y.to_string()));
            }
        }
        PlaceKind::UnescoSite => unesco(&mut doc, p),
        PlaceKind::Souvenir => {}
    }
    compact(doc)
}

/// World Heritage facts as `additionalProperty` values, and the WHC page.
fn unesco(doc: &mut Map<String, Value>, p: &Value) {
    let status = s(p, "status").unwrap_or("");
    let label = if status == "inscribed" {
        "UNESCO World Heritage Site"
    } else {
        "UNESCO World Heritage Tentative List"
    };
    let mut props =
        vec![json!({"@type": "PropertyValue", "name": "World Heritage status", "value": status})];
    for (k, name) in [
        ("unesco_id", "UNESCO reference"),
        ("year_inscribed", "Year inscribed"),
        ("year_submitted", "Year submitted"),
        ("area_ha", "Area (ha)"),
        ("buffer_zone_ha", "Buffer zone (ha)"),
    ] {
        if let Some(v) = p.get(k).filter(|v| !v.is_null()) {
            props.push(json!({"@type": "PropertyValue", "name": name, "value": v}));
        }
    }
    if let Some(c) = p
        .get("criteria")
        .and_then(Value::as_array)
        .filter(|c| !c.is_empty())
    {
        let list: Vec<&str> = c.iter().filter_map(Value::as_str).collect();
        props.push(json!({"@type": "PropertyValue", "name": "Criteria", "value": list.join(", ")}));
    }
    doc.insert("additionalProperty".into(), json!(props));
    let year = p.get("year_inscribed").and_then(Value::as_i64);
    doc.insert(
        "award".into(),
        json!(match year {
            Some(y) if status == "inscribed" => format!("{label} ({y})"),
            _ => label.to_string(),
        }),
    );
    if let (Some(id), "inscribed") = (p.get("unesco_id").and_then(Value::as_i64), status) {
        doc.insert(
            "sameAs".into(),
            json!(format!("https://whc.unesco.org/en/list/{id}")),
        );
    }
}

/// An event as an `Event` with status, location, organizer and offers.
pub fn event(e: &Value, base: &str) -> Value {
    let url = item_url(base, "events", e);
    let all_day = e.get("all_day").and_then(Value::as_bool).unwrap_or(false);
    let (start, end) = if all_day {
        (e.get("start_date"), e.get("end_date"))
    } else {
        (e.get("starts_at"), e.get("ends_at"))
    };
    let status = match s(e, "status") {
        Some("cancelled") => "https://schema.org/EventCancelled",
        Some("postponed") => "https://schema.org/EventPostponed",
        _ => "https://schema.org/EventScheduled",
    };
    let venue = e.get("venue").cloned().unwrap_or(Value::Null);
    let location = compact(obj(json!({
        "@type": "Place",
        "name": s(&venue, "name"),
        "address": address(s(&venue, "address"), s(&venue, "locality"), venue.get("region").filter(|r| r.is_object())),
        "geo": geo(venue.get("location")),
    })));
    let free = e.get("is_free").and_then(Value::as_bool).unwrap_or(false);
    let offers = match (free, s(e, "price")) {
        (true, _) => Some(
            json!({"@type": "Offer", "price": 0, "priceCurrency": "BYN", "url": s(e, "website")}),
        ),
        (false, Some(p)) => {
            Some(json!({"@type": "Offer", "description": p, "url": s(e, "website")}))
        }
        _ => None,
    }
    .map(|o| compact(obj(o)));
    compact(obj(json!({
        "@context": "https://schema.org",
        "@type": "Event",
        "@id": url,
        "url": url,
        "name": s(e, "title"),
        "description": s(e, "summary"),
        "startDate": start,
        "endDate": end,
        "eventStatus": status,
        "eventAttendanceMode": "https://schema.org/OfflineEventAttendanceMode",
        "location": location,
        "organizer": s(e, "organizer").map(|n| json!({"@type": "Organization", "name": n})),
        "isAccessibleForFree": free,
        "offers": offers,
        "image": image(base, e.get("image")).map(|i| vec![i]),
        "inLanguage": s(e, "locale"),
        "keywords": keywords(e),
        "sameAs": s(e, "website"),
    })))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_negotiation_prefers_what_the_client_ranks_higher() {
        let req = |a: &str| {
            actix_web::test::TestRequest::default()
                .insert_header((header::ACCEPT, a))
                .to_http_request()
        };
        assert!(wanted(&req("application/ld+json")));
        assert!(wanted(&req("application/json;q=0.5, application/ld+json")));
        assert!(!wanted(&req("application/json, application/ld+json;q=0.5")));
        assert!(!wanted(&req("application/ld+json;q=0")));
        assert!(!wanted(&req("*/*")));
    }
}
