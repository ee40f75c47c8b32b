//! Counts where they show: `GET /user/{id}/rooms` rows (and DM requests) carry each room's
//! latest message and the caller's read position and unread count, from what the room's object
//! flushes to D1; `hello.you` carries them from the object itself. Every count equals a recount
//! from the room's history (the README, "Unread, exactly").

use std::collections::BTreeMap;

use serde_json::{json, Value};

use crate::helpers::{app, eventually, TestApp, User};
use crate::live::helpers::Live;

/// The user's rooms, as `GET /user/{id}/rooms` lists them (at most 500).
fn rooms_of(app: &TestApp, user: &User, sort: Option<&str>) -> Vec<Value> {
    let mut params = vec![("limit", "500")];
    params.extend(sort.map(|sort| ("sort", sort)));
    let listed = app.rooms_of(&user.id, user, &params);
    listed.assert_status(200);
    listed.body["rooms"].as_array().unwrap().clone()
}

fn row_of<'a>(rows: &'a [Value], room: &str) -> Option<&'a Value> {
    rows.iter().find(|row| row["room_id"] == room)
}

#[test]
fn the_rooms_list_shows_the_latest_message_and_the_unread_count_once_the_room_flushed() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let quiet = app().create_named_room(&ann, "quiet", true);
    let busy = app().create_named_room(&ann, "busy", true);
    app().join(&quiet, &bob);
    app().join(&busy, &bob);
    let row = row_of(&rooms_of(app(), &ann, None), &quiet).unwrap().clone();
    assert_eq!(
        (&row["last_seq"], &row["last_message_at"], &row["unread"], &row["marked_unread"]),
        (&json!(0), &Value::Null, &json!(0), &json!(false)),
        "a room without messages: {row}"
    );
    let posted = app().post_message(&busy, &bob, "one");
    app().post_message(&busy, &bob, "two").assert_status(201);
    let last = app().post_message(&busy, &bob, "three");
    let (first_seq, last_seq) = (posted.body["seq"].as_i64().unwrap(), last.body["seq"].as_i64().unwrap());
    // Posting wrote nothing to D1: the room's object tells it within seconds, by its alarm.
    let shown = || row_of(&rooms_of(app(), &ann, None), &busy).unwrap().clone();
    assert!(eventually(|| shown()["last_seq"] == last_seq), "the room's latest message never showed: {}", shown());
    let row = shown();
    assert_eq!(row["unread"], 3);
    assert_eq!(row["last_message_at"], last.body["sent_at"]);
    assert_eq!(row["kind"], "room");
    // The poster read what they wrote.
    let bobs = row_of(&rooms_of(app(), &bob, None), &busy).unwrap().clone();
    assert_eq!((&bobs["read_seq"], &bobs["unread"]), (&json!(last_seq), &json!(0)));

    // Reading, marking unread and deleting show too.
    app().put(&format!("/room/{busy}/read")).by(&ann).json(json!({ "seq": first_seq })).assert_status(200);
    assert!(eventually(|| shown()["unread"] == 2), "the read never showed: {}", shown());
    app().put(&format!("/room/{busy}/read")).by(&ann).json(json!({ "unread": true })).assert_status(200);
    assert!(eventually(|| shown()["marked_unread"] == true), "marked unread never showed: {}", shown());
    app().delete_message(&busy, &bob, last.body["message_id"].as_str().unwrap()).assert_status(204);
    assert!(eventually(|| shown()["unread"] == 1), "the deletion never showed: {}", shown());
    assert_eq!((shown()["read_seq"].as_i64(), shown()["marked_unread"].as_bool()), (Some(first_seq), Some(true)));

    // By activity: the room with the latest message first.
    let ids = |rows: Vec<Value>| rows.iter().map(|row| row["room_id"].as_str().unwrap().to_owned()).collect::<Vec<_>>();
    assert_eq!(ids(rooms_of(app(), &ann, None)), [quiet.clone(), busy.clone()], "in join order");
    assert_eq!(ids(rooms_of(app(), &ann, Some("joined"))), [quiet.clone(), busy.clone()]);
    assert_eq!(ids(rooms_of(app(), &ann, Some("activity"))), [busy.clone(), quiet.clone()]);
    app().post_message(&quiet, &bob, "now here").assert_status(201);
    assert!(
        eventually(|| ids(rooms_of(app(), &ann, Some("activity"))) == [quiet.clone(), busy.clone()]),
        "the newest activity never came first"
    );
    app().rooms_of(&ann.id, &ann, &[("sort", "name")]).assert_error(400);
}

