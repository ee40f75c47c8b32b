//! `PUT`, `DELETE` and `GET /room/{id}/messages/{message_id}/reactions/{key}`: reactions counted
//! by key in order of first use, `me` for whoever reads, the ceilings of keys per message and
//! per person, who may react and who may see who did, and every refusal a JSON 4xx.

use serde_json::{json, Value};

use crate::helpers::{app, Resp, Staffed, User, NOBODY, UNKNOWN_ID};
use crate::live::posted;

/// Every byte outside the unreserved set percent-encoded, as a path segment wants it.
pub fn encoded(key: &str) -> String {
    key.bytes()
        .map(|byte| match byte {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => (byte as char).to_string(),
            _ => format!("%{byte:02X}"),
        })
        .collect()
}

fn reaction_path(room: &str, message: &str, key: &str) -> String {
    format!("/room/{room}/messages/{message}/reactions/{}", encoded(key))
}

pub fn react(room: &str, user: &User, message: &str, key: &str) -> Resp {
    app().put(&reaction_path(room, message, key)).by(user).send()
}

pub fn unreact(room: &str, user: &User, message: &str, key: &str) -> Resp {
    app().delete(&reaction_path(room, message, key)).by(user).send()
}

/// The message's reactions as the history shows them to `user` (none: a viewer).
fn reactions_seen(room: &str, user: Option<&User>, message: &str) -> Value {
    let history = app().messages(room, user, &[]);
    history.assert_status(200);
    let messages = history.body["messages"].as_array().unwrap();
    messages.iter().find(|m| m["message_id"] == message).unwrap()["reactions"].clone()
}

fn id(message: &Value) -> String {
    message["message_id"].as_str().unwrap().to_owned()
}

#[test]
fn reactions_count_by_key_in_order_of_first_use_and_say_me_to_whoever_reads() {
    let room = Staffed::new(true);
    let message = id(&posted(app(), &room.id, &room.owner, "lunch?"));
    react(&room.id, &room.member, &message, "👍")
        .assert_ok(200, json!({ "reactions": [{ "key": "👍", "count": 1, "me": true }] }));
    react(&room.id, &room.admin, &message, "🎉").assert_status(200);
    react(&room.id, &room.admin, &message, "👍").assert_ok(
        200,
        json!({ "reactions": [{ "key": "👍", "count": 2, "me": true }, { "key": "🎉", "count": 1, "me": true }] }),
    );
    // Again: nothing changes.
    react(&room.id, &room.admin, &message, "👍").assert_status(200);
    let as_member = json!([{ "key": "👍", "count": 2, "me": true }, { "key": "🎉", "count": 1, "me": false }]);
    assert_eq!(reactions_seen(&room.id, Some(&room.member), &message), as_member);
    let as_viewer = json!([{ "key": "👍", "count": 2, "me": false }, { "key": "🎉", "count": 1, "me": false }]);
    assert_eq!(reactions_seen(&room.id, None, &message), as_viewer);
    assert_eq!(reactions_seen(&room.id, Some(&room.owner), &message), as_viewer);

    // Taken back: counted down, gone at 0, and a key used anew goes last.
    unreact(&room.id, &room.member, &message, "👍").assert_ok(
        200,
        json!({ "reactions": [{ "key": "👍", "count": 1, "me": false }, { "key": "🎉", "count": 1, "me": false }] }),
    );
    unreact(&room.id, &room.member, &message, "👍").assert_status(200);
    unreact(&room.id, &room.admin, &message, "👍")
        .assert_ok(200, json!({ "reactions": [{ "key": "🎉", "count": 1, "me": true }] }));
    react(&room.id, &room.owner, &message, "👍").assert_status(200);
    let keys: Vec<Value> =
        reactions_seen(&room.id, None, &message).as_array().unwrap().iter().map(|r| r["key"].clone()).collect();
    assert_eq!(keys, [json!("🎉"), json!("👍")]);
}

#[test]
fn a_key_is_an_emoji_or_a_short_word_and_anything_else_is_a_400() {
    let room = Staffed::new(true);
    let message = id(&posted(app(), &room.id, &room.member, "keys"));
    for key in ["+1", "👨‍👩‍👧", "東京", "ok", &"k".repeat(32), "/"] {
        let answer = react(&room.id, &room.member, &message, key);
        answer.assert_status(200);
        assert!(answer.body["reactions"].as_array().unwrap().iter().any(|r| r["key"] == key), "{key}");
        unreact(&room.id, &room.member, &message, key).assert_status(200);
    }
    let path = |raw: &str| format!("/room/{}/messages/{message}/reactions/{raw}", room.id);
    for raw in ["a%20b", "%E3%80%80", "tab%09", "%07", "%FF", "%C3", &"k".repeat(33), &"%F0%9F%91%8D".repeat(9)] {
        let answer = app().put(&path(raw)).by(&room.member).send();
        answer.assert_error(400);
        assert!(answer.body["error"].as_str().unwrap().contains("reaction's key"), "{raw}: {}", answer.text);
    }
    // Nothing was kept, and the next reaction is served.
    assert_eq!(reactions_seen(&room.id, None, &message), json!([]));
    react(&room.id, &room.member, &message, "✅").assert_status(200);
}

