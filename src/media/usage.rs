//! Which content uses which media item. The rows are derived from the item's
//! representation (its `image` and `gallery`) on every save, in the save's
//! transaction, so they always match what readers are shown.

use diesel::prelude::*;
use serde_json::Value;

use crate::db::schema::media_usage;
use crate::db::AnyConnection;
use crate::error::{AppResult, UsedBy};

/// The media ids a representation shows in `image` and `gallery`.
pub fn media_ids_in(rep: &[u8]) -> Vec<i64> {
    let Ok(v) = serde_json::from_slice::<Value>(rep) else {
        return Vec::new();
    };
    let gallery = v.get("gallery").and_then(Value::as_array);
    let mut ids: Vec<i64> = v
        .get("image")
        .into_iter()
        .chain(gallery.into_iter().flatten())
        .filter_map(|img| img.get("media").and_then(Value::as_i64))
        .collect();
    ids.sort_unstable();
    ids.dedup();
    ids
}

/// Replaces the usage rows of one content item.
pub fn replace(
    conn: &mut AnyConnection,
    resource: &str,
    item_id: i64,
    slug: &str,
    media_ids: &[i64],
) -> AppResult<()> {
    clear(conn, resource, item_id)?;
    for m in media_ids {
        diesel::insert_into(media_usage::table)
            .values((
                media_usage::media_id.eq(m),
                media_usage::resource.eq(resource),
                media_usage::item_id.eq(item_id),
                media_usage::slug.eq(slug),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// Forgets a deleted content item's usage.
pub fn clear(conn: &mut AnyConnection, resource: &str, item_id: i64) -> AppResult<()> {
    diesel::delete(
        media_usage::table
            .filter(media_usage::resource.eq(resource))
            .filter(media_usage::item_id.eq(item_id)),
    )
    .execute(conn)?;
    Ok(())
}

/// The content that uses media item `id`, in a stable order.
pub fn users_of(conn: &mut AnyConnection, id: i64) -> AppResult<Vec<UsedBy>> {
    let rows: Vec<(String, i64, String)> = media_usage::table
        .filter(media_usage::media_id.eq(id))
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
        assert_eq!(media_ids_in(rep), [3, 7]);
        assert!(media_ids_in(b"{\"image\": null}").is_empty());
        assert!(media_ids_in(b"not json").is_empty());
    }
}
