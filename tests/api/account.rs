//! `PUT /user/{id}/password` and `DELETE /user/{id}`.

use serde_json::{json, Value};

use crate::helpers::{app, NOBODY, PASSWORD};

const NEW_PASSWORD: &str = "a brand new passphrase";

fn key_works(key: &str) -> bool {
    let status = app().create_room_with(key, json!({})).status;
    assert!(status == 200 || status == 401, "{status}");
    status == 200
}

#[test]
fn changing_the_password_answers_204_and_ends_every_other_session() {
    let user = app().sign_up("ana");
    let second = app().log_in(&user.id, PASSWORD).str("key");
    let third = app().log_in(&user.id, PASSWORD).str("key");
    let response = app().change_password(&user.id, &user, PASSWORD, NEW_PASSWORD);
    response.assert_status(204);
    assert!(key_works(&user.key), "the key that changed it keeps working");
    assert!(!key_works(&second));
    assert!(!key_works(&third));
    app().log_in(&user.id, PASSWORD).assert_error(401);
    assert_eq!(app().log_in(&user.id, NEW_PASSWORD).status, 200);
    let rows = app().sql(&format!("SELECT count(*) AS n FROM sessions WHERE user_id = '{}'", user.id));
    assert_eq!(rows[0]["n"], json!(2), "the changing session and the new login");
}

#[test]
fn changing_the_password_needs_the_current_one() {
    let user = app().sign_up("ana");
    let second = app().log_in(&user.id, PASSWORD).str("key");
    app().change_password(&user.id, &user, "not my password", NEW_PASSWORD).assert_error(403);
    assert!(key_works(&second), "nothing was revoked");
    assert_eq!(app().log_in(&user.id, PASSWORD).status, 200);
}

#[test]
fn changing_the_password_needs_the_users_own_live_key() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    app().change_password(&ana.id, &bo, PASSWORD, NEW_PASSWORD).assert_error(403);
    app().change_password(&ana.id, "ab".repeat(32), PASSWORD, NEW_PASSWORD).assert_error(401);
    app().change_password(&ana.id, NOBODY, PASSWORD, NEW_PASSWORD).assert_error(400);
    assert_eq!(app().log_in(&ana.id, PASSWORD).status, 200);
}

#[test]
fn the_new_password_follows_the_password_rules() {
    let user = app().sign_up("ana");
    app().change_password(&user.id, &user, PASSWORD, "short").assert_error(400);
    app().change_password(&user.id, &user, PASSWORD, &"x".repeat(1025)).assert_error(400);
    app()
        .put(&format!("/user/{}/password", user.id))
        .bearer(&user.key)
        .json(json!({ "password": PASSWORD }))
        .assert_error(400);
    app().change_password("not-a-uuid", &user, PASSWORD, NEW_PASSWORD).assert_error(400);
}

#[test]
fn wrong_current_passwords_make_that_key_wait_and_not_the_user() {
    let user = app().sign_up("ana");
    for _ in 0..5 {
        app().change_password(&user.id, &user, "guess", NEW_PASSWORD).assert_error(403);
    }
    app().change_password(&user.id, &user, PASSWORD, NEW_PASSWORD).assert_error(429);
    app().delete_account(&user.id, &user, PASSWORD).assert_error(429);
    // A thief's key cannot lock the owner out: another session of theirs goes ahead.
    let login = app().log_in(&user.id, PASSWORD);
    login.assert_status(200);
    let response = app().change_password(&user.id, login.str("key").as_str(), PASSWORD, NEW_PASSWORD);
    response.assert_status(204);
}

fn room_of(room: &str, key: &str) -> Value {
    let response = app().room(room, key);
    response.assert_status(200);
    response.body
}

#[test]
fn deleting_an_account_answers_204_and_ends_its_sessions() {
    let user = app().sign_up("leaver");
    let second = app().log_in(&user.id, PASSWORD).str("key");
    let response = app().delete_account(&user.id, &user, PASSWORD);
    response.assert_status(204);
    app().user(&user.id).assert_error(404);
    assert!(!key_works(&user.key));
    assert!(!key_works(&second));
    app().log_in(&user.id, PASSWORD).assert_error(401);
    let rows = app().sql(&format!("SELECT (SELECT count(*) FROM sessions WHERE user_id = '{0}') AS sessions, (SELECT count(*) FROM users WHERE user_id = '{0}') AS users", user.id));
    assert_eq!(rows[0], json!({ "sessions": 0, "users": 0 }));
}

