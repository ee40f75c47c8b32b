//! `POST /room/`, `GET /room/{id}`, `GET /room/{id}/owner`, and who may see a closed room.

use serde_json::json;

use crate::helpers::{app, Staffed, User, NOBODY, UNKNOWN_ID};

#[test]
fn creating_a_room_answers_200_with_its_id() {
    let owner = app().sign_up("owner");
    let response = app().create_room_with(&owner, json!({ "name": "lobby", "open": true }));
    response.assert_status(200);
    assert_eq!(response.body.as_object().unwrap().len(), 1);
    assert_eq!(response.str("room_id").len(), 36);
}

#[test]
fn a_room_can_be_created_at_room_without_the_slash() {
    let owner = app().sign_up("owner");
    assert_eq!(app().post("/room").bearer(&owner.key).json(json!({})).status, 200);
}

#[test]
fn a_new_room_is_open_unnamed_and_has_its_owner_as_only_member() {
    let owner = app().sign_up("owner");
    let room = app().create_room_with(NOBODY, json!({ "key": owner.key })).str("room_id");
    app()
        .room(&room, NOBODY)
        .assert_ok(200, json!({ "open": true, "name": "", "user_count": 1, "owner": owner.id, "kind": "room" }));
    app().owner(&room, NOBODY).assert_ok(200, json!({ "owner": owner.id }));
    app().members(&room, NOBODY, &[]).assert_ok(200, json!({ "users": [owner.id], "index": 0, "user_count": 1 }));
    app().admins(&room, NOBODY, &[]).assert_ok(200, json!({ "users": [owner.id], "index": 0, "user_count": 1 }));
}

#[test]
fn a_room_keeps_unicode_and_sql_metacharacters_in_its_name_verbatim() {
    let owner = app().sign_up("owner");
    for name in ["Café ☕ 日本語", "'; DROP TABLE rooms; --", "100% \"quoted\" \\ back_slash"] {
        let room = app().create_room_with(&owner, json!({ "name": name })).str("room_id");
        assert_eq!(app().room(&room, NOBODY).str("name"), name);
    }
}

#[test]
fn a_room_from_a_form_body_reads_open_as_a_boolean() {
    let owner = app().sign_up("owner");
    let room = app().post("/room/").form(&[("key", &owner.key), ("name", "form"), ("open", "false")]).str("room_id");
    let response = app().room(&room, &owner);
    assert_eq!(response.body["open"], json!(false));
}

#[test]
fn creating_a_room_refuses_bad_input() {
    let owner = app().sign_up("owner");
    let cases = [
        (json!({ "name": "x".repeat(101) }), 400),
        (json!({ "name": 7 }), 400),
        (json!({ "open": "yes" }), 400),
        (json!({ "open": 1 }), 400),
        (json!({ "name": "line\nbreak" }), 400),
    ];
    for (body, status) in cases {
        app().create_room_with(&owner, body).assert_error(status);
    }
    assert_eq!(app().create_room_with(&owner, json!({ "name": "😀".repeat(100) })).status, 200);
}

#[test]
fn creating_a_room_needs_a_live_key() {
    app().create_room_with(NOBODY, json!({ "name": "no key" })).assert_error(400);
    app().create_room_with("ab".repeat(32), json!({})).assert_error(401);
    app().create_room_with(NOBODY, json!({ "key": "not hex" })).assert_error(401);
}

#[test]
fn an_unknown_or_malformed_room_is_404_or_400() {
    app().room(UNKNOWN_ID, NOBODY).assert_error(404);
    app().owner(UNKNOWN_ID, NOBODY).assert_error(404);
    app().room("not-a-uuid", NOBODY).assert_error(400);
    app().members("not-a-uuid", NOBODY, &[]).assert_error(400);
}

#[test]
fn an_open_room_is_visible_with_or_without_a_key() {
    let owner = app().sign_up("owner");
    let stranger = app().sign_up("stranger");
    let room = app().create_room(&owner, true);
    for key in [None, Some(&stranger.key), Some(&owner.key)] {
        assert_eq!(app().room(&room, key).status, 200);
    }
}

#[test]
fn a_dead_key_is_401_even_where_no_key_is_needed() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    app().room(&room, "cd".repeat(32)).assert_error(401);
}

