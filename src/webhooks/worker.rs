//! The delivery worker: claims due deliveries with a lease (so several
//! instances never send one at the same time), POSTs them signed, and records
//! the outcome: delivered, retried with exponential backoff, or failed after the
//! last attempt. Deliveries are rows, so pending ones survive a restart.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use actix_web::rt::task::JoinHandle;
use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::target::{self, CheckingResolver, Refused};
use super::{signature, signature_v2};
use crate::config::Config;
use crate::db::schema::{webhook_deliveries, webhooks};
use crate::db::{self, DbPool};
use crate::error::AppResult;

/// How the worker paces itself.
#[derive(Debug, Clone)]
pub struct WorkerSettings {
    /// Attempts per delivery before it is marked failed.
    pub max_attempts: u32,
    /// How long a receiver may take.
    pub timeout: Duration,
    /// Wait after the first failure; doubled after each further one.
    pub first_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// How often the outbox is checked when idle.
    pub poll: Duration,
    /// Deliveries sent at once.
    pub batch: i64,
    /// How long finished deliveries stay in the log (None: forever).
    pub retention: Option<Duration>,
    /// Loopback and private receivers are allowed (`BELPORTAL_WEBHOOK_ALLOW_PRIVATE`).
    pub allow_private: bool,
}

impl WorkerSettings {
    pub fn from_config(c: &Config) -> Self {
        WorkerSettings {
            max_attempts: c.webhook_max_attempts,
            timeout: Duration::from_millis(c.webhook_timeout_ms),
            first_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(3600),
            poll: Duration::from_millis(500),
            batch: 16,
            retention: (c.webhook_log_days > 0)
                .then(|| Duration::from_secs(c.webhook_log_days.saturating_mul(86_400))),
            allow_private: c.webhook_allow_private,
        }
    }

