#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The places' in-memory geo index: radius searches answered from it match
//! the SQL path (results, order, paging, totals, distances) on generated data,
//! and follow every place write at once.

mod common;
use common::ids;

use belportal::cache::Caches;
use belportal::db::geo::Area;
use belportal::db::AnyConnection;
use belportal::domain::{ContentStatus, Visibility};
use belportal::geo::{BBox, Point};
use belportal::http::list::CommonParams;
use belportal::paging::{ListParams, Page};
use belportal::resource::PlaceKind;
use belportal::resources::places::{list_places, near_page_without_index, PlaceFilter, PlaceRow};
use serde_json::{json, Value};
use std::collections::HashMap;

/// Generated places, made varied behind the API's back (before any index is
/// built): drafts, scheduled and archived places, translations in `be`/`ru`
/// of some groups, equal names and ranks (ties broken by id), no location.
const VARIETY: &str = "
    UPDATE places SET status = 'draft' WHERE id % 7 = 0;
    UPDATE places SET status = 'archived' WHERE id % 19 = 0;
    UPDATE places SET published_at = '2999-01-01 00:00:00' WHERE id % 11 = 0;
    UPDATE places SET published_at = NULL WHERE id % 29 = 0;
    UPDATE places SET locale = 'be', group_id = id - 1 WHERE id % 5 = 0 AND slug LIKE 'gen-%';
    UPDATE places SET locale = 'ru', group_id = id - 2 WHERE id % 5 = 1 AND slug LIKE 'gen-%';
    UPDATE places SET name = 'Same name' WHERE id % 13 = 0;
    UPDATE places SET rank_order = id % 40;
    UPDATE places SET lat = NULL, lon = NULL, geo_cell = NULL WHERE id % 31 = 0;
";

fn params(sort: &str, limit: usize, page: Option<usize>, cursor: Option<String>) -> ListParams {
    let common = CommonParams {
        limit: Some(limit.to_string()),
        page: page.map(|p| p.to_string()),
        cursor,
        sort: Some(sort.to_string()),
        ..Default::default()
    };
    ListParams::parse(&common, &["name", "rank", "distance"], "distance").unwrap()
}

type Answer = (Vec<i64>, i64, Option<String>, bool, Vec<(i64, f64)>);

/// A page as the list engine returns it, made comparable.
fn shape((page, d): (Page<PlaceRow>, HashMap<i64, f64>)) -> Answer {
    let ids: Vec<i64> = page.items.iter().map(|r| r.id).collect();
    let mut d: Vec<(i64, f64)> = d.into_iter().collect();
    d.sort_by_key(|x| x.0);
    (
        ids,
        page.total,
        page.next_key.map(|k| k.encode()),
        page.has_more,
        d,
    )
}

/// A page of each path: from the index (built on first use), and from SQL.
fn answers(
    conn: &mut AnyConnection,
    caches: &Caches,
    f: &PlaceFilter,
    p: &ListParams,
) -> (Answer, Answer) {
    let indexed = shape(list_places(conn, caches, f, p).unwrap());
    let sql = shape(near_page_without_index(conn, f, p).unwrap());
    (indexed, sql)
}

both_backends! {
    async fn radius_searches_from_the_index_match_the_sql_path(app) {
        app.with_conn(|c| belportal::demo::generate::generate_places(c, 3000, 11).unwrap()).await;
        app.exec(VARIETY).await;
        let compared = app
            .with_conn(|conn| {
                let caches = Caches::default();
                let now = belportal::db::now();
                let centres = [(53.9006, 27.5590), (52.0976, 23.7341), (55.19, 30.2), (51.0, 35.0)];
                let kinds = [vec![PlaceKind::TouristSite], PlaceKind::PLACES.to_vec()];
                let locales: [(&str, Vec<String>); 3] = [
                    ("en", vec![]),
                    ("be", vec!["be".into(), "en".into()]),
                    ("ru", vec!["ru".into(), "be".into(), "en".into()]),
                ];
                let vis = [
                    Visibility::Public,
                    Visibility::Any,
                    Visibility::Status(ContentStatus::Draft),
                ];
                let mut compared = 0;
                for (i, (lat, lon)) in centres.into_iter().enumerate() {
                    for radius in [3.0, 25.0, 100.0, 300.0] {
                        for (j, (locale, fallback)) in locales.iter().enumerate() {
                            let mut f = PlaceFilter {
                                kinds: kinds[(i + j) % 2].clone(),
                                vis: vis[(i + j + radius as usize) % 3],
                                locale: locale.to_string(),
                                fallback: fallback.clone(),
                                now,
                                area: Area {
                                    bbox: None,
                                    near: Some((Point { lat, lon }, radius)),
                                },
                                ..Default::default()
                            };
                            match (i + j) % 4 {
                                1 => f.region = Some("minsk-region".into()),
                                2 => f.category = Some("castle".into()),
                                3 => {
                                    f.area.bbox = Some(BBox { min_lat: 50.0, max_lat: lat, min_lon: lon - 0.5, max_lon: 40.0 })
                                }
                                _ => {}
                            }
                            for sort in ["distance", "-distance", "name", "-name", "rank", "-rank"] {
                                for page in [None, Some(1), Some(3)] {
                                    let p = params(sort, 7, page, None);
                                    let (a, b) = answers(conn, &caches, &f, &p);
                                    assert_eq!(a, b, "{f:?} sort={sort} page={page:?}");
                                    compared += 1;
                                }
                                // A few cursor steps.
                                let mut cursor = None;
                                for _ in 0..3 {
                                    let p = params(sort, 9, None, cursor.clone());
                                    let (a, b) = answers(conn, &caches, &f, &p);
                                    assert_eq!(a, b, "{f:?} sort={sort} cursor={cursor:?}");
                                    compared += 1;
                                    match a.2 {
                                        Some(next) => cursor = Some(next),
                                        None => break,
                                    }
                                }
                            }
                        }
                    }
                }
                compared
            })
            .await;
        assert!(compared > 1000, "{compared}");
    }
}

