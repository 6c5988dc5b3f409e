#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The media library through HTTP: uploads of each format with their variants,
//! refusals of bad files, EXIF stripping, file serving headers, and references
//! from content that keep a used image from being deleted.

mod common;

use std::io::Cursor;

use actix_web::test::TestRequest;
use image::{DynamicImage, ImageFormat, Rgb, RgbImage, Rgba, RgbaImage};
use serde_json::{json, Value};

use common::{Resp, TestApp};

const BOUNDARY: &str = "belportal-test-boundary";

/// A multipart/form-data body with a `file` part and text parts.
fn multipart(file: &[u8], filename: &str, file_type: &str, texts: &[(&str, &str)]) -> Vec<u8> {
    let mut b = Vec::new();
    for (name, value) in texts {
        b.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    b.extend_from_slice(
        format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: {file_type}\r\n\r\n"
        )
        .as_bytes(),
    );
    b.extend_from_slice(file);
    b.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    b
}

async fn upload(app: &TestApp, key: &str, body: Vec<u8>) -> Resp {
    app.send(
        TestRequest::post()
            .uri("/v1/media")
            .insert_header(("Authorization", format!("Bearer {key}")))
            .insert_header((
                "Content-Type",
                format!("multipart/form-data; boundary={BOUNDARY}"),
            ))
            .set_payload(body),
    )
    .await
}

/// A photo-like test picture: gradients, so encoders have something to do.
fn picture(w: u32, h: u32) -> DynamicImage {
    DynamicImage::ImageRgb8(RgbImage::from_fn(w, h, |x, y| {
        Rgb([
            (x * 255 / w) as u8,
            (y * 255 / h) as u8,
            ((x + y) % 256) as u8,
        ])
    }))
}

fn encode(img: &DynamicImage, format: ImageFormat) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    img.write_to(&mut out, format).expect("encode test image");
    out.into_inner()
}

fn jpeg(w: u32, h: u32) -> Vec<u8> {
    encode(&picture(w, h), ImageFormat::Jpeg)
}

/// A JPEG with an EXIF APP1 segment holding GPS tags right after SOI.
fn jpeg_with_gps(w: u32, h: u32) -> Vec<u8> {
    let plain = jpeg(w, h);
    let mut exif = b"Exif\0\0MM\0\x2a\0\0\0\x08\0\0\0\0\0\0".to_vec();
    exif.extend_from_slice(b"GPSLatitude 53.9045 N GPSLongitude 27.5615 E");
    let len = (exif.len() + 2) as u16;
    let mut out = plain[..2].to_vec();
    out.extend_from_slice(&[0xFF, 0xE1]);
    out.extend_from_slice(&len.to_be_bytes());
    out.extend_from_slice(&exif);
    out.extend_from_slice(&plain[2..]);
    out
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 == 1 {
                (c >> 1) ^ 0xEDB8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}

fn png_chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    out.extend_from_slice(&(data.len() as u32).to_be_bytes());
    let mut typed = kind.to_vec();
    typed.extend_from_slice(data);
    out.extend_from_slice(&typed);
    out.extend_from_slice(&crc32(&typed).to_be_bytes());
}

/// A tiny PNG whose (valid) header claims `w` x `h` pixels.
fn png_claiming(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 2, 0, 0, 0]);
    png_chunk(&mut out, b"IHDR", &ihdr);
    png_chunk(
        &mut out,
        b"IDAT",
        &[0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
    );
    png_chunk(&mut out, b"IEND", &[]);
    out
}

