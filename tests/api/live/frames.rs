//! Every kind of bad client frame gets an `error` frame or a close with the standard code, and
//! the room keeps working for everyone else; `typing` goes to the others, one per 2 s.

use std::time::Duration;

use serde_json::{json, Value};
use tungstenite::Message;

use crate::helpers::{app, Staffed};
use crate::live::everyone_gets_a_new_message;
use crate::live::helpers::{Live, POLICY, TOO_BIG, UNSUPPORTED};

/// An open room with the member's socket (the one that misbehaves) and the owner's, watching.
fn room_with_sockets() -> (Staffed, Live, Live) {
    let room = Staffed::new(true);
    let member = Live::bearer(app(), &room.id, &room.member);
    let owner = Live::bearer(app(), &room.id, &room.owner);
    (room, member, owner)
}

/// Asserts an `error` frame, with `txn_id` exactly when one is given.
#[track_caller]
fn assert_error(frame: &Value, txn_id: Option<&str>) {
    assert_eq!(frame["type"], "error", "{frame}");
    assert!(matches!(&frame["error"], Value::String(error) if !error.is_empty()), "{frame}");
    let fields = frame.as_object().unwrap().len();
    match txn_id {
        Some(txn_id) => assert_eq!((fields, &frame["txn_id"]), (3, &json!(txn_id)), "{frame}"),
        None => assert_eq!(fields, 2, "{frame}"),
    }
}

/// The socket still posts: a `send` is answered with `sent`, and the watcher gets the message.
fn assert_still_posts(socket: &mut Live, watcher: &mut Live) {
    socket.post("after all that", "still-here");
    let mut answers = [socket.next(), socket.next()];
    answers.sort_by_key(|frame| frame["type"].as_str().unwrap().to_string());
    assert_eq!(answers[0]["type"], "message", "{answers:?}");
    assert_eq!(answers[1]["type"], "sent", "{answers:?}");
    assert_eq!(watcher.next_of("message")["message"], answers[1]["message"]);
}

#[test]
fn a_frame_that_is_not_json_is_an_error_and_the_socket_keeps_working() {
    let (_room, mut member, mut owner) = room_with_sockets();
    member.try_send(Message::text("{not json"));
    assert_error(&member.next(), None);
    owner.assert_quiet();
    assert_still_posts(&mut member, &mut owner);
}

#[test]
fn a_frame_of_no_known_type_is_an_error() {
    let (_room, mut member, mut owner) = room_with_sockets();
    for frame in
        [json!({ "type": "dance" }), json!({ "text": "no type" }), json!({ "type": 3 }), json!([]), json!("send")]
    {
        member.send(frame.clone());
        let answer = member.next();
        assert_error(&answer, None);
    }
    owner.assert_quiet();
    assert_still_posts(&mut member, &mut owner);
}

#[test]
fn a_send_without_a_txn_id_is_an_error_and_posts_nothing() {
    let (_room, mut member, mut owner) = room_with_sockets();
    member.send(json!({ "type": "send", "text": "who am I?" }));
    assert_error(&member.next(), None);
    owner.assert_quiet();
}

#[test]
fn a_send_without_text_is_an_error_with_its_txn_id_and_posts_nothing() {
    let (_room, mut member, mut owner) = room_with_sockets();
    member.send(json!({ "type": "send", "txn_id": "no-text" }));
    assert_error(&member.next(), Some("no-text"));
    owner.assert_quiet();
}

#[test]
fn a_txn_id_must_be_a_string_of_1_to_64_characters() {
    let (_room, mut member, mut owner) = room_with_sockets();
    for txn_id in [json!(""), json!("x".repeat(65)), json!(7), json!(null)] {
        member.send(json!({ "type": "send", "text": "hi", "txn_id": txn_id }));
        let answer = member.next();
        assert_eq!(answer["type"], "error", "{txn_id}: {answer}");
    }
    owner.assert_quiet();
    member.post("the longest txn_id", &"x".repeat(64));
    assert_eq!(owner.next_of("message")["message"]["text"], "the longest txn_id");
}