#[test]
fn a_dm_request_shows_its_messages_as_unread() {
    let (ann, bob) = (app().sign_up("ann"), app().sign_up("bob"));
    let room = app().dm(&ann, &bob.id).str("room_id");
    app().post_message(&room, &ann, "hello").assert_status(201);
    let gone = app().post_message(&room, &ann, "oops").str("message_id");
    app().post_message(&room, &ann, "it is ann").assert_status(201);
    app().delete_message(&room, &ann, &gone).assert_status(204);
    let request = || app().requests(&bob).body["requests"][0].clone();
    assert!(eventually(|| request()["unread"] == 2), "the request's unread never showed: {}", request());
    let shown = request();
    assert_eq!((&shown["read_seq"], &shown["marked_unread"]), (&json!(0), &json!(false)));
    assert!(shown["last_seq"].as_i64().unwrap() > 0);
    // Accepting keeps them unread: a DM is read from its start.
    app().join(&room, &bob);
    let row = || row_of(&rooms_of(app(), &bob, None), &room).cloned().unwrap_or(Value::Null);
    assert!(eventually(|| row()["unread"] == 2), "the DM's unread never showed: {}", row());
    assert_eq!(row()["kind"], "dm");
}

// The recount: a random mix of posts (some mentioning people or the room, some replies in
// threads), deletions, reads,
// marks, joins and leaves across rooms and users, one of whom blocked another, every count the
// API shows compared with a recount from the rooms' histories after each step. The rooms' objects tell D1 before answering here (`COUNTS_FLUSH_MILLIS=0`), so
// the counts fed by a flush are compared at once, not after a wait.

/// A small deterministic generator (xorshift64*): the same steps on every run.
struct Dice(u64);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) >> 33) as usize % n.max(1)
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        if items.is_empty() {
            None
        } else {
            items.get(self.below(items.len()))
        }
    }
}

/// A message as the recount sees it: of the room's own line, or a reply in the thread of a
/// message of it (`thread`, its root's id).
#[derive(Debug, Clone)]
struct Message {
    seq: i64,
    id: String,
    author: String,
    thread: Option<String>,
}

/// What the test knows of a room: who is present, its messages (and which are deleted), each
/// member's lowest possible read position and whether they marked it unread, and who follows
/// each thread (by its root's id) since which seq (the README's rule: who started it, from its
/// root, unless it was deleted before the first reply; who posted in it or was mentioned in it,
/// from that reply).
#[derive(Default)]
struct Model {
    present: Vec<usize>,
    messages: Vec<Message>,
    deleted: Vec<String>,
    read_at_least: BTreeMap<usize, i64>,
    marked: BTreeMap<usize, bool>,
    follows: BTreeMap<(String, String), i64>,
}

impl Model {
    fn follow(&mut self, root: &str, user: &str, since: i64) {
        self.follows.entry((root.to_owned(), user.to_owned())).or_insert(since);
    }

    /// The roots of the threads with replies.
    fn threads(&self) -> Vec<String> {
        let mut roots: Vec<String> = self.messages.iter().filter_map(|message| message.thread.clone()).collect();
        roots.sort();
        roots.dedup();
        roots
    }
}

/// A message as the room's history shows it now.
struct Shown {
    seq: i64,
    /// None once deleted.
    author: Option<String>,
    mentions: Vec<String>,
    mention_room: bool,
    /// Its thread's root, for a reply in a thread.
    thread: Option<String>,
}

/// The room's history as the API shows it now, its own line and its threads' replies, oldest
/// first.
fn history(app: &TestApp, room: &str, reader: &User, threads: &[String]) -> Vec<Shown> {
    let mut messages = Vec::new();
    let pages = std::iter::once(None).chain(threads.iter().map(Some));
    for thread in pages {
        let mut params = vec![("limit", "500")];
        params.extend(thread.map(|root| ("thread", root.as_str())));
        let page = app.messages(room, reader, &params);
        page.assert_status(200);
        assert!(page.body["next"].is_null(), "the recount reads one page");
        messages.extend(page.body["messages"].as_array().unwrap().iter().map(|message| {
            Shown {
                seq: message["seq"].as_i64().unwrap(),
                author: message["user_id"].as_str().map(str::to_owned).filter(|_| message["deleted"] != true),
                mentions: message["mentions"]
                    .as_array()
                    .map(|ids| ids.iter().map(|id| id.as_str().unwrap().to_owned()).collect())
                    .unwrap_or_default(),
                mention_room: message["mention_room"] == true,
                thread: message["in_thread"].as_str().map(str::to_owned),
            }
        }));
    }
    messages.sort_by_key(|shown| shown.seq);
    messages
}

