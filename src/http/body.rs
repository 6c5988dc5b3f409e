//! Write bodies: parsed into a resource's body struct (every field optional,
//! unknown fields denied), with one `errors` entry per offending field rather than
//! serde's first error.

use std::future::Future;
use std::marker::PhantomData;
use std::pin::Pin;

use actix_web::dev::Payload;
use actix_web::{web, FromRequest, HttpRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::error::{AppError, AppResult, FieldError};
use crate::http::params::is_slug;

/// serde's message without the position suffix (`at line 1 column 9`).
fn clean_message(e: &serde_json::Error) -> String {
    let m = e.to_string();
    match m.find(" at line ") {
        Some(i) => m[..i].to_string(),
        None => m,
    }
}

/// Checks each field on its own (so every bad field is reported), then parses the
/// whole object. Read-only fields are named as such; unknown fields are named by
/// the body struct's `deny_unknown_fields`.
pub fn parse_body<T: DeserializeOwned>(
    obj: &Map<String, Value>,
    read_only: &[&str],
) -> AppResult<T> {
    let mut errors = Vec::new();
    for (k, v) in obj {
        if read_only.contains(&k.as_str()) {
            errors.push(FieldError {
                field: k.clone(),
                message: "is read-only".into(),
            });
            continue;
        }
        let single = Value::Object(Map::from_iter([(k.clone(), v.clone())]));
        if let Err(e) = serde_json::from_value::<T>(single) {
            let msg = clean_message(&e);
            // Only the top-level key itself is "not a field"; an unknown key inside
            // an object value (a venue, an image) keeps serde's message naming it.
            let message = if msg.starts_with(&format!("unknown field `{k}`")) {
                "is not a field of this resource".to_string()
            } else {
                msg
            };
            errors.push(FieldError {
                field: k.clone(),
                message,
            });
        }
    }
    if !errors.is_empty() {
        return Err(AppError::Unprocessable(errors));
    }
    serde_json::from_value(Value::Object(obj.clone())).map_err(|e| {
        AppError::Unprocessable(vec![FieldError {
            field: "body".into(),
            message: clean_message(&e),
        }])
    })
}

/// The keys of a merge patch must be writable fields (`null` included: removing a
/// read-only field is as wrong as setting it).
pub fn check_patch_keys<T: DeserializeOwned>(
    patch: &Map<String, Value>,
    read_only: &[&str],
) -> AppResult<()> {
    let mut errors = Vec::new();
    for k in patch.keys() {
        if read_only.contains(&k.as_str()) {
            errors.push(FieldError {
                field: k.clone(),
                message: "is read-only".into(),
            });
            continue;
        }
        let single = Value::Object(Map::from_iter([(k.clone(), Value::Null)]));
        if let Err(e) = serde_json::from_value::<T>(single) {
            if clean_message(&e).starts_with("unknown field") {
                errors.push(FieldError {
                    field: k.clone(),
                    message: "is not a field of this resource".into(),
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Unprocessable(errors))
    }
}

/// Collects semantic errors (required fields, formats, references) of a parsed body.
#[derive(Debug, Default)]
pub struct FieldErrors(pub Vec<FieldError>);

impl FieldErrors {
    pub fn add(&mut self, field: &str, message: impl Into<String>) {
        self.0.push(FieldError {
            field: field.to_string(),
            message: message.into(),
        });
    }

    /// A required text: present, not blank, at most `max` characters. Returns it trimmed.
    pub fn text(&mut self, field: &str, v: &Option<String>, max: usize) -> String {
        match v.as_deref().map(str::trim) {
            None | Some("") => {
                self.add(field, "is required");
                String::new()
            }
            Some(s) => {
                self.max_len(field, s, max);
                s.to_string()
            }
        }
    }

    /// An optional text, at most `max` characters; blank reads as absent.
    pub fn opt_text(&mut self, field: &str, v: &Option<String>, max: usize) -> Option<String> {
        let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        self.max_len(field, s, max);
        Some(s.to_string())
    }

    fn max_len(&mut self, field: &str, s: &str, max: usize) {
        if s.chars().count() > max {
            self.add(field, format!("must be at most {max} characters"));
        }
    }

    /// A required slug: lowercase letters, digits and hyphens, with a letter.
    pub fn slug(&mut self, field: &str, v: &Option<String>) -> String {
        match v.as_deref() {
            None | Some("") => {
                self.add(field, "is required");
                String::new()
            }
            Some(s) if !is_slug(s) || s.len() > 200 => {
                self.add(
                    field,
                    "must be a slug: lowercase letters, digits and hyphens, with at least one letter, at most 200 characters",
                );
                String::new()
            }
            Some(s) => s.to_string(),
        }
    }

    /// Tags: each a slug, no duplicates (order kept), at most 50.
    pub fn tags(&mut self, field: &str, v: &Option<Vec<String>>) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for t in v.iter().flatten() {
            if !is_slug(t) || t.len() > 100 {
                self.add(field, format!("`{t}` is not a slug"));
                return Vec::new();
            }
            if !out.contains(t) {
                out.push(t.clone());
            }
        }
        if out.len() > 50 {
            self.add(field, "at most 50 tags");
        }
        out
    }

    /// Other names (a place's aliases): each 1-`max_len` characters, trimmed,
    /// no duplicates (order kept), at most `max` of them.
    pub fn names(
        &mut self,
        field: &str,
        v: &Option<Vec<String>>,
        max: usize,
        max_len: usize,
    ) -> Vec<String> {
        let mut out: Vec<String> = Vec::new();
        for (i, n) in v.iter().flatten().enumerate() {
            let n = n.trim();
            if n.is_empty() || n.chars().count() > max_len {
                self.add(
                    &format!("{field}[{i}]"),
                    format!("must be 1-{max_len} characters"),
                );
            } else if !out.iter().any(|o| o == n) {
                out.push(n.to_string());
            }
        }
        if out.len() > max {
            self.add(field, format!("at most {max} names"));
        }
        out
    }

    /// An absolute http(s) URL.
    pub fn url(&mut self, field: &str, v: &Option<String>) -> Option<String> {
        let s = v.as_deref().map(str::trim).filter(|s| !s.is_empty())?;
        match url::Url::parse(s) {
            Ok(u) if matches!(u.scheme(), "http" | "https") && s.len() <= 2000 => {
                Some(s.to_string())
            }
            _ => {
                self.add(field, "must be an absolute http or https URL");
                None
            }
        }
    }

    /// Ends the validation: 422 with every collected error, or Ok.
    pub fn finish(self) -> AppResult<()> {
        if self.0.is_empty() {
            Ok(())
        } else {
            Err(AppError::Unprocessable(self.0))
        }
    }
}

/// The JSON body of a write to a resource whose write type is `T`: the type
/// the OpenAPI document shows is the type the handler takes. Read as JSON
/// under the app's `JsonConfig` (400 malformed, 413 too large, 415 wrong
/// content type); parsed into `T` by the write flow with one error per field
/// (a POST body whole, a PATCH after merging onto the stored item).
#[derive(Debug)]
pub struct WriteBody<T> {
    value: Value,
    write: PhantomData<fn() -> T>,
}

impl<T> WriteBody<T> {
    /// The body as sent.
    pub fn value(&self) -> &Value {
        &self.value
    }

    /// The body as sent, taken out.
    pub fn into_value(self) -> Value {
        self.value
    }
}

impl<T: 'static> FromRequest for WriteBody<T> {
    type Error = actix_web::Error;
    type Future = Pin<Box<dyn Future<Output = Result<Self, Self::Error>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let json = web::Json::<Value>::from_request(req, payload);
        Box::pin(async move {
            Ok(WriteBody {
                value: json.await?.into_inner(),
                write: PhantomData,
            })
        })
    }
}
