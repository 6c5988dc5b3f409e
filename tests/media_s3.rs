#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! Media on an S3-compatible store (`BELPORTAL_MEDIA_URL=s3://...`), against
//! the real server `scripts/s3.sh` starts (moto; runs when TEST_S3_ENDPOINT is
//! set, as `.ci/run` does): uploads, variants, ranged and conditional reads,
//! deletion, the sweep, the demo images, export/import, and two nodes sharing
//! the bucket. Each test works under its own key prefix and removes it.
//! The redirect to `BELPORTAL_MEDIA_PUBLIC_URL` needs no server.

mod common;

use std::sync::Arc;
use std::time::Duration;

use actix_web::test::TestRequest;
use actix_web::web;
use belportal::config::S3Settings;
use belportal::media::object::{remove_all, ObjectMediaStore};
use belportal::media::process::{encode, render_placeholder, Format};
use belportal::media::storage::MediaStore;
use common::{FreshDb, Kind, Resp, TestApp};
use serde_json::Value;

const BOUNDARY: &str = "belportal-s3-boundary";

/// The test server's bucket under a new prefix, or None (with a note) when
/// TEST_S3_ENDPOINT is unset.
fn s3_settings() -> Option<S3Settings> {
    let Some(endpoint) = std::env::var("TEST_S3_ENDPOINT")
        .ok()
        .filter(|v| !v.is_empty())
    else {
        eprintln!("TEST_S3_ENDPOINT unset: not run (scripts/s3.sh start)");
        return None;
    };
    Some(S3Settings {
        bucket: std::env::var("TEST_S3_BUCKET").unwrap_or_else(|_| "belportal-test".into()),
        prefix: format!("t-{}/media", uuid::Uuid::new_v4().simple()),
        allow_http: endpoint.starts_with("http://"),
        endpoint: Some(endpoint),
        region: Some("us-east-1".into()),
        access_key_id: Some("test".into()),
        secret_access_key: Some("test".into()),
        session_token: None,
    })
}

/// The objects of one test's prefix, removed when it ends (passed or not).
struct Prefix {
    settings: S3Settings,
    store: ObjectMediaStore,
}

impl Prefix {
    fn new() -> Option<Prefix> {
        let settings = s3_settings()?;
        let store = ObjectMediaStore::connect(&settings).expect("the S3 test server answers");
        Some(Prefix { settings, store })
    }

    /// Names of every media object under the prefix.
    fn names(&self) -> Vec<String> {
        self.store.stored_older_than(Duration::ZERO).unwrap()
    }
}

impl Drop for Prefix {
    fn drop(&mut self) {
        let _ = remove_all(&self.store);
    }
}

/// A node on `db` storing media under `prefix` (migrated, demo as asked).
async fn node(db: &FreshDb, prefix: &Prefix, demo: bool) -> TestApp {
    let mut config = db.config();
    config.media_s3 = Some(prefix.settings.clone());
    config.demo = demo;
    let state = web::block(move || belportal::startup::prepare(config))
        .await
        .unwrap()
        .expect("a node on the S3 store starts");
    db.app(state)
}

fn png(picture: usize) -> Vec<u8> {
    encode(&render_placeholder(picture, 900, 500), Format::Png, 0).unwrap()
}

async fn upload(app: &TestApp, key: &str, file: &[u8]) -> Value {
    let mut body = format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let res = app
        .send(
            TestRequest::post()
                .uri("/v1/media")
                .insert_header(("Authorization", format!("Bearer {key}")))
                .insert_header((
                    "Content-Type",
                    format!("multipart/form-data; boundary={BOUNDARY}"),
                ))
                .set_payload(body),
        )
        .await;
    assert_eq!(res.status, 201, "{}", res.text());
    res.json()
}

