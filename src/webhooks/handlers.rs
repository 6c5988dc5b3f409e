//! `/v1/admin/webhooks`: register, list and delete subscriptions, and read
//! each one's delivery log.

use actix_web::{delete, get, post, web, HttpRequest, HttpResponse};
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::ToSchema;

use super::EVENTS;
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{self, AnyConnection};
use crate::domain::utc;
use crate::error::{AppError, AppResult};
use crate::http::auth::Admin;
use crate::http::body::{parse_body, FieldErrors};
use crate::http::list::{ListFilters, ListQuery};
use crate::http::params::write_id;
use crate::http::response::{self, ListBody, Page};
use crate::resource::{ResourceType, WebhookId};
use crate::AppState;

/// A webhook subscription (the secret is never shown).
#[derive(Debug, Serialize, ToSchema)]
pub struct Webhook {
    pub id: i64,
    /// Where deliveries are POSTed.
    pub url: String,
    /// Subscribed events: `published`, `updated`, `deleted`.
    pub events: Vec<String>,
    pub created_at: DateTime<Utc>,
}

/// The body of `POST /v1/admin/webhooks`.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookWrite {
    /// An absolute http or https URL. Loopback, private (RFC 1918, CGNAT,
    /// unique-local), link-local, multicast, unspecified, broadcast and
    /// documentation addresses are refused (loopback and private ones are
    /// allowed with `BELPORTAL_WEBHOOK_ALLOW_PRIVATE=true`); host names are
    /// resolved and checked again at every delivery. Redirects are never followed.
    pub url: Option<String>,
    /// 16-200 characters; the key of the `X-Belportal-Signature` and
    /// `X-Belportal-Signature-V2` HMAC-SHA256.
    pub secret: Option<String>,
    /// Any of `published`, `updated`, `deleted` (default: all three).
    pub events: Option<Vec<String>>,
}

/// One delivery of one change to one webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct Delivery {
    pub id: i64,
    /// `published`, `updated` or `deleted`.
    pub event: String,
    #[serde(rename = "type")]
    pub kind: ResourceType,
    pub item_id: i64,
    /// The change's position in `/v1/changes`.
    pub seq: i64,
    /// `pending` (waiting for its next attempt), `delivered` or `failed` (attempts used up).
    pub state: String,
    pub attempts: i32,
    /// The receiver's last HTTP status, if it answered.
    pub status_code: Option<i32>,
    /// Why the last attempt failed, as a class only: `HTTP <status>`, a
    /// redirect (never followed), `timed out`, `connection failed`, or
    /// `refused` (the receiver's address is not allowed).
    pub last_error: Option<String>,
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub failed_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn to_api((id, url, events, created_at): (i64, String, String, NaiveDateTime)) -> Webhook {
    Webhook {
        id,
        url,
        events: events.split(',').map(str::to_string).collect(),
        created_at: utc(created_at),
    }
}

fn list_all(conn: &mut AnyConnection) -> AppResult<Vec<Webhook>> {
    let rows: Vec<(i64, String, String, NaiveDateTime)> = webhooks::table
        .order(webhooks::id)
        .select((
            webhooks::id,
            webhooks::url,
            webhooks::events,
            webhooks::created_at,
        ))
        .load(conn)?;
    Ok(rows.into_iter().map(to_api).collect())
}

/// List webhooks
///
/// Every webhook subscription, newest first, never with its secret. Needs an
/// admin key.
#[utoipa::path(
    tag = "admin",
    security(("api_key" = [])),
    responses(
        (status = 200, description = "Every webhook subscription (never the secrets)", body = ListBody<Webhook>),
    )
)]
#[get("/admin/webhooks")]
pub async fn list_webhooks(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
) -> AppResult<HttpResponse> {
    let all = db::run(&state.pool, list_all).await?;
    Ok(response::admin_list(&req, all))
}

