//! The article list's own parameters, checked: the `section` slug (to the ids
//! of its subtree) and the `tag`.

use crate::cache::Caches;
use crate::db::AnyConnection;
use crate::error::{AppError, AppResult};
use crate::http::params::is_slug;
use crate::resources::sections;

/// Resolves the `section` filter (slug in `locale`) to the ids of its subtree.
pub fn section_filter(
    conn: &mut AnyConnection,
    caches: &Caches,
    locale: &str,
    slug: Option<&str>,
) -> AppResult<Option<Vec<i64>>> {
    let Some(slug) = slug else { return Ok(None) };
    let all = sections::load_all(conn, caches)?;
    let root = all.iter().find(|s| s.locale == locale && s.slug == slug);
    match root {
        Some(r) => {
            // The subtree's sections in every locale: a fallback list shows
            // articles of other locales, filed under their own section rows.
            let ids = sections::subtree_ids(&all, r.id);
            let groups: Vec<i64> = all
                .iter()
                .filter(|s| ids.contains(&s.id))
                .map(|s| s.group_id)
                .collect();
            Ok(Some(
                all.iter()
                    .filter(|s| groups.contains(&s.group_id))
                    .map(|s| s.id)
                    .collect(),
            ))
        }
        None => {
            let known: Vec<&str> = all
                .iter()
                .filter(|s| s.locale == locale)
                .map(|s| s.slug.as_str())
                .collect();
            Err(AppError::bad_param(
                "section",
                format!("unknown section `{slug}`; known: {}", known.join(", ")),
            ))
        }
    }
}

pub fn validate_tag(tag: Option<&str>) -> AppResult<Option<String>> {
    match tag {
        None => Ok(None),
        Some(t) if is_slug(t) => Ok(Some(t.to_string())),
        Some(_) => Err(AppError::bad_param(
            "tag",
            "must be a slug: lowercase letters, digits and hyphens",
        )),
    }
}
