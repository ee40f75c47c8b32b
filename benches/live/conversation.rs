//! Section 9, conversation. First, what replies and reactions cost a page of history: two open
//! rooms of one instance, each of 60 messages: in one, plain messages; in the other, every
//! message a reply to the one before and carrying three people's reactions (three keys each).
//! The newest page of 50 of each, read alternately (p50 of 201 each, a viewer's read: no key),
//! side by side. Then search: a room of 100,000 messages (written into the room's own SQLite
//! file while wrangler is stopped, with the service's own statements and index), searched for a
//! 10-character word, a Japanese phrase, two Japanese characters (read, not indexed) and two
//! characters found nowhere (a page that reads its 5,000), each beside the same room's newest
//! page of history, alternately; and what the index costs a post, in time and storage, natively
//! on the room's schema (the SQLite the room's object runs), with and without it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use chatrooms::domain::search::indexed_form;
use chatrooms::live::history::{sql, SCHEMA};
use rusqlite::{params, Connection};
use serde_json::json;

use crate::helpers::{TestApp, User};
use crate::{percentile, side_by_side, Outcome, Probe, Report};

const MESSAGES: usize = 60;
const PAGE: usize = 50;
const KEYS: [&str; 3] = ["%F0%9F%91%8D", "%F0%9F%8E%89", "ok"];

pub fn section(report: &mut Report) -> Outcome {
    report.section("9. Conversation: replies and reactions in a page of history; search in a room of 100,000 messages");
    // Each talker reacts 180 times and posts 20 times within a minute or so.
    let app = TestApp::spawn(&[("REACTIONS_PER_MINUTE", "off"), ("POSTS_PER_MINUTE", "off")]);
    let people: Vec<User> = (0..3).map(|n| app.sign_up(&format!("talker {n}"))).collect();
    let plain = app.create_named_room(&people[0], "plain", true);
    let rich = app.create_named_room(&people[0], "rich", true);
    for person in &people[1..] {
        for room in [&plain, &rich] {
            app.join(room, person);
        }
    }
    let mut parent: Option<String> = None;
    for n in 0..MESSAGES {
        let text = format!("message {n}: a line of ordinary length, as people write them in a chat");
        let posted = app.post_message(&plain, &people[n % 3], &text);
        if posted.status != 201 {
            return Err(format!("a post answered {} {}", posted.status, posted.text));
        }
        let body = json!({ "text": text, "reply_to": parent });
        let reply = app.post(&format!("/room/{rich}/messages")).by(&people[n % 3]).json(body);
        let message_id = reply.body["message_id"].as_str().ok_or(format!("a reply answered {}", reply.text))?;
        for person in &people {
            for key in KEYS {
                let path = format!("/room/{rich}/messages/{message_id}/reactions/{key}");
                let reacted = app.put(&path).by(person).send();
                if reacted.status != 200 {
                    return Err(format!("a reaction answered {} {}", reacted.status, reacted.text));
                }
            }
        }
        parent = Some(message_id.to_owned());
    }
    let page = |room: &str| Probe::get(format!("/room/{room}/messages?limit={PAGE}"));
    let (rich_ms, plain_ms) = side_by_side((&app.base, &page(&rich)), (&app.base, &page(&plain)), 201)?;
    let ratio = rich_ms / plain_ms;
    report.row(
        "GET /room/{id}/messages?limit=50: p50 ms, with replies and 9 reactions each (plain)",
        "≤ 1.3×",
        format!("{rich_ms:.2} ({plain_ms:.2}): {ratio:.2}×"),
        ratio <= 1.3,
    );
    search_section(report)?;
    report.note(
        "A page reads its messages with their parents in one statement (a LEFT JOIN on seq) and their \
         reactions in one more, from each message's counted keys (`reaction_counts`), never every \
         reaction. A search of 3 characters or more is one statement on the room's trigram index \
         (FTS5, contentless); one of 1 or 2 reads at most 5,000 messages, 500 at a time."
            .to_string(),
    );
    Ok(())
}

/// Messages of the searched room.
const ARCHIVE: i64 = 100_000;
/// Searches of each kind, and pages of history beside them.
const SEARCHES: usize = 101;

/// The searched room's message `n`: ordinary English, and one in a hundred about a restaurant,
/// one in a hundred in Japanese.
fn archive_text(n: i64) -> String {
    const WORDS: [&str; 24] = [
        "the", "plan", "is", "fine", "but", "we", "should", "check", "with", "everyone", "before", "friday", "lunch",
        "ticket", "meeting", "later", "thanks", "sure", "maybe", "tomorrow", "morning", "call", "sent", "draft",
    ];
    match n % 100 {
        0 => format!("let us meet at the restaurant near the station, message {n}"),
        50 => format!("明日東京で会いましょう ({n})"),
        _ => {
            let mut state = n as u64 * 6364136223846793005 + 1442695040888963407;
            let words: Vec<&str> = (0..8)
                .map(|_| {
                    state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
                    WORDS[(state >> 33) as usize % WORDS.len()]
                })
                .collect();
            words.join(" ")
        }
    }
}

/// The room object's SQLite file for `room`, under a stopped instance's state.
fn room_file(state: &Path, room: &str) -> Outcome<PathBuf> {
    let dir = state.join("v3/do/chatrooms-LiveRoom");
    for entry in std::fs::read_dir(&dir).map_err(|e| format!("{}: {e}", dir.display()))? {
        let path = entry.map_err(|e| e.to_string())?.path();
        if path.extension().is_some_and(|ext| ext == "sqlite") && !path.ends_with("metadata.sqlite") {
            let db = Connection::open(&path).map_err(|e| e.to_string())?;
            let id: Option<String> = db.query_row("SELECT room_id FROM about", [], |row| row.get(0)).ok();
            if id.as_deref() == Some(room) {
                return Ok(path);
            }
        }
    }
    Err(format!("no room object's file for {room} under {}", dir.display()))
}

