use diesel::debug_query;
use diesel::pg::Pg;
use diesel::prelude::*;
use diesel::sqlite::Sqlite;

use super::*;
use crate::db::schema::{articles, places};
use crate::http::list::CommonParams;

fn params(sort: &str, cursor: Option<CursorKey>, page: Option<&str>) -> ListParams {
    let enc = cursor.map(|c| c.encode());
    ListParams::parse(
        &CommonParams {
            sort: Some(sort.into()),
            cursor: enc,
            page: page.map(str::to_string),
            limit: Some("10".into()),
            ..Default::default()
        },
        &["title", "published_at", "rank"],
        "title",
    )
    .unwrap()
}

fn cursor(sort: &str, key: Value, id: i64) -> Option<CursorKey> {
    Some(CursorKey {
        sort: sort.into(),
        key,
        id,
    })
}

#[test]
fn first_page_orders_by_key_then_id_and_fetches_one_more() {
    let q = articles::table.select(articles::id).into_boxed::<Sqlite>();
    let q = seek_and_order(
        q,
        articles::title,
        articles::id,
        &params("title", None, None),
        String::decode,
    )
    .unwrap();
    let sql = debug_query::<Sqlite, _>(&q).to_string();
    assert!(
        sql.contains("ORDER BY `articles`.`title` ASC, `articles`.`id` ASC LIMIT ?"),
        "{sql}"
    );
    assert!(!sql.contains("WHERE"), "{sql}");
    assert!(sql.contains("binds: [11]"), "{sql}");
}

#[test]
fn descending_cursor_seeks_below_the_key_then_the_id_on_postgres() {
    let p = params("-title", cursor("-title", "Minsk".into(), 7), None);
    let q = articles::table.select(articles::id).into_boxed::<Pg>();
    let q = seek_and_order(q, articles::title, articles::id, &p, String::decode).unwrap();
    let sql = debug_query::<Pg, _>(&q).to_string();
    assert!(
        sql.contains(r#"WHERE ("articles"."title" < $1 OR ("articles"."title" = $2 AND "articles"."id" < $3)) ORDER BY "articles"."title" DESC, "articles"."id" DESC LIMIT $4"#),
        "{sql}"
    );
    assert!(sql.contains(r#"binds: ["Minsk", "Minsk", 7, 11]"#), "{sql}");
}

#[test]
fn ascending_cursor_on_a_nullable_instant_binds_the_time_on_sqlite() {
    let p = params(
        "published_at",
        cursor("published_at", "2024-05-31T12:00:00Z".into(), 3),
        None,
    );
    let q = articles::table.select(articles::id).into_boxed::<Sqlite>();
    let q = seek_and_order(
        q,
        articles::published_at,
        articles::id,
        &p,
        Option::<NaiveDateTime>::decode,
    )
    .unwrap();
    let sql = debug_query::<Sqlite, _>(&q).to_string();
    assert!(
        sql.contains("WHERE (`articles`.`published_at` > ? OR (`articles`.`published_at` = ? AND `articles`.`id` > ?)) ORDER BY `articles`.`published_at` ASC, `articles`.`id` ASC"),
        "{sql}"
    );
    assert!(sql.contains("2024-05-31T12:00:00"), "{sql}");
}

#[test]
fn pages_use_an_offset_and_no_seek() {
    let q = places::table.select(places::id).into_boxed::<Pg>();
    let q = seek_and_order(
        q,
        places::rank_order,
        places::id,
        &params("rank", None, Some("3")),
        i32::decode,
    )
    .unwrap();
    let sql = debug_query::<Pg, _>(&q).to_string();
    assert!(
        sql.contains(r#"ORDER BY "places"."rank_order" ASC, "places"."id" ASC LIMIT $1 OFFSET $2"#),
        "{sql}"
    );
    assert!(sql.contains("binds: [11, 20]"), "{sql}");
}

#[test]
fn a_cursor_key_of_the_wrong_type_is_a_bad_cursor() {
    let c = CursorKey {
        sort: "rank".into(),
        key: Value::from(i64::MAX),
        id: 1,
    };
    assert!(i32::decode(&c).is_err());
    assert!(String::decode(&c).is_err());
    assert!(NaiveDateTime::decode(&c).is_err());
    assert_eq!(Option::<NaiveDateTime>::None.encode(), Value::Null);
}