/// The README's rules: unread, the messages after the read position, by someone else, not
/// deleted, of the room's own line or replies in a thread the user followed when they came;
/// mentions, those that mention the user (by id or the whole room), not by anyone they blocked.
fn recount(history: &[Shown], model: &Model, user: &User, read_seq: i64, blocked: &[&User]) -> (i64, i64) {
    let follows = |shown: &Shown| match &shown.thread {
        None => true,
        Some(root) => model.follows.get(&(root.clone(), user.id.clone())).is_some_and(|&since| since <= shown.seq),
    };
    let unread: Vec<&Shown> = history
        .iter()
        .filter(|shown| shown.seq > read_seq && shown.author.as_ref().is_some_and(|author| *author != user.id))
        .filter(|shown| follows(shown))
        .collect();
    let mentions = unread
        .iter()
        .filter(|shown| shown.mention_room || shown.mentions.contains(&user.id))
        .filter(|shown| !blocked.iter().any(|other| shown.author.as_ref() == Some(&other.id)))
        .count();
    (unread.len() as i64, mentions as i64)
}

#[test]
fn every_count_shown_equals_a_recount_from_the_history_after_every_step() {
    let app = TestApp::spawn(&[("COUNTS_FLUSH_MILLIS", "0")]);
    let users: Vec<User> = (0..4).map(|n| app.sign_up(&format!("counted{n}"))).collect();
    let owner = 0;
    let mut rooms: Vec<(String, Model)> = (0..3)
        .map(|n| {
            let room = app.create_named_room(&users[owner], &format!("counted {n}"), true);
            (room, Model { present: vec![owner], ..Model::default() })
        })
        .collect();
    // One of them blocked another: what the blocked one writes mentions the blocker for nothing.
    app.block(&users[1], &users[2].id, true).assert_status(200);
    let mut dice = Dice(0x9E37_79B9_7F4A_7C15);
    for step in 0..90 {
        let which = dice.below(rooms.len());
        let (room, model) = &mut rooms[which];
        let action = dice.below(7);
        let done = match action {
            // Post, as anyone present, now and then mentioning some of those present, or (the
            // owner, an admin) the whole room; one post in three a reply in the thread of a
            // message of the room's own line (deleted or not).
            0 | 1 => {
                let &author = dice.pick(&model.present).unwrap();
                let mentioned: Vec<&str> =
                    model.present.iter().filter(|_| dice.below(3) == 0).map(|&user| users[user].id.as_str()).collect();
                let mention_room = author == owner && dice.below(4) == 0;
                let line: Vec<Message> =
                    model.messages.iter().filter(|message| message.thread.is_none()).cloned().collect();
                let root = if dice.below(3) == 0 { dice.pick(&line).cloned() } else { None };
                let body = json!({
                    "text": format!("step {step}"),
                    "mentions": mentioned,
                    "mention_room": mention_room,
                    "thread": root.as_ref().map(|root| root.id.clone()),
                });
                let posted = app.post(&format!("/room/{room}/messages")).by(&users[author]).json(body);
                posted.assert_status(201);
                assert_eq!(posted.body["mentions"], json!(mentioned));
                assert_eq!(posted.body["mention_room"], mention_room);
                let seq = posted.body["seq"].as_i64().unwrap();
                if let Some(root) = &root {
                    if !model.deleted.contains(&root.id) {
                        model.follow(&root.id, &root.author, root.seq);
                    }
                    model.follow(&root.id, &users[author].id, seq);
                    for user in &mentioned {
                        model.follow(&root.id, user, seq);
                    }
                }
                let thread = root.map(|root| root.id);
                let (id, by) = (posted.str("message_id"), users[author].id.clone());
                model.messages.push(Message { seq, id, author: by, thread: thread.clone() });
                model.read_at_least.insert(author, seq);
                model.marked.insert(author, false);
                format!(
                    "{author} posts {seq}{}",
                    thread.map(|root| format!(" in the thread of {root}")).unwrap_or_default()
                )
            }
            // Delete a message, as its author while present, else as the owner.
            2 => {
                let alive: Vec<Message> =
                    model.messages.iter().filter(|message| !model.deleted.contains(&message.id)).cloned().collect();
                let Some(message) = dice.pick(&alive) else { continue };
                let by = model.present.iter().copied().find(|&user| users[user].id == message.author).unwrap_or(owner);
                app.delete_message(room, &users[by], &message.id).assert_status(204);
                model.deleted.push(message.id.clone());
                format!("{by} deletes {}", message.seq)
            }
            // Read up to a message, as anyone present.
            3 => {
                let &reader = dice.pick(&model.present).unwrap();
                let Some(message) = dice.pick(&model.messages) else { continue };
                let read =
                    app.put(&format!("/room/{room}/read")).by(&users[reader]).json(json!({ "seq": message.seq }));
                read.assert_status(200);
                let at_least = model.read_at_least.entry(reader).or_insert(0);
                *at_least = (*at_least).max(message.seq);
                assert!(read.body["read_seq"].as_i64().unwrap() >= *at_least, "{}", read.text);
                model.marked.insert(reader, false);
                format!("{reader} reads up to {}", message.seq)
            }
            // Mark unread.
            4 => {
                let &reader = dice.pick(&model.present).unwrap();
                app.put(&format!("/room/{room}/read"))
                    .by(&users[reader])
                    .json(json!({ "unread": true }))
                    .assert_status(200);
                model.marked.insert(reader, true);
                format!("{reader} marks unread")
            }
            // Join: everything before is read.
            5 => {
                let absent: Vec<usize> = (1..users.len()).filter(|user| !model.present.contains(user)).collect();
                let Some(&joiner) = dice.pick(&absent) else { continue };
                app.join(room, &users[joiner]);
                model.present.push(joiner);
                model.read_at_least.insert(joiner, model.messages.last().map_or(0, |message| message.seq));
                model.marked.insert(joiner, false);
                format!("{joiner} joins")
            }
            // Leave (the owner stays).
            _ => {
                let others: Vec<usize> = model.present.iter().copied().filter(|&user| user != owner).collect();
                let Some(&leaver) = dice.pick(&others) else { continue };
                let left = app.remove_member(room, &users[leaver], &users[leaver].id);
                left.assert_status(200);
                model.present.retain(|&user| user != leaver);
                format!("{leaver} leaves")
            }
        };
        check(&app, &users, &rooms, &format!("step {step} in room {which}: {done}"));
        if step % 15 == 14 {
            check_hello(&app, &users, &rooms, &format!("after step {step}"));
        }
    }
}

