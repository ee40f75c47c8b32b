//! `PUT /user/{id}/password` and `DELETE /user/{id}`.

use serde_json::{json, Value};

use crate::helpers::{app, User, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn log_in(user_id: &str, password: &str) -> crate::helpers::Resp {
    app().get("/token").query("user_id", user_id).query("password", password).send()
}

fn key_works(key: &str) -> bool {
    let status = app().post("/room/").bearer(key).json(json!({})).status;
    assert!(status == 200 || status == 401, "{status}");
    status == 200
}

fn change_password(user: &User, key: &str, password: &str, new_password: &str) -> crate::helpers::Resp {
    app()
        .put(&format!("/user/{}/password", user.id))
        .bearer(key)
        .json(json!({ "password": password, "new_password": new_password }))
}

#[test]
fn changing_the_password_answers_204_and_ends_every_other_session() {
    let user = app().sign_up("ana");
    let second = log_in(&user.id, PASSWORD).str("key");
    let third = log_in(&user.id, PASSWORD).str("key");
    let response = change_password(&user, &user.key, PASSWORD, NEW_PASSWORD);
    assert_eq!(response.status, 204, "{}", response.text);
    assert!(key_works(&user.key), "the key that changed it keeps working");
    assert!(!key_works(&second));
    assert!(!key_works(&third));
    log_in(&user.id, PASSWORD).assert_error(401);
    assert_eq!(log_in(&user.id, NEW_PASSWORD).status, 200);
    let rows = app().sql(&format!("SELECT count(*) AS n FROM sessions WHERE user_id = '{}'", user.id));
    assert_eq!(rows[0]["n"], json!(2), "the changing session and the new login");
}

#[test]
fn changing_the_password_needs_the_current_one() {
    let user = app().sign_up("ana");
    let second = log_in(&user.id, PASSWORD).str("key");
    change_password(&user, &user.key, "not my password", NEW_PASSWORD).assert_error(403);
    assert!(key_works(&second), "nothing was revoked");
    assert_eq!(log_in(&user.id, PASSWORD).status, 200);
}

#[test]
fn changing_the_password_needs_the_users_own_live_key() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    change_password(&ana, &bo.key, PASSWORD, NEW_PASSWORD).assert_error(403);
    change_password(&ana, &"ab".repeat(32), PASSWORD, NEW_PASSWORD).assert_error(401);
    app()
        .put(&format!("/user/{}/password", ana.id))
        .json(json!({ "password": PASSWORD, "new_password": NEW_PASSWORD }))
        .assert_error(400);
    assert_eq!(log_in(&ana.id, PASSWORD).status, 200);
}

#[test]
fn the_new_password_follows_the_password_rules() {
    let user = app().sign_up("ana");
    change_password(&user, &user.key, PASSWORD, "short").assert_error(400);
    change_password(&user, &user.key, PASSWORD, &"x".repeat(1025)).assert_error(400);
    app().put(&format!("/user/{}/password", user.id)).bearer(&user.key).json(json!({ "password": PASSWORD })).assert_error(400);
    app().put("/user/not-a-uuid/password").bearer(&user.key).json(json!({ "password": PASSWORD, "new_password": NEW_PASSWORD })).assert_error(400);
}

#[test]
fn wrong_current_passwords_are_throttled_like_logins() {
    let user = app().sign_up("ana");
    for _ in 0..5 {
        change_password(&user, &user.key, "guess", NEW_PASSWORD).assert_error(403);
    }
    change_password(&user, &user.key, PASSWORD, NEW_PASSWORD).assert_error(429);
    log_in(&user.id, PASSWORD).assert_error(429);
}

fn delete_account(user: &User, key: &str, password: &str) -> crate::helpers::Resp {
    app().delete(&format!("/user/{}", user.id)).bearer(key).json(json!({ "password": password }))
}

fn room_of(room: &str, key: &str) -> Value {
    let response = app().get(&format!("/room/{room}")).bearer(key).send();
    assert_eq!(response.status, 200, "{}", response.text);
    response.body
}

#[test]
fn deleting_an_account_answers_204_and_ends_its_sessions() {
    let user = app().sign_up("leaver");
    let second = log_in(&user.id, PASSWORD).str("key");
    let response = delete_account(&user, &user.key, PASSWORD);
    assert_eq!(response.status, 204, "{}", response.text);
    app().get(&format!("/user/{}", user.id)).send().assert_error(404);
    assert!(!key_works(&user.key));
    assert!(!key_works(&second));
    log_in(&user.id, PASSWORD).assert_error(401);
    let rows = app().sql(&format!("SELECT (SELECT count(*) FROM sessions WHERE user_id = '{0}') AS sessions, (SELECT count(*) FROM users WHERE user_id = '{0}') AS users", user.id));
    assert_eq!(rows[0], json!({ "sessions": 0, "users": 0 }));
}

#[test]
fn deleting_an_account_needs_the_password_and_the_users_own_key() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    delete_account(&ana, &ana.key, "wrong password").assert_error(403);
    delete_account(&ana, &bo.key, PASSWORD).assert_error(403);
    app().delete(&format!("/user/{}", ana.id)).bearer(&ana.key).json(json!({})).assert_error(400);
    assert_eq!(app().get(&format!("/user/{}", ana.id)).send().status, 200);
}

