//! belportal's image work, in its own crate so that its generic codec code is
//! compiled (and optimized in debug builds, see the root Cargo.toml) here
//! behind non-generic functions.
//!
//! Turning an uploaded file into what is stored: the type from the magic bytes, a
//! bounded decode (pixel count and allocation limits, so a decompression bomb is
//! refused before it is allocated), EXIF orientation applied, and re-encoded
//! pixels for the original and every variant. Re-encoding writes no metadata, so
//! EXIF (GPS included), XMP and comments never reach a reader. CPU-bound and
//! blocking: run it in `web::block`.

use std::io::{BufReader, Read};
use std::path::Path;

use image::codecs::jpeg::JpegEncoder;
use image::codecs::png::{CompressionType, FilterType as PngFilter, PngEncoder};
use image::codecs::webp::WebPEncoder;
use image::{ImageDecoder, ImageFormat, ImageReader, Limits, Rgb, RgbImage};

pub use image::DynamicImage;
use sha2::{Digest, Sha256};

/// Widths of the variants; a variant is made only when the original is wider.
pub const VARIANT_WIDTHS: [u32; 3] = [320, 640, 1280];
/// Largest decoded image accepted (a 50 megapixel camera's full frame).
pub const MAX_PIXELS: u64 = 50_000_000;
/// Bound of the decoder's allocations (50 MP RGBA is 200 MB).
const MAX_ALLOC: u64 = 256 * 1024 * 1024;
const MAX_SIDE: u32 = 30_000;
/// JPEG quality of the stored original and of the JPEG variants.
const JPEG_QUALITY_ORIGINAL: u8 = 90;
const JPEG_QUALITY_VARIANT: u8 = 82;

/// The accepted formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Jpeg,
    Png,
    WebP,
}

impl Format {
    /// Decided from the first bytes of the file only.
    pub fn sniff(head: &[u8]) -> Option<Format> {
        if head.starts_with(&[0xFF, 0xD8, 0xFF]) {
            Some(Format::Jpeg)
        } else if head.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Format::Png)
        } else if head.len() >= 12 && &head[..4] == b"RIFF" && &head[8..12] == b"WEBP" {
            Some(Format::WebP)
        } else {
            None
        }
    }

    pub fn mime(self) -> &'static str {
        match self {
            Format::Jpeg => "image/jpeg",
            Format::Png => "image/png",
            Format::WebP => "image/webp",
        }
    }

    pub fn ext(self) -> &'static str {
        match self {
            Format::Jpeg => "jpg",
            Format::Png => "png",
            Format::WebP => "webp",
        }
    }

    /// The content type of a stored file name's extension.
    pub fn mime_of_name(name: &str) -> Option<&'static str> {
        let f = match name.rsplit_once('.')?.1 {
            "jpg" => Format::Jpeg,
            "png" => Format::Png,
            "webp" => Format::WebP,
            _ => return None,
        };
        Some(f.mime())
    }

    fn image_format(self) -> ImageFormat {
        match self {
            Format::Jpeg => ImageFormat::Jpeg,
            Format::Png => ImageFormat::Png,
            Format::WebP => ImageFormat::WebP,
        }
    }
}

/// One stored file: its content-addressed name and bytes.
#[derive(Debug, Clone)]
pub struct Rendition {
    pub name: String,
    pub bytes: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub format: Format,
}

/// The original (re-encoded) and its variants, smallest first.
#[derive(Debug, Clone)]
pub struct Processed {
    pub original: Rendition,
    pub variants: Vec<Rendition>,
}

#[derive(Debug, PartialEq)]
pub enum ProcessError {
    /// Not JPEG, PNG or WebP (415).
    Unsupported,
    /// Undecodable, or over the pixel limits (422).
    Rejected(String),
    /// The server failed (500).
    Io(String),
}

/// `<sha256 hex>.<ext>`.
pub fn content_name(bytes: &[u8], format: Format) -> String {
    let digest = Sha256::digest(bytes);
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("{hex}.{}", format.ext())
}