fn widths(item: &Value, mime: &str) -> Vec<u64> {
    item["variants"]
        .as_array()
        .expect("variants")
        .iter()
        .filter(|v| v["mime"] == mime)
        .map(|v| v["width"].as_u64().expect("width"))
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

both_backends!(
    async fn each_format_uploads_with_variants_that_are_never_upscaled(app) {
        let key = app.key("editor").await;
        let res = upload(
            &app,
            &key,
            multipart(&jpeg(1600, 900), "view.jpg", "image/jpeg", &[("alt", "A view"), ("credit", "Test desk")]),
        )
        .await;
        assert_eq!(res.status, 201, "{}", res.text());
        let item = res.json();
        let id = item["id"].as_i64().unwrap();
        assert_eq!(res.header("location"), Some(format!("/v1/media/{id}")));
        assert_eq!((item["width"].as_u64(), item["height"].as_u64()), (Some(1600), Some(900)));
        assert_eq!(item["mime"], "image/jpeg");
        assert_eq!(item["alt"], "A view");
        assert_eq!(item["credit"], "Test desk");
        assert!(item["caption"].is_null());
        assert!(item["bytes"].as_u64().unwrap() > 0);
        assert!(item["url"].as_str().unwrap().starts_with("/media/"));
        assert_eq!(widths(&item, "image/webp"), [320, 640, 1280]);
        assert_eq!(widths(&item, "image/jpeg"), [320, 640, 1280]);
        let v320 = &item["variants"][0];
        assert_eq!(v320["height"], 180);
        for v in item["variants"].as_array().unwrap() {
            let file = app.get(v["url"].as_str().unwrap()).await;
            assert_eq!(file.status, 200);
            assert_eq!(file.header("content-type").as_deref(), v["mime"].as_str());
            let decoded = image::load_from_memory(&file.body).expect("variant decodes");
            assert_eq!(u64::from(decoded.width()), v["width"].as_u64().unwrap());
        }

        // PNG with alpha, 700 wide: 320 and 640 only, as WebP and PNG.
        let png = encode(
            &DynamicImage::ImageRgba8(RgbaImage::from_fn(700, 400, |x, _| Rgba([9, 99, 199, (x % 256) as u8]))),
            ImageFormat::Png,
        );
        let res = upload(&app, &key, multipart(&png, "logo.png", "image/png", &[])).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let item = res.json();
        assert_eq!(item["mime"], "image/png");
        assert_eq!(item["alt"], "");
        assert_eq!(widths(&item, "image/webp"), [320, 640]);
        assert_eq!(widths(&item, "image/png"), [320, 640]);

        // WebP, 500 wide: one 320 variant, WebP only (it is the original's format).
        let webp = encode(&picture(500, 300), ImageFormat::WebP);
        let res = upload(&app, &key, multipart(&webp, "x.webp", "image/webp", &[])).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let item = res.json();
        assert_eq!(item["mime"], "image/webp");
        assert_eq!(widths(&item, "image/webp"), [320]);
        assert_eq!(item["variants"].as_array().unwrap().len(), 1);

        // Narrower than every variant width: no variants at all.
        let res = upload(&app, &key, multipart(&jpeg(300, 200), "s.jpg", "image/jpeg", &[])).await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(res.json()["variants"], json!([]));

        // The list shows all four, newest first; one item reads back the same.
        let list = app.get_as("/v1/media?limit=2", &key).await;
        assert_eq!(list.status, 200);
        let l = list.json();
        assert_eq!(l["meta"]["total"].as_i64().unwrap(), 4 + demo_media_count(&app).await);
        assert_eq!(l["data"].as_array().unwrap().len(), 2);
        assert!(l["meta"]["next_cursor"].is_string());
        let got = app.get_as(&format!("/v1/media/{id}"), &key).await;
        assert_eq!(got.status, 200);
        assert_eq!(got.json()["variants"].as_array().unwrap().len(), 6);
    }
);

/// Media items the demo content brought (placeholders).
async fn demo_media_count(app: &TestApp) -> i64 {
    let key = app.key("editor").await;
    let l = app.get_as("/v1/media?limit=100&q=placeholder", &key).await;
    l.json()["meta"]["total"].as_i64().unwrap()
}

both_backends!(
    async fn bad_files_are_refused_with_clear_problems(app) {
        let key = app.key("editor").await;
        // A GIF named and declared as JPEG: the bytes decide, 415.
        let gif = b"GIF89a\x01\x00\x01\x00\x80\x00\x00\x00\x00\x00\xff\xff\xff!\xf9\x04\x01\x00\x00\x00\x00,\x00\x00\x00\x00\x01\x00\x01\x00\x00\x02\x02D\x01\x00;";
        let res = upload(&app, &key, multipart(gif, "photo.jpg", "image/jpeg", &[])).await;
        res.problem(415);

        // JPEG magic followed by garbage: 422 naming the file.
        let mut corrupt = vec![0xFF, 0xD8, 0xFF, 0xE0];
        corrupt.extend(std::iter::repeat_n(0x42u8, 2000));
        let p = upload(&app, &key, multipart(&corrupt, "c.jpg", "image/jpeg", &[])).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "file");

        // A decompression bomb: a PNG header claiming 100000 x 100000 pixels.
        let p = upload(&app, &key, multipart(&png_claiming(100_000, 100_000), "b.png", "image/png", &[]))
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], "file");
        // Within the per-side limit but over 50 megapixels.
        let p = upload(&app, &key, multipart(&png_claiming(10_000, 10_000), "b.png", "image/png", &[]))
            .await
            .problem(422);
        assert!(p["errors"][0]["message"].as_str().unwrap().contains("megapixels"), "{p}");

        // Over BELPORTAL_MEDIA_MAX_BYTES (10 MiB by default): 413.
        let mut big = jpeg(16, 16);
        big.resize(10 * 1024 * 1024 + 1, 0);
        upload(&app, &key, multipart(&big, "big.jpg", "image/jpeg", &[])).await.problem(413);

        // Not multipart: 415. No file part: 422. Unknown part: 422. No key: 401.
        let res = app.post("/v1/media", &key, json!({"alt": "x"})).await;
        res.problem(415);
        let body = format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"alt\"\r\n\r\nx\r\n--{BOUNDARY}--\r\n");
        let p = upload(&app, &key, body.into_bytes()).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "file");
        let p = upload(&app, &key, multipart(&jpeg(8, 8), "a.jpg", "image/jpeg", &[("title", "x")]))
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], "title");
        let long_alt = "a".repeat(501);
        let p = upload(&app, &key, multipart(&jpeg(8, 8), "a.jpg", "image/jpeg", &[("alt", &long_alt)]))
            .await
            .problem(422);
        assert_eq!(p["errors"][0]["field"], "alt");
        let res = app
            .send(
                TestRequest::post()
                    .uri("/v1/media")
                    .insert_header(("Content-Type", format!("multipart/form-data; boundary={BOUNDARY}")))
                    .set_payload(multipart(&jpeg(8, 8), "a.jpg", "image/jpeg", &[])),
            )
            .await;
        res.problem(401);
        // Nothing was stored by any of these.
        assert_eq!(app.get_as("/v1/media", &key).await.json()["meta"]["total"].as_i64().unwrap(), demo_media_count(&app).await);
    }
);

