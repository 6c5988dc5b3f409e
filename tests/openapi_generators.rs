#![allow(clippy::unwrap_used)] // tests: a panic is a failed assertion
//! What makes the generated spec fit for client generators (openapi-typescript
//! and the like; the TypeScript client in clients/typescript is built from it):
//! summaries and descriptions, every status, headers, optional auth on
//! previews, comma lists as arrays, one media type per response, examples.
//! (The spec's structure and currency are in tests/openapi.rs.)

fn spec() -> serde_json::Value {
    serde_json::to_value(belportal::openapi_spec()).unwrap()
}

/// Every operation: (path, method, operation).
fn operations(spec: &serde_json::Value) -> Vec<(String, String, serde_json::Value)> {
    let mut out = Vec::new();
    for (path, item) in spec["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            out.push((path.clone(), method.clone(), op.clone()));
        }
    }
    out
}

fn param<'a>(op: &'a serde_json::Value, name: &str) -> Option<&'a serde_json::Value> {
    op["parameters"]
        .as_array()?
        .iter()
        .find(|p| p["name"] == name && p["in"] == "query")
}

#[test]
fn every_operation_has_a_summary_and_a_description() {
    let spec = spec();
    let ops = operations(&spec);
    assert!(ops.len() >= 74, "{} operations", ops.len());
    for (path, method, op) in ops {
        let summary = op["summary"].as_str().unwrap_or_default();
        let description = op["description"].as_str().unwrap_or_default();
        assert!(!summary.is_empty(), "{method} {path} has a summary");
        assert!(
            summary.len() <= 60,
            "{method} {path}: a summary is short: {summary}"
        );
        assert!(
            description.len() >= 60,
            "{method} {path} has a real description"
        );
    }
}