/// The stored file names of an item: the original, then the variants.
fn file_names(item: &Value) -> Vec<String> {
    std::iter::once(&item["url"])
        .chain(
            item["variants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| &v["url"]),
        )
        .map(|u| {
            u.as_str()
                .unwrap()
                .trim_start_matches("/media/")
                .to_string()
        })
        .collect()
}

async fn get_with(app: &TestApp, uri: &str, header: (&str, &str)) -> Resp {
    app.send(TestRequest::get().uri(uri).insert_header(header))
        .await
}

/// Both database backends for a test `async fn(Kind)`.
macro_rules! on_both {
    ($name:ident) => {
        mod $name {
            #[actix_web::test]
            async fn on_sqlite() {
                super::$name(super::Kind::Sqlite).await
            }
            #[actix_web::test]
            async fn on_postgres() {
                super::$name(super::Kind::Postgres).await
            }
        }
    };
}

/// The prefix and a fresh database, or None when S3 or PostgreSQL is not configured.
fn setup(kind: Kind) -> Option<(Prefix, FreshDb)> {
    let prefix = Prefix::new()?;
    let Some(db) = FreshDb::new(kind) else {
        eprintln!("TEST_POSTGRES_URL unset: PostgreSQL variant not run");
        return None;
    };
    Some((prefix, db))
}

async fn uploads_are_served_from_the_bucket_with_etag_304_and_ranges(kind: Kind) {
    let Some((prefix, db)) = setup(kind) else {
        return;
    };
    let app = node(&db, &prefix, false).await;
    let key = app.key("editor").await;
    let item = upload(&app, &key, &png(1)).await;
    let names = file_names(&item);
    assert_eq!(names.len(), 5, "the original and four variants: {item}");
    // Every file is an object of the bucket, under the prefix.
    let mut stored = prefix.names();
    stored.sort();
    let mut expected = names.clone();
    expected.sort();
    assert_eq!(stored, expected);

    let url = item["url"].as_str().unwrap();
    let full = app.get(url).await;
    assert_eq!(full.status, 200);
    let bytes = prefix.store.get(&names[0]).unwrap().unwrap();
    assert_eq!(full.body.as_ref(), bytes.as_slice(), "the stored bytes");
    assert_eq!(full.header("content-type").as_deref(), Some("image/png"));
    assert_eq!(full.header("accept-ranges").as_deref(), Some("bytes"));
    let etag = full.header("etag").unwrap();
    assert_eq!(etag, format!("\"{}\"", names[0].trim_end_matches(".png")));

    let cached = get_with(&app, url, ("If-None-Match", &etag)).await;
    assert_eq!(cached.status, 304);
    assert!(cached.body.is_empty());

    let len = bytes.len();
    let part = get_with(&app, url, ("Range", "bytes=10-1033")).await;
    assert_eq!(part.status, 206);
    assert_eq!(part.body.as_ref(), &bytes[10..1034]);
    let range = format!("bytes 10-1033/{len}");
    assert_eq!(part.header("content-range"), Some(range));
    let tail = get_with(&app, url, ("Range", "bytes=-7")).await;
    assert_eq!(tail.status, 206);
    assert_eq!(tail.body.as_ref(), &bytes[len - 7..]);
    let outside = get_with(&app, url, ("Range", &format!("bytes={len}-"))).await;
    assert_eq!(outside.status, 416);

    for v in item["variants"].as_array().unwrap() {
        let res = app.get(v["url"].as_str().unwrap()).await;
        assert_eq!(res.status, 200, "variant {v}");
        assert_eq!(res.header("content-type").as_deref(), v["mime"].as_str());
    }
    let missing = format!("/media/{}.png", "c".repeat(64));
    assert_eq!(app.get(&missing).await.status, 404);
}
on_both!(uploads_are_served_from_the_bucket_with_etag_304_and_ranges);

async fn deleting_a_media_item_removes_its_objects(kind: Kind) {
    let Some((prefix, db)) = setup(kind) else {
        return;
    };
    let app = node(&db, &prefix, false).await;
    let key = app.key("editor").await;
    let item = upload(&app, &key, &png(2)).await;
    let names = file_names(&item);
    assert_eq!(prefix.names().len(), names.len());
    let id = item["id"].as_i64().unwrap();
    assert_eq!(
        app.delete(&format!("/v1/media/{id}"), &key).await.status,
        204
    );
    for n in &names {
        assert!(!prefix.store.exists(n).unwrap(), "{n} left in the bucket");
        assert_eq!(app.get(&format!("/media/{n}")).await.status, 404);
    }
    assert!(prefix.names().is_empty());
}
on_both!(deleting_a_media_item_removes_its_objects);

async fn a_second_node_on_the_bucket_serves_files_uploaded_on_the_first(kind: Kind) {
    let Some((prefix, db)) = setup(kind) else {
        return;
    };
    let a = node(&db, &prefix, false).await;
    let b = node(&db, &prefix, false).await;
    let key = a.key("editor").await;
    let item = upload(&a, &key, &png(3)).await;
    for n in file_names(&item) {
        let (on_a, on_b) = (
            a.get(&format!("/media/{n}")).await,
            b.get(&format!("/media/{n}")).await,
        );
        assert_eq!(on_b.status, 200, "{n} uploaded on A is served by B");
        assert_eq!(on_a.body, on_b.body);
        assert_eq!(on_a.header("etag"), on_b.header("etag"));
    }
    // A deletion on B removes the files A serves.
    let id = item["id"].as_i64().unwrap();
    assert_eq!(b.delete(&format!("/v1/media/{id}"), &key).await.status, 204);
    let url = item["url"].as_str().unwrap();
    assert_eq!(a.get(url).await.status, 404);
}
on_both!(a_second_node_on_the_bucket_serves_files_uploaded_on_the_first);

async fn import(app: &TestApp, key: String, body: String) -> Resp {
    app.send(
        TestRequest::post()
            .uri("/v1/admin/import")
            .insert_header(("Authorization", format!("Bearer {key}")))
            .insert_header(("Content-Type", "application/x-ndjson"))
            .set_payload(body),
    )
    .await
}

async fn export_and_import_round_trip_with_media_on_s3(kind: Kind) {
    let Some((prefix, db)) = setup(kind) else {
        return;
    };
    let a = node(&db, &prefix, false).await;
    let editor = a.key("editor").await;
    let admin = a.key("admin").await;
    let item = upload(&a, &editor, &png(4)).await;
    let export = a.get_as("/v1/admin/export", &admin).await;
    assert_eq!(export.status, 200, "{}", export.text());
    let ndjson = export.text();
    assert!(ndjson.contains(&file_names(&item)[0]), "{ndjson}");

    // Another database on the same bucket: the files are there already.
    let kind2 = if a.backend.is_sqlite() {
        Kind::Sqlite
    } else {
        Kind::Postgres
    };
    let db2 = FreshDb::new(kind2).unwrap();
    let b = node(&db2, &prefix, false).await;
    let admin_b = b.key("admin").await;
    let res = import(&b, admin_b.clone(), ndjson.clone()).await;
    assert_eq!(res.status, 200, "{}", res.text());
    assert_eq!(res.json()["created"], 1);
    let list = b.get_as("/v1/media", &admin_b).await;
    assert_eq!(list.status, 200, "{}", list.text());
    let imported = &list.json()["data"][0];
    assert_eq!(imported["url"], item["url"]);
    assert_eq!(imported["variants"], item["variants"]);
    assert_eq!(b.get(item["url"].as_str().unwrap()).await.status, 200);

    // A store without the files (another prefix) refuses the media line.
    let Some(empty) = Prefix::new() else { return };
    let db3 = FreshDb::new(if b.backend.is_sqlite() {
        Kind::Sqlite
    } else {
        Kind::Postgres
    })
    .unwrap();
    let c = node(&db3, &empty, false).await;
    let admin_c = c.key("admin").await;
    let res = import(&c, admin_c, ndjson).await;
    assert_eq!(res.status, 422, "{}", res.text());
    assert!(
        res.text().contains("is not in the media store"),
        "{}",
        res.text()
    );
}
on_both!(export_and_import_round_trip_with_media_on_s3);

async fn the_sweep_removes_unreferenced_objects_only(kind: Kind) {
    let Some((prefix, db)) = setup(kind) else {
        return;
    };
    let app = node(&db, &prefix, false).await;
    let key = app.key("editor").await;
    let used = file_names(&upload(&app, &key, &png(5)).await);
    let orphan = format!("{}.webp", "d".repeat(64));
    prefix.store.put(&orphan, b"left behind").unwrap();
    let store: Arc<dyn MediaStore> = app.state.media.clone();
    // Young objects are never swept.
    let s = store.clone();
    let swept = app
        .with_conn(move |c| {
            belportal::media::sweep::sweep(c, s.as_ref(), Duration::from_secs(3600)).unwrap()
        })
        .await;
    assert_eq!(swept.stored_files, 0);
    let swept = app
        .with_conn(move |c| {
            belportal::media::sweep::sweep(c, store.as_ref(), Duration::ZERO).unwrap()
        })
        .await;
    assert_eq!(swept.stored_files, 1);
    assert!(!prefix.store.exists(&orphan).unwrap());
    for n in &used {
        assert!(prefix.store.exists(n).unwrap(), "{n} is referenced");
    }
}
on_both!(the_sweep_removes_unreferenced_objects_only);

async fn demo_images_are_stored_in_the_bucket(kind: Kind) {
    let Some((prefix, db)) = setup(kind) else {
        return;
    };
    let app = node(&db, &prefix, true).await;
    assert!(!prefix.names().is_empty(), "the demo put its images");
    let a = app.get("/v1/articles?limit=1").await.json();
    let img = &a["data"][0]["image"];
    for url in [&img["url"], &img["variants"][0]["url"]] {
        let url = url.as_str().expect("demo articles have images");
        let res = app.get(url).await;
        assert_eq!(res.status, 200, "{url}");
        let name = url.trim_start_matches("/media/");
        assert!(
            prefix.store.exists(name).unwrap(),
            "{name} is in the bucket"
        );
    }
    // A second node on the same database and bucket starts and serves them.
    let b = node(&db, &prefix, true).await;
    assert_eq!(b.get(img["url"].as_str().unwrap()).await.status, 200);
}
on_both!(demo_images_are_stored_in_the_bucket);

#[actix_web::test]
async fn a_bucket_that_does_not_exist_stops_the_start() {
    let Some(mut settings) = s3_settings() else {
        return;
    };
    settings.bucket = format!("no-such-bucket-{}", uuid::Uuid::new_v4().simple());
    let e = ObjectMediaStore::connect(&settings).unwrap_err();
    assert!(e.contains("does not answer"), "{e}");
    assert!(e.contains(&settings.bucket), "{e}");
}

both_backends!(
    config = |c| c.media_public_url = Some("https://cdn.example.org/portal-media".into()),
    async fn media_files_redirect_to_the_public_url(app) {
        let name = format!("{}.jpg", "e".repeat(64));
        let res = app.get(&format!("/media/{name}")).await;
        assert_eq!(res.status, 307);
        assert_eq!(
            res.header("location"),
            Some(format!("https://cdn.example.org/portal-media/{name}"))
        );
        assert!(res.header("cache-control").unwrap().contains("max-age"));
        assert_eq!(app.get("/media/..%2Fsecret.jpg").await.status, 404);
        assert_eq!(app.get(&format!("/media/{}.gif", "e".repeat(64))).await.status, 404);
    }
);
