//! Souvenirs from Belarus: crafts and produce, by category, material and region
//! of origin. Stored like places, without a location.

use actix_web::{delete, patch, post};
use chrono::{DateTime, FixedOffset, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Map;
use utoipa::{IntoParams, ToSchema};

use super::api::KindDoc;
use super::write::{KindFields, PlaceWriteCore};
use super::{
    Ctx, Kind, Place, PlaceBody, PlaceFilter, PlaceQuery, PlaceRow, RawPlaceFilter, RegionRef,
};
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, Image, Translation};
use crate::editorial::FieldErrors;
use crate::error::{AppError, AppResult};
use crate::http::list::ListFilters;
use crate::resource::PlaceKind;
use crate::resources::vocab::{RegionSlug, SouvenirCategory};

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Souvenir {
    pub id: i64,
    pub slug: String,
    pub locale: String,
    pub translations: Vec<Translation>,
    pub name: String,
    /// Other names it is known by (other scripts, spellings).
    pub aliases: Vec<String>,
    pub summary: String,
    /// Sanitized HTML.
    pub description_html: String,
    pub category: Option<SouvenirCategory>,
    pub materials: Vec<String>,
    /// The region the craft or product comes from, or null.
    pub origin_region: Option<RegionRef>,
    pub image: Option<Image>,
    pub tags: Vec<String>,
    pub published_at: Option<DateTime<Utc>>,
    /// `published` for everything the public sees; editors previewing also see `draft` and `archived`.
    pub publication_status: ContentStatus,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// The souvenir list's own filters.
#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SouvenirFilters {
    /// Region of origin.
    #[param(value_type = Option<RegionSlug>)]
    pub region: Option<String>,
    #[param(value_type = Option<SouvenirCategory>)]
    pub category: Option<String>,
    /// A material (such as `linen`, `straw`).
    pub material: Option<String>,
    /// Tag slug.
    pub tag: Option<String>,
}

impl ListFilters for SouvenirFilters {
    const SORTS: &'static [&'static str] = &["name"];
    const DEFAULT_SORT: &'static str = "name";
    const SORT_DOC: Option<&'static str> = Some("`name` (default); `-name` for descending.");
    const Q_DOC: Option<&'static str> = Some("Text to find in the name or summary.");
    const UPDATED_SINCE_DOC: Option<&'static str> =
        Some("Only souvenirs changed at or after this instant (RFC 3339).");
    const STATUS_DOC: Option<&'static str> = Some(
        "Editors only (needs a key): `draft`, `published` (scheduled included), `archived` or `any`, to preview souvenirs the public cannot see yet.",
    );
    const INCLUDE: &'static [&'static str] = &["translations", "description_html"];
    const FALLBACK: bool = true;
}

impl PlaceQuery for SouvenirFilters {
    fn raw_filter(&self) -> RawPlaceFilter<'_> {
        RawPlaceFilter {
            region: self.region.as_deref(),
            tag: self.tag.as_deref(),
            ..Default::default()
        }
    }
    fn format(&self) -> Option<&str> {
        None
    }
}

/// The body of souvenir writes. Every field is optional in a PATCH (a merge
/// patch onto the stored souvenir); POST needs `slug` and `name`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SouvenirWrite {
    /// Unique per collection and locale: lowercase letters, digits and hyphens, with a letter.
    pub slug: Option<String>,
    /// A configured locale; defaults to the default locale.
    pub locale: Option<String>,
    /// The id of a souvenir in another locale that this one translates.
    pub translation_of: Option<i64>,
    /// 1-300 characters.
    pub name: Option<String>,
    /// Other names, searched and suggested like the name: up to 20, each 1-100 characters.
    pub aliases: Option<Vec<String>>,
    /// Up to 2000 characters.
    pub summary: Option<String>,
    /// HTML; sanitized on write (allow-listed tags and attributes).
    pub description_html: Option<String>,
    pub category: Option<SouvenirCategory>,
    /// Material names such as `linen` (stored lowercase), up to 60 characters each, at most 20.
    pub materials: Option<Vec<String>>,
    /// Region slug of the region the craft or product comes from.
    pub origin_region: Option<RegionSlug>,
    pub image: Option<crate::domain::ImageWrite>,
    /// Slugs, at most 50.
    pub tags: Option<Vec<String>>,
    /// `draft` (default), `published` or `archived`.
    pub publication_status: Option<ContentStatus>,
    /// Synonym of `publication_status`.
    pub status: Option<ContentStatus>,
    /// RFC 3339; defaults to now when published. A future instant schedules the souvenir.
    pub published_at: Option<DateTime<FixedOffset>>,
}

