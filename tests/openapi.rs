#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! The checked-in spec equals the generated one. `UPDATE_OPENAPI=1 cargo test --test openapi`
//! (or `belportal openapi --output openapi/openapi.json`) rewrites it.

#[test]
fn checked_in_openapi_matches_the_generated_spec() {
    let generated = belportal::openapi_spec().to_pretty_json().unwrap() + "\n";
    let path = "openapi/openapi.json";
    if std::env::var("UPDATE_OPENAPI").is_ok_and(|v| v == "1") {
        std::fs::write(path, &generated).unwrap();
    }
    let on_disk = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        on_disk == generated,
        "openapi/openapi.json is stale: run `cargo run -- openapi --output openapi/openapi.json`"
    );
}

#[test]
fn spec_is_openapi_3_1_and_documents_every_route_with_problem_errors() {
    let spec: serde_json::Value = serde_json::to_value(belportal::openapi_spec()).unwrap();
    assert!(spec["openapi"].as_str().unwrap().starts_with("3.1"));
    for path in [
        "/v1/regions",
        "/v1/regions/{slug}",
        "/v1/sections",
        "/v1/sections/{id}",
        "/v1/articles",
        "/v1/articles/{id}",
        "/v1/articles/calendar",
        "/v1/articles/feed.atom",
        "/v1/articles/feed.rss",
        "/healthz",
        "/readyz",
        "/metrics",
    ] {
        let op = &spec["paths"][path]["get"];
        assert!(op.is_object(), "{path} is documented");
        for (code, resp) in op["responses"].as_object().unwrap() {
            let resp = resolve(&spec, resp);
            assert!(
                resp["description"].is_string(),
                "{path} {code} has a description"
            );
        }
    }
    // Every operation declares its error classes, and every error it names is a problem.
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            for class in ["4XX", "5XX"] {
                assert!(responses.contains_key(class), "{method} {path} has {class}");
            }
            for (code, resp) in responses {
                if code.starts_with('4') || code.starts_with('5') {
                    let resp = resolve(&spec, resp);
                    assert!(
                        resp["content"]["application/problem+json"].is_object(),
                        "{method} {path} {code} is a problem+json"
                    );
                }
            }
        }
    }
    let list_params: Vec<&str> = spec["paths"]["/v1/articles"]["get"]["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    for p in [
        "limit",
        "cursor",
        "page",
        "sort",
        "q",
        "updated_since",
        "section",
        "tag",
        "from",
        "to",
        "lang",
    ] {
        assert!(list_params.contains(&p), "articles list documents `{p}`");
    }
}

#[test]
fn controlled_vocabularies_are_enums_in_the_spec() {
    let spec: serde_json::Value = serde_json::to_value(belportal::openapi_spec()).unwrap();
    let schemas = &spec["components"]["schemas"];
    for (name, value) in [
        ("TouristCategory", "national_park"),
        ("UnescoCriterion", "x"),
        ("UnescoStatus", "tentative"),
        ("MedicalProfile", "nervous_system"),
        ("Treatment", "radon_baths"),
        ("MonumentKind", "mass_grave"),
        ("SouvenirCategory", "straw"),
        ("RegionSlug", "minsk-city"),
        ("EventCategory", "festival"),
        ("EventStatus", "postponed"),
    ] {
        let values = schemas[name]["enum"]
            .as_array()
            .unwrap_or_else(|| panic!("{name} is an enum"));
        assert!(values.iter().any(|v| v == value), "{name} lists {value}");
    }
    let geo = &spec["paths"]["/v1/tourist-sites.geojson"]["get"]["responses"]["200"]["content"];
    assert!(
        geo["application/geo+json"].is_object(),
        "GeoJSON is documented at its own path"
    );
}

#[test]
fn every_schema_reference_resolves() {
    let spec: serde_json::Value = serde_json::to_value(belportal::openapi_spec()).unwrap();
    fn walk(v: &serde_json::Value, refs: &mut Vec<String>) {
        match v {
            serde_json::Value::Object(m) => {
                if let Some(r) = m.get("$ref").and_then(|r| r.as_str()) {
                    refs.push(r.to_string());
                }
                m.values().for_each(|x| walk(x, refs));
            }
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, refs)),
            _ => {}
        }
    }
    let mut refs = Vec::new();
    walk(&spec, &mut refs);
    assert!(!refs.is_empty());
    for r in refs {
        let (kind, name) = r
            .strip_prefix("#/components/")
            .and_then(|rest| rest.split_once('/'))
            .unwrap_or_else(|| panic!("unexpected ref {r}"));
        assert!(
            matches!(kind, "schemas" | "responses"),
            "unexpected ref {r}"
        );
        assert!(
            spec["components"][kind][name].is_object(),
            "{r} does not resolve"
        );
    }
}

/// A response, or the shared response a `$ref` names.
fn resolve<'a>(spec: &'a serde_json::Value, resp: &'a serde_json::Value) -> &'a serde_json::Value {
    match resp["$ref"].as_str() {
        Some(r) => {
            let name = r.strip_prefix("#/components/responses/").unwrap();
            &spec["components"]["responses"][name]
        }
        None => resp,
    }
}