fn rejected(e: impl std::fmt::Display) -> ProcessError {
    ProcessError::Rejected(format!("the image could not be decoded: {e}"))
}

/// Decodes with bounds: the declared size is checked before any pixel buffer is
/// allocated, and the decoder's own allocations are capped.
fn decode(path: &Path, format: Format) -> Result<DynamicImage, ProcessError> {
    let file = std::fs::File::open(path).map_err(|e| ProcessError::Io(e.to_string()))?;
    let mut reader = ImageReader::with_format(BufReader::new(file), format.image_format());
    let mut limits = Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC);
    reader.limits(limits);
    let mut decoder = reader.into_decoder().map_err(too_large_or_rejected)?;
    let (w, h) = decoder.dimensions();
    if w == 0 || h == 0 {
        return Err(ProcessError::Rejected("the image has no pixels".into()));
    }
    if u64::from(w) * u64::from(h) > MAX_PIXELS {
        return Err(ProcessError::Rejected(format!(
            "the image is {w}x{h} pixels; at most {} megapixels are accepted",
            MAX_PIXELS / 1_000_000
        )));
    }
    let orientation = decoder.orientation().ok();
    let mut img = DynamicImage::from_decoder(decoder).map_err(too_large_or_rejected)?;
    if let Some(o) = orientation {
        // The pixels are served without EXIF, so its rotation is applied to them.
        img.apply_orientation(o);
    }
    Ok(img)
}

fn too_large_or_rejected(e: image::ImageError) -> ProcessError {
    match e {
        image::ImageError::Limits(l) => ProcessError::Rejected(format!(
            "the image exceeds the decoding limits ({l}); at most {} megapixels and {MAX_SIDE} pixels a side are accepted",
            MAX_PIXELS / 1_000_000
        )),
        other => rejected(other),
    }
}

/// 8-bit pixels the encoders take: RGB(A) or grey, alpha kept only where the
/// format has it.
fn normalize(img: DynamicImage, format: Format) -> DynamicImage {
    let alpha = img.color().has_alpha();
    let grey = !img.color().has_color();
    // `into_*` keeps the buffer when it already has that layout: no second
    // copy of the frame (147 MB for 7000x7000 RGB).
    match (format, grey, alpha) {
        (Format::Jpeg, true, _) => DynamicImage::ImageLuma8(img.into_luma8()),
        (Format::Jpeg, false, _) => DynamicImage::ImageRgb8(img.into_rgb8()),
        (_, _, true) => DynamicImage::ImageRgba8(img.into_rgba8()),
        (_, _, false) => DynamicImage::ImageRgb8(img.into_rgb8()),
    }
}

/// Encodes `img` (already normalized for JPEG where needed); writes no metadata.
pub fn encode(
    img: &DynamicImage,
    format: Format,
    jpeg_quality: u8,
) -> Result<Vec<u8>, ProcessError> {
    let mut out = Vec::new();
    let res = match format {
        Format::Jpeg => {
            let rgb;
            let src = if matches!(
                img,
                DynamicImage::ImageLuma8(_) | DynamicImage::ImageRgb8(_)
            ) {
                img
            } else {
                rgb = DynamicImage::ImageRgb8(img.to_rgb8());
                &rgb
            };
            src.write_with_encoder(JpegEncoder::new_with_quality(&mut out, jpeg_quality))
        }
        Format::Png => img.write_with_encoder(PngEncoder::new_with_quality(
            &mut out,
            CompressionType::Fast,
            PngFilter::Adaptive,
        )),
        Format::WebP => img.write_with_encoder(WebPEncoder::new_lossless(&mut out)),
    };
    res.map_err(|e| ProcessError::Io(format!("encoding failed: {e}")))?;
    Ok(out)
}

fn rendition(img: &DynamicImage, format: Format, quality: u8) -> Result<Rendition, ProcessError> {
    let bytes = encode(img, format, quality)?;
    Ok(Rendition {
        name: content_name(&bytes, format),
        width: img.width(),
        height: img.height(),
        format,
        bytes,
    })
}

