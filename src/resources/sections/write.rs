//! Writing sections: POST, PATCH (JSON Merge Patch) and DELETE. Sections form a
//! tree per locale; validation reads the rows afresh inside the write
//! transaction, never the section cache.

use actix_web::{delete, patch, post};
use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{load_fresh, subtree_ids, to_api, Section, SectionRow};
use crate::db::schema::{articles, sections};
use crate::db::AnyConnection;
use crate::editorial::common::translation_group;
use crate::editorial::fields::{self, Head};
use crate::editorial::{FieldErrors, ItemMeta, Representation, Resource, SaveCtx};
use crate::error::{AppError, AppResult};
use crate::resource::{ResourceType, SectionId};

/// The body of section writes. Every field is optional in a PATCH (a merge
/// patch onto the stored section); POST needs `slug` and `title`.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SectionWrite {
    /// Unique per locale: lowercase letters, digits and hyphens, with a letter.
    pub slug: Option<String>,
    /// A configured locale; defaults to the default locale.
    pub locale: Option<String>,
    /// The id of a section in another locale this one translates.
    pub translation_of: Option<i64>,
    /// 1-200 characters.
    pub title: Option<String>,
    pub description: Option<String>,
    /// The slug of the parent section in the same locale; null or absent for a top-level section.
    pub parent: Option<String>,
    /// Order among its siblings, ascending (default 0).
    pub position: Option<i32>,
}

#[derive(Insertable, AsChangeset)]
#[diesel(table_name = sections, treat_none_as_null = true)]
struct SectionForm {
    group_id: i64,
    locale: String,
    slug: String,
    parent_id: Option<i64>,
    title: String,
    description: String,
    position: i32,
    #[diesel(skip_update)]
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
}

/// "3 articles and 1 subsection": what still uses a section.
fn dependents(articles: i64, children: i64) -> String {
    let mut parts = Vec::new();
    if articles > 0 {
        let s = if articles == 1 { "" } else { "s" };
        parts.push(format!("{articles} article{s}"));
    }
    if children > 0 {
        let s = if children == 1 { "" } else { "s" };
        parts.push(format!("{children} subsection{s}"));
    }
    parts.join(" and ")
}

fn usage(conn: &mut AnyConnection, id: i64) -> AppResult<(i64, i64)> {
    let n_articles: i64 = articles::table
        .filter(articles::section_id.eq(id))
        .count()
        .get_result(conn)?;
    let n_children: i64 = sections::table
        .filter(sections::parent_id.eq(id))
        .count()
        .get_result(conn)?;
    Ok((n_articles, n_children))
}

pub struct Sections;

