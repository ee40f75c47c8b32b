//! Cross-origin calls and the headers every answer carries.

use std::sync::OnceLock;

use serde_json::json;

use crate::helpers::TestApp;

const ALLOWED: &str = "https://chat.example";

fn cors_app() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(|| TestApp::spawn(&[("CORS_ORIGINS", "https://chat.example, https://other.example")]))
}

#[test]
fn a_preflight_from_an_allowed_origin_gets_204_with_the_cors_headers() {
    let response = cors_app()
        .call("OPTIONS", "/room/")
        .header("Origin", ALLOWED)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "authorization, content-type")
        .send();
    assert_eq!(response.status, 204);
    assert_eq!(response.header("Access-Control-Allow-Origin"), Some(ALLOWED));
    let methods = response.header("Access-Control-Allow-Methods").unwrap();
    for method in ["GET", "POST", "PUT", "PATCH", "DELETE"] {
        assert!(methods.contains(method), "{methods}");
    }
    let headers = response.header("Access-Control-Allow-Headers").unwrap().to_ascii_lowercase();
    assert!(headers.contains("authorization") && headers.contains("content-type"), "{headers}");
    assert!(headers.contains("x-d1-bookmark"), "a browser sends its bookmark back: {headers}");
    assert!(response.header("Access-Control-Max-Age").is_some());
    assert_eq!(response.header("Vary"), Some("Origin"));
}

#[test]
fn a_preflight_from_another_origin_gets_no_cors_headers() {
    let response = cors_app().call("OPTIONS", "/room/").header("Origin", "https://evil.example").send();
    assert_eq!(response.status, 204);
    assert_eq!(response.header("Access-Control-Allow-Origin"), None);
    assert_eq!(response.header("Access-Control-Allow-Methods"), None);
}

#[test]
fn an_allowed_origin_can_read_answers_and_errors() {
    let user = cors_app()
        .post("/user")
        .header("Origin", ALLOWED)
        .json(json!({ "username": "web", "password": "web password" }));
    assert_eq!(user.status, 202);
    assert_eq!(user.header("Access-Control-Allow-Origin"), Some(ALLOWED));
    let error = cors_app().get("/room/not-a-room").header("Origin", ALLOWED).send();
    error.assert_error(400);
    assert_eq!(error.header("Access-Control-Allow-Origin"), Some(ALLOWED));
    assert!(error.header("Access-Control-Expose-Headers").unwrap().contains("Retry-After"));
    let exposed = user.header("Access-Control-Expose-Headers").unwrap();
    assert!(exposed.contains("X-D1-Bookmark") && user.header("X-D1-Bookmark").is_some(), "{exposed}");
}

#[test]
fn by_default_no_origin_is_allowed() {
    let response = crate::helpers::app().call("OPTIONS", "/user").header("Origin", ALLOWED).send();
    assert_eq!(response.status, 204);
    assert_eq!(response.header("Access-Control-Allow-Origin"), None);
    let answer = crate::helpers::app().get("/openapi.json").header("Origin", ALLOWED).send();
    assert_eq!(answer.header("Access-Control-Allow-Origin"), None);
}

#[test]
fn answers_with_a_key_in_them_are_never_cached_and_never_sniffed() {
    let response = cors_app().sign_up_with(json!({ "username": "ana", "password": "ana password" }));
    assert_eq!(response.header("Cache-Control"), Some("no-store"));
    assert_eq!(response.header("X-Content-Type-Options"), Some("nosniff"));
}
