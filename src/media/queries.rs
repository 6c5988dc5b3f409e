//! The media list query: keyset pages of the library, filtered by text and change time.

use diesel::prelude::*;

use super::MediaRow;
use crate::db::schema::media;
use crate::db::{keyset, like_pattern, lower, AnyConnection};
use crate::error::AppResult;
use crate::http::params::ListParams;
use crate::http::response::Page;

/// One page of media rows matching `q` and `updated_since`.
pub fn list_rows(conn: &mut AnyConnection, p: &ListParams) -> AppResult<Page<MediaRow>> {
    let filtered = || {
        let mut q = media::table.into_boxed();
        if let Some(text) = &p.q {
            let pat = like_pattern(text);
            q = q.filter(
                lower(media::alt)
                    .like(pat.clone())
                    .escape('\\')
                    .or(lower(media::caption.assume_not_null())
                        .like(pat.clone())
                        .escape('\\'))
                    .or(lower(media::credit.assume_not_null())
                        .like(pat)
                        .escape('\\')),
            );
        }
        if let Some(t) = p.updated_since {
            q = q.filter(media::updated_at.ge(t));
        }
        q
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let q = filtered().select(MediaRow::as_select());
    match p.sort.field {
        "id" => keyset::page(conn, q, media::id, media::id, p, total, |r: &MediaRow| {
            (r.id, r.id)
        }),
        _ => keyset::page(
            conn,
            q,
            media::created_at,
            media::id,
            p,
            total,
            |r: &MediaRow| (r.created_at, r.id),
        ),
    }
}
