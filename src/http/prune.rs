//! Serializes a value without some of its top-level fields, in one pass: a
//! serde `Serializer` adaptor that passes everything through to the real
//! serializer except the top-level struct or map entries `keep` refuses.
//!
//! `Shape` (sparse fieldsets and opt-in expansions) used to serialize each list
//! item, parse it back into a map and serialize that again: about a fifth of
//! an uncached article list's CPU (docs/PERFORMANCE.md). Fields of nested
//! values (a section inside an article, say) are never filtered, and
//! `#[serde(flatten)]` parts, which serde writes as map entries of the outer
//! object, are filtered like its own fields.

use serde::ser::{Serialize, SerializeMap, SerializeStruct, Serializer};

/// Whether a top-level field is written.
pub type Keep<'a> = &'a dyn Fn(&str) -> bool;

/// Serializes `value` with `serializer`, leaving out the top-level fields
/// `keep` refuses.
pub fn serialize<T, S>(value: &T, keep: Keep<'_>, serializer: S) -> Result<S::Ok, S::Error>
where
    T: Serialize + ?Sized,
    S: Serializer,
{
    value.serialize(Filter {
        inner: serializer,
        keep,
    })
}

struct Filter<'k, S> {
    inner: S,
    keep: Keep<'k>,
}

macro_rules! pass {
    ($($name:ident($($arg:ident: $ty:ty),*);)*) => {
        $(fn $name(self, $($arg: $ty),*) -> Result<S::Ok, S::Error> {
            self.inner.$name($($arg),*)
        })*
    };
}

impl<'k, S: Serializer> Serializer for Filter<'k, S> {
    type Ok = S::Ok;
    type Error = S::Error;
    type SerializeSeq = S::SerializeSeq;
    type SerializeTuple = S::SerializeTuple;
    type SerializeTupleStruct = S::SerializeTupleStruct;
    type SerializeTupleVariant = S::SerializeTupleVariant;
    type SerializeMap = FilterMap<'k, S::SerializeMap>;
    type SerializeStruct = FilterStruct<'k, S::SerializeStruct>;
    type SerializeStructVariant = S::SerializeStructVariant;

    pass! {
        serialize_bool(v: bool);
        serialize_i8(v: i8);
        serialize_i16(v: i16);
        serialize_i32(v: i32);
        serialize_i64(v: i64);
        serialize_i128(v: i128);
        serialize_u8(v: u8);
        serialize_u16(v: u16);
        serialize_u32(v: u32);
        serialize_u64(v: u64);
        serialize_u128(v: u128);
        serialize_f32(v: f32);
        serialize_f64(v: f64);
        serialize_char(v: char);
        serialize_str(v: &str);
        serialize_bytes(v: &[u8]);
        serialize_none();
        serialize_unit();
        serialize_unit_struct(name: &'static str);
        serialize_unit_variant(name: &'static str, index: u32, variant: &'static str);
    }

    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        value.serialize(self)
    }

    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<S::Ok, S::Error> {
        self.inner
            .serialize_newtype_variant(name, index, variant, value)
    }

    fn serialize_seq(self, len: Option<usize>) -> Result<Self::SerializeSeq, S::Error> {
        self.inner.serialize_seq(len)
    }

    fn serialize_tuple(self, len: usize) -> Result<Self::SerializeTuple, S::Error> {
        self.inner.serialize_tuple(len)
    }

    fn serialize_tuple_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeTupleStruct, S::Error> {
        self.inner.serialize_tuple_struct(name, len)
    }

    fn serialize_tuple_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<S::SerializeTupleVariant, S::Error> {
        self.inner
            .serialize_tuple_variant(name, index, variant, len)
    }

    fn serialize_map(self, len: Option<usize>) -> Result<Self::SerializeMap, S::Error> {
        Ok(FilterMap {
            inner: self.inner.serialize_map(len)?,
            keep: self.keep,
            skip_value: false,
        })
    }

    fn serialize_struct(
        self,
        name: &'static str,
        len: usize,
    ) -> Result<Self::SerializeStruct, S::Error> {
        Ok(FilterStruct {
            inner: self.inner.serialize_struct(name, len)?,
            keep: self.keep,
        })
    }

    fn serialize_struct_variant(
        self,
        name: &'static str,
        index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<S::SerializeStructVariant, S::Error> {
        self.inner
            .serialize_struct_variant(name, index, variant, len)
    }

    fn is_human_readable(&self) -> bool {
        self.inner.is_human_readable()
    }
}

/// A struct's fields, each written or skipped.
pub struct FilterStruct<'k, M> {
    inner: M,
    keep: Keep<'k>,
}

