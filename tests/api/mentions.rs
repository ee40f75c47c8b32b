//! Mentions: a post (HTTP or socket) may mention present members by id and, from an admin, the
//! whole room; messages carry them everywhere; `hello.you` and the rooms list count the unread
//! ones (not by anyone one blocked); `GET /user/{id}/mentions` lists them across one's rooms.

use serde_json::{json, Value};

use crate::helpers::{app, eventually, Resp, Staffed, User, NOBODY};
use crate::live::helpers::Live;

fn post(room: &str, by: &User, text: &str, mentions: &[&str], mention_room: bool) -> Resp {
    let body = json!({ "text": text, "mentions": mentions, "mention_room": mention_room });
    app().post(&format!("/room/{room}/messages")).by(by).json(body)
}

fn mentions_of(user: &User, params: &[(&str, &str)]) -> Resp {
    app().get(&format!("/user/{}/mentions", user.id)).by(user).queries(params).send()
}

/// The texts of the user's mentions, newest first.
fn listed(user: &User) -> Vec<String> {
    let listed = mentions_of(user, &[]);
    listed.assert_status(200);
    listed.body["mentions"].as_array().unwrap().iter().map(|m| m["message"]["text"].as_str().unwrap().into()).collect()
}

/// `hello.you`'s unread mentions, for a new socket of `user`.
fn hello_mentions(room: &str, user: &User) -> Value {
    Live::bearer(app(), room, user).hello["you"]["mentions"].clone()
}

#[test]
fn a_post_mentions_present_members_and_an_admin_the_whole_room() {
    let room = Staffed::new(true);
    let (member, admin) = (room.member.id.as_str(), room.admin.id.as_str());
    let posted = post(&room.id, &room.owner, "hi both", &[member, admin, member], false);
    posted.assert_status(201);
    assert_eq!((&posted.body["mentions"], &posted.body["mention_room"]), (&json!([member, admin]), &json!(false)));
    let plain = app().post_message(&room.id, &room.member, "no one");
    assert_eq!((&plain.body["mentions"], &plain.body["mention_room"]), (&json!([]), &json!(false)));
    // The history and the events carry them as the answer did.
    let page = app().messages(&room.id, &room.owner, &[]);
    assert_eq!(page.body["messages"][1], posted.body);

    let stranger = app().sign_up("stranger");
    post(&room.id, &room.owner, "x", &[stranger.id.as_str()], false).assert_error(400);
    post(&room.id, &room.owner, "x", &["not-an-id"], false).assert_error(400);
    let many: Vec<String> = (0..21).map(|n| format!("00000000-0000-4000-8000-{n:012}")).collect();
    post(&room.id, &room.owner, "x", &many.iter().map(String::as_str).collect::<Vec<_>>(), false).assert_error(400);
    let body = json!({ "text": "x", "mentions": member });
    app().post(&format!("/room/{}/messages", room.id)).by(&room.owner).json(body).assert_error(400);
    post(&room.id, &room.member, "everyone!", &[], true).assert_error(403);
    let everyone = post(&room.id, &room.admin, "everyone!", &[], true);
    everyone.assert_status(201);
    assert_eq!(everyone.body["mention_room"], true);
    // A form's list is comma-separated.
    let form = app()
        .post(&format!("/room/{}/messages", room.id))
        .by(&room.owner)
        .form(&[("text", "by form"), ("mentions", &format!("{member},{admin}"))]);
    form.assert_status(201);
    assert_eq!(form.body["mentions"], json!([member, admin]));
}

#[test]
fn a_sockets_send_mentions_as_a_post_does_and_is_refused_as_one() {
    let room = Staffed::new(true);
    let stranger = app().sign_up("stranger");
    let mut socket = Live::bearer(app(), &room.id, &room.member);
    socket.send(json!({ "type": "send", "txn_id": "t1", "text": "hey", "mentions": [room.owner.id] }));
    assert_eq!(socket.next_of("message")["message"]["mentions"], json!([room.owner.id]));
    assert_eq!(socket.next_of("sent")["message"]["mentions"], json!([room.owner.id]));
    socket.send(json!({ "type": "send", "txn_id": "t2", "text": "hey", "mentions": [stranger.id] }));
    let refused = socket.next_of("error");
    assert_eq!(
        (&refused["txn_id"], &refused["error"]),
        (&json!("t2"), &json!("mentions must be present members of the room"))
    );
    socket.send(json!({ "type": "send", "txn_id": "t3", "text": "all!", "mention_room": true }));
    assert_eq!(socket.next_of("error")["txn_id"], "t3");
    socket.send(json!({ "type": "send", "txn_id": "t4", "text": "x", "mentions": "nobody" }));
    assert_eq!(socket.next_of("error")["txn_id"], "t4");
    // The socket still serves.
    socket.send(json!({ "type": "send", "txn_id": "t5", "text": "after" }));
    socket.next_of("message");
    assert_eq!(socket.next_of("sent")["message"]["mention_room"], false);
    let mut admin = Live::bearer(app(), &room.id, &room.admin);
    admin.send(json!({ "type": "send", "txn_id": "a1", "text": "all!", "mention_room": true }));
    admin.next_of("message");
    assert_eq!(admin.next_of("sent")["message"]["mention_room"], true);
    assert_eq!(socket.next_of("message")["message"]["mention_room"], true);
}

