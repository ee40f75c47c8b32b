//! `POST /user` and `GET /user/{id}`.

use serde_json::json;

use crate::helpers::{app, TestApp, PASSWORD, UNKNOWN_ID};

#[test]
fn signing_up_answers_202_with_a_user_id_and_a_key() {
    let response = app().sign_up_with(json!({ "username": "ana", "password": PASSWORD }));
    response.assert_status(202);
    let body = response.body.as_object().unwrap();
    assert_eq!(body.len(), 3);
    assert!(body["handle"].is_null(), "no handle asked for");
    let user_id = response.str("user_id");
    assert_eq!(user_id.len(), 36);
    assert_eq!(&user_id[14..15], "4", "a version 4 UUID");
    let key = response.str("key");
    assert_eq!(key.len(), 64);
    assert!(key.bytes().all(|byte| byte.is_ascii_hexdigit()));
}

#[test]
fn the_key_from_sign_up_works_at_once() {
    let user = app().sign_up("bo");
    let room = app().create_room_with(&user, json!({}));
    room.assert_status(200);
}

#[test]
fn a_user_reads_back_with_username_and_id() {
    let user = app().sign_up("Zoë 名前 🦀");
    app().user(&user.id).assert_ok(200, json!({ "username": "Zoë 名前 🦀", "user_id": user.id, "handle": null }));
}

#[test]
fn usernames_need_not_be_unique() {
    let first = app().sign_up("twin");
    let second = app().sign_up("twin");
    assert_ne!(first.id, second.id);
}

#[test]
fn a_form_encoded_sign_up_works_too() {
    let response = app().post("/user").form(&[("username", "form user"), ("password", PASSWORD)]);
    response.assert_status(202);
}

#[test]
fn a_sign_up_may_take_its_username_from_the_query_string() {
    let response = app().post("/user").query("username", "query user").json(json!({ "password": PASSWORD }));
    response.assert_status(202);
    assert_eq!(app().user(&response.str("user_id")).str("username"), "query user");
}

#[test]
fn a_sign_up_with_its_password_in_the_query_string_is_400() {
    app().post("/user").query("username", "query user").query("password", PASSWORD).send().assert_error(400);
}

#[test]
fn an_unknown_user_is_404() {
    app().user(UNKNOWN_ID).assert_error(404);
}

#[test]
fn a_malformed_user_id_is_400() {
    app().user("not-a-uuid").assert_error(400);
    app().user(&UNKNOWN_ID[..35]).assert_error(400);
}

#[test]
fn sign_up_refuses_bad_usernames_and_passwords() {
    let cases = [
        json!({ "password": PASSWORD }),
        json!({ "username": "ana" }),
        json!({ "username": "", "password": PASSWORD }),
        json!({ "username": "x".repeat(65), "password": PASSWORD }),
        json!({ "username": "line\nbreak", "password": PASSWORD }),
        json!({ "username": 42, "password": PASSWORD }),
        json!({ "username": "ana", "password": "short" }),
        json!({ "username": "ana", "password": "p".repeat(1025) }),
        json!({ "username": "ana", "password": ["list"] }),
    ];
    for body in cases {
        let response = app().sign_up_with(body.clone());
        assert_eq!(response.status, 400, "{body}: {}", response.text);
        response.assert_error(400);
    }
}

#[test]
fn limits_are_inclusive() {
    let response = app().sign_up_with(json!({ "username": "é".repeat(64), "password": "ü".repeat(1024) }));
    response.assert_status(202);
    let short = app().sign_up_with(json!({ "username": "a", "password": "12345678" }));
    short.assert_status(202);
}

#[test]
fn closed_registration_answers_403() {
    let closed = TestApp::spawn(&[("REGISTRATION", "closed")]);
    closed.sign_up_with(json!({ "username": "ana", "password": PASSWORD })).assert_error(403);
}

#[test]
fn token_registration_needs_the_exact_token() {
    let gated = TestApp::spawn(&[("REGISTRATION", "token"), ("REGISTRATION_TOKEN", "let-me-in")]);
    let sign_up = |token: Option<&str>| {
        let mut body = json!({ "username": "ana", "password": PASSWORD });
        if let Some(token) = token {
            body["registration_token"] = json!(token);
        }
        gated.sign_up_with(body)
    };
    sign_up(None).assert_error(403);
    sign_up(Some("let-me-i")).assert_error(403);
    sign_up(Some("let-me-in ")).assert_error(403);
    assert_eq!(sign_up(Some("let-me-in")).status, 202);
}
