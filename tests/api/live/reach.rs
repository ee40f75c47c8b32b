//! Every access change reaches every affected socket, however many rooms it touches and
//! whatever else is queued: a request hands a few rooms their events itself and the relay the
//! rest, retrying a room whose object fails without holding back any other. And a socket
//! whose access ended can do nothing more, even before its close arrives.

use serde_json::json;

use crate::helpers::{TestApp, User, PASSWORD};
use crate::live::helpers::{Live, ACCESS_LOST, KEY_ENDED};

/// More rooms than any batch of the delivery: a request hands over 20 rooms itself, reads the
/// newest 100 outbox ids, the relay calls 40 rooms a round and sweeps 100 ids a round.
const ROOMS: usize = 120;

/// A user with a socket on one key in each of `ROOMS` rooms (the last one closed, the others
/// open), a second socket on that key in the closed room, and a second key to end the first
/// one's session with.
fn user_in_many_rooms(app: &TestApp) -> (User, User, Vec<(String, Live)>, Live) {
    let victim = app.sign_up("victim");
    let login = app.log_in(&victim.id, PASSWORD);
    login.assert_status(200);
    let second = User { id: victim.id.clone(), key: login.str("key") };
    let sockets: Vec<(String, Live)> = (0..ROOMS)
        .map(|index| {
            let room = app.create_room(&victim, index + 1 < ROOMS);
            let socket = Live::bearer(app, &room, &victim);
            (room, socket)
        })
        .collect();
    let witness = Live::bearer(app, &sockets.last().unwrap().0, &victim);
    (victim, second, sockets, witness)
}

/// Ends every other session of the victim: every socket closes with 4001, and the connection
/// ends. Once the closed room has closed one of the key's sockets there (the witness), a send
/// over the other one, whose close the client has not read yet, posts nothing.
fn ending_the_key_closes_every_socket(app: &TestApp) {
    let (victim, second, mut sockets, mut witness) = user_in_many_rooms(app);
    let ended = app.delete(&format!("/user/{}/sessions", victim.id)).by(&second).json(json!({}));
    ended.assert_status(204);
    witness.expect_close(KEY_ENDED);
    let closed_room = sockets.last().unwrap().0.clone();
    let unread = &mut sockets.last_mut().unwrap().1;
    let _ = unread.try_send(tungstenite::Message::text(
        json!({ "type": "send", "text": "as the victim", "txn_id": "after the end" }).to_string(),
    ));
    for (room, socket) in &mut sockets {
        let (frames, close) = socket.until_closed();
        assert!(frames.iter().all(|frame| frame["type"] != "sent"), "room {room}: posted after the end: {frames:?}");
        assert_eq!(close.map(|(code, _)| code), Some(KEY_ENDED), "room {room}");
        socket.assert_connection_ends();
    }
    let history = app.messages(&closed_room, &second, &[]);
    history.assert_status(200);
    assert_eq!(history.body["messages"], json!([]), "the ended key posted");
}

#[test]
fn ending_a_key_with_sockets_in_more_rooms_than_any_batch_closes_every_one() {
    ending_the_key_closes_every_socket(&TestApp::spawn(&[]));
}

#[test]
fn ending_a_key_reaches_every_room_though_each_rooms_object_fails_its_first_delivery() {
    ending_the_key_closes_every_socket(&TestApp::spawn(&[("FAULT_ROOM_EVENTS", "fail_first")]));
}

#[test]
fn a_delivery_that_fails_after_applying_is_applied_once_on_retry() {
    let app = TestApp::spawn(&[("FAULT_ROOM_EVENTS", "fail_midway")]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    let mut watcher = Live::bearer(&app, &room, &owner);
    let newcomer = app.sign_up("newcomer");
    app.join(&room, &newcomer);
    // The first delivery applied the join, then failed: its storage kept none of it, so the
    // relay's retry numbers it once, as seq 1.
    let joined = watcher.next_of("member_joined");
    assert_eq!((joined["seq"].as_i64(), joined["user_id"].as_str()), (Some(1), Some(newcomer.id.as_str())));
    watcher.assert_quiet();
    let (_, replayed) = Live::resume(&app, &room, crate::live::helpers::Way::Bearer(&owner.key), 0);
    let types: Vec<&str> = replayed.iter().map(|frame| frame["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["member_joined"], "{replayed:?}");
}

#[test]
fn a_banned_outsider_with_a_socket_open_is_closed_with_4003_and_may_not_open_another() {
    let app = crate::helpers::app();
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    let outsider = app.sign_up("outsider");
    let mut theirs = Live::bearer(app, &room, &outsider);
    let mut owners = Live::bearer(app, &room, &owner);
    let banned = app.ban(&room, &owner, &outsider.id);
    banned.assert_status(200);
    theirs.expect_close(ACCESS_LOST);
    owners.assert_quiet();
    let again = Live::try_connect(app, &room, crate::live::helpers::Way::Bearer(&outsider.key), None);
    again.err().expect("a banned user's socket opened").assert_error(403);
    app.ticket(&room, &outsider).assert_error(403);
    // As anyone may, they still read the open room without their key.
    let _viewer = Live::viewer(app, &room);
    let unbanned = app.unban(&room, &owner, &outsider.id);
    unbanned.assert_status(200);
    let _back = Live::bearer(app, &room, &outsider);
}

/// Presence is told when access ends, not when the client finishes its close: the removed
/// member's client here never reads its socket, so it never answers the close.
#[test]
fn a_removed_or_banned_member_leaves_presence_though_their_client_never_finishes_the_close() {
    let app = crate::helpers::app();
    for ban in [false, true] {
        let owner = app.sign_up("owner");
        let room = app.create_room(&owner, false);
        let member = app.sign_up("member");
        app.bring_in(&room, &owner, &member);
        let mut owners = Live::bearer(app, &room, &owner);
        let _silent = Live::bearer(app, &room, &member);
        wait_for_presence(&mut owners, &[&owner.id, &member.id]);
        let removed =
            if ban { app.ban(&room, &owner, &member.id) } else { app.remove_member(&room, &owner, &member.id) };
        removed.assert_status(200);
        assert_eq!(owners.next_of("member_left")["user_id"], member.id);
        wait_for_presence(&mut owners, &[&owner.id]);
    }
}

/// Reads `presence` frames until one lists exactly `users` (sorted as the room sorts them).
fn wait_for_presence(socket: &mut Live, users: &[&str]) {
    let mut expected: Vec<String> = users.iter().map(|user| (*user).to_owned()).collect();
    expected.sort();
    loop {
        if socket.presence() == expected {
            return;
        }
    }
}