/// Re-encodes the original and makes every variant narrower than it, each as
/// WebP and, when the original is not WebP, in the original's format.
pub fn process_pixels(img: DynamicImage, format: Format) -> Result<Processed, ProcessError> {
    let img = normalize(img, format);
    let original = rendition(&img, format, JPEG_QUALITY_ORIGINAL)?;
    let mut variants = Vec::new();
    // Largest first, each from the previous one (area averaging, which is what
    // downscaling wants, and far cheaper than resizing the full frame each time).
    let mut source = img;
    let mut sized: Vec<DynamicImage> = Vec::new();
    for &w in VARIANT_WIDTHS.iter().rev() {
        if w >= source.width() {
            continue;
        }
        let h = ((u64::from(source.height()) * u64::from(w) + u64::from(source.width()) / 2)
            / u64::from(source.width()))
        .max(1) as u32;
        let smaller = source.thumbnail_exact(w, h);
        sized.push(smaller.clone());
        source = smaller;
    }
    for v in sized.iter().rev() {
        variants.push(rendition(v, Format::WebP, 0)?);
        if format != Format::WebP {
            variants.push(rendition(v, format, JPEG_QUALITY_VARIANT)?);
        }
    }
    Ok(Processed { original, variants })
}

/// The whole pipeline for a spooled upload. A panic inside a decoder (a bug in a
/// codec fed a hostile file) is a 422 for that file, not a crashed worker.
pub fn process_file(path: &Path) -> Result<Processed, ProcessError> {
    let mut head = [0u8; 16];
    let n = {
        let mut f = std::fs::File::open(path).map_err(|e| ProcessError::Io(e.to_string()))?;
        read_up_to(&mut f, &mut head).map_err(|e| ProcessError::Io(e.to_string()))?
    };
    let format = Format::sniff(&head[..n]).ok_or(ProcessError::Unsupported)?;
    let path = path.to_path_buf();
    std::panic::catch_unwind(move || {
        let img = decode(&path, format)?;
        process_pixels(img, format)
    })
    .unwrap_or_else(|_| Err(rejected("the decoder failed on this file")))
}

fn read_up_to(r: &mut impl Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..])? {
            0 => break,
            k => n += k,
        }
    }
    Ok(n)
}

/// The pixel count the file declares in its header, read without decoding: what
/// a decode of it will hold in memory, known before the decode is admitted.
pub fn declared_pixels(path: &Path) -> Result<u64, ProcessError> {
    let file = std::fs::File::open(path).map_err(|e| ProcessError::Io(e.to_string()))?;
    let mut reader = BufReader::new(file);
    let mut head = [0u8; 16];
    let n = read_up_to(&mut reader, &mut head).map_err(|e| ProcessError::Io(e.to_string()))?;
    let format = Format::sniff(&head[..n]).ok_or(ProcessError::Unsupported)?;
    let file = std::fs::File::open(path).map_err(|e| ProcessError::Io(e.to_string()))?;
    let (w, h) = ImageReader::with_format(BufReader::new(file), format.image_format())
        .into_dimensions()
        .map_err(too_large_or_rejected)?;
    Ok(u64::from(w) * u64::from(h))
}

/// Number of distinct placeholder pictures.
pub const PLACEHOLDERS: usize = 6;

/// (sky top, sky bottom, far hills, near hills, sun)
type Palette = ([u8; 3], [u8; 3], [u8; 3], [u8; 3], [u8; 3]);

const PALETTES: [Palette; PLACEHOLDERS] = [
    (
        [64, 120, 200],
        [190, 220, 245],
        [70, 120, 90],
        [40, 90, 60],
        [255, 230, 150],
    ),
    (
        [250, 140, 90],
        [255, 215, 160],
        [120, 80, 90],
        [70, 50, 70],
        [255, 245, 200],
    ),
    (
        [20, 30, 80],
        [90, 70, 140],
        [40, 50, 90],
        [20, 25, 50],
        [240, 240, 255],
    ),
    (
        [150, 200, 230],
        [235, 245, 250],
        [160, 170, 180],
        [90, 110, 120],
        [255, 255, 240],
    ),
    (
        [90, 160, 120],
        [220, 235, 200],
        [110, 140, 60],
        [60, 100, 40],
        [250, 220, 120],
    ),
    (
        [200, 90, 110],
        [250, 190, 170],
        [130, 60, 80],
        [80, 30, 50],
        [255, 220, 200],
    ),
];

