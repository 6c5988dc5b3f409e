//! Cache coherence across nodes: every committed write announces itself on
//! the PostgreSQL channel `belportal_changes` (payload `seq,type,id,deps`: the
//! last feed entry the write made, or `seq,,,` for a write with none, such as
//! a media upload; `deps` is what a write of one item touched, `cache::Dep`
//! words separated by spaces, empty for other writes), sent inside the write's
//! transaction so it is delivered at commit and never for a rolled-back
//! write. Each node keeps one listening connection outside the pool
//! (`Listener`) and drops from its caches what the announced write can change
//! (`Caches::invalidate`: with `deps`, only the item responses that show what
//! it touched; without, all of the type's; without a type, everything); after
//! a lost connection it reconnects with backoff and clears everything, as it
//! may have missed announcements. Payloads of older nodes (`seq,type,id`)
//! still parse, as writes without `deps`, and older nodes read the type of
//! these: a rolling upgrade keeps every node coherent.
//! Through a transaction-mode PgBouncer LISTEN cannot work (its session is
//! not kept): the listener then needs `BELPORTAL_LISTEN_URL`, a direct URL.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::{AnyConnection, ReplicaStatus};
use crate::cache::{Caches, Dep};
use crate::resource::ResourceType;

pub const CHANNEL: &str = "belportal_changes";
/// How often the listener looks for announcements (libpq gives no wake-up
/// without the socket): the added staleness on another node, at most.
const POLL: Duration = Duration::from_millis(20);
/// How often an idle listener checks that its connection is alive.
const PING_EVERY: Duration = Duration::from_secs(5);
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The transaction-local setting `note_deps` leaves for `announce`.
const DEPS_SETTING: &str = "belportal.deps";
/// The longest `deps` announced (a payload holds under 8000 bytes); a longer
/// one is left out, and the other nodes drop all of the type's responses.
const MAX_DEPS: usize = 4000;

/// Notes what the write in progress touched (call inside its transaction,
/// before `announce`), for the other nodes. SQLite: one node, nothing to tell.
pub fn note_deps(conn: &mut AnyConnection, deps: &[Dep]) -> QueryResult<()> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(());
    };
    let words: Option<Vec<String>> = deps.iter().map(Dep::word).collect();
    let text = words.map(|w| w.join(" ")).unwrap_or_default();
    let text = if text.len() > MAX_DEPS {
        String::new()
    } else {
        text
    };
    diesel::sql_query("SELECT set_config($1, $2, true)")
        .bind::<Text, _>(DEPS_SETTING)
        .bind::<Text, _>(text)
        .execute(c)
        .map(|_| ())
}

/// Announces the write in progress (call inside its transaction, after its
/// changes; `start` is the feed number before it). SQLite: one node, nothing to tell.
pub fn announce(conn: &mut AnyConnection, start: i64) -> QueryResult<()> {
    let AnyConnection::Postgresql(c) = conn else {
        return Ok(());
    };
    // The type (and id) only when every change of the write has it: a write of
    // several types (an import) is announced without one, which clears all.
    // Then what it touched, if `note_deps` said (else empty).
    diesel::sql_query(
        "SELECT pg_notify('belportal_changes', COALESCE(\
           (SELECT max(seq) || ',' \
              || CASE WHEN count(DISTINCT resource) = 1 THEN min(resource) ELSE '' END || ',' \
              || CASE WHEN count(*) = 1 THEN CAST(max(item_id) AS TEXT) ELSE '' END \
            FROM changes WHERE seq > $1 HAVING count(*) > 0), \
           $1 || ',,') || ',' || COALESCE(current_setting($2, true), ''))",
    )
    .bind::<BigInt, _>(start)
    .bind::<Text, _>(DEPS_SETTING)
    .execute(c)
    .map(|_| ())
}

/// A running listener; dropping it stops the thread (within one poll).
pub struct Listener {
    stop: Arc<AtomicBool>,
}

impl Drop for Listener {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
    }
}

impl Listener {
    /// Listens on `url` (a direct PostgreSQL URL) and clears `caches` on every
    /// announced write. `name` becomes its `application_name`. With a read
    /// replica, each clearing is noted first (`replica`): reads then wait for
    /// the replica to replay the write before refilling the caches from it.
    pub fn start(
        url: &str,
        name: &str,
        caches: Caches,
        replica: Option<Arc<ReplicaStatus>>,
    ) -> std::io::Result<Listener> {
        let stop = Arc::new(AtomicBool::new(false));
        let flag = stop.clone();
        let url = super::node::with_application_name(url, &format!("{name} listener"));
        std::thread::Builder::new()
            .name("belportal-listen".into())
            .spawn(move || {
                let clear = Clear { caches, replica };
                listen(&url, &clear, &flag)
            })?;
        Ok(Listener { stop })
    }
}

