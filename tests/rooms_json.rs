//! The rooms list that SQLite writes as JSON (`sql::ROOMS_OF_USER`, passed through by the
//! worker untouched) is the one the API documents: booleans, RFC 3339 times exactly as
//! `domain::time::rfc3339` writes them, `people` for a DM only, the counts, and the order.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatrooms::domain::time::rfc3339;
use chatrooms::store::sql;
use rusqlite::{params, Connection};
use serde_json::{json, Value};

const ME: &str = "00000000-0000-4000-8000-000000000001";
const YOU: &str = "00000000-0000-4000-8000-000000000002";

fn room(db: &Connection, n: u32, kind: &str, open: bool, last_message_at: Option<i64>) -> String {
    let id = format!("00000000-0000-4000-9000-{n:012}");
    db.execute(
        "INSERT INTO rooms (room_id, name, open, owner_id, created_at, kind, last_seq, last_message_at, message_count)
         VALUES (?1, ?2, ?3, ?4, 0, ?5, ?6, ?7, ?6)",
        params![id, format!("room \"{n}\" ✓"), open, ME, kind, i64::from(n), last_message_at],
    )
    .unwrap();
    id
}

fn rooms(db: &Connection, statement: &str) -> Vec<Value> {
    let text: String = db.query_row(statement, params![ME, 10, 0], |row| row.get(0)).unwrap();
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{error}: {text}"))
}

#[test]
fn the_rooms_list_is_written_as_the_api_shows_it() {
    let db = common::migrated();
    for user in [ME, YOU] {
        db.execute(sql::INSERT_USER, params![user, "someone", "not a hash", 0, None::<String>]).unwrap();
    }
    // Times whose milliseconds a conversion through floating point could get wrong.
    let times = [1_765_093_160_999, 1_000_000_000_001, 951_782_400_000];
    let quiet = room(&db, 1, "room", true, None);
    let busy = room(&db, 2, "room", false, Some(times[0]));
    let dm = room(&db, 3, "dm", false, Some(times[1]));
    let older = room(&db, 4, "room", true, Some(times[2]));
    db.execute(
        "INSERT INTO dms (low_id, high_id, room_id, started_by, at) VALUES (?1, ?2, ?3, ?2, 0)",
        params![ME, YOU, dm],
    )
    .unwrap();
    for (at, id) in [&quiet, &busy, &dm, &older].into_iter().enumerate() {
        db.execute(
            "INSERT INTO members (room_id, user_id, joined_at, present) VALUES (?1, ?2, ?3, 1)",
            params![id, ME, at as i64],
        )
        .unwrap();
    }
    // Read some of the busy room, and flag the old one unread.
    db.execute("UPDATE members SET read_seq = 1, read_ordinal = 1 WHERE room_id = ?1", params![busy]).unwrap();
    db.execute("UPDATE members SET marked_unread = 1 WHERE room_id = ?1", params![older]).unwrap();

    let by_activity = rooms(&db, sql::ROOMS_OF_USER_BY_ACTIVITY);
    let order: Vec<&str> = by_activity.iter().map(|row| row["room_id"].as_str().unwrap()).collect();
    assert_eq!(order, [busy.as_str(), dm.as_str(), older.as_str(), quiet.as_str()]);
    let joined = rooms(&db, sql::ROOMS_OF_USER);
    let order: Vec<&str> = joined.iter().map(|row| row["room_id"].as_str().unwrap()).collect();
    assert_eq!(order, [quiet.as_str(), busy.as_str(), dm.as_str(), older.as_str()]);

    assert_eq!(
        by_activity[0],
        json!({
            "room_id": busy, "name": "room \"2\" ✓", "open": false, "user_count": 1, "owner": ME, "kind": "room",
            "last_seq": 2, "last_message_at": rfc3339(times[0]), "read_seq": 1, "unread": 1, "mentions": 0,
            "marked_unread": false,
        })
    );
    assert_eq!(by_activity[1]["people"], json!([YOU, ME]));
    assert_eq!(by_activity[1]["last_message_at"], json!(rfc3339(times[1])));
    assert_eq!(by_activity[2]["last_message_at"], json!(rfc3339(times[2])));
    assert_eq!(by_activity[2]["marked_unread"], json!(true));
    assert_eq!(by_activity[3]["last_message_at"], Value::Null);
    assert_eq!(by_activity[3]["open"], json!(true));
    assert!(by_activity.iter().filter(|row| row["kind"] == "room").all(|row| row.get("people").is_none()));
}

#[test]
fn no_rooms_is_an_empty_array() {
    let db = common::migrated();
    assert!(rooms(&db, sql::ROOMS_OF_USER).is_empty());
}
