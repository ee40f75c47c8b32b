//! Access changes take effect on open sockets at once: exactly the sockets that lost access
//! close, with the right code, after the event that caused it; every other socket stays open.

use serde_json::json;

use crate::helpers::{app, with_database, Staffed, User, NOBODY, PASSWORD};
use crate::live::helpers::{Live, ACCESS_LOST, KEY_ENDED, ROOM_DELETED};
use crate::live::{everyone_gets_a_new_message, posted};

/// A second key of the user.
fn another_key(user: &User) -> User {
    let login = app().log_in(&user.id, PASSWORD);
    login.assert_status(200);
    User { id: user.id.clone(), key: login.str("key") }
}

/// The member's sockets on one key (a bearer one and a ticketed one), their socket on another
/// key, and the owner's, all in the room.
struct Keys {
    room: Staffed,
    first_key: [Live; 2],
    second: User,
    second_key: Live,
    owner: Live,
}

impl Keys {
    fn new() -> Self {
        let room = Staffed::new(false);
        let second = another_key(&room.member);
        let first_key = [Live::bearer(app(), &room.id, &room.member), Live::ticketed(app(), &room.id, &room.member)];
        let second_key = Live::bearer(app(), &room.id, &second);
        let owner = Live::bearer(app(), &room.id, &room.owner);
        Self { room, first_key, second, second_key, owner }
    }

    /// The first key's sockets close with 4001; the others stay open and quiet, and still get
    /// what is posted.
    fn assert_only_the_first_key_closed(&mut self) {
        for socket in &mut self.first_key {
            socket.expect_close(KEY_ENDED);
        }
        self.second_key.assert_quiet();
        self.owner.assert_quiet();
        everyone_gets_a_new_message(
            app(),
            &self.room.id,
            &self.room.owner,
            &mut [&mut self.second_key, &mut self.owner],
        );
    }
}

#[test]
fn logging_out_closes_that_keys_sockets_with_4001_and_no_others() {
    let mut keys = Keys::new();
    let revoked = app().revoke(&keys.room.member, json!({ "user_id": keys.room.member.id }));
    revoked.assert_status(204);
    keys.assert_only_the_first_key_closed();
}

#[test]
fn a_password_change_closes_the_other_keys_sockets_with_4001() {
    let mut keys = Keys::new();
    let changed = app().change_password(&keys.room.member.id, &keys.second, PASSWORD, "a brand new passphrase");
    changed.assert_status(204);
    keys.assert_only_the_first_key_closed();
}

#[test]
fn ending_the_other_sessions_closes_their_sockets_with_4001() {
    let mut keys = Keys::new();
    let ended = app().delete(&format!("/user/{}/sessions", keys.second.id)).by(&keys.second).json(json!({}));
    ended.assert_status(204);
    keys.assert_only_the_first_key_closed();
}

#[test]
fn deleting_an_account_closes_all_its_sockets_with_4001_and_no_others() {
    let mut keys = Keys::new();
    let deleted = app().delete_account(&keys.room.member.id, &keys.room.member, PASSWORD);
    deleted.assert_status(204);
    // The protocol leaves open whether the account's memberships end as events first.
    for socket in keys.first_key.iter_mut().chain([&mut keys.second_key]) {
        let (frames, close) = socket.until_closed();
        assert!(frames.iter().all(|frame| frame["type"] == "member_left"), "{frames:?}");
        assert_eq!(close.map(|(code, _)| code), Some(KEY_ENDED));
    }
    let message = posted(app(), &keys.room.id, &keys.room.owner, "still working?");
    loop {
        let frame = keys.owner.next();
        if frame["type"] == "message" {
            assert_eq!(frame["message"], message);
            break;
        }
        assert_eq!(frame["type"], "member_left", "{frame}");
        assert_eq!(frame["user_id"], keys.room.member.id, "{frame}");
    }
}

/// The member's two sockets in the room and one in another room of theirs; the owner's and a
/// viewer's sockets in the room.
struct Departure {
    room: Staffed,
    leaver: [Live; 2],
    leaver_elsewhere: Live,
    others: [Live; 2],
}