/// Makes `user` a present member of a closed room. The seed API has no way in for a closed
/// room yet (admins adding people comes with moderation), so the test writes the row itself.
fn add_member_directly(room: &str, user: &User) {
    app().sql(&format!(
        "INSERT INTO members (room_id, user_id, joined_at, present, admin) VALUES ('{room}', '{}', 1, 1, 0)",
        user.id
    ));
}

#[test]
fn a_closed_room_is_visible_to_its_owner_and_members_only() {
    let owner = app().sign_up("owner");
    let member = app().sign_up("member");
    let stranger = app().sign_up("stranger");
    let room = app().create_room(&owner, false);
    add_member_directly(&room, &member);

    let paths = [
        format!("/room/{room}"),
        format!("/room/{room}/owner"),
        format!("/room/{room}/members"),
        format!("/room/{room}/admins"),
        format!("/room/{room}/members/{}", owner.id),
    ];
    for path in &paths {
        assert_eq!(app().get(path).bearer(&owner.key).send().status, 200, "owner: {path}");
        assert_eq!(app().get(path).bearer(&member.key).send().status, 200, "member: {path}");
        app().get(path).bearer(&stranger.key).send().assert_error(404);
        app().get(path).send().assert_error(404);
    }
    // Told exactly what a missing room would tell.
    let hidden = app().room(&room, NOBODY);
    let missing = app().room(UNKNOWN_ID, NOBODY);
    assert_eq!(hidden.body, missing.body);
    assert_eq!(
        app().get(&format!("/room/{room}")).query("key", &member.key).send().body,
        json!({ "open": false, "name": "test room", "user_count": 2, "owner": owner.id, "kind": "room" })
    );
}

#[test]
fn a_stranger_cannot_join_a_closed_room_and_learns_nothing() {
    let owner = app().sign_up("owner");
    let stranger = app().sign_up("stranger");
    let room = app().create_room(&owner, false);
    app().join_as(&room, &stranger).assert_error(404);
    assert_eq!(app().room(&room, &owner).body["user_count"], json!(1));
}

#[test]
fn a_member_who_left_a_closed_room_no_longer_sees_it() {
    let owner = app().sign_up("owner");
    let member = app().sign_up("member");
    let room = app().create_room(&owner, false);
    add_member_directly(&room, &member);
    let left = app().remove_member(&room, &member, &member.id);
    left.assert_ok(200, json!({ "present": false }));
    app().room(&room, &member).assert_error(404);
    app().join_as(&room, &member).assert_error(404);
}

// Opening a closed room publishes its history: the owner's call alone.

#[test]
fn an_admin_cannot_open_a_closed_room_which_stays_closed() {
    let room = Staffed::new(false);
    app().update_room(&room.id, &room.admin, json!({ "open": true })).assert_error(403);
    // Nor in a PATCH that renames too: nothing of it is done.
    app().update_room(&room.id, &room.admin, json!({ "name": "now public", "open": true })).assert_error(403);
    let seen = app().room(&room.id, &room.member);
    seen.assert_ok(
        200,
        json!({ "open": false, "name": "test room", "user_count": 3, "owner": room.owner.id, "kind": "room" }),
    );
    app().room(&room.id, NOBODY).assert_error(404);
    app().messages(&room.id, NOBODY, &[]).assert_error(404);
}

#[test]
fn an_admin_still_renames_and_closes_and_may_send_open_for_a_room_that_is_open() {
    let room = Staffed::new(true);
    let renamed = app().update_room(&room.id, &room.admin, json!({ "name": "renamed", "open": true }));
    renamed.assert_ok(
        200,
        json!({ "open": true, "name": "renamed", "user_count": 3, "owner": room.owner.id, "kind": "room" }),
    );
    let closed = app().update_room(&room.id, &room.admin, json!({ "open": false }));
    assert_eq!(closed.body["open"], json!(false), "{}", closed.text);
    app().update_room(&room.id, &room.admin, json!({ "open": true })).assert_error(403);
}

#[test]
fn the_owner_opens_a_closed_room() {
    let room = Staffed::new(false);
    let opened = app().update_room(&room.id, &room.owner, json!({ "name": "open house", "open": true }));
    opened.assert_ok(
        200,
        json!({ "open": true, "name": "open house", "user_count": 3, "owner": room.owner.id, "kind": "room" }),
    );
    assert_eq!(app().room(&room.id, NOBODY).body["open"], json!(true));
}
