//! Each way in (a bearer key, a ticket, a keyless viewer of an open room), what `hello` says,
//! and each refusal, answered as JSON before any upgrade.

use std::time::Duration;

use serde_json::{json, Value};

use crate::helpers::{app, Staffed, TestApp, NOBODY, UNKNOWN_ID};
use crate::live::helpers::{ticket, Live, Way};

fn you(user_id: &str, present: bool, admin: bool, owner: bool) -> Value {
    json!({ "user_id": user_id, "present": present, "admin": admin, "owner": owner })
}

/// `hello.you` without a member's read position and unread counts (`tests/api/reads.rs` checks
/// those): who they are and their role.
pub fn standing(hello: &Value) -> Value {
    let mut you = hello["you"].clone();
    if let Some(fields) = you.as_object_mut() {
        for reading in ["read_seq", "unread", "mentions", "marked_unread"] {
            let value = fields.remove(reading);
            let present = fields.get("present") == Some(&Value::Bool(true));
            assert_eq!(value.is_some(), present, "a present member's hello has {reading}, and only theirs: {hello}");
        }
    }
    you
}

#[test]
fn a_member_connects_with_a_bearer_key_and_hello_describes_the_room_and_them() {
    let room = Staffed::new(false);
    let live = Live::bearer(app(), &room.id, &room.member);
    let hello = &live.hello;
    let fields: Vec<&String> = hello.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["room", "seq", "type", "you"], "{hello}");
    assert_eq!(hello["room"], app().room(&room.id, &room.member).body, "the room as GET shows it");
    assert_eq!(hello["room"]["open"], false);
    assert_eq!(standing(hello), you(&room.member.id, true, false, false));
}

#[test]
fn hello_tells_the_owner_and_an_admin_their_roles() {
    let room = Staffed::new(false);
    let owner = Live::bearer(app(), &room.id, &room.owner);
    let admin = Live::bearer(app(), &room.id, &room.admin);
    assert_eq!(standing(&owner.hello), you(&room.owner.id, true, true, true));
    assert_eq!(standing(&admin.hello), you(&room.admin.id, true, true, false));
}

#[test]
fn a_new_rooms_hello_and_ready_have_seq_0() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let live = Live::bearer(app(), &room, &owner);
    assert_eq!(live.hello["seq"], 0, "{}", live.hello);
}

#[test]
fn hello_seq_is_the_rooms_latest() {
    let room = Staffed::new(true);
    let message = crate::live::posted(app(), &room.id, &room.member, "the latest");
    let live = Live::bearer(app(), &room.id, &room.owner);
    assert_eq!(live.hello["seq"], message["seq"], "{}", live.hello);
}

#[test]
fn a_ticket_answers_with_a_minute_to_use_it() {
    let room = Staffed::new(false);
    let response = app().ticket(&room.id, &room.member);
    response.assert_status(200);
    let fields: Vec<&String> = response.body.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["expires_in", "ticket"], "{}", response.text);
    assert_eq!(response.body["expires_in"], 60);
    assert!(!response.str("ticket").is_empty());
}

#[test]
fn a_ticket_opens_the_socket_as_its_user() {
    let room = Staffed::new(false);
    let live = Live::ticketed(app(), &room.id, &room.admin);
    assert_eq!(standing(&live.hello), you(&room.admin.id, true, true, false));
}

#[test]
fn a_viewer_without_a_key_connects_to_an_open_room_and_you_is_null() {
    let room = Staffed::new(true);
    let live = Live::viewer(app(), &room.id);
    assert_eq!(live.hello["you"], Value::Null, "{}", live.hello);
    assert_eq!(live.hello["room"], app().room(&room.id, NOBODY).body);
}

#[test]
fn a_non_member_with_a_key_connects_to_an_open_room_as_not_present() {
    let room = Staffed::new(true);
    let passer_by = app().sign_up("passer-by");
    let live = Live::bearer(app(), &room.id, &passer_by);
    assert_eq!(standing(&live.hello), you(&passer_by.id, false, false, false));
}

#[test]
fn presence_after_ready_lists_the_users_with_a_socket_open_sorted() {
    let room = Staffed::new(true);
    let _owner = Live::bearer(app(), &room.id, &room.owner);
    let _viewer = Live::viewer(app(), &room.id);
    let mut member = Live::bearer(app(), &room.id, &room.member);
    let mut expected = vec![room.owner.id.clone(), room.member.id.clone()];
    expected.sort();
    assert_eq!(member.presence(), expected, "a viewer has no user id to list");
}

