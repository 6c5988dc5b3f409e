//! Admin endpoints of models the HTTP layer itself depends on: `http::auth`
//! reads `keys`, so the key handlers (which need `http::auth::Admin`) live here,
//! above both, and `keys` stays model + store. The import graph stays one-way:
//! `admin` -> `http` -> `keys`.

pub mod api_keys;
