//! The top of a room: appointing and demoting admins, handing the room over
//! (`PUT /room/{id}/owner`), its settings (`PATCH /room/{id}`) and deleting it
//! (`DELETE /room/{id}`) with everything in it.

use serde_json::{json, Value};

use crate::helpers::{app, assert_everything_404, with_database, Staffed, TestApp, User, NOBODY, UNKNOWN_ID};

// Admins.

#[test]
fn the_owner_appoints_a_present_member_as_admin() {
    let room = Staffed::new(true);
    app().promote(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "admin": true }));
    let expected = json!({ "users": [room.owner.id, room.admin.id, room.member.id], "index": 0, "user_count": 3 });
    assert_eq!(room.list("admins"), expected);
    assert_eq!(room.counts(), [3, 3, 0]);
    // And the new admin has admin powers.
    let newcomer = app().sign_up("newcomer");
    app().bring_in(&room.id, &room.member, &newcomer);
    app().ban(&room.id, &room.member, &newcomer.id).assert_ok(200, json!({ "banned": true }));
}

#[test]
fn only_the_owner_appoints_admins() {
    let room = Staffed::new(true);
    let other = app().sign_up("other");
    app().join(&room.id, &other);
    app().promote(&room.id, &room.admin, &other.id).assert_error(403);
    app().promote(&room.id, &room.member, &other.id).assert_error(403);
    app().promote(&room.id, &room.member, &room.member.id).assert_error(403);
    app().promote(&room.id, &other, &other.id).assert_error(403);
    assert_eq!(room.list("admins")["users"], json!([room.owner.id, room.admin.id]));
}

#[test]
fn appointing_someone_who_is_not_present_is_404() {
    let room = Staffed::new(true);
    let (stranger, former) = (app().sign_up("stranger"), app().sign_up("former"));
    app().join(&room.id, &former);
    app().remove_member(&room.id, &former, &former.id).assert_ok(200, json!({ "present": false }));
    app().promote(&room.id, &room.owner, &stranger.id).assert_error(404);
    app().promote(&room.id, &room.owner, &former.id).assert_error(404);
    app().promote(&room.id, &room.owner, UNKNOWN_ID).assert_error(404);
    app().promote(&room.id, &room.owner, "x").assert_error(400);
    app().post(&room.path("/admins")).bearer(&room.owner.key).send().assert_error(400);
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn the_owner_demotes_an_admin_who_loses_admin_powers() {
    let room = Staffed::new(true);
    app().demote(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "admin": false }));
    assert_eq!(room.list("admins"), json!({ "users": [room.owner.id], "index": 0, "user_count": 1 }));
    app().presence(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "present": true }));
    app().remove_member(&room.id, &room.admin, &room.member.id).assert_error(403);
    app().ban(&room.id, &room.admin, &room.member.id).assert_error(403);
    app().bans(&room.id, &room.admin, &[]).assert_error(403);
    assert_eq!(room.counts(), [3, 1, 0]);
}

#[test]
fn an_admin_steps_down() {
    let room = Staffed::new(true);
    app().demote(&room.id, &room.admin, &room.admin.id).assert_ok(200, json!({ "admin": false }));
    assert_eq!(room.list("admins")["users"], json!([room.owner.id]));
    assert_eq!(room.counts(), [3, 1, 0]);
}

#[test]
fn the_owner_cannot_be_demoted_not_even_by_themself() {
    let room = Staffed::new(true);
    app().demote(&room.id, &room.owner, &room.owner.id).assert_error(403);
    app().demote(&room.id, &room.admin, &room.owner.id).assert_error(403);
    app().demote(&room.id, &room.member, &room.owner.id).assert_error(403);
    assert_eq!(room.list("admins")["users"], json!([room.owner.id, room.admin.id]));
}

