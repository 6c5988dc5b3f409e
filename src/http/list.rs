//! `ListQuery<F>`: the query string of a list, split once into the parameters
//! every list shares (`limit`, `cursor`, `page`, `sort`, `q`, `updated_since`,
//! `lang`, the editor preview `status`) and the list's own filters `F`.
//!
//! A list accepts exactly the parameters its OpenAPI operation documents: an
//! undocumented one is a 400 naming it, as `#[serde(deny_unknown_fields)]` did.

use std::any::TypeId;
use std::collections::HashMap;
use std::future::{ready, Ready};
use std::sync::{Arc, OnceLock, RwLock};

use actix_web::{FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use utoipa::openapi::path::{Parameter, ParameterIn};
use utoipa::openapi::schema::{ObjectBuilder, Type};
use utoipa::IntoParams;

use super::invalid_query as invalid;
use super::locale::{negotiate_list, ListLocales};
use super::params::ListParams;
use super::shape::Shape;
use crate::config::Config;
use crate::error::{AppError, AppResult};

/// A list's own filters, and what the list says about the shared parameters.
pub trait ListFilters: DeserializeOwned + IntoParams + 'static {
    /// The sort fields (without `-`).
    const SORTS: &'static [&'static str];
    /// The default sort, like `-published_at`.
    const DEFAULT_SORT: &'static str;
    /// The documentation of `sort`; `None` when the list takes no `sort`.
    const SORT_DOC: Option<&'static str> = None;
    /// What `q` searches; `None` when the list takes no `q`.
    const Q_DOC: Option<&'static str> = None;
    /// `None` when the list takes no `updated_since`.
    const UPDATED_SINCE_DOC: Option<&'static str> = None;
    /// `None` when the list takes no `lang`.
    const LANG_DOC: Option<&'static str> = Some("Response locale (`be`, `ru`, `en`).");
    /// The editor preview `status`; `None` when the list has none.
    const STATUS_DOC: Option<&'static str> = None;
    /// The opt-in expansions of the list's items (`include`), left out by
    /// default; empty when the list has none (then it takes no `include`).
    const INCLUDE: &'static [&'static str] = &[];
    /// Whether the list takes `fallback` and a `lang` preference list.
    const FALLBACK: bool = false;
    /// The order of the documented parameters, for a list whose operation
    /// predates the engine (search, nearby); empty keeps the engine's order.
    const PARAM_ORDER: &'static [&'static str] = &[];

    /// Whether a `near` filter is set: `distance` then joins the sorts and is the default.
    fn near(&self) -> bool {
        false
    }

    /// Reads the filters from the query pairs left after the shared ones; a
    /// filter type made of parts (places) splits them further.
    fn from_pairs(pairs: Vec<(String, String)>) -> Result<Self, AppError> {
        from_pairs(pairs)
    }
}

/// Deserializes a struct (which denies unknown fields) from query pairs.
pub fn from_pairs<T: DeserializeOwned>(pairs: Vec<(String, String)>) -> Result<T, AppError> {
    let query = serde_urlencoded::to_string(&pairs).map_err(|e| invalid(e.to_string()))?;
    serde_urlencoded::from_str(&query).map_err(|e| invalid(e.to_string()))
}

/// The shared parameters as they came (validated by [`ListQuery::params`]).
#[derive(Debug, Default, Clone, PartialEq, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommonParams {
    /// Page size, 1-100 (default 20).
    #[param(value_type = Option<i64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Opaque cursor from `meta.next_cursor`.
    pub cursor: Option<String>,
    /// 1-based page number (not with `cursor`).
    #[param(value_type = Option<i64>, minimum = 1)]
    pub page: Option<String>,
    #[param(pattern = "^$")]
    pub sort: Option<String>,
    pub q: Option<String>,
    #[param(value_type = Option<chrono::DateTime<chrono::Utc>>)]
    pub updated_since: Option<String>,
    pub lang: Option<String>,
    #[param(pattern = "^(draft|published|archived|any)$")]
    pub status: Option<String>,
    /// Only these fields of each item (`id` always), comma-separated, like
    /// `fields=id,title`; naming an expansion includes it. `meta` and `links`
    /// are always whole. An unknown field is a 400 listing the allowed ones.
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false, example = json!(["id", "title"]))]
    pub fields: Option<String>,
    #[param(value_type = Option<Vec<String>>, style = Form, explode = false)]
    pub include: Option<String>,
    /// `true`: each translation group once, in the first locale available
    /// (the requested one, then the default, then the other supported ones),
    /// each item with its own `locale`. `lang=be,ru,en` gives the order itself.
    #[param(value_type = Option<bool>)]
    pub fallback: Option<String>,
}

