//! Real images for the demo content, rendered at load time (no downloads): a few
//! landscape placeholders (sky gradient, sun, two rows of hills) stored through
//! the media pipeline like any upload, so every demo image URL resolves and
//! carries variants. The demo JSON names photos on a placeholder host; each of
//! those images is pointed at one of the placeholders (chosen by slug), keeping
//! its alt text, caption and credit.

use std::sync::OnceLock;

use diesel::prelude::*;

use crate::db::schema::{articles, events, media, places};
use crate::db::{self, AnyConnection};
use crate::domain::Image;
use crate::error::{AppError, AppResult};
use crate::media::process::{process_pixels, render_placeholder, Format, Processed, PLACEHOLDERS};
use crate::media::storage::MediaStore;
use crate::media::{find_many, insert_media, usage, MediaItem, MediaText};
use crate::resource::{MediaId, PlaceKind, ResourceType};

/// The host of the demo JSON's image URLs (it does not exist).
const PLACEHOLDER_HOST: &str = "https://images.belportal.example/";
const WIDTH: u32 = 1280;
const HEIGHT: u32 = 720;

/// The placeholders, rendered and encoded once per process (tests load the demo
/// for every test app; only the file writes and rows are repeated).
fn rendered() -> &'static Result<Vec<Processed>, String> {
    static SET: OnceLock<Result<Vec<Processed>, String>> = OnceLock::new();
    SET.get_or_init(|| {
        // One thread per picture: the first demo load of a process waits for the slowest.
        std::thread::scope(|scope| {
            let jobs: Vec<_> = (0..PLACEHOLDERS)
                .map(|i| {
                    scope.spawn(move || {
                        process_pixels(render_placeholder(i, WIDTH, HEIGHT), Format::Jpeg)
                            .map_err(|e| format!("{e:?}"))
                    })
                })
                .collect();
            jobs.into_iter()
                .map(|j| {
                    j.join()
                        .unwrap_or_else(|_| Err("placeholder rendering panicked".into()))
                })
                .collect()
        })
    })
}

/// The media items of the placeholders, stored (files and rows) if missing.
fn placeholder_media(
    conn: &mut AnyConnection,
    store: &dyn MediaStore,
) -> AppResult<Vec<MediaItem>> {
    let set = rendered()
        .as_ref()
        .map_err(|e| AppError::Internal(format!("demo images: {e}")))?;
    let now = db::now();
    let mut ids = Vec::new();
    for (i, p) in set.iter().enumerate() {
        let existing: Option<i64> = media::table
            .filter(media::file_name.eq(&p.original.name))
            .select(media::id)
            .first(conn)
            .optional()?;
        let id = match existing {
            Some(id) => {
                // The database outlived the media dir: write the files again.
                for r in std::iter::once(&p.original).chain(&p.variants) {
                    store
                        .put(&r.name, &r.bytes)
                        .map_err(|e| AppError::Internal(format!("demo image file: {e}")))?;
                }
                id
            }
            None => {
                let text = MediaText {
                    alt: format!("Placeholder landscape {}", i + 1),
                    caption: None,
                    credit: Some("belportal demo".into()),
                };
                insert_media(conn, store, p, &text, now)?
            }
        };
        ids.push(id);
    }
    let ids: Vec<MediaId> = ids.into_iter().map(MediaId).collect();
    let mut found = find_many(conn, &ids)?;
    Ok(ids.iter().filter_map(|id| found.remove(id)).collect())
}

fn pick<'a>(set: &'a [MediaItem], key: &str) -> Option<&'a MediaItem> {
    let h = key
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b)));
    set.get(h as usize % set.len().max(1))
}

/// The image pointed at a placeholder when it names the placeholder host.
fn swap(img: &Image, key: &str, set: &[MediaItem]) -> Option<Image> {
    if !img.url.starts_with(PLACEHOLDER_HOST) {
        return None;
    }
    let m = pick(set, key)?;
    Some(Image {
        url: m.url.clone(),
        width: Some(m.width),
        height: Some(m.height),
        alt: img.alt.clone(),
        caption: img.caption.clone(),
        credit: img.credit.clone(),
        media: Some(m.id),
        variants: m.variants.clone(),
    })
}

fn json<T: serde::Serialize>(v: &T) -> AppResult<String> {
    serde_json::to_string(v).map_err(|e| AppError::Internal(format!("demo image json: {e}")))
}

/// Points every demo image at a stored placeholder and records the usage.
/// Idempotent: images that already point elsewhere are left alone.
pub fn attach_demo_images(conn: &mut AnyConnection, store: &dyn MediaStore) -> AppResult<()> {
    conn.transaction(|conn| {
        let set = placeholder_media(conn, store)?;
        // Articles and events keep their image in one `image` column.
        macro_rules! attach_in {
            ($t:ident, $type:expr) => {
                let rows: Vec<(i64, String, Option<String>)> =
                    $t::table.select(($t::id, $t::slug, $t::image)).load(conn)?;
                for (id, slug, image) in rows {
                    let Some(new) =
                        Image::from_column(image.as_deref()).and_then(|i| swap(&i, &slug, &set))
                    else {
                        continue;
                    };
                    diesel::update($t::table.find(id))
                        .set($t::image.eq(json(&new)?))
                        .execute(conn)?;
                    let media = [MediaId(new.media.unwrap_or(0))];
                    usage::replace(conn, $type, id, &slug, &media)?;
                }
            };
        }
        attach_in!(articles, ResourceType::Article);
        attach_in!(events, ResourceType::Event);
        type PlaceImages = (i64, String, String, Option<String>, String);
        let rows: Vec<PlaceImages> = places::table
            .select((
                places::id,
                places::kind,
                places::slug,
                places::image,
                places::gallery,
            ))
            .load(conn)?;
        for (id, kind, slug, image, gallery) in rows {
            let kind = PlaceKind::from_type_str(&kind).ok_or_else(|| {
                AppError::Internal(format!("place {id} has unknown kind `{kind}`"))
            })?;
            let image = Image::from_column(image.as_deref());
            let gallery: Vec<Image> = serde_json::from_str(&gallery).unwrap_or_default();
            let new_image = image.as_ref().and_then(|i| swap(i, &slug, &set));
            let new_gallery: Vec<Image> = gallery
                .iter()
                .enumerate()
                .map(|(n, g)| swap(g, &format!("{slug}/{n}"), &set).unwrap_or_else(|| g.clone()))
                .collect();
            if new_image.is_none() && new_gallery == gallery {
                continue;
            }
            let image = new_image.or(image);
            diesel::update(places::table.find(id))
                .set((
                    places::image.eq(image.as_ref().map(json).transpose()?),
                    places::gallery.eq(json(&new_gallery)?),
                ))
                .execute(conn)?;
            let mut ids: Vec<MediaId> = image
                .iter()
                .chain(&new_gallery)
                .filter_map(|i| i.media)
                .map(MediaId)
                .collect();
            ids.sort_unstable();
            ids.dedup();
            usage::replace(conn, kind.into(), id, &slug, &ids)?;
        }
        Ok(())
    })
}