fn validate(w: WebhookWrite, allow_private: bool) -> AppResult<(String, String, String)> {
    let mut e = FieldErrors::default();
    let url = match e.url("url", &w.url) {
        Some(u) => {
            if let Err(why) = super::target::check_url(&u, allow_private) {
                e.add("url", why);
            }
            u
        }
        None => {
            if w.url.as_deref().is_none_or(|u| u.trim().is_empty()) {
                e.add("url", "is required");
            }
            String::new()
        }
    };
    let secret = w.secret.unwrap_or_default();
    let n = secret.chars().count();
    if !(16..=200).contains(&n) {
        e.add("secret", "must be 16-200 characters");
    }
    let mut events: Vec<&str> = Vec::new();
    match &w.events {
        None => events = EVENTS.to_vec(),
        Some(list) => {
            for ev in list {
                match EVENTS.iter().find(|x| **x == ev.as_str()) {
                    Some(x) if !events.contains(x) => events.push(x),
                    Some(_) => {}
                    None => e.add(
                        "events",
                        format!("`{ev}` is not one of {}", EVENTS.join(", ")),
                    ),
                }
            }
            if list.is_empty() {
                e.add("events", "must name at least one event");
            }
        }
    }
    e.finish()?;
    Ok((url, secret, events.join(",")))
}

/// Register a webhook
///
/// Subscribes a URL to `published`, `updated` and `deleted` events: each is
/// POSTed as JSON signed with HMAC-SHA256 of the secret, retried with backoff.
/// Answers 201 with its `Location`. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    request_body = WebhookWrite,
    security(("api_key" = [])),
    responses(
        (status = 201, description = "Registered; changes from now on are delivered to it", body = Webhook,
            headers(("Location" = String, description = "Path of the new webhook"))),
        (status = 422, description = "Bad url, secret or events: one `errors` entry per field"),
    )
)]
#[post("/admin/webhooks")]
pub async fn create_webhook(
    state: web::Data<AppState>,
    _admin: Admin,
    body: web::Json<Value>,
) -> AppResult<HttpResponse> {
    let obj = crate::http::json_object(body.into_inner())?;
    let w: WebhookWrite = parse_body(&obj, &["id", "created_at"])?;
    let (url, secret, events) = validate(w, state.config.webhook_allow_private)?;
    let now = db::now();
    let hook = db::run(&state.pool, move |conn| {
        let id: i64 = diesel::insert_into(webhooks::table)
            .values((
                webhooks::url.eq(&url),
                webhooks::secret.eq(&secret),
                webhooks::events.eq(&events),
                webhooks::created_at.eq(now),
            ))
            .returning(webhooks::id)
            .get_result(conn)?;
        Ok(to_api((id, url, events, now)))
    })
    .await?;
    Ok(response::created_secret(
        &hook,
        &format!("/v1/admin/webhooks/{}", hook.id),
    ))
}

fn exists(conn: &mut AnyConnection, id: WebhookId) -> AppResult<()> {
    let n: i64 = webhooks::table
        .filter(webhooks::id.eq(id.get()))
        .count()
        .get_result(conn)?;
    if n == 0 {
        return Err(AppError::not_found("no such webhook"));
    }
    Ok(())
}

/// Delete a webhook
///
/// Removes the subscription with its delivery log; pending deliveries are
/// dropped. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Webhook id")),
    security(("api_key" = [])),
    responses(
        (status = 204, description = "Deleted with its delivery log; pending deliveries are dropped"),
        (status = 404, description = "No such webhook"),
    )
)]
#[delete("/admin/webhooks/{id}")]
pub async fn delete_webhook(
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let id: WebhookId = write_id(&path)?;
    db::run(&state.pool, move |conn| {
        conn.transaction(|conn| {
            exists(conn, id)?;
            let id = id.get();
            diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
                .execute(conn)?;
            diesel::delete(webhooks::table.find(id)).execute(conn)?;
            Ok(())
        })
    })
    .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log is paged only, newest first.
#[derive(Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryFilters {}

impl ListFilters for DeliveryFilters {
    const SORTS: &'static [&'static str] = &["id"];
    const DEFAULT_SORT: &'static str = "-id";
    const LANG_DOC: Option<&'static str> = None;
}

