//! `POST` and `GET /room/{id}/messages`: who may post and read, what a message may hold, and
//! a history read back in exact order, page by page, without gaps or repeats.

use std::collections::{HashMap, HashSet};
use std::sync::Barrier;
use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};

use crate::helpers::{app, with_database, Staffed, TestApp, User, NOBODY, UNKNOWN_ID};

/// Posts and returns the message as answered.
fn posted(app: &TestApp, room: &str, user: &User, text: &str) -> Value {
    let response = app.post_message(room, user, text);
    response.assert_status(201);
    response.body
}

/// The page's messages (asserting a 200), and its `next`.
fn page(room: &str, user: Option<&User>, params: &[(&str, &str)]) -> (Vec<Value>, Value) {
    let response = app().messages(room, user, params);
    response.assert_status(200);
    assert_eq!(response.body.as_object().unwrap().len(), 2, "{}", response.text);
    (response.body["messages"].as_array().unwrap().clone(), response.body["next"].clone())
}

fn texts(messages: &[Value]) -> Vec<&str> {
    messages.iter().map(|message| message["text"].as_str().unwrap()).collect()
}

fn id(message: &Value) -> &str {
    message["message_id"].as_str().unwrap()
}

/// An open room where a member posted `count` messages, "message 0" first; returns the room
/// and the messages as answered.
fn room_with_history(count: usize) -> (Staffed, Vec<Value>) {
    let room = Staffed::new(true);
    let messages = (0..count).map(|n| posted(app(), &room.id, &room.member, &format!("message {n}"))).collect();
    (room, messages)
}

fn assert_uuid_v4(text: &str) {
    let bytes = text.as_bytes();
    assert_eq!(bytes.len(), 36, "{text}");
    for (index, byte) in bytes.iter().enumerate() {
        match index {
            8 | 13 | 18 | 23 => assert_eq!(*byte, b'-', "{text}"),
            _ => assert!(byte.is_ascii_digit() || (b'a'..=b'f').contains(byte), "{text}"),
        }
    }
    assert_eq!(bytes[14], b'4', "not a version 4 UUID: {text}");
    assert!(b"89ab".contains(&bytes[19]), "not an RFC 4122 variant: {text}");
}

/// Asserts `2026-11-25T09:30:00.123Z` form, and returns the time in milliseconds.
fn rfc3339_millis(text: &str) -> i64 {
    let bytes = text.as_bytes();
    assert_eq!(bytes.len(), 24, "{text}");
    for (index, byte) in bytes.iter().enumerate() {
        let expected = match index {
            4 | 7 => b'-',
            10 => b'T',
            13 | 16 => b':',
            19 => b'.',
            23 => b'Z',
            _ => {
                assert!(byte.is_ascii_digit(), "{text}");
                continue;
            }
        };
        assert_eq!(*byte, expected, "{text}");
    }
    let field = |range: std::ops::Range<usize>| text[range].parse::<i64>().unwrap();
    let (year, month, day) = (field(0..4), field(5..7), field(8..10));
    assert!((1..=12).contains(&month) && (1..=31).contains(&day), "{text}");
    // Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    let y = if month <= 2 { year - 1 } else { year };
    let era = y.div_euclid(400);
    let year_of_era = y - era * 400;
    let day_of_year = (153 * (if month > 2 { month - 3 } else { month + 9 }) + 2) / 5 + day - 1;
    let day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    let days = era * 146_097 + day_of_era - 719_468;
    ((days * 24 + field(11..13)) * 60 + field(14..16)) * 60_000 + field(17..19) * 1000 + field(20..23)
}

fn now_millis() -> i64 {
    i64::try_from(SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_millis()).unwrap()
}

// Posting.