#[test]
fn an_admin_cannot_demote_another_admin() {
    let room = Staffed::new(true);
    app().promote(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "admin": true }));
    app().demote(&room.id, &room.admin, &room.member.id).assert_error(403);
    app().demote(&room.id, &room.member, &room.admin.id).assert_error(403);
    assert_eq!(room.counts(), [3, 3, 0]);
}

// Handing the room over.

#[test]
fn the_owner_hands_the_room_to_a_present_member_and_stays_an_admin() {
    let room = Staffed::new(true);
    app().transfer(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "owner": room.member.id }));
    app().owner(&room.id, NOBODY).assert_ok(200, json!({ "owner": room.member.id }));
    assert_eq!(app().room(&room.id, NOBODY).body["owner"], json!(room.member.id));
    let admins = json!({ "users": [room.owner.id, room.admin.id, room.member.id], "index": 0, "user_count": 3 });
    assert_eq!(room.list("admins"), admins);
    assert_eq!(room.counts(), [3, 3, 0]);
}

#[test]
fn the_owner_may_hand_the_room_to_an_admin() {
    let room = Staffed::new(false);
    app().transfer(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "owner": room.admin.id }));
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn only_the_owner_hands_the_room_over() {
    let room = Staffed::new(true);
    let outsider = app().sign_up("outsider");
    app().transfer(&room.id, &room.admin, &room.admin.id).assert_error(403);
    app().transfer(&room.id, &room.admin, &room.member.id).assert_error(403);
    app().transfer(&room.id, &room.member, &room.member.id).assert_error(403);
    app().transfer(&room.id, &outsider, &room.member.id).assert_error(403);
    app().owner(&room.id, NOBODY).assert_ok(200, json!({ "owner": room.owner.id }));
    assert_eq!(room.counts(), [3, 2, 0]);
}

#[test]
fn the_room_goes_only_to_a_present_member() {
    let room = Staffed::new(true);
    let (stranger, banned) = (app().sign_up("stranger"), app().sign_up("banned"));
    app().remove_member(&room.id, &room.member, &room.member.id).assert_ok(200, json!({ "present": false }));
    app().join(&room.id, &banned);
    app().ban(&room.id, &room.admin, &banned.id).assert_ok(200, json!({ "banned": true }));
    for target in [stranger.id.as_str(), room.member.id.as_str(), banned.id.as_str(), UNKNOWN_ID] {
        app().transfer(&room.id, &room.owner, target).assert_error(404);
    }
    app().transfer(&room.id, &room.owner, "not-a-uuid").assert_error(400);
    app().put(&room.path("/owner")).bearer(&room.owner.key).send().assert_error(400);
    app().owner(&room.id, NOBODY).assert_ok(200, json!({ "owner": room.owner.id }));
    assert_eq!(room.counts(), [2, 2, 1]);
}

#[test]
fn a_stranger_handing_over_a_closed_room_is_404() {
    let room = Staffed::new(false);
    let stranger = app().sign_up("stranger");
    app().transfer(&room.id, &stranger, &stranger.id).assert_error(404);
}

#[test]
fn after_handing_over_the_old_owner_has_only_admin_powers() {
    let room = Staffed::new(true);
    let (old, new) = (&room.owner, &room.member);
    app().transfer(&room.id, old, &new.id).assert_ok(200, json!({ "owner": new.id }));
    app().delete_room(&room.id, old).assert_error(403);
    app().transfer(&room.id, old, &old.id).assert_error(403);
    app().transfer(&room.id, old, &room.admin.id).assert_error(403);
    app().demote(&room.id, old, &room.admin.id).assert_error(403);
    app().demote(&room.id, old, &new.id).assert_error(403);
    app().remove_member(&room.id, old, &room.admin.id).assert_error(403);
    app().remove_member(&room.id, old, &new.id).assert_error(403);
    app().ban(&room.id, old, &new.id).assert_error(403);
    app().ban(&room.id, old, &room.admin.id).assert_error(403);
    let plain = app().sign_up("plain");
    app().join(&room.id, &plain);
    app().promote(&room.id, old, &plain.id).assert_error(403);
    assert_eq!(room.counts(), [4, 3, 0]);
    // What an admin may do, they still may.
    app().remove_member(&room.id, old, &plain.id).assert_ok(200, json!({ "present": false }));
    app().bring_in(&room.id, old, &plain);
    app().ban(&room.id, old, &plain.id).assert_ok(200, json!({ "banned": true }));
    assert_eq!(app().update_room(&room.id, old, json!({ "name": "renamed by the old owner" })).status, 200);
    app().owner(&room.id, NOBODY).assert_ok(200, json!({ "owner": new.id }));
}