    /// The wait after `attempts` failed attempts: 1 s, 2 s, 4 s ... capped.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempts.saturating_sub(1).min(30));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// A running worker; `stop` ends it after the deliveries in flight.
pub struct Worker {
    stop: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Worker {
    /// Starts the worker on the current actix runtime. (Deliveries of scheduled
    /// items that turn public are queued by `changes::promoter`.)
    pub fn start(pool: DbPool, settings: WorkerSettings) -> Worker {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let task = actix_web::rt::spawn(async move { run(pool, settings, flag).await });
        Worker { stop, task }
    }

    pub async fn stop(self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = self.task.await;
    }
}

/// A claimed delivery: id, attempts so far, url, secret, event, body.
type Claimed = (i64, i32, String, String, String, String);

fn lease_until(now: NaiveDateTime, s: &WorkerSettings) -> NaiveDateTime {
    now + chrono::Duration::from_std(s.timeout + Duration::from_secs(30))
        .unwrap_or_else(|_| chrono::Duration::minutes(5))
}

/// Takes up to `batch` due deliveries: each is claimed by a conditional update,
/// so of two instances only one gets a row.
fn claim(conn: &mut db::AnyConnection, s: &WorkerSettings) -> AppResult<Vec<Claimed>> {
    let now = db::now();
    let due: Vec<i64> = webhook_deliveries::table
        .filter(webhook_deliveries::next_attempt_at.le(now))
        .filter(
            webhook_deliveries::claimed_until
                .is_null()
                .or(webhook_deliveries::claimed_until.lt(now)),
        )
        .order(webhook_deliveries::next_attempt_at)
        .limit(s.batch)
        .select(webhook_deliveries::id)
        .load(conn)?;
    let mut out = Vec::new();
    for id in due {
        let won = diesel::update(
            webhook_deliveries::table
                .filter(webhook_deliveries::id.eq(id))
                .filter(webhook_deliveries::next_attempt_at.le(now))
                .filter(
                    webhook_deliveries::claimed_until
                        .is_null()
                        .or(webhook_deliveries::claimed_until.lt(now)),
                ),
        )
        .set(webhook_deliveries::claimed_until.eq(Some(lease_until(now, s))))
        .execute(conn)?;
        if won == 1 {
            let row: Claimed = webhook_deliveries::table
                .inner_join(webhooks::table)
                .filter(webhook_deliveries::id.eq(id))
                .select((
                    webhook_deliveries::id,
                    webhook_deliveries::attempts,
                    webhooks::url,
                    webhooks::secret,
                    webhook_deliveries::event,
                    webhook_deliveries::payload,
                ))
                .first(conn)?;
            out.push(row);
        }
    }
    Ok(out)
}

/// What one attempt came to.
enum Outcome {
    Delivered(u16),
    Failed(Option<u16>, String),
    /// The receiver's address is not allowed: given up at once.
    Refused,
}

/// One attempt. The log records only a failure class (status, redirect,
/// timeout, connection failed, refused), never connection error details, so
/// it cannot serve as a port scanner; the details go to the server log.
async fn send(client: &awc::Client, d: &Claimed, allow_private: bool) -> Outcome {
    let (id, _, url, secret, event, body) = d;
    // A literal address is not resolved, so the resolver never sees it.
    if target::literal_ip(url).is_some_and(|ip| !target::allowed(ip, allow_private)) {
        return Outcome::Refused;
    }
    let t = chrono::Utc::now().timestamp();
    let sent = client
        .post(url.as_str())
        .insert_header(("Content-Type", "application/json"))
        .insert_header(("User-Agent", "belportal-webhooks"))
        .insert_header(("X-Belportal-Event", event.as_str()))
        .insert_header(("X-Belportal-Delivery", id.to_string()))
        .insert_header(("X-Belportal-Signature", signature(secret, body.as_bytes())))
        .insert_header(("X-Belportal-Timestamp", t.to_string()))
        .insert_header((
            "X-Belportal-Signature-V2",
            signature_v2(secret, t, body.as_bytes()),
        ))
        .send_body(body.clone())
        .await;
    match sent {
        Ok(res) if res.status().is_success() => Outcome::Delivered(res.status().as_u16()),
        Ok(res) if res.status().is_redirection() => Outcome::Failed(
            Some(res.status().as_u16()),
            format!("HTTP {}: redirects are not followed", res.status().as_u16()),
        ),
        Ok(res) => Outcome::Failed(
            Some(res.status().as_u16()),
            format!("HTTP {}", res.status()),
        ),
        Err(awc::error::SendRequestError::Timeout) => {
            Outcome::Failed(None, "timed out".to_string())
        }
        Err(awc::error::SendRequestError::Connect(awc::error::ConnectError::Resolver(e)))
            if e.is::<Refused>() =>
        {
            Outcome::Refused
        }
        Err(e) => {
            tracing::debug!(delivery = id, error = %e, "webhook delivery failed");
            Outcome::Failed(None, "connection failed".to_string())
        }
    }
}

fn record(
    conn: &mut db::AnyConnection,
    s: &WorkerSettings,
    d: &Claimed,
    outcome: Outcome,
) -> AppResult<()> {
    let now = db::now();
    let attempts = d.1 + 1;
    let row = webhook_deliveries::table.find(d.0);
    match outcome {
        Outcome::Delivered(code) => {
            diesel::update(row)
                .set((
                    webhook_deliveries::attempts.eq(attempts),
                    webhook_deliveries::status_code.eq(Some(i32::from(code))),
                    webhook_deliveries::last_error.eq(None::<String>),
                    webhook_deliveries::next_attempt_at.eq(None::<NaiveDateTime>),
                    webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                    webhook_deliveries::delivered_at.eq(Some(now)),
                ))
                .execute(conn)?;
        }
        Outcome::Refused | Outcome::Failed(..) => {
            let (code, error, refused) = match outcome {
                Outcome::Failed(code, error) => (code, error, false),
                _ => (
                    None,
                    "refused: the receiver's address is not allowed".into(),
                    true,
                ),
            };
            let give_up = refused || attempts as u32 >= s.max_attempts;
            let next = (!give_up).then(|| {
                now + chrono::Duration::from_std(s.backoff(attempts as u32))
                    .unwrap_or_else(|_| chrono::Duration::hours(1))
            });
            diesel::update(row)
                .set((
                    webhook_deliveries::attempts.eq(attempts),
                    webhook_deliveries::status_code.eq(code.map(i32::from)),
                    webhook_deliveries::last_error.eq(Some(error)),
                    webhook_deliveries::next_attempt_at.eq(next),
                    webhook_deliveries::claimed_until.eq(None::<NaiveDateTime>),
                    webhook_deliveries::failed_at.eq(give_up.then_some(now)),
                ))
                .execute(conn)?;
        }
    }
    Ok(())
}

/// Removes deliveries that were delivered or given up before `before`; pending
/// ones stay whatever their age. Returns how many were removed.
pub fn prune_log(conn: &mut db::AnyConnection, before: NaiveDateTime) -> AppResult<usize> {
    Ok(diesel::delete(
        webhook_deliveries::table.filter(
            webhook_deliveries::delivered_at
                .lt(before)
                .or(webhook_deliveries::failed_at.lt(before)),
        ),
    )
    .execute(conn)?)
}

/// How often the delivery log is pruned.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

async fn run(pool: DbPool, s: WorkerSettings, stop: Arc<AtomicBool>) {
    // Every host name is resolved and checked by `CheckingResolver`, and the
    // connection goes to the addresses it checked.
    let resolver = actix_tls::connect::Resolver::custom(CheckingResolver {
        allow_private: s.allow_private,
    });
    let tcp = actix_tls::connect::Connector::new(resolver).service();
    let connector = awc::Connector::new().connector(tcp);
    let connector = match tls_config() {
        Some(tls) => connector.rustls_0_23(tls),
        None => connector,
    };
    let client = awc::Client::builder()
        .timeout(s.timeout)
        .connector(connector)
        .disable_redirects()
        .finish();
    let mut pruned_at: Option<std::time::Instant> = None;
    let mut clock_synced_at: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        // This node's clock is kept on the database's (due times, leases).
        if clock_synced_at.is_none_or(|t| t.elapsed() >= db::clock::SYNC_EVERY) {
            clock_synced_at = Some(std::time::Instant::now());
            if let Err(e) = db::run(&pool, db::clock::sync).await {
                tracing::warn!(error = %e, "database clock not measured");
            }
        }
        if let Some(keep) = s.retention {
            if pruned_at.is_none_or(|t| t.elapsed() >= PRUNE_EVERY) {
                pruned_at = Some(std::time::Instant::now());
                let cutoff = db::now()
                    - chrono::Duration::from_std(keep).unwrap_or(chrono::Duration::days(30));
                match db::run(&pool, move |conn| prune_log(conn, cutoff)).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(removed = n, "webhook delivery log pruned"),
                    Err(e) => tracing::warn!(error = %e, "webhook delivery log not pruned"),
                }
            }
        }
        let settings = s.clone();
        let claimed = db::run(&pool, move |conn| claim(conn, &settings)).await;
        let claimed = match claimed {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, "webhook outbox unavailable");
                actix_web::rt::time::sleep(s.poll * 4).await;
                continue;
            }
        };
        if claimed.is_empty() {
            actix_web::rt::time::sleep(s.poll).await;
            continue;
        }
        let outcomes = futures_util::future::join_all(
            claimed.iter().map(|d| send(&client, d, s.allow_private)),
        )
        .await;
        let settings = s.clone();
        let done = db::run(&pool, move |conn| {
            for (d, o) in claimed.iter().zip(outcomes) {
                record(conn, &settings, d, o)?;
            }
            Ok(())
        })
        .await;
        if let Err(e) = done {
            // The leases run out and the deliveries are retried.
            tracing::warn!(error = %e, "webhook outcomes not recorded");
        }
    }
}

/// TLS with the system's trust store and the ring provider (no aws-lc build).
/// None if rustls refuses the configuration: then only http receivers work.
fn tls_config() -> Option<Arc<rustls::ClientConfig>> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    match rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
    {
        Ok(b) => {
            let mut c = b.with_root_certificates(roots).with_no_client_auth();
            c.alpn_protocols = vec![b"http/1.1".to_vec()];
            Some(Arc::new(c))
        }
        Err(e) => {
            tracing::error!(error = %e, "webhook TLS setup failed; https receivers will fail");
            None
        }
    }
}
