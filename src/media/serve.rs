//! `GET /media/{name}`: stored files, served from the store with immutable
//! caching (the name is the hash of the bytes), the hash as a strong ETag, 304s,
//! and single byte ranges (206). The body is streamed from the file in chunks
//! read on the blocking pool, and the response is marked so the caching
//! middleware neither buffers it nor replaces its headers.

use std::io::{Read, Seek, SeekFrom};

use actix_web::body::SizedStream;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::web::Bytes;
use actix_web::{get, web, HttpRequest, HttpResponse};

use super::process::Format;
use super::storage::{is_valid_name, ReadSeek};
use crate::error::{problem_response, AppError, AppResult};
use crate::http::middleware::{if_none_match_matches, SelfValidated};
use crate::AppState;

const CACHE_FOREVER: &str = "public, max-age=31536000, immutable";
/// A redirect to `BELPORTAL_MEDIA_PUBLIC_URL` may be reused for a day: the
/// target of a name never changes, but the operator may move the files.
const CACHE_REDIRECT: &str = "public, max-age=86400";
const CHUNK: u64 = 64 * 1024;

/// A `Range` header as served: one `bytes` range, resolved against the length.
#[derive(Debug, PartialEq, Eq)]
pub enum RangeRequest {
    /// No usable range: send the whole file.
    Full,
    /// Inclusive first and last byte.
    Part(u64, u64),
    /// No byte of the file is in the range (416).
    Unsatisfiable,
}

/// RFC 9110 14.1.2: `bytes=a-b`, `bytes=a-`, `bytes=-n`. Several ranges, other
/// units and malformed values are answered with the whole file, which the RFC allows.
pub fn parse_range(v: &str, len: u64) -> RangeRequest {
    let Some(spec) = v.trim().strip_prefix("bytes=") else {
        return RangeRequest::Full;
    };
    if spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    let parsed = match (a.is_empty(), b.is_empty()) {
        (true, true) => return RangeRequest::Full,
        (true, false) => match b.parse::<u64>() {
            Ok(0) => return RangeRequest::Unsatisfiable,
            Ok(n) => (len.saturating_sub(n), len.saturating_sub(1)),
            Err(_) => return RangeRequest::Full,
        },
        (false, _) => {
            let Ok(start) = a.parse::<u64>() else {
                return RangeRequest::Full;
            };
            let end = if b.is_empty() {
                len.saturating_sub(1)
            } else {
                match b.parse::<u64>() {
                    Ok(e) if e >= start => e.min(len.saturating_sub(1)),
                    _ => return RangeRequest::Full,
                }
            };
            (start, end)
        }
    };
    if len == 0 || parsed.0 >= len {
        return RangeRequest::Unsatisfiable;
    }
    RangeRequest::Part(parsed.0, parsed.1)
}

fn not_found() -> AppError {
    AppError::not_found("no such media file")
}

/// Reads `remaining` bytes from `reader` in chunks, each on the blocking pool.
fn chunks(
    reader: Box<dyn ReadSeek>,
    remaining: u64,
) -> impl futures_util::Stream<Item = Result<Bytes, std::io::Error>> {
    futures_util::stream::unfold(
        (Some(reader), remaining),
        |(reader, remaining)| async move {
            let mut r = reader?;
            if remaining == 0 {
                return None;
            }
            let n = remaining.min(CHUNK);
            let read = web::block(move || {
                let mut buf = vec![0u8; n as usize];
                r.read_exact(&mut buf).map(|_| (r, buf))
            })
            .await;
            match read {
                Ok(Ok((r, buf))) => Some((Ok(Bytes::from(buf)), (Some(r), remaining - n))),
                Ok(Err(e)) => Some((Err(e), (None, 0))),
                Err(e) => Some((Err(std::io::Error::other(e.to_string())), (None, 0))),
            }
        },
    )
}

/// The bytes of an image file.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
#[allow(dead_code)]
pub struct ImageBytes(Vec<u8>);

fn set(res: &mut HttpResponse, name: header::HeaderName, v: &str) {
    if let Ok(v) = HeaderValue::from_str(v) {
        res.headers_mut().insert(name, v);
    }
}