#[test]
fn after_handing_over_the_old_owner_may_leave_and_the_new_owner_may_not() {
    let room = Staffed::new(true);
    let (old, new) = (&room.owner, &room.member);
    app().transfer(&room.id, old, &new.id).assert_ok(200, json!({ "owner": new.id }));
    app().remove_member(&room.id, new, &new.id).assert_error(403);
    app().remove_member(&room.id, old, &old.id).assert_ok(200, json!({ "present": false }));
    app().presence(&room.id, new, &old.id).assert_ok(200, json!({ "present": false }));
    let admins = app().admins(&room.id, NOBODY, &[]);
    admins.assert_ok(200, json!({ "users": [room.admin.id, new.id], "index": 0, "user_count": 2 }));
}

#[test]
fn the_new_owner_has_every_owner_power() {
    let room = Staffed::new(true);
    let (old, new) = (&room.owner, &room.member);
    app().transfer(&room.id, old, &new.id).assert_ok(200, json!({ "owner": new.id }));
    app().demote(&room.id, new, &old.id).assert_ok(200, json!({ "admin": false }));
    app().promote(&room.id, new, &old.id).assert_ok(200, json!({ "admin": true }));
    app().ban(&room.id, new, &old.id).assert_ok(200, json!({ "banned": true }));
    app().remove_member(&room.id, new, &room.admin.id).assert_ok(200, json!({ "present": false }));
    app().members(&room.id, new, &[]).assert_ok(200, json!({ "users": [new.id], "index": 0, "user_count": 1 }));
    app().admins(&room.id, new, &[]).assert_ok(200, json!({ "users": [new.id], "index": 0, "user_count": 1 }));
    app().bans(&room.id, new, &[]).assert_ok(200, json!({ "users": [old.id], "index": 0, "user_count": 1 }));
    app().transfer(&room.id, new, &new.id).assert_ok(200, json!({ "owner": new.id }));
    app().delete_room(&room.id, new).assert_ok(204, Value::Null);
}

// Settings.

#[test]
fn an_admin_renames_the_room_and_gets_it_back_as_get_shows_it() {
    let room = Staffed::new(true);
    let renamed = app().update_room(&room.id, &room.admin, json!({ "name": "Ünïcode 部屋 '; --" }));
    let expected =
        json!({ "open": true, "name": "Ünïcode 部屋 '; --", "user_count": 3, "owner": room.owner.id, "kind": "room" });
    renamed.assert_ok(200, expected.clone());
    assert_eq!(app().room(&room.id, NOBODY).body, expected);
    // A form body works too, and an empty name is a name.
    let form = app().patch(&room.path("")).form(&[("key", &room.owner.key), ("name", "")]);
    form.assert_ok(200, json!({ "open": true, "name": "", "user_count": 3, "owner": room.owner.id, "kind": "room" }));
}

#[test]
fn a_patch_without_changes_answers_the_room_unchanged() {
    let room = Staffed::new(false);
    let before = app().room(&room.id, &room.member).body;
    app().update_room(&room.id, &room.admin, json!({})).assert_ok(200, before);
}