impl Departure {
    fn new() -> Self {
        let room = Staffed::new(true);
        let elsewhere = app().create_room(&room.member, true);
        let leaver = [Live::bearer(app(), &room.id, &room.member), Live::ticketed(app(), &room.id, &room.member)];
        let leaver_elsewhere = Live::bearer(app(), &elsewhere, &room.member);
        let others = [Live::bearer(app(), &room.id, &room.owner), Live::viewer(app(), &room.id)];
        Self { room, leaver, leaver_elsewhere, others }
    }

    /// Everyone in the room gets `member_left` with `reason`; then the leaver's sockets in the
    /// room close with 4003, and nothing else closes.
    fn assert_the_leaver_alone_is_closed(&mut self, reason: &str) {
        let member = self.room.member.id.clone();
        for socket in self.leaver.iter_mut().chain(&mut self.others) {
            let frame = socket.next_of("member_left");
            assert_eq!(
                frame,
                json!({ "type": "member_left", "seq": frame["seq"], "user_id": member, "reason": reason })
            );
        }
        for socket in &mut self.leaver {
            socket.expect_close(ACCESS_LOST);
        }
        self.leaver_elsewhere.assert_quiet();
        let [owner, viewer] = &mut self.others;
        owner.assert_quiet();
        everyone_gets_a_new_message(app(), &self.room.id, &self.room.owner, &mut [owner, viewer]);
    }
}

#[test]
fn leaving_closes_the_leavers_sockets_in_that_room_with_4003_after_member_left() {
    let mut departure = Departure::new();
    let member = &departure.room.member;
    assert_eq!(app().remove_member(&departure.room.id, member, &member.id).status, 200);
    departure.assert_the_leaver_alone_is_closed("left");
}

#[test]
fn a_removal_closes_the_removed_members_sockets_with_4003_after_member_left() {
    let mut departure = Departure::new();
    let room = &departure.room;
    assert_eq!(app().remove_member(&room.id, &room.admin, &room.member.id).status, 200);
    departure.assert_the_leaver_alone_is_closed("removed");
}

#[test]
fn a_ban_closes_the_banned_members_sockets_with_4003_after_member_left() {
    let mut departure = Departure::new();
    let room = &departure.room;
    assert_eq!(app().ban(&room.id, &room.admin, &room.member.id).status, 200);
    departure.assert_the_leaver_alone_is_closed("banned");
}

#[test]
fn closing_a_room_closes_the_sockets_of_non_members_and_viewers_with_4003_after_room_updated() {
    let room = Staffed::new(true);
    let passer_by = app().sign_up("passer-by");
    let mut members = [Live::bearer(app(), &room.id, &room.owner), Live::ticketed(app(), &room.id, &room.member)];
    let mut outsiders = [Live::bearer(app(), &room.id, &passer_by), Live::viewer(app(), &room.id)];
    let closed = app().update_room(&room.id, &room.owner, json!({ "open": false }));
    closed.assert_status(200);
    for socket in members.iter_mut().chain(&mut outsiders) {
        let frame = socket.next_of("room_updated");
        assert_eq!(frame["room"], closed.body);
    }
    for socket in &mut outsiders {
        socket.expect_close(ACCESS_LOST);
    }
    let [owner, member] = &mut members;
    owner.assert_quiet();
    everyone_gets_a_new_message(app(), &room.id, &room.owner, &mut [owner, member]);
}

#[test]
fn deleting_a_room_closes_every_socket_of_it_with_4004_after_room_deleted() {
    let room = Staffed::new(true);
    let other = app().create_room(&room.owner, true);
    let mut sockets = [
        Live::bearer(app(), &room.id, &room.owner),
        Live::ticketed(app(), &room.id, &room.member),
        Live::viewer(app(), &room.id),
    ];
    let mut elsewhere = Live::bearer(app(), &other, &room.owner);
    assert_eq!(app().delete_room(&room.id, &room.owner).status, 204);
    for socket in &mut sockets {
        socket.next_of("room_deleted");
        socket.expect_close(ROOM_DELETED);
    }
    elsewhere.assert_quiet();
    let owner = room.owner.clone();
    everyone_gets_a_new_message(app(), &other, &owner, &mut [&mut elsewhere]);
}

