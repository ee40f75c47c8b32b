//! The key guard (`sql::GUARD_KEY`), natively on the migrated schema: it refuses with the very
//! words the worker reads as a dead key (`store::DEAD_KEY`), exactly when the key has no live
//! session row of its user, and a refused transaction leaves every row as it was. (D1 runs a
//! batch as one such transaction.)

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatrooms::store::sql::{GUARD_KEY, INSERT_SESSION, INSERT_USER, UPDATE_PASSWORD};
use chatrooms::store::DEAD_KEY;

const USER: &str = "00000000-0000-4000-8000-000000000001";
const OTHER: &str = "00000000-0000-4000-8000-000000000002";
const NOW: i64 = 1_000_000;

fn key(n: u8) -> String {
    format!("{n:064}")
}

fn schema() -> rusqlite::Connection {
    let db = common::migrated();
    for user in [USER, OTHER] {
        db.execute(INSERT_USER, (user, "someone", "old hash", 0, None::<String>)).unwrap();
    }
    // Key 1 live, key 2 expired, both the user's.
    db.execute(INSERT_SESSION, (key(1), USER, NOW + 1)).unwrap();
    db.execute(INSERT_SESSION, (key(2), USER, NOW)).unwrap();
    db
}

/// A password change as a batch guarded by `key` for `user`, in one transaction.
fn guarded_change(db: &mut rusqlite::Connection, key: &str, user: &str) -> Result<(), String> {
    let transaction = db.transaction().unwrap();
    transaction.execute(GUARD_KEY, (key, user, NOW)).map_err(|error| error.to_string())?;
    transaction.execute(UPDATE_PASSWORD, (USER, "new hash")).unwrap();
    transaction.commit().unwrap();
    Ok(())
}

fn password(db: &rusqlite::Connection) -> String {
    db.query_row("SELECT password FROM users WHERE user_id = ?1", [USER], |row| row.get(0)).unwrap()
}

#[test]
fn a_live_key_passes_the_guard_and_its_batch_commits() {
    let mut db = schema();
    guarded_change(&mut db, &key(1), USER).unwrap();
    assert_eq!(password(&db), "new hash");
    let guard_rows: i64 = db.query_row("SELECT count(*) FROM dead_key_guard", [], |row| row.get(0)).unwrap();
    assert_eq!(guard_rows, 0);
}

#[test]
fn an_expired_unknown_or_foreign_key_fails_the_guard_with_the_dead_key_words_and_writes_nothing() {
    for (key, user) in [(key(2), USER), (key(3), USER), (key(1), OTHER)] {
        let mut db = schema();
        let error = guarded_change(&mut db, &key, user).unwrap_err();
        assert!(error.contains(DEAD_KEY), "{error}");
        assert_eq!(password(&db), "old hash", "{key} {user}");
    }
}

#[test]
fn other_constraint_failures_do_not_read_as_a_dead_key() {
    let db = schema();
    let duplicate = db.execute(INSERT_SESSION, (key(1), USER, NOW)).unwrap_err().to_string();
    let malformed = db.execute(INSERT_SESSION, ("short", USER, NOW)).unwrap_err().to_string();
    for error in [duplicate, malformed] {
        assert!(!error.contains(DEAD_KEY), "{error}");
    }
}
