//! `GET /token` (log in) and `DELETE /token` (revoke).
use serde_json::json;

use crate::helpers::{app, TestApp, NOBODY, PASSWORD, UNKNOWN_ID};

#[test]
fn logging_in_answers_a_new_key_each_time() {
    let user = app().sign_up("ana");
    let first = app().log_in(&user.id, PASSWORD);
    first.assert_status(200);
    assert_eq!(first.body.as_object().unwrap().len(), 2);
    assert_eq!(first.str("user_id"), user.id, "whose key it is");
    let second = app().log_in(&user.id, PASSWORD);
    assert_ne!(first.str("key"), second.str("key"));
    assert_ne!(first.str("key"), user.key);
}

#[test]
fn every_key_of_a_user_works_side_by_side() {
    let user = app().sign_up("ana");
    let second = app().log_in(&user.id, PASSWORD).str("key");
    for key in [&user.key, &second] {
        assert_eq!(app().create_room_with(key, json!({})).status, 200);
    }
}

#[test]
fn a_wrong_password_and_an_unknown_user_get_the_same_401() {
    let user = app().sign_up("ana");
    let wrong = app().log_in(&user.id, "not the password");
    let unknown = app().log_in(UNKNOWN_ID, PASSWORD);
    wrong.assert_error(401);
    unknown.assert_error(401);
    assert_eq!(wrong.body, unknown.body);
}

#[test]
fn logging_in_without_fields_or_with_a_malformed_id_is_400() {
    let user = app().sign_up("ana");
    app().get("/token").query("user_id", &user.id).send().assert_error(400);
    app().get("/token").query("password", PASSWORD).send().assert_error(400);
    app().log_in("not-a-uuid", PASSWORD).assert_error(400);
}

