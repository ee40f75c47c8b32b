//! Resuming with `?after=`: every event after it, in order, then `ready`; nothing missed and
//! nothing twice; `reset` when the room cannot replay from there.

use serde_json::{json, Value};

use crate::helpers::{app, Staffed};
use crate::live::helpers::{Live, Way};
use crate::live::posted;

fn types(frames: &[Value]) -> Vec<&str> {
    frames.iter().map(|frame| frame["type"].as_str().unwrap()).collect()
}

#[test]
fn a_client_that_resumes_from_its_last_seq_misses_nothing_and_gets_nothing_twice() {
    let room = Staffed::new(true);
    let mut watcher = Live::bearer(app(), &room.id, &room.owner);
    let mut member = Live::bearer(app(), &room.id, &room.member);
    let one = posted(app(), &room.id, &room.owner, "one");
    member.next_of("message");
    watcher.next_of("message");
    let last = member.seq();
    member.close();

    // While the member is away: a post over HTTP, one over a socket, an edit, a join, a promotion.
    posted(app(), &room.id, &room.owner, "two");
    let mut admin = Live::bearer(app(), &room.id, &room.admin);
    admin.post("three", "three");
    while admin.next()["type"] != "sent" {}
    let edited = app().edit_message(&room.id, &room.owner, one["message_id"].as_str().unwrap(), "one, edited");
    edited.assert_status(200);
    let newcomer = app().sign_up("newcomer");
    app().join(&room.id, &newcomer);
    assert_eq!(app().promote(&room.id, &room.owner, &newcomer.id).status, 200);
    let missed: Vec<Value> = (0..5).map(|_| watcher.next()).collect();
    assert_eq!(types(&missed), ["message", "message", "message_edited", "member_joined", "admin_added"]);

    let (mut member, replayed) = Live::resume(app(), &room.id, Way::Bearer(&room.member.key), last);
    assert_eq!(replayed, missed, "the same events, in the same order, with the same seqs");
    let four = posted(app(), &room.id, &room.owner, "four");
    assert_eq!(member.next_of("message")["message"], four);
    member.assert_quiet();
}

#[test]
fn a_replayed_message_shows_it_as_it_is_now() {
    let room = Staffed::new(true);
    let start = Live::bearer(app(), &room.id, &room.owner).seq();
    let one = posted(app(), &room.id, &room.member, "one");
    let two = posted(app(), &room.id, &room.member, "two");
    let edited = app().edit_message(&room.id, &room.member, one["message_id"].as_str().unwrap(), "one, edited");
    edited.assert_status(200);
    assert_eq!(app().delete_message(&room.id, &room.member, two["message_id"].as_str().unwrap()).status, 204);

    let (_, replayed) = Live::resume(app(), &room.id, Way::Viewer, start);
    let deleted = json!({ "message_id": two["message_id"], "seq": two["seq"], "deleted": true, "reactions": [], "in_thread": null, "thread": null, "files": [] });
    assert_eq!(
        replayed,
        [
            json!({ "type": "message", "seq": start + 1, "message": edited.body }),
            json!({ "type": "message", "seq": start + 2, "message": deleted }),
            json!({ "type": "message_edited", "seq": start + 3, "message": edited.body }),
            json!({ "type": "message_deleted", "seq": start + 4, "message_id": two["message_id"] }),
        ]
    );
}

#[test]
fn resuming_from_0_replays_the_rooms_whole_history_in_order() {
    let room = Staffed::new(false);
    let message = posted(app(), &room.id, &room.member, "hello");
    let (_, replayed) = Live::resume(app(), &room.id, Way::Bearer(&room.member.key), 0);
    assert_eq!(
        replayed,
        [
            json!({ "type": "member_invited", "seq": 1, "user_id": room.admin.id, "by": room.owner.id }),
            json!({ "type": "member_joined", "seq": 2, "user_id": room.admin.id }),
            json!({ "type": "member_invited", "seq": 3, "user_id": room.member.id, "by": room.owner.id }),
            json!({ "type": "member_joined", "seq": 4, "user_id": room.member.id }),
            json!({ "type": "admin_added", "seq": 5, "user_id": room.admin.id }),
            json!({ "type": "message", "seq": 6, "message": message }),
        ]
    );
}

#[test]
fn resuming_at_the_latest_seq_replays_nothing() {
    let room = Staffed::new(true);
    let latest = posted(app(), &room.id, &room.member, "the latest")["seq"].as_i64().unwrap();
    let (mut socket, replayed) = Live::resume(app(), &room.id, Way::Viewer, latest);
    assert_eq!(replayed, Vec::<Value>::new());
    let next = posted(app(), &room.id, &room.member, "the next");
    assert_eq!(socket.next_of("message")["message"], next);
}

#[test]
fn resuming_after_a_seq_beyond_the_latest_sends_reset_then_ready() {
    let room = Staffed::new(true);
    let latest = posted(app(), &room.id, &room.member, "the latest")["seq"].as_i64().unwrap();
    let (mut socket, before_ready) = Live::resume(app(), &room.id, Way::Bearer(&room.owner.key), latest + 100);
    assert_eq!(before_ready, [json!({ "type": "reset", "seq": latest })]);
    assert_eq!(socket.hello["seq"], latest);
    let next = posted(app(), &room.id, &room.member, "the next");
    assert_eq!(socket.next_of("message")["message"], next, "live from the room's latest on");
}
