//! Reads near the reader (D1's Sessions API): every answer that reached D1 says where in the
//! database's history it was (`X-D1-Bookmark`); sent back, it makes a read a replica may serve
//! at least that recent, so a client reads its own writes. What decides an access (a key's
//! guard, a member's standing) and every write stay on the primary, whatever bookmark comes.
//! Under `wrangler dev` there is one copy of the database: these tests hold the round trip,
//! the refusals and which reads take a bookmark, not a replica's lag.

use serde_json::json;

use crate::helpers::{app, random_id, User, PASSWORD};

const BOOKMARK: &str = "X-D1-Bookmark";

#[test]
fn an_answer_carries_its_bookmark_and_a_read_sent_it_back_sees_the_write() {
    let ann = app().sign_up("ann");
    let room = app().create_named_room(&ann, "before", true);
    let read = app().get(&format!("/room/{room}")).send();
    read.assert_status(200);
    let first = read.header(BOOKMARK).unwrap_or_else(|| panic!("no bookmark: {:?}", read.headers)).to_owned();

    let renamed = app().patch(&format!("/room/{room}")).bearer(&ann.key).json(json!({ "name": "after" }));
    renamed.assert_status(200);
    let written = renamed.header(BOOKMARK).expect("a write's answer has its bookmark").to_owned();
    assert!(written >= first, "{written} is older than {first}");

    // A viewer's read (a replica may serve it) with the write's bookmark sees the write.
    let seen = app().get(&format!("/room/{room}")).header(BOOKMARK, &written).send();
    seen.assert_status(200);
    assert_eq!(seen.body["name"], json!("after"));
    let later = seen.header(BOOKMARK).expect("the read's own bookmark");
    assert!(later >= written.as_str(), "{later} is older than {written}");
}

#[test]
fn the_reads_a_replica_may_serve_take_a_bookmark() {
    let handle = format!("ann-{}", &random_id()[..8]);
    let ann = app().sign_up_with(json!({ "username": "ann", "password": PASSWORD, "handle": handle }));
    ann.assert_status(202);
    let id = ann.str("user_id");
    let room = app().create_room(&User { id: id.clone(), key: ann.str("key") }, true);
    let bookmark = app().get(&format!("/user/{id}")).send().header(BOOKMARK).expect("a profile's bookmark").to_owned();
    for path in [
        "/rooms".to_owned(),
        format!("/user/{id}"),
        format!("/handle/{handle}"),
        format!("/room/{room}"),
        format!("/room/{room}/owner"),
        format!("/room/{room}/members"),
        format!("/room/{room}/members/{id}"),
        format!("/room/{room}/admins"),
        format!("/room/{room}/messages"),
    ] {
        let answer = app().get(&path).header(BOOKMARK, &bookmark).send();
        answer.assert_status(200);
        assert!(answer.header(BOOKMARK).is_some_and(|next| next >= bookmark.as_str()), "{path}: {:?}", answer.headers);
    }
}

#[test]
fn a_malformed_bookmark_is_a_400_and_the_next_request_is_served() {
    let long = "0".repeat(129);
    for bad in ["first-primary", "first-unconstrained", "00--01", "-0a", "zz", "0x10", long.as_str()] {
        let refused = app().get("/rooms").header(BOOKMARK, bad).send();
        refused.assert_error(400);
        assert!(refused.body["error"].as_str().is_some_and(|text| text.contains("X-D1-Bookmark")), "{}", refused.text);
    }
    app().get("/rooms").send().assert_status(200);
}

#[test]
fn a_bookmark_from_before_never_brings_back_a_revoked_key_or_a_lost_membership() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = app().create_room(&ann, false);
    app().post(&format!("/room/{room}/invites")).bearer(&ann.key).json(json!({ "user_id": bob.id })).assert_status(200);
    app().post(&format!("/room/{room}/members")).bearer(&bob.key).json(json!({})).assert_status(200);
    let before = app().get(&format!("/room/{room}")).bearer(&bob.key).send();
    before.assert_status(200);
    let old = before.header(BOOKMARK).expect("a bookmark").to_owned();

    // Bob is removed: his reads of the closed room, with the bookmark from before, are refused.
    app().remove_member(&room, &ann, &bob.id).assert_status(200);
    app().get(&format!("/room/{room}")).bearer(&bob.key).header(BOOKMARK, &old).send().assert_error(404);
    app().get(&format!("/room/{room}/members")).bearer(&bob.key).header(BOOKMARK, &old).send().assert_error(404);

    // Bob logs out: his key, with the bookmark from before, is dead.
    let out = app().delete("/token").bearer(&bob.key).json(json!({ "user_id": bob.id }));
    assert_eq!(out.status, 204, "{}", out.text);
    app().get(&format!("/user/{}/rooms", bob.id)).bearer(&bob.key).header(BOOKMARK, &old).send().assert_error(401);
}