const COMMON: [&str; 11] = [
    "limit",
    "cursor",
    "page",
    "sort",
    "q",
    "updated_since",
    "lang",
    "status",
    "fields",
    "include",
    "fallback",
];

/// The query of a list: the shared parameters and the list's filters.
#[derive(Debug)]
pub struct ListQuery<F> {
    pub common: CommonParams,
    pub filters: F,
}

impl<F> ListQuery<F> {
    /// The locales the list answers in: `lang` (one, or a preference list),
    /// `fallback`, else `Accept-Language` (see [`negotiate_list`]).
    pub fn locales(&self, req: &HttpRequest, config: &Config) -> AppResult<ListLocales> {
        let c = &self.common;
        negotiate_list(req, c.lang.as_deref(), c.fallback.as_deref(), config)
    }
}

impl<F: ListFilters> ListQuery<F> {
    /// The validated paging, sort, `q`, `updated_since`, `fields` and `include`.
    pub fn params(&self) -> Result<ListParams, AppError> {
        let mut params = if self.filters.near() {
            let mut sorts = F::SORTS.to_vec();
            sorts.push("distance");
            ListParams::parse(&self.common, &sorts, "distance")?
        } else {
            ListParams::parse(&self.common, F::SORTS, F::DEFAULT_SORT)?
        };
        params.shape = Shape::parse(
            self.common.fields.as_deref(),
            self.common.include.as_deref(),
            F::INCLUDE,
        )?;
        Ok(params)
    }

    /// Splits a query string: shared keys into [`CommonParams`], the rest into `F`.
    pub fn parse(query: &str) -> Result<Self, AppError> {
        let names = accepted_names::<F>();
        let pairs: Vec<(String, String)> =
            serde_urlencoded::from_str(query).map_err(|e| invalid(e.to_string()))?;
        let mut common = CommonParams::default();
        let mut rest: Vec<(String, String)> = Vec::new();
        for (k, v) in pairs {
            if !names.contains(&k) {
                return Err(invalid(format!(
                    "unknown field `{k}`, {}",
                    expected(&names[..])
                )));
            }
            // A list that words a shared name its own way (`status` of UNESCO
            // listings, the required `q` of search) reads it in `F`.
            let slot = match k.as_str() {
                "limit" => &mut common.limit,
                "cursor" => &mut common.cursor,
                "page" => &mut common.page,
                "sort" if F::SORT_DOC.is_some() => &mut common.sort,
                "q" if F::Q_DOC.is_some() => &mut common.q,
                "updated_since" if F::UPDATED_SINCE_DOC.is_some() => &mut common.updated_since,
                "lang" if F::LANG_DOC.is_some() => &mut common.lang,
                "status" if F::STATUS_DOC.is_some() => &mut common.status,
                "fields" => &mut common.fields,
                "include" if !F::INCLUDE.is_empty() => &mut common.include,
                "fallback" if F::FALLBACK => &mut common.fallback,
                _ => {
                    rest.push((k, v));
                    continue;
                }
            };
            if slot.is_some() {
                return Err(invalid(format!("duplicate field `{k}`")));
            }
            *slot = Some(v);
        }
        Ok(ListQuery {
            common,
            filters: F::from_pairs(rest)?,
        })
    }
}

/// The parameters list `F` accepts, in documented order: built from its
/// OpenAPI parameters once per list type, not on every request.
fn accepted_names<F: ListFilters>() -> Arc<[String]> {
    static NAMES: OnceLock<RwLock<HashMap<TypeId, Arc<[String]>>>> = OnceLock::new();
    let map = NAMES.get_or_init(Default::default);
    let key = TypeId::of::<F>();
    if let Some(names) = map.read().ok().and_then(|m| m.get(&key).cloned()) {
        return names;
    }
    let names: Arc<[String]> = ListQuery::<F>::into_params(|| Some(ParameterIn::Query))
        .into_iter()
        .map(|p| p.name)
        .collect();
    if let Ok(mut m) = map.write() {
        m.insert(key, names.clone());
    }
    names
}

