//! Read positions: where each member has read up to in a room (a seq), moved by `PUT
//! /room/{id}/read` and the socket's `read` frame (never back), by one's own posts, set at a
//! join; "marked unread"; and `hello.you`'s `read_seq`, `unread` and `marked_unread`, counted
//! as the README says: messages after `read_seq`, by others, not deleted.

use serde_json::{json, Value};

use crate::helpers::{app, Resp, Staffed, User};
use crate::live::helpers::Live;

fn read(room: &str, by: &User, body: Value) -> Resp {
    app().put(&format!("/room/{room}/read")).by(by).json(body)
}

/// `hello.you`'s reading, as a new socket of `user` sees it: (read_seq, unread, marked_unread).
fn reading(room: &str, user: &User) -> (i64, i64, bool) {
    let live = Live::bearer(app(), room, user);
    let you = &live.hello["you"];
    (you["read_seq"].as_i64().unwrap(), you["unread"].as_i64().unwrap(), you["marked_unread"].as_bool().unwrap())
}

/// Posts and answers the message's seq.
fn post(room: &str, by: &User, text: &str) -> i64 {
    let posted = app().post_message(room, by, text);
    posted.assert_status(201);
    posted.body["seq"].as_i64().unwrap()
}

#[test]
fn a_read_position_moves_up_never_back_and_not_past_the_latest() {
    let room = Staffed::new(true);
    let first = post(&room.id, &room.member, "one");
    let second = post(&room.id, &room.member, "two");
    read(&room.id, &room.owner, json!({ "seq": second })).assert_ok(200, json!({ "read_seq": second }));
    read(&room.id, &room.owner, json!({ "seq": first })).assert_ok(200, json!({ "read_seq": second }));
    read(&room.id, &room.owner, json!({ "seq": second + 1000 })).assert_error(400);
    read(&room.id, &room.owner, json!({})).assert_error(400);
    read(&room.id, &room.owner, json!({ "seq": first, "unread": true })).assert_error(400);
    read(&room.id, &room.owner, json!({ "seq": -1 })).assert_error(400);
    read(&room.id, &room.owner, json!({ "seq": 1_560_893_800_771_317_248_u64 })).assert_error(400);
    read(&room.id, &room.owner, json!({ "seq": u64::MAX })).assert_error(400);
    // A request after refused ones is served.
    assert_eq!(reading(&room.id, &room.owner).0, second);
}

#[test]
fn unread_counts_others_messages_after_the_position_and_not_deleted_ones() {
    let room = Staffed::new(true);
    let newcomer = app().sign_up("newcomer");
    post(&room.id, &room.owner, "before the join");
    app().join(&room.id, &newcomer);
    let (joined_at, unread, marked) = reading(&room.id, &newcomer);
    assert_eq!((unread, marked), (0, false), "what came before the join is not unread");
    let first = post(&room.id, &room.owner, "one");
    let second = app().post_message(&room.id, &room.admin, "two").str("message_id");
    let third = app().post_message(&room.id, &room.member, "three").str("message_id");
    assert_eq!(reading(&room.id, &newcomer), (joined_at, 3, false));
    // A deleted message is not unread; an edited one counts once.
    app().delete_message(&room.id, &room.member, &third).assert_status(204);
    app().edit_message(&room.id, &room.admin, &second, "two, edited").assert_status(200);
    assert_eq!(reading(&room.id, &newcomer), (joined_at, 2, false));
    read(&room.id, &newcomer, json!({ "seq": first })).assert_status(200);
    assert_eq!(reading(&room.id, &newcomer), (first, 1, false));
    // One's own post is read: it moves one's position to it.
    let mine = post(&room.id, &newcomer, "mine");
    assert_eq!(reading(&room.id, &newcomer), (mine, 0, false));
}

#[test]
fn marking_unread_keeps_the_position_and_the_next_read_clears_it() {
    let room = Staffed::new(true);
    let seq = post(&room.id, &room.member, "hello");
    read(&room.id, &room.owner, json!({ "seq": seq })).assert_status(200);
    read(&room.id, &room.owner, json!({ "unread": true })).assert_ok(200, json!({ "read_seq": seq }));
    assert_eq!(reading(&room.id, &room.owner), (seq, 0, true));
    read(&room.id, &room.owner, json!({ "seq": seq })).assert_ok(200, json!({ "read_seq": seq }));
    assert_eq!(reading(&room.id, &room.owner), (seq, 0, false));
}

#[test]
fn only_present_members_keep_a_read_position() {
    let open = Staffed::new(true);
    let closed = Staffed::new(false);
    let outsider = app().sign_up("outsider");
    read(&open.id, &outsider, json!({ "seq": 0 })).assert_error(403);
    read(&closed.id, &outsider, json!({ "seq": 0 })).assert_error(404);
    app().put(&format!("/room/{}/read", open.id)).json(json!({ "seq": 0 })).assert_error(400);
    // A viewer's socket has no reading in its hello.
    let viewer = Live::viewer(app(), &open.id);
    assert!(viewer.hello["you"].is_null());
    let mut outsider_socket = Live::bearer(app(), &open.id, &outsider);
    assert!(outsider_socket.hello["you"].get("read_seq").is_none(), "{}", outsider_socket.hello);
    outsider_socket.send(json!({ "type": "read", "seq": 0 }));
    assert_eq!(outsider_socket.next()["type"], "error");
}

#[test]
fn a_read_reaches_the_persons_other_sockets_and_no_one_elses() {
    let room = Staffed::new(true);
    let seq = post(&room.id, &room.member, "hello");
    let mut phone = Live::bearer(app(), &room.id, &room.owner);
    let mut laptop = Live::ticketed(app(), &room.id, &room.owner);
    let mut someone = Live::bearer(app(), &room.id, &room.admin);
    phone.send(json!({ "type": "read", "seq": seq }));
    assert_eq!(laptop.next_of("read"), json!({ "type": "read", "seq": seq }));
    phone.assert_quiet();
    someone.assert_quiet();
    // Over HTTP, every socket of theirs hears it; reading where one is already, none.
    let later = post(&room.id, &room.member, "again");
    for socket in [&mut phone, &mut laptop, &mut someone] {
        socket.next_of("message");
    }
    read(&room.id, &room.owner, json!({ "seq": later })).assert_status(200);
    assert_eq!(phone.next_of("read")["seq"], later);
    assert_eq!(laptop.next_of("read")["seq"], later);
    read(&room.id, &room.owner, json!({ "seq": later })).assert_status(200);
    phone.assert_quiet();
    someone.assert_quiet();
    // A read past the latest over the socket is an error frame; the socket stays.
    phone.send(json!({ "type": "read", "seq": later + 1000 }));
    assert_eq!(phone.next()["type"], "error");
    phone.send(json!({ "type": "read", "seq": "soon" }));
    assert_eq!(phone.next()["type"], "error");
}

#[test]
fn a_dms_other_person_reads_it_from_its_start() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let opened = app().dm(&ann, &bob.id);
    let room = opened.str("room_id");
    post(&room, &ann, "hi bob");
    post(&room, &ann, "are you there?");
    app().join_as(&room, &bob).assert_status(200);
    assert_eq!(reading(&room, &bob), (0, 2, false), "the request's messages are unread");
    assert_eq!(reading(&room, &ann).1, 0, "one's own messages are read");
}
