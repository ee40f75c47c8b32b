//! `PATCH` and `DELETE /room/{id}/messages/{message_id}`: who may edit and delete, what history
//! shows afterwards; and a deleted room's history gone, from HTTP and from the object's storage.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use crate::helpers::{app, Staffed, TestApp, NOBODY, UNKNOWN_ID};
use crate::live::helpers::{Live, Way, PATIENCE};
use crate::live::{history, posted};

fn id(message: &Value) -> &str {
    message["message_id"].as_str().unwrap()
}

#[test]
fn editing_ones_own_message_answers_200_with_edited_at_and_history_shows_it() {
    let room = Staffed::new(true);
    let message = posted(app(), &room.id, &room.member, "helo");
    let edited = app().edit_message(&room.id, &room.member, id(&message), "hello");
    edited.assert_status(200);
    let edited_at = edited.str("edited_at");
    assert!(edited_at.ends_with('Z') && edited_at.as_str() >= message["sent_at"].as_str().unwrap(), "{edited_at}");
    let mut expected = message.clone();
    expected["text"] = json!("hello");
    expected["edited_at"] = json!(edited_at);
    assert_eq!(edited.body, expected, "the same message, seq and sent_at kept");
    assert_eq!(history(app(), &room.id, &room.owner), [expected]);
}

#[test]
fn editing_someone_elses_message_is_403_even_for_the_owner() {
    let room = Staffed::new(true);
    let message = posted(app(), &room.id, &room.member, "mine");
    for other in [&room.owner, &room.admin] {
        app().edit_message(&room.id, other, id(&message), "theirs now").assert_error(403);
    }
    assert_eq!(history(app(), &room.id, &room.owner), [message]);
}

#[test]
fn an_author_who_left_may_not_edit_or_delete_their_message() {
    let room = Staffed::new(true);
    let message = posted(app(), &room.id, &room.member, "before I go");
    assert_eq!(app().remove_member(&room.id, &room.member, &room.member.id).status, 200);
    app().edit_message(&room.id, &room.member, id(&message), "from outside").assert_error(403);
    app().delete_message(&room.id, &room.member, id(&message)).assert_error(403);
    assert_eq!(history(app(), &room.id, &room.owner), [message]);
}

#[test]
fn editing_a_message_with_text_the_post_route_refuses_is_400() {
    let room = Staffed::new(true);
    let message = posted(app(), &room.id, &room.member, "fine");
    for text in [String::new(), "x".repeat(4001)] {
        app().edit_message(&room.id, &room.member, id(&message), &text).assert_error(400);
    }
}

#[test]
fn editing_an_unknown_or_deleted_message_is_404() {
    let room = Staffed::new(true);
    app().edit_message(&room.id, &room.member, UNKNOWN_ID, "anyone?").assert_error(404);
    let message = posted(app(), &room.id, &room.member, "soon gone");
    assert_eq!(app().delete_message(&room.id, &room.member, id(&message)).status, 204);
    app().edit_message(&room.id, &room.member, id(&message), "back?").assert_error(404);
    let elsewhere = app().create_room(&room.member, true);
    app()
        .edit_message(&elsewhere, &room.member, id(&posted(app(), &room.id, &room.member, "here")), "x")
        .assert_error(404);
}

#[test]
fn deleting_ones_own_message_answers_204_and_history_shows_it_deleted() {
    let room = Staffed::new(true);
    let kept = posted(app(), &room.id, &room.member, "kept");
    let gone = posted(app(), &room.id, &room.member, "gone");
    let deleted = app().delete_message(&room.id, &room.member, id(&gone));
    deleted.assert_status(204);
    let tombstone = json!({ "message_id": gone["message_id"], "seq": gone["seq"], "deleted": true, "reactions": [], "in_thread": null, "thread": null, "files": [] });
    assert_eq!(history(app(), &room.id, &room.owner), [kept.clone(), tombstone.clone()]);
    assert_eq!(history(app(), &room.id, &room.member), [kept, tombstone], "the same for everyone");
}