#[test]
fn a_login_past_the_session_cap_closes_the_oldest_keys_sockets_with_4001() {
    let room = Staffed::new(false);
    let mut oldest = Live::bearer(app(), &room.id, &room.member);
    let mut keys: Vec<User> = (0..50).map(|_| another_key(&room.member)).collect();
    let mut newest = Live::bearer(app(), &room.id, &keys.pop().unwrap());
    oldest.expect_close(KEY_ENDED);
    newest.assert_quiet();
}

/// The member left, and the room's object was told; then D1 finds them present again without
/// telling it (as when the worker read D1 just before their leaving committed). Whatever it
/// read, the object has seen them leave: their post, edit and deletion are refused, and no
/// socket hears of them. (On an instance of its own: it writes D1 beside the worker.)
#[test]
fn an_author_who_lost_the_race_with_their_leaving_is_refused_by_the_room() {
    with_database(|app| {
        let room = Staffed::on(app, true);
        let message = posted(app, &room.id, &room.member, "before leaving")["message_id"].as_str().unwrap().to_string();
        let mut viewer = Live::viewer(app, &room.id);
        let left = app.remove_member(&room.id, &room.member, &room.member.id);
        assert_eq!(left.body, json!({ "present": false }), "{}", left.text);
        assert_eq!(viewer.next_of("member_left")["user_id"], room.member.id.as_str());
        present_again_in_d1_alone(&room);
        app.post_message(&room.id, &room.member, "after leaving").assert_error(403);
        app.edit_message(&room.id, &room.member, &message, "edited after leaving").assert_error(403);
        app.delete_message(&room.id, &room.member, &message).assert_error(403);
        viewer.assert_quiet();
        let history = app.messages(&room.id, &room.owner, &[]);
        assert_eq!(history.body["messages"].as_array().map(Vec::len), Some(1), "{}", history.text);
        assert_eq!(history.body["messages"][0]["text"], "before leaving");
    });
}

/// A join whose event is still queued reaches the room's object before the author's post, so
/// that the post is neither refused nor numbered before the join.
#[test]
fn an_authors_write_hands_the_room_its_queued_events_first() {
    with_database(|app| {
        let room = Staffed::on(app, true);
        let mut viewer = Live::viewer(app, &room.id);
        let left = app.remove_member(&room.id, &room.member, &room.member.id);
        assert_eq!(left.body, json!({ "present": false }), "{}", left.text);
        viewer.next_of("member_left");
        present_again_in_d1_alone(&room);
        app.sql(&format!(
            "INSERT INTO room_outbox (room_id, event) VALUES ('{}', json_object('type', 'member_joined', 'user_id', '{}'))",
            room.id, room.member.id
        ));
        let message = posted(app, &room.id, &room.member, "back again")["message_id"].clone();
        assert_eq!(viewer.next_of("member_joined")["user_id"], room.member.id.as_str());
        let frame = viewer.next_of("message");
        assert_eq!(frame["message"]["message_id"], message);
        assert!(app.sql(&format!("SELECT id FROM room_outbox WHERE room_id = '{}'", room.id)).is_empty());
    });
}

/// The member is present again in D1, with nothing queued for the room's object.
fn present_again_in_d1_alone(room: &Staffed) {
    room.app.sql(&format!(
        "INSERT INTO members (room_id, user_id, joined_at, present) VALUES ('{0}', '{1}', 0, 1)
         ON CONFLICT (room_id, user_id) DO UPDATE SET present = 1",
        room.id, room.member.id
    ));
    assert_eq!(room.app.presence(&room.id, NOBODY, &room.member.id).body, json!({ "present": true }));
}
