//! `send {text, txn_id}` posts like HTTP, answers `sent` to the sender, and is idempotent per
//! user and room: the same `txn_id` again answers the first message and posts nothing.

use serde_json::Value;

use crate::helpers::{app, Staffed};
use crate::live::helpers::Live;
use crate::live::history;

/// The sender's two frames after a new post: its `sent` and its `message`, in either order.
fn sent_and_message(socket: &mut Live) -> (Value, Value) {
    let frames = [socket.next(), socket.next()];
    match (frames[0]["type"].as_str(), frames[1]["type"].as_str()) {
        (Some("sent"), Some("message")) => (frames[0].clone(), frames[1].clone()),
        (Some("message"), Some("sent")) => (frames[1].clone(), frames[0].clone()),
        _ => panic!("expected sent and message: {frames:?}"),
    }
}

fn count_of(room: &Staffed, text: &str) -> usize {
    history(app(), &room.id, &room.owner).iter().filter(|message| message["text"] == text).count()
}

#[test]
fn a_send_answers_sent_to_the_sender_and_the_message_to_every_socket() {
    let room = Staffed::new(true);
    let mut sender = Live::bearer(app(), &room.id, &room.member);
    let mut watcher = Live::viewer(app(), &room.id);
    sender.post("hello over the socket", "first");
    let (sent, message) = sent_and_message(&mut sender);
    let fields: Vec<&String> = sent.as_object().unwrap().keys().collect();
    assert_eq!(fields, ["message", "txn_id", "type"], "{sent}");
    assert_eq!(sent["txn_id"], "first");
    assert_eq!(sent["message"]["text"], "hello over the socket");
    assert_eq!(sent["message"]["user_id"], room.member.id);
    assert_eq!(message["message"], sent["message"]);
    assert_eq!(watcher.next_of("message"), message);
    assert_eq!(history(app(), &room.id, &room.owner), [sent["message"].clone()], "the message as HTTP has it");
}

#[test]
fn the_same_txn_id_again_answers_the_same_sent_and_posts_nothing() {
    let room = Staffed::new(true);
    let mut sender = Live::bearer(app(), &room.id, &room.member);
    let mut watcher = Live::bearer(app(), &room.id, &room.owner);
    sender.post("only once", "retried");
    let (sent, _) = sent_and_message(&mut sender);
    watcher.next_of("message");
    sender.post("only once", "retried");
    assert_eq!(sender.next(), sent);
    sender.assert_quiet();
    watcher.assert_quiet();
    assert_eq!(count_of(&room, "only once"), 1);
}

#[test]
fn a_retry_on_a_new_socket_after_a_disconnect_answers_the_first_message() {
    let room = Staffed::new(true);
    let mut watcher = Live::bearer(app(), &room.id, &room.owner);
    let mut sender = Live::bearer(app(), &room.id, &room.member);
    sender.post("did it go?", "lost-answer");
    let (sent, _) = sent_and_message(&mut sender);
    sender.close();
    watcher.next_of("message");

    let mut again = Live::ticketed(app(), &room.id, &room.member);
    again.post("did it go?", "lost-answer");
    assert_eq!(again.next(), sent);
    watcher.assert_quiet();
    assert_eq!(count_of(&room, "did it go?"), 1);
}

#[test]
fn the_same_txn_id_from_another_user_posts_a_new_message() {
    let room = Staffed::new(true);
    let mut member = Live::bearer(app(), &room.id, &room.member);
    let mut admin = Live::bearer(app(), &room.id, &room.admin);
    member.post("mine", "shared-id");
    let (mine, _) = sent_and_message(&mut member);
    admin.next_of("message");
    admin.post("theirs", "shared-id");
    let (theirs, _) = sent_and_message(&mut admin);
    assert_ne!(theirs["message"]["message_id"], mine["message"]["message_id"]);
    assert_eq!(theirs["message"]["text"], "theirs");
    assert_eq!(member.next_of("message")["message"], theirs["message"]);
}

#[test]
fn the_same_txn_id_in_another_room_posts_a_new_message() {
    let room = Staffed::new(true);
    let other = app().create_room(&room.member, true);
    let mut here = Live::bearer(app(), &room.id, &room.member);
    let mut there = Live::bearer(app(), &other, &room.member);
    here.post("here", "everywhere");
    let (first, _) = sent_and_message(&mut here);
    there.post("there", "everywhere");
    let (second, _) = sent_and_message(&mut there);
    assert_ne!(second["message"]["message_id"], first["message"]["message_id"]);
    assert_eq!(second["message"]["text"], "there");
}
