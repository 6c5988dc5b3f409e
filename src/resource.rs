//! Every resource type and its names, in one place: the `type` string of the
//! changes feed, webhooks, search and NDJSON; the collection path under `/v1`;
//! the search code; the export order. Plus newtype ids, so ids of two resources
//! never mix. A new resource is a compile error wherever it must be handled.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A kind of place: each has its own collection, all share the `places` table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PlaceKind {
    TouristSite,
    UnescoSite,
    Sanatorium,
    Monument,
    Souvenir,
}

impl PlaceKind {
    /// The kinds with a location (souvenirs have none).
    pub const PLACES: [PlaceKind; 4] = [
        PlaceKind::TouristSite,
        PlaceKind::UnescoSite,
        PlaceKind::Sanatorium,
        PlaceKind::Monument,
    ];

    /// Every kind.
    pub const ALL: [PlaceKind; 5] = [
        PlaceKind::TouristSite,
        PlaceKind::UnescoSite,
        PlaceKind::Sanatorium,
        PlaceKind::Monument,
        PlaceKind::Souvenir,
    ];

    /// The `kind` column and the `type` name.
    pub fn as_str(self) -> &'static str {
        ResourceType::Place(self).as_str()
    }

    /// The collection path segment (`tourist-sites`).
    pub fn collection(self) -> &'static str {
        ResourceType::Place(self).collection()
    }

    pub fn from_collection(s: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.into_iter().find(|k| k.collection() == s)
    }

    /// The kind of a `kind` column value or `type` name.
    pub fn from_type_str(s: &str) -> Option<PlaceKind> {
        PlaceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// A resource type: the one owner of its names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Section,
    Article,
    Event,
    Place(PlaceKind),
}

impl ResourceType {
    /// Every content type in export order: what an item refers to comes before it.
    pub const ALL: [ResourceType; 8] = [
        ResourceType::Section,
        ResourceType::Article,
        ResourceType::Place(PlaceKind::TouristSite),
        ResourceType::Place(PlaceKind::UnescoSite),
        ResourceType::Place(PlaceKind::Sanatorium),
        ResourceType::Place(PlaceKind::Monument),
        ResourceType::Place(PlaceKind::Souvenir),
        ResourceType::Event,
    ];

    /// The types `/v1/search` finds: all but sections (the first), in the same order.
    pub const SEARCHABLE: &'static [ResourceType] = Self::ALL.split_at(1).1;

    /// `type` in the changes feed, webhooks, search results and NDJSON lines.
    pub fn as_str(self) -> &'static str {
        match self {
            ResourceType::Section => "section",
            ResourceType::Article => "article",
            ResourceType::Event => "event",
            ResourceType::Place(PlaceKind::TouristSite) => "tourist_site",
            ResourceType::Place(PlaceKind::UnescoSite) => "unesco_site",
            ResourceType::Place(PlaceKind::Sanatorium) => "sanatorium",
            ResourceType::Place(PlaceKind::Monument) => "monument",
            ResourceType::Place(PlaceKind::Souvenir) => "souvenir",
        }
    }

    /// The collection path segment under `/v1`.
    pub fn collection(self) -> &'static str {
        match self {
            ResourceType::Section => "sections",
            ResourceType::Article => "articles",
            ResourceType::Event => "events",
            ResourceType::Place(PlaceKind::TouristSite) => "tourist-sites",
            ResourceType::Place(PlaceKind::UnescoSite) => "unesco-sites",
            ResourceType::Place(PlaceKind::Sanatorium) => "sanatoria",
            ResourceType::Place(PlaceKind::Monument) => "monuments",
            ResourceType::Place(PlaceKind::Souvenir) => "souvenirs",
        }
    }

    /// The type's code in search rowids (SQLite) and documents; stable, stored.
    pub fn search_code(self) -> i64 {
        match self {
            ResourceType::Article => 1,
            ResourceType::Place(PlaceKind::TouristSite) => 2,
            ResourceType::Place(PlaceKind::UnescoSite) => 3,
            ResourceType::Place(PlaceKind::Sanatorium) => 4,
            ResourceType::Place(PlaceKind::Monument) => 5,
            ResourceType::Place(PlaceKind::Souvenir) => 6,
            ResourceType::Event => 7,
            ResourceType::Section => 9,
        }
    }

    /// The path of item `id`.
    pub fn item_path(self, id: i64) -> String {
        format!("/v1/{}/{id}", self.collection())
    }

    /// The type a `type` name denotes.
    pub fn from_type_str(s: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.as_str() == s)
    }

    /// The type a collection path segment denotes.
    pub fn from_collection(s: &str) -> Option<ResourceType> {
        ResourceType::ALL.into_iter().find(|t| t.collection() == s)
    }

    /// A comma-separated list of `type` names, each among `allowed` (repeats
    /// dropped, order kept); all of `allowed` when absent. The error is the message.
    /// A collection name (`unesco-sites`) stands for its type (`unesco_site`), so
    /// `/v1/search` and `/v1/nearby` take the same words; the type is canonical.
    pub fn parse_list(
        v: Option<&str>,
        allowed: &[ResourceType],
    ) -> Result<Vec<ResourceType>, String> {
        let Some(v) = v else {
            return Ok(allowed.to_vec());
        };
        let mut out = Vec::new();
        for name in v.split(',').map(str::trim) {
            match allowed
                .iter()
                .find(|t| t.as_str() == name || t.collection() == name)
            {
                Some(t) if !out.contains(t) => out.push(*t),
                Some(_) => {}
                None => {
                    return Err(format!(
                        "unknown type `{name}`; allowed: {}",
                        ResourceType::names(allowed)
                    ))
                }
            }
        }
        Ok(out)
    }

    /// The `type` names of `types`, comma-separated (for messages).
    pub fn names(types: &[ResourceType]) -> String {
        types
            .iter()
            .map(|t| t.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }

    pub fn place_kind(self) -> Option<PlaceKind> {
        match self {
            ResourceType::Place(k) => Some(k),
            ResourceType::Section | ResourceType::Article | ResourceType::Event => None,
        }
    }
}

