//! What the search tests share: reading hits, encoding query words.
#![allow(clippy::unwrap_used)] // a panic is a failed assertion

/// The `(type, slug)` of every hit of a search response.
pub fn hits(v: &serde_json::Value) -> Vec<(String, String)> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| {
            (
                h["type"].as_str().unwrap().to_string(),
                h["slug"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// `s` encoded for a query string (`q=...`).
pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
