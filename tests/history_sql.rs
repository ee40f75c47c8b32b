//! A room object's statements (`live::history::sql`) run natively on its schema: none scans a
//! table; a resume finds every event after it kept, or gets `reset`; nothing younger than a
//! week, and none of the latest 10,000, is forgotten.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use chatrooms::live::history::{prune_bounds, sql, Resume, KEPT_EVENTS, KEPT_MILLIS, MAX_REPLAY, SCHEMA, TOMBSTONE};
use rusqlite::{params, Connection};

const DAY: i64 = 24 * 3600 * 1000;

fn room() -> Connection {
    let db = Connection::open_in_memory().unwrap();
    for statement in SCHEMA {
        db.execute_batch(statement).unwrap();
    }
    db.execute_batch(sql::MESSAGES_IN_THREAD).unwrap();
    db
}

/// Every message's (seq, ordinal), in seq order.
fn ordinals(db: &Connection) -> Vec<(i64, i64)> {
    let mut statement = db.prepare("SELECT seq, ordinal FROM messages ORDER BY seq").unwrap();
    statement.query_map([], |row| Ok((row.get(0)?, row.get(1)?))).unwrap().map(Result::unwrap).collect()
}

fn number(db: &Connection, query: &str) -> i64 {
    db.query_row(query, [], |row| row.get::<_, Option<i64>>(0)).unwrap().unwrap_or(0)
}