#[test]
fn a_member_posts_a_message_and_gets_it_back_with_201() {
    let room = Staffed::new(true);
    let before = now_millis();
    let response = app().post_message(&room.id, &room.member, "hello, room");
    response.assert_status(201);
    let message = response.body.as_object().unwrap();
    let mut fields: Vec<&str> = message.keys().map(String::as_str).collect();
    fields.sort_unstable();
    assert_eq!(
        fields,
        [
            "files",
            "in_thread",
            "mention_room",
            "mentions",
            "message_id",
            "reactions",
            "reply_to",
            "sent_at",
            "seq",
            "text",
            "thread",
            "user_id"
        ]
    );
    assert_eq!((&message["mentions"], &message["mention_room"]), (&json!([]), &json!(false)));
    assert_eq!(message["reply_to"], Value::Null);
    assert_eq!(message["files"], json!([]));
    assert_eq!(message["text"], json!("hello, room"));
    assert_eq!(message["user_id"], json!(room.member.id));
    assert_uuid_v4(message["message_id"].as_str().unwrap());
    let sent_at = rfc3339_millis(message["sent_at"].as_str().unwrap());
    assert!((before - 60_000..=now_millis() + 60_000).contains(&sent_at), "{}", response.text);
}

// Replies.

fn reply(room: &str, user: &User, text: &str, reply_to: &str) -> crate::helpers::Resp {
    app().post(&format!("/room/{room}/messages")).by(user).json(json!({ "text": text, "reply_to": reply_to }))
}

#[test]
fn a_reply_shows_the_message_it_replies_to_as_it_is_now() {
    let room = Staffed::new(true);
    let long = "東京で会いましょう. ".repeat(20);
    let parent = posted(app(), &room.id, &room.member, &long);
    let answered = reply(&room.id, &room.admin, "yes!", id(&parent));
    answered.assert_status(201);
    let preview: String = long.chars().take(140).collect();
    let expected = json!({ "message_id": id(&parent), "user_id": room.member.id, "preview": preview });
    assert_eq!(answered.body["reply_to"], expected);
    assert_eq!(preview.chars().count(), 140);
    // History says the same, then follows the parent's edit and its deletion.
    let reply_in = |messages: &[Value]| messages.iter().find(|m| m["text"] == "yes!").unwrap()["reply_to"].clone();
    assert_eq!(reply_in(&page(&room.id, None, &[]).0), expected);
    app().edit_message(&room.id, &room.member, id(&parent), "changed my mind").assert_status(200);
    let edited = json!({ "message_id": id(&parent), "user_id": room.member.id, "preview": "changed my mind" });
    assert_eq!(reply_in(&page(&room.id, None, &[]).0), edited);
    app().delete_message(&room.id, &room.member, id(&parent)).assert_status(204);
    assert_eq!(reply_in(&page(&room.id, None, &[]).0), json!({ "message_id": id(&parent), "deleted": true }));
    // A reply to a reply is a reply to that one.
    let answer = reply(&room.id, &room.member, "and then?", answered.body["message_id"].as_str().unwrap());
    assert_eq!(answer.body["reply_to"]["preview"], "yes!");
}

#[test]
fn a_reply_names_a_message_of_the_room_that_is_not_deleted() {
    let room = Staffed::new(true);
    let other = Staffed::new(true);
    let elsewhere = posted(app(), &other.id, &other.member, "in another room");
    let gone = posted(app(), &room.id, &room.member, "soon gone");
    app().delete_message(&room.id, &room.member, id(&gone)).assert_status(204);
    let refused = |reply_to: &str, status: u16, error: &str| {
        let answer = reply(&room.id, &room.member, "a reply", reply_to);
        answer.assert_status(status);
        assert_eq!(answer.body["error"], error, "{reply_to}");
    };
    refused("not-an-id", 400, "reply_to must be a UUID");
    refused(UNKNOWN_ID, 404, "no such message in this room");
    refused(id(&elsewhere), 404, "no such message in this room");
    refused(id(&gone), 400, "reply_to names a deleted message");
    // Nothing was posted by any of them, and the next post is served.
    let (messages, _) = page(&room.id, None, &[]);
    assert_eq!(messages.len(), 1, "only the deleted one: {messages:?}");
    posted(app(), &room.id, &room.member, "still here");
}