#[test]
fn an_admin_or_the_owner_deletes_anyones_message_with_204() {
    let room = Staffed::new(true);
    for by in [&room.admin, &room.owner] {
        let message = posted(app(), &room.id, &room.member, "out of line");
        assert_eq!(app().delete_message(&room.id, by, id(&message)).status, 204);
    }
    assert!(history(app(), &room.id, &room.member).iter().all(|message| message["deleted"] == true));
}

#[test]
fn a_member_may_not_delete_someone_elses_message() {
    let room = Staffed::new(true);
    let message = posted(app(), &room.id, &room.admin, "the admin's");
    app().delete_message(&room.id, &room.member, id(&message)).assert_error(403);
    let passer_by = app().sign_up("passer-by");
    app().delete_message(&room.id, &passer_by, id(&message)).assert_error(403);
    assert_eq!(history(app(), &room.id, &room.owner), [message]);
}

#[test]
fn deleting_an_unknown_or_already_deleted_message_is_404() {
    let room = Staffed::new(true);
    app().delete_message(&room.id, &room.owner, UNKNOWN_ID).assert_error(404);
    let message = posted(app(), &room.id, &room.member, "once");
    assert_eq!(app().delete_message(&room.id, &room.member, id(&message)).status, 204);
    app().delete_message(&room.id, &room.member, id(&message)).assert_error(404);
    app().delete_message(&room.id, &room.owner, id(&message)).assert_error(404);
}

#[test]
fn a_deleted_message_counts_toward_limit_and_is_a_cursor() {
    let room = Staffed::new(true);
    let messages: Vec<Value> = (0..3).map(|n| posted(app(), &room.id, &room.member, &format!("m{n}"))).collect();
    assert_eq!(app().delete_message(&room.id, &room.member, id(&messages[1])).status, 204);
    let page = app().messages(&room.id, NOBODY, &[("limit", "2")]);
    page.assert_status(200);
    assert_eq!(page.body["messages"][1]["deleted"], true, "{}", page.text);
    let before = app().messages(&room.id, NOBODY, &[("before", id(&messages[1]))]);
    assert_eq!(before.body["messages"], json!([messages[0]]), "{}", before.text);
    let after = app().messages(&room.id, NOBODY, &[("after", id(&messages[1]))]);
    assert_eq!(after.body["messages"], json!([messages[2]]), "{}", after.text);
}

/// Whether any file of the instance's Durable Object storage holds `needle`.
fn stored(app: &TestApp, needle: &str) -> bool {
    fn holds(dir: &Path, needle: &[u8]) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else { return false };
        entries.flatten().any(|entry| {
            let path = entry.path();
            if path.is_dir() {
                holds(&path, needle)
            } else {
                std::fs::read(&path).is_ok_and(|bytes| bytes.windows(needle.len()).any(|window| window == needle))
            }
        })
    }
    holds(&app.state.join("v3").join("do"), needle.as_bytes())
}

/// Until `stored` answers `expected`, at most `PATIENCE`.
fn eventually_stored(app: &TestApp, needle: &str, expected: bool) -> bool {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = stored(app, needle);
        if now == expected || Instant::now() > deadline {
            return now;
        }
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[test]
fn deleting_a_room_wipes_its_history_from_http_and_from_the_objects_storage() {
    let room = Staffed::new(true);
    let secret = format!("remember {}", room.id);
    posted(app(), &room.id, &room.member, &secret);
    assert!(eventually_stored(app(), &secret, true), "the message is not in the objects' storage to begin with");

    assert_eq!(app().delete_room(&room.id, &room.owner).status, 204);

    app().messages(&room.id, &room.owner, &[]).assert_error(404);
    Live::try_connect(app(), &room.id, Way::Bearer(&room.owner.key), Some("0"))
        .err()
        .expect("a deleted room replays")
        .assert_error(404);
    assert!(!eventually_stored(app(), &secret, false), "the deleted room's message is still stored");
}