#[test]
fn an_owned_room_passes_to_the_longest_standing_admin() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, false);
    let (early, admin_late, admin_early) = (app().sign_up("early member"), app().sign_up("late admin"), app().sign_up("early admin"));
    for user in [&early, &admin_early, &admin_late] {
        assert_eq!(app().post(&format!("/room/{room}/members")).bearer(&owner.key).json(json!({ "user_id": user.id })).status, 200);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for admin in [&admin_late, &admin_early] {
        assert_eq!(app().post(&format!("/room/{room}/admins")).bearer(&owner.key).json(json!({ "user_id": admin.id })).status, 200);
    }
    assert_eq!(delete_account(&owner, &owner.key, PASSWORD).status, 204);
    let body = room_of(&room, &early.key);
    assert_eq!(body["owner"], json!(admin_early.id), "joined before the other admin");
    assert_eq!(body["user_count"], json!(3));
    let admins = app().get(&format!("/room/{room}/admins")).bearer(&early.key).send();
    assert_eq!(admins.body["user_count"], json!(2));
}

#[test]
fn without_admins_an_owned_room_passes_to_the_longest_standing_member_who_becomes_admin() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let first = app().sign_up("first");
    let second = app().sign_up("second");
    app().join(&room, &first);
    std::thread::sleep(std::time::Duration::from_millis(5));
    app().join(&room, &second);
    assert_eq!(delete_account(&owner, &owner.key, PASSWORD).status, 204);
    assert_eq!(room_of(&room, &second.key)["owner"], json!(first.id));
    let admins = app().get(&format!("/room/{room}/admins")).send();
    assert_eq!(admins.body["users"], json!([first.id]));
    // The new owner holds every owner power.
    let renamed = app().patch(&format!("/room/{room}")).bearer(&first.key).json(json!({ "name": "inherited" }));
    assert_eq!(renamed.status, 200, "{}", renamed.text);
}

#[test]
fn an_owned_room_with_nobody_else_is_deleted() {
    let owner = app().sign_up("owner");
    let lonely = app().create_room(&owner, true);
    let left_behind = app().sign_up("left");
    let abandoned = app().create_room(&owner, true);
    app().join(&abandoned, &left_behind);
    app().delete(&format!("/room/{abandoned}/members/{}", left_behind.id)).bearer(&left_behind.key).send();
    assert_eq!(delete_account(&owner, &owner.key, PASSWORD).status, 204);
    app().get(&format!("/room/{lonely}")).send().assert_error(404);
    app().get(&format!("/room/{abandoned}")).send().assert_error(404);
}

#[test]
fn a_deleted_members_memberships_go_and_counts_stay_exact() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let member = app().sign_up("member");
    app().join(&room, &member);
    let message = app().post(&format!("/room/{room}/messages")).bearer(&member.key).json(json!({ "text": "bye" }));
    assert_eq!(message.status, 201, "{}", message.text);
    assert_eq!(delete_account(&member, &member.key, PASSWORD).status, 204);
    assert_eq!(room_of(&room, &owner.key)["user_count"], json!(1));
    app().get(&format!("/room/{room}/members/{}", member.id)).send().assert_error(404);
    // Their messages stay in the room's history.
    let history = app().get(&format!("/room/{room}/messages")).send();
    assert_eq!(history.body["messages"][0]["text"], json!("bye"));
}

#[test]
fn a_revoked_key_cannot_delete_the_account_even_where_kv_still_has_it() {
    // Simulates KV's cross-location delay: the session row is gone from D1 (revoked
    // elsewhere) while this location's KV still knows the key.
    let user = app().sign_up("ana");
    let hash = app().sql(&format!("SELECT key_hash FROM sessions WHERE user_id = '{}'", user.id))[0]["key_hash"]
        .as_str()
        .unwrap()
        .to_string();
    app().sql(&format!("DELETE FROM sessions WHERE key_hash = '{hash}'"));
    delete_account(&user, &user.key, PASSWORD).assert_error(401);
    assert_eq!(app().get(&format!("/user/{}", user.id)).send().status, 200);
    change_password(&user, &user.key, PASSWORD, NEW_PASSWORD).assert_error(401);
    assert_eq!(log_in(&user.id, PASSWORD).status, 200, "the password did not change");
}

#[test]
fn a_key_that_outlives_its_account_creates_and_joins_nothing() {
    // KV may keep a deleted account's key for up to a minute in other locations: simulated
    // by deleting the account in D1 alone.
    let ghost = app().sign_up("ghost");
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    app().sql(&format!("DELETE FROM users WHERE user_id = '{}'", ghost.id));
    let rooms_before = app().sql("SELECT count(*) AS n FROM rooms")[0]["n"].clone();
    app().post("/room/").bearer(&ghost.key).json(json!({ "name": "haunted" })).assert_error(401);
    assert_eq!(app().sql("SELECT count(*) AS n FROM rooms")[0]["n"], rooms_before);
    app().post(&format!("/room/{room}/members")).bearer(&ghost.key).send().assert_error(401);
    app().get(&format!("/room/{room}/members/{}", ghost.id)).send().assert_error(404);
}
