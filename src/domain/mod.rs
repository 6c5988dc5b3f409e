//! The content domain shared by every resource: images, translations, publication
//! status and visibility, UTC instants. No actix and no diesel here.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub mod change;
pub mod fold;
pub mod time;

/// The `place_terms` term that holds a place's aliases (other names), in order.
pub const PLACE_ALIAS_TERM: &str = "alias";

/// A downscaled rendition of an image.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ImageVariant {
    pub width: u32,
    pub height: u32,
    /// `image/webp`, `image/jpeg` or `image/png`.
    pub mime: String,
    /// Path of the file; cacheable forever (the name is the hash of its bytes).
    pub url: String,
}

/// An image: `image` is one or null, `gallery` a list.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct Image {
    pub url: String,
    pub width: Option<u32>,
    pub height: Option<u32>,
    pub alt: String,
    pub caption: Option<String>,
    pub credit: Option<String>,
    /// The id of the media library item shown; absent for external images.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub media: Option<i64>,
    /// Narrower renditions of a media library image (for `srcset`), smallest
    /// first; absent for external images.
    #[serde(skip_serializing_if = "Vec::is_empty", default)]
    pub variants: Vec<ImageVariant>,
}

impl Image {
    /// Images are stored as validated JSON text; an unreadable value reads as no image.
    pub fn from_column(v: Option<&str>) -> Option<Image> {
        v.and_then(|s| serde_json::from_str(s).ok())
    }
}

/// An image in a write: a media library item (`media`, its id), whose URL, size
/// and variants are filled in and whose `alt`, `caption` and `credit` are the
/// defaults; or an external image (`url` and `alt` required).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema, PartialEq)]
#[serde(deny_unknown_fields)]
pub struct ImageWrite {
    /// The id of an item of `/v1/media`. Not with `url`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub media: Option<i64>,
    /// An absolute http(s) URL or a path on this service. Not with `media`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// External images only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub width: Option<u32>,
    /// External images only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub height: Option<u32>,
    /// Up to 500 characters; required for external images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alt: Option<String>,
    /// Up to 1000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub caption: Option<String>,
    /// Up to 1000 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub credit: Option<String>,
}

impl ImageWrite {
    /// A stored image as a write would give it: the base of a merge patch.
    pub fn from_stored(img: Image) -> ImageWrite {
        match img.media {
            Some(id) => ImageWrite {
                media: Some(id),
                alt: Some(img.alt),
                caption: img.caption,
                credit: img.credit,
                ..Default::default()
            },
            None => ImageWrite {
                url: Some(img.url),
                width: img.width,
                height: img.height,
                alt: Some(img.alt),
                caption: img.caption,
                credit: img.credit,
                media: None,
            },
        }
    }

    /// The stored image column as a write would give it.
    pub fn from_column(v: Option<&str>) -> Option<ImageWrite> {
        Image::from_column(v).map(ImageWrite::from_stored)
    }
}

/// A sibling of an item in another locale.
#[derive(Debug, Clone, Serialize, ToSchema, PartialEq)]
pub struct Translation {
    pub locale: String,
    pub id: i64,
    pub slug: String,
}

/// Publication state of a content item: `published` with a future
/// `published_at` is scheduled and turns public at that instant.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum ContentStatus {
    Draft,
    Published,
    Archived,
}

impl ContentStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            ContentStatus::Draft => "draft",
            ContentStatus::Published => "published",
            ContentStatus::Archived => "archived",
        }
    }

    pub fn from_column(s: &str) -> ContentStatus {
        match s {
            "published" => ContentStatus::Published,
            "archived" => ContentStatus::Archived,
            _ => ContentStatus::Draft,
        }
    }
}

/// Which items a read may see: the public (published, `published_at` passed), or,
/// for editors previewing with `status=`, one publication status or any.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Visibility {
    #[default]
    Public,
    Status(ContentStatus),
    Any,
}

impl Visibility {
    /// The rule for rows already loaded.
    pub fn allows(
        self,
        status: &str,
        published_at: Option<NaiveDateTime>,
        now: NaiveDateTime,
    ) -> bool {
        match self {
            Visibility::Public => status == "published" && published_at.is_some_and(|t| t <= now),
            Visibility::Status(s) => status == s.as_str(),
            Visibility::Any => true,
        }
    }

    /// The preview value of a `status` parameter, if it is one (`draft`,
    /// `published`, `archived`, `any`); other values belong to the resource.
    pub fn preview_value(v: &str) -> Option<Visibility> {
        match v {
            "draft" => Some(Visibility::Status(ContentStatus::Draft)),
            "published" => Some(Visibility::Status(ContentStatus::Published)),
            "archived" => Some(Visibility::Status(ContentStatus::Archived)),
            "any" => Some(Visibility::Any),
            _ => None,
        }
    }

    pub fn cache_tag(self) -> &'static str {
        match self {
            Visibility::Public => "public",
            Visibility::Status(s) => s.as_str(),
            Visibility::Any => "any",
        }
    }
}

pub fn utc(t: NaiveDateTime) -> DateTime<Utc> {
    Utc.from_utc_datetime(&t)
}

/// Reading time at 200 words a minute, at least one minute.
pub fn reading_time_minutes(html: &str) -> i32 {
    let mut in_tag = false;
    let mut text = String::with_capacity(html.len());
    for ch in html.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                text.push(' ');
            }
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let words = text.split_whitespace().count() as i32;
    ((words + 199) / 200).max(1)
}

/// The visible translation siblings `(group_id, id, locale, slug)` of the
/// translation groups `$groups` in table `$t` (articles, events, places), for
/// [`siblings`]. Read by group only (an index lookup) and checked for
/// visibility here, since planners otherwise prefer a range scan of the public
/// index with a generic plan. `$groups` must not be empty.
#[macro_export]
macro_rules! visible_siblings {
    ($conn:expr, $t:ident, $groups:expr, $now:expr) => {{
        type Stored = (
            (i64, i64, String, String),
            String,
            Option<chrono::NaiveDateTime>,
        );
        let groups: Vec<i64> = $groups;
        let stored: Vec<Stored> = $t::table
            .filter($crate::db::any_of::any_of(&*$conn, $t::group_id, &groups))
            .select((
                ($t::group_id, $t::id, $t::locale, $t::slug),
                $t::status,
                $t::published_at,
            ))
            .load($conn)?;
        stored
            .into_iter()
            .filter(|(_, status, at)| $crate::domain::Visibility::Public.allows(status, *at, $now))
            .map(|(sibling, _, _)| sibling)
            .collect::<Vec<(i64, i64, String, String)>>()
    }};
}

/// Lists in-memory translation siblings grouped by `group_id`, excluding the item itself.
pub fn siblings(
    rows: &[(i64, i64, String, String)],
    group_id: i64,
    self_id: i64,
) -> Vec<Translation> {
    let mut v: Vec<Translation> = rows
        .iter()
        .filter(|(g, id, _, _)| *g == group_id && *id != self_id)
        .map(|(_, id, locale, slug)| Translation {
            locale: locale.clone(),
            id: *id,
            slug: slug.clone(),
        })
        .collect();
    v.sort_by(|a, b| a.locale.cmp(&b.locale));
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reading_time_counts_words_outside_tags() {
        assert_eq!(reading_time_minutes("<p>short</p>"), 1);
        let long = format!("<p>{}</p>", "word ".repeat(401));
        assert_eq!(reading_time_minutes(&long), 3);
    }
}