#[test]
fn closing_a_room_hides_it_from_strangers_at_once() {
    let room = Staffed::new(true);
    let stranger = app().sign_up("stranger");
    assert_eq!(app().room(&room.id, &stranger).status, 200);
    let closed = app().update_room(&room.id, &room.admin, json!({ "open": false }));
    closed.assert_ok(
        200,
        json!({ "open": false, "name": "test room", "user_count": 3, "owner": room.owner.id, "kind": "room" }),
    );
    app().room(&room.id, &stranger).assert_error(404);
    app().room(&room.id, NOBODY).assert_error(404);
    app().join_as(&room.id, &stranger).assert_error(404);
    app().messages(&room.id, NOBODY, &[]).assert_error(404);
    assert_eq!(app().room(&room.id, &room.member).body["open"], json!(false));
}

#[test]
fn opening_a_closed_room_makes_it_visible_and_joinable() {
    let room = Staffed::new(false);
    let stranger = app().sign_up("stranger");
    app().join_as(&room.id, &stranger).assert_error(404);
    let opened = app().patch(&room.path("")).form(&[("key", &room.owner.key), ("open", "true")]);
    opened.assert_ok(
        200,
        json!({ "open": true, "name": "test room", "user_count": 3, "owner": room.owner.id, "kind": "room" }),
    );
    assert_eq!(app().room(&room.id, NOBODY).body["open"], json!(true));
    app().join_as(&room.id, &stranger).assert_ok(200, json!({ "present": true }));
    assert_eq!(room.counts(), [4, 2, 0]);
}

#[test]
fn plain_members_and_outsiders_cannot_change_the_room() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let stranger = app().sign_up("stranger");
    app().update_room(&open.id, &open.member, json!({ "name": "mine" })).assert_error(403);
    app().update_room(&open.id, &stranger, json!({ "open": false })).assert_error(403);
    app().update_room(&closed.id, &closed.member, json!({ "open": true })).assert_error(403);
    app().update_room(&closed.id, &stranger, json!({ "open": true })).assert_error(404);
    assert_eq!(app().room(&open.id, NOBODY).body["name"], json!("test room"));
    assert_eq!(app().room(&closed.id, NOBODY).status, 404);
}

#[test]
fn bad_settings_are_400_and_change_nothing() {
    let room = Staffed::new(true);
    for body in [
        json!({ "name": "x".repeat(101) }),
        json!({ "name": "line\nbreak" }),
        json!({ "name": 5 }),
        json!({ "open": "yes" }),
        json!({ "open": 1 }),
        json!({ "name": "fine", "open": "nope" }),
    ] {
        app().update_room(&room.id, &room.owner, body).assert_error(400);
    }
    assert_eq!(app().room(&room.id, NOBODY).body["name"], json!("test room"));
    let longest = app().update_room(&room.id, &room.owner, json!({ "name": "é".repeat(100) }));
    assert_eq!(longest.body["name"], json!("é".repeat(100)));
}

#[test]
fn changing_a_room_needs_a_live_key() {
    let room = Staffed::new(true);
    app().update_room(&room.id, NOBODY, json!({ "name": "x" })).assert_error(400);
    app().update_room(&room.id, "ef".repeat(32), json!({ "name": "x" })).assert_error(401);
}

// Deleting.

#[test]
fn the_owner_deletes_the_room_and_every_endpoint_of_it_is_404() {
    let room = Staffed::new(true);
    assert_eq!(app().post_message(&room.id, &room.member, "bye").status, 201);
    app().ban(&room.id, &room.admin, &app().sign_up("banned").id).assert_ok(200, json!({ "banned": true }));
    app().delete_room(&room.id, &room.owner).assert_ok(204, Value::Null);
    for user in [Some(&room.owner), Some(&room.admin), Some(&room.member), None] {
        assert_everything_404(&room.id, &room.member.id, user);
    }
}

#[test]
fn only_the_owner_deletes_a_room() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let stranger = app().sign_up("stranger");
    app().delete_room(&open.id, &open.admin).assert_error(403);
    app().delete_room(&open.id, &open.member).assert_error(403);
    app().delete_room(&open.id, &stranger).assert_error(403);
    app().delete_room(&closed.id, &closed.admin).assert_error(403);
    app().delete_room(&closed.id, &stranger).assert_error(404);
    assert_eq!(open.counts(), [3, 2, 0]);
    assert_eq!(closed.counts(), [3, 2, 0]);
}