impl<M: SerializeStruct> SerializeStruct for FilterStruct<'_, M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), M::Error> {
        if (self.keep)(key) {
            self.inner.serialize_field(key, value)
        } else {
            self.inner.skip_field(key)
        }
    }

    fn skip_field(&mut self, key: &'static str) -> Result<(), M::Error> {
        self.inner.skip_field(key)
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.inner.end()
    }
}

/// A map's entries (a struct with flattened parts), each written or skipped.
pub struct FilterMap<'k, M> {
    inner: M,
    keep: Keep<'k>,
    skip_value: bool,
}

/// A map key as text (`None`: not a string key, always kept).
fn key_text<K: Serialize + ?Sized>(key: &K) -> Option<String> {
    match serde_json::to_value(key) {
        Ok(serde_json::Value::String(s)) => Some(s),
        _ => None,
    }
}

impl<M: SerializeMap> FilterMap<'_, M> {
    fn keeps<K: Serialize + ?Sized>(&self, key: &K) -> bool {
        key_text(key).is_none_or(|k| (self.keep)(&k))
    }
}

impl<M: SerializeMap> SerializeMap for FilterMap<'_, M> {
    type Ok = M::Ok;
    type Error = M::Error;

    fn serialize_key<K: Serialize + ?Sized>(&mut self, key: &K) -> Result<(), M::Error> {
        self.skip_value = !self.keeps(key);
        if self.skip_value {
            return Ok(());
        }
        self.inner.serialize_key(key)
    }

    fn serialize_value<V: Serialize + ?Sized>(&mut self, value: &V) -> Result<(), M::Error> {
        if std::mem::take(&mut self.skip_value) {
            return Ok(());
        }
        self.inner.serialize_value(value)
    }

    fn serialize_entry<K: Serialize + ?Sized, V: Serialize + ?Sized>(
        &mut self,
        key: &K,
        value: &V,
    ) -> Result<(), M::Error> {
        if !self.keeps(key) {
            return Ok(());
        }
        self.inner.serialize_entry(key, value)
    }

    fn end(self) -> Result<M::Ok, M::Error> {
        self.inner.end()
    }
}

#[cfg(test)]
mod tests {
    use serde::Serialize;

    #[derive(Serialize)]
    struct Section {
        id: i64,
        title: &'static str,
    }

    #[derive(Serialize)]
    struct Summary {
        id: i64,
        title: &'static str,
        section: Section,
        translations: Vec<&'static str>,
    }

    #[derive(Serialize)]
    struct Item {
        #[serde(flatten)]
        summary: Summary,
        #[serde(skip_serializing_if = "Option::is_none")]
        body: Option<&'static str>,
        tags: Vec<&'static str>,
    }

    fn pruned<T: Serialize>(v: &T, keep: &dyn Fn(&str) -> bool) -> String {
        let mut out = Vec::new();
        let mut ser = serde_json::Serializer::new(&mut out);
        super::serialize(v, keep, &mut ser).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn item() -> Item {
        Item {
            summary: Summary {
                id: 1,
                title: "Mir",
                section: Section {
                    id: 2,
                    title: "News",
                },
                translations: vec!["be"],
            },
            body: Some("<p>x</p>"),
            tags: vec!["castle"],
        }
    }

    #[test]
    fn refused_top_level_fields_are_left_out_of_structs_and_flattened_parts() {
        let json = pruned(&item(), &|k| k != "translations" && k != "body");
        assert_eq!(
            json,
            r#"{"id":1,"title":"Mir","section":{"id":2,"title":"News"},"tags":["castle"]}"#
        );
    }

    #[test]
    fn nested_fields_named_like_a_refused_field_are_kept() {
        let json = pruned(&item(), &|k| k != "title");
        assert!(
            json.contains(r#""section":{"id":2,"title":"News"}"#),
            "{json}"
        );
        assert!(!json.contains(r#""title":"Mir""#), "{json}");
    }

    #[test]
    fn keeping_everything_is_plain_serialization_and_nothing_kept_is_an_empty_object() {
        let whole = serde_json::to_string(&item()).unwrap();
        assert_eq!(pruned(&item(), &|_| true), whole);
        assert_eq!(pruned(&item(), &|_| false), "{}");
        let section = Section { id: 3, title: "x" };
        assert_eq!(pruned(&section, &|k| k == "id"), r#"{"id":3}"#);
    }
}