/// Appends `count` events after the latest, all at `at`.
fn append(db: &Connection, count: i64, at: i64) {
    let latest = number(db, sql::LATEST_SEQ);
    for seq in latest + 1..=latest + count {
        db.execute(sql::APPEND_EVENT, params![seq, at, r#"{"type":"member_joined"}"#, None::<i64>]).unwrap();
    }
}

fn prune(db: &Connection, now: i64) {
    let (seq, at) = prune_bounds(number(db, sql::LATEST_SEQ), now);
    db.execute(sql::PRUNE_EVENTS, params![seq, at]).unwrap();
}

fn resume(db: &Connection, after: i64) -> Resume {
    Resume::after(after, number(db, sql::LATEST_SEQ), number(db, sql::OLDEST_SEQ))
}

/// Whether every event after `after` is still kept, counted.
fn all_kept_after(db: &Connection, after: i64) -> bool {
    let latest = number(db, sql::LATEST_SEQ);
    let kept: i64 = db.query_row("SELECT count(*) FROM events WHERE seq > ?", [after], |row| row.get(0)).unwrap();
    kept == latest - after
}

#[test]
fn a_new_room_replays_from_zero_and_resets_a_seq_it_never_reached() {
    let db = room();
    assert_eq!(resume(&db, 0), Resume::Replay);
    assert_eq!(resume(&db, 1), Resume::Reset);
    append(&db, 3, 0);
    assert_eq!(resume(&db, 3), Resume::Replay);
    assert_eq!(resume(&db, 4), Resume::Reset);
}

#[test]
fn nothing_younger_than_a_week_is_forgotten_however_many() {
    let db = room();
    append(&db, KEPT_EVENTS + 500, 10 * DAY);
    prune(&db, 10 * DAY + KEPT_MILLIS - 1);
    assert_eq!(number(&db, sql::OLDEST_SEQ), 1);
    assert!(all_kept_after(&db, 0));
    assert_eq!(resume(&db, 500), Resume::Replay);
}

#[test]
fn a_resume_over_more_than_the_replay_bound_resets_though_every_event_is_kept() {
    let db = room();
    append(&db, MAX_REPLAY + 1, 0);
    assert!(all_kept_after(&db, 0));
    assert_eq!(resume(&db, 0), Resume::Reset, "one event more than a replay may carry");
    assert_eq!(resume(&db, 1), Resume::Replay);
}

#[test]
fn a_page_of_events_carries_each_message_as_it_is_now_in_one_query() {
    let db = room();
    db.execute(sql::APPEND_EVENT, params![1, 0, r#"{"type":"message"}"#, 1]).unwrap();
    db.execute(
        "INSERT INTO messages (seq, message_id, user_id, text, sent_at) VALUES (1, 'm1', 'u1', 'edited', 0)",
        [],
    )
    .unwrap();
    append(&db, 3, 0);
    let mut statement = db.prepare(sql::EVENTS_AFTER).unwrap();
    let rows: Vec<(i64, Option<String>)> =
        statement.query_map(params![0, 2], |row| Ok((row.get(0)?, row.get(5)?))).unwrap().map(Result::unwrap).collect();
    assert_eq!(rows, [(1, Some("edited".to_owned())), (2, None)]);
}

#[test]
fn none_of_the_latest_ten_thousand_is_forgotten_however_old() {
    let db = room();
    append(&db, KEPT_EVENTS, 0);
    prune(&db, 100 * DAY);
    assert_eq!(number(&db, sql::OLDEST_SEQ), 1);
    assert_eq!(resume(&db, 0), Resume::Replay);
}

#[test]
fn old_events_beyond_the_latest_ten_thousand_go_and_resuming_before_them_resets() {
    let db = room();
    append(&db, 700, 0);
    append(&db, KEPT_EVENTS, 30 * DAY);
    prune(&db, 30 * DAY);
    assert_eq!(number(&db, sql::OLDEST_SEQ), 701, "the 700 events older than a week, beyond the latest 10,000");
    for after in [0, 1, 699] {
        assert_eq!(resume(&db, after), Resume::Reset, "after {after}");
        assert!(!all_kept_after(&db, after));
    }
    for after in [700, 701, 5_000, 700 + KEPT_EVENTS] {
        assert_eq!(resume(&db, after), Resume::Replay, "after {after}");
        assert!(all_kept_after(&db, after), "after {after}: a replay would miss events");
    }
}

/// The tables of the room's schema (and the tombstone), by name.
fn tables(db: &Connection) -> Vec<String> {
    let mut statement = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").unwrap();
    statement.query_map([], |row| row.get::<_, String>(0)).unwrap().map(Result::unwrap).collect()
}

#[test]
fn no_statement_of_a_room_scans_a_table() {
    let db = room();
    db.execute_batch(TOMBSTONE).unwrap();
    let tables = tables(&db);
    let mut scanning = Vec::new();
    for (name, query) in sql::ALL {
        let mut statement =
            db.prepare(&format!("EXPLAIN QUERY PLAN {query}")).unwrap_or_else(|e| panic!("{name}: {e}"));
        let nulls = vec![rusqlite::types::Null; statement.parameter_count()];
        let lines: Vec<String> = statement
            .query_map(rusqlite::params_from_iter(nulls), |row| row.get::<_, String>(3))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        // `SCAN e` / `SCAN events`: a table or its alias; a scan of sqlite_master (a handful of
        // rows, once per object life) is left to SQLite. The search index (FTS5) says how it is
        // used after `INDEX n:`: by rowid (`=`, `<`) or MATCH (`M`), or, with nothing there, a
        // scan of it all.
        let used_index = |line: &str| {
            line.split_once("VIRTUAL TABLE INDEX ")
                .and_then(|(_, index)| index.split_once(':'))
                .is_some_and(|(_, constraints)| !constraints.trim().is_empty())
        };
        let scans = lines.iter().filter(|line| !used_index(line)).any(|line| {
            line.strip_prefix("SCAN ").and_then(|rest| rest.split_whitespace().next()).is_some_and(|name| {
                tables.iter().any(|table| table == name) || (name.len() == 1 && !line.contains("sqlite_master"))
            })
        });
        if scans && !query.contains("sqlite_master") {
            scanning.push(format!("{name}:\n    {}", lines.join("\n    ")));
        }
    }
    assert!(scanning.is_empty(), "statements that scan a table:\n{}", scanning.join("\n"));
}

#[test]
fn every_statement_is_listed_once_under_its_own_name() {
    let mut names: Vec<&str> = sql::ALL.iter().map(|(name, _)| *name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), sql::ALL.len());
    let source = include_str!("../src/live/history/sql.rs");
    let statements = &source[..source.find("pub const ALL").unwrap()];
    assert_eq!(statements.matches("pub const ").count(), sql::ALL.len());
}

#[test]
fn storage_from_before_messages_were_numbered_is_numbered_once_in_seq_order() {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE messages (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE,
            user_id TEXT, text TEXT, sent_at INTEGER, edited_at INTEGER)",
    )
    .unwrap();
    for (seq, id) in [(2, "a"), (5, "b"), (9, "c")] {
        db.execute("INSERT INTO messages (seq, message_id) VALUES (?, ?)", params![seq, id]).unwrap();
    }
    for statement in SCHEMA {
        db.execute_batch(statement).unwrap();
    }
    assert_eq!(number(&db, sql::HAS_ORDINALS), 0);
    for statement in sql::NUMBERING {
        db.execute_batch(statement).unwrap();
    }
    assert_eq!(number(&db, sql::HAS_ORDINALS), 1, "numbered once: the next open does nothing");
    assert_eq!(number(&db, sql::HAS_REPLIES), 0);
    db.execute_batch(sql::ADD_REPLY_TO).unwrap();
    assert_eq!(number(&db, sql::HAS_REPLIES), 1, "given replies once: the next open does nothing");
    assert_eq!(number(&db, sql::HAS_THREADS), 0);
    db.execute_batch(sql::ADD_THREAD).unwrap();
    db.execute_batch(sql::MESSAGES_IN_THREAD).unwrap();
    assert_eq!(number(&db, sql::HAS_THREADS), 1, "given threads once: the next open does nothing");
    assert_eq!(ordinals(&db), [(2, 1), (5, 2), (9, 3)]);
    db.execute(sql::INSERT_MESSAGE, params![12, "d", "u", "hi", 0, None::<String>, None::<i64>, None::<i64>]).unwrap();
    assert_eq!(number(&db, "SELECT ordinal FROM messages WHERE seq = 12"), 4, "the next message follows on");
    let ordinal_at = |seq: i64| -> i64 {
        db.query_row(
            "SELECT coalesce((SELECT ordinal FROM messages WHERE seq <= ? ORDER BY seq DESC LIMIT 1), 0)",
            [seq],
            |row| row.get(0),
        )
        .unwrap()
    };
    assert_eq!([ordinal_at(1), ordinal_at(2), ordinal_at(8), ordinal_at(100)], [0, 1, 2, 4]);
}

#[test]
fn a_members_mentions_are_those_after_their_position_not_deleted_not_theirs_nor_blocked() {
    let db = room();
    let post = |seq: i64, author: &str, mentioned: &[&str]| {
        db.execute(
            sql::INSERT_MESSAGE,
            params![seq, format!("m{seq}"), author, "hi", 0, "{}", None::<i64>, None::<i64>],
        )
        .unwrap();
        for user in mentioned {
            db.execute(sql::ADD_MENTION, params![user, seq]).unwrap();
        }
    };
    post(1, "bob", &["ann"]);
    post(2, "bob", &["ann", "cy"]);
    post(3, "cy", &[""]); // the whole room
    post(4, "ann", &[""]); // hers: never counts for her
    post(5, "dee", &["ann"]);
    post(6, "bob", &["cy"]);
    db.execute(sql::DELETE_MESSAGE, params![2]).unwrap();
    let mentioned = |user: &str, after: i64, blocked: &str| -> i64 {
        db.query_row(sql::MENTIONED, params![after, user, blocked], |row| row.get(0)).unwrap()
    };
    assert_eq!(mentioned("ann", 0, "[]"), 3, "1, 3 (the room) and 5; 2 is deleted, 4 is hers");
    assert_eq!(mentioned("ann", 1, "[]"), 2);
    assert_eq!(mentioned("ann", 0, r#"["dee"]"#), 2, "what those she blocked wrote does not count");
    assert_eq!(mentioned("cy", 0, "[]"), 2, "4 (the room) and 6; 3 is his own, 2 is deleted");
    assert_eq!(mentioned("eve", 0, "[]"), 2, "the room's: 3 and 4");
}

#[test]
fn a_reply_shows_the_message_it_replies_to_as_it_is_now() {
    let db = room();
    let long: String = "東京で会いましょう。".repeat(20);
    db.execute(sql::INSERT_MESSAGE, params![1, "parent", "ann", long, 0, None::<String>, None::<i64>, None::<i64>])
        .unwrap();
    db.execute(sql::INSERT_MESSAGE, params![2, "reply", "bob", "yes", 0, None::<String>, 1, None::<i64>]).unwrap();
    let parent_of = |query: &str, arg: i64| -> (Option<String>, Option<String>, Option<String>) {
        db.query_row(&format!("SELECT parent_id, parent_user_id, parent_preview FROM ({query})"), [arg], |row| {
            Ok((row.get(0)?, row.get(1)?, row.get(2)?))
        })
        .unwrap()
    };
    let (id, user, preview) = parent_of(sql::MESSAGE_AT, 2);
    assert_eq!((id.as_deref(), user.as_deref()), (Some("parent"), Some("ann")));
    let preview = preview.unwrap();
    assert_eq!(preview.chars().count(), 140, "140 characters, not bytes");
    assert_eq!(preview, long.chars().take(140).collect::<String>());
    // The parent as it is now: edited, then deleted.
    db.execute(sql::EDIT_MESSAGE, params!["new text", 5, 1]).unwrap();
    assert_eq!(parent_of(sql::MESSAGE_AT, 2).2.as_deref(), Some("new text"));
    db.execute(sql::DELETE_MESSAGE, params![1]).unwrap();
    assert_eq!(parent_of(sql::MESSAGE_AT, 2), (Some("parent".to_string()), None, None));
    // A message that replies to none has no parent.
    assert_eq!(parent_of(sql::MESSAGE_AT, 1), (None, None, None));
}

/// The seqs `SEARCH` finds for a phrase, newest first.
fn found(db: &Connection, phrase: &str) -> Vec<i64> {
    let mut statement = db.prepare(sql::SEARCH).unwrap();
    statement
        .query_map(params![phrase, i64::MAX, 10], |row| row.get::<_, i64>("seq"))
        .unwrap()
        .map(Result::unwrap)
        .collect()
}

#[test]
fn the_search_index_finds_any_piece_of_three_characters_in_any_case_and_only_current_text() {
    let db = room();
    for (seq, text) in [(1, "東京で会いましょう"), (2, "Hello ÜNÏCODE world"), (3, "nothing here"), (4, "hello again")]
    {
        db.execute(
            "INSERT INTO messages (seq, message_id, user_id, text, sent_at) VALUES (?, ?, 'u', ?, 0)",
            params![seq, format!("m{seq}"), text],
        )
        .unwrap();
        db.execute(sql::INDEX_TEXT, params![seq, text]).unwrap();
    }
    assert_eq!(found(&db, "\"東京で\""), [1]);
    assert_eq!(found(&db, "\"ünïcode\""), [2]);
    assert_eq!(found(&db, "\"HELLO\""), [4, 2]);
    assert_eq!(found(&db, "\"lo a\""), [4]);
    // Two characters are no trigram: the index finds nothing, and the service reads instead.
    assert_eq!(found(&db, "\"東京\""), Vec::<i64>::new());
    db.execute(sql::UNINDEX_TEXT, params![4]).unwrap();
    assert_eq!(found(&db, "\"hello\""), [2]);
    // An edit: the old text out, the new in.
    db.execute(sql::UNINDEX_TEXT, params![3]).unwrap();
    db.execute(sql::INDEX_TEXT, params![3, "hello, edited"]).unwrap();
    assert_eq!(found(&db, "\"hello\""), [3, 2]);
    assert_eq!(found(&db, "\"nothing\""), Vec::<i64>::new());
}

#[test]
fn storage_from_before_the_index_is_indexed_once_without_its_deleted_messages() {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE messages (seq INTEGER PRIMARY KEY, message_id TEXT NOT NULL UNIQUE, user_id TEXT, text TEXT,
            sent_at INTEGER, edited_at INTEGER, ordinal INTEGER, mentions TEXT, reply_to INTEGER)",
    )
    .unwrap();
    db.execute_batch("INSERT INTO messages (seq, message_id, text) VALUES (1, 'a', 'kept text'), (2, 'b', NULL)")
        .unwrap();
    for statement in SCHEMA {
        db.execute_batch(statement).unwrap();
    }
    db.execute_batch(sql::ADD_THREAD).unwrap();
    db.execute_batch(sql::INDEX_EXISTING).unwrap();
    assert_eq!(found(&db, "\"kept\""), [1]);
    let indexed: i64 = db.query_row("SELECT count(*) FROM search", [], |row| row.get(0)).unwrap();
    assert_eq!(indexed, 1);
}

#[test]
fn a_reply_in_a_thread_takes_no_ordinal_of_its_own_so_the_lines_count_holds() {
    let db = room();
    let insert = |seq: i64, thread: Option<i64>| {
        db.execute(
            sql::INSERT_MESSAGE,
            params![seq, format!("m{seq}"), "u", "hi", 0, None::<String>, None::<i64>, thread],
        )
        .unwrap();
    };
    insert(1, None);
    insert(2, Some(1));
    insert(3, Some(1));
    insert(4, None);
    insert(5, Some(4));
    assert_eq!(ordinals(&db), [(1, 1), (2, 1), (3, 1), (4, 2), (5, 2)], "the latest row's ordinal is the line's count");
    assert_eq!(number(&db, "SELECT count(*) FROM messages WHERE thread IS NULL"), 2);
}

#[test]
fn a_reply_in_a_thread_counts_for_those_who_followed_it_when_it_came() {
    let db = room();
    let post = |seq: i64, user: &str, thread: Option<i64>| {
        db.execute(
            "INSERT INTO messages (seq, message_id, user_id, text, sent_at, thread) VALUES (?1, ?2, ?3, 'hi', 0, ?4)",
            params![seq, format!("m{seq}"), user, thread],
        )
        .unwrap();
    };
    let follow = |user: &str, since: i64| db.execute(sql::FOLLOW_THREAD, params![1, user, since]).unwrap();
    // ann's root (1); bob replies (2); cy replies mentioning dee (3); bob again, to the room (4);
    // bob on the room's own line (5).
    post(1, "ann", None);
    follow("ann", 1);
    post(2, "bob", Some(1));
    follow("bob", 2);
    post(3, "cy", Some(1));
    follow("cy", 3);
    follow("dee", 3);
    db.execute(sql::ADD_MENTION, params!["dee", 3]).unwrap();
    post(4, "bob", Some(1));
    follow("bob", 4);
    db.execute(sql::ADD_MENTION, params!["", 4]).unwrap();
    post(5, "bob", None);
    let unread = |user: &str, read_seq: i64| -> i64 {
        db.query_row(sql::UNREAD, params![read_seq, user], |row| row.get(0)).unwrap()
    };
    let mentioned =
        |user: &str| -> i64 { db.query_row(sql::MENTIONED, params![0, user, "[]"], |row| row.get(0)).unwrap() };
    assert_eq!(unread("ann", 0), 1 + 3, "bob's post, and the three replies to her root");
    assert_eq!(unread("dee", 0), 2 + 2, "the room's two, and the replies from the one that mentioned her");
    assert_eq!(unread("dee", 3), 1 + 1);
    assert_eq!(unread("bob", 0), 1 + 1, "ann's root, and cy's reply: never his own");
    assert_eq!(unread("eve", 0), 2, "a thread she does not follow counts for nothing");
    assert_eq!(
        (mentioned("dee"), mentioned("ann"), mentioned("eve")),
        (2, 1, 0),
        "the room, in a thread: its followers"
    );
    db.execute(sql::DELETE_MESSAGE, params![4]).unwrap();
    assert_eq!((unread("ann", 0), mentioned("ann")), (3, 0), "a deleted reply counts no more");
}

#[test]
fn followers_from_before_their_since_follow_from_the_threads_start() {
    let db = Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE thread_followers (root_seq INTEGER NOT NULL, user_id TEXT NOT NULL,
            PRIMARY KEY (root_seq, user_id)) WITHOUT ROWID;
         INSERT INTO thread_followers VALUES (3, 'ann');",
    )
    .unwrap();
    for statement in SCHEMA {
        db.execute_batch(statement).unwrap();
    }
    assert_eq!(number(&db, sql::HAS_FOLLOW_SINCE), 0);
    db.execute_batch(sql::ADD_FOLLOW_SINCE).unwrap();
    assert_eq!(number(&db, sql::HAS_FOLLOW_SINCE), 1, "given since once: the next open does nothing");
    assert_eq!(number(&db, "SELECT since_seq FROM thread_followers WHERE user_id = 'ann'"), 0);
}
