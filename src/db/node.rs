//! What a node tells PostgreSQL about itself, and how it talks to it through a
//! transaction-mode pooler (PgBouncer): `application_name` names the node
//! (`BELPORTAL_NODE_NAME`), and with `BELPORTAL_PGBOUNCER` connections keep no
//! named prepared statements and no session settings (the limits are applied
//! with `SET LOCAL` in each transaction instead, see `db::run`).

/// How this node's PostgreSQL connections present themselves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodeSettings {
    /// `application_name` of every connection (`BELPORTAL_NODE_NAME`).
    pub name: String,
    /// `Some(on)` when `BELPORTAL_PGBOUNCER` is set; `None`: detected from the URL.
    pub pgbouncer: Option<bool>,
    /// A direct PostgreSQL URL for the cache listener (`BELPORTAL_LISTEN_URL`);
    /// None: `DATABASE_URL`, unless that goes through PgBouncer.
    pub listen_url: Option<String>,
}

impl Default for NodeSettings {
    fn default() -> Self {
        NodeSettings {
            name: default_name(),
            pgbouncer: None,
            listen_url: None,
        }
    }
}

impl NodeSettings {
    /// Whether connections to `url` go through a transaction-mode pooler: the
    /// setting, else a host named `*pgbouncer*` or PgBouncer's port 6432.
    pub fn pooled(&self, url: &str) -> bool {
        self.pgbouncer.unwrap_or_else(|| looks_like_pgbouncer(url))
    }

    /// Where the cache listener connects: `listen_url`, else `database_url`
    /// when it is PostgreSQL without a transaction-mode pooler (LISTEN needs
    /// a session of its own); None on SQLite (one node).
    pub fn listen_url(&self, database_url: &str) -> Option<String> {
        if let Some(u) = &self.listen_url {
            return Some(u.clone());
        }
        let pg =
            database_url.starts_with("postgres://") || database_url.starts_with("postgresql://");
        (pg && !self.pooled(database_url)).then(|| database_url.to_string())
    }
}

/// The host name (`HOSTNAME`, `/etc/hostname`), else `belportal`.
pub fn default_name() -> String {
    std::env::var("HOSTNAME")
        .ok()
        .or_else(|| std::fs::read_to_string("/etc/hostname").ok())
        .map(|h| clean_name(&h))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "belportal".into())
}

/// `application_name` keeps printable ASCII and at most 63 bytes
/// (PostgreSQL's NAMEDATALEN - 1); the rest is dropped, not refused.
pub fn clean_name(raw: &str) -> String {
    raw.trim()
        .chars()
        .filter(|c| c.is_ascii_graphic() || *c == ' ')
        .take(63)
        .collect()
}

fn looks_like_pgbouncer(url: &str) -> bool {
    match url::Url::parse(url) {
        Ok(u) => u.host_str().is_some_and(|h| h.contains("pgbouncer")) || u.port() == Some(6432),
        Err(_) => false,
    }
}

/// Adds `application_name` to a `postgres://` URL unless it names one already.
pub(super) fn with_application_name(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    if query.split('&').any(|p| p.starts_with("application_name=")) {
        return url.to_string();
    }
    let encoded: String = url::form_urlencoded::byte_serialize(name.as_bytes()).collect();
    // libpq decodes %XX but not `+` in URI parameters.
    let encoded = encoded.replace('+', "%20");
    let sep = if query.is_empty() { "" } else { "&" };
    format!("{base}?{query}{sep}application_name={encoded}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn application_name_is_added_once_and_encoded() {
        assert_eq!(
            with_application_name("postgres://u@h/db", "node a"),
            "postgres://u@h/db?application_name=node%20a"
        );
        assert_eq!(
            with_application_name("postgres://u@h/db?sslmode=disable", "n1"),
            "postgres://u@h/db?sslmode=disable&application_name=n1"
        );
        let own = "postgres://u@h/db?application_name=mine";
        assert_eq!(with_application_name(own, "n1"), own);
    }

    #[test]
    fn names_are_cut_to_what_postgres_keeps() {
        assert_eq!(clean_name(" web-1\n"), "web-1");
        assert_eq!(clean_name(&"x".repeat(100)).len(), 63);
        assert_eq!(clean_name("nödé"), "nd");
    }

    #[test]
    fn pgbouncer_is_detected_from_the_url_unless_set() {
        let auto = NodeSettings {
            name: "n".into(),
            pgbouncer: None,
            listen_url: None,
        };
        assert_eq!(
            auto.listen_url("postgres://u@h:5432/db").as_deref(),
            Some("postgres://u@h:5432/db")
        );
        assert_eq!(auto.listen_url("postgres://u@h:6432/db"), None);
        assert_eq!(auto.listen_url("sqlite://x.db"), None);
        assert!(auto.pooled("postgres://u@127.0.0.1:6432/db"));
        assert!(auto.pooled("postgres://u@pgbouncer.internal/db"));
        assert!(!auto.pooled("postgres://u@127.0.0.1:5432/db"));
        let off = NodeSettings {
            pgbouncer: Some(false),
            ..auto.clone()
        };
        assert!(!off.pooled("postgres://u@127.0.0.1:6432/db"));
        let on = NodeSettings {
            pgbouncer: Some(true),
            ..auto
        };
        assert!(on.pooled("postgres://u@127.0.0.1:5432/db"));
    }
}