both_backends!(
    async fn exif_gps_never_reaches_a_reader(app) {
        let key = app.key("editor").await;
        let original = jpeg_with_gps(900, 600);
        assert!(contains(&original, b"GPS"));
        let res = upload(&app, &key, multipart(&original, "gps.jpg", "image/jpeg", &[])).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let item = res.json();
        let mut urls = vec![item["url"].as_str().unwrap().to_string()];
        for v in item["variants"].as_array().unwrap() {
            urls.push(v["url"].as_str().unwrap().to_string());
        }
        assert_eq!(urls.len(), 5);
        for u in urls {
            let file = app.get(&u).await;
            assert_eq!(file.status, 200);
            assert!(!contains(&file.body, b"GPS"), "{u} carries GPS data");
            assert!(!contains(&file.body, b"Exif"), "{u} carries EXIF");
        }
    }
);

both_backends!(
    async fn files_are_served_immutable_with_etag_304_and_ranges(app) {
        let key = app.key("editor").await;
        let item = upload(&app, &key, multipart(&jpeg(800, 600), "a.jpg", "image/jpeg", &[])).await.json();
        let url = item["url"].as_str().unwrap().to_string();
        let hash = url.trim_start_matches("/media/").trim_end_matches(".jpg").to_string();
        let full = app.get(&url).await;
        assert_eq!(full.status, 200);
        assert_eq!(full.header("content-type").as_deref(), Some("image/jpeg"));
        assert_eq!(full.header("cache-control").as_deref(), Some("public, max-age=31536000, immutable"));
        assert_eq!(full.header("etag"), Some(format!("\"{hash}\"")));
        assert_eq!(full.header("accept-ranges").as_deref(), Some("bytes"));
        assert_eq!(full.body.len() as u64, item["bytes"].as_u64().unwrap());
        // The name is the SHA-256 of the served bytes.
        use sha2::Digest;
        let digest: String = sha2::Sha256::digest(&full.body).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(digest, hash);

        let res = app
            .send(TestRequest::get().uri(&url).insert_header(("If-None-Match", format!("\"{hash}\""))))
            .await;
        assert_eq!(res.status, 304);
        assert!(res.body.is_empty());
        assert_eq!(res.header("etag"), Some(format!("\"{hash}\"")));

        let res = app.send(TestRequest::get().uri(&url).insert_header(("Range", "bytes=0-99"))).await;
        assert_eq!(res.status, 206);
        assert_eq!(res.body.len(), 100);
        assert_eq!(&res.body[..], &full.body[..100]);
        assert_eq!(res.header("content-range"), Some(format!("bytes 0-99/{}", full.body.len())));
        let res = app.send(TestRequest::get().uri(&url).insert_header(("Range", "bytes=-10"))).await;
        assert_eq!(res.status, 206);
        assert_eq!(&res.body[..], &full.body[full.body.len() - 10..]);
        // If-Range with another validator: the whole file.
        let res = app
            .send(
                TestRequest::get()
                    .uri(&url)
                    .insert_header(("Range", "bytes=0-9"))
                    .insert_header(("If-Range", "\"other\"")),
            )
            .await;
        assert_eq!(res.status, 200);
        let res = app
            .send(TestRequest::get().uri(&url).insert_header(("Range", format!("bytes={}-", full.body.len()))))
            .await;
        res.problem(416);
        assert_eq!(res.header("content-range"), Some(format!("bytes */{}", full.body.len())));

        // Unknown names, other names and traversal attempts are 404 problems.
        app.get(&format!("/media/{}.jpg", "0".repeat(64))).await.problem(404);
        app.get(&format!("/media/{hash}.gif")).await.problem(404);
        app.get("/media/..%2F..%2Fetc%2Fpasswd").await.problem(404);
        app.get("/media/.incoming").await.problem(404);
        let head = app.send(TestRequest::default().method(actix_web::http::Method::HEAD).uri(&url)).await;
        assert_eq!(head.status, 200);
    }
);