#[test]
fn a_posted_message_reads_back_exactly_as_answered() {
    let room = Staffed::new(false);
    let message = posted(app(), &room.id, &room.admin, "as answered");
    assert_eq!(page(&room.id, Some(&room.member), &[]), (vec![message], Value::Null));
}

#[test]
fn a_message_keeps_line_breaks_tabs_and_any_script_verbatim() {
    let room = Staffed::new(true);
    let text = "line one\nline two\r\n\tindented — 日本語 🦀 Ünïcode '; DROP TABLE messages; -- %_\\\"";
    assert_eq!(posted(app(), &room.id, &room.member, text)["text"], json!(text));
    let form = app().post(&room.path("/messages")).form(&[("key", &room.owner.key), ("text", "from\ta form\n")]);
    form.assert_status(201);
    assert_eq!(texts(&page(&room.id, None, &[]).0), ["from\ta form\n", text]);
}

#[test]
fn a_message_is_1_to_4000_characters() {
    let room = Staffed::new(true);
    let longest = "é".repeat(4000);
    assert_eq!(posted(app(), &room.id, &room.member, &longest)["text"], json!(longest));
    app().post_message(&room.id, &room.member, &"a".repeat(4001)).assert_error(400);
    app().post_message(&room.id, &room.member, &"é".repeat(4001)).assert_error(400);
    app().post_message(&room.id, &room.member, "").assert_error(400);
    app().post(&room.path("/messages")).bearer(&room.member.key).json(json!({})).assert_error(400);
    app().post(&room.path("/messages")).bearer(&room.member.key).json(json!({ "text": 7 })).assert_error(400);
    assert_eq!(texts(&page(&room.id, None, &[]).0), [longest.as_str()]);
}

#[test]
fn other_control_characters_are_refused() {
    let room = Staffed::new(true);
    for text in ["nul \u{0}", "bell \u{7}", "escape \u{1b}[31m", "delete \u{7f}", "c1 \u{85}", "\u{8}"] {
        app().post_message(&room.id, &room.member, text).assert_error(400);
    }
    assert_eq!(page(&room.id, None, &[]), (vec![], Value::Null));
}

#[test]
fn only_present_members_post() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let stranger = app().sign_up("stranger");
    app().post_message(&open.id, &stranger, "let me in").assert_error(403);
    app().remove_member(&open.id, &open.member, &open.member.id).assert_ok(200, json!({ "present": false }));
    app().post_message(&open.id, &open.member, "I left").assert_error(403);
    app().ban(&open.id, &open.owner, &open.admin.id).assert_ok(200, json!({ "banned": true }));
    app().post_message(&open.id, &open.admin, "I was banned").assert_error(403);
    app().post_message(&closed.id, &stranger, "knock knock").assert_error(404);
    app().remove_member(&closed.id, &closed.admin, &closed.member.id).assert_ok(200, json!({ "present": false }));
    app().post_message(&closed.id, &closed.member, "I was removed").assert_error(404);
    assert_eq!(page(&open.id, None, &[]), (vec![], Value::Null));
    assert_eq!(page(&closed.id, Some(&closed.owner), &[]), (vec![], Value::Null));
}

#[test]
fn posting_needs_a_live_key_and_a_real_room() {
    let room = Staffed::new(true);
    app().post_message(&room.id, NOBODY, "anonymous").assert_error(400);
    app().post_message(&room.id, "9f".repeat(32), "forged").assert_error(401);
    app().post_message(UNKNOWN_ID, &room.member, "nowhere").assert_error(404);
    app().post_message("not-a-room", &room.member, "nowhere").assert_error(400);
}

// Reading.