#[test]
fn a_send_of_text_the_http_route_refuses_is_an_error_with_its_txn_id() {
    let (_room, mut member, mut owner) = room_with_sockets();
    for (txn_id, text) in [("empty", String::new()), ("too-long", "x".repeat(4001)), ("control", "a\u{7}b".to_string())]
    {
        member.post(&text, txn_id);
        assert_error(&member.next(), Some(txn_id));
    }
    owner.assert_quiet();
}

#[test]
fn a_send_may_reply_and_a_reply_to_what_is_not_there_is_an_error_with_its_txn_id() {
    let (room, mut member, mut owner) = room_with_sockets();
    let parent = app().post_message(&room.id, &room.owner, "the question");
    parent.assert_status(201);
    let parent_id = parent.body["message_id"].as_str().unwrap().to_string();
    owner.next_of("message");
    member.next_of("message");
    member.send(json!({ "type": "send", "text": "the answer", "txn_id": "answer", "reply_to": parent_id }));
    let expected = json!({ "message_id": parent_id, "user_id": room.owner.id, "preview": "the question" });
    let heard = owner.next_of("message");
    assert_eq!(heard["message"]["reply_to"], expected, "{heard}");
    let mut answers = [member.next(), member.next()];
    answers.sort_by_key(|frame| frame["type"].as_str().unwrap().to_string());
    assert_eq!(answers[1]["message"]["reply_to"], expected, "{answers:?}");
    for (txn_id, reply_to) in
        [("malformed", json!("nope")), ("a-number", json!(7)), ("unknown", json!(crate::helpers::UNKNOWN_ID))]
    {
        member.send(json!({ "type": "send", "text": "a reply", "txn_id": txn_id, "reply_to": reply_to }));
        assert_error(&member.next(), Some(txn_id));
    }
    owner.assert_quiet();
    assert_still_posts(&mut member, &mut owner);
}

#[test]
fn a_binary_frame_closes_the_socket_with_1003_and_the_room_keeps_working() {
    let (room, mut member, mut owner) = room_with_sockets();
    member.try_send(Message::binary(b"\x00\x01".to_vec()));
    member.expect_close(UNSUPPORTED);
    everyone_gets_a_new_message(app(), &room.id, &room.owner, &mut [&mut owner]);
}

#[test]
fn a_socket_closed_for_its_frame_leaves_presence_before_its_client_answers_the_close() {
    let (room, mut member, mut owner) = room_with_sockets();
    wait_for_presence(&mut owner, vec![room.owner.id.clone(), room.member.id.clone()]);
    // The member's client reads nothing more for now: it does not answer the room's close.
    member.try_send(Message::binary(b"\x00\x01".to_vec()));
    wait_for_presence(&mut owner, vec![room.owner.id.clone()]);
    member.expect_close(UNSUPPORTED);
}

/// A `send` frame of exactly `size` bytes.
fn send_frame_of(size: usize) -> String {
    let empty = json!({ "type": "send", "txn_id": "big", "text": "" }).to_string();
    let frame = json!({ "type": "send", "txn_id": "big", "text": "x".repeat(size - empty.len()) }).to_string();
    assert_eq!(frame.len(), size);
    frame
}

#[test]
fn a_frame_over_64_kib_closes_the_socket_with_1009_and_the_room_keeps_working() {
    let (room, mut member, mut owner) = room_with_sockets();
    member.try_send(Message::text(send_frame_of(64 * 1024 + 1)));
    member.expect_close(TOO_BIG);
    everyone_gets_a_new_message(app(), &room.id, &room.owner, &mut [&mut owner]);
}

#[test]
fn a_frame_of_exactly_64_kib_is_answered_not_closed() {
    let (_room, mut member, mut owner) = room_with_sockets();
    member.try_send(Message::text(send_frame_of(64 * 1024)));
    assert_error(&member.next(), Some("big"));
    owner.assert_quiet();
    assert_still_posts(&mut member, &mut owner);
}

#[test]
fn thirty_frames_in_10_seconds_are_answered_and_the_31st_closes_the_socket_with_1008() {
    let (room, mut member, mut owner) = room_with_sockets();
    for _ in 0..30 {
        member.send(json!({ "type": "dance" }));
    }
    for _ in 0..30 {
        assert_error(&member.next(), None);
    }
    member.send(json!({ "type": "dance" }));
    member.expect_close(POLICY);
    everyone_gets_a_new_message(app(), &room.id, &room.owner, &mut [&mut owner]);
}