/// Get a media file
///
/// The bytes of an uploaded image or one of its responsive variants (JPEG, PNG or
/// WebP), by the content-addressed name a media item's `url` or `variants` give.
/// Immutable: cached for a year, with a strong `ETag` and byte ranges (`Range`).
/// Public.
#[utoipa::path(
    tag = "media",
    params(
        ("name" = String, Path, description = "Content-addressed file name (`<sha256>.jpg|png|webp`) from a media item's `url` or `variants`"),
        ("Range" = Option<String>, Header, description = "One byte range, e.g. `bytes=0-1023`"),
        ("If-None-Match" = Option<String>, Header, description = "The ETag held; a match is a 304"),
    ),
    responses(
        (status = 200, description = "The file (`image/jpeg`, `image/png` or `image/webp`, as its name says); `Cache-Control: public, max-age=31536000, immutable`, a strong ETag (the hash) and `Accept-Ranges: bytes`",
            content((ImageBytes = "image/*"))),
        (status = 206, description = "The requested byte range, with `Content-Range`",
            content((ImageBytes = "image/*"))),
        (status = 304, description = "Not modified: If-None-Match names this file"),
        (status = 307, description = "With `BELPORTAL_MEDIA_PUBLIC_URL` set (a bucket or CDN): `Location` is that URL + `/{name}`"),
        (status = 404, description = "No such file"),
        (status = 416, description = "The range lies outside the file; `Content-Range` gives its length"),
    )
)]
#[get("/media/{name}")]
pub async fn media_file(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> AppResult<HttpResponse> {
    let name = path.into_inner();
    if !is_valid_name(&name) {
        return Err(not_found());
    }
    let mime = Format::mime_of_name(&name).ok_or_else(not_found)?;
    if let Some(base) = &state.config.media_public_url {
        // 307, not 302: the client repeats the same method (HEAD stays HEAD)
        // and keeps its Range and If-None-Match for the file's real home.
        // Not 308: a permanent redirect would outlive a move of the files.
        let mut res = HttpResponse::TemporaryRedirect().finish();
        set(&mut res, header::LOCATION, &format!("{base}/{name}"));
        set(&mut res, header::CACHE_CONTROL, CACHE_REDIRECT);
        res.extensions_mut().insert(SelfValidated);
        return Ok(res);
    }
    let hash = name.split('.').next().unwrap_or_default();
    let etag = format!("\"{hash}\"");
    let header_str = |n: header::HeaderName| {
        req.headers()
            .get(n)
            .and_then(|v| v.to_str().ok())
            .map(str::to_string)
    };
    let mut res =
        if header_str(header::IF_NONE_MATCH).is_some_and(|v| if_none_match_matches(&v, &etag)) {
            HttpResponse::NotModified().finish()
        } else {
            let store = state.media.clone();
            let n = name.clone();
            let file = web::block(move || store.open(&n))
                .await?
                .map_err(|e| AppError::Internal(format!("media store open: {e}")))?
                .ok_or_else(not_found)?;
            let len = file.len;
            // If-Range with another validator means the client's copy is not this file.
            let range_ok = header_str(header::IF_RANGE).is_none_or(|v| v.trim() == etag);
            let range = match header_str(header::RANGE) {
                Some(v) if range_ok => parse_range(&v, len),
                _ => RangeRequest::Full,
            };
            let (status, start, end) = match range {
                RangeRequest::Full => (StatusCode::OK, 0, len.saturating_sub(1)),
                RangeRequest::Part(a, b) => (StatusCode::PARTIAL_CONTENT, a, b),
                RangeRequest::Unsatisfiable => {
                    let mut r = problem_response(
                        StatusCode::RANGE_NOT_SATISFIABLE,
                        format!("the range lies outside the file's {len} bytes"),
                        None,
                    );
                    set(&mut r, header::CONTENT_RANGE, &format!("bytes */{len}"));
                    r.extensions_mut().insert(SelfValidated);
                    return Ok(r);
                }
            };
            let count = if len == 0 { 0 } else { end - start + 1 };
            let mut reader = file.reader;
            let reader = web::block(move || reader.seek(SeekFrom::Start(start)).map(|_| reader))
                .await?
                .map_err(|e| AppError::Internal(format!("media store seek: {e}")))?;
            let mut r = HttpResponse::build(status)
                .content_type(mime)
                .body(SizedStream::new(count, chunks(reader, count)));
            if status == StatusCode::PARTIAL_CONTENT {
                set(
                    &mut r,
                    header::CONTENT_RANGE,
                    &format!("bytes {start}-{end}/{len}"),
                );
            }
            set(&mut r, header::X_CONTENT_TYPE_OPTIONS, "nosniff");
            r
        };
    set(&mut res, header::ETAG, &etag);
    set(&mut res, header::CACHE_CONTROL, CACHE_FOREVER);
    set(&mut res, header::ACCEPT_RANGES, "bytes");
    res.extensions_mut().insert(SelfValidated);
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_ranges_resolve_against_the_length() {
        use RangeRequest::*;
        assert_eq!(parse_range("bytes=0-9", 100), Part(0, 9));
        assert_eq!(parse_range("bytes=90-", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-10", 100), Part(90, 99));
        assert_eq!(parse_range("bytes=-500", 100), Part(0, 99));
        assert_eq!(parse_range("bytes=50-500", 100), Part(50, 99));
        assert_eq!(parse_range("bytes=100-", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 100), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-1,5-6", 100), Full);
        assert_eq!(parse_range("items=0-1", 100), Full);
        assert_eq!(parse_range("bytes=9-1", 100), Full);
        assert_eq!(parse_range("bytes=x-", 100), Full);
    }
}