impl Resource for Sections {
    const TYPE: ResourceType = ResourceType::Section;
    const READ_ONLY: &'static [&'static str] =
        &["id", "translations", "created_at", "updated_at", "children"];
    type Write = SectionWrite;
    type Id = SectionId;

    fn load_write(conn: &mut AnyConnection, id: SectionId) -> AppResult<SectionWrite> {
        let id = id.get();
        let row: Option<SectionRow> = sections::table
            .find(id)
            .select(SectionRow::as_select())
            .first(conn)
            .optional()?;
        let r = row.ok_or_else(|| AppError::not_found("no such section"))?;
        let parent: Option<String> = match r.parent_id {
            Some(p) => sections::table
                .find(p)
                .select(sections::slug)
                .first(conn)
                .optional()?,
            None => None,
        };
        Ok(SectionWrite {
            slug: Some(r.slug),
            locale: Some(r.locale),
            translation_of: None,
            title: Some(r.title),
            description: Some(r.description),
            parent,
            position: Some(r.position),
        })
    }

    fn save(
        conn: &mut AnyConnection,
        ctx: &SaveCtx,
        id: Option<SectionId>,
        b: SectionWrite,
    ) -> AppResult<SectionId> {
        let id = id.map(SectionId::get);
        let mut e = FieldErrors::default();
        let Head {
            locale,
            slug,
            title,
        } = fields::head(&mut e, ctx, &b.locale, &b.slug, &b.title, 200);
        let description = e
            .opt_text("description", &b.description, 2000)
            .unwrap_or_default();
        let all = load_fresh(conn)?;
        let me = id.and_then(|id| all.iter().find(|s| s.id == id));
        let parent_id = match b.parent.as_deref() {
            None => None,
            Some(p) => match all.iter().find(|s| s.locale == locale && s.slug == p) {
                None => {
                    e.add("parent", format!("no section `{p}` in locale `{locale}`"));
                    None
                }
                Some(parent) => {
                    if let Some(me) = me {
                        if subtree_ids(&all, me.id).contains(&parent.id) {
                            let what = if parent.id == me.id {
                                "itself"
                            } else {
                                "one of its subsections"
                            };
                            e.add(
                                "parent",
                                format!("`{p}` is {what}: a section cannot be its own ancestor"),
                            );
                        }
                    }
                    Some(parent.id)
                }
            },
        };
        if let Some(me) = me.filter(|me| me.locale != locale) {
            let (n_articles, n_children) = usage(conn, me.id)?;
            if n_articles + n_children > 0 {
                e.add(
                    "locale",
                    format!(
                        "cannot change while {} in `{}` use the section",
                        dependents(n_articles, n_children),
                        me.locale
                    ),
                );
            }
        }
        let target: Option<(i64, String)> = match b.translation_of {
            None => None,
            Some(t) => {
                let found = all.iter().find(|s| s.id == t);
                if found.is_none() {
                    e.add("translation_of", format!("no section {t}"));
                }
                found.map(|s| (s.group_id, s.locale.clone()))
            }
        };
        let group_id = translation_group(
            &mut e,
            target,
            |g| {
                Ok(all
                    .iter()
                    .filter(|s| s.group_id == g)
                    .map(|s| (s.id, s.locale.clone()))
                    .collect())
            },
            &locale,
            id,
            me.map(|s| s.group_id),
        )?;
        e.finish()?;
        let mut form = SectionForm {
            group_id,
            locale,
            slug,
            parent_id,
            title,
            description,
            position: b.position.unwrap_or(0),
            created_at: ctx.created_at(),
            updated_at: ctx.updated_at(),
        };
        let id = crate::save_translatable_row!(conn, sections, id, form, "no such section");
        Ok(SectionId(id))
    }

    fn delete(conn: &mut AnyConnection, _ctx: &SaveCtx, id: SectionId) -> AppResult<()> {
        let id = id.get();
        let (n_articles, n_children) = usage(conn, id)?;
        if n_articles + n_children > 0 {
            return Err(AppError::Conflict(format!(
                "the section is still used by {}; move or delete them first",
                dependents(n_articles, n_children)
            )));
        }
        diesel::delete(sections::table.find(id)).execute(conn)?;
        crate::regroup_translations!(conn, sections, id);
        Ok(())
    }

    fn representation(
        conn: &mut AnyConnection,
        _ctx: &SaveCtx,
        id: SectionId,
    ) -> AppResult<Representation> {
        let id = id.get();
        let all = load_fresh(conn)?;
        let row = all
            .iter()
            .find(|s| s.id == id)
            .ok_or_else(|| AppError::not_found("no such section"))?;
        let section: Section = to_api(&all, row);
        let meta = ItemMeta {
            slug: row.slug.clone(),
            locale: row.locale.clone(),
            public: true,
        };
        Representation::of(&section, meta)
    }
}

crate::write_routes! {
    resource = Sections, write = SectionWrite, item = Section, tag = "news",
    paths = ("/sections", "/sections/{id}"), id_doc = "Section id",
    noun = "section", location = "Path of the new section", deleted = "Deleted",
    invalid = "Validation failed (also a `parent` that would make a cycle): one `errors` entry per field",
    delete_responses = [
        (status = 409, description = "Articles or subsections still use the section; nothing was deleted"),
    ],
    create = create_section, update = update_section, delete = delete_section,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependents_are_counted_in_words() {
        assert_eq!(dependents(3, 1), "3 articles and 1 subsection");
        assert_eq!(dependents(1, 0), "1 article");
        assert_eq!(dependents(0, 2), "2 subsections");
    }
}
