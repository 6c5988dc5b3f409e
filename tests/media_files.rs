#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The media files' lifecycle: a deletion removes files only after its
//! transaction commits, and the sweep removes temporary files and
//! unreferenced stored files older than an hour, never a referenced or young one.

mod common;

use std::path::Path;
use std::time::{Duration, SystemTime};

use belportal::media::process::{process_pixels, render_placeholder, Format};
use belportal::media::{self, sweep, MediaText};
use diesel::Connection;

use common::TestApp;

/// A new media item (inserted as an upload would be) and its file names.
async fn media_item(app: &TestApp, picture: usize) -> (i64, Vec<String>) {
    let store = app.state.media.clone();
    app.with_conn(move |c| {
        let p = process_pixels(render_placeholder(picture, 700, 400), Format::Png).unwrap();
        let names = std::iter::once(&p.original)
            .chain(&p.variants)
            .map(|r| r.name.clone())
            .collect();
        let text = MediaText::default();
        let id = media::insert_media(c, store.as_ref(), &p, &text, belportal::db::now()).unwrap();
        (id, names)
    })
    .await
}

fn age(path: &Path, by: Duration) {
    let f = std::fs::File::options().write(true).open(path).unwrap();
    f.set_modified(SystemTime::now() - by).unwrap();
}

both_backends!(
    async fn files_of_a_deleted_media_item_go_only_after_the_commit(app) {
        let key = app.key("editor").await;
        let (id, names) = media_item(&app, 2).await;
        // A deletion whose transaction rolls back leaves every file in place.
        app.with_conn(move |c| {
            let r: Result<(), diesel::result::Error> = c.transaction(|c| {
                let gone = media::delete_media(c, id).unwrap();
                assert_eq!(gone.len(), 5, "original and four variants");
                Err(diesel::result::Error::RollbackTransaction)
            });
            assert!(r.is_err());
        })
        .await;
        assert_eq!(app.get_as(&format!("/v1/media/{id}"), &key).await.status, 200);
        for n in &names {
            assert_eq!(app.get(&format!("/media/{n}")).await.status, 200, "{n} survived the rollback");
        }
        // A committed deletion removes them.
        assert_eq!(app.delete(&format!("/v1/media/{id}"), &key).await.status, 204);
        for n in &names {
            assert_eq!(app.get(&format!("/media/{n}")).await.status, 404, "{n} is gone");
        }
    }
);

both_backends!(
    async fn the_sweep_removes_stale_temp_and_unreferenced_files_only(app) {
        let (_, used) = media_item(&app, 3).await;
        let dir = app.state.config.media_dir.clone();
        let old = Duration::from_secs(2 * 3600);
        let orphan = format!("{}.png", "a".repeat(64));
        let young_orphan = format!("{}.png", "b".repeat(64));
        std::fs::create_dir_all(dir.join(".incoming")).unwrap();
        for f in [".tmpCrashed", ".incoming/spool-old", ".incoming/spool-new", &orphan, &young_orphan] {
            std::fs::write(dir.join(f), b"x").unwrap();
        }
        for f in [".tmpCrashed", ".incoming/spool-old", &orphan] {
            age(&dir.join(f), old);
        }
        for n in &used {
            age(&dir.join(n), old);
        }
        let store = app.state.media.clone();
        let swept = app
            .with_conn(move |c| sweep::sweep(c, store.as_ref(), sweep::MIN_AGE).unwrap())
            .await;
        assert_eq!(swept, sweep::Swept { temp_files: 2, stored_files: 1 });
        for gone in [".tmpCrashed", ".incoming/spool-old", &orphan] {
            assert!(!dir.join(gone).exists(), "{gone} swept");
        }
        for kept in [".incoming/spool-new", &young_orphan] {
            assert!(dir.join(kept).exists(), "{kept} is young");
        }
        for n in &used {
            assert!(dir.join(n).exists(), "{n} is referenced");
            assert_eq!(app.get(&format!("/media/{n}")).await.status, 200);
        }
    }
);

both_backends!(
    config = |c| c.media_decodes = 1,
    async fn uploads_wait_for_a_decode_permit(app) {
        let key = app.key("editor").await;
        let png = belportal::media::process::encode(&render_placeholder(4, 400, 300), Format::Png, 0).unwrap();
        let boundary = "decode-permit";
        let mut body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.png\"\r\nContent-Type: image/png\r\n\r\n"
        )
        .into_bytes();
        body.extend_from_slice(&png);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let upload = || {
            app.send(
                actix_web::test::TestRequest::post()
                    .uri("/v1/media")
                    .insert_header(("Authorization", format!("Bearer {key}")))
                    .insert_header(("Content-Type", format!("multipart/form-data; boundary={boundary}")))
                    .set_payload(body.clone()),
            )
        };
        // The only permit is taken (a decode in progress): the upload waits.
        let held = app.state.decodes.clone().try_acquire_owned().unwrap();
        let waiting = actix_web::rt::time::timeout(Duration::from_millis(700), upload()).await;
        assert!(waiting.is_err(), "the upload did not wait for the decode permit");
        drop(held);
        let res = upload().await;
        assert_eq!(res.status, 201, "{}", res.text());
        assert_eq!(app.state.decodes.available_permits(), 1, "the permit is given back");
    }
);