#[test]
fn unread_mentions_count_in_hello_and_the_rooms_list_but_not_a_blocked_authors() {
    let room = Staffed::new(true);
    let ann = app().sign_up("ann");
    app().join(&room.id, &ann);
    app().block(&ann, &room.member.id, true).assert_status(200);
    post(&room.id, &room.owner, "ann?", &[ann.id.as_str()], false).assert_status(201);
    post(&room.id, &room.member, "ann!", &[ann.id.as_str()], false).assert_status(201);
    let everyone = post(&room.id, &room.admin, "everyone", &[], true);
    post(&room.id, &room.admin, "not her", &[room.owner.id.as_str()], false).assert_status(201);
    assert_eq!(hello_mentions(&room.id, &ann), 2, "the owner's and the room's; not the blocked member's");
    let row = || {
        let rows = app().rooms_of(&ann.id, &ann, &[]).body["rooms"].clone();
        rows.as_array().unwrap().iter().find(|row| row["room_id"] == room.id.as_str()).cloned().unwrap()
    };
    // The room tells D1 its counts in batches: the four posts may take two.
    assert!(
        eventually(|| row()["mentions"] == 2 && row()["unread"] == 4),
        "the rooms list never showed them: {}",
        row()
    );
    // Read past them: none left; the room's mention of the owner is his, not hers.
    let seq = everyone.body["seq"].as_i64().unwrap();
    app().put(&format!("/room/{}/read", room.id)).by(&ann).json(json!({ "seq": seq })).assert_status(200);
    assert_eq!(hello_mentions(&room.id, &ann), 0);
    assert!(eventually(|| row()["mentions"] == 0 && row()["unread"] == 1), "{}", row());
    // Unblocking counts the blocked member's again, as any.
    app().block(&ann, &room.member.id, false).assert_status(200);
    post(&room.id, &room.member, "again", &[ann.id.as_str()], false).assert_status(201);
    assert_eq!(hello_mentions(&room.id, &ann), 1);
}

#[test]
fn ones_mentions_are_listed_across_rooms_newest_first_as_they_are_now() {
    let (first, second) = (Staffed::new(true), Staffed::new(false));
    let ann = app().sign_up("ann");
    app().join(&first.id, &ann);
    app().bring_in(&second.id, &second.admin, &ann);
    let one = post(&first.id, &first.owner, "one", &[ann.id.as_str()], false);
    post(&first.id, &first.owner, "not hers", &[first.member.id.as_str()], false).assert_status(201);
    let two = post(&second.id, &second.admin, "two", &[], true);
    let three = post(&first.id, &first.member, "three", &[ann.id.as_str()], false);
    post(&first.id, &ann, "her own", &[ann.id.as_str()], false).assert_status(201);
    assert!(eventually(|| listed(&ann) == ["three", "two", "one"]), "listed: {:?}", listed(&ann));
    let page = mentions_of(&ann, &[]);
    assert_eq!(page.body["mentions"][1], json!({ "room_id": second.id, "message": two.body }));
    assert_eq!(page.body["next"], Value::Null);

    // Paged, newest first.
    let first_page = mentions_of(&ann, &[("limit", "2")]);
    assert_eq!(first_page.body["next"], two.body["message_id"]);
    let rest = mentions_of(&ann, &[("limit", "2"), ("before", first_page.body["next"].as_str().unwrap())]);
    assert_eq!(rest.body, json!({ "mentions": [{ "room_id": first.id, "message": one.body }], "next": null }));

    // As they are now: edited, the new text; deleted, gone; a blocked author's, hidden.
    let three_id = three.str("message_id");
    app().edit_message(&first.id, &first.member, &three_id, "three, edited").assert_status(200);
    assert!(eventually(|| listed(&ann) == ["three, edited", "two", "one"]), "{:?}", listed(&ann));
    app().delete_message(&first.id, &first.owner, &one.str("message_id")).assert_status(204);
    assert!(eventually(|| listed(&ann) == ["three, edited", "two"]), "{:?}", listed(&ann));
    app().block(&ann, &first.member.id, true).assert_status(200);
    assert_eq!(listed(&ann), ["two"]);
    // Leaving a room takes its mentions off the list.
    app().remove_member(&second.id, &ann, &ann.id).assert_status(200);
    assert_eq!(listed(&ann), Vec::<String>::new());

    // Only one's own, with a key; a cursor that is not one of one's mentions is 404.
    app().get(&format!("/user/{}/mentions", ann.id)).by(&first.owner).send().assert_error(403);
    app().get(&format!("/user/{}/mentions", ann.id)).by(NOBODY).send().assert_error(401);
    mentions_of(&ann, &[("before", &first.member.id)]).assert_error(404);
    mentions_of(&ann, &[("before", "nope")]).assert_error(400);
    mentions_of(&ann, &[("limit", "501")]).assert_error(400);
    mentions_of(&ann, &[]).assert_status(200);
}

#[test]
fn a_mention_lists_the_files_its_message_carries() {
    let room = Staffed::new(true);
    let member = room.member.id.as_str();
    let path = format!("/room/{}/files", room.id);
    let uploaded = app().post(&path).query("name", "plan.txt").by(&room.owner).raw("text/plain", b"the plan");
    uploaded.assert_status(201);
    let file_id = uploaded.str("file_id");
    let body = json!({ "text": "see the plan", "mentions": [member], "files": [file_id] });
    app().post(&format!("/room/{}/messages", room.id)).by(&room.owner).json(body).assert_status(201);
    // The room's flush writes the mention to D1 a moment after the post.
    assert!(eventually(|| listed(&room.member).contains(&"see the plan".to_owned())), "never listed");
    let listed = mentions_of(&room.member, &[]);
    let files = &listed.body["mentions"][0]["message"]["files"];
    assert_eq!(
        files,
        &json!([{ "file_id": file_id, "name": "plan.txt", "type": "text/plain", "size": 8 }]),
        "{}",
        listed.text
    );
}