type DeliveryRow = (
    (i64, String, String, i64, i64, i32),
    (Option<i32>, Option<String>, Option<NaiveDateTime>),
    (Option<NaiveDateTime>, Option<NaiveDateTime>, NaiveDateTime),
);

fn to_delivery(r: DeliveryRow) -> AppResult<Delivery> {
    let (
        (id, event, kind, item_id, seq, attempts),
        (status_code, last_error, next),
        (done, failed, created),
    ) = r;
    let state = match (done, failed) {
        (Some(_), _) => "delivered",
        (None, Some(_)) => "failed",
        _ => "pending",
    };
    let kind = ResourceType::from_type_str(&kind)
        .ok_or_else(|| AppError::Internal(format!("delivery {id} of unknown type `{kind}`")))?;
    Ok(Delivery {
        id,
        event,
        kind,
        item_id,
        seq,
        state: state.into(),
        attempts,
        status_code,
        last_error,
        next_attempt_at: next.map(utc),
        delivered_at: done.map(utc),
        failed_at: failed.map(utc),
        created_at: utc(created),
    })
}

/// List a webhook's deliveries
///
/// The delivery log of one webhook, newest first: event, item, receiver status,
/// attempts, last error, next attempt and delivery time; pages follow
/// `links.next` or `cursor`. Needs an admin key.
#[utoipa::path(
    tag = "admin",
    params(("id" = i64, Path, description = "Webhook id"), ListQuery<DeliveryFilters>),
    security(("api_key" = [])),
    responses(
        (status = 200, description = "The delivery log, newest first: event, item, receiver status, attempts, last error, next attempt, delivery time", body = ListBody<Delivery>),
        (status = 404, description = "No such webhook"),
    )
)]
#[get("/admin/webhooks/{id}/deliveries")]
pub async fn list_deliveries(
    req: HttpRequest,
    state: web::Data<AppState>,
    _admin: Admin,
    path: web::Path<String>,
    query: ListQuery<DeliveryFilters>,
) -> AppResult<HttpResponse> {
    let id: WebhookId = write_id(&path)?;
    let params = query.params()?;
    let p = params.clone();
    let page = db::run(&state.pool, move |conn| {
        exists(conn, id)?;
        let id = id.get();
        // Paged in the database: a hook's log grows with every change.
        let total: i64 = webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .count()
            .get_result(conn)?;
        let start = Page::<Delivery>::offset_of(&p);
        let mut q = webhook_deliveries::table
            .filter(webhook_deliveries::webhook_id.eq(id))
            .into_boxed();
        q = if p.sort.desc {
            q.order(webhook_deliveries::id.desc())
        } else {
            q.order(webhook_deliveries::id.asc())
        };
        let rows: Vec<DeliveryRow> = q
            .offset(start)
            .limit(p.limit + 1)
            .select((
                (
                    webhook_deliveries::id,
                    webhook_deliveries::event,
                    webhook_deliveries::resource,
                    webhook_deliveries::item_id,
                    webhook_deliveries::seq,
                    webhook_deliveries::attempts,
                ),
                (
                    webhook_deliveries::status_code,
                    webhook_deliveries::last_error,
                    webhook_deliveries::next_attempt_at,
                ),
                (
                    webhook_deliveries::delivered_at,
                    webhook_deliveries::failed_at,
                    webhook_deliveries::created_at,
                ),
            ))
            .load(conn)?;
        Ok(Page::from_offset_rows(
            rows.into_iter()
                .map(to_delivery)
                .collect::<AppResult<_>>()?,
            total,
            start,
            &p,
        ))
    })
    .await?;
    Ok(response::list_in(&req, None, &params, page, None))
}
