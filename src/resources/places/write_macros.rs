//! The macro of the place write API: a kind's write body (the shared fields
//! plus its own).

/// Defines a place kind's write body: the fields every located place has, plus
/// the kind's own (every field optional, unknown fields denied). The invoking
/// module imports `ContentStatus`, `Location` and `RegionSlug`.
macro_rules! place_write_body {
    ($(#[$sm:meta])* $name:ident { $($(#[$m:meta])* $field:ident : $ty:ty),* $(,)? }) => {
        $(#[$sm])*
        #[derive(Debug, Default, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
        #[serde(deny_unknown_fields)]
        pub struct $name {
            /// Unique per collection and locale: lowercase letters, digits and hyphens, with a letter.
            pub slug: Option<String>,
            /// A configured locale; defaults to the default locale.
            pub locale: Option<String>,
            /// The id of an item of this collection in another locale that this one translates.
            pub translation_of: Option<i64>,
            /// 1-300 characters.
            pub name: Option<String>,
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
            pub image: Option<$crate::domain::ImageWrite>,
            /// Up to 50 images.
            pub gallery: Option<Vec<$crate::domain::ImageWrite>>,
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
            pub published_at: Option<chrono::DateTime<chrono::FixedOffset>>,
            $($(#[$m])* pub $field: $ty,)*
        }

        impl $name {
            /// A body holding the fields every located place has (a stored
            /// place's, for `load_write`), the kind's own absent.
            fn from_core(c: $crate::resources::places::write::CoreIn) -> Self {
                $name {
                    slug: c.slug,
                    locale: c.locale,
                    translation_of: c.translation_of,
                    name: c.name,
                    summary: c.summary,
                    description_html: c.description_html,
                    region: c.region,
                    locality: c.locality,
                    address: c.address,
                    location: c.location,
                    image: c.image,
                    gallery: c.gallery,
                    website: c.website,
                    phone: c.phone,
                    email: c.email,
                    tags: c.tags,
                    publication_status: c.publication_status,
                    published_at: c.published_at,
                    ..Default::default()
                }
            }

            /// Moves the fields every located place has out of the body.
            fn take_core(&mut self) -> $crate::resources::places::write::CoreIn {
                $crate::resources::places::write::CoreIn {
                    slug: self.slug.take(),
                    locale: self.locale.take(),
                    translation_of: self.translation_of.take(),
                    name: self.name.take(),
                    summary: self.summary.take(),
                    description_html: self.description_html.take(),
                    region: self.region.take(),
                    locality: self.locality.take(),
                    address: self.address.take(),
                    location: self.location.take(),
                    image: self.image.take(),
                    gallery: self.gallery.take(),
                    website: self.website.take(),
                    phone: self.phone.take(),
                    email: self.email.take(),
                    tags: self.tags.take(),
                    publication_status: self.publication_status.take(),
                    status: None,
                    published_at: self.published_at.take(),
                }
            }
        }
    };
}