#[test]
fn only_present_members_react_to_a_message_of_the_room_that_is_there() {
    let room = Staffed::new(true);
    let other = Staffed::new(true);
    let message = id(&posted(app(), &room.id, &room.member, "react to me"));
    let elsewhere = id(&posted(app(), &other.id, &other.member, "not here"));
    let gone = id(&posted(app(), &room.id, &room.member, "soon gone"));
    app().delete_message(&room.id, &room.member, &gone).assert_status(204);
    let outsider = app().sign_up("outsider");
    react(&room.id, &outsider, &message, "👍").assert_error(403);
    // No key: as every write without one.
    let anonymous = app().put(&reaction_path(&room.id, &message, "👍")).send();
    anonymous.assert_error(400);
    assert_eq!(anonymous.body["error"], "key is required");
    app().put(&reaction_path(&room.id, &message, "👍")).bearer("not-a-key").send().assert_error(401);
    for (message_id, status) in [(UNKNOWN_ID, 404), (elsewhere.as_str(), 404), (gone.as_str(), 400)] {
        react(&room.id, &room.member, message_id, "👍").assert_error(status);
        unreact(&room.id, &room.member, message_id, "👍").assert_error(status);
    }
    app().put(&format!("/room/{}/messages/not-an-id/reactions/x", room.id)).by(&room.member).send().assert_error(400);
    // A closed room is not there for a stranger.
    let closed = Staffed::new(false);
    let secret = id(&posted(app(), &closed.id, &closed.member, "secret"));
    react(&closed.id, &outsider, &secret, "👍").assert_error(404);
    // A member who left may not; the room is then as it was.
    app().remove_member(&room.id, &room.admin, &room.admin.id).assert_status(200);
    react(&room.id, &room.admin, &message, "👍").assert_error(403);
    assert_eq!(reactions_seen(&room.id, None, &message), json!([]));
    react(&room.id, &room.member, &message, "👍").assert_status(200);
}

#[test]
fn a_message_holds_20_keys_and_a_person_10_of_them_then_409() {
    let room = Staffed::new(true);
    let message = id(&posted(app(), &room.id, &room.owner, "so many feelings"));
    for n in 0..10 {
        react(&room.id, &room.member, &message, &format!("m{n}")).assert_status(200);
    }
    let refused = react(&room.id, &room.member, &message, "m10");
    refused.assert_error(409);
    assert_eq!(refused.body["error"], "you may react to one message in at most 10 ways");
    for n in 0..10 {
        react(&room.id, &room.admin, &message, &format!("a{n}")).assert_status(200);
    }
    let refused = react(&room.id, &room.owner, &message, "o0");
    refused.assert_error(409);
    assert_eq!(refused.body["error"], "a message holds at most 20 different reactions");
    // A key already there may still be added to, and one taken back frees a place.
    let joined = react(&room.id, &room.owner, &message, "m3");
    joined.assert_status(200);
    assert_eq!(joined.body["reactions"].as_array().unwrap().len(), 20);
    unreact(&room.id, &room.member, &message, "m0").assert_status(200);
    react(&room.id, &room.member, &message, "m10").assert_status(200);
}

#[test]
fn whoever_may_read_the_room_sees_who_reacted_in_the_order_they_did() {
    let room = Staffed::new(true);
    let message = id(&posted(app(), &room.id, &room.owner, "who liked this?"));
    for user in [&room.member, &room.owner, &room.admin] {
        react(&room.id, user, &message, "❤️").assert_status(200);
    }
    react(&room.id, &room.member, &message, "👀").assert_status(200);
    let path = reaction_path(&room.id, &message, "❤️");
    let everyone = app().get(&path).send();
    everyone.assert_ok(
        200,
        json!({ "users": [room.member.id, room.owner.id, room.admin.id], "index": 0, "user_count": 3 }),
    );
    let second = app().get(&path).queries(&[("limit", "1"), ("offset", "1")]).by(&room.member).send();
    second.assert_ok(200, json!({ "users": [room.owner.id], "index": 1, "user_count": 3 }));
    let unused = app().get(&reaction_path(&room.id, &message, "🙃")).send();
    unused.assert_ok(200, json!({ "users": [], "index": 0, "user_count": 0 }));
    app().get(&reaction_path(&room.id, UNKNOWN_ID, "❤️")).send().assert_error(404);
    app().get(&path).queries(&[("limit", "x")]).send().assert_error(400);
    let closed = Staffed::new(false);
    let secret = id(&posted(app(), &closed.id, &closed.member, "secret"));
    react(&closed.id, &closed.member, &secret, "❤️").assert_status(200);
    let stranger = app().sign_up("stranger");
    app().get(&reaction_path(&closed.id, &secret, "❤️")).by(&stranger).send().assert_error(404);
    app().get(&reaction_path(&closed.id, &secret, "❤️")).by(NOBODY).send().assert_error(404);
    let member = app().get(&reaction_path(&closed.id, &secret, "❤️")).by(&closed.admin).send();
    member.assert_ok(200, json!({ "users": [closed.member.id], "index": 0, "user_count": 1 }));
}

#[test]
fn an_edit_keeps_the_reactions_and_a_deletion_takes_them_with_it() {
    let room = Staffed::new(true);
    let message = id(&posted(app(), &room.id, &room.member, "first draft"));
    react(&room.id, &room.admin, &message, "👍").assert_status(200);
    react(&room.id, &room.member, &message, "👍").assert_status(200);
    let edited = app().edit_message(&room.id, &room.member, &message, "second draft");
    edited.assert_status(200);
    assert_eq!(edited.body["reactions"], json!([{ "key": "👍", "count": 2, "me": true }]));
    app().delete_message(&room.id, &room.admin, &message).assert_status(204);
    assert_eq!(reactions_seen(&room.id, Some(&room.admin), &message), json!([]));
    react(&room.id, &room.admin, &message, "👍").assert_error(400);
    let who = app().get(&reaction_path(&room.id, &message, "👍")).send();
    who.assert_ok(200, json!({ "users": [], "index": 0, "user_count": 0 }));
}
