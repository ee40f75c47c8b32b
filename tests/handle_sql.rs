//! The handle statements, natively against the migrated schema, as `store::users` runs them in
//! one batch: a handle someone has, or had within 30 days, is refused by the guard (whose
//! failure is the batch's 409); a change holds the old handle for its owner, who may take it
//! back; the changes are counted in the same statement, and past the ceiling nothing changes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatrooms::domain::HANDLE_HELD_MILLIS;
use chatrooms::store::{sql, HANDLE_IS_TAKEN};
use rusqlite::{params, Connection};

const ANA: &str = "00000000-0000-4000-8000-000000000001";
const BO: &str = "00000000-0000-4000-8000-000000000002";
const DAY: i64 = 24 * 60 * 60 * 1000;
const MAX_CHANGES: i64 = 3;

fn schema() -> Connection {
    let db = common::migrated();
    for (user, handle) in [(ANA, Some("ana")), (BO, None)] {
        db.execute(sql::INSERT_USER, params![user, "someone", "not a hash", 0, handle]).unwrap();
    }
    db
}

/// A handle change of `user` to `handle` at `now`, as the batch runs it: `Err` the guard's
/// failure, else the handle the user has after it.
fn change(db: &Connection, user: &str, handle: &str, now: i64) -> Result<Option<String>, String> {
    let tx = db.unchecked_transaction().unwrap();
    let args = params![user, handle, now, HANDLE_HELD_MILLIS, DAY, MAX_CHANGES];
    let run = |statement: &str| {
        let count = sql::highest_parameter(statement);
        tx.execute(statement, &args[..count]).map_err(|error| error.to_string())
    };
    run(sql::GUARD_HANDLE)?;
    for statement in [sql::FORGET_RELEASED_HANDLES, sql::RELEASE_HANDLE, sql::CHANGE_HANDLE, sql::TAKE_UP_HANDLE] {
        run(statement).unwrap();
    }
    let handle = tx.query_row(sql::HANDLE_CHANGES, params![user], |row| row.get(0)).unwrap();
    tx.commit().unwrap();
    Ok(handle)
}

fn refused(result: Result<Option<String>, String>) -> bool {
    matches!(result, Err(error) if error.contains(HANDLE_IS_TAKEN))
}

#[test]
fn a_free_handle_is_taken_and_one_someone_has_is_refused() {
    let db = schema();
    assert_eq!(change(&db, BO, "bo.b", 1_000).unwrap().as_deref(), Some("bo.b"));
    assert!(refused(change(&db, BO, "ana", 2_000)));
    // The refusal wrote nothing.
    let handle: Option<String> = db.query_row(sql::HANDLE_CHANGES, params![BO], |row| row.get(0)).unwrap();
    assert_eq!(handle.as_deref(), Some("bo.b"));
}

#[test]
fn a_released_handle_is_held_for_its_owner_for_30_days() {
    let db = schema();
    let now = 10 * DAY;
    assert_eq!(change(&db, ANA, "ana.lee", now).unwrap().as_deref(), Some("ana.lee"));
    // Nobody else, until the hold lapses.
    assert!(refused(change(&db, BO, "ana", now + 1)));
    assert!(refused(change(&db, BO, "ana", now + HANDLE_HELD_MILLIS - 1)));
    assert_eq!(change(&db, BO, "ana", now + HANDLE_HELD_MILLIS).unwrap().as_deref(), Some("ana"));
    let holds: i64 =
        db.query_row("SELECT count(*) FROM released_handles WHERE handle = 'ana'", [], |row| row.get(0)).unwrap();
    assert_eq!(holds, 0, "the lapsed hold went when the handle was taken");
}

