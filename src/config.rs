//! Environment -> `Config`, validated once at start. A bad value names its variable.

use std::net::SocketAddr;

pub use crate::logging::LogFormat;
pub use media::S3Settings;

mod edge;
mod media;

#[derive(Debug, Clone)]
pub struct Config {
    pub addr: SocketAddr,
    pub database_url: String,
    pub demo: bool,
    pub locales: Vec<String>,
    pub default_locale: String,
    pub cors_origins: Vec<String>,
    pub cache_max_age: u32,
    pub workers: Option<usize>,
    pub pool_size: u32,
    /// Milliseconds an anonymous GET response is reused; 0 turns the cache
    /// off; None: `response_cache_fresh_ms`'s default.
    pub response_cache_ms: Option<u64>,
    /// Largest `POST /v1/admin/import` body, in MiB.
    pub import_max_mb: u64,
    /// Attempts per webhook delivery before it is given up.
    pub webhook_max_attempts: u32,
    /// How long a webhook receiver may take to answer.
    pub webhook_timeout_ms: u64,
    /// Days finished webhook deliveries stay in the log; 0 keeps them forever.
    pub webhook_log_days: u64,
    /// Lets webhooks target loopback and private addresses (internal receivers, tests).
    pub webhook_allow_private: bool,
    /// Image decodes that may run at once (each can take a few hundred MB).
    pub media_decodes: usize,
    /// Megapixels all running decodes may hold together (`BELPORTAL_MEDIA_DECODE_MEGAPIXELS`).
    pub media_decode_megapixels: u32,
    /// Directory of the filesystem media store (`BELPORTAL_MEDIA_DIR` or a
    /// `file://` `BELPORTAL_MEDIA_URL`); unused when `media_s3` is set.
    pub media_dir: std::path::PathBuf,
    /// The S3-compatible media store (`BELPORTAL_MEDIA_URL=s3://bucket/prefix`).
    pub media_s3: Option<S3Settings>,
    /// `/media/{name}` redirects to this base + `/{name}` (`BELPORTAL_MEDIA_PUBLIC_URL`).
    pub media_public_url: Option<String>,
    /// Largest accepted upload, in bytes.
    pub media_max_bytes: u64,
    /// `/v1/search` ranks this many of the newest matches of each type.
    pub search_window: usize,
    /// SQLite: words in more documents than this are scored by where they
    /// appear (title, summary, body) instead of bm25, whose cost grows with
    /// the word's document count.
    pub search_bm25_max_docs: i64,
    /// The only base of absolute URLs (feeds, iCalendar, JSON-LD): scheme, host,
    /// optional port and path prefix, no trailing slash. Never taken from a request.
    pub public_url: String,
    /// Proxies whose `Forwarded` / `X-Forwarded-For` name the client address.
    pub trusted_proxies: Vec<crate::net::Cidr>,
    /// Requests per second per client address or API key; 0 turns limiting off.
    pub rate_limit: u32,
    /// Requests a client may make at once before the rate applies.
    pub rate_limit_burst: u32,
    /// Milliseconds a read may run before it is stopped (503); 0 turns the bound off.
    pub read_timeout_ms: u64,
    /// Milliseconds a writer waits for the write lock before it gives up (503).
    pub lock_timeout_ms: u64,
    /// The node's `application_name` and PgBouncer mode (`BELPORTAL_NODE_NAME`, `BELPORTAL_PGBOUNCER`).
    pub node: crate::db::NodeSettings,
    /// The read replica (`DATABASE_READ_URL`, `BELPORTAL_REPLICA_MAX_LAG_MS`).
    pub replica: crate::db::ReplicaSettings,
    /// How log lines are written (`BELPORTAL_LOG_FORMAT`).
    pub log_format: LogFormat,
    /// A separate listener for `/metrics` (then no longer served on `addr`).
    pub metrics_addr: Option<SocketAddr>,
}

#[derive(Debug, thiserror::Error)]
#[error("invalid value for {var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

pub(crate) fn err(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            addr: SocketAddr::from(([127, 0, 0, 1], 8080)),
            database_url: "sqlite://data/belportal.db".into(),
            demo: true,
            locales: vec!["be".into(), "ru".into(), "en".into()],
            default_locale: "en".into(),
            cors_origins: Vec::new(),
            cache_max_age: 60,
            workers: None,
            pool_size: 16,
            response_cache_ms: None,
            import_max_mb: 1024,
            webhook_max_attempts: 8,
            webhook_timeout_ms: 5000,
            webhook_log_days: 30,
            webhook_allow_private: false,
            media_decodes: std::thread::available_parallelism().map_or(2, |n| n.get()),
            media_decode_megapixels: 100,
            media_dir: "data/media".into(),
            media_s3: None,
            media_public_url: None,
            media_max_bytes: 10 * 1024 * 1024,
            search_window: 500,
            search_bm25_max_docs: 100_000,
            public_url: "http://127.0.0.1:8080".into(),
            trusted_proxies: Vec::new(),
            rate_limit: 50,
            rate_limit_burst: 100,
            read_timeout_ms: 2000,
            lock_timeout_ms: 5000,
            node: crate::db::NodeSettings::default(),
            replica: crate::db::ReplicaSettings::default(),
            log_format: LogFormat::Text,
            metrics_addr: None,
        }
    }
}

