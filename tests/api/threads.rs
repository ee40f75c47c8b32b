//! Threads: `thread` on a post names a root of the room's own line; its replies leave that line
//! and are paged by `GET /room/{id}/messages?thread=`; the root carries the thread's summary,
//! which a deleted root keeps; frames say a reply's thread and each new summary; replies count
//! toward the unread and mentions of those who follow their thread (the README, "Unread,
//! exactly").

use serde_json::{json, Value};

use crate::helpers::{app, eventually, Resp, Staffed, User, NOBODY, UNKNOWN_ID};
use crate::live::helpers::{Live, Way};
use crate::live::posted;

fn in_thread(room: &str, user: &User, root: &str, text: &str) -> Value {
    let answer = app().post(&format!("/room/{room}/messages")).by(user).json(json!({ "text": text, "thread": root }));
    answer.assert_status(201);
    answer.body
}

fn page(room: &str, params: &[(&str, &str)]) -> Resp {
    app().messages(room, NOBODY, params)
}

fn texts(answer: &Resp) -> Vec<String> {
    answer.assert_status(200);
    let messages = answer.body["messages"].as_array().unwrap_or_else(|| panic!("{}", answer.text));
    messages.iter().map(|m| m["text"].as_str().unwrap_or("(deleted)").to_owned()).collect()
}

fn id(message: &Value) -> String {
    message["message_id"].as_str().unwrap().to_owned()
}

#[test]
fn replies_in_a_thread_leave_the_rooms_line_and_page_by_their_root_which_sums_them_up() {
    let room = Staffed::new(true);
    let root = posted(app(), &room.id, &room.member, "shall we plan the trip?");
    assert_eq!((&root["in_thread"], &root["thread"]), (&Value::Null, &Value::Null));
    posted(app(), &room.id, &room.owner, "something else entirely");
    let first = in_thread(&room.id, &room.member, &id(&root), "first idea");
    assert_eq!(first["in_thread"], root["message_id"]);
    in_thread(&room.id, &room.admin, &id(&root), "second idea");
    let last = in_thread(&room.id, &room.owner, &id(&root), "third idea");
    in_thread(&room.id, &room.admin, &id(&root), "fourth idea");

    assert_eq!(texts(&page(&room.id, &[])), ["something else entirely", "shall we plan the trip?"]);
    let line = page(&room.id, &[]);
    let summary = &line.body["messages"][1]["thread"];
    assert_eq!(summary["reply_count"], 4);
    assert_eq!(
        summary["participants"],
        json!([room.admin.id, room.owner.id, room.member.id]),
        "newest first, once each"
    );
    assert!(summary["last_reply_at"].as_str().unwrap() >= last["sent_at"].as_str().unwrap());

    let thread = page(&room.id, &[("thread", &id(&root))]);
    assert_eq!(texts(&thread), ["fourth idea", "third idea", "second idea", "first idea"]);
    assert!(thread.body["messages"].as_array().unwrap().iter().all(|m| m["in_thread"] == root["message_id"]));
    let two = page(&room.id, &[("thread", &id(&root)), ("limit", "2")]);
    assert_eq!(texts(&two), ["fourth idea", "third idea"]);
    let next = two.body["next"].as_str().unwrap().to_owned();
    let rest = page(&room.id, &[("thread", &id(&root)), ("before", &next)]);
    assert_eq!(
        (texts(&rest), &rest.body["next"]),
        (vec!["second idea".to_string(), "first idea".to_string()], &Value::Null)
    );
    let after = page(&room.id, &[("thread", &id(&root)), ("after", &id(&first))]);
    assert_eq!(texts(&after), ["fourth idea", "third idea", "second idea"]);
    // A cursor of the room's own line is no cursor of the thread.
    page(&room.id, &[("thread", &id(&root)), ("before", &id(&root))]).assert_error(404);
    // Search finds replies, and says their thread.
    let found = app().get(&room.path("/search")).queries(&[("q", "third idea")]).send();
    assert_eq!(found.body["messages"][0]["in_thread"], root["message_id"], "{}", found.text);
}