#[test]
fn deleting_an_account_needs_the_password_and_the_users_own_key() {
    let ana = app().sign_up("ana");
    let bo = app().sign_up("bo");
    app().delete_account(&ana.id, &ana, "wrong password").assert_error(403);
    app().delete_account(&ana.id, &bo, PASSWORD).assert_error(403);
    app().delete(&format!("/user/{}", ana.id)).bearer(&ana.key).json(json!({})).assert_error(400);
    assert_eq!(app().user(&ana.id).status, 200);
}

#[test]
fn an_owned_room_passes_to_the_longest_standing_admin() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, false);
    let (early, admin_late, admin_early) =
        (app().sign_up("early member"), app().sign_up("late admin"), app().sign_up("early admin"));
    for user in [&early, &admin_early, &admin_late] {
        app().bring_in(&room, &owner, user);
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    for admin in [&admin_late, &admin_early] {
        assert_eq!(app().promote(&room, &owner, &admin.id).status, 200);
    }
    assert_eq!(app().delete_account(&owner.id, &owner, PASSWORD).status, 204);
    let body = room_of(&room, &early.key);
    assert_eq!(body["owner"], json!(admin_early.id), "joined before the other admin");
    assert_eq!(body["user_count"], json!(3));
    let admins = app().admins(&room, &early, &[]);
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
    assert_eq!(app().delete_account(&owner.id, &owner, PASSWORD).status, 204);
    assert_eq!(room_of(&room, &second.key)["owner"], json!(first.id));
    let admins = app().admins(&room, NOBODY, &[]);
    assert_eq!(admins.body["users"], json!([first.id]));
    // The new owner holds every owner power.
    let renamed = app().update_room(&room, &first, json!({ "name": "inherited" }));
    renamed.assert_status(200);
}

#[test]
fn an_owned_room_with_nobody_else_is_deleted() {
    let owner = app().sign_up("owner");
    let lonely = app().create_room(&owner, true);
    let left_behind = app().sign_up("left");
    let abandoned = app().create_room(&owner, true);
    app().join(&abandoned, &left_behind);
    app().remove_member(&abandoned, &left_behind, &left_behind.id);
    assert_eq!(app().delete_account(&owner.id, &owner, PASSWORD).status, 204);
    app().room(&lonely, NOBODY).assert_error(404);
    app().room(&abandoned, NOBODY).assert_error(404);
}

#[test]
fn a_deleted_members_memberships_go_and_counts_stay_exact() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let member = app().sign_up("member");
    app().join(&room, &member);
    let message = app().post_message(&room, &member, "bye");
    message.assert_status(201);
    assert_eq!(app().delete_account(&member.id, &member, PASSWORD).status, 204);
    assert_eq!(room_of(&room, &owner.key)["user_count"], json!(1));
    app().presence(&room, NOBODY, &member.id).assert_error(404);
    // Their messages stay in the room's history.
    let history = app().messages(&room, NOBODY, &[]);
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
    app().delete_account(&user.id, &user, PASSWORD).assert_error(401);
    assert_eq!(app().user(&user.id).status, 200);
    app().change_password(&user.id, &user, PASSWORD, NEW_PASSWORD).assert_error(401);
    assert_eq!(app().log_in(&user.id, PASSWORD).status, 200, "the password did not change");
}

#[test]
fn a_key_that_outlives_its_account_creates_and_joins_nothing() {
    // KV may keep a deleted account's key for up to a minute in other locations: simulated
    // by deleting the account in D1 alone.
    let ghost = app().sign_up("ghost");
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    app().sql(&format!("DELETE FROM users WHERE user_id = '{}'", ghost.id));
    // Other tests create rooms on this instance meanwhile: count only the rooms the ghost could
    // have made.
    let haunted = format!("SELECT count(*) AS n FROM rooms WHERE owner_id = '{}' OR name = 'haunted'", ghost.id);
    assert_eq!(app().sql(&haunted)[0]["n"], 0);
    app().create_room_with(&ghost, json!({ "name": "haunted" })).assert_error(401);
    assert_eq!(app().sql(&haunted)[0]["n"], 0);
    app().join_as(&room, &ghost).assert_error(401);
    app().presence(&room, NOBODY, &ghost.id).assert_error(404);
}