/// Writes `ARCHIVE` messages into the room's file, as posts would: each an event, a message
/// numbered after the last, and its text in the index.
fn fill_archive(file: &Path, author: &str) -> Outcome {
    let mut db = Connection::open(file).map_err(|e| e.to_string())?;
    let start: i64 = db.query_row("SELECT max(seq) FROM events", [], |row| row.get(0)).map_err(|e| e.to_string())?;
    let tx = db.transaction().map_err(|e| e.to_string())?;
    for n in 1..=ARCHIVE {
        let seq = start + n;
        let text = archive_text(n);
        let id = format!("{:08x}-0000-4000-8000-{:012x}", 0x0bad_cafe_u32, seq);
        let at = 1_760_000_000_000 + seq * 1000;
        tx.execute(sql::APPEND_EVENT, params![seq, at, r#"{"type":"message"}"#, seq]).map_err(|e| e.to_string())?;
        tx.execute(sql::INSERT_MESSAGE, params![seq, id, author, text, at, None::<String>, None::<i64>, None::<i64>])
            .map_err(|e| e.to_string())?;
        tx.execute(sql::INDEX_TEXT, params![seq, indexed_form(&text)]).map_err(|e| e.to_string())?;
    }
    tx.commit().map_err(|e| e.to_string())
}

fn search_section(report: &mut Report) -> Outcome {
    let mut app = TestApp::spawn(&[]);
    let owner = app.sign_up("archivist");
    let room = app.create_named_room(&owner, "archive", true);
    let first = app.post_message(&room, &owner, "the room's first message");
    if first.status != 201 {
        return Err(format!("a post answered {} {}", first.status, first.text));
    }
    let filled = Instant::now();
    let mut outcome = Ok(());
    app.restart_with(&[], |state| outcome = room_file(state, &room).and_then(|file| fill_archive(&file, &owner.id)));
    outcome?;
    println!("  wrote {ARCHIVE} messages into the room in {:.0} s", filled.elapsed().as_secs_f64());
    let newest = Probe::get(format!("/room/{room}/messages?limit=20"));
    // The object's first call after the restart opens its storage: not what is measured.
    side_by_side((&app.base, &newest), (&app.base, &newest), 3)?;
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    for (what, q) in [
        ("a 10-character word, in 1% of messages", "restaurant"),
        ("a Japanese phrase, in 1%", "%E4%BC%9A%E3%81%84%E3%81%BE%E3%81%97%E3%82%87%E3%81%86"),
        ("2 Japanese characters (read, not indexed), in 1%", "%E6%9D%B1%E4%BA%AC"),
        ("2 characters found nowhere: one page reads 5,000", "zq"),
    ] {
        let search = Probe::get(format!("/room/{room}/search?q={q}&limit=20"));
        let (mut searched, mut paged) = (Vec::new(), Vec::new());
        for _ in 0..SEARCHES {
            searched.push(search.send(&agent, &app.base, 0)?);
            paged.push(newest.send(&agent, &app.base, 0)?);
        }
        searched.sort_unstable();
        paged.sort_unstable();
        let (s50, s99, p50, p99) = (
            percentile(&searched, 0.5),
            percentile(&searched, 0.99),
            percentile(&paged, 0.5),
            percentile(&paged, 0.99),
        );
        report.info(
            &format!("search, {what}: p50/p99 ms (newest page of history)"),
            "(reported)",
            format!("{s50:.1}/{s99:.1} ({p50:.1}/{p99:.1}); {:.2}x the p50", s50 / p50),
        );
    }
    index_cost(report)
}

/// What the index costs a post, natively on the room's schema: time per post and bytes per
/// message, with and without it, for 20,000 posts of the archive's texts.
fn index_cost(report: &mut Report) -> Outcome {
    const POSTS: i64 = 20_000;
    let mut measured = Vec::new();
    for indexed in [false, true] {
        let db = Connection::open_in_memory().map_err(|e| e.to_string())?;
        for statement in SCHEMA {
            db.execute_batch(statement).map_err(|e| e.to_string())?;
        }
        if !indexed {
            db.execute_batch("DROP TABLE search").map_err(|e| e.to_string())?;
        }
        let pages = |db: &Connection| -> Outcome<i64> {
            db.query_row("SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()", [], |row| {
                row.get(0)
            })
            .map_err(|e| e.to_string())
        };
        let empty = pages(&db)?;
        let started = Instant::now();
        for seq in 1..=POSTS {
            let text = archive_text(seq);
            db.execute(
                sql::INSERT_MESSAGE,
                params![seq, format!("m{seq}"), "u", text, seq, None::<String>, None::<i64>, None::<i64>],
            )
            .map_err(|e| e.to_string())?;
            if indexed {
                db.execute(sql::INDEX_TEXT, params![seq, indexed_form(&text)]).map_err(|e| e.to_string())?;
            }
        }
        let per_post = started.elapsed().as_secs_f64() * 1e6 / POSTS as f64;
        measured.push((per_post, (pages(&db)? - empty) as f64 / POSTS as f64));
    }
    let [(plain_us, plain_bytes), (indexed_us, indexed_bytes)] = measured[..] else {
        return Err("two measures".into());
    };
    report.info(
        "the index's cost per post, natively: µs and bytes per message, with it (without)",
        "(reported)",
        format!("{indexed_us:.1} µs, {indexed_bytes:.0} B ({plain_us:.1} µs, {plain_bytes:.0} B)"),
    );
    Ok(())
}