both_backends!(
    async fn content_references_media_and_a_used_item_cannot_be_deleted(app) {
        let key = app.key("editor").await;
        let item = upload(
            &app,
            &key,
            multipart(&jpeg(1000, 500), "mir.jpg", "image/jpeg", &[("alt", "Mir Castle"), ("caption", "At dusk")]),
        )
        .await
        .json();
        let mid = item["id"].as_i64().unwrap();
        let article = json!({
            "slug": "mir-castle-photo", "section": "culture", "title": "Mir at dusk",
            "publication_status": "published",
            "image": {"media": mid, "credit": "Photo desk"}
        });
        let res = app.post("/v1/articles", &key, article.clone()).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let a = res.json();
        let aid = a["id"].as_i64().unwrap();
        let img = &a["image"];
        assert_eq!(img["media"], mid);
        assert_eq!(img["url"], item["url"]);
        assert_eq!((img["width"].as_u64(), img["height"].as_u64()), (Some(1000), Some(500)));
        assert_eq!(img["alt"], "Mir Castle", "alt defaults to the media item's");
        assert_eq!(img["caption"], "At dusk");
        assert_eq!(img["credit"], "Photo desk");
        assert_eq!(img["variants"], item["variants"]);
        assert_eq!(app.get("/v1/articles/mir-castle-photo").await.json()["image"], *img);

        // An unknown media id is a 422 naming the field; so is media with url.
        let mut bad = article.clone();
        bad["slug"] = json!("other-photo");
        bad["image"] = json!({"media": 999999});
        let p = app.post("/v1/articles", &key, bad.clone()).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "image.media", "{p}");
        bad["image"] = json!({"media": mid, "url": "https://e.org/x.jpg"});
        let p = app.post("/v1/articles", &key, bad).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "image.url", "{p}");

        // A place's gallery uses it too.
        let site = json!({
            "slug": "mir-gallery", "name": "Mir", "region": "grodno", "category": "castle",
            "gallery": [{"media": mid}, {"url": "https://e.org/y.jpg", "alt": "y"}]
        });
        let res = app.post("/v1/tourist-sites", &key, site).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let sid = res.json()["id"].as_i64().unwrap();
        assert_eq!(res.json()["gallery"][0]["media"], mid);
        assert!(res.json()["gallery"][1].get("variants").is_none(), "external images are unchanged");

        // While used: 409 listing the users.
        let p = app.delete(&format!("/v1/media/{mid}"), &key).await.problem(409);
        assert_eq!(
            p["used_by"],
            json!([
                {"type": "article", "id": aid, "slug": "mir-castle-photo"},
                {"type": "tourist_site", "id": sid, "slug": "mir-gallery"}
            ])
        );
        assert!(p["detail"].as_str().unwrap().contains("mir-castle-photo"));

        // A merge patch of the alt keeps the media reference.
        let res = app.patch(&format!("/v1/articles/{aid}"), &key, json!({"image": {"alt": "Mir, west front"}})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["image"]["media"], mid);
        assert_eq!(res.json()["image"]["alt"], "Mir, west front");

        // The article drops it, the place is deleted: the media item can go.
        let res = app.patch(&format!("/v1/articles/{aid}"), &key, json!({"image": null})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        let p = app.delete(&format!("/v1/media/{mid}"), &key).await.problem(409);
        assert_eq!(p["used_by"].as_array().unwrap().len(), 1);
        assert_eq!(app.delete(&format!("/v1/tourist-sites/{sid}"), &key).await.status, 204);
        let res = app.delete(&format!("/v1/media/{mid}"), &key).await;
        assert_eq!(res.status, 204, "{}", res.text());
        app.get_as(&format!("/v1/media/{mid}"), &key).await.problem(404);
        app.get(item["url"].as_str().unwrap()).await.problem(404);
        app.get(item["variants"][0]["url"].as_str().unwrap()).await.problem(404);
    }
);