impl Config {
    /// Reads the process environment (after `.env`, loaded by the caller).
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Builds a config from any variable source; tests pass a map.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut c = Config::default();
        let get = |k: &str| get(k).filter(|v| !v.trim().is_empty());
        if let Some(v) = get("BELPORTAL_ADDR") {
            c.addr = v
                .trim()
                .parse()
                .map_err(|_| err("BELPORTAL_ADDR", format!("`{v}` is not host:port")))?;
        }
        c.log_format = LogFormat::parse(get("BELPORTAL_LOG_FORMAT").as_deref())?;
        if let Some(v) = get("BELPORTAL_METRICS_ADDR") {
            let a: SocketAddr = v
                .trim()
                .parse()
                .map_err(|_| err("BELPORTAL_METRICS_ADDR", format!("`{v}` is not host:port")))?;
            if a == c.addr {
                return Err(err(
                    "BELPORTAL_METRICS_ADDR",
                    "must differ from BELPORTAL_ADDR (it is a separate listener)",
                ));
            }
            c.metrics_addr = Some(a);
        }
        if let Some(v) = get("DATABASE_URL") {
            let v = v.trim().to_string();
            if !(v.starts_with("sqlite:")
                || v.starts_with("postgres://")
                || v.starts_with("postgresql://"))
            {
                return Err(err(
                    "DATABASE_URL",
                    "must start with sqlite:// or postgres://",
                ));
            }
            c.database_url = v;
        }
        if let Some(v) = get("BELPORTAL_DEMO") {
            c.demo =
                parse_bool(&v).ok_or_else(|| err("BELPORTAL_DEMO", "expected true or false"))?;
        }
        if let Some(v) = get("BELPORTAL_LOCALES") {
            let locales: Vec<String> = v
                .split(',')
                .map(|s| s.trim().to_ascii_lowercase())
                .filter(|s| !s.is_empty())
                .collect();
            if locales.is_empty()
                || locales
                    .iter()
                    .any(|l| l.len() != 2 || !l.bytes().all(|b| b.is_ascii_lowercase()))
            {
                return Err(err(
                    "BELPORTAL_LOCALES",
                    "expected a comma-separated list of two-letter language codes",
                ));
            }
            c.locales = locales;
        }
        if let Some(v) = get("BELPORTAL_DEFAULT_LOCALE") {
            c.default_locale = v.trim().to_ascii_lowercase();
        }
        if !c.locales.contains(&c.default_locale) {
            return Err(err(
                "BELPORTAL_DEFAULT_LOCALE",
                format!(
                    "`{}` is not one of BELPORTAL_LOCALES ({})",
                    c.default_locale,
                    c.locales.join(",")
                ),
            ));
        }
        if let Some(v) = get("BELPORTAL_CORS_ORIGINS") {
            c.cors_origins = edge::cors_origins(&v)?;
        }
        if let Some(v) = get("BELPORTAL_CACHE_MAX_AGE") {
            c.cache_max_age = v.trim().parse().map_err(|_| {
                err(
                    "BELPORTAL_CACHE_MAX_AGE",
                    "expected a whole number of seconds",
                )
            })?;
        }
        if let Some(v) = get("BELPORTAL_WORKERS") {
            let n: usize = v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=1024).contains(n))
                .ok_or_else(|| err("BELPORTAL_WORKERS", "expected a number from 1 to 1024"))?;
            c.workers = Some(n);
        }
        if let Some(v) = get("BELPORTAL_DB_POOL_SIZE") {
            c.pool_size = v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1..=512).contains(n))
                .ok_or_else(|| err("BELPORTAL_DB_POOL_SIZE", "expected a number from 1 to 512"))?;
        }
        if let Some(v) = get("BELPORTAL_RESPONSE_CACHE_MS") {
            c.response_cache_ms = v
                .trim()
                .parse()
                .ok()
                .filter(|n| *n <= 3_600_000)
                .map(Some)
                .ok_or_else(|| {
                    err(
                        "BELPORTAL_RESPONSE_CACHE_MS",
                        "expected milliseconds from 0 to 3600000",
                    )
                })?;
        }
        let number = |var, lo, hi| number(&get, var, lo, hi);
        if let Some(n) = number("BELPORTAL_IMPORT_MAX_MB", 1, 1 << 20)? {
            c.import_max_mb = n;
        }
        if let Some(n) = number("BELPORTAL_WEBHOOK_MAX_ATTEMPTS", 1, 100)? {
            c.webhook_max_attempts = n as u32;
        }
        if let Some(n) = number("BELPORTAL_WEBHOOK_TIMEOUT_MS", 100, 600_000)? {
            c.webhook_timeout_ms = n;
        }
        if let Some(n) = number("BELPORTAL_SEARCH_WINDOW", 1, 100_000)? {
            c.search_window = n as usize;
        }
        if let Some(n) = number("BELPORTAL_SEARCH_BM25_MAX_DOCS", 0, i64::MAX as u64)? {
            c.search_bm25_max_docs = n as i64;
        }
        if let Some(n) = number("BELPORTAL_READ_TIMEOUT_MS", 0, 600_000)? {
            c.read_timeout_ms = n;
        }
        if let Some(n) = number("BELPORTAL_LOCK_TIMEOUT_MS", 1, 600_000)? {
            c.lock_timeout_ms = n;
        }
        if let Some(v) = get("BELPORTAL_NODE_NAME") {
            c.node.name = crate::db::node::clean_name(&v);
            if c.node.name.is_empty() {
                return Err(err("BELPORTAL_NODE_NAME", "expected printable ASCII"));
            }
        }
        if let Some(v) = get("BELPORTAL_LISTEN_URL") {
            if !(v.starts_with("postgres://") || v.starts_with("postgresql://")) {
                return Err(err("BELPORTAL_LISTEN_URL", "must start with postgres://"));
            }
            c.node.listen_url = Some(v.trim().to_string());
        }
        c.replica = crate::db::ReplicaSettings::from_lookup(get, &c.database_url)?;
        if let Some(v) = get("BELPORTAL_PGBOUNCER") {
            let on = parse_bool(&v)
                .ok_or_else(|| err("BELPORTAL_PGBOUNCER", "expected true or false"))?;
            c.node.pgbouncer = Some(on);
        }
        if let Some(n) = number("BELPORTAL_WEBHOOK_LOG_DAYS", 0, 36_500)? {
            c.webhook_log_days = n;
        }
        if let Some(v) = get("BELPORTAL_WEBHOOK_ALLOW_PRIVATE") {
            c.webhook_allow_private = parse_bool(&v)
                .ok_or_else(|| err("BELPORTAL_WEBHOOK_ALLOW_PRIVATE", "expected true or false"))?;
        }
        if let Some(n) = number("BELPORTAL_MEDIA_DECODES", 1, 1024)? {
            c.media_decodes = n as usize;
        }
        // At least the largest accepted image (50 megapixels), or it could never run.
        if let Some(n) = number("BELPORTAL_MEDIA_DECODE_MEGAPIXELS", 50, 100_000)? {
            c.media_decode_megapixels = n as u32;
        }
        let media = media::read(&get)?;
        if let Some(dir) = media.dir {
            c.media_dir = dir;
        }
        c.media_s3 = media.s3;
        c.media_public_url = media.public_url;
        if let Some(v) = get("BELPORTAL_MEDIA_MAX_BYTES") {
            c.media_max_bytes = v
                .trim()
                .parse()
                .ok()
                .filter(|n| (1024..=1 << 30).contains(n))
                .ok_or_else(|| {
                    err(
                        "BELPORTAL_MEDIA_MAX_BYTES",
                        "expected a number of bytes from 1024 to 1073741824",
                    )
                })?;
        }
        edge::read(&get, &mut c)?;
        Ok(c)
    }

    pub fn is_supported_locale(&self, l: &str) -> bool {
        self.locales.iter().any(|x| x == l)
    }

    /// How long a cached anonymous response stays fresh: the setting, else
    /// `COHERENT_RESPONSE_CACHE_MS` where every write reaches this node's
    /// caches as it commits (SQLite: one node; PostgreSQL with the cache
    /// listener), else `UNTOLD_RESPONSE_CACHE_MS` (through PgBouncer without
    /// `BELPORTAL_LISTEN_URL`, other nodes' writes show only on expiry).
    pub fn response_cache_fresh_ms(&self) -> u64 {
        if let Some(ms) = self.response_cache_ms {
            return ms;
        }
        let sqlite = crate::db::Backend::from_url(&self.database_url).is_ok_and(|b| b.is_sqlite());
        if sqlite || self.node.listen_url(&self.database_url).is_some() {
            COHERENT_RESPONSE_CACHE_MS
        } else {
            UNTOLD_RESPONSE_CACHE_MS
        }
    }
}

/// The response cache's default freshness where writes invalidate it on every
/// node: what expiry alone still bounds is content that changes with time, not
/// writes (an event that has ended leaves "upcoming"), and half the public
/// `max-age` (60 s) keeps that within what any shared cache may serve.
/// Scheduled publications are dropped when due (`changes::promoter`).
pub const COHERENT_RESPONSE_CACHE_MS: u64 = 30_000;
/// The default where other nodes' writes reach this node only by expiry.
pub const UNTOLD_RESPONSE_CACHE_MS: u64 = 1_000;

/// Variable `var` as a number from `lo` to `hi`, if set.
fn number(
    get: &dyn Fn(&str) -> Option<String>,
    var: &'static str,
    lo: u64,
    hi: u64,
) -> Result<Option<u64>, ConfigError> {
    match get(var) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .ok()
            .filter(|n| (lo..=hi).contains(n))
            .map(Some)
            .ok_or_else(|| err(var, format!("expected a number from {lo} to {hi}"))),
    }
}

fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