#[test]
fn an_empty_room_has_no_messages_and_no_next() {
    let room = Staffed::new(true);
    app().messages(&room.id, NOBODY, &[]).assert_ok(200, json!({ "messages": [], "next": null }));
}

#[test]
fn messages_are_read_newest_first() {
    let (room, messages) = room_with_history(5);
    let expected: Vec<Value> = messages.into_iter().rev().collect();
    assert_eq!(page(&room.id, None, &[]), (expected, Value::Null));
}

#[test]
fn the_default_page_is_the_newest_50() {
    let (room, messages) = room_with_history(55);
    let (first, next) = page(&room.id, None, &[]);
    assert_eq!(first, messages[5..].iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(next, json!(id(&messages[5])));
    let (rest, next) = page(&room.id, None, &[("before", id(&messages[5]))]);
    assert_eq!(rest, messages[..5].iter().rev().cloned().collect::<Vec<_>>());
    assert_eq!(next, Value::Null);
}

#[test]
fn limits_outside_0_to_500_are_400() {
    let (room, _) = room_with_history(2);
    for limit in ["501", "-1", "x", "1.5", "", "99999999999"] {
        app().messages(&room.id, NOBODY, &[("limit", limit)]).assert_error(400);
    }
    assert_eq!(page(&room.id, None, &[("limit", "0")]).0, Vec::<Value>::new());
    assert_eq!(page(&room.id, None, &[("limit", "500")]).0.len(), 2);
}

#[test]
fn paging_back_with_before_shows_every_message_once_in_reverse_order() {
    let (room, messages) = room_with_history(120);
    let mut seen = Vec::new();
    let mut sizes = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut params = vec![("limit", "25")];
        if let Some(before) = &before {
            params.push(("before", before));
        }
        let (messages, next) = page(&room.id, None, &params);
        sizes.push(messages.len());
        if let Some(last) = messages.last() {
            assert!(next.is_null() || next == json!(id(last)), "next {next} is not the page's oldest");
        }
        seen.extend(messages);
        match next {
            Value::Null => break,
            next => before = Some(next.as_str().unwrap().to_string()),
        }
        assert!(sizes.len() < 10, "paging does not end");
    }
    assert_eq!(sizes, [25, 25, 25, 25, 20]);
    assert_eq!(seen, messages.into_iter().rev().collect::<Vec<_>>());
}

#[test]
fn the_last_page_has_a_null_next_even_when_it_is_full() {
    let (room, messages) = room_with_history(10);
    let (_, next) = page(&room.id, None, &[("limit", "5")]);
    assert_eq!(next, json!(id(&messages[5])));
    let (last, next) = page(&room.id, None, &[("limit", "5"), ("before", id(&messages[5]))]);
    assert_eq!(texts(&last), ["message 4", "message 3", "message 2", "message 1", "message 0"]);
    assert_eq!(next, Value::Null);
    let (before_the_first, next) = page(&room.id, None, &[("before", id(&messages[0]))]);
    assert_eq!((before_the_first, next), (vec![], Value::Null));
}

#[test]
fn after_returns_exactly_the_messages_posted_since() {
    let (room, old) = room_with_history(3);
    let newest_seen = id(&old[2]).to_string();
    assert_eq!(page(&room.id, None, &[("after", &newest_seen)]), (vec![], Value::Null));
    let new: Vec<Value> = (0..4).map(|n| posted(app(), &room.id, &room.admin, &format!("new {n}"))).collect();
    let (since, next) = page(&room.id, None, &[("after", &newest_seen)]);
    assert_eq!(since, new.iter().rev().cloned().collect::<Vec<_>>());
    // Paging back from there continues with what came before them.
    assert_eq!(next, json!(id(&new[0])));
}

