//! The shape of a representation: `fields=a,b` (sparse fieldsets: only those
//! fields, `id` always) and `include=x,y` (opt-in expansions a list leaves out
//! by default). One implementation for every list and item: the item is
//! serialized, then pruned, so the ETag and the response cache (keyed by the
//! URL, query included) follow the representation as sent.
//!
//! `fields` applies to the items (list `data`, GeoJSON `properties`, an item's
//! body); the list envelope (`meta`, `links`) is never pruned.

use std::any::TypeId;
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, OnceLock, RwLock};

use indexmap::IndexMap;
use serde::Serialize;
use serde_json::value::RawValue;
use utoipa::openapi::schema::Schema;
use utoipa::openapi::RefOr;
use utoipa::ToSchema;

use crate::error::{AppError, AppResult};

/// Most fields or expansions one request names (the longest item has ~30).
const MAX_NAMES: usize = 64;

/// The validated `fields` and `include` of a request.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Shape {
    /// Only these fields (plus `id`); `None` is every field.
    pub fields: Option<Vec<String>>,
    /// The expansions asked for (by `include`, or by naming them in `fields`).
    pub include: Vec<&'static str>,
    /// The list's opt-in expansions: left out unless included.
    pub expansions: &'static [&'static str],
}

impl Shape {
    /// Parses `fields` and `include` (comma lists); `expansions` are what the
    /// list may include. Naming an expansion in `fields` includes it.
    pub fn parse(
        fields: Option<&str>,
        include: Option<&str>,
        expansions: &'static [&'static str],
    ) -> AppResult<Shape> {
        let fields = fields.map(|v| names("fields", v)).transpose()?;
        let mut wanted: Vec<&'static str> = Vec::new();
        for name in include
            .map(|v| names("include", v))
            .transpose()?
            .unwrap_or_default()
        {
            let e = expansions.iter().find(|e| **e == name).ok_or_else(|| {
                AppError::bad_param(
                    "include",
                    match expansions {
                        [] => format!("unknown expansion `{name}`; this resource has none"),
                        all => format!("unknown expansion `{name}`; allowed: {}", all.join(", ")),
                    },
                )
            })?;
            if !wanted.contains(e) {
                wanted.push(e);
            }
        }
        for f in fields.iter().flatten() {
            if let Some(e) = expansions.iter().find(|e| *e == f) {
                if !wanted.contains(e) {
                    wanted.push(e);
                }
            }
        }
        Ok(Shape {
            fields,
            include: wanted,
            expansions,
        })
    }

    /// Whether expansion `name` is asked for.
    pub fn includes(&self, name: &str) -> bool {
        self.include.contains(&name)
    }

    /// Whether items go out as they serialize (no field dropped).
    fn is_whole(&self) -> bool {
        self.fields.is_none() && self.expansions.iter().all(|e| self.includes(e))
    }

    /// A 400 naming the allowed fields when `fields` names one `T` does not have.
    pub fn check<T: ToSchema + 'static>(&self) -> AppResult<()> {
        let Some(fields) = &self.fields else {
            return Ok(());
        };
        let known = field_names::<T>();
        match fields.iter().find(|f| !known.contains(f.as_str())) {
            None => Ok(()),
            Some(f) => Err(AppError::bad_param(
                "fields",
                format!(
                    "unknown field `{f}`; allowed: {}",
                    known.iter().cloned().collect::<Vec<_>>().join(", ")
                ),
            )),
        }
    }

    /// `item` as JSON in this shape, its fields in their declared order
    /// (`None` when it does not serialize to an object).
    pub fn value<T: Serialize>(&self, item: &T) -> Option<Fields> {
        let bytes = serde_json::to_vec(item).ok()?;
        let mut map: Fields = serde_json::from_slice(&bytes).ok()?;
        map.retain(|k, _| self.keeps(k));
        Some(map)
    }

    /// Whether field `k` is sent: not an expansion left out, and named (or `id`).
    fn keeps(&self, k: &str) -> bool {
        if self.expansions.contains(&k) && !self.includes(k) {
            return false;
        }
        match &self.fields {
            None => true,
            Some(f) => k == "id" || f.iter().any(|n| n == k),
        }
    }

    /// The items of a page in this shape: as they are when nothing is dropped,
    /// otherwise each serialized without the dropped fields (`http::prune`,
    /// one pass, no intermediate map).
    pub fn items<T: Serialize>(&self, items: Vec<T>) -> Vec<Shaped<T>> {
        let shape = (!self.is_whole()).then(|| Arc::new(self.clone()));
        items
            .into_iter()
            .map(|item| Shaped {
                item,
                shape: shape.clone(),
            })
            .collect()
    }
}

/// An item's fields, in order, each as the JSON it serialized to.
pub type Fields = IndexMap<String, Box<RawValue>>;

/// An item as sent: whole (`shape` is `None`), or without the fields its
/// shape drops.
#[derive(Debug)]
pub struct Shaped<T> {
    item: T,
    shape: Option<Arc<Shape>>,
}

