//! Bad input of every kind gets a 4xx with a JSON error: never a 500, HTML or plain text.

use serde_json::json;

use crate::helpers::{app, raw_http, PASSWORD, UNKNOWN_ID};

#[test]
fn malformed_json_is_400() {
    for body in ["{", "{\"username\": }", "not json at all {", "{\"a\":1}}"] {
        app().post("/user").raw("application/json", body.as_bytes()).assert_error(400);
    }
}

#[test]
fn a_json_body_that_is_not_an_object_is_400() {
    for body in ["[]", "\"ana\"", "42", "null", "true"] {
        app().post("/user").raw("application/json", body.as_bytes()).assert_error(400);
    }
}

#[test]
fn json_that_is_not_utf8_is_400() {
    app().post("/user").raw("application/json", b"{\"username\": \"\xff\xfe\"}").assert_error(400);
}

#[test]
fn a_body_over_64_kib_is_413() {
    let body = json!({ "username": "ana", "password": "p".repeat(70 * 1024) });
    app().sign_up_with(body).assert_error(413);
}

#[test]
fn a_body_of_exactly_64_kib_is_read() {
    let padding = 64 * 1024 - r#"{"username":"ana","password":"correct horse battery","pad":""}"#.len();
    let body = json!({ "username": "ana", "password": PASSWORD, "pad": "x".repeat(padding) }).to_string();
    assert_eq!(body.len(), 64 * 1024);
    assert_eq!(app().post("/user").raw("application/json", body.as_bytes()).status, 202);
}

#[test]
fn a_chunked_body_over_64_kib_is_413_too() {
    let chunk = "x".repeat(16 * 1024);
    let mut request = String::from(
        "POST /user HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
    );
    for _ in 0..5 {
        request.push_str(&format!("{:x}\r\n{chunk}\r\n", chunk.len()));
    }
    request.push_str("0\r\n\r\n");
    let (status, body) = raw_http(app(), &request);
    assert_eq!(status, 413, "{body}");
    assert!(body.contains("\"error\""), "{body}");
}

#[test]
fn an_unsupported_media_type_is_415() {
    app().post("/user").raw("text/plain", b"username=ana").assert_error(415);
    app().post("/user").raw("multipart/form-data; boundary=x", b"--x--").assert_error(415);
}

#[test]
fn a_field_sent_twice_is_400() {
    app().post("/user").form(&[("username", "a"), ("username", "b"), ("password", PASSWORD)]).assert_error(400);
    app().post("/user").query("username", "a").json(json!({ "username": "b", "password": PASSWORD })).assert_error(400);
}

#[test]
fn a_key_field_and_a_different_bearer_header_are_400() {
    let user = app().sign_up("ana");
    let other = app().sign_up("bo");
    app().create_room_with(&other, json!({ "key": user.key })).assert_error(400);
}

#[test]
fn an_unknown_route_is_a_json_404() {
    for path in ["/nothing", "/user", "/user/", "/room", "/rooms/x/y/z", "/room/x/nothing"] {
        let response = app().get(path).send();
        response.assert_error(if path == "/user" || path == "/room" { 405 } else { 404 });
    }
}

#[test]
fn a_wrong_method_is_a_json_405() {
    app().put("/user").send().assert_error(405);
    app().patch(&format!("/room/{UNKNOWN_ID}/owner")).send().assert_error(405);
}

#[test]
fn sql_metacharacters_are_data_not_sql() {
    let name = "Robert'); DROP TABLE users;--";
    let user = app().sign_up(name);
    assert_eq!(app().user(&user.id).str("username"), name);
    app().user("' OR '1'='1").assert_error(400);
    let response = app().log_in("' OR 1=1 --", "x");
    response.assert_error(400);
}

#[test]
fn every_answer_says_nosniff_and_no_store() {
    let user = app().sign_up("ana");
    for response in [app().user(&user.id), app().log_in(&user.id, PASSWORD), app().get("/nothing").send()] {
        assert_eq!(response.header("X-Content-Type-Options"), Some("nosniff"));
        assert_eq!(response.header("Cache-Control"), Some("no-store"));
    }
}

#[test]
fn a_405_says_which_methods_the_path_allows() {
    let response = app().put(&format!("/room/{UNKNOWN_ID}")).send();
    response.assert_error(405);
    assert_eq!(response.header("Allow"), Some("GET, HEAD, PATCH, DELETE, OPTIONS"));
    assert_eq!(app().call("TRACE", "/token").send().header("Allow"), Some("GET, HEAD, POST, DELETE, OPTIONS"));
}

#[test]
fn an_unknown_method_is_405_not_a_get() {
    let response = app().call("QUERY", "/rooms").send();
    response.assert_error(405);
    assert_eq!(response.header("Allow"), Some("GET, HEAD, OPTIONS"));
    app().call("QUERY", "/nowhere").send().assert_error(404);
}

#[test]
fn every_get_route_answers_head_without_a_body() {
    let user = app().sign_up("head");
    let response = app().call("HEAD", &format!("/user/{}", user.id)).send_head();
    assert_eq!(response, 200);
    assert_eq!(app().call("HEAD", &format!("/user/{UNKNOWN_ID}")).send_head(), 404);
}