#[test]
fn typing_reaches_the_rooms_other_sockets_but_not_the_senders() {
    let (room, mut member, mut owner) = room_with_sockets();
    let mut viewer = Live::viewer(app(), &room.id);
    member.send(json!({ "type": "typing" }));
    for socket in [&mut owner, &mut viewer] {
        assert_eq!(socket.next(), json!({ "type": "typing", "user_id": room.member.id }));
    }
    member.assert_quiet();
}

#[test]
fn a_second_typing_within_2_seconds_is_an_error_and_reaches_nobody() {
    let (room, mut member, mut owner) = room_with_sockets();
    member.send(json!({ "type": "typing" }));
    owner.next_of("typing");
    member.send(json!({ "type": "typing" }));
    assert_error(&member.next(), None);
    owner.assert_quiet();
    std::thread::sleep(Duration::from_millis(2100));
    member.send(json!({ "type": "typing" }));
    assert_eq!(owner.next(), json!({ "type": "typing", "user_id": room.member.id }));
}

#[test]
fn a_viewer_may_neither_send_nor_type() {
    let (room, mut member, mut owner) = room_with_sockets();
    let mut viewer = Live::viewer(app(), &room.id);
    viewer.post("let me in", "viewer-1");
    assert_error(&viewer.next(), Some("viewer-1"));
    viewer.send(json!({ "type": "typing" }));
    assert_error(&viewer.next(), None);
    owner.assert_quiet();
    member.assert_quiet();
}

#[test]
fn a_non_member_with_a_key_may_not_send() {
    let (room, _member, mut owner) = room_with_sockets();
    let passer_by = app().sign_up("passer-by");
    let mut socket = Live::bearer(app(), &room.id, &passer_by);
    socket.post("hello?", "outsider-1");
    assert_error(&socket.next(), Some("outsider-1"));
    owner.assert_quiet();
    assert_eq!(crate::live::history(app(), &room.id, &room.owner), Vec::<Value>::new());
}

/// Presence frames until one lists exactly `expected` (changes are coalesced, so one that
/// lists a moment in between may come first).
fn wait_for_presence(socket: &mut Live, mut expected: Vec<String>) {
    expected.sort();
    let mut seen = Vec::new();
    while seen.last() != Some(&expected) {
        assert!(seen.len() < 5, "presence never listed {expected:?}: {seen:?}");
        seen.push(socket.presence());
    }
}

#[test]
fn presence_reaches_the_others_when_someone_connects_and_when_they_go() {
    let (room, _member, mut owner) = room_with_sockets();
    wait_for_presence(&mut owner, vec![room.owner.id.clone(), room.member.id.clone()]);
    let admin = Live::bearer(app(), &room.id, &room.admin);
    wait_for_presence(&mut owner, vec![room.owner.id.clone(), room.member.id.clone(), room.admin.id.clone()]);
    admin.close();
    wait_for_presence(&mut owner, vec![room.owner.id.clone(), room.member.id.clone()]);
}

#[test]
fn a_socket_opening_is_told_who_is_here_after_someone_left_and_who_came_back() {
    let (room, _member, mut owner) = room_with_sockets();
    let sorted = |mut users: Vec<String>| {
        users.sort();
        users
    };
    let (both, all) = (
        sorted(vec![room.owner.id.clone(), room.member.id.clone()]),
        sorted(vec![room.owner.id.clone(), room.member.id.clone(), room.admin.id.clone()]),
    );
    wait_for_presence(&mut owner, both.clone());
    let admin = Live::bearer(app(), &room.id, &room.admin);
    wait_for_presence(&mut owner, all.clone());
    admin.close();
    wait_for_presence(&mut owner, both.clone());
    // The room keeps who is here while it knows: a departure is forgotten, not kept.
    assert_eq!(Live::viewer(app(), &room.id).presence(), both);
    // One who comes back is listed to their own socket at once, and to the others soon.
    let mut back = Live::bearer(app(), &room.id, &room.admin);
    assert_eq!(back.presence(), all);
    wait_for_presence(&mut owner, all);
}
