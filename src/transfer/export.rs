//! Export: pages through each table by id in chunks, renders each item's
//! writable fields (`Resource::current`) as one NDJSON line, and hands every
//! chunk to a sink, so memory stays flat however much content there is.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use super::{with_resource, ResourceVisitor};
use crate::db::schema::{articles, events, places, sections};
use crate::db::{self, AnyConnection};
use crate::domain::time::rfc3339_utc;
use crate::editorial::Resource;
use crate::error::{AppError, AppResult};
use crate::resource::ResourceType;

/// Items read and rendered per query round.
pub const CHUNK: i64 = 1000;

#[derive(Serialize)]
struct Line<'a> {
    #[serde(rename = "type")]
    kind: &'a str,
    #[serde(flatten)]
    fields: Map<String, Value>,
}

/// A row to export: id, translation group, and the stored instants.
type Head = (i64, i64, NaiveDateTime, NaiveDateTime);
/// A translation group member: id, group, locale, slug.
type Member = (i64, i64, String, String);

/// Writes every item as NDJSON to `sink`, a chunk of lines at a time, from one
/// consistent snapshot. Returns the number of lines. A sink error stops it.
pub fn export_all(
    conn: &mut AnyConnection,
    sink: &mut dyn FnMut(Vec<u8>) -> AppResult<()>,
) -> AppResult<u64> {
    conn.transaction(|conn| {
        db::bulk::read_only_snapshot(conn)?;
        // A whole-database dump is not a request's read: no read timeout.
        let _unbounded = db::lift_read_timeout(conn)?;
        let mut n = super::media::export_media(conn, CHUNK, sink)?;
        for t in ResourceType::ALL {
            n += match t {
                ResourceType::Section => export_sections(conn, sink)?,
                ResourceType::Article | ResourceType::Place(_) | ResourceType::Event => {
                    export_table(conn, t, sink)?
                }
            };
        }
        Ok(n)
    })
}

fn render(
    conn: &mut AnyConnection,
    t: ResourceType,
    head: &Head,
    anchor: Option<&Member>,
    out: &mut Vec<u8>,
) -> AppResult<()> {
    let (id, _, created, updated) = *head;
    let mut fields = with_resource(t, Current { conn, id })?;
    if let Some((aid, _, locale, slug)) = anchor {
        if *aid != id {
            fields.insert(
                "translation_of".into(),
                json!({"locale": locale, "slug": slug}),
            );
        }
    }
    fields.insert("created_at".into(), json!(rfc3339_utc(created)));
    fields.insert("updated_at".into(), json!(rfc3339_utc(updated)));
    let line = Line {
        kind: t.as_str(),
        fields,
    };
    serde_json::to_writer(&mut *out, &line)
        .map_err(|e| AppError::Internal(format!("export line: {e}")))?;
    out.push(b'\n');
    Ok(())
}

/// The stored writable fields of one item, as a write would send them.
struct Current<'a> {
    conn: &'a mut AnyConnection,
    id: i64,
}

impl ResourceVisitor for Current<'_> {
    type Output = AppResult<Map<String, Value>>;

    fn visit<R: Resource>(self) -> Self::Output {
        crate::editorial::stored_fields::<R>(self.conn, R::Id::from(self.id))
    }
}

/// Sections parents first (by depth, then id); a translation names the
/// group's first member in that order.
fn export_sections(
    conn: &mut AnyConnection,
    sink: &mut dyn FnMut(Vec<u8>) -> AppResult<()>,
) -> AppResult<u64> {
    type Row = (
        i64,
        i64,
        Option<i64>,
        String,
        String,
        NaiveDateTime,
        NaiveDateTime,
    );
    let rows: Vec<Row> = sections::table
        .order(sections::id)
        .select((
            sections::id,
            sections::group_id,
            sections::parent_id,
            sections::locale,
            sections::slug,
            sections::created_at,
            sections::updated_at,
        ))
        .load(conn)?;
    let parents: HashMap<i64, Option<i64>> = rows.iter().map(|r| (r.0, r.2)).collect();
    let depth = |mut id: i64| {
        let mut d = 0;
        while let Some(Some(p)) = parents.get(&id) {
            d += 1;
            id = *p;
            if d > rows.len() {
                break;
            }
        }
        d
    };
    let mut ordered: Vec<(usize, &Row)> = rows.iter().map(|r| (depth(r.0), r)).collect();
    ordered.sort_by_key(|(d, r)| (*d, r.0));
    let mut anchors: HashMap<i64, Member> = HashMap::new();
    let mut out = Vec::new();
    for (_, r) in &ordered {
        let anchor = anchors
            .entry(r.1)
            .or_insert_with(|| (r.0, r.1, r.3.clone(), r.4.clone()))
            .clone();
        render(
            conn,
            ResourceType::Section,
            &(r.0, r.1, r.5, r.6),
            Some(&anchor),
            &mut out,
        )?;
    }
    if !out.is_empty() {
        sink(out)?;
    }
    Ok(rows.len() as u64)
}

/// One chunk of rows after `after`, in id order, and their groups' members.
fn chunk(
    conn: &mut AnyConnection,
    t: ResourceType,
    after: i64,
) -> AppResult<(Vec<Head>, Vec<Member>)> {
    macro_rules! heads {
        ($tb:ident $(, $kind:expr)?) => {{
            let heads: Vec<Head> = $tb::table
                .filter($tb::id.gt(after))
                $(.filter($tb::kind.eq($kind)))?
                .order($tb::id)
                .limit(CHUNK)
                .select(($tb::id, $tb::group_id, $tb::created_at, $tb::updated_at))
                .load(conn)?;
            let groups: Vec<i64> = heads.iter().map(|h| h.1).collect();
            let members: Vec<Member> = $tb::table
                .filter($tb::group_id.eq_any(groups))
                $(.filter($tb::kind.eq($kind)))?
                .select(($tb::id, $tb::group_id, $tb::locale, $tb::slug))
                .load(conn)?;
            (heads, members)
        }};
    }
    Ok(match t {
        ResourceType::Article => heads!(articles),
        ResourceType::Place(k) => heads!(places, k.as_str()),
        ResourceType::Event => heads!(events),
        ResourceType::Section => heads!(sections),
    })
}

/// A table in id order, `CHUNK` rows a round; a translation names the group's
/// lowest id (exported earlier).
fn export_table(
    conn: &mut AnyConnection,
    t: ResourceType,
    sink: &mut dyn FnMut(Vec<u8>) -> AppResult<()>,
) -> AppResult<u64> {
    let mut after = 0;
    let mut n = 0;
    loop {
        let (heads, members) = chunk(conn, t, after)?;
        let Some(last) = heads.last() else {
            return Ok(n);
        };
        after = last.0;
        let mut anchors: HashMap<i64, Member> = HashMap::new();
        for m in members {
            match anchors.get(&m.1) {
                Some(a) if a.0 <= m.0 => {}
                _ => {
                    anchors.insert(m.1, m);
                }
            }
        }
        let mut out = Vec::with_capacity(heads.len() * 1024);
        for h in &heads {
            render(conn, t, h, anchors.get(&h.1), &mut out)?;
        }
        n += heads.len() as u64;
        sink(out)?;
    }
}
