//! `GET /v1/changes`: reading the feed after a `seq`.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::{promote_due, promoter, Action};
use crate::db::schema::changes;
use crate::db::{self, AnyConnection};
use crate::domain::utc;
use crate::error::{AppError, AppResult};
use crate::http::auth;
use crate::http::response::{self, ListLinks};
use crate::keys::Role;
use crate::resource::ResourceType;
use crate::AppState;

/// One entry of the changes feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    /// Position in the feed: increasing integers from 1, in commit order. Editors
    /// see every number; anonymous readers skip the entries of items the public
    /// never saw (drafts, scheduled items not yet due), so their numbers have gaps.
    pub seq: i64,
    #[serde(rename = "type")]
    pub kind: ResourceType,
    pub id: i64,
    /// The item's slug; null for anonymous readers when the item was not public after the change.
    pub slug: Option<String>,
    pub locale: String,
    pub action: Action,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesMeta {
    /// Pass as `since` to read on: the last `seq` returned (or `since` when none).
    pub next_since: i64,
    pub limit: i64,
    /// Whether more changes follow right away.
    pub has_more: bool,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesBody {
    pub data: Vec<Change>,
    pub meta: ChangesMeta,
    pub links: ListLinks,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChangesQuery {
    /// Return changes after this `seq` (default 0: from the start).
    #[param(value_type = Option<i64>, minimum = 0)]
    pub since: Option<String>,
    /// Page size, 1-1000 (default 100).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 1000)]
    pub limit: Option<String>,
}

type ChangeRow = (
    i64,
    String,
    i64,
    String,
    String,
    String,
    bool,
    NaiveDateTime,
);

/// The entries after `since`. `editor`: every entry, every slug; otherwise only
/// entries of items that were public before or after the change (a create or
/// edit of a draft is skipped; its unpublishing or deletion is shown), and the
/// slug only while public. Whether an entry is shown never changes later, so
/// resuming from any returned `seq` misses nothing.
pub fn list_changes(
    conn: &mut AnyConnection,
    since: i64,
    limit: i64,
    editor: bool,
) -> AppResult<(Vec<Change>, bool)> {
    let mut query = changes::table.filter(changes::seq.gt(since)).into_boxed();
    if !editor {
        query = query.filter(changes::public.or(changes::was_public));
    }
    let mut rows: Vec<ChangeRow> = query
        .order(changes::seq.asc())
        .limit(limit + 1)
        .select((
            changes::seq,
            changes::resource,
            changes::item_id,
            changes::slug,
            changes::locale,
            changes::action,
            changes::public,
            changes::at,
        ))
        .load(conn)?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let data = rows
        .into_iter()
        .map(|(seq, kind, id, slug, locale, action, public, at)| {
            let kind = ResourceType::from_type_str(&kind).ok_or_else(|| {
                AppError::Internal(format!("change {seq} of unknown type `{kind}`"))
            })?;
            Ok(Change {
                seq,
                kind,
                id,
                slug: (public || editor).then_some(slug),
                locale,
                action: match action.as_str() {
                    "created" => Action::Created,
                    "deleted" => Action::Deleted,
                    _ => Action::Updated,
                },
                at: utc(at),
            })
        })
        .collect::<AppResult<_>>()?;
    Ok((data, more))
}

fn parse_int(field: &str, v: Option<&str>, default: i64, min: i64, max: i64) -> AppResult<i64> {
    match v {
        None => Ok(default),
        Some(s) => s
            .parse::<i64>()
            .ok()
            .filter(|n| (min..=max).contains(n))
            .ok_or_else(|| {
                AppError::bad_param(field, format!("must be an integer from {min} to {max}"))
            }),
    }
}

/// The changes feed
///
/// Every create, update and delete after the sequence number `since`, in commit
/// order, for mirrors and importers: store `meta.next_since` and ask again (with
/// `links.next` while `meta.has_more`). Anonymous readers see the changes of
/// public items; with an editor key the feed has every entry and slug.
#[utoipa::path(
    tag = "sync",
    params(ChangesQuery),
    security((), ("api_key" = [])),
    responses(
        (status = 200, description = "Creates, updates and deletes after `since`, in commit order; a scheduled item that has turned public gets an `updated` entry at its `published_at`. Editors (with a key) see every entry with no gaps in `seq`, and every slug. Anonymous readers see only entries of items the public could see before or after the change: creating or editing a draft or a not-yet-due item is skipped (a gap in `seq`), while unpublishing or deleting a public item is shown (its slug null), so a mirror removes it; resume with `meta.next_since` as usual.", body = ChangesBody),
    )
)]
#[get("/changes")]
pub async fn changes_feed(
    req: HttpRequest,
    state: web::Data<AppState>,
    query: web::Query<ChangesQuery>,
) -> AppResult<HttpResponse> {
    let since = parse_int("since", query.since.as_deref(), 0, 0, i64::MAX)?;
    let limit = parse_int("limit", query.limit.as_deref(), 100, 1, 1000)?;
    let editor = if req
        .headers()
        .contains_key(actix_web::http::header::AUTHORIZATION)
    {
        auth::require(&req, Role::Editor).await?;
        true
    } else {
        false
    };
    let (data, has_more, promoted) = db::run(&state.pool, move |conn| {
        // Best effort: the promoter task promotes them too, and a reader must
        // not wait for (or fail on) a write lock an import holds.
        let promoted = match promote_due(conn, db::now()) {
            Err(AppError::Busy(_)) => {
                tracing::debug!("due changes left to the promoter");
                Vec::new()
            }
            other => other?,
        };
        let (data, has_more) = list_changes(conn, since, limit, editor)?;
        Ok((data, has_more, promoted))
    })
    .await?;
    promoter::after_promotion(&state.pool, &state.caches, &promoted);
    let next_since = data.last().map(|c| c.seq).unwrap_or(since);
    let next = has_more.then(|| format!("/v1/changes?since={next_since}&limit={limit}"));
    let body = ChangesBody {
        data,
        meta: ChangesMeta {
            next_since,
            limit,
            has_more,
        },
        links: ListLinks {
            self_: format!("{}{}", req.path(), {
                let q = req.query_string();
                if q.is_empty() {
                    String::new()
                } else {
                    format!("?{q}")
                }
            }),
            next: next.clone(),
        },
    };
    let res = response::json(None, &body);
    Ok(response::with_link_header(
        res,
        next.map(|n| format!("<{n}>; rel=\"next\"")),
    ))
}
