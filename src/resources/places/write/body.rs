//! Place write bodies: the fields every located place shares
//! (`PlaceWriteCore`) plus a kind's own (`KindWrite`), one JSON object with
//! unknown fields denied, shown in the spec as one flat schema per kind.

use std::borrow::Cow;
use std::collections::HashMap;

use chrono::{DateTime, FixedOffset};
use diesel::prelude::*;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{AdditionalProperties, Object, Schema};
use utoipa::openapi::RefOr;
use utoipa::{PartialSchema, ToSchema};

use super::not_found;
use crate::db::schema::{place_terms, places};
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, Image, ImageWrite};
use crate::editorial::common;
use crate::error::AppResult;
use crate::resource::PlaceKind;
use crate::resources::places::PlaceRow;
use crate::resources::regions::Location;
use crate::resources::vocab::RegionSlug;

/// The body fields every located place shares (a souvenir fills only some).
#[derive(Debug, Default, Clone, Serialize, Deserialize, ToSchema)]
pub struct PlaceWriteCore {
    /// Unique per collection and locale: lowercase letters, digits and hyphens, with a letter.
    pub slug: Option<String>,
    /// A configured locale; defaults to the default locale.
    pub locale: Option<String>,
    /// The id of an item of this collection in another locale that this one translates.
    pub translation_of: Option<i64>,
    /// 1-300 characters.
    pub name: Option<String>,
    /// Other names the place is known by (exonyms, other scripts and spellings:
    /// `Hrodna`, `Grodno`, `Гродна`), searched and suggested like the name. Up to
    /// 20, each 1-100 characters.
    pub aliases: Option<Vec<String>>,
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
    pub image: Option<ImageWrite>,
    /// Up to 50 images.
    pub gallery: Option<Vec<ImageWrite>>,
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
    pub published_at: Option<DateTime<FixedOffset>>,
}

/// A place kind's own write fields (every one optional). Its schema's name and
/// description are those of the kind's whole body (`#[schema(as = ..)]` and
/// its doc comment), e.g. `TouristSiteWrite`.
pub trait KindWrite: Serialize + DeserializeOwned + ToSchema + Default {}

impl<K: Serialize + DeserializeOwned + ToSchema + Default> KindWrite for K {}

/// A located place's write body: the shared fields and kind `K`'s. Unknown
/// fields are denied: serde checks what neither part took.
#[derive(Debug, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
#[serde(bound(deserialize = "K: KindWrite", serialize = "K: KindWrite"))]
pub struct PlaceWrite<K> {
    #[serde(flatten)]
    pub core: PlaceWriteCore,
    #[serde(flatten)]
    pub own: K,
}

/// The properties of an object schema (none for anything else).
fn properties(s: RefOr<Schema>) -> Option<Object> {
    match s {
        RefOr::T(Schema::Object(o)) => Some(o),
        _ => None,
    }
}

impl<K: KindWrite> PartialSchema for PlaceWrite<K> {
    /// One object with both parts' properties (a derive would make an `allOf`).
    fn schema() -> RefOr<Schema> {
        let mut all = properties(PlaceWriteCore::schema()).unwrap_or_default();
        let own = properties(K::schema());
        if let Some(own) = &own {
            all.properties.extend(own.properties.clone());
        }
        all.description = own.as_ref().and_then(|o| o.description.clone());
        all.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
        RefOr::T(Schema::Object(all))
    }
}

impl<K: KindWrite> ToSchema for PlaceWrite<K> {
    fn name() -> Cow<'static, str> {
        K::name()
    }

    fn schemas(schemas: &mut Vec<(String, RefOr<Schema>)>) {
        PlaceWriteCore::schemas(schemas);
        K::schemas(schemas);
    }
}

pub use crate::domain::PLACE_ALIAS_TERM as ALIAS;