#[test]
fn deleting_needs_a_live_key() {
    let room = Staffed::new(true);
    app().delete_room(&room.id, NOBODY).assert_error(400);
    app().delete_room(&room.id, "0a".repeat(32)).assert_error(401);
    app().delete_room("not-a-uuid", &room.owner).assert_error(400);
    assert_eq!(app().room(&room.id, NOBODY).status, 200);
}

fn rooms_of(app: &TestApp, user: &User) -> Value {
    let response = app.rooms_of(&user.id, user, &[]);
    response.assert_status(200);
    response.body
}

fn count_rows(app: &TestApp, room: &str) -> Value {
    app.sql(&format!(
        "SELECT (SELECT count(*) FROM rooms WHERE room_id = '{room}') AS rooms,
                (SELECT count(*) FROM members WHERE room_id = '{room}') AS members,
                (SELECT count(*) FROM bans WHERE room_id = '{room}') AS bans"
    ))[0]
        .clone()
}

#[test]
fn deleting_a_room_deletes_its_memberships_and_bans() {
    with_database(|app| {
        let room = Staffed::on(app, false);
        let (former, banned) = (app.sign_up("former"), app.sign_up("banned"));
        app.bring_in(&room.id, &room.owner, &former);
        app.remove_member(&room.id, &former, &former.id).assert_ok(200, json!({ "present": false }));
        app.ban(&room.id, &room.owner, &banned.id).assert_ok(200, json!({ "banned": true }));
        for user in [&room.owner, &room.admin, &room.member] {
            let posted = app.post_message(&room.id, user, "hi");
            posted.assert_status(201);
        }
        assert_eq!(count_rows(app, &room.id), json!({ "rooms": 1, "members": 4, "bans": 1 }));
        app.delete_room(&room.id, &room.owner).assert_ok(204, Value::Null);
        assert_eq!(count_rows(app, &room.id), json!({ "rooms": 0, "members": 0, "bans": 0 }));
    });
}

#[test]
fn a_deleted_room_leaves_the_room_lists_of_its_former_members() {
    with_database(|app| {
        let (kept, doomed) = (Staffed::on(app, true), Staffed::on(app, false));
        let user = app.sign_up("in both");
        app.join(&kept.id, &user);
        std::thread::sleep(std::time::Duration::from_millis(5)); // joined in distinct milliseconds
        app.bring_in(&doomed.id, &doomed.admin, &user);
        let listed = |user: &User| {
            let rooms = rooms_of(app, user);
            let ids: Vec<Value> =
                rooms["rooms"].as_array().unwrap().iter().map(|room| room["room_id"].clone()).collect();
            (ids, rooms["room_count"].clone())
        };
        assert_eq!(listed(&user), (vec![json!(kept.id), json!(doomed.id)], json!(2)));
        app.delete_room(&doomed.id, &doomed.owner).assert_ok(204, Value::Null);
        assert_eq!(listed(&user), (vec![json!(kept.id)], json!(1)));
        assert_eq!(listed(&doomed.owner), (vec![], json!(0)));
        assert_eq!(listed(&doomed.member), (vec![], json!(0)));
        // The stored count equals the rows for every one of them.
        let ids = [&user, &doomed.owner, &doomed.admin, &doomed.member].map(|user| format!("'{}'", user.id)).join(",");
        let drift = app.sql(&format!(
            "SELECT user_id, room_count,
                    (SELECT count(*) FROM members AS m WHERE m.user_id = u.user_id AND present = 1) AS rows
               FROM users AS u WHERE user_id IN ({ids}) AND room_count <> rows"
        ));
        assert_eq!(drift, Vec::<Value>::new());
    });
}