/// The caches, and the replica routing told before they are cleared.
struct Clear {
    caches: Caches,
    replica: Option<Arc<ReplicaStatus>>,
}

impl Clear {
    fn noted(&self) -> &Caches {
        if let Some(r) = &self.replica {
            r.note_invalidation();
        }
        &self.caches
    }
}

fn listen(url: &str, caches: &Clear, stop: &AtomicBool) {
    let mut backoff = Duration::from_millis(100);
    let mut lost = false;
    while !stop.load(Ordering::SeqCst) {
        let mut conn = match PgConnection::establish(url)
            .map_err(|e| e.to_string())
            .and_then(|mut c| {
                c.batch_execute(&format!("LISTEN {CHANNEL}"))
                    .map(|_| c)
                    .map_err(|e| e.to_string())
            }) {
            Ok(c) => c,
            Err(e) => {
                tracing::warn!(error = %e, retry_ms = backoff.as_millis() as u64, "cache listener cannot connect");
                sleep_unless_stopped(backoff, stop);
                backoff = (backoff * 2).min(MAX_BACKOFF);
                continue;
            }
        };
        backoff = Duration::from_millis(100);
        if lost {
            // Announcements sent while disconnected are lost: drop everything.
            caches.noted().invalidate_all();
            tracing::info!("cache listener reconnected; caches cleared");
        }
        lost = true;
        if let Err(e) = receive(&mut conn, caches, stop) {
            tracing::warn!(error = %e, "cache listener lost its connection");
        }
    }
}

/// Clears `caches` on each batch of announcements until the connection fails or `stop`.
fn receive(conn: &mut PgConnection, caches: &Clear, stop: &AtomicBool) -> QueryResult<()> {
    let mut pinged = Instant::now();
    while !stop.load(Ordering::SeqCst) {
        for n in conn.notifications_iter() {
            let n = n?;
            match parse(&n.payload) {
                Some((t, deps)) => caches.noted().invalidate(t, deps.as_deref()),
                None => caches.noted().invalidate_all(),
            }
        }
        if pinged.elapsed() >= PING_EVERY {
            pinged = Instant::now();
            conn.batch_execute("SELECT 1")?;
        }
        std::thread::sleep(POLL);
    }
    Ok(())
}

/// The type of an announced write and what it touched (`seq,type,id,deps`,
/// or `seq,type,id` from an older node: None, all of the type's responses);
/// None without a known type (media, imports: clear everything).
fn parse(payload: &str) -> Option<(ResourceType, Option<Vec<Dep>>)> {
    let mut fields = payload.splitn(4, ',');
    let t = fields.nth(1).and_then(ResourceType::from_type_str)?;
    let deps = fields
        .nth(1)
        .filter(|d| !d.is_empty())
        .and_then(|d| d.split(' ').map(Dep::from_word).collect());
    Some((t, deps))
}

fn sleep_unless_stopped(d: Duration, stop: &AtomicBool) {
    let until = Instant::now() + d;
    while Instant::now() < until && !stop.load(Ordering::SeqCst) {
        std::thread::sleep(POLL.min(until.saturating_duration_since(Instant::now())));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn announcements_of_this_and_older_nodes_parse() {
        let article = ResourceType::Article;
        assert_eq!(
            parse("7,article,12,i12 g12 teconomy s3.be"),
            Some((
                article,
                Some(vec![
                    Dep::Item(12),
                    Dep::Group(12),
                    Dep::Tag("economy".into()),
                    Dep::Section(3, "be".into())
                ])
            ))
        );
        assert_eq!(
            parse("7,article,12"),
            Some((article, None)),
            "an older node"
        );
        assert_eq!(
            parse("7,article,12,"),
            Some((article, None)),
            "no deps noted"
        );
        assert_eq!(
            parse("7,article,,i1 x?"),
            Some((article, None)),
            "unknown word"
        );
        assert_eq!(parse("7,,,"), None);
        assert_eq!(parse("7,,"), None);
        assert_eq!(parse("7,media,,i1"), None);
    }
}