fn mix(a: [u8; 3], b: [u8; 3], t: f32) -> Rgb<u8> {
    let c = |i: usize| (f32::from(a[i]) + (f32::from(b[i]) - f32::from(a[i])) * t).round() as u8;
    Rgb([c(0), c(1), c(2)])
}

/// A placeholder landscape (sky gradient, sun, two rows of hills) for demo
/// content: no text, so no font is needed.
pub fn render_placeholder(index: usize, width: u32, height: u32) -> DynamicImage {
    let (top, bottom, far, near, sun) = PALETTES[index % PALETTES.len()];
    let (w, h) = (width as f32, height as f32);
    let phase = index as f32 * 1.7;
    let (sun_x, sun_y, sun_r) = (w * (0.2 + 0.12 * (index % 5) as f32), h * 0.3, h * 0.09);
    // The hill lines depend on the column only.
    let lines: Vec<(f32, f32)> = (0..width)
        .map(|x| {
            let fx = x as f32;
            (
                h * 0.62 + (fx / w * 7.0 + phase).sin() * h * 0.06,
                h * 0.78 + (fx / w * 4.0 + phase * 0.5).cos() * h * 0.05,
            )
        })
        .collect();
    let img = RgbImage::from_fn(width, height, |x, y| {
        let (fx, fy) = (x as f32, y as f32);
        let (far_line, near_line) = lines[x as usize];
        if fy > near_line {
            mix(near, [0, 0, 0], ((fy - near_line) / h).min(1.0) * 0.8)
        } else if fy > far_line {
            far.into()
        } else if (fx - sun_x).powi(2) + (fy - sun_y).powi(2) < sun_r * sun_r {
            sun.into()
        } else {
            mix(top, bottom, fy / h)
        }
    });
    DynamicImage::ImageRgb8(img)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn format_comes_from_magic_bytes() {
        assert_eq!(Format::sniff(&[0xFF, 0xD8, 0xFF, 0xE0]), Some(Format::Jpeg));
        assert_eq!(Format::sniff(b"\x89PNG\r\n\x1a\n...."), Some(Format::Png));
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WEBPVP8L"), Some(Format::WebP));
        assert_eq!(Format::sniff(b"GIF89a"), None);
        assert_eq!(Format::sniff(b"RIFF\0\0\0\0WAVE"), None);
        assert_eq!(Format::sniff(b""), None);
    }

    #[test]
    fn declared_pixels_come_from_the_header_alone() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::new(640, 250));
        let png = encode(&img, Format::Png, 0).unwrap();
        let path = std::env::temp_dir().join(format!("bp-pixels-{}.png", std::process::id()));
        // The header and a cut-off remainder: no pixel data is needed.
        std::fs::write(&path, &png[..png.len().min(64)]).unwrap();
        let pixels = declared_pixels(&path);
        std::fs::write(&path, b"GIF89a....").unwrap();
        let gif = declared_pixels(&path);
        std::fs::remove_file(&path).unwrap();
        assert_eq!(pixels, Ok(640 * 250));
        assert_eq!(gif, Err(ProcessError::Unsupported));
    }

    #[test]
    fn variants_are_never_wider_than_the_original() {
        let img = DynamicImage::ImageRgb8(image::RgbImage::new(700, 350));
        let p = process_pixels(img, Format::Png).unwrap();
        let widths: Vec<u32> = p.variants.iter().map(|v| v.width).collect();
        assert_eq!(widths, [320, 320, 640, 640]);
        assert_eq!(p.variants[0].height, 160);
        assert_eq!(p.original.width, 700);
        let small = DynamicImage::ImageRgb8(image::RgbImage::new(300, 200));
        assert!(process_pixels(small, Format::Jpeg)
            .unwrap()
            .variants
            .is_empty());
    }
}
