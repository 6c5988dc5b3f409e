//! Which content uses which media item. The rows are derived from the item's
//! representation (its `image` and `gallery`) on every save, in the save's
//! transaction, so they always match what readers are shown.

use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::media_usage;
use crate::db::{self, AnyConnection};
use crate::error::{AppResult, UsedBy};
use crate::resource::{MediaId, ResourceType};

/// The media ids a representation shows in `image` and `gallery`.
pub fn media_ids_in(rep: &[u8]) -> Vec<MediaId> {
    let Ok(v) = serde_json::from_slice::<Value>(rep) else {
        return Vec::new();
    };
    media_ids_of(&v)
}

/// The media ids in `image` and `gallery` of a representation, or of a write
/// body that was saved (each `media` it names is the one stored and shown).
pub fn media_ids_of(v: &Value) -> Vec<MediaId> {
    let gallery = v.get("gallery").and_then(Value::as_array);
    let mut ids: Vec<MediaId> = v
        .get("image")
        .into_iter()
        .chain(gallery.into_iter().flatten())
        .filter_map(|img| img.get("media").and_then(Value::as_i64))
        .map(MediaId)
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Replaces the usage rows of one content item.
pub fn replace(
    conn: &mut AnyConnection,
    resource: ResourceType,
    item_id: i64,
    slug: &str,
    media_ids: &[MediaId],
) -> AppResult<()> {
    let rows: Vec<(MediaId, i64, String)> = media_ids
        .iter()
        .map(|m| (*m, item_id, slug.to_string()))
        .collect();
    replace_many(conn, resource, &[item_id], &rows)
}

/// `replace` for many items of one resource at once: clears the usage of `ids`,
/// then adds `rows` of (media id, item id, item slug).
pub fn replace_many(
    conn: &mut AnyConnection,
    resource: ResourceType,
    ids: &[i64],
    rows: &[(MediaId, i64, String)],
) -> AppResult<()> {
    for part in ids.chunks(1000) {
        diesel::delete(
            media_usage::table
                .filter(media_usage::resource.eq(resource.as_str()))
                .filter(media_usage::item_id.eq_any(part)),
        )
        .execute(conn)?;
    }
    for part in rows.chunks(1000) {
        let values: Vec<_> = part
            .iter()
            .map(|(m, item, slug)| {
                (
                    media_usage::media_id.eq(m.0),
                    media_usage::resource.eq(resource.as_str()),
                    media_usage::item_id.eq(*item),
                    media_usage::slug.eq(slug),
                )
            })
            .collect();
        db::bulk::insert_rows(conn, media_usage::table, &values)?;
    }
    Ok(())
}

/// Forgets a deleted content item's usage.
pub fn clear(conn: &mut AnyConnection, resource: ResourceType, item_id: i64) -> AppResult<()> {
    diesel::delete(
        media_usage::table
            .filter(media_usage::resource.eq(resource.as_str()))
            .filter(media_usage::item_id.eq(item_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The content that uses media item `id`, in a stable order.
pub fn users_of(conn: &mut AnyConnection, id: MediaId) -> AppResult<Vec<UsedBy>> {
    let rows: Vec<(String, i64, String)> = media_usage::table
        .filter(media_usage::media_id.eq(id.0))
        .order((media_usage::resource, media_usage::item_id))
        .select((
            media_usage::resource,
            media_usage::item_id,
            media_usage::slug,
        ))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(kind, id, slug)| UsedBy { kind, id, slug })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn media_ids_come_from_image_and_gallery_only() {
        let rep = br#"{"image": {"url": "/media/a.jpg", "media": 3},
            "gallery": [{"url": "https://e.org/x.jpg"}, {"media": 7}, {"media": 3}],
            "related": [{"image": {"media": 9}}]}"#;
        assert_eq!(media_ids_in(rep), [MediaId(3), MediaId(7)]);
        assert!(media_ids_in(b"{\"image\": null}").is_empty());
        assert!(media_ids_in(b"not json").is_empty());
    }
}
