//! Unit tests of `config`.

use super::*;
use std::collections::HashMap;

fn cfg(pairs: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let m: HashMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    Config::from_lookup(|k| m.get(k).cloned())
}

#[test]
fn node_name_and_pgbouncer_mode_are_read() {
    let c = cfg(&[
        ("BELPORTAL_NODE_NAME", " web-2 "),
        ("BELPORTAL_PGBOUNCER", "on"),
    ])
    .unwrap();
    assert_eq!(c.node.name, "web-2");
    assert_eq!(c.node.pgbouncer, Some(true));
    assert_eq!(cfg(&[]).unwrap().node.pgbouncer, None);
    assert!(cfg(&[("BELPORTAL_PGBOUNCER", "maybe")]).is_err());
    assert!(cfg(&[("BELPORTAL_NODE_NAME", "ÿ")]).is_err());
    let direct = "postgres://u@db:5432/portal";
    let c = cfg(&[("BELPORTAL_LISTEN_URL", direct)]).unwrap();
    assert_eq!(c.node.listen_url.as_deref(), Some(direct));
    assert!(cfg(&[("BELPORTAL_LISTEN_URL", "http://x")]).is_err());
}

#[test]
fn empty_environment_gives_the_documented_defaults() {
    let c = cfg(&[]).unwrap();
    assert_eq!(c.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(c.database_url, "sqlite://data/belportal.db");
    assert_eq!(c.locales, ["be", "ru", "en"]);
    assert_eq!(c.default_locale, "en");
    assert_eq!(c.cache_max_age, 60);
    assert_eq!(c.media_dir, std::path::Path::new("data/media"));
    assert_eq!(c.media_max_bytes, 10 * 1024 * 1024);
    assert!(!c.webhook_allow_private);
    assert!(c.media_decodes >= 1);
    assert_eq!(c.public_url, "http://127.0.0.1:8080");
    assert!(c.trusted_proxies.is_empty());
    assert_eq!((c.rate_limit, c.rate_limit_burst), (50, 100));
    assert_eq!(c.read_timeout_ms, 2000);
    assert_eq!(c.lock_timeout_ms, 5000);
    assert_eq!(c.log_format, LogFormat::Text);
    assert_eq!(c.metrics_addr, None);
}

#[test]
fn log_format_and_metrics_listener_parse() {
    let c = cfg(&[
        ("BELPORTAL_LOG_FORMAT", "JSON"),
        ("BELPORTAL_METRICS_ADDR", "127.0.0.1:9100"),
    ])
    .unwrap();
    assert_eq!(c.log_format, LogFormat::Json);
    assert_eq!(c.metrics_addr.map(|a| a.port()), Some(9100));
    assert_eq!(LogFormat::parse(Some("text")).unwrap(), LogFormat::Text);
    assert_eq!(LogFormat::parse(None).unwrap(), LogFormat::Text);
    let same = cfg(&[
        ("BELPORTAL_ADDR", "127.0.0.1:9000"),
        ("BELPORTAL_METRICS_ADDR", "127.0.0.1:9000"),
    ]);
    assert_eq!(same.unwrap_err().var, "BELPORTAL_METRICS_ADDR");
}

#[test]
fn the_public_url_follows_the_address_unless_set() {
    let c = cfg(&[("BELPORTAL_ADDR", "0.0.0.0:9000")]).unwrap();
    assert_eq!(c.public_url, "http://0.0.0.0:9000");
    let c = cfg(&[("BELPORTAL_PUBLIC_URL", "https://api.belarus.example/")]).unwrap();
    assert_eq!(c.public_url, "https://api.belarus.example");
    let c = cfg(&[("BELPORTAL_PUBLIC_URL", "https://portal.example/api/")]).unwrap();
    assert_eq!(c.public_url, "https://portal.example/api");
}

#[test]
fn the_burst_defaults_to_twice_the_rate() {
    let c = cfg(&[("BELPORTAL_RATE_LIMIT", "7")]).unwrap();
    assert_eq!((c.rate_limit, c.rate_limit_burst), (7, 14));
    let c = cfg(&[
        ("BELPORTAL_RATE_LIMIT", "7"),
        ("BELPORTAL_RATE_LIMIT_BURST", "3"),
    ])
    .unwrap();
    assert_eq!(c.rate_limit_burst, 3);
    let c = cfg(&[("BELPORTAL_TRUSTED_PROXIES", "10.0.0.0/8, ::1")]).unwrap();
    assert_eq!(c.trusted_proxies.len(), 2);
}

#[test]
fn bad_values_name_their_variable() {
    for (k, v) in [
        ("BELPORTAL_ADDR", "nope"),
        ("DATABASE_URL", "mysql://x"),
        ("BELPORTAL_DEMO", "maybe"),
        ("BELPORTAL_LOCALES", "english"),
        ("BELPORTAL_DEFAULT_LOCALE", "de"),
        ("BELPORTAL_CORS_ORIGINS", "not a url"),
        ("BELPORTAL_CACHE_MAX_AGE", "-1"),
        ("BELPORTAL_WORKERS", "0"),
        ("BELPORTAL_RESPONSE_CACHE_MS", "soon"),
        ("BELPORTAL_IMPORT_MAX_MB", "0"),
        ("BELPORTAL_WEBHOOK_MAX_ATTEMPTS", "many"),
        ("BELPORTAL_WEBHOOK_TIMEOUT_MS", "5"),
        ("BELPORTAL_MEDIA_MAX_BYTES", "10MB"),
        ("BELPORTAL_PUBLIC_URL", "ftp://example.org"),
        ("BELPORTAL_PUBLIC_URL", "https://example.org/?x=1"),
        ("BELPORTAL_TRUSTED_PROXIES", "10.0.0.0/40"),
        ("BELPORTAL_RATE_LIMIT", "-1"),
        ("BELPORTAL_RATE_LIMIT_BURST", "0"),
        ("BELPORTAL_WEBHOOK_ALLOW_PRIVATE", "sometimes"),
        ("BELPORTAL_MEDIA_DECODES", "0"),
        ("BELPORTAL_MEDIA_DECODE_MEGAPIXELS", "49"),
        ("BELPORTAL_READ_TIMEOUT_MS", "2s"),
        ("BELPORTAL_LOCK_TIMEOUT_MS", "0"),
        ("BELPORTAL_LOG_FORMAT", "logfmt"),
        ("BELPORTAL_METRICS_ADDR", "9100"),
    ] {
        let e = cfg(&[(k, v)]).unwrap_err();
        assert_eq!(e.var, k, "{k}={v}");
        assert!(e.to_string().contains(k));
    }
}

#[test]
fn media_url_names_a_directory_or_an_s3_bucket() {
    let c = cfg(&[("BELPORTAL_MEDIA_URL", "file:///var/lib/belportal/media")]).unwrap();
    assert_eq!(
        c.media_dir,
        std::path::Path::new("/var/lib/belportal/media")
    );
    assert!(c.media_s3.is_none());
    // The older variable keeps working, alone or naming the same directory.
    let c = cfg(&[("BELPORTAL_MEDIA_DIR", "/srv/media")]).unwrap();
    assert_eq!(c.media_dir, std::path::Path::new("/srv/media"));
    assert!(cfg(&[
        ("BELPORTAL_MEDIA_DIR", "/srv/media"),
        ("BELPORTAL_MEDIA_URL", "file:///srv/media"),
    ])
    .is_ok());

    let c = cfg(&[
        ("BELPORTAL_MEDIA_URL", "s3://portal-media/prod/images/"),
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ("AWS_ALLOW_HTTP", "true"),
        ("AWS_REGION", "eu-central-1"),
        ("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE"),
        ("AWS_SECRET_ACCESS_KEY", "very-secret"),
    ])
    .unwrap();
    let s3 = c.media_s3.unwrap();
    assert_eq!(
        (s3.bucket.as_str(), s3.prefix.as_str()),
        ("portal-media", "prod/images")
    );
    assert_eq!(s3.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
    assert_eq!(s3.region.as_deref(), Some("eu-central-1"));
    assert!(s3.allow_http);
    assert!(
        !format!("{s3:?}").contains("very-secret"),
        "keys stay out of logs"
    );
    assert_eq!(
        cfg(&[("BELPORTAL_MEDIA_URL", "s3://b")])
            .unwrap()
            .media_s3
            .unwrap()
            .prefix,
        ""
    );
}

#[test]
fn a_bad_media_url_fails_at_start_naming_the_variable() {
    for (pairs, words) in [
        (
            vec![("BELPORTAL_MEDIA_URL", "gs://bucket/x")],
            "unknown scheme `gs:`",
        ),
        (vec![("BELPORTAL_MEDIA_URL", "media")], "is not a URL"),
        (
            vec![("BELPORTAL_MEDIA_URL", "file://relative/dir")],
            "absolute",
        ),
        (vec![("BELPORTAL_MEDIA_URL", "s3:///prefix")], "s3://bucket"),
        (
            vec![
                ("BELPORTAL_MEDIA_URL", "s3://b"),
                ("BELPORTAL_MEDIA_DIR", "/srv/m"),
            ],
            "set only one",
        ),
        (
            vec![
                ("BELPORTAL_MEDIA_URL", "s3://b"),
                ("AWS_ENDPOINT_URL", "http://minio:9000"),
            ],
            "AWS_ALLOW_HTTP",
        ),
        (vec![("BELPORTAL_MEDIA_PUBLIC_URL", "ftp://cdn")], "http(s)"),
    ] {
        let e = cfg(&pairs).unwrap_err().to_string();
        assert!(e.contains(words), "{pairs:?}: {e}");
    }
    let e = cfg(&[("BELPORTAL_MEDIA_URL", "gs://bucket/x")]).unwrap_err();
    assert_eq!(e.var, "BELPORTAL_MEDIA_URL");
    let c = cfg(&[("BELPORTAL_MEDIA_PUBLIC_URL", "https://cdn.example.org/m/")]).unwrap();
    assert_eq!(
        c.media_public_url.as_deref(),
        Some("https://cdn.example.org/m")
    );
}

#[test]
fn response_cache_stays_fresh_longer_only_where_every_write_reaches_it() {
    let fresh = |pairs: &[(&str, &str)]| cfg(pairs).unwrap().response_cache_fresh_ms();
    // SQLite is one node; a direct PostgreSQL URL gets the cache listener.
    assert_eq!(fresh(&[]), COHERENT_RESPONSE_CACHE_MS);
    let direct = ("DATABASE_URL", "postgres://u@db:5432/portal");
    assert_eq!(fresh(&[direct]), COHERENT_RESPONSE_CACHE_MS);
    // Through PgBouncer without a direct listener URL, only expiry bounds
    // other nodes' writes.
    let pooled = ("DATABASE_URL", "postgres://u@pgbouncer:6432/portal");
    assert_eq!(fresh(&[pooled]), UNTOLD_RESPONSE_CACHE_MS);
    let listen = ("BELPORTAL_LISTEN_URL", "postgres://u@db:5432/portal");
    assert_eq!(fresh(&[pooled, listen]), COHERENT_RESPONSE_CACHE_MS);
    // The setting wins, 0 included (off).
    assert_eq!(
        fresh(&[pooled, ("BELPORTAL_RESPONSE_CACHE_MS", "250")]),
        250
    );
    assert_eq!(fresh(&[("BELPORTAL_RESPONSE_CACHE_MS", "0")]), 0);
}
