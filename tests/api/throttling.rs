//! Abuse: failed logins per user id and sign-ups per address are throttled with 429.

use std::collections::HashMap;

use serde_json::json;

use crate::helpers::{app, TestApp, PASSWORD};

#[track_caller]
fn assert_throttled(response: &crate::helpers::Resp) {
    response.assert_error(429);
    let retry_after: u64 = response.header("Retry-After").expect("Retry-After").parse().unwrap();
    assert!((1..=15 * 60).contains(&retry_after), "Retry-After {retry_after}");
}

#[test]
fn five_failed_logins_lock_the_user_id_even_for_the_right_password() {
    let user = app().sign_up("target");
    for _ in 0..5 {
        app().log_in(&user.id, "wrong password").assert_error(401);
    }
    assert_throttled(&app().log_in(&user.id, "wrong password"));
    assert_throttled(&app().log_in(&user.id, PASSWORD));
    // Other users are not affected, and keys already given out still work.
    let other = app().sign_up("bystander");
    assert_eq!(app().log_in(&other.id, PASSWORD).status, 200);
    assert_eq!(app().create_room_with(&user, json!({})).status, 200);
}

#[test]
fn a_throttled_attempt_does_not_check_the_password() {
    // At 300,000 iterations a checked password costs a visible fraction of a second; a
    // throttled answer must come back without that work.
    let slow = TestApp::spawn(&[("PBKDF2_ITERATIONS", "300000")]);
    let user = slow.sign_up("target");
    let time = |password: &str| {
        let start = std::time::Instant::now();
        let response = slow.log_in(&user.id, password);
        (response, start.elapsed().as_secs_f64())
    };
    let mut checked = Vec::new();
    for _ in 0..5 {
        let (response, seconds) = time("wrong password");
        response.assert_error(401);
        checked.push(seconds);
    }
    let (throttled, throttled_seconds) = time(PASSWORD);
    assert_throttled(&throttled);
    checked.sort_by(f64::total_cmp);
    assert!(throttled_seconds * 3.0 < checked[2], "throttled {throttled_seconds:.3}s, checked {checked:?}");
}

#[test]
fn a_success_resets_the_count() {
    let user = app().sign_up("forgetful");
    for _ in 0..4 {
        app().log_in(&user.id, "wrong password").assert_error(401);
    }
    assert_eq!(app().log_in(&user.id, PASSWORD).status, 200);
    for _ in 0..5 {
        app().log_in(&user.id, "wrong password").assert_error(401);
    }
    assert_throttled(&app().log_in(&user.id, "wrong password"));
}

#[test]
fn unknown_user_ids_are_throttled_alike_so_429_tells_nothing() {
    // Not UNKNOWN_ID, whose failed logins in other tests count towards the same throttle.
    let unknown = "00000000-0000-4000-8000-00000000dead";
    for _ in 0..5 {
        app().log_in(unknown, "whatever").assert_error(401);
    }
    assert_throttled(&app().log_in(unknown, "whatever"));
}

#[test]
fn concurrent_attempts_are_counted_exactly() {
    let user = app().sign_up("besieged");
    let statuses: Vec<u16> = std::thread::scope(|scope| {
        let attempts: Vec<_> =
            (0..20).map(|_| scope.spawn(|| app().log_in(&user.id, "wrong password").status)).collect();
        attempts.into_iter().map(|attempt| attempt.join().unwrap()).collect()
    });
    let mut counts = HashMap::new();
    for status in statuses {
        *counts.entry(status).or_insert(0) += 1;
    }
    assert_eq!(counts, HashMap::from([(401, 5), (429, 15)]), "exactly five attempts reach the password");
    let stored = app().sql(&format!("SELECT attempts FROM login_attempts WHERE user_id = '{}'", user.id));
    assert_eq!(stored[0]["attempts"], json!(20));
}

#[test]
fn sign_ups_per_address_are_capped_per_hour() {
    let capped = TestApp::spawn(&[("SIGNUPS_PER_HOUR", "3")]);
    let sign_up = |address: &str| {
        capped
            .post("/user")
            .header("CF-Connecting-IP", address)
            .json(json!({ "username": "flood", "password": PASSWORD }))
    };
    for _ in 0..3 {
        assert_eq!(sign_up("203.0.113.7").status, 202);
    }
    let refused = sign_up("203.0.113.7");
    refused.assert_error(429);
    let retry_after: u64 = refused.header("Retry-After").unwrap().parse().unwrap();
    assert!((1..=3600).contains(&retry_after), "{retry_after}");
    // Another address is counted apart; the address itself is not stored.
    assert_eq!(sign_up("198.51.100.1").status, 202);
    let stored = capped.sql("SELECT address_hash FROM signups");
    assert!(stored.iter().all(|row| !row["address_hash"].as_str().unwrap().contains("203.0.113.7")));
    // Bad input is refused before it counts.
    capped.post("/user").header("CF-Connecting-IP", "192.0.2.9").json(json!({ "username": "" })).assert_error(400);
}
