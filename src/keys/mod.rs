//! API keys: random keys shown once, stored as SHA-256 hashes, found by a public
//! prefix and compared in constant time; roles `editor` and `admin`.
//! Model and store only: `admin::api_keys` serves them under `/v1/admin/api-keys`.

use base64::Engine;
use chrono::{DateTime, NaiveDateTime, Utc};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;
use utoipa::ToSchema;

use crate::db::schema::api_keys;
use crate::db::{self, AnyConnection};
use crate::domain::utc;
use crate::error::{AppError, AppResult, FieldError};
use crate::resource::KeyId;

/// What a key may do: `editor` writes content; `admin` also manages keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Editor,
    Admin,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        match s {
            "editor" => Some(Role::Editor),
            "admin" => Some(Role::Admin),
            _ => None,
        }
    }
}

/// The holder of a valid key, as handlers see it.
#[derive(Debug, Clone)]
pub struct Caller {
    pub key_id: i64,
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = api_keys)]
pub struct ApiKeyRow {
    pub id: i64,
    pub name: String,
    pub role: String,
    pub prefix: String,
    pub key_hash: String,
    pub created_at: NaiveDateTime,
    pub revoked_at: Option<NaiveDateTime>,
}

/// An API key as listed (never the key itself).
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ApiKey {
    pub id: i64,
    pub name: String,
    pub role: Role,
    /// The public part of the key (`bp_<prefix>_...`), to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<Utc>,
    /// When the key was revoked; revoked keys fail at once.
    pub revoked_at: Option<DateTime<Utc>>,
}

/// A new key: the only response that ever contains `key`.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct CreatedApiKey {
    #[serde(flatten)]
    pub info: ApiKey,
    /// The secret key; shown once, store it now.
    pub key: String,
}

/// The body of `POST /v1/admin/api-keys`.
#[derive(Debug, Clone, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyWrite {
    /// Who or what uses the key (shown in revisions), 1-100 characters.
    pub name: Option<String>,
    pub role: Option<Role>,
}

impl From<ApiKeyRow> for ApiKey {
    fn from(r: ApiKeyRow) -> Self {
        ApiKey {
            id: r.id,
            name: r.name,
            role: Role::parse(&r.role).unwrap_or(Role::Editor),
            prefix: r.prefix,
            created_at: utc(r.created_at),
            revoked_at: r.revoked_at.map(utc),
        }
    }
}

fn random_bytes<const N: usize>() -> AppResult<[u8; N]> {
    let mut b = [0u8; N];
    getrandom::fill(&mut b).map_err(|e| AppError::Internal(format!("no randomness: {e}")))?;
    Ok(b)
}

