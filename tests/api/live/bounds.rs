//! Bounded work: edits meet a ceiling as posts do, a change that changes nothing is no event,
//! one user's sockets share one flood and typing limit and are at most ten in a room, a long
//! resume is replayed in pages without losing or doubling an event while the room goes on,
//! and a room's object is never made, or brought back, by a ticket.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::json;

use crate::helpers::{app, TestApp, User};
use crate::live::helpers::{ticket, Incoming, Live, Way, PATIENCE, POLICY};
use crate::live::posted;

#[test]
fn edits_past_the_ceiling_are_429_with_retry_after_and_reach_nobody() {
    let app = TestApp::spawn(&[("EDITS_PER_MINUTE", "5")]);
    let author = app.sign_up("author");
    let room = app.create_room(&author, true);
    let mut watcher = Live::bearer(&app, &room, &author);
    let message = posted(&app, &room, &author, "first")["message_id"].as_str().unwrap().to_owned();
    watcher.next_of("message");
    for round in 0..5 {
        let edited = app.edit_message(&room, &author, &message, &format!("edit {round}"));
        edited.assert_status(200);
        assert_eq!(watcher.next_of("message_edited")["message"]["text"], format!("edit {round}"));
    }
    let refused = app.edit_message(&room, &author, &message, "one too many");
    refused.assert_error(429);
    let retry_after: u64 = refused.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&retry_after), "Retry-After {retry_after}");
    watcher.assert_quiet();
    // Posts have their own ceiling.
    assert_eq!(app.post_message(&room, &author, "a post is not an edit").status, 201);
}

#[test]
fn a_patch_that_changes_nothing_is_no_event() {
    let owner = app().sign_up("owner");
    let room = app().create_named_room(&owner, "same", true);
    let mut watcher = Live::bearer(app(), &room, &owner);
    let same = app().update_room(&room, &owner, json!({ "name": "same", "open": true }));
    same.assert_status(200);
    assert_eq!(same.body["name"], "same");
    watcher.assert_quiet();
    let renamed = app().update_room(&room, &owner, json!({ "name": "other" }));
    renamed.assert_status(200);
    assert_eq!(watcher.next_of("room_updated")["room"]["name"], "other");
}

#[test]
fn an_eleventh_socket_of_a_user_closes_their_oldest_with_1008() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let mut sockets: Vec<Live> = (0..10).map(|_| Live::bearer(app(), &room, &owner)).collect();
    for socket in &mut sockets {
        socket.assert_quiet();
    }
    let _eleventh = Live::bearer(app(), &room, &owner);
    let reason = sockets[0].expect_close(POLICY);
    assert!(reason.contains("too many sockets"), "{reason}");
    for socket in &mut sockets[1..] {
        socket.assert_quiet();
    }
}

#[test]
fn typing_is_limited_per_user_not_per_socket() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let member = app().sign_up("member");
    app().join(&room, &member);
    let mut watcher = Live::bearer(app(), &room, &owner);
    let mut first = Live::bearer(app(), &room, &member);
    let mut second = Live::bearer(app(), &room, &member);
    first.send(json!({ "type": "typing" }));
    assert_eq!(watcher.next_of("typing")["user_id"], member.id);
    // The user's other socket is told too (another device).
    assert_eq!(second.next_of("typing")["user_id"], member.id);
    second.send(json!({ "type": "typing" }));
    let refused = second.next_of("error");
    assert!(refused["error"].as_str().unwrap().contains("typing too often"), "{refused}");
    watcher.assert_quiet();
    first.assert_quiet();
}

#[test]
fn the_flood_limit_counts_a_users_frames_on_all_their_sockets_together() {
    let owner = app().sign_up("owner");
    let room = app().create_room(&owner, true);
    let mut first = Live::bearer(app(), &room, &owner);
    let mut second = Live::bearer(app(), &room, &owner);
    // Thirty frames, fifteen on each socket, are each answered (an unknown type is an error).
    for _ in 0..15 {
        for socket in [&mut first, &mut second] {
            socket.send(json!({ "type": "shout" }));
            assert_eq!(socket.next_of("error")["type"], "error");
        }
    }
    // The 31st in ten seconds, on either socket, closes that one.
    second.send(json!({ "type": "shout" }));
    second.expect_close(POLICY);
}