/// The stored place of `kind` (whatever its status), its terms, and its shared
/// writable fields as a write would send them (a souvenir's region is its
/// `origin_region`; it has no location, gallery or contacts).
pub fn stored_core(
    conn: &mut AnyConnection,
    kind: PlaceKind,
    id: i64,
) -> AppResult<(PlaceRow, HashMap<String, Vec<String>>, PlaceWriteCore)> {
    let row: PlaceRow = places::table
        .filter(places::id.eq(id))
        .filter(places::kind.eq(kind.as_str()))
        .select(PlaceRow::as_select())
        .first(conn)
        .optional()?
        .ok_or_else(|| not_found(kind))?;
    let rows: Vec<(String, String)> = place_terms::table
        .filter(place_terms::place_id.eq(id))
        .order((place_terms::term, place_terms::position, place_terms::value))
        .select((place_terms::term, place_terms::value))
        .load(conn)?;
    let mut terms: HashMap<String, Vec<String>> = HashMap::new();
    for (t, v) in rows {
        terms.entry(t).or_default().push(v);
    }
    let mut core = PlaceWriteCore {
        slug: Some(row.slug.clone()),
        locale: Some(row.locale.clone()),
        translation_of: None,
        name: Some(row.name.clone()),
        aliases: Some(terms.get(ALIAS).cloned().unwrap_or_default()),
        summary: Some(row.summary.clone()),
        description_html: Some(row.description_html.clone()),
        region: row.region.as_deref().and_then(RegionSlug::from_wire),
        image: ImageWrite::from_column(row.image.as_deref()),
        tags: Some(terms.get("tag").cloned().unwrap_or_default()),
        publication_status: Some(ContentStatus::from_column(&row.status)),
        published_at: common::instant(row.published_at),
        ..PlaceWriteCore::default()
    };
    if kind != PlaceKind::Souvenir {
        let gallery: Vec<ImageWrite> = serde_json::from_str::<Vec<Image>>(&row.gallery)
            .unwrap_or_default()
            .into_iter()
            .map(ImageWrite::from_stored)
            .collect();
        core.locality = row.locality.clone();
        core.address = row.address.clone();
        core.location = row.point().map(|p| Location {
            lat: p.lat,
            lon: p.lon,
        });
        core.gallery = Some(gallery);
        core.website = row.website.clone();
        core.phone = row.phone.clone();
        core.email = row.email.clone();
    }
    Ok((row, terms, core))
}

/// The stored values of term `term` (a kind's vocabulary list), parsed.
pub fn stored_terms<T>(
    terms: &HashMap<String, Vec<String>>,
    term: &str,
    parse: fn(&str) -> Option<T>,
) -> Option<Vec<T>> {
    Some(
        terms
            .get(term)
            .into_iter()
            .flatten()
            .filter_map(|v| parse(v))
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use serde_json::{json, Value};

    use super::*;
    use crate::editorial::body::{check_patch_keys, parse_body};
    use crate::error::AppError;

    /// A test kind.
    #[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
    #[schema(as = OwnWrite)]
    struct Own {
        rank: Option<i32>,
    }

    fn errors(v: Value) -> Vec<(String, String)> {
        let Value::Object(m) = v else { panic!() };
        match parse_body::<PlaceWrite<Own>>(&m, &["id"]) {
            Err(AppError::Unprocessable(e)) => {
                e.into_iter().map(|e| (e.field, e.message)).collect()
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn both_parts_parse_and_unknown_fields_are_named() {
        let Value::Object(m) = json!({"slug": "a", "rank": 3}) else {
            panic!()
        };
        let b = parse_body::<PlaceWrite<Own>>(&m, &[])
            .map_err(|_| ())
            .unwrap();
        assert_eq!((b.core.slug.as_deref(), b.own.rank), (Some("a"), Some(3)));
        let e = errors(json!({"bogus": 1, "rank": "x", "slug": 5, "id": 1}));
        let fields: Vec<&str> = e.iter().map(|(f, _)| f.as_str()).collect();
        assert_eq!(fields, ["bogus", "id", "rank", "slug"]);
        assert_eq!(e[0].1, "is not a field of this resource");
        assert!(
            e[2].1.starts_with("invalid type: string \"x\""),
            "{}",
            e[2].1
        );
        let Value::Object(p) = json!({"bogus": null, "rank": null}) else {
            panic!()
        };
        assert!(check_patch_keys::<PlaceWrite<Own>>(&p, &[]).is_err());
    }

    #[test]
    fn the_schema_is_one_flat_object() {
        let RefOr::T(Schema::Object(o)) = PlaceWrite::<Own>::schema() else {
            panic!()
        };
        assert!(o.properties.contains_key("slug") && o.properties.contains_key("rank"));
        assert_eq!(o.description.as_deref(), Some("A test kind."));
        assert_eq!(PlaceWrite::<Own>::name(), "OwnWrite");
    }
}
