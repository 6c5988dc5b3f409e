//! The changes feed: one row per create, update and delete, written in the
//! write's transaction with the next number of the locked counter, so the feed
//! has no gaps and commits in order.

use actix_web::{get, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::ItemMeta;
use crate::db::schema::{change_seq, changes, scheduled_changes};
use crate::db::{self, AnyConnection};
use crate::domain::utc;
use crate::error::{AppError, AppResult};
use crate::http::auth;
use crate::http::response::{self, ListLinks};
use crate::keys::Role;
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Created,
    Updated,
    Deleted,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Created => "created",
            Action::Updated => "updated",
            Action::Deleted => "deleted",
        }
    }
}

/// Appends a change; call inside `write_tx`, which holds the counter row lock.
pub fn record_change(
    conn: &mut AnyConnection,
    resource: &str,
    id: i64,
    meta: &ItemMeta,
    action: Action,
    at: NaiveDateTime,
) -> AppResult<i64> {
    let seq: i64 = diesel::update(change_seq::table.find(1))
        .set(change_seq::seq.eq(change_seq::seq + 1))
        .returning(change_seq::seq)
        .get_result(conn)?;
    insert_changes(
        conn,
        &[NewChange {
            seq,
            resource: resource.to_string(),
            item_id: id,
            slug: meta.slug.clone(),
            locale: meta.locale.clone(),
            action,
            public: meta.public,
            at,
        }],
    )?;
    Ok(seq)
}

/// Feed numbers handed out in memory for a write of many items (an import):
/// the counter is read once and the last number stored by `finish`. Only
/// inside `write_tx`, whose lock on the counter row keeps the numbers unique.
/// Bumping the row once per item leaves PostgreSQL a chain of dead versions
/// of that row in the transaction, which every further bump walks: quadratic.
#[derive(Debug)]
pub struct SeqBlock {
    stored: i64,
    last: i64,
}

impl SeqBlock {
    pub fn start(conn: &mut AnyConnection) -> AppResult<SeqBlock> {
        let stored: i64 = change_seq::table
            .find(1)
            .select(change_seq::seq)
            .first(conn)?;
        Ok(SeqBlock {
            stored,
            last: stored,
        })
    }

    /// The next feed number (gap-free, like `record_change`'s).
    pub fn next_seq(&mut self) -> i64 {
        self.last += 1;
        self.last
    }

    /// Stores the last number handed out; call before the transaction commits.
    pub fn finish(&mut self, conn: &mut AnyConnection) -> AppResult<()> {
        if self.last != self.stored {
            diesel::update(change_seq::table.find(1))
                .set(change_seq::seq.eq(self.last))
                .execute(conn)?;
            self.stored = self.last;
        }
        Ok(())
    }
}

/// One feed entry waiting to be written by `insert_changes`.
#[derive(Debug, Clone)]
pub struct NewChange {
    pub seq: i64,
    pub resource: String,
    pub item_id: i64,
    pub slug: String,
    pub locale: String,
    pub action: Action,
    pub public: bool,
    pub at: NaiveDateTime,
}

/// Writes feed entries numbered by a `SeqBlock`, many rows a statement.
pub fn insert_changes(conn: &mut AnyConnection, rows: &[NewChange]) -> AppResult<()> {
    crate::db::write::insert_change_rows(conn, rows)
}

/// Keeps the item's pending publication current after a write: a published item
/// whose `published_at` is ahead gets an entry when it falls due; any other state
/// (or a delete, `due` None) cancels a pending one.
pub fn track_schedule(
    conn: &mut AnyConnection,
    resource: &str,
    id: i64,
    meta: &ItemMeta,
    due: Option<NaiveDateTime>,
) -> AppResult<()> {
    let rows: Vec<NewSchedule> = due
        .into_iter()
        .map(|due_at| NewSchedule {
            item_id: id,
            slug: meta.slug.clone(),
            locale: meta.locale.clone(),
            due_at,
        })
        .collect();
    replace_schedules(conn, resource, &[id], &rows)
}

/// A pending publication for `replace_schedules`.
#[derive(Debug, Clone)]
pub struct NewSchedule {
    pub item_id: i64,
    pub slug: String,
    pub locale: String,
    pub due_at: NaiveDateTime,
}

