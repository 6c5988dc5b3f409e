//! The validation steps and row writes article, event and section saves share,
//! in the order each save runs them (so errors come out in the same order):
//! the head (locale, slug, title), sanitized HTML, the tail (image, tags,
//! publication), the translation group and the INSERT-or-UPDATE of the row.

use chrono::{DateTime, FixedOffset, NaiveDateTime};

use super::common;
use super::{sanitize_html, FieldErrors, SaveCtx};
use crate::db::AnyConnection;
use crate::domain::{ContentStatus, ImageWrite};
use crate::error::AppResult;

/// The fields every content body starts with, checked.
pub struct Head {
    pub locale: String,
    pub slug: String,
    pub title: String,
}

/// Checks `locale`, `slug` and `title` (at most `title_max` characters), in that order.
pub fn head(
    e: &mut FieldErrors,
    ctx: &SaveCtx,
    locale: &Option<String>,
    slug: &Option<String>,
    title: &Option<String>,
    title_max: usize,
) -> Head {
    Head {
        locale: common::locale(e, ctx, locale),
        slug: e.slug("slug", slug),
        title: e.text("title", title, title_max),
    }
}

/// An HTML field sanitized as stored: absent is empty, at most 500000 bytes.
pub fn html(e: &mut FieldErrors, field: &str, v: &Option<String>) -> String {
    let html = sanitize_html(v.as_deref().unwrap_or(""));
    if html.len() > 500_000 {
        e.add(field, "must be at most 500000 bytes");
    }
    html
}

/// The fields every content body ends with, checked and in their stored form.
pub struct Tail {
    /// The image column (JSON).
    pub image: Option<String>,
    pub tags: Vec<String>,
    pub status: String,
    pub published_at: Option<NaiveDateTime>,
}

/// The publication fields of a write body.
pub struct Publication {
    pub status: Option<ContentStatus>,
    /// `status` where it is a synonym of `publication_status`.
    pub synonym: Option<ContentStatus>,
    pub published_at: Option<DateTime<FixedOffset>>,
}

/// Checks `image` (resolving a media reference), `tags`, then the publication.
pub fn tail(
    conn: &mut AnyConnection,
    e: &mut FieldErrors,
    ctx: &SaveCtx,
    image: &Option<ImageWrite>,
    tags: &Option<Vec<String>>,
    p: Publication,
) -> AppResult<Tail> {
    let images = common::ImageResolver::load(conn, image.iter())?;
    let image = image.as_ref().and_then(|i| images.resolve(e, "image", i));
    let tags = e.tags("tags", tags);
    let (status, published_at) = common::publication(e, ctx, p.status, p.synonym, p.published_at);
    Ok(Tail {
        image: common::image_column(&image),
        tags,
        status,
        published_at,
    })
}

/// The `published_at` of a published item that is not public at `now` yet:
/// the rule of every `Resource::scheduled_at`.
pub fn due(status: &str, at: Option<NaiveDateTime>, now: NaiveDateTime) -> Option<NaiveDateTime> {
    at.filter(|t| status == "published" && *t > now)
}

/// The translation group of a write to table `$t` (articles, events): item
/// `$id`'s own group, or with `$translation_of` the group of that `$noun`,
/// which must not hold `$locale` yet. Errors go to `$e`; evaluates to the
/// group id (0: a new item that starts its own group).
#[macro_export]
macro_rules! translation_group_in {
    ($conn:expr, $e:expr, $t:ident, $id:expr, $translation_of:expr, $locale:expr, $noun:literal) => {{
        let own_group: Option<i64> = match $id {
            Some(id) => Some($t::table.find(id).select($t::group_id).first($conn)?),
            None => None,
        };
        let target: Option<(i64, String)> = match $translation_of {
            None => None,
            Some(t) => {
                let found: Option<(i64, String)> = $t::table
                    .find(t)
                    .select(($t::group_id, $t::locale))
                    .first($conn)
                    .optional()?;
                if found.is_none() {
                    $e.add("translation_of", format!(concat!("no ", $noun, " {}"), t));
                }
                found
            }
        };
        $crate::editorial::common::translation_group(
            $e,
            target,
            |g| {
                Ok($t::table
                    .filter($t::group_id.eq(g))
                    .select(($t::id, $t::locale))
                    .load($conn)?)
            },
            $locale,
            $id,
            own_group,
        )?
    }};
}

/// Writes `$form` to table `$t`: an UPDATE of item `$id` (404 with `$missing`
/// when no row changed; the form's `created_at` is `skip_update`), else an
/// INSERT under the next id, which a new translation group (`group_id` 0) is
/// named by. Evaluates to the row's id.
#[macro_export]
macro_rules! save_translatable_row {
    ($conn:expr, $t:ident, $id:expr, $form:expr, $missing:expr) => {{
        match $id {
            Some(id) => {
                let n = diesel::update($t::table.find(id))
                    .set(&$form)
                    .execute($conn)?;
                if n == 0 {
                    return Err($crate::error::AppError::not_found($missing));
                }
                id
            }
            None => {
                let id = $crate::db::write::next_id($conn, stringify!($t))?;
                if $form.group_id == 0 {
                    $form.group_id = id;
                }
                diesel::insert_into($t::table)
                    .values(($t::id.eq(id), &$form))
                    .execute($conn)?;
                id
            }
        }
    }};
}

/// The pending publication of item `$id` in table `$t` (see [`due`]).
#[macro_export]
macro_rules! scheduled_in {
    ($conn:expr, $ctx:expr, $t:ident, $id:expr) => {{
        let (status, at): (String, Option<chrono::NaiveDateTime>) = $t::table
            .find($id)
            .select(($t::status, $t::published_at))
            .first($conn)?;
        Ok($crate::editorial::fields::due(&status, at, $ctx.now))
    }};
}