fn hash_hex(key: &str) -> String {
    let digest = Sha256::digest(key.as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// `bp_<8 hex>_<43 base64url>`: a 32-bit public prefix and 256 random secret bits.
fn new_key() -> AppResult<(String, String)> {
    let prefix: String = random_bytes::<4>()?
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let secret = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(random_bytes::<32>()?);
    Ok((prefix.clone(), format!("bp_{prefix}_{secret}")))
}

pub fn validate_name(name: Option<&str>) -> Result<String, FieldError> {
    let err = |m: &str| FieldError {
        field: "name".into(),
        message: m.into(),
    };
    match name.map(str::trim) {
        None | Some("") => Err(err("is required")),
        Some(n) if n.chars().count() > 100 => Err(err("must be at most 100 characters")),
        Some(n) if n.chars().any(char::is_control) => {
            Err(err("must not contain control characters"))
        }
        Some(n) => Ok(n.to_string()),
    }
}

/// Creates a key; the returned `key` is never stored.
pub fn create_key(conn: &mut AnyConnection, name: &str, role: Role) -> AppResult<CreatedApiKey> {
    // A prefix collision (1 in 4 billion per pair) is retried, not reported.
    for _ in 0..5 {
        let (prefix, key) = new_key()?;
        let taken: i64 = api_keys::table
            .filter(api_keys::prefix.eq(&prefix))
            .count()
            .get_result(conn)?;
        if taken > 0 {
            continue;
        }
        let row: ApiKeyRow = diesel::insert_into(api_keys::table)
            .values((
                api_keys::name.eq(name),
                api_keys::role.eq(role.as_str()),
                api_keys::prefix.eq(&prefix),
                api_keys::key_hash.eq(hash_hex(&key)),
                api_keys::created_at.eq(db::now()),
            ))
            .returning(api_keys::all_columns)
            .get_result(conn)?;
        return Ok(CreatedApiKey {
            info: row.into(),
            key,
        });
    }
    Err(AppError::Internal(
        "could not find a free key prefix".into(),
    ))
}

pub fn list_keys(conn: &mut AnyConnection) -> AppResult<Vec<ApiKey>> {
    let rows: Vec<ApiKeyRow> = api_keys::table
        .select(ApiKeyRow::as_select())
        .order(api_keys::id)
        .load(conn)?;
    Ok(rows.into_iter().map(ApiKey::from).collect())
}

/// Revokes a key (idempotent: revoking twice keeps the first time). 404 if unknown.
pub fn revoke_key(conn: &mut AnyConnection, id: impl Into<KeyId>) -> AppResult<ApiKey> {
    let id = id.into().get();
    let n = diesel::update(
        api_keys::table
            .filter(api_keys::id.eq(id))
            .filter(api_keys::revoked_at.is_null()),
    )
    .set(api_keys::revoked_at.eq(Some(db::now())))
    .execute(conn)?;
    let row: Option<ApiKeyRow> = api_keys::table
        .find(id)
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?;
    let _ = n;
    row.map(ApiKey::from)
        .ok_or_else(|| AppError::not_found("no such API key"))
}

/// The caller a presented key belongs to, or 401. The prefix finds the row; the
/// hash is compared in constant time; revoked keys fail.
pub fn authenticate(conn: &mut AnyConnection, presented: &str) -> AppResult<Caller> {
    let bad = || AppError::Unauthorized("the API key is not valid".into());
    let prefix = presented
        .strip_prefix("bp_")
        .and_then(|rest| rest.split_once('_'))
        .map(|(p, _)| p)
        .filter(|p| p.len() == 8 && p.bytes().all(|b| b.is_ascii_hexdigit()))
        .ok_or_else(bad)?;
    let row: Option<ApiKeyRow> = api_keys::table
        .filter(api_keys::prefix.eq(prefix))
        .select(ApiKeyRow::as_select())
        .first(conn)
        .optional()?;
    let row = row.ok_or_else(bad)?;
    let matches: bool = hash_hex(presented)
        .as_bytes()
        .ct_eq(row.key_hash.as_bytes())
        .into();
    if !matches {
        return Err(bad());
    }
    if row.revoked_at.is_some() {
        return Err(AppError::Unauthorized(
            "the API key has been revoked".into(),
        ));
    }
    Ok(Caller {
        key_id: row.id,
        role: Role::parse(&row.role).ok_or_else(bad)?,
        name: row.name,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_carry_their_prefix() {
        let (p1, k1) = new_key().unwrap();
        let (_, k2) = new_key().unwrap();
        assert_ne!(k1, k2);
        assert!(k1.starts_with(&format!("bp_{p1}_")));
        // 32 secret bytes in base64url without padding.
        assert_eq!(k1.len(), 3 + 8 + 1 + 43);
        assert_eq!(hash_hex(&k1).len(), 64);
        assert_ne!(hash_hex(&k1), hash_hex(&k2));
    }

    #[test]
    fn names_are_required_and_bounded() {
        assert!(validate_name(None).is_err());
        assert!(validate_name(Some("  ")).is_err());
        assert!(validate_name(Some(&"x".repeat(101))).is_err());
        assert_eq!(validate_name(Some(" desk ")).unwrap(), "desk");
    }
}
