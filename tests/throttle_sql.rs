//! The throttles' statements (`store::sql`) run natively on the migrated schema: the delays they
//! set are `Backoff::delay_after`'s, a source that must wait changes nothing, an unknown user
//! writes nothing, and a sign-up over the cap writes nothing.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod common;

use chatrooms::domain::throttle::{Backoff, HOUR_MILLIS};
use chatrooms::store::sql;
use rusqlite::{params, Connection, OptionalExtension};

const USER: &str = "00000000-0000-4000-8000-000000000001";
const SOURCE: &str = "net:tag";
const HANDLE: &str = "ana.lee";

fn schema() -> Connection {
    let db = common::migrated();
    db.execute(sql::INSERT_USER, params![USER, "ana", "pbkdf2-sha256$1000$00$00", 0, HANDLE]).unwrap();
    db
}

/// What a login's check from `SOURCE` at `now` did: whether it got in, and the source's row.
struct Checked {
    admitted: bool,
    failures: i64,
    allowed_at: i64,
    rows_written: usize,
}

fn check(db: &Connection, user: &str, now: i64, attempt: &str) -> Option<Checked> {
    let backoff = Backoff::PASSWORD;
    let mut rows_written =
        db.execute(sql::FORGET_PASSWORD_FAILURES, params![user, now - backoff.forget_after_millis]).unwrap();
    rows_written +=
        db.execute(sql::COUNT_PASSWORD_ATTEMPT, params![user, SOURCE, now, attempt, backoff.schedule()]).unwrap();
    let row = db
        .query_row(sql::PASSWORD_ATTEMPT, params![user, SOURCE, attempt], |row| {
            Ok((row.get::<_, Option<i64>>(2)?, row.get::<_, Option<i64>>(3)?))
        })
        .optional()
        .unwrap()?;
    let failures = db
        .query_row(
            "SELECT failures FROM password_failures WHERE user_id = ?1 AND source = ?2",
            params![USER, SOURCE],
            |row| row.get(0),
        )
        .unwrap();
    Some(Checked { admitted: row.0 == Some(1), failures, allowed_at: row.1.unwrap(), rows_written })
}

#[test]
fn each_check_let_in_sets_the_delay_that_backoff_gives_for_its_count() {
    let db = schema();
    let mut now = 1_000_000;
    for failures in 1..=30 {
        let checked = check(&db, USER, now, &format!("attempt {failures}")).unwrap();
        assert!(checked.admitted, "{failures}");
        assert_eq!(checked.failures, i64::from(failures));
        assert_eq!(checked.allowed_at - now, Backoff::PASSWORD.delay_after(failures), "{failures}");
        now = checked.allowed_at;
    }
}

#[test]
fn a_check_before_its_time_changes_nothing() {
    let db = schema();
    let mut now = 1_000_000;
    for n in 0..6 {
        now = check(&db, USER, now, &format!("attempt {n}")).unwrap().allowed_at;
    }
    let refused = check(&db, USER, now - 1, "too early").unwrap();
    assert!(!refused.admitted);
    assert_eq!((refused.failures, refused.allowed_at, refused.rows_written), (6, now, 0));
}

#[test]
fn a_source_quiet_for_a_day_starts_anew() {
    let db = schema();
    let mut now = 1_000_000;
    for n in 0..8 {
        now = check(&db, USER, now, &format!("attempt {n}")).unwrap().allowed_at;
    }
    let later = check(&db, USER, now + Backoff::PASSWORD.forget_after_millis, "a day later").unwrap();
    assert!(later.admitted);
    assert_eq!(later.failures, 1);
}

#[test]
fn the_ceiling_counts_only_checks_that_their_source_let_in() {
    let db = schema();
    let count = |now: i64, attempt: &str| -> Option<i64> {
        db.execute(sql::FORGET_LOGIN_CEILINGS, params![USER, now - HOUR_MILLIS]).unwrap();
        db.query_row(sql::COUNT_LOGIN_FAILURE, params![USER, SOURCE, now, attempt], |row| row.get(0))
            .optional()
            .unwrap()
    };
    let mut now = 1_000_000;
    for n in 1..=6 {
        let attempt = format!("attempt {n}");
        now = check(&db, USER, now, &attempt).unwrap().allowed_at;
        assert_eq!(count(now, &attempt), Some(n));
    }
    assert!(!check(&db, USER, now - 1, "too early").unwrap().admitted);
    assert_eq!(count(now - 1, "too early"), None);
}