fn materials(e: &mut FieldErrors, v: &Option<Vec<String>>) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for m in v.iter().flatten() {
        let m = m.trim().to_lowercase();
        if m.is_empty() || m.chars().count() > 60 || m.chars().any(char::is_control) {
            e.add(
                "materials",
                "each must be a material name such as `linen`, up to 60 characters",
            );
            return Vec::new();
        }
        if !out.contains(&m) {
            out.push(m);
        }
    }
    if out.len() > 20 {
        e.add("materials", "at most 20 materials");
    }
    out
}

pub type Souvenirs = Place<Souvenir>;

/// A souvenir's own write fields, beside the place fields it shares.
#[derive(Deserialize)]
pub struct SouvenirOwn {
    status: Option<ContentStatus>,
    category: Option<SouvenirCategory>,
    materials: Option<Vec<String>>,
}

impl PlaceBody for SouvenirWrite {
    type Own = SouvenirOwn;

    fn into_parts(self) -> (PlaceWriteCore, SouvenirOwn) {
        let core = PlaceWriteCore {
            slug: self.slug,
            locale: self.locale,
            translation_of: self.translation_of,
            name: self.name,
            aliases: self.aliases,
            summary: self.summary,
            description_html: self.description_html,
            region: self.origin_region,
            image: self.image,
            tags: self.tags,
            publication_status: self.publication_status,
            published_at: self.published_at,
            ..Default::default()
        };
        let own = SouvenirOwn {
            status: self.status,
            category: self.category,
            materials: self.materials,
        };
        (core, own)
    }

    fn from_parts(c: PlaceWriteCore, own: SouvenirOwn) -> Self {
        SouvenirWrite {
            slug: c.slug,
            locale: c.locale,
            translation_of: None,
            name: c.name,
            aliases: c.aliases,
            summary: c.summary,
            description_html: c.description_html,
            category: own.category,
            materials: own.materials,
            origin_region: c.region,
            image: c.image,
            tags: c.tags,
            publication_status: c.publication_status,
            status: own.status,
            published_at: c.published_at,
        }
    }
}

impl Kind for Souvenir {
    const KIND: PlaceKind = PlaceKind::Souvenir;
    const DOC: KindDoc = KindDoc {
        list_summary: "List souvenirs",
        geojson_summary: None,
        get_summary: "Get a souvenir",
        plural: "traditional Belarusian souvenirs and crafts",
        order: "by `name`",
        filters: "`category`, `material`, origin `region`, `tag`",
        list_preview: "previews items the public cannot see yet.",
        noun: "souvenir",
        a_noun: "a souvenir",
        jsonld: "`Product`",
        example: "slutsk-sash",
    };
    type Own = SouvenirOwn;
    type Write = SouvenirWrite;
    type Filters = SouvenirFilters;

    fn shape(r: &PlaceRow, ctx: &Ctx) -> Souvenir {
        let core = ctx.core(r);
        Souvenir {
            id: core.id,
            slug: core.slug,
            locale: core.locale,
            translations: core.translations,
            name: core.name,
            aliases: core.aliases,
            summary: core.summary,
            description_html: core.description_html,
            category: r.category.as_deref().and_then(SouvenirCategory::from_wire),
            materials: ctx.terms(r.id, "material"),
            origin_region: core.region,
            image: core.image,
            tags: core.tags,
            published_at: core.published_at,
            publication_status: core.publication_status,
            created_at: core.created_at,
            updated_at: core.updated_at,
        }
    }

    fn status_synonym(own: &SouvenirOwn) -> Option<ContentStatus> {
        own.status
    }

    fn checked(
        own: SouvenirOwn,
        _: &mut AnyConnection,
        e: &mut FieldErrors,
        _: &str,
    ) -> AppResult<KindFields> {
        let mut k = KindFields::new(own.category.map(SouvenirCategory::as_str), &Map::new())?;
        k.terms = vec![("material", materials(e, &own.materials))];
        Ok(k)
    }

    fn filter(filters: &SouvenirFilters, f: &mut PlaceFilter) -> AppResult<()> {
        if let Some(c) = filters.category.as_deref() {
            f.category = Some(SouvenirCategory::parse_param("category", c)?.to_string());
        }
        if let Some(m) = filters.material.as_deref() {
            let m = m.trim().to_lowercase();
            if m.is_empty() || m.chars().count() > 60 || m.chars().any(char::is_control) {
                return Err(AppError::bad_param(
                    "material",
                    "must be a material name such as `linen`",
                ));
            }
            f.terms.push(("material", m));
        }
        Ok(())
    }
}

crate::write_routes! {
    resource = Souvenirs, write = SouvenirWrite, item = Souvenir, tag = "places",
    paths = ("/souvenirs", "/souvenirs/{id}"), id_doc = "Souvenir id",
    noun = "souvenir", location = "Path of the new item", deleted = "Deleted, with its terms",
    create = create_souvenir, update = update_souvenir, delete = delete_souvenir,
}