#[test]
fn a_login_stores_the_hash_anew_at_a_raised_iteration_count_and_never_at_a_lowered_one() {
    let mut app = TestApp::spawn(&[("PBKDF2_ITERATIONS", "1000")]);
    let user = app.sign_up("ana");
    let stored = |app: &TestApp| {
        app.sql(&format!("SELECT password FROM users WHERE user_id = '{}'", user.id))[0]["password"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let before = stored(&app);
    assert!(before.starts_with("pbkdf2-sha256$1000$"), "{before}");

    app.restart(&[("PBKDF2_ITERATIONS", "2000")]);
    app.log_in(&user.id, "wrong password").assert_error(401);
    assert_eq!(stored(&app), before, "a failed login must not rewrite the hash");
    let login = app.log_in(&user.id, PASSWORD);
    login.assert_status(200);
    let after = stored(&app);
    assert!(after.starts_with("pbkdf2-sha256$2000$"), "{after}");
    assert!(!after.contains(PASSWORD));
    // The new hash still verifies, and a login at the same count leaves it alone.
    assert_eq!(app.log_in(&user.id, PASSWORD).status, 200);
    assert_eq!(stored(&app), after);

    // A count turned down weakens no stored hash.
    app.restart(&[("PBKDF2_ITERATIONS", "1000")]);
    assert_eq!(app.log_in(&user.id, PASSWORD).status, 200);
    assert_eq!(stored(&app), after);
}

#[test]
fn revoking_a_key_answers_204_and_the_key_stops_working_at_once() {
    let user = app().sign_up("ana");
    let response = app().revoke(NOBODY, json!({ "key": user.key, "user_id": user.id }));
    response.assert_status(204);
    app().create_room_with(&user, json!({})).assert_error(401);
    app().room(UNKNOWN_ID, &user).assert_error(401);
}

#[test]
fn revoking_one_key_leaves_the_others_working() {
    let user = app().sign_up("ana");
    let other = app().log_in(&user.id, PASSWORD).str("key");
    assert_eq!(app().revoke(&user, json!({ "user_id": user.id })).status, 204);
    assert_eq!(app().create_room_with(&other, json!({})).status, 200);
}

#[test]
fn revoking_needs_a_live_key_of_that_very_user() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    // Bo's key with Ana's id: 401, and Bo's key still works.
    app().revoke(NOBODY, json!({ "key": bo.key, "user_id": ana.id })).assert_error(401);
    assert_eq!(app().create_room_with(&bo, json!({})).status, 200);
    // An unknown key, a malformed key, a key revoked already.
    app().revoke(NOBODY, json!({ "key": "ab".repeat(32), "user_id": ana.id })).assert_error(401);
    app().revoke(NOBODY, json!({ "key": "nope", "user_id": ana.id })).assert_error(401);
    assert_eq!(app().revoke(NOBODY, json!({ "key": ana.key, "user_id": ana.id })).status, 204);
    app().revoke(NOBODY, json!({ "key": ana.key, "user_id": ana.id })).assert_error(401);
}

#[test]
fn revoking_without_fields_is_400() {
    let user = app().sign_up("ana");
    app().revoke(NOBODY, json!({ "user_id": user.id })).assert_error(400);
    app().revoke(NOBODY, json!({ "key": user.key })).assert_error(400);
    app().revoke(NOBODY, json!({ "key": user.key, "user_id": "x" })).assert_error(400);
}

#[test]
fn revoking_works_from_a_form_body_and_from_the_query_string() {
    let user = app().sign_up("ana");
    let second = app().log_in(&user.id, PASSWORD).str("key");
    assert_eq!(app().delete("/token").form(&[("key", &user.key), ("user_id", &user.id)]).status, 204);
    assert_eq!(app().delete("/token").query("key", &second).query("user_id", &user.id).send().status, 204);
}

#[test]
fn logging_in_by_post_keeps_the_password_out_of_the_url() {
    let user = app().sign_up("ana");
    let by_json = app().log_in_with(json!({ "user_id": user.id, "password": PASSWORD }));
    by_json.assert_status(200);
    assert_eq!(by_json.str("key").len(), 64);
    let by_form = app().post("/token").form(&[("user_id", &user.id), ("password", PASSWORD)]);
    assert_eq!(by_form.status, 200);
    app().log_in_with(json!({ "user_id": user.id, "password": "wrong password" })).assert_error(401);
}

/// The worker's hashing is wasm (SIMD) code that the native unit tests do not run: check it
/// against other implementations through the API. Hashes made by Python's hashlib
/// (`hashlib.pbkdf2_hmac('sha256', password, bytes(range(16)), 1000).hex()`, at the tests'
/// iteration count so that logging in does not rehash) must verify.
#[test]
fn hashes_made_by_another_implementation_verify_in_the_worker() {
    let long: String = ('a'..='z').cycle().take(1024).collect();
    let salt = "000102030405060708090a0b0c0d0e0f";
    for (password, hash) in [
        ("pässwörd 密码 🔑", "080aa3c6f2c5660f08b3eb3f9f32caf0a26ca98c29f832d4e32775d9c22a9010"),
        (long.as_str(), "0f45bddc84e70f21157e5daf6226b6c642fb2c5d2eec03c7bed52f8f4e08d0e7"),
    ] {
        let user = app().sign_up("ana");
        let stored = format!("pbkdf2-sha256${}${salt}${hash}", crate::helpers::TEST_ITERATIONS);
        app().sql(&format!("UPDATE users SET password = '{stored}' WHERE user_id = '{}'", user.id));
        let right = app().log_in_with(json!({ "user_id": user.id, "password": password }));
        right.assert_status(200);
        let wrong = format!("{password}!");
        app().log_in_with(json!({ "user_id": user.id, "password": wrong })).assert_error(401);
    }
}

/// And the hash the worker stores at sign-up is the one the `pbkdf2` crate computes.
#[test]
fn the_hash_stored_at_sign_up_is_the_pbkdf2_crates() {
    let user = app().sign_up("ana");
    let rows = app().sql(&format!("SELECT password FROM users WHERE user_id = '{}'", user.id));
    let stored = rows[0]["password"].as_str().unwrap().to_string();
    let parts: Vec<&str> = stored.split('$').collect();
    assert_eq!(parts[..2], ["pbkdf2-sha256", crate::helpers::TEST_ITERATIONS], "{stored}");
    let mut expected = [0u8; 32];
    pbkdf2::pbkdf2_hmac::<sha2::Sha256>(PASSWORD.as_bytes(), &hex::decode(parts[2]).unwrap(), 1000, &mut expected);
    assert_eq!(parts[3], hex::encode(expected));
}
