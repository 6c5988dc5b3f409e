use super::*;
use crate::http::list::CommonParams;

const MINSK: Point = Point {
    lat: 53.9006,
    lon: 27.5590,
};

fn cand(id: i64, lat: f64, lon: f64, text: &str) -> Candidate {
    Candidate {
        id,
        lat: Some(lat),
        lon: Some(lon),
        text: text.into(),
        num: id,
    }
}

fn params(limit: &str, cursor: Option<&str>) -> ListParams {
    ListParams::parse(
        &CommonParams {
            limit: Some(limit.into()),
            cursor: cursor.map(str::to_string),
            ..Default::default()
        },
        &["distance", "name"],
        "distance",
    )
    .unwrap()
}

#[test]
fn radius_pages_are_nearest_first_and_follow_their_cursor() {
    let cands = || {
        vec![
            cand(1, 53.95, 27.60, "b"),     // ~6 km
            cand(2, 53.9006, 27.5590, "a"), // 0 km
            cand(3, 52.0976, 23.7341, "c"), // Brest, ~325 km: outside
            cand(4, 54.00, 27.70, "d"),     // ~14 km
            Candidate {
                id: 5,
                lat: None,
                lon: None,
                text: "no location".into(),
                num: 5,
            },
        ]
    };
    let p = params("2", None);
    let (page, dist) = radius_page(cands(), (MINSK, 25.0), &p, Ok, |i| *i).unwrap();
    assert_eq!(page.items, vec![2, 1]);
    assert_eq!(page.total, 3);
    assert_eq!(dist[&2], 0.0);
    let next = page.next_key.expect("more follow").encode();
    let p = params("2", Some(&next));
    let (page, _) = radius_page(cands(), (MINSK, 25.0), &p, Ok, |i| *i).unwrap();
    assert_eq!(page.items, vec![4]);
    assert!(page.next_key.is_none());
}

/// 60 candidates around Minsk with repeated names and ranks (ties broken by id).
fn many() -> Vec<Candidate> {
    (1..=60)
        .map(|i: i64| Candidate {
            id: i,
            lat: Some(53.9006 + 0.003 * ((i * 7) % 13) as f64),
            lon: Some(27.5590 - 0.004 * ((i * 5) % 11) as f64),
            text: format!("n{}", i % 9),
            num: i % 4,
        })
        .collect()
}

fn sorted(sort: &str, paging: (Option<&str>, Option<&str>)) -> ListParams {
    ListParams::parse(
        &CommonParams {
            limit: Some("7".into()),
            cursor: paging.0.map(str::to_string),
            page: paging.1.map(str::to_string),
            sort: Some(sort.into()),
            ..Default::default()
        },
        &["distance", "name", "rank"],
        "distance",
    )
    .unwrap()
}

#[test]
fn pages_ordered_partially_equal_the_fully_sorted_list_by_cursor_and_by_page() {
    for sort in ["distance", "-distance", "name", "-name", "rank", "-rank"] {
        let key = RankKey::of(sort.trim_start_matches('-'));
        let mut all: Vec<(i64, f64, String, i64)> = many()
            .into_iter()
            .map(|c| {
                let p = Point {
                    lat: c.lat.unwrap(),
                    lon: c.lon.unwrap(),
                };
                (c.id, haversine_km(MINSK, p), c.text, c.num)
            })
            .collect();
        all.sort_by(|a, b| {
            let o = match key {
                RankKey::Text => a.2.cmp(&b.2),
                RankKey::Num => a.3.cmp(&b.3),
                RankKey::Distance => a.1.total_cmp(&b.1),
            }
            .then(a.0.cmp(&b.0));
            if sort.starts_with('-') {
                o.reverse()
            } else {
                o
            }
        });
        let expected: Vec<i64> = all.iter().map(|a| a.0).collect();

        let mut by_cursor = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let p = sorted(sort, (cursor.as_deref(), None));
            let (page, _) = radius_page(many(), (MINSK, 50.0), &p, Ok, |i| *i).unwrap();
            assert_eq!(page.total, 60);
            by_cursor.extend(page.items);
            match page.next_key {
                Some(k) => cursor = Some(k.encode()),
                None => break,
            }
        }
        assert_eq!(by_cursor, expected, "by cursor, sort={sort}");

        let by_page: Vec<i64> = (1..=9)
            .flat_map(|n| {
                let p = sorted(sort, (None, Some(&n.to_string())));
                radius_page(many(), (MINSK, 50.0), &p, Ok, |i| *i)
                    .unwrap()
                    .0
                    .items
            })
            .collect();
        assert_eq!(by_page, expected, "by page, sort={sort}");
    }
}

#[test]
fn the_search_box_is_the_intersection_of_bbox_and_circle() {
    let bbox = BBox {
        min_lat: 53.0,
        min_lon: 27.0,
        max_lat: 54.0,
        max_lon: 28.0,
    };
    let area = Area {
        bbox: Some(bbox),
        near: Some((MINSK, 25.0)),
    };
    let b = area.search_box().unwrap();
    assert_eq!(b.max_lat, 54.0);
    assert!(b.min_lat > 53.6);
    assert_eq!(Area::default().search_box(), None);
    assert!(within_radius(&area, Some(MINSK)));
    assert!(!within_radius(&area, None));
    assert!(within_radius(&Area::default(), None));
}