#[test]
fn a_thread_is_rooted_in_the_rooms_line_and_anything_else_is_refused() {
    let room = Staffed::new(true);
    let other = Staffed::new(true);
    let root = posted(app(), &room.id, &room.member, "root");
    let reply = in_thread(&room.id, &room.member, &id(&root), "a reply");
    let elsewhere = posted(app(), &other.id, &other.member, "elsewhere");
    let refused = |thread: &str, status: u16| {
        let answer =
            app().post(&room.path("/messages")).by(&room.member).json(json!({ "text": "x", "thread": thread }));
        answer.assert_error(status);
        answer.body["error"].as_str().unwrap().to_owned()
    };
    assert_eq!(refused("nope", 400), "thread must be a UUID");
    refused(UNKNOWN_ID, 404);
    refused(&id(&elsewhere), 404);
    assert!(refused(&id(&reply), 400).contains("not a reply in a thread"));
    page(&room.id, &[("thread", UNKNOWN_ID)]).assert_error(404);
    page(&room.id, &[("thread", &id(&reply))]).assert_error(400);
    page(&room.id, &[("thread", "nope")]).assert_error(400);
    assert_eq!(texts(&page(&room.id, &[("thread", &id(&root))])), ["a reply"]);
}

#[test]
fn a_deleted_root_keeps_its_thread_and_a_deleted_reply_leaves_the_count() {
    let room = Staffed::new(true);
    let root = posted(app(), &room.id, &room.member, "to be deleted");
    let doomed = in_thread(&room.id, &room.admin, &id(&root), "soon gone");
    in_thread(&room.id, &room.owner, &id(&root), "stays");
    app().delete_message(&room.id, &room.member, &id(&root)).assert_status(204);
    let line = page(&room.id, &[]);
    let tombstone = &line.body["messages"][0];
    assert_eq!(tombstone["deleted"], true);
    assert_eq!(tombstone["thread"]["reply_count"], 2, "{tombstone}");
    // The thread goes on.
    in_thread(&room.id, &room.member, &id(&root), "still talking");
    app().delete_message(&room.id, &room.admin, &id(&doomed)).assert_status(204);
    let line = page(&room.id, &[]);
    assert_eq!(line.body["messages"][0]["thread"]["reply_count"], 2);
    assert_eq!(texts(&page(&room.id, &[("thread", &id(&root))])), ["still talking", "stays", "(deleted)"]);
}

#[test]
fn sockets_hear_a_reply_with_its_thread_then_the_new_summary_and_a_resume_replays_both() {
    let room = Staffed::new(true);
    let mut watcher = Live::bearer(app(), &room.id, &room.owner);
    let root = posted(app(), &room.id, &room.member, "root");
    watcher.next_of("message");
    let start = watcher.seq();
    let mut member = Live::bearer(app(), &room.id, &room.member);
    member.send(json!({ "type": "send", "text": "over the socket", "txn_id": "t1", "thread": root["message_id"] }));
    let heard = watcher.next();
    assert_eq!((&heard["type"], &heard["thread"]), (&json!("message"), &root["message_id"]), "{heard}");
    assert_eq!(heard["message"]["in_thread"], root["message_id"]);
    let updated = watcher.next();
    assert_eq!(updated["type"], "thread_updated", "{updated}");
    assert_eq!(updated["root_id"], root["message_id"]);
    assert_eq!(updated["thread"]["reply_count"], 1);
    assert_eq!(updated["thread"]["participants"], json!([room.member.id]));
    app().delete_message(&room.id, &room.member, &id(&heard["message"])).assert_status(204);
    assert_eq!(watcher.next()["type"], "message_deleted");
    let after_deletion = watcher.next();
    assert_eq!(
        (&after_deletion["type"], &after_deletion["thread"]["reply_count"]),
        (&json!("thread_updated"), &json!(0))
    );
    member.send(json!({ "type": "send", "text": "x", "txn_id": "t2", "thread": "nope" }));
    let error = loop {
        let frame = member.next();
        if frame["type"] == "error" {
            break frame;
        }
    };
    assert_eq!((&error["error"], &error["txn_id"]), (&json!("thread must be a UUID"), &json!("t2")));

    let (_, replayed) = Live::resume(app(), &room.id, Way::Bearer(&room.owner.key), start);
    let types: Vec<&str> = replayed.iter().map(|frame| frame["type"].as_str().unwrap()).collect();
    assert_eq!(types, ["message", "thread_updated", "message_deleted", "thread_updated"]);
    assert_eq!(replayed[0]["thread"], root["message_id"], "a replayed reply says its thread too");
}