#[test]
fn a_login_by_handle_counts_against_the_same_user_as_one_by_id() {
    let db = schema();
    let mut now = 1_000_000;
    for (n, user) in [USER, HANDLE, USER, HANDLE].into_iter().enumerate() {
        let checked = check(&db, user, now, &format!("attempt {n}")).unwrap();
        assert!(checked.admitted);
        assert_eq!(checked.failures, n as i64 + 1, "{user}");
        now = checked.allowed_at;
    }
    // Too early, by either name.
    assert!(!check(&db, HANDLE, now - 1, "too early").unwrap().admitted);
    let (user_id, password): (String, String) = db
        .query_row(sql::PASSWORD_ATTEMPT, params![HANDLE, SOURCE, "x"], |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!((user_id.as_str(), password.as_str()), (USER, "pbkdf2-sha256$1000$00$00"));
}

#[test]
fn an_unknown_handle_writes_nothing_and_reads_no_row() {
    let db = schema();
    assert!(check(&db, "nobody.here", 1_000_000, "attempt").is_none());
    let rows: i64 = db.query_row("SELECT count(*) FROM password_failures", [], |row| row.get(0)).unwrap();
    assert_eq!(rows, 0);
}

#[test]
fn an_unknown_user_writes_nothing_and_reads_no_row() {
    let db = schema();
    let unknown = "00000000-0000-4000-8000-00000000dead";
    assert!(check(&db, unknown, 1_000_000, "attempt").is_none());
    let deleted = db.execute(sql::FORGET_LOGIN_CEILINGS, params![unknown, 1_000_000]).unwrap();
    let mut count = db.prepare(sql::COUNT_LOGIN_FAILURE).unwrap();
    let counted =
        count.query_map(params![unknown, SOURCE, 1_000_000, "attempt"], |row| row.get::<_, i64>(0)).unwrap().count();
    assert_eq!((deleted, counted), (0, 0));
    let rows: i64 = db.query_row("SELECT count(*) FROM password_failures", [], |row| row.get(0)).unwrap();
    assert_eq!(rows, 0);
}

/// One sign-up from `tag` at `now` under `cap`: whether it was counted, and the rows written.
fn sign_up(db: &Connection, tag: &str, now: i64, cap: i64) -> (bool, usize) {
    let since = now - HOUR_MILLIS;
    let forgot = db.execute(sql::FORGET_SIGNUPS, params![tag, since, cap]).unwrap();
    let mut count = db.prepare(sql::COUNT_SIGNUP).unwrap();
    let counted = count.query_map(params![tag, since, cap, now], |row| row.get::<_, i64>(0)).unwrap().count();
    (counted == 1, forgot + counted)
}

#[test]
fn sign_ups_are_counted_over_the_last_hour_and_one_over_the_cap_writes_nothing() {
    let db = schema();
    assert_eq!(sign_up(&db, "old", 0, 3), (true, 1));
    let start = 10 * HOUR_MILLIS;
    for n in 0..3 {
        assert!(sign_up(&db, "tag", start + n * 60_000, 3).0);
    }
    // The expired sign-up of another network was forgotten by the first one let in.
    let rows: i64 =
        db.query_row("SELECT count(*) FROM signups WHERE address_tag = 'old'", [], |row| row.get(0)).unwrap();
    assert_eq!(rows, 0);
    db.execute("INSERT INTO signups (address_tag, at) VALUES ('expired', 0)", []).unwrap();
    assert_eq!(
        sign_up(&db, "tag", start + HOUR_MILLIS - 1, 3),
        (false, 0),
        "over the cap: no write, not even forgetting"
    );
    let freed: i64 = db
        .query_row(sql::SIGNUP_FREED_AT, params!["tag", start + HOUR_MILLIS - 1 - HOUR_MILLIS, 2], |row| row.get(0))
        .unwrap();
    assert_eq!(freed, start, "the oldest of the three frees the place");
    // An hour after the first, a place is free again.
    assert!(sign_up(&db, "tag", start + HOUR_MILLIS, 3).0);
}
