//! Webhooks: subscriptions to `published`, `updated` and `deleted`, and an
//! outbox of deliveries written in the same transaction as the content change
//! (`enqueue`), sent after commit by the delivery worker (`worker`).
//!
//! Events: `published` when an item becomes public (created public, or a draft,
//! archived or scheduled item turns public), `updated` when a public item is
//! saved and stays public, `deleted` when a public item is deleted or stops
//! being public (unpublished or archived): for the public it is gone. Changes
//! to items nobody can see send nothing.

pub mod handlers;
pub mod target;
pub mod worker;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use hmac::{Hmac, KeyInit, Mac};
use serde::Serialize;
use sha2::Sha256;

use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::AnyConnection;
use crate::domain::change::{Action, ItemMeta};
use crate::domain::utc;
use crate::error::{AppError, AppResult};
use crate::resource::ResourceType;

pub const EVENTS: [&str; 3] = ["published", "updated", "deleted"];

/// The webhook event of a change, if any: see the module documentation.
pub fn event_for(action: Action, was_public: bool, is_public: bool) -> Option<&'static str> {
    match (action, was_public, is_public) {
        (Action::Deleted, true, _) => Some("deleted"),
        (Action::Deleted, false, _) => None,
        (_, false, true) => Some("published"),
        (_, true, true) => Some("updated"),
        (_, true, false) => Some("deleted"),
        (_, false, false) => None,
    }
}

/// The JSON body POSTed to a receiver.
#[derive(Debug, Serialize)]
pub struct Payload<'a> {
    pub event: &'a str,
    #[serde(rename = "type")]
    pub kind: ResourceType,
    pub id: i64,
    pub slug: &'a str,
    pub locale: &'a str,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The change's position in `/v1/changes`.
    pub seq: i64,
}

fn hmac_hex(secret: &str, parts: &[&[u8]]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        // HMAC takes keys of any length; this arm is unreachable in practice.
        Err(_) => return String::new(),
    };
    for p in parts {
        mac.update(p);
    }
    let bytes = mac.finalize().into_bytes();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// `sha256=<hex HMAC-SHA256 of body with secret>`, the `X-Belportal-Signature` value.
pub fn signature(secret: &str, body: &[u8]) -> String {
    format!("sha256={}", hmac_hex(secret, &[body]))
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">`, the
/// `X-Belportal-Signature-V2` value: the timestamp is signed with the body, so
/// a receiver that refuses old timestamps refuses replayed deliveries.
pub fn signature_v2(secret: &str, t: i64, body: &[u8]) -> String {
    let ts = t.to_string();
    let hex = hmac_hex(secret, &[ts.as_bytes(), b".", body]);
    format!("t={ts},v1={hex}")
}

/// Subscriptions as `(id, events)`; a transfer loads them once for many changes.
pub fn subscriptions(conn: &mut AnyConnection) -> AppResult<Vec<(i64, String)>> {
    Ok(webhooks::table
        .select((webhooks::id, webhooks::events))
        .order(webhooks::id)
        .load(conn)?)
}

/// A change as webhooks see it: which item, its state before and after, and
/// its place in the changes feed.
#[derive(Clone, Copy)]
pub struct WebhookEvent<'a> {
    pub resource: ResourceType,
    pub id: i64,
    /// The item after the change (before it, for a delete).
    pub meta: &'a ItemMeta,
    /// Whether anonymous readers could see the item before the change.
    pub was_public: bool,
    pub action: Action,
    /// The change's `seq` in `/v1/changes`, from `record_change`.
    pub seq: i64,
    pub at: NaiveDateTime,
}

/// Queues a delivery per interested webhook for a change; call in the change's
/// transaction, right after `record_change` (whose `seq` it carries).
pub fn enqueue(conn: &mut AnyConnection, change: &WebhookEvent) -> AppResult<()> {
    if event_for(change.action, change.was_public, change.meta.public).is_none() {
        return Ok(());
    }
    let hooks = subscriptions(conn)?;
    enqueue_to(conn, &hooks, change)
}

/// `enqueue` with the `subscriptions` already loaded (a transfer reads them
/// once for many changes).
pub fn enqueue_to(
    conn: &mut AnyConnection,
    hooks: &[(i64, String)],
    change: &WebhookEvent,
) -> AppResult<()> {
    let WebhookEvent {
        resource,
        id,
        meta,
        was_public,
        action,
        seq,
        at,
    } = *change;
    let Some(event) = event_for(action, was_public, meta.public) else {
        return Ok(());
    };
    let wanted: Vec<i64> = hooks
        .iter()
        .filter(|(_, events)| events.split(',').any(|e| e == event))
        .map(|(id, _)| *id)
        .collect();
    if wanted.is_empty() {
        return Ok(());
    }
    let payload = serde_json::to_string(&Payload {
        event,
        kind: resource,
        id,
        slug: &meta.slug,
        locale: &meta.locale,
        at: utc(at),
        seq,
    })
    .map_err(|e| AppError::Internal(format!("webhook payload: {e}")))?;
    for hook in wanted {
        diesel::insert_into(webhook_deliveries::table)
            .values((
                webhook_deliveries::webhook_id.eq(hook),
                webhook_deliveries::event.eq(event),
                webhook_deliveries::resource.eq(resource.as_str()),
                webhook_deliveries::item_id.eq(id),
                webhook_deliveries::seq.eq(seq),
                webhook_deliveries::payload.eq(&payload),
                webhook_deliveries::attempts.eq(0),
                webhook_deliveries::next_attempt_at.eq(Some(at)),
                webhook_deliveries::created_at.eq(at),
            ))
            .execute(conn)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_follow_public_visibility() {
        assert_eq!(event_for(Action::Created, false, true), Some("published"));
        assert_eq!(event_for(Action::Created, false, false), None);
        assert_eq!(event_for(Action::Updated, false, true), Some("published"));
        assert_eq!(event_for(Action::Updated, true, true), Some("updated"));
        assert_eq!(event_for(Action::Updated, true, false), Some("deleted"));
        assert_eq!(event_for(Action::Deleted, true, true), Some("deleted"));
        assert_eq!(event_for(Action::Deleted, false, false), None);
    }

    #[test]
    fn signature_is_the_rfc_4231_hmac_sha256() {
        // RFC 4231 test case 2.
        assert_eq!(
            signature("Jefe", b"what do ya want for nothing?"),
            "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }

    #[test]
    fn signature_v2_signs_the_timestamp_with_the_body() {
        let v2 = signature_v2("Jefe", 1_700_000_000, b"{}");
        let want = signature("Jefe", b"1700000000.{}");
        assert_eq!(v2, format!("t=1700000000,v1={}", &want["sha256=".len()..]));
        assert_ne!(v2, signature_v2("Jefe", 1_700_000_001, b"{}"));
    }
}