/// `track_schedule` for many items of one resource at once: clears the pending
/// publications of `ids`, then adds `rows` (at most one per item).
pub fn replace_schedules(
    conn: &mut AnyConnection,
    resource: &str,
    ids: &[i64],
    rows: &[NewSchedule],
) -> AppResult<()> {
    for part in ids.chunks(1000) {
        diesel::delete(
            scheduled_changes::table
                .filter(scheduled_changes::resource.eq(resource))
                .filter(scheduled_changes::item_id.eq_any(part)),
        )
        .execute(conn)?;
    }
    crate::db::write::insert_schedule_rows(conn, resource, rows)
}

/// Appends `updated` entries for scheduled items that have turned public since
/// the last read, so a mirror learns of them. Cheap when none are due; the
/// write lock makes it safe with several instances (each due item once).
pub fn promote_due(conn: &mut AnyConnection, now: NaiveDateTime) -> AppResult<()> {
    let due: i64 = scheduled_changes::table
        .filter(scheduled_changes::due_at.le(now))
        .count()
        .get_result(conn)?;
    if due == 0 {
        return Ok(());
    }
    super::write_tx(conn, |conn| {
        let rows: Vec<(String, i64, String, String, NaiveDateTime)> = scheduled_changes::table
            .filter(scheduled_changes::due_at.le(now))
            .order((
                scheduled_changes::due_at,
                scheduled_changes::resource,
                scheduled_changes::item_id,
            ))
            .select((
                scheduled_changes::resource,
                scheduled_changes::item_id,
                scheduled_changes::slug,
                scheduled_changes::locale,
                scheduled_changes::due_at,
            ))
            .load(conn)?;
        for (resource, id, slug, locale, due_at) in rows {
            let meta = ItemMeta {
                slug,
                locale,
                public: true,
            };
            let seq = record_change(conn, &resource, id, &meta, Action::Updated, due_at)?;
            // Scheduled: not public before its due time, public now.
            crate::webhooks::enqueue(
                conn,
                None,
                &resource,
                id,
                &meta,
                false,
                Action::Updated,
                seq,
                due_at,
            )?;
            track_schedule(conn, &resource, id, &meta, None)?;
        }
        Ok(())
    })
}

/// One entry of the changes feed.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Change {
    /// Position in the feed: consecutive integers from 1, in commit order.
    pub seq: i64,
    /// `article`, `section`, `tourist_site`, `unesco_site`, `sanatorium`, `monument`, `souvenir` or `event`.
    #[serde(rename = "type")]
    pub kind: String,
    pub id: i64,
    /// The item's slug; null for anonymous readers when the item was not public after the change.
    pub slug: Option<String>,
    pub locale: String,
    pub action: Action,
    pub at: DateTime<Utc>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChangesMeta {
    /// Pass as `since` to read on; the last `seq` returned (or `since` when none).
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

pub fn list_changes(
    conn: &mut AnyConnection,
    since: i64,
    limit: i64,
    show_all_slugs: bool,
) -> AppResult<(Vec<Change>, bool)> {
    let mut rows: Vec<ChangeRow> = changes::table
        .filter(changes::seq.gt(since))
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
        .map(|(seq, kind, id, slug, locale, action, public, at)| Change {
            seq,
            kind,
            id,
            slug: (public || show_all_slugs).then_some(slug),
            locale,
            action: match action.as_str() {
                "created" => Action::Created,
                "deleted" => Action::Deleted,
                _ => Action::Updated,
            },
            at: utc(at),
        })
        .collect();
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

#[utoipa::path(
    tag = "sync",
    params(ChangesQuery),
    responses(
        (status = 200, description = "Every create, update and delete after `since`, in order, with no gaps; a scheduled item that has turned public gets an `updated` entry at its `published_at`. Anonymous readers see the slug only of items that were public after the change; editors (with a key) see every slug.", body = ChangesBody),
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
    let (data, has_more) = db::run(&state.pool, move |conn| {
        promote_due(conn, db::now())?;
        list_changes(conn, since, limit, editor)
    })
    .await?;
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
