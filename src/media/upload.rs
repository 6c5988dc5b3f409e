//! Reading a `multipart/form-data` upload: the `file` part is spooled to a
//! temporary file in the store's scratch directory while its bytes are counted
//! (413 as soon as it passes the limit, so the body is never held in memory);
//! `alt`, `caption` and `credit` are short text parts.

use std::io::Write;

use actix_multipart::Multipart;
use actix_web::http::header;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;

use crate::error::{AppError, AppResult, FieldError};

/// Text parts larger than this are refused (alt is at most 500 characters).
const MAX_TEXT_PART: usize = 8 * 1024;
/// Room for the multipart framing and the text parts in a declared length.
const FRAMING_ALLOWANCE: u64 = 64 * 1024;
/// Spool writes are batched to this size and done off the async worker.
const SPOOL_CHUNK: usize = 256 * 1024;

/// What an upload carried.
pub struct Upload {
    /// The spooled file part, removed when dropped.
    pub file: tempfile::NamedTempFile,
    pub alt: Option<String>,
    pub caption: Option<String>,
    pub credit: Option<String>,
}

fn too_large(max: u64) -> AppError {
    AppError::PayloadTooLarge(format!(
        "the file is larger than the {max} bytes accepted (BELPORTAL_MEDIA_MAX_BYTES)"
    ))
}

fn field_error(field: &str, message: &str) -> AppError {
    AppError::Unprocessable(vec![FieldError {
        field: field.into(),
        message: message.into(),
    }])
}

fn bad_body(e: impl std::fmt::Display) -> AppError {
    AppError::bad_request(format!("malformed multipart/form-data body: {e}"))
}

/// 415 unless the request is `multipart/form-data`; 413 at once when the declared
/// length alone is over the limit.
fn check_headers(req: &HttpRequest, max: u64) -> AppResult<()> {
    let ct = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !ct
        .trim_start()
        .to_ascii_lowercase()
        .starts_with("multipart/form-data")
    {
        return Err(AppError::UnsupportedMediaType(
            "uploads are multipart/form-data with a `file` part".into(),
        ));
    }
    let declared = req
        .headers()
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > max.saturating_add(FRAMING_ALLOWANCE)) {
        return Err(too_large(max));
    }
    Ok(())
}

/// Appends `buf` to the spool file on the blocking pool.
async fn spool(
    file: tempfile::NamedTempFile,
    buf: Vec<u8>,
) -> AppResult<(tempfile::NamedTempFile, Vec<u8>)> {
    web::block(move || {
        let mut file = file;
        let mut buf = buf;
        file.write_all(&buf)?;
        buf.clear();
        Ok::<_, std::io::Error>((file, buf))
    })
    .await?
    .map_err(|e| AppError::Internal(format!("spooling an upload: {e}")))
}

/// Reads the whole multipart body; `scratch` is where the file part is spooled.
pub async fn read_upload(
    req: &HttpRequest,
    payload: web::Payload,
    scratch: std::path::PathBuf,
    max: u64,
) -> AppResult<Upload> {
    check_headers(req, max)?;
    let mut parts = Multipart::new(req.headers(), payload);
    let mut file: Option<tempfile::NamedTempFile> = None;
    let (mut alt, mut caption, mut credit) = (None, None, None);
    while let Some(part) = parts.next().await {
        let mut part = part.map_err(bad_body)?;
        let name = part.name().unwrap_or("").to_string();
        match name.as_str() {
            "file" => {
                if file.is_some() {
                    return Err(field_error("file", "send one file per upload"));
                }
                let dir = scratch.clone();
                let mut spooled = web::block(move || tempfile::NamedTempFile::new_in(dir))
                    .await?
                    .map_err(|e| AppError::Internal(format!("creating an upload file: {e}")))?;
                let mut total: u64 = 0;
                let mut buf: Vec<u8> = Vec::with_capacity(SPOOL_CHUNK);
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(bad_body)?;
                    total += chunk.len() as u64;
                    if total > max {
                        return Err(too_large(max));
                    }
                    buf.extend_from_slice(&chunk);
                    if buf.len() >= SPOOL_CHUNK {
                        (spooled, buf) = spool(spooled, buf).await?;
                    }
                }
                if !buf.is_empty() {
                    (spooled, _) = spool(spooled, buf).await?;
                }
                if total == 0 {
                    return Err(field_error("file", "is empty"));
                }
                file = Some(spooled);
            }
            "alt" | "caption" | "credit" => {
                let mut text = Vec::new();
                while let Some(chunk) = part.next().await {
                    let chunk = chunk.map_err(bad_body)?;
                    if text.len() + chunk.len() > MAX_TEXT_PART {
                        return Err(field_error(&name, "is too long"));
                    }
                    text.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(text)
                    .map_err(|_| field_error(&name, "must be UTF-8 text"))?;
                let slot = match name.as_str() {
                    "alt" => &mut alt,
                    "caption" => &mut caption,
                    _ => &mut credit,
                };
                *slot = Some(text);
            }
            "" => return Err(bad_body("a part without a name")),
            other => {
                return Err(field_error(
                    other,
                    "is not a field of an upload (file, alt, caption, credit)",
                ))
            }
        }
    }
    let file = file.ok_or_else(|| field_error("file", "is required: the image to upload"))?;
    Ok(Upload {
        file,
        alt,
        caption,
        credit,
    })
}
