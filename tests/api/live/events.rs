//! Every event type reaches every socket of its room (the owner's, an admin's, a member's by a
//! ticket, a keyless viewer's), with the room's next seq, and no socket of another room (not
//! even the same user's).

use serde_json::{json, Value};

use crate::helpers::{app, Staffed, User};
use crate::live::helpers::Live;
use crate::live::posted;

struct Audience {
    room: Staffed,
    sockets: Vec<Live>,
    /// The owner's socket in another room of theirs.
    elsewhere: Live,
}

impl Audience {
    fn new() -> Self {
        let room = Staffed::new(true);
        let other = app().create_named_room(&room.owner, "elsewhere", true);
        let sockets = vec![
            Live::bearer(app(), &room.id, &room.owner),
            Live::bearer(app(), &room.id, &room.admin),
            Live::ticketed(app(), &room.id, &room.member),
            Live::viewer(app(), &room.id),
        ];
        let elsewhere = Live::bearer(app(), &other, &room.owner);
        Self { room, sockets, elsewhere }
    }

    /// The next frame of every socket of the room, the same on each, of type `kind` and with
    /// the next seq (the sockets check that); then nothing reaches the other room.
    fn everyone_gets(&mut self, kind: &str) -> Value {
        let frames: Vec<Value> = self.sockets.iter_mut().map(|socket| socket.next_of(kind)).collect();
        for frame in &frames {
            assert_eq!(frame, &frames[0], "the sockets disagree");
        }
        self.elsewhere.assert_quiet();
        frames[0].clone()
    }

    fn newcomer(&self) -> User {
        let newcomer = app().sign_up("newcomer");
        app().join(&self.room.id, &newcomer);
        newcomer
    }
}

fn fields(frame: &Value) -> Vec<&str> {
    frame.as_object().unwrap().keys().map(String::as_str).collect()
}

#[test]
fn a_message_posted_over_http_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    let message = posted(app(), &audience.room.id, &audience.room.member, "hello, everyone");
    let frame = audience.everyone_gets("message");
    assert_eq!(fields(&frame), ["message", "seq", "type"], "{frame}");
    assert_eq!(frame["message"], message, "the message as POST answered it");
    assert_eq!(frame["seq"], message["seq"]);
}

#[test]
fn an_edit_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    let room = &audience.room;
    let message = posted(app(), &room.id, &room.member, "helo");
    let edited = app().edit_message(&room.id, &room.member, message["message_id"].as_str().unwrap(), "hello");
    edited.assert_status(200);
    audience.everyone_gets("message");
    let frame = audience.everyone_gets("message_edited");
    assert_eq!(fields(&frame), ["message", "seq", "type"], "{frame}");
    assert_eq!(frame["message"], edited.body, "the message as PATCH answered it");
}

#[test]
fn a_deletion_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    let room = &audience.room;
    let message = posted(app(), &room.id, &room.member, "oops");
    let id = message["message_id"].as_str().unwrap().to_string();
    assert_eq!(app().delete_message(&room.id, &room.admin, &id).status, 204);
    audience.everyone_gets("message");
    let frame = audience.everyone_gets("message_deleted");
    assert_eq!(fields(&frame), ["message_id", "seq", "type"], "{frame}");
    assert_eq!(frame["message_id"], id);
}

#[test]
fn a_join_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    let newcomer = audience.newcomer();
    let frame = audience.everyone_gets("member_joined");
    assert_eq!(fields(&frame), ["seq", "type", "user_id"], "{frame}");
    assert_eq!(frame["user_id"], newcomer.id);
}

#[test]
fn an_invitation_reaches_every_socket_then_the_invitees_join_or_its_withdrawal() {
    let mut audience = Audience::new();
    let (joiner, decliner) = (app().sign_up("joiner"), app().sign_up("decliner"));
    let (room_id, admin, owner) = (audience.room.id.clone(), audience.room.admin.clone(), audience.room.owner.clone());
    app().invite(&room_id, &admin, &joiner.id).assert_ok(200, json!({ "invited": true }));
    let frame = audience.everyone_gets("member_invited");
    assert_eq!(frame, json!({ "type": "member_invited", "seq": frame["seq"], "user_id": joiner.id, "by": admin.id }));
    app().join_as(&room_id, &joiner).assert_status(200);
    assert_eq!(audience.everyone_gets("member_joined")["user_id"], joiner.id);
    app().invite(&room_id, &owner, &decliner.id).assert_status(200);
    audience.everyone_gets("member_invited");
    app().withdraw_invite(&room_id, &decliner, &decliner.id).assert_status(204);
    let frame = audience.everyone_gets("invite_withdrawn");
    assert_eq!(frame, json!({ "type": "invite_withdrawn", "seq": frame["seq"], "user_id": decliner.id }));
}

