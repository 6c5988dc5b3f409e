//! Where media files are stored: `BELPORTAL_MEDIA_URL` (`file:///dir` or
//! `s3://bucket/prefix` with the usual `AWS_*` variables), the older
//! `BELPORTAL_MEDIA_DIR`, and `BELPORTAL_MEDIA_PUBLIC_URL`.

use std::path::PathBuf;

use super::{err, parse_bool, ConfigError};

/// An S3-compatible bucket (AWS S3, MinIO, R2, ...) and how to reach it.
#[derive(Clone, PartialEq, Eq, Default)]
pub struct S3Settings {
    pub bucket: String,
    /// Key prefix of the media files, without slashes at either end ("" = the bucket's root).
    pub prefix: String,
    /// `AWS_ENDPOINT_URL`: a non-AWS server (MinIO, R2, a test server).
    pub endpoint: Option<String>,
    /// `AWS_REGION` (or `AWS_DEFAULT_REGION`).
    pub region: Option<String>,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<String>,
    pub session_token: Option<String>,
    /// `AWS_ALLOW_HTTP=true`: a plain-http endpoint.
    pub allow_http: bool,
}

impl S3Settings {
    /// `s3://bucket/prefix`, for messages and logs.
    pub fn url(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

// Never print the keys (Config is logged with `{:?}` in places).
impl std::fmt::Debug for S3Settings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("S3Settings")
            .field("url", &self.url())
            .field("endpoint", &self.endpoint)
            .field("region", &self.region)
            .field("access_key_id", &self.access_key_id.as_ref().map(|_| "***"))
            .field(
                "secret_access_key",
                &self.secret_access_key.as_ref().map(|_| "***"),
            )
            .field("allow_http", &self.allow_http)
            .finish()
    }
}

/// What the media variables say (applied to `Config` by the caller).
pub(super) struct MediaSettings {
    /// Set by `file://` or `BELPORTAL_MEDIA_DIR`; None keeps the default.
    pub dir: Option<PathBuf>,
    pub s3: Option<S3Settings>,
    pub public_url: Option<String>,
}

const URL_VAR: &str = "BELPORTAL_MEDIA_URL";

pub(super) fn read(get: &dyn Fn(&str) -> Option<String>) -> Result<MediaSettings, ConfigError> {
    let dir_var = get("BELPORTAL_MEDIA_DIR").map(|v| PathBuf::from(v.trim()));
    let mut out = MediaSettings {
        dir: dir_var.clone(),
        s3: None,
        public_url: None,
    };
    if let Some(v) = get(URL_VAR) {
        let v = v.trim();
        let u = url::Url::parse(v).map_err(|_| {
            err(
                URL_VAR,
                format!("`{v}` is not a URL: expected file:///directory or s3://bucket/prefix"),
            )
        })?;
        if u.query().is_some() || u.fragment().is_some() {
            return Err(err(
                URL_VAR,
                format!("`{v}` must not have a query or fragment"),
            ));
        }
        match u.scheme() {
            "file" => {
                let dir = u.to_file_path().map_err(|_| {
                    err(
                        URL_VAR,
                        format!("`{v}` is not a file URL of an absolute directory (file:///var/lib/belportal/media)"),
                    )
                })?;
                if dir_var.as_ref().is_some_and(|d| *d != dir) {
                    return Err(err(
                        URL_VAR,
                        "names another directory than BELPORTAL_MEDIA_DIR: set only one of them",
                    ));
                }
                out.dir = Some(dir);
            }
            "s3" => {
                if dir_var.is_some() {
                    return Err(err(
                        URL_VAR,
                        "is an s3:// URL, but BELPORTAL_MEDIA_DIR is set too: set only one of them",
                    ));
                }
                out.s3 = Some(s3_settings(v, &u, get)?);
            }
            other => {
                return Err(err(
                    URL_VAR,
                    format!("`{v}` has the unknown scheme `{other}:`; expected file:///directory or s3://bucket/prefix"),
                ))
            }
        }
    }
    if let Some(v) = get("BELPORTAL_MEDIA_PUBLIC_URL") {
        out.public_url = Some(public_base(v.trim())?);
    }
    Ok(out)
}

fn s3_settings(
    v: &str,
    u: &url::Url,
    get: &dyn Fn(&str) -> Option<String>,
) -> Result<S3Settings, ConfigError> {
    let bucket = u.host_str().unwrap_or_default().to_string();
    if bucket.is_empty() || !u.username().is_empty() || u.password().is_some() || u.port().is_some()
    {
        return Err(err(
            URL_VAR,
            format!("`{v}` must be s3://bucket or s3://bucket/prefix (credentials go in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY)"),
        ));
    }
    let prefix = u.path().trim_matches('/').to_string();
    if prefix.split('/').any(|p| p == "." || p == "..") || prefix.contains("//") {
        return Err(err(URL_VAR, format!("`{v}` has an invalid key prefix")));
    }
    let trimmed = |k: &str| get(k).map(|s| s.trim().to_string());
    let allow_http = match get("AWS_ALLOW_HTTP") {
        Some(s) => parse_bool(&s).ok_or_else(|| err("AWS_ALLOW_HTTP", "expected true or false"))?,
        None => false,
    };
    let endpoint = trimmed("AWS_ENDPOINT_URL").or_else(|| trimmed("AWS_ENDPOINT"));
    if let Some(e) = &endpoint {
        let ok = url::Url::parse(e)
            .ok()
            .is_some_and(|p| matches!(p.scheme(), "http" | "https") && p.host().is_some());
        if !ok {
            return Err(err(
                "AWS_ENDPOINT_URL",
                format!("`{e}` is not an http(s) URL"),
            ));
        }
        if e.starts_with("http://") && !allow_http {
            return Err(err(
                "AWS_ENDPOINT_URL",
                format!("`{e}` is plain http: set AWS_ALLOW_HTTP=true to allow it"),
            ));
        }
    }
    Ok(S3Settings {
        bucket,
        prefix,
        endpoint,
        region: trimmed("AWS_REGION").or_else(|| trimmed("AWS_DEFAULT_REGION")),
        access_key_id: trimmed("AWS_ACCESS_KEY_ID"),
        secret_access_key: get("AWS_SECRET_ACCESS_KEY"),
        session_token: get("AWS_SESSION_TOKEN"),
        allow_http,
    })
}

/// `BELPORTAL_MEDIA_PUBLIC_URL`: an http(s) base with a host and no query or
/// fragment; kept without its trailing slash.
fn public_base(v: &str) -> Result<String, ConfigError> {
    let var = "BELPORTAL_MEDIA_PUBLIC_URL";
    let u = url::Url::parse(v).map_err(|_| err(var, format!("`{v}` is not a URL")))?;
    if !matches!(u.scheme(), "http" | "https") || u.host().is_none() {
        return Err(err(var, format!("`{v}` is not an http(s) URL with a host")));
    }
    if u.query().is_some() || u.fragment().is_some() || !u.username().is_empty() {
        return Err(err(
            var,
            format!("`{v}` must not have a query, fragment or user"),
        ));
    }
    Ok(u.as_str().trim_end_matches('/').to_string())
}