both_backends!(
    async fn media_texts_are_patched_by_editors_only(app) {
        let key = app.key("editor").await;
        let item = upload(&app, &key, multipart(&jpeg(64, 64), "a.jpg", "image/jpeg", &[("caption", "Old")])).await.json();
        let uri = format!("/v1/media/{}", item["id"]);
        let res = app.patch(&uri, &key, json!({"alt": "New alt", "caption": null})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(res.json()["alt"], "New alt");
        assert!(res.json()["caption"].is_null());
        assert_eq!(res.json()["url"], item["url"]);
        let p = app.patch(&uri, &key, json!({"width": 5})).await.problem(422);
        assert_eq!(p["errors"][0]["field"], "width");
        let res = app.send(TestRequest::patch().uri(&uri).set_json(json!({"alt": "x"}))).await;
        res.problem(401);
        app.patch("/v1/media/999999", &key, json!({"alt": "x"})).await.problem(404);
        app.delete("/v1/media/999999", &key).await.problem(404);
    }
);

both_backends!(
    async fn every_demo_image_resolves_to_a_stored_file(app) {
        for list in ["/v1/articles?limit=100", "/v1/tourist-sites?limit=100", "/v1/events?limit=100", "/v1/souvenirs?limit=100"] {
            let l = app.get(list).await.json();
            let data = l["data"].as_array().unwrap();
            assert!(!data.is_empty(), "{list}");
            for item in data {
                let img = &item["image"];
                let url = img["url"].as_str().expect("demo items have images");
                assert!(url.starts_with("/media/"), "{url}");
                assert!(!img["variants"].as_array().unwrap().is_empty());
            }
        }
        let a = app.get("/v1/articles?limit=1").await.json();
        let img = &a["data"][0]["image"];
        assert_eq!(app.get(img["url"].as_str().unwrap()).await.status, 200);
        assert_eq!(app.get(img["variants"][0]["url"].as_str().unwrap()).await.status, 200);
        let site = app.get("/v1/tourist-sites/mir-castle").await.json();
        for g in site["gallery"].as_array().unwrap() {
            assert_eq!(app.get(g["url"].as_str().unwrap()).await.status, 200);
        }
    }
);

/// Times the upload of a 12-megapixel camera JPEG (decode, three variant
/// widths in two formats, storage); printed for the record (`--nocapture`).
#[actix_web::test]
async fn a_twelve_megapixel_jpeg_gets_all_three_variant_widths() {
    let app = TestApp::empty(common::Kind::Sqlite).await.expect("sqlite");
    let key = app.key("editor").await;
    use belportal::media::process::{encode, render_placeholder, Format};
    let photo = encode(&render_placeholder(1, 4000, 3000), Format::Jpeg, 92).expect("encode");
    let body = multipart(&photo, "camera.jpg", "image/jpeg", &[]);
    let started = std::time::Instant::now();
    let res = upload(&app, &key, body).await;
    let took = started.elapsed();
    assert_eq!(res.status, 201, "{}", res.text());
    let item = res.json();
    assert_eq!(widths(&item, "image/jpeg"), [320, 640, 1280]);
    assert_eq!(widths(&item, "image/webp"), [320, 640, 1280]);
    assert_eq!(item["variants"][4]["height"], 960);
    eprintln!("12 MP JPEG upload with variants: {took:?}");
}