#[test]
fn after_with_a_limit_gives_the_oldest_newer_messages_so_a_poller_misses_none() {
    let (room, messages) = room_with_history(10);
    let (since, _) = page(&room.id, None, &[("after", id(&messages[0])), ("limit", "3")]);
    assert_eq!(texts(&since), ["message 3", "message 2", "message 1"]);
    // Polling with the newest id seen, three at a time, reads each message once, in order.
    let mut cursor = id(&messages[0]).to_string();
    let mut polled = vec![messages[0].clone()];
    loop {
        let (batch, _) = page(&room.id, None, &[("after", &cursor), ("limit", "3")]);
        let Some(newest) = batch.first() else { break };
        cursor = id(newest).to_string();
        polled.extend(batch.into_iter().rev());
        assert!(polled.len() <= 10, "polling does not end");
    }
    assert_eq!(polled, messages);
}

#[test]
fn malformed_cursors_are_400_and_cursors_that_are_not_messages_of_this_room_404() {
    let (room, messages) = room_with_history(2);
    let (elsewhere, others) = room_with_history(1);
    let mine = id(&messages[0]);
    for params in [vec![("before", mine), ("after", mine)], vec![("before", "not-an-id")], vec![("after", "123")]] {
        app().messages(&room.id, NOBODY, &params).assert_error(400);
    }
    for params in [
        vec![("before", UNKNOWN_ID)],
        vec![("after", UNKNOWN_ID)],
        vec![("before", id(&others[0]))],
        vec![("after", id(&others[0]))],
    ] {
        app().messages(&room.id, NOBODY, &params).assert_error(404);
    }
    assert_eq!(page(&elsewhere.id, None, &[("after", id(&others[0]))]).0, Vec::<Value>::new());
}

#[test]
fn an_open_room_is_read_by_anyone_and_a_closed_one_by_its_members_only() {
    let (open, closed) = (Staffed::new(true), Staffed::new(false));
    let stranger = app().sign_up("stranger");
    let message = posted(app(), &open.id, &open.member, "public");
    app().ban(&open.id, &open.admin, &open.member.id).assert_ok(200, json!({ "banned": true }));
    for user in [None, Some(&stranger), Some(&open.member), Some(&open.owner)] {
        assert_eq!(page(&open.id, user, &[]).0, vec![message.clone()]);
    }
    let secret = posted(app(), &closed.id, &closed.member, "secret");
    for user in [&closed.owner, &closed.admin, &closed.member] {
        assert_eq!(page(&closed.id, Some(user), &[]).0, vec![secret.clone()]);
    }
    app().remove_member(&closed.id, &closed.owner, &closed.member.id).assert_ok(200, json!({ "present": false }));
    for user in [None, Some(&stranger), Some(&closed.member)] {
        app().messages(&closed.id, user, &[]).assert_error(404);
        app().messages(&closed.id, user, &[("after", id(&secret))]).assert_error(404);
    }
    app().messages(&open.id, "77".repeat(32), &[]).assert_error(401);
}

#[test]
fn each_room_keeps_its_own_messages() {
    let (one, two) = (Staffed::new(true), Staffed::new(true));
    for n in 0..3 {
        posted(app(), &one.id, &one.owner, &format!("one {n}"));
        posted(app(), &two.id, &two.owner, &format!("two {n}"));
    }
    assert_eq!(texts(&page(&one.id, None, &[]).0), ["one 2", "one 1", "one 0"]);
    assert_eq!(texts(&page(&two.id, None, &[]).0), ["two 2", "two 1", "two 0"]);
}

// Order under concurrency, checked against the room's numbering.

/// The room's messages by their seq, oldest first: `(seq, message_id)`. A room numbers every
/// event (joins too), so messages' seqs rise but need not be consecutive; each is the room's.
fn stored(listed: &[Value]) -> Vec<(i64, String)> {
    let mut rows: Vec<(i64, String)> =
        listed.iter().map(|message| (message["seq"].as_i64().unwrap(), id(message).to_string())).collect();
    rows.sort();
    rows.dedup_by_key(|(seq, _)| *seq);
    assert_eq!(rows.len(), listed.len(), "two messages share a seq");
    rows
}

