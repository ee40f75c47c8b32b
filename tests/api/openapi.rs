//! `GET /openapi.json`: the document lists exactly the routes `src/lib.rs` serves, and is a
//! well-formed OpenAPI 3.1 document (the fuzzer, `scripts/fuzz.sh`, checks that the service
//! behaves as it says).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde_json::Value;

use crate::helpers::{app, ROOT};

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "patch", "options", "head", "trace"];

/// The routes (`chatrooms::ROUTES`, the table in `src/lib.rs` that requests are routed by),
/// as (method, path) with `:param` written `{param}`. HEAD, which every GET route answers
/// too, is left to the document's GET.
fn routed() -> BTreeSet<(String, String)> {
    let mut routes: BTreeSet<(String, String)> = chatrooms::ROUTES
        .iter()
        .map(|route| (route.method.to_ascii_lowercase(), openapi_path(route.pattern)))
        .collect();
    // The document itself is a static asset (web/openapi.json), served beside the router.
    routes.insert(("get".to_string(), "/openapi.json".to_string()));
    // So is the live protocol's AsyncAPI document (web/asyncapi.json).
    routes.insert(("get".to_string(), "/asyncapi.json".to_string()));
    routes
}

/// `/room/:room_id` → `/room/{room_id}`.
fn openapi_path(route: &str) -> String {
    route
        .split('/')
        .map(|segment| match segment.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => segment.to_string(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

fn served_document() -> Value {
    let response = app().openapi();
    response.assert_status(200);
    response.body
}

fn operations(document: &Value) -> Vec<(String, String, &Value)> {
    let paths = document["paths"].as_object().expect("paths is an object");
    let mut operations = Vec::new();
    for (path, item) in paths {
        let item = item.as_object().unwrap_or_else(|| panic!("path item {path} is not an object"));
        for (method, operation) in item {
            if METHODS.contains(&method.as_str()) {
                operations.push((method.clone(), path.clone(), operation));
            }
        }
    }
    operations
}

/// The value a local `$ref` (`#/components/...`) points at, if any.
fn resolve<'a>(document: &'a Value, reference: &str) -> Option<&'a Value> {
    let pointer = reference.strip_prefix('#')?;
    document.pointer(pointer)
}

/// Every `$ref` in `value`, with where it was found.
fn references(value: &Value, at: &str, found: &mut Vec<(String, String)>) {
    match value {
        Value::Object(object) => {
            for (name, inner) in object {
                if name == "$ref" {
                    if let Value::String(reference) = inner {
                        found.push((at.to_string(), reference.clone()));
                    }
                }
                references(inner, &format!("{at}/{name}"), found);
            }
        }
        Value::Array(items) => {
            for (index, inner) in items.iter().enumerate() {
                references(inner, &format!("{at}/{index}"), found);
            }
        }
        _ => {}
    }
}

/// Follows `$ref`s until the value itself.
fn dereference<'a>(document: &'a Value, mut value: &'a Value) -> &'a Value {
    for _ in 0..16 {
        match value.get("$ref").and_then(Value::as_str) {
            Some(reference) => value = resolve(document, reference).unwrap_or_else(|| panic!("unresolved {reference}")),
            None => return value,
        }
    }
    panic!("a $ref cycle at {value}");
}

#[test]
fn the_document_lists_exactly_the_routes_the_router_serves() {
    let routed = routed();
    assert!(routed.len() > 20, "found only {} routes in src/lib.rs: has the router's form changed?", routed.len());
    let document = served_document();
    let documented: BTreeSet<(String, String)> =
        operations(&document).into_iter().map(|(method, path, _)| (method, path)).collect();
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(
        undocumented.is_empty() && unrouted.is_empty(),
        "web/openapi.json and the router in src/lib.rs disagree\n  \
         routed but not documented: {undocumented:?}\n  documented but not routed: {unrouted:?}"
    );
}

#[test]
fn the_document_is_served_verbatim_as_json() {
    let response = app().openapi();
    assert_eq!(response.status, 200);
    assert!(response.header("Content-Type").unwrap_or_default().starts_with("application/json"));
    let on_disk = std::fs::read_to_string(Path::new(ROOT).join("web/openapi.json")).unwrap();
    assert_eq!(response.text, on_disk, "the served document differs from web/openapi.json: restart wrangler dev");
}

#[test]
fn the_document_is_well_formed_openapi_3_1() {
    let document = served_document();
    assert_eq!(document["openapi"], "3.1.0");
    assert!(
        document["info"]["title"].is_string() && document["info"]["version"].is_string(),
        "info needs a title and a version"
    );

    let mut problems = Vec::new();
    let mut found = Vec::new();
    references(&document, "#", &mut found);
    for (at, reference) in &found {
        if resolve(&document, reference).is_none() {
            problems.push(format!("{at}: $ref {reference} does not resolve"));
        }
    }
    if !problems.is_empty() {
        panic!("{}", problems.join("\n"));
    }

    let schemes = document["components"]["securitySchemes"].as_object().cloned().unwrap_or_default();
    let mut operation_ids = BTreeMap::new();
    for (method, path, operation) in operations(&document) {
        let label = format!("{} {path}", method.to_uppercase());
        match operation["responses"].as_object() {
            Some(responses) if !responses.is_empty() => {
                for (status, response) in responses {
                    let valid_status = status == "default"
                        || (status.len() == 3 && status.starts_with(['1', '2', '3', '4', '5']) && {
                            let rest = status.get(1..).unwrap_or_default();
                            rest.chars().all(|c| c.is_ascii_digit()) || rest == "XX"
                        });
                    if !valid_status {
                        problems.push(format!("{label}: response key {status:?} is not a status code"));
                    }
                    if !dereference(&document, response)["description"].is_string() {
                        problems.push(format!("{label}: response {status} has no description"));
                    }
                }
            }
            _ => problems.push(format!("{label}: no responses")),
        }
        match operation["operationId"].as_str() {
            Some(id) => {
                if let Some(other) = operation_ids.insert(id.to_string(), label.clone()) {
                    problems.push(format!("{label}: operationId {id} is also {other}'s"));
                }
            }
            None => problems.push(format!("{label}: no operationId")),
        }
        // Every `{name}` in the path is a required path parameter, and no other is declared.
        let templated: BTreeSet<&str> =
            path.split('/').filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}')).collect();
        let mut declared = BTreeSet::new();
        for parameter in operation["parameters"].as_array().into_iter().flatten() {
            let parameter = dereference(&document, parameter);
            let (Some(name), Some(location)) = (parameter["name"].as_str(), parameter["in"].as_str()) else {
                problems.push(format!("{label}: a parameter without name or in: {parameter}"));
                continue;
            };
            if !["path", "query", "header", "cookie"].contains(&location) {
                problems.push(format!("{label}: parameter {name} is in {location:?}"));
            }
            if parameter.get("schema").is_none() && parameter.get("content").is_none() {
                problems.push(format!("{label}: parameter {name} has neither schema nor content"));
            }
            if location == "path" {
                if parameter["required"] != true {
                    problems.push(format!("{label}: path parameter {name} is not required"));
                }
                declared.insert(name.to_string());
            }
        }
        let templated: BTreeSet<String> = templated.into_iter().map(str::to_string).collect();
        if templated != declared {
            problems.push(format!("{label}: path parameters {declared:?} do not match the path's {templated:?}"));
        }
        for requirement in operation["security"].as_array().into_iter().flatten() {
            for scheme in requirement.as_object().into_iter().flatten().map(|(scheme, _)| scheme) {
                if !schemes.contains_key(scheme) {
                    problems.push(format!("{label}: security scheme {scheme} is not in components.securitySchemes"));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