/// A present member's row in their rooms list, once the room told D1.
fn listed(room: &str, user: &User) -> Value {
    let rooms = app().rooms_of(&user.id, user, &[]);
    rooms.body["rooms"].as_array().unwrap().iter().find(|row| row["room_id"] == room).cloned().unwrap_or(Value::Null)
}

fn you(room: &str, user: &User) -> (i64, i64) {
    let hello = Live::bearer(app(), room, user).hello;
    (hello["you"]["unread"].as_i64().unwrap(), hello["you"]["mentions"].as_i64().unwrap())
}

#[test]
fn replies_count_for_those_who_follow_their_thread_and_posting_one_moves_the_read_position() {
    let room = Staffed::new(true);
    let bystander = app().sign_up("bystander");
    app().join(&room.id, &bystander);
    let root = posted(app(), &room.id, &room.owner, "the root");
    // The admin replies mentioning the member (who follows from there on), the owner (who
    // started it) replies, and mentions the whole room in it: its followers then.
    let mention = json!({ "text": "you, in a thread", "thread": root["message_id"], "mentions": [room.member.id] });
    app().post(&room.path("/messages")).by(&room.admin).json(mention).assert_status(201);
    let to_all = json!({ "text": "all of you", "thread": root["message_id"], "mention_room": true });
    let last = app().post(&room.path("/messages")).by(&room.owner).json(to_all);
    last.assert_status(201);
    assert_eq!(you(&room.id, &room.member), (3, 2), "the root, both replies; both mention them");
    assert_eq!(you(&room.id, &room.admin), (1, 1), "they read up to their reply: the owner's since");
    assert_eq!(you(&room.id, &room.owner), (0, 0), "all theirs or read: posting moves one's position");
    assert_eq!(you(&room.id, &bystander), (1, 0), "the root only: they follow no thread");
    // The rooms lists say the same, once the room told D1.
    let counted = |user: &User, (unread, mentions): (i64, i64)| {
        eventually(|| {
            let row = listed(&room.id, user);
            row["unread"] == unread && row["mentions"] == mentions
        })
    };
    assert!(counted(&room.member, (3, 2)), "{}", listed(&room.id, &room.member));
    assert!(counted(&room.admin, (1, 1)), "{}", listed(&room.id, &room.admin));
    assert!(counted(&bystander, (1, 0)), "{}", listed(&room.id, &bystander));
    assert_eq!(listed(&room.id, &room.member)["last_seq"], last.body["seq"], "the room's latest message is a reply");
    // A deleted reply counts no more, anywhere.
    app().delete_message(&room.id, &room.owner, last.str("message_id").as_str()).assert_status(204);
    assert_eq!(you(&room.id, &room.member), (2, 1));
    assert!(counted(&room.member, (2, 1)), "{}", listed(&room.id, &room.member));
    assert!(counted(&room.admin, (0, 0)), "{}", listed(&room.id, &room.admin));
    // Their mentions list shows the reply in its thread.
    let mentions = app().get(&format!("/user/{}/mentions", room.member.id)).by(&room.member).send();
    mentions.assert_status(200);
    assert_eq!(mentions.body["mentions"][0]["message"]["in_thread"], root["message_id"], "{}", mentions.text);
    // Reading the room up to its latest clears the threads too.
    let latest = listed(&room.id, &room.member)["last_seq"].clone();
    app().put(&room.path("/read")).by(&room.member).json(json!({ "seq": latest })).assert_status(200);
    assert_eq!(you(&room.id, &room.member), (0, 0));
    assert!(counted(&room.member, (0, 0)), "{}", listed(&room.id, &room.member));
}