#[test]
fn a_request_without_upgrade_is_426_json() {
    let room = Staffed::new(true);
    let response = app().get(&format!("/room/{}/live", room.id)).by(&room.member).send();
    response.assert_error(426);
}

#[test]
fn a_closed_rooms_socket_is_404_to_a_non_member_and_to_a_viewer() {
    let room = Staffed::new(false);
    let stranger = app().sign_up("stranger");
    for way in [Way::Bearer(&stranger.key), Way::Viewer] {
        let refusal = Live::try_connect(app(), &room.id, way, None).err().expect("upgraded");
        refusal.assert_error(404);
    }
}

#[test]
fn an_unknown_rooms_socket_is_404() {
    let user = app().sign_up("lost");
    for way in [Way::Bearer(&user.key), Way::Viewer] {
        Live::try_connect(app(), UNKNOWN_ID, way, None).err().expect("upgraded").assert_error(404);
    }
}

#[test]
fn a_ticket_is_404_to_whoever_may_not_see_the_room() {
    let room = Staffed::new(false);
    let stranger = app().sign_up("stranger");
    app().ticket(&room.id, &stranger).assert_error(404);
    app().ticket(UNKNOWN_ID, &stranger).assert_error(404);
}

#[test]
fn a_ticket_for_a_dead_key_is_401() {
    let room = Staffed::new(true);
    let revoked = app().revoke(&room.member, json!({ "user_id": room.member.id }));
    revoked.assert_status(204);
    app().ticket(&room.id, &room.member).assert_error(401);
}

/// A ticket the room does not know proves nobody: in a closed room it gets the 404 a stranger
/// gets, so that a made-up ticket cannot tell a closed room from none.
#[test]
fn a_used_ticket_is_401_in_an_open_room_and_404_in_a_closed_one() {
    for (open, status) in [(true, 401), (false, 404)] {
        let room = Staffed::new(open);
        let once = ticket(app(), &room.id, &room.member);
        let _first = Live::ready(app(), &room.id, Way::Ticket(&once));
        let refused = Live::try_connect(app(), &room.id, Way::Ticket(&once), None).err().expect("upgraded twice");
        refused.assert_error(status);
    }
}

#[test]
fn a_ticket_of_another_room_is_401() {
    let room = Staffed::new(true);
    let other = app().create_room(&room.member, true);
    let theirs = ticket(app(), &other, &room.member);
    Live::try_connect(app(), &room.id, Way::Ticket(&theirs), None).err().expect("upgraded").assert_error(401);
}

#[test]
fn an_expired_ticket_is_401() {
    let app = TestApp::spawn(&[("TICKET_SECONDS", "5")]);
    let user = app.sign_up("ana");
    let room = app.create_room(&user, true);
    let stale = app.ticket(&room, &user);
    stale.assert_status(200);
    assert_eq!(stale.body["expires_in"], 5, "{}", stale.text);
    let _fresh = Live::ticketed(&app, &room, &user);
    std::thread::sleep(Duration::from_secs(6));
    let refusal = Live::try_connect(&app, &room, Way::Ticket(&stale.str("ticket")), None).err().expect("upgraded");
    refusal.assert_error(401);
    let _still = Live::ticketed(&app, &room, &user);
}

#[test]
fn an_unknown_ticket_is_401() {
    let room = Staffed::new(true);
    let made_up = "ab".repeat(32);
    Live::try_connect(app(), &room.id, Way::Ticket(&made_up), None).err().expect("upgraded").assert_error(401);
}

#[test]
fn a_dead_bearer_key_is_401_even_for_an_open_room() {
    let room = Staffed::new(true);
    let revoked = app().revoke(&room.member, json!({ "user_id": room.member.id }));
    revoked.assert_status(204);
    let refusal = Live::try_connect(app(), &room.id, Way::Bearer(&room.member.key), None).err().expect("upgraded");
    refusal.assert_error(401);
}

#[test]
fn a_bearer_key_and_a_ticket_together_are_400() {
    let room = Staffed::new(true);
    let ticket = ticket(app(), &room.id, &room.member);
    let way = Way::BearerAndTicket(&room.member.key, &ticket);
    Live::try_connect(app(), &room.id, way, None).err().expect("upgraded").assert_error(400);
}

#[test]
fn an_after_that_is_not_a_whole_number_from_0_is_400() {
    let room = Staffed::new(true);
    for after in ["-1", "abc", "1.5", "", "1e3", " 1"] {
        let refusal = Live::try_connect(app(), &room.id, Way::Bearer(&room.member.key), Some(after))
            .err()
            .unwrap_or_else(|| panic!("after={after:?} upgraded"));
        refusal.assert_error(400);
    }
}