impl<T: Serialize> Serialize for Shaped<T> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.shape {
            None => self.item.serialize(serializer),
            Some(shape) => {
                crate::http::prune::serialize(&self.item, &|k| shape.keeps(k), serializer)
            }
        }
    }
}

/// A comma list of field names: trimmed, non-empty, snake_case, at most [`MAX_NAMES`].
fn names(param: &str, v: &str) -> AppResult<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    for n in v.split(',').map(str::trim) {
        let ok = !n.is_empty()
            && n.len() <= 64
            && n.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
        if !ok {
            return Err(AppError::bad_param(
                param,
                "expected a comma-separated list of field names like `id,title`",
            ));
        }
        if !out.iter().any(|o| o == n) {
            out.push(n.to_string());
        }
    }
    if out.len() > MAX_NAMES {
        return Err(AppError::bad_param(
            param,
            format!("at most {MAX_NAMES} names"),
        ));
    }
    Ok(out)
}

/// The top-level field names of `T` as its OpenAPI schema declares them
/// (flattened parts included), computed once per type.
pub fn field_names<T: ToSchema + 'static>() -> Arc<BTreeSet<String>> {
    static NAMES: OnceLock<RwLock<HashMap<TypeId, Arc<BTreeSet<String>>>>> = OnceLock::new();
    let map = NAMES.get_or_init(Default::default);
    let key = TypeId::of::<T>();
    if let Some(n) = map.read().ok().and_then(|m| m.get(&key).cloned()) {
        return n;
    }
    let mut named = Vec::new();
    T::schemas(&mut named);
    let named: HashMap<String, RefOr<Schema>> = named.into_iter().collect();
    let mut out = BTreeSet::new();
    collect(&T::schema(), &named, &mut out, 0);
    let out = Arc::new(out);
    if let Ok(mut m) = map.write() {
        m.insert(key, out.clone());
    }
    out
}

fn collect(
    s: &RefOr<Schema>,
    named: &HashMap<String, RefOr<Schema>>,
    out: &mut BTreeSet<String>,
    depth: u8,
) {
    if depth > 8 {
        return;
    }
    match s {
        RefOr::Ref(r) => {
            let name = r.ref_location.rsplit('/').next().unwrap_or_default();
            if let Some(s) = named.get(name) {
                collect(s, named, out, depth + 1);
            }
        }
        RefOr::T(Schema::Object(o)) => out.extend(o.properties.keys().cloned()),
        RefOr::T(Schema::AllOf(a)) => {
            for item in &a.items {
                collect(item, named, out, depth + 1);
            }
        }
        RefOr::T(_) => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize, ToSchema)]
    struct Inner {
        id: i64,
        title: String,
        translations: Vec<String>,
    }

    #[derive(Serialize, ToSchema)]
    struct Outer {
        #[serde(flatten)]
        inner: Inner,
        body_html: String,
    }

    fn outer() -> Outer {
        Outer {
            inner: Inner {
                id: 7,
                title: "T".into(),
                translations: vec!["x".into()],
            },
            body_html: "<p>b</p>".into(),
        }
    }

    const EXP: &[&str] = &["translations", "body_html"];

    fn shaped(s: &Shape) -> String {
        serde_json::to_string(&s.value(&outer()).unwrap()).unwrap()
    }

    #[test]
    fn names_come_from_the_schema_flattened_parts_included() {
        let names = field_names::<Outer>();
        let got: Vec<&str> = names.iter().map(String::as_str).collect();
        assert_eq!(got, ["body_html", "id", "title", "translations"]);
    }

    #[test]
    fn expansions_are_left_out_unless_included_and_fields_keep_id() {
        let s = Shape::parse(None, None, EXP).unwrap();
        assert_eq!(shaped(&s), r#"{"id":7,"title":"T"}"#);
        let s = Shape::parse(None, Some("body_html"), EXP).unwrap();
        assert_eq!(shaped(&s), r#"{"id":7,"title":"T","body_html":"<p>b</p>"}"#);
        let s = Shape::parse(Some("translations,title"), None, EXP).unwrap();
        assert!(
            s.includes("translations"),
            "naming an expansion includes it"
        );
        assert_eq!(
            shaped(&s),
            r#"{"id":7,"title":"T","translations":["x"]}"#,
            "declared order kept"
        );
        assert!(s.check::<Outer>().is_ok());
    }

    #[test]
    fn unknown_names_are_400s_listing_the_allowed() {
        let e = Shape::parse(Some("title,nope"), None, EXP)
            .unwrap()
            .check::<Outer>();
        let msg = format!("{:?}", e.unwrap_err());
        assert!(
            msg.contains("unknown field `nope`; allowed: body_html, id, title, translations"),
            "{msg}"
        );
        let e = format!(
            "{:?}",
            Shape::parse(None, Some("related"), EXP).unwrap_err()
        );
        assert!(e.contains("allowed: translations, body_html"), "{e}");
        for bad in ["", "a,,b", "Title", "a b", "x;y"] {
            assert!(Shape::parse(Some(bad), None, EXP).is_err(), "{bad}");
        }
    }
}