/// serde's wording for the fields a struct expects.
fn expected(names: &[String]) -> String {
    let quoted: Vec<String> = names.iter().map(|n| format!("`{n}`")).collect();
    match quoted.as_slice() {
        [] => "there are no fields".to_string(),
        [one] => format!("expected {one}"),
        [a, b] => format!("expected {a} or {b}"),
        all => format!("expected one of {}", all.join(", ")),
    }
}

impl<F: ListFilters> FromRequest for ListQuery<F> {
    type Error = AppError;
    type Future = Ready<Result<Self, AppError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        ready(Self::parse(req.query_string()))
    }
}

/// The documented parameters: paging, then `sort`, `q` and `updated_since` as
/// the list words them, the filters, then `lang` and `status` (or in the
/// list's [`ListFilters::PARAM_ORDER`]).
impl<F: ListFilters> IntoParams for ListQuery<F> {
    fn into_params(parameter_in: impl Fn() -> Option<ParameterIn>) -> Vec<Parameter> {
        let common = CommonParams::into_params(&parameter_in);
        let take = |name: &str, doc: Option<&str>| {
            let doc = doc?;
            let mut p = common.iter().find(|p| p.name == name)?.clone();
            p.description = Some(doc.to_string());
            Some(p)
        };
        let mut out: Vec<Parameter> = common
            .iter()
            .filter(|p| ["limit", "cursor", "page"].contains(&p.name.as_str()))
            .cloned()
            .collect();
        out.extend(take("sort", F::SORT_DOC).map(|mut p| {
            p.schema = Some(
                ObjectBuilder::new()
                    .schema_type(Type::String)
                    .pattern(Some(sort_pattern::<F>()))
                    .into(),
            );
            p
        }));
        out.extend(take("q", F::Q_DOC));
        out.extend(take("updated_since", F::UPDATED_SINCE_DOC));
        out.extend(F::into_params(&parameter_in));
        let lang_doc = F::LANG_DOC.map(|d| {
            if F::FALLBACK {
                format!("{d} A comma-separated preference list (`be,ru,en`) falls back in that order (see `fallback`).")
            } else {
                d.to_string()
            }
        });
        out.extend(
            take("lang", lang_doc.as_deref()).map(|p| match F::FALLBACK {
                true => example(p, serde_json::json!("ru,be,en")),
                false => p,
            }),
        );
        out.extend(take("status", F::STATUS_DOC));
        out.extend(common.iter().find(|p| p.name == "fields").cloned());
        out.extend(include_param::<F>(&common));
        if F::FALLBACK {
            let p = common.iter().find(|p| p.name == "fallback").cloned();
            out.extend(p.map(|p| example(p, serde_json::json!(true))));
        }
        debug_assert!(COMMON.iter().all(|c| common.iter().any(|p| p.name == *c)));
        if !F::PARAM_ORDER.is_empty() {
            let at = |p: &Parameter| F::PARAM_ORDER.iter().position(|n| *n == p.name);
            out.sort_by_key(|p| at(p).unwrap_or(usize::MAX));
        }
        out
    }
}

/// `include`, documented with the list's expansions (none: no `include`).
fn include_param<F: ListFilters>(common: &[Parameter]) -> Option<Parameter> {
    if F::INCLUDE.is_empty() {
        return None;
    }
    let mut p = common.iter().find(|p| p.name == "include")?.clone();
    let list: Vec<String> = F::INCLUDE.iter().map(|e| format!("`{e}`")).collect();
    p.description = Some(format!(
        "Opt-in expansions, comma-separated: {}. Left out of each item unless asked for here (or named in `fields`).",
        list.join(", ")
    ));
    let item = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(F::INCLUDE.iter().copied()));
    p.schema = Some(
        utoipa::openapi::schema::ArrayBuilder::new()
            .items(item)
            .into(),
    );
    Some(example(p, serde_json::json!([F::INCLUDE[0]])))
}

/// `p` with `example` (a private field, set through its builder).
fn example(p: Parameter, v: serde_json::Value) -> Parameter {
    utoipa::openapi::path::ParameterBuilder::from(p)
        .example(Some(v))
        .build()
}

/// `^-?(a|b)$` over the sort fields (and `distance` where `near` may be given).
fn sort_pattern<F: ListFilters>() -> String {
    let mut fields = F::SORTS.to_vec();
    if F::into_params(|| Some(ParameterIn::Query))
        .iter()
        .any(|p| p.name == "near")
    {
        fields.push("distance");
    }
    match fields.as_slice() {
        [one] => format!("^-?{one}$"),
        all => format!("^-?({})$", all.join("|")),
    }
}

#[cfg(test)]
mod tests;