/// The sqlite files of the room objects' storage in the instance's state.
fn room_storage_files(app: &TestApp) -> BTreeSet<PathBuf> {
    let dir = app.state.join("v3/do/chatrooms-LiveRoom");
    std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().path())
                .filter(|path| path.extension().is_some_and(|extension| extension == "sqlite"))
                .filter(|path| !path.ends_with("metadata.sqlite"))
                .collect()
        })
        .unwrap_or_default()
}

fn tables(file: &Path) -> BTreeSet<String> {
    let db = rusqlite::Connection::open_with_flags(file, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY).unwrap();
    let mut statement =
        // But the local runtime's own (`__miniflare_do_name`, `_cf_...`).
        db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '\\_%' ESCAPE '\\'").unwrap();
    statement.query_map([], |row| row.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn a_made_up_ticket_for_a_room_that_does_not_exist_is_404_and_makes_no_storage() {
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    let _live = Live::bearer(&app, &room, &owner);
    let before = room_storage_files(&app);
    assert_eq!(before.len(), 1, "{before:?}");
    for _ in 0..3 {
        let nowhere = crate::helpers::random_id();
        let refused = Live::try_connect(&app, &nowhere, Way::Ticket(&"ab".repeat(32)), None);
        refused.err().expect("upgraded").assert_error(404);
    }
    // The local runtime files every object it starts, under its name; the room's storage is
    // its tables, and none was made.
    for made in room_storage_files(&app).difference(&before) {
        assert_eq!(tables(made), BTreeSet::new(), "a made-up ticket made a room's storage");
    }
}

#[test]
fn a_deleted_rooms_object_keeps_only_that_it_is_gone_and_a_ticket_taken_before_is_404() {
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, false);
    let before = room_storage_files(&app);
    let kept = ticket(&app, &room, &owner);
    posted(&app, &room, &owner, "to be wiped");
    let made: Vec<PathBuf> = room_storage_files(&app).difference(&before).cloned().collect();
    assert_eq!(made.len(), 1, "{made:?}");
    assert!(tables(&made[0]).contains("messages"));
    let deleted = app.delete_room(&room, &owner);
    deleted.assert_status(204);
    let refused = Live::try_connect(&app, &room, Way::Ticket(&kept), None);
    refused.err().expect("a deleted room's socket opened").assert_error(404);
    let deadline = std::time::Instant::now() + PATIENCE;
    while tables(&made[0]) != BTreeSet::from(["gone".to_owned()]) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    assert_eq!(tables(&made[0]), BTreeSet::from(["gone".to_owned()]));
}

/// Posts `count` messages over HTTP, four at a time.
fn post_many(app: &TestApp, room: &str, author: &User, count: usize) {
    std::thread::scope(|scope| {
        for thread in 0..4 {
            scope.spawn(move || {
                for n in (thread..count).step_by(4) {
                    assert_eq!(app.post_message(room, author, &format!("message {n}")).status, 201);
                }
            });
        }
    });
}

#[test]
fn a_resume_over_many_pages_while_others_post_gets_every_event_once_in_order() {
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let room = app.create_room(&owner, true);
    post_many(&app, &room, &owner, 1_200);
    std::thread::scope(|scope| {
        let posting = scope.spawn(|| post_many(&app, &room, &owner, 100));
        // `Live` checks that every event carries the seq after the one before.
        let mut resumed = Live::connect(&app, &room, Way::Bearer(&owner.key), Some("0"));
        let mut replayed = 0;
        loop {
            match resumed.read_within(PATIENCE) {
                Some(Incoming::Frame(frame)) if frame["type"] == "message" => replayed += 1,
                Some(Incoming::Frame(frame)) if frame["type"] == "ready" => {
                    assert_eq!(frame["seq"], resumed.seq(), "{frame}");
                    break;
                }
                Some(Incoming::Frame(frame)) if frame["type"] == "presence" => {}
                other => panic!("during the replay: {other:?}"),
            }
        }
        assert!(replayed >= 1_200, "{replayed} replayed");
        posting.join().unwrap();
        // What was posted after `ready` comes live, still one after the other.
        while resumed.seq() < 1_300 {
            resumed.next_of("message");
        }
        resumed.assert_quiet();
    });
}
