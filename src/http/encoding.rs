//! Content codings of successful GET bodies. `conditional_get` compresses a body
//! itself, once per response and once per cached entry and coding (the forms are
//! stored with the entry), and marks it with `Content-Encoding`, so actix's
//! `Compress` (which still handles every other response) leaves it alone.
//!
//! Negotiation is actix's own (`AcceptEncoding::negotiate`, RFC 9110 12.5.3
//! q-values) over the same codings `Compress` offers, so both always agree.

use std::io::Write;

use actix_web::http::header::{AcceptEncoding, ContentEncoding, Encoding, HeaderValue};

/// A coding other than identity; `index` places its form in a cached entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Coding {
    Br,
    Zstd,
    Gzip,
    Deflate,
}

/// How many codings a cached entry can hold.
pub const CODINGS: usize = 4;

/// What `Compress` offers (actix-web with compress-brotli, -gzip and -zstd).
static SUPPORTED: &[Encoding] = &[
    Encoding::identity(),
    Encoding::brotli(),
    Encoding::gzip(),
    Encoding::deflate(),
    Encoding::zstd(),
];

/// Levels for JSON made per request (docs/PERFORMANCE.md, "Compression levels";
/// `bench/compression.sh` measures the candidates): fast single-pass levels.
pub const GZIP_LEVEL: u32 = 1;
pub const BROTLI_LEVEL: u32 = 3;
pub const ZSTD_LEVEL: i32 = 3;
/// Bodies shorter than this are sent as they are: the coding's header and
/// framing would eat most of the gain.
pub const MIN_SIZE: usize = 256;

impl Coding {
    pub fn index(self) -> usize {
        self as usize
    }

    /// The `Content-Encoding` token.
    pub fn as_str(self) -> &'static str {
        match self {
            Coding::Br => "br",
            Coding::Zstd => "zstd",
            Coding::Gzip => "gzip",
            Coding::Deflate => "deflate",
        }
    }

    pub fn header_value(self) -> HeaderValue {
        let e = match self {
            Coding::Br => ContentEncoding::Brotli,
            Coding::Zstd => ContentEncoding::Zstd,
            Coding::Gzip => ContentEncoding::Gzip,
            Coding::Deflate => ContentEncoding::Deflate,
        };
        e.to_header_value()
    }

    /// The coding `Accept-Encoding` asks for; None means identity: no header, an
    /// unparsable one, identity preferred, or nothing else acceptable. (With
    /// `identity;q=0` and nothing else acceptable `Compress` has already answered 406.)
    pub fn negotiate(accept: Option<&AcceptEncoding>) -> Option<Coding> {
        match accept?.negotiate(SUPPORTED.iter())? {
            Encoding::Known(ContentEncoding::Brotli) => Some(Coding::Br),
            Encoding::Known(ContentEncoding::Zstd) => Some(Coding::Zstd),
            Encoding::Known(ContentEncoding::Gzip) => Some(Coding::Gzip),
            Encoding::Known(ContentEncoding::Deflate) => Some(Coding::Deflate),
            _ => None,
        }
    }

    /// `body` in this coding (HTTP `deflate` is the zlib format, as in actix).
    pub fn encode(self, body: &[u8]) -> std::io::Result<Vec<u8>> {
        let out = Vec::with_capacity(body.len() / 4 + 64);
        match self {
            Coding::Gzip => {
                let level = flate2::Compression::new(GZIP_LEVEL);
                let mut w = flate2::write::GzEncoder::new(out, level);
                w.write_all(body)?;
                w.finish()
            }
            Coding::Deflate => {
                let level = flate2::Compression::new(GZIP_LEVEL);
                let mut w = flate2::write::ZlibEncoder::new(out, level);
                w.write_all(body)?;
                w.finish()
            }
            Coding::Br => {
                // A window of 2^22 as actix uses; bodies here are far smaller.
                let mut w = brotli::CompressorWriter::new(out, 4096, BROTLI_LEVEL, 22);
                w.write_all(body)?;
                // Finishes the stream.
                Ok(w.into_inner())
            }
            Coding::Zstd => zstd::bulk::compress(body, ZSTD_LEVEL),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::http::header::Header;
    use actix_web::test::TestRequest;
    use std::io::Read;

    fn pick(value: &str) -> Option<Coding> {
        let req = TestRequest::default()
            .insert_header(("accept-encoding", value))
            .to_http_request();
        Coding::negotiate(AcceptEncoding::parse(&req).ok().as_ref())
    }

    #[test]
    fn negotiation_follows_q_values() {
        assert_eq!(pick("gzip, deflate, br, zstd"), Some(Coding::Br));
        assert_eq!(pick("br;q=0, gzip"), Some(Coding::Gzip));
        assert_eq!(pick("gzip;q=0.5, zstd"), Some(Coding::Zstd));
        assert_eq!(pick("deflate"), Some(Coding::Deflate));
        assert_eq!(pick("identity"), None);
        assert_eq!(pick("br;q=0"), None, "nothing else acceptable: identity");
        assert_eq!(pick("compress"), None);
        assert_eq!(Coding::negotiate(None), None);
    }

    #[test]
    fn every_coding_round_trips() {
        let body = br#"{"items":[{"title":"Minsk"},{"title":"Brest"}]}"#.repeat(40);
        let gz = Coding::Gzip.encode(&body).unwrap();
        let mut out = Vec::new();
        flate2::read::GzDecoder::new(&gz[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        let z = Coding::Deflate.encode(&body).unwrap();
        out.clear();
        flate2::read::ZlibDecoder::new(&z[..])
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        let br = Coding::Br.encode(&body).unwrap();
        out.clear();
        brotli::Decompressor::new(&br[..], 4096)
            .read_to_end(&mut out)
            .unwrap();
        assert_eq!(out, body);
        let zs = Coding::Zstd.encode(&body).unwrap();
        assert_eq!(zstd::decode_all(&zs[..]).unwrap(), body);
        assert!(br.len() < body.len() / 4);
    }
}
