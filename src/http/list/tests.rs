//! Unit tests of `list`.

use actix_web::test::TestRequest;

use super::*;

#[derive(Debug, Deserialize, IntoParams, PartialEq)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct Filters {
    /// Tag slug.
    tag: Option<String>,
}

impl ListFilters for Filters {
    const SORTS: &'static [&'static str] = &["published_at", "title"];
    const DEFAULT_SORT: &'static str = "-published_at";
    const SORT_DOC: Option<&'static str> = Some("How to sort.");
    const Q_DOC: Option<&'static str> = Some("Text.");
    const UPDATED_SINCE_DOC: Option<&'static str> = None;
    const STATUS_DOC: Option<&'static str> = Some("Preview.");
}

fn extract(query: &str) -> Result<ListQuery<Filters>, AppError> {
    let (req, mut payload) = TestRequest::get()
        .uri(&format!("/v1/x?{query}"))
        .to_http_parts();
    futures_executor(ListQuery::<Filters>::from_request(&req, &mut payload))
}

fn futures_executor<T>(f: Ready<T>) -> T {
    f.into_inner()
}

fn detail(e: AppError) -> String {
    match e {
        AppError::BadRequest { detail, errors } => {
            format!(
                "{detail} | {}",
                errors.first().map(|e| e.field.as_str()).unwrap_or("")
            )
        }
        other => format!("{other:?}"),
    }
}

#[test]
fn shared_keys_and_filters_are_split() {
    let q = extract("limit=5&tag=minsk&sort=title&lang=en&status=draft&q=a%20b").unwrap();
    assert_eq!(q.common.limit.as_deref(), Some("5"));
    assert_eq!(q.common.sort.as_deref(), Some("title"));
    assert_eq!(q.common.q.as_deref(), Some("a b"));
    assert_eq!(q.common.status.as_deref(), Some("draft"));
    assert_eq!(q.filters.tag.as_deref(), Some("minsk"));
    let p = q.params().unwrap();
    assert_eq!((p.limit, p.sort.field, p.sort.desc), (5, "title", false));
    let p = extract("").unwrap().params().unwrap();
    assert_eq!(
        (p.limit, p.sort.field, p.sort.desc),
        (20, "published_at", true)
    );
}

#[test]
fn an_undocumented_parameter_is_a_400_naming_it() {
    let e = detail(extract("tag=a&unknown=1").unwrap_err());
    assert_eq!(
        e,
        "invalid query string: unknown field `unknown`, expected one of `limit`, `cursor`, `page`, `sort`, `q`, `tag`, `lang`, `status`, `fields` | unknown"
    );
    // Not documented for this list, though other lists take it.
    let e = detail(extract("updated_since=2024-01-01T00:00:00Z").unwrap_err());
    assert!(e.ends_with("| updated_since"), "{e}");
    let e = detail(extract("limit=1&limit=2").unwrap_err());
    assert_eq!(e, "invalid query string: duplicate field `limit` | limit");
}

#[test]
fn bad_values_keep_their_messages() {
    let e = extract("limit=0").unwrap().params().unwrap_err();
    assert!(format!("{e:?}").contains("must be a whole number from 1 to 100"));
    let e = extract("sort=rank").unwrap().params().unwrap_err();
    assert!(format!("{e:?}").contains("unknown sort `rank`"));
}

/// A list like search: `q` is its own required filter, paging comes last.
#[derive(Debug, Deserialize, IntoParams, PartialEq)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
struct OwnQ {
    /// The words (required).
    q: Option<String>,
    /// Types.
    types: Option<String>,
}

impl ListFilters for OwnQ {
    const SORTS: &'static [&'static str] = &["relevance"];
    const DEFAULT_SORT: &'static str = "relevance";
    const SORT_DOC: Option<&'static str> = None;
    const Q_DOC: Option<&'static str> = None;
    const UPDATED_SINCE_DOC: Option<&'static str> = None;
    const LANG_DOC: Option<&'static str> = Some("Locale searched.");
    const STATUS_DOC: Option<&'static str> = None;
    const PARAM_ORDER: &'static [&'static str] = &["q", "types", "lang", "limit", "cursor", "page"];
}

#[test]
fn a_list_may_read_a_shared_name_itself_and_order_its_parameters() {
    let q = ListQuery::<OwnQ>::parse("q=castle&lang=en&limit=3").unwrap();
    assert_eq!(q.filters.q.as_deref(), Some("castle"));
    assert_eq!(q.common.q, None);
    assert_eq!(q.common.lang.as_deref(), Some("en"));
    let p = q.params().unwrap();
    assert_eq!((p.limit, p.sort.field, p.q), (3, "relevance", None));
    let e = detail(ListQuery::<OwnQ>::parse("sort=relevance").unwrap_err());
    assert_eq!(
        e,
        "invalid query string: unknown field `sort`, expected one of `q`, `types`, `lang`, `limit`, `cursor`, `page`, `fields` | sort"
    );
    let params = ListQuery::<OwnQ>::into_params(|| Some(ParameterIn::Query));
    let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names[..6], *OwnQ::PARAM_ORDER);
    assert_eq!(names[6..], ["fields"]);
    let lang = serde_json::to_value(&params[2]).unwrap();
    assert_eq!(lang["description"], "Locale searched.");
}

#[test]
fn documented_parameters_follow_the_list() {
    let params = ListQuery::<Filters>::into_params(|| Some(ParameterIn::Query));
    let names: Vec<&str> = params.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["limit", "cursor", "page", "sort", "q", "tag", "lang", "status", "fields"]
    );
    let sort = serde_json::to_value(&params[3]).unwrap();
    assert_eq!(sort["description"], "How to sort.");
    assert_eq!(sort["schema"]["pattern"], "^-?(published_at|title)$");
    assert_eq!(sort["schema"]["type"], "string");
}