impl From<PlaceKind> for ResourceType {
    fn from(k: PlaceKind) -> Self {
        ResourceType::Place(k)
    }
}

impl fmt::Display for ResourceType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Serialize for ResourceType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

/// A string enum of the `type` names (a component named `ResourceType`).
impl utoipa::PartialSchema for ResourceType {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::Type::String)
            .description(Some(
                "A resource type: its name in the changes feed, webhooks, search and NDJSON.",
            ))
            .enum_values(Some(ResourceType::ALL.map(ResourceType::as_str)))
            .into()
    }
}

impl utoipa::ToSchema for ResourceType {}

impl<'de> Deserialize<'de> for ResourceType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        ResourceType::from_type_str(&s)
            .ok_or_else(|| serde::de::Error::custom(format!("unknown type `{s}`")))
    }
}

/// Defines a newtype id: `Copy`, ordered, serialized as the bare number.
macro_rules! id_type {
    ($($(#[$m:meta])* $name:ident),* $(,)?) => {$(
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl $name {
            /// The bare number, for the diesel boundary.
            pub fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl From<i64> for $name {
            fn from(id: i64) -> $name {
                $name(id)
            }
        }
    )*};
}

id_type!(
    /// The id of an article.
    ArticleId,
    /// The id of a place of any kind.
    PlaceId,
    /// The id of an event.
    EventId,
    /// The id of a section.
    SectionId,
    /// The id of a media library item.
    MediaId,
    /// The id of a webhook subscription.
    WebhookId,
    /// The id of an API key.
    KeyId,
);

/// The id of any content item: its type and its number.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ItemKey {
    pub resource: ResourceType,
    pub id: i64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_lists_take_collection_names_as_their_types() {
        let places = [
            ResourceType::Place(PlaceKind::UnescoSite),
            ResourceType::Place(PlaceKind::TouristSite),
        ];
        assert_eq!(
            ResourceType::parse_list(Some("unesco-sites,unesco_site,tourist-sites"), &places),
            Ok(places.to_vec())
        );
        let e = ResourceType::parse_list(Some("sanatoria"), &places).unwrap_err();
        assert!(e.contains("unesco_site, tourist_site"), "{e}");
    }

    #[test]
    fn every_name_maps_back_to_its_type() {
        for t in ResourceType::ALL {
            assert_eq!(ResourceType::from_type_str(t.as_str()), Some(t));
            assert_eq!(ResourceType::from_collection(t.collection()), Some(t));
        }
        let codes: std::collections::HashSet<i64> =
            ResourceType::ALL.map(ResourceType::search_code).into();
        assert_eq!(codes.len(), ResourceType::ALL.len());
    }

    #[test]
    fn type_lists_keep_order_drop_repeats_and_name_the_allowed() {
        let all = ResourceType::SEARCHABLE;
        assert_eq!(ResourceType::parse_list(None, all), Ok(all.to_vec()));
        assert_eq!(
            ResourceType::parse_list(Some("event, article,event"), all),
            Ok(vec![ResourceType::Event, ResourceType::Article])
        );
        assert_eq!(
            ResourceType::parse_list(Some("article,section"), all),
            Err(
                "unknown type `section`; allowed: article, tourist_site, unesco_site, \
                 sanatorium, monument, souvenir, event"
                    .to_string()
            )
        );
    }

    #[test]
    fn ids_serialize_as_bare_numbers() {
        assert_eq!(serde_json::to_string(&ArticleId(7)).unwrap(), "7");
        assert_eq!(
            serde_json::to_string(&ResourceType::Place(PlaceKind::UnescoSite)).unwrap(),
            "\"unesco_site\""
        );
    }
}