#[test]
fn its_owner_may_take_a_held_handle_back() {
    let db = schema();
    change(&db, ANA, "ana.lee", DAY).unwrap();
    assert_eq!(change(&db, ANA, "ana", DAY + 1).unwrap().as_deref(), Some("ana"));
    // Now "ana.lee" is held for Ana, and "ana" is hers with no hold left on it.
    let holds: Vec<String> = db
        .prepare("SELECT handle FROM released_handles")
        .unwrap()
        .query_map([], |row| row.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    assert_eq!(holds, ["ana.lee"]);
}

#[test]
fn a_deleted_accounts_handle_is_held_too() {
    let db = schema();
    db.execute(sql::RELEASE_USER_HANDLE, params![ANA, DAY]).unwrap();
    db.execute(sql::DELETE_USER, params![ANA]).unwrap();
    assert!(refused(change(&db, BO, "ana", DAY + 1)));
    assert_eq!(change(&db, BO, "ana", DAY + HANDLE_HELD_MILLIS).unwrap().as_deref(), Some("ana"));
}

#[test]
fn changes_are_counted_and_past_the_ceiling_nothing_changes() {
    let db = schema();
    let now = 100 * DAY;
    for (n, handle) in ["b1", "b2", "b3"].iter().enumerate() {
        let handle = format!("bo.{handle}");
        assert_eq!(change(&db, BO, &handle, now + n as i64).unwrap(), Some(handle));
    }
    // The fourth in the day: refused, and nothing written (no hold on the handle Bo keeps).
    assert_eq!(change(&db, BO, "bo.b4", now + 10).unwrap().as_deref(), Some("bo.b3"));
    let held: i64 =
        db.query_row("SELECT count(*) FROM released_handles WHERE handle = 'bo.b3'", [], |row| row.get(0)).unwrap();
    assert_eq!(held, 0);
    // The handle one has already: no change, nothing counted.
    assert_eq!(change(&db, BO, "bo.b3", now + 11).unwrap().as_deref(), Some("bo.b3"));
    let counted: (i64, i64) = db
        .query_row("SELECT handle_changes, handle_window_start FROM users WHERE user_id = ?1", params![BO], |row| {
            Ok((row.get(0)?, row.get(1)?))
        })
        .unwrap();
    assert_eq!(counted, (3, now));
    // A day after the window's first change, a new window.
    assert_eq!(change(&db, BO, "bo.b4", now + DAY).unwrap().as_deref(), Some("bo.b4"));
}

#[test]
fn the_unique_index_holds_even_without_the_guard() {
    let db = schema();
    let error = db.execute("UPDATE users SET handle = 'ana' WHERE user_id = ?1", params![BO]).unwrap_err();
    assert!(error.to_string().contains("UNIQUE"), "{error}");
    let error = db.execute("UPDATE users SET handle = 'Ana' WHERE user_id = ?1", params![BO]).unwrap_err();
    assert!(error.to_string().contains("CHECK"), "lowercase only: {error}");
}

/// The handles `USERS_BY_HANDLE` finds for `prefix`.
fn search(db: &Connection, prefix: &str, limit: i64, offset: i64) -> Vec<String> {
    let mut statement = db.prepare(sql::USERS_BY_HANDLE).unwrap();
    let rows = statement.query_map(params![prefix, limit, offset], |row| row.get(2)).unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn a_search_by_prefix_finds_handles_that_start_with_it_in_order() {
    let db = schema();
    for (n, handle) in ["kim", "kim.lee", "kimberly", "kit", "kin", "akim"].iter().enumerate() {
        let user = format!("00000000-0000-4000-8000-1000000000{n:02}");
        db.execute(sql::INSERT_USER, params![user, "someone", "not a hash", 0, handle]).unwrap();
    }
    let found = search(&db, "kim", 10, 0);
    assert_eq!(found, ["kim", "kim.lee", "kimberly"]);
    let count: i64 = db.query_row(sql::USER_COUNT_BY_HANDLE, params!["kim"], |row| row.get(0)).unwrap();
    assert_eq!(count, 3);
    let page = search(&db, "ki", 2, 1);
    assert_eq!(page, ["kim.lee", "kimberly"]);
}