/// Those the user (by index) blocked: user 1 blocked user 2.
fn blocked_by(users: &[User], index: usize) -> Vec<&User> {
    if index == 1 {
        vec![&users[2]]
    } else {
        Vec::new()
    }
}

/// Every user's rooms list against the model and a recount.
fn check(app: &TestApp, users: &[User], rooms: &[(String, Model)], when: &str) {
    let histories: Vec<Vec<Shown>> =
        rooms.iter().map(|(room, model)| history(app, room, &users[0], &model.threads())).collect();
    for (index, user) in users.iter().enumerate() {
        let rows = rooms_of(app, user, None);
        for ((room, model), history) in rooms.iter().zip(&histories) {
            let row = row_of(&rows, room);
            assert_eq!(row.is_some(), model.present.contains(&index), "{when}: user {index} listed in {room}");
            let Some(row) = row else { continue };
            let read_seq = row["read_seq"].as_i64().unwrap();
            let at_least = model.read_at_least.get(&index).copied().unwrap_or(0);
            assert!(read_seq >= at_least, "{when}: user {index} read_seq {read_seq} below {at_least}");
            let (unread, mentions) = recount(history, model, user, read_seq, &blocked_by(users, index));
            assert_eq!(row["unread"], unread, "{when}: user {index}'s unread in {room}: {row}");
            assert_eq!(row["mentions"], mentions, "{when}: user {index}'s mentions in {room}: {row}");
            let marked = model.marked.get(&index).copied().unwrap_or(false);
            assert_eq!(row["marked_unread"], marked, "{when}: user {index}'s mark in {room}");
            let last = history.last().map_or(0, |shown| shown.seq);
            assert_eq!(row["last_seq"], last, "{when}: the latest message of {room}");
        }
    }
}

/// Every present member's `hello.you` against their rooms list (itself checked by `check`).
fn check_hello(app: &TestApp, users: &[User], rooms: &[(String, Model)], when: &str) {
    for (room, model) in rooms {
        for &member in &model.present {
            let user = &users[member];
            let row = row_of(&rooms_of(app, user, None), room).unwrap().clone();
            let live = Live::bearer(app, room, user);
            let you = &live.hello["you"];
            assert_eq!(
                (&you["read_seq"], &you["unread"], &you["mentions"], &you["marked_unread"]),
                (&row["read_seq"], &row["unread"], &row["mentions"], &row["marked_unread"]),
                "{when}: user {member}'s hello in {room} and their rooms list"
            );
        }
    }
}