fn monument(slug: &str, lat: f64, lon: f64) -> Value {
    json!({
        "slug": slug, "name": format!("Monument {slug}"), "summary": "For the index tests.",
        "description_html": "<p>Granite.</p>", "region": "gomel",
        "location": {"lat": lat, "lon": lon}, "tags": [], "publication_status": "published",
        "kind": "obelisk", "year_unveiled": 1970, "commemorates": "Nobody in particular"
    })
}

both_backends! {
    async fn radius_searches_show_place_writes_at_once(app) {
        let key = app.key("editor").await;
        let near = "/v1/monuments?near=52.4,30.9&radius_km=2&sort=name";
        let nearby = "/v1/nearby?lat=52.4&lon=30.9&radius_km=2";
        // The indexes are built before the writes.
        assert!(ids(&app.get(near).await.json()).is_empty());
        assert!(ids(&app.get(nearby).await.json()).is_empty());

        let res = app.post("/v1/monuments", &key, monument("index-a", 52.4, 30.9)).await;
        assert_eq!(res.status, 201, "{}", res.text());
        let a = res.json()["id"].as_i64().unwrap();
        let b = app.post("/v1/monuments", &key, monument("index-b", 52.401, 30.9)).await.json()["id"].as_i64().unwrap();
        assert_eq!(ids(&app.get(near).await.json()), [a, b]);
        assert_eq!(ids(&app.get(nearby).await.json()), [a, b]);

        // A renamed place moves in the name order; a moved one leaves the circle.
        let res = app.patch(&format!("/v1/monuments/{b}"), &key, json!({"name": "A monument first"})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        assert_eq!(ids(&app.get(near).await.json()), [b, a]);
        app.patch(&format!("/v1/monuments/{a}"), &key, json!({"location": {"lat": 53.0, "lon": 30.9}})).await;
        assert_eq!(ids(&app.get(near).await.json()), [b]);
        assert_eq!(ids(&app.get(nearby).await.json()), [b]);

        // A draft leaves the public search, editors still preview it; deleted, it is gone.
        app.patch(&format!("/v1/monuments/{b}"), &key, json!({"publication_status": "draft"})).await;
        assert!(ids(&app.get(near).await.json()).is_empty());
        assert_eq!(ids(&app.get_as(&format!("{near}&status=draft"), &key).await.json()), [b]);
        assert_eq!(app.delete(&format!("/v1/monuments/{b}"), &key).await.status, 204);
        assert!(ids(&app.get_as(&format!("{near}&status=any"), &key).await.json()).is_empty());

        // Scheduled: hidden until due, then shown with no write at the due time.
        let tomorrow = (chrono::Utc::now() + chrono::Duration::days(1)).to_rfc3339();
        let mut body = monument("index-c", 52.4, 30.9);
        body["published_at"] = json!(tomorrow);
        let c = app.post("/v1/monuments", &key, body).await.json()["id"].as_i64().unwrap();
        assert!(ids(&app.get(near).await.json()).is_empty());
        assert_eq!(ids(&app.get_as(&format!("{near}&status=published"), &key).await.json()), [c]);
        let soon = (chrono::Utc::now() + chrono::Duration::milliseconds(800)).to_rfc3339();
        let res = app.patch(&format!("/v1/monuments/{c}"), &key, json!({"published_at": soon})).await;
        assert_eq!(res.status, 200, "{}", res.text());
        actix_web::rt::time::sleep(std::time::Duration::from_millis(1000)).await;
        assert_eq!(ids(&app.get(near).await.json()), [c]);
        assert_eq!(ids(&app.get(nearby).await.json()), [c]);
    }
}
