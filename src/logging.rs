//! Process logs: `BELPORTAL_LOG_FORMAT` and the subscriber the binary installs.
//! (The access line of each request is `http::access`.)

use crate::config::{err, ConfigError};

/// `BELPORTAL_LOG_FORMAT`: human-readable lines (colour only on a terminal) or
/// one JSON object per line for log collectors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

impl LogFormat {
    /// The format named by `BELPORTAL_LOG_FORMAT` (unset or empty: text).
    pub fn parse(v: Option<&str>) -> Result<LogFormat, ConfigError> {
        match v.map(|v| v.trim().to_ascii_lowercase()).as_deref() {
            None | Some("") | Some("text") => Ok(LogFormat::Text),
            Some("json") => Ok(LogFormat::Json),
            Some(other) => Err(err(
                "BELPORTAL_LOG_FORMAT",
                format!("`{other}` is not json or text"),
            )),
        }
    }

    /// Read from the process environment (logging starts before the rest of the config).
    pub fn from_env() -> Result<LogFormat, ConfigError> {
        Self::parse(std::env::var("BELPORTAL_LOG_FORMAT").ok().as_deref())
    }
}

/// Logs go to stderr (stdout carries command output: export NDJSON, keys): text
/// (coloured only when stderr is a terminal) or one JSON object per line, with
/// the event's fields at the top level. `RUST_LOG` filters (default `info`).
pub fn init(format: LogFormat) {
    use std::io::IsTerminal;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Text => builder
            .with_target(false)
            .with_ansi(std::io::stderr().is_terminal())
            .try_init(),
        LogFormat::Json => builder
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .try_init(),
    };
}