#[test]
fn info_servers_and_tags_are_current() {
    let spec = spec();
    let info = &spec["info"];
    let description = info["description"].as_str().unwrap();
    for word in ["places", "events", "Versioning", "problem+json"] {
        assert!(
            description.contains(word),
            "info.description mentions {word}"
        );
    }
    assert!(!description.contains("later versions"), "{description}");
    assert!(info["contact"]["name"].is_string() && info["license"]["name"].is_string());
    let servers: Vec<&str> = spec["servers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["url"].as_str().unwrap())
        .collect();
    assert_eq!(servers, ["/", "http://127.0.0.1:8080"]);
    let tags: Vec<&str> = spec["tags"]
        .as_array()
        .unwrap()
        .iter()
        .inspect(|t| assert!(t["description"].as_str().unwrap().len() > 20, "{t}"))
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    for (path, method, op) in operations(&spec) {
        for t in op["tags"].as_array().unwrap() {
            assert!(
                tags.contains(&t.as_str().unwrap()),
                "{method} {path}: tag {t} is declared"
            );
        }
    }
}

#[test]
fn every_operation_declares_the_statuses_it_can_answer() {
    let spec = spec();
    let has_retry_after = |code: &str, resp: &serde_json::Value| {
        let resp = resolve(&spec, resp);
        assert!(
            resp["headers"]["Retry-After"].is_object(),
            "{code} has Retry-After"
        );
    };
    for (path, method, op) in operations(&spec) {
        let responses = op["responses"].as_object().unwrap();
        let has = |code: &str| responses.contains_key(code);
        for code in ["429", "503", "4XX", "5XX"] {
            assert!(has(code), "{method} {path} has {code}");
        }
        has_retry_after("429", &responses["429"]);
        has_retry_after("503", &responses["503"]);
        if method == "get" && path != "/v1/admin/export" {
            assert!(has("304"), "GET {path} is cacheable: 304");
        }
        if op["requestBody"].is_object() {
            for code in ["400", "413", "415"] {
                assert!(has(code), "{method} {path} has a body: {code}");
            }
        }
        if op["parameters"]
            .as_array()
            .is_some_and(|ps| ps.iter().any(|p| p["in"] == "query"))
        {
            assert!(has("400"), "{method} {path} has query parameters: 400");
        }
        let security = op["security"].as_array().cloned().unwrap_or_default();
        if !security.is_empty() {
            assert!(has("401"), "{method} {path} takes a key: 401");
        }
        if security == [serde_json::json!({"api_key": []})] {
            assert!(has("403"), "{method} {path} needs a role: 403");
        }
    }
}

#[test]
fn every_list_documents_the_link_header_and_one_media_type() {
    let spec = spec();
    let mut lists = 0;
    for (path, method, op) in operations(&spec) {
        let Some(ok) = op["responses"].get("200") else {
            continue;
        };
        let content = ok["content"].as_object().unwrap();
        assert_eq!(
            content.len(),
            1,
            "{method} {path}: one media type, not {:?}",
            content.keys()
        );
        let schema = content.values().next().unwrap()["schema"]["$ref"]
            .as_str()
            .unwrap_or("");
        let is_list = ["ListBody_", "ChangesBody", "FeatureCollection"]
            .iter()
            .any(|b| {
                schema
                    .trim_start_matches("#/components/schemas/")
                    .starts_with(b)
            });
        if is_list {
            lists += 1;
            assert!(
                ok["headers"]["Link"].is_object(),
                "{method} {path}: the list's 200 documents Link"
            );
        }
        if method == "get" && path != "/v1/admin/export" {
            assert!(
                ok["headers"]["ETag"].is_object(),
                "GET {path} documents its ETag"
            );
        }
    }
    assert!(lists >= 20, "{lists} lists");
    // GeoJSON at its own operations; the JSON lists answer JSON only.
    for list in ["tourist-sites", "unesco-sites", "sanatoria", "monuments"] {
        let json = &spec["paths"][format!("/v1/{list}")]["get"];
        let geo = &spec["paths"][format!("/v1/{list}.geojson")]["get"];
        assert!(json["responses"]["200"]["content"]["application/json"].is_object());
        assert!(
            geo["responses"]["200"]["content"]["application/geo+json"].is_object(),
            "{list}.geojson"
        );
        let names = |op: &serde_json::Value| -> Vec<String> {
            op["parameters"]
                .as_array()
                .unwrap()
                .iter()
                .map(|p| p["name"].as_str().unwrap().to_string())
                .collect()
        };
        let mut expected = names(json);
        expected.retain(|n| n != "format");
        assert_eq!(
            names(geo),
            expected,
            "{list}.geojson takes the list's parameters"
        );
        assert_eq!(param(json, "format").unwrap()["deprecated"], true);
    }
}

#[test]
fn comma_lists_are_arrays_serialized_form_without_explode() {
    let spec = spec();
    let mut seen = std::collections::HashSet::new();
    for (path, method, op) in operations(&spec) {
        let mut names = vec![
            "profile",
            "treatment",
            "criterion",
            "types",
            "fields",
            "include",
        ];
        if param(&op, "fallback").is_some() {
            names.push("lang");
        }
        for name in names {
            let Some(p) = param(&op, name) else { continue };
            seen.insert(name);
            assert_eq!(p["schema"]["type"], "array", "{method} {path} {name}: {p}");
            assert_eq!(p["style"], "form", "{method} {path} {name}");
            assert_eq!(p["explode"], false, "{method} {path} {name}");
            if let Some(e) = p.get("example") {
                assert!(
                    e.is_array(),
                    "{method} {path} {name}: the example is an array: {e}"
                );
            }
        }
        // `types` documents the item types only (the collection names are accepted too).
        if let Some(types) = param(&op, "types") {
            let words = types["schema"]["items"]["enum"].as_array().unwrap();
            assert!(words.contains(&serde_json::json!("unesco_site")), "{path}");
            assert!(
                words.iter().all(|w| !w.as_str().unwrap().contains('-')),
                "{path}: {words:?}"
            );
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
}

#[test]
fn editor_previews_declare_optional_auth() {
    let spec = spec();
    let optional = serde_json::json!([{}, {"api_key": []}]);
    let mut previews = Vec::new();
    for (path, method, op) in operations(&spec) {
        if op["security"] == optional {
            previews.push(format!("{method} {path}"));
        }
    }
    for kind in [
        "articles",
        "events",
        "tourist-sites",
        "unesco-sites",
        "sanatoria",
        "monuments",
        "souvenirs",
    ] {
        for p in [format!("get /v1/{kind}"), format!("get /v1/{kind}/{{id}}")] {
            assert!(
                previews.contains(&p),
                "{p} takes an optional key: {previews:?}"
            );
        }
    }
    assert!(previews.contains(&"get /v1/changes".to_string()));
    assert!(previews.len() >= 19, "{previews:?}");
}

#[test]
fn bodies_and_main_parameters_have_examples() {
    let spec = spec();
    let main = [
        "q", "lang", "limit", "cursor", "near", "bbox", "fields", "include", "types", "lat", "lon",
        "month",
    ];
    for (path, method, op) in operations(&spec) {
        if let Some(body) = op.get("requestBody") {
            for (ct, c) in body["content"].as_object().unwrap() {
                assert!(
                    !c["example"].is_null(),
                    "{method} {path} {ct} has an example"
                );
            }
        }
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap();
            if p["in"] == "query" && main.contains(&name) {
                assert!(
                    !p["example"].is_null(),
                    "{method} {path} {name} has an example"
                );
            }
        }
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