/// The newcomer leaves the way `leave` makes them; every socket gets `member_left` with
/// `reason`.
fn assert_departure_reaches_everyone(reason: &str, leave: impl Fn(&Staffed, &User)) {
    let mut audience = Audience::new();
    let newcomer = audience.newcomer();
    audience.everyone_gets("member_joined");
    leave(&audience.room, &newcomer);
    let frame = audience.everyone_gets("member_left");
    assert_eq!(frame, json!({ "type": "member_left", "seq": frame["seq"], "user_id": newcomer.id, "reason": reason }));
}

#[test]
fn leaving_reaches_every_socket_as_member_left_with_reason_left() {
    assert_departure_reaches_everyone("left", |room, newcomer| {
        assert_eq!(app().remove_member(&room.id, newcomer, &newcomer.id).status, 200);
    });
}

#[test]
fn a_removal_reaches_every_socket_as_member_left_with_reason_removed() {
    assert_departure_reaches_everyone("removed", |room, newcomer| {
        assert_eq!(app().remove_member(&room.id, &room.admin, &newcomer.id).status, 200);
    });
}

#[test]
fn a_ban_reaches_every_socket_as_member_left_with_reason_banned() {
    assert_departure_reaches_everyone("banned", |room, newcomer| {
        assert_eq!(app().ban(&room.id, &room.admin, &newcomer.id).status, 200);
    });
}

#[test]
fn a_promotion_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    let room = &audience.room;
    assert_eq!(app().promote(&room.id, &room.owner, &room.member.id).status, 200);
    let member = room.member.id.clone();
    let frame = audience.everyone_gets("admin_added");
    assert_eq!(frame, json!({ "type": "admin_added", "seq": frame["seq"], "user_id": member }));
}

#[test]
fn a_demotion_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    let room = &audience.room;
    assert_eq!(app().demote(&room.id, &room.owner, &room.admin.id).status, 200);
    let admin = room.admin.id.clone();
    let frame = audience.everyone_gets("admin_removed");
    assert_eq!(frame, json!({ "type": "admin_removed", "seq": frame["seq"], "user_id": admin }));
}

#[test]
fn a_transfer_to_an_admin_reaches_every_socket_as_owner_changed_alone() {
    let mut audience = Audience::new();
    let room = &audience.room;
    assert_eq!(app().transfer(&room.id, &room.owner, &room.admin.id).status, 200);
    let admin = room.admin.id.clone();
    let frame = audience.everyone_gets("owner_changed");
    assert_eq!(frame, json!({ "type": "owner_changed", "seq": frame["seq"], "owner": admin }));
    for socket in &mut audience.sockets {
        socket.assert_quiet();
    }
}

#[test]
fn a_rename_reaches_every_socket_as_room_updated_with_the_room_as_get_shows_it() {
    let mut audience = Audience::new();
    let room = &audience.room;
    let renamed = app().update_room(&room.id, &room.admin, json!({ "name": "the lobby" }));
    renamed.assert_status(200);
    let frame = audience.everyone_gets("room_updated");
    assert_eq!(fields(&frame), ["room", "seq", "type"], "{frame}");
    assert_eq!(frame["room"], renamed.body);
    assert_eq!(frame["room"]["name"], "the lobby");
}

#[test]
fn a_room_deletion_reaches_every_socket_of_the_room_and_no_other() {
    let mut audience = Audience::new();
    assert_eq!(app().delete_room(&audience.room.id, &audience.room.owner).status, 204);
    let frame = audience.everyone_gets("room_deleted");
    assert_eq!(fields(&frame), ["seq", "type"], "{frame}");
}