/// A room on `app` with `count` posters besides its staff.
fn room_with_posters(app: &'static TestApp, count: usize) -> (Staffed, Vec<User>) {
    let room = Staffed::on(app, true);
    let posters: Vec<User> = (0..count).map(|n| app.sign_up(&format!("poster {n}"))).collect();
    for poster in &posters {
        app.join(&room.id, poster);
    }
    (room, posters)
}

#[test]
fn twenty_posts_at_once_are_each_stored_once_with_a_seq_of_their_own() {
    with_database(|app| {
        let (room, posters) = room_with_posters(app, 20);
        let start = Barrier::new(20);
        let answered: Vec<Value> = std::thread::scope(|scope| {
            let threads: Vec<_> = posters
                .iter()
                .enumerate()
                .map(|(n, poster)| {
                    let (room, start) = (&room, &start);
                    scope.spawn(move || {
                        start.wait();
                        posted(app, &room.id, poster, &format!("at once {n}"))
                    })
                })
                .collect();
            threads.into_iter().map(|thread| thread.join().unwrap()).collect()
        });
        let response = app.messages(&room.id, NOBODY, &[("limit", "500")]);
        let listed = response.body["messages"].as_array().unwrap().clone();
        assert_eq!(listed.len(), 20);
        let listed_set: HashSet<&Value> = listed.iter().collect();
        assert_eq!(listed_set, answered.iter().collect::<HashSet<_>>());
        let rows = stored(&listed);
        let newest_first: Vec<&str> = rows.iter().rev().map(|(_, id)| id.as_str()).collect();
        assert_eq!(listed.iter().map(id).collect::<Vec<_>>(), newest_first);
    });
}

#[test]
fn twenty_threads_posting_twice_each_read_back_in_their_own_order() {
    with_database(|app| {
        let (room, posters) = room_with_posters(app, 20);
        let start = Barrier::new(20);
        std::thread::scope(|scope| {
            for (n, poster) in posters.iter().enumerate() {
                let (room, start) = (&room, &start);
                scope.spawn(move || {
                    start.wait();
                    posted(app, &room.id, poster, &format!("{n} first"));
                    posted(app, &room.id, poster, &format!("{n} second"));
                });
            }
        });
        let response = app.messages(&room.id, NOBODY, &[("limit", "500")]);
        let listed = response.body["messages"].as_array().unwrap().clone();
        assert_eq!(listed.len(), 40);
        // Newest first: each poster's second message comes before their first.
        let position: HashMap<&str, usize> =
            texts(&listed).into_iter().enumerate().map(|(at, text)| (text, at)).collect();
        assert_eq!(position.len(), 40, "a message is listed twice");
        for (n, poster) in posters.iter().enumerate() {
            let (first, second) = (position[format!("{n} first").as_str()], position[format!("{n} second").as_str()]);
            assert!(second < first, "poster {n}: second message listed after the first");
            assert_eq!(listed[first]["user_id"], json!(poster.id));
        }
        let rows = stored(&listed);
        let newest_first: Vec<&str> = rows.iter().rev().map(|(_, id)| id.as_str()).collect();
        assert_eq!(listed.iter().map(id).collect::<Vec<_>>(), newest_first);
        // And paging back through them 7 at a time gives the same 40, once each.
        let mut paged = Vec::new();
        let mut before: Option<String> = None;
        for _ in 0..6 {
            let mut params = vec![("limit", "7")];
            if let Some(before) = &before {
                params.push(("before", before));
            }
            let body = app.messages(&room.id, NOBODY, &params).body;
            paged.extend(body["messages"].as_array().unwrap().iter().cloned());
            before = body["next"].as_str().map(str::to_string);
        }
        assert_eq!(before, None);
        assert_eq!(paged, listed);
    });
}
