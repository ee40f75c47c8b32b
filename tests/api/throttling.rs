//! Abuse that must not reach a user: failed logins wait per (user, client network) with a
//! ceiling per user, unknown ids cost nothing, a limit per network in front of every password
//! check and sign-up, and sign-ups capped per network over a sliding hour.

use std::collections::HashMap;
use std::time::Duration;

use chatrooms::auth::address::AddressKey;
use chatrooms::domain::ClientNetwork;
use serde_json::{json, Value};

use crate::helpers::{app, random_id, with_database, Resp, TestApp, PASSWORD, TEST_ADDRESS_KEY};
use crate::logs::{lines_after, settled_count};

/// `POST /token` from a client address.
fn log_in_from(app: &TestApp, address: &str, user_id: &str, password: &str) -> Resp {
    app.post("/token").header("CF-Connecting-IP", address).json(json!({ "user_id": user_id, "password": password }))
}

fn sign_up_from(app: &TestApp, address: &str) -> Resp {
    app.post("/user").header("CF-Connecting-IP", address).json(json!({ "username": "flood", "password": PASSWORD }))
}

#[track_caller]
fn retry_after(response: &Resp) -> u64 {
    response.assert_error(429);
    response.header("Retry-After").expect("Retry-After").parse().unwrap()
}

/// Fails the five free checks of `user_id` from `address`.
fn fail_five_times(app: &TestApp, address: &str, user_id: &str) {
    for _ in 0..5 {
        log_in_from(app, address, user_id, "wrong password").assert_error(401);
    }
}

#[test]
fn an_attacker_failing_logins_does_not_keep_the_owner_out_from_another_address() {
    let owner = app().sign_up("besieged");
    fail_five_times(app(), "203.0.113.66", &owner.id);
    // The attacker's network now waits, even with the right password...
    assert_eq!(retry_after(&log_in_from(app(), "203.0.113.66", &owner.id, PASSWORD)), 1);
    // ...and the owner, elsewhere, logs in at once.
    let login = log_in_from(app(), "198.51.100.20", &owner.id, PASSWORD);
    login.assert_status(200);
}

#[test]
fn each_failure_past_the_fifth_doubles_the_wait_of_its_network() {
    let user = app().sign_up("patient");
    let attacker = "203.0.113.67";
    fail_five_times(app(), attacker, &user.id);
    assert_eq!(retry_after(&log_in_from(app(), attacker, &user.id, "wrong password")), 1);
    std::thread::sleep(Duration::from_millis(1100));
    log_in_from(app(), attacker, &user.id, "wrong password").assert_error(401);
    assert_eq!(retry_after(&log_in_from(app(), attacker, &user.id, "wrong password")), 2);
}

#[test]
fn ipv6_addresses_in_one_64_count_as_one_network() {
    let user = app().sign_up("v6");
    for host in 1..=5 {
        log_in_from(app(), &format!("2001:db8:66:1::{host}"), &user.id, "wrong password").assert_error(401);
    }
    log_in_from(app(), "2001:db8:66:1:ffff::9", &user.id, "wrong password").assert_error(429);
    // The neighbouring /64 is another network.
    log_in_from(app(), "2001:db8:66:2::1", &user.id, "wrong password").assert_error(401);
}

#[test]
fn a_right_password_resets_only_its_own_networks_count() {
    let user = app().sign_up("forgetful");
    let (home, elsewhere) = ("203.0.113.68", "198.51.100.21");
    for _ in 0..4 {
        log_in_from(app(), home, &user.id, "wrong password").assert_error(401);
    }
    fail_five_times(app(), elsewhere, &user.id);
    assert_eq!(log_in_from(app(), home, &user.id, PASSWORD).status, 200);
    log_in_from(app(), elsewhere, &user.id, "wrong password").assert_error(429);
    fail_five_times(app(), home, &user.id);
    log_in_from(app(), home, &user.id, "wrong password").assert_error(429);
}

#[test]
fn concurrent_attempts_from_a_network_that_must_wait_let_exactly_one_through() {
    with_database(|app| {
        let user = app.sign_up("concurrent");
        let attacker = "203.0.113.69";
        log_in_from(app, attacker, &user.id, "wrong password").assert_error(401);
        // As after twenty failures spread over time: the next check is allowed, and sets a long wait.
        app.sql(&format!("UPDATE password_failures SET failures = 20 WHERE user_id = '{}'", user.id));
        let statuses: Vec<u16> = std::thread::scope(|scope| {
            let attempts: Vec<_> = (0..20)
                .map(|_| scope.spawn(|| log_in_from(app, attacker, &user.id, "wrong password").status))
                .collect();
            attempts.into_iter().map(|attempt| attempt.join().unwrap()).collect()
        });
        let mut counts = HashMap::new();
        for status in statuses {
            *counts.entry(status).or_insert(0) += 1;
        }
        assert_eq!(counts, HashMap::from([(401, 1), (429, 19)]), "exactly one attempt reaches the password");
        let stored = app.sql(&format!("SELECT failures FROM password_failures WHERE user_id = '{}'", user.id));
        assert_eq!(stored, [json!({ "failures": 21 })], "a refused attempt is not counted");
    });
}

#[test]
fn a_hundred_failures_from_many_networks_reach_the_ceiling_of_the_user() {
    let user = app().sign_up("popular");
    let other = app().sign_up("bystander");
    for n in 0..100 {
        log_in_from(app(), &format!("198.18.{}.{}", n / 250, n % 250 + 1), &user.id, "wrong password")
            .assert_error(401);
    }
    let refused = log_in_from(app(), "198.18.9.9", &user.id, "wrong password");
    assert!((3500..=3600).contains(&retry_after(&refused)), "{:?}", refused.header("Retry-After"));
    log_in_from(app(), "198.18.9.10", &user.id, PASSWORD).assert_error(429);
    // Another user is not affected.
    assert_eq!(log_in_from(app(), "198.18.9.10", &other.id, PASSWORD).status, 200);
}

#[test]
fn unknown_user_ids_are_never_counted() {
    let stranger = random_id();
    for _ in 0..20 {
        log_in_from(app(), "203.0.113.70", &stranger, "whatever").assert_error(401);
    }
}

fn sum(lines: &[Value], field: &str) -> u64 {
    lines.iter().map(|line| line[field].as_u64().unwrap_or_else(|| panic!("{field} in {line}"))).sum()
}

#[test]
fn a_throttled_attempt_does_not_check_the_password() {
    // Told by the request's own log line, not by how long it took. The user's ceiling (100
    // failures from anywhere) holds for an hour, however slow the machine.
    let app = TestApp::spawn(&[]);
    let user = app.sign_up("target");
    for n in 0..100 {
        log_in_from(&app, &format!("198.18.{}.{}", n / 250, n % 250 + 1), &user.id, "wrong password").assert_error(401);
    }
    let before = settled_count(&app);
    log_in_from(&app, "203.0.113.71", &user.id, PASSWORD).assert_error(429);
    let lines = lines_after(&app, before, 1);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!((lines[0]["status"].as_u64(), lines[0]["pbkdf2_iterations"].as_u64()), (Some(429), Some(0)));
}

#[test]
fn a_thousand_logins_for_random_ids_write_nothing_to_d1_and_hash_nothing() {
    let app = TestApp::spawn(&[]);
    let user = app.sign_up("known");
    let before = settled_count(&app);
    // The measure itself: one wrong password for a known user writes and hashes.
    log_in_from(&app, "203.0.113.72", &user.id, "wrong password").assert_error(401);
    let known = lines_after(&app, before, 1);
    assert!(sum(&known, "rows_written") > 0 && sum(&known, "pbkdf2_iterations") == 1000, "{known:?}");

    let before = before + 1;
    std::thread::scope(|scope| {
        for thread in 0..4 {
            let app = &app;
            scope.spawn(move || {
                for n in 0..250 {
                    let address = format!("198.51.{thread}.{}", n % 200);
                    log_in_from(app, &address, &random_id(), "wrong password").assert_error(401);
                }
            });
        }
    });
    let lines = lines_after(&app, before, 1000);
    assert_eq!(lines.len(), 1000, "{}", app.log());
    assert!(lines.iter().all(|line| line["route"] == "/token" && line["status"] == 401));
    assert_eq!((sum(&lines, "rows_written"), sum(&lines, "pbkdf2_iterations")), (0, 0));
}

/// Waits, if need be, for the start of the rate limiter's next 60-second window (`wrangler
/// dev` counts in windows aligned to the clock), so that a test's requests fall in one window.
fn early_in_a_limiter_window(budget: Duration) {
    let millis = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis() % 60_000;
    if Duration::from_millis(60_000 - millis as u64) < budget {
        std::thread::sleep(Duration::from_millis(60_000 - millis as u64 + 50));
    }
}

#[test]
fn the_limit_per_network_answers_429_past_60_requests_without_touching_d1() {
    let limited = TestApp::spawn(&[("ADDRESS_RATE_LIMIT", "on")]);
    let user = limited.sign_up("limited");
    early_in_a_limiter_window(Duration::from_secs(30));
    let before = settled_count(&limited);
    // Unknown ids, from hosts of one /64: the limit counts the network, not what is asked.
    for host in 1..=60 {
        log_in_from(&limited, &format!("2001:db8:77:1::{host}"), &random_id(), "wrong password").assert_error(401);
    }
    let refused = log_in_from(&limited, "2001:db8:77:1::ffff", &user.id, PASSWORD);
    assert_eq!(retry_after(&refused), 60);
    assert_eq!(refused.body, json!({ "error": "too many requests from this address: try again later" }));
    sign_up_from(&limited, "2001:db8:77:1::1").assert_error(429);
    let lines = lines_after(&limited, before, 62);
    assert_eq!(lines.len(), 62, "{}", limited.log());
    for line in &lines[60..] {
        assert_eq!(
            (line["status"].as_u64(), line["d1"].as_u64(), line["rows_written"].as_u64()),
            (Some(429), Some(0), Some(0))
        );
    }
    // Another network, and the routes that check no password, are not limited.
    assert_eq!(log_in_from(&limited, "2001:db8:77:2::1", &user.id, PASSWORD).status, 200);
    let profile = limited.get(&format!("/user/{}", user.id)).header("CF-Connecting-IP", "2001:db8:77:1::1").send();
    assert_eq!(profile.status, 200);
}

#[test]
fn sign_ups_per_network_are_capped_over_the_last_hour_and_a_refused_one_writes_nothing() {
    let capped = TestApp::spawn(&[("SIGNUPS_PER_HOUR", "3")]);
    for host in 1..=3 {
        assert_eq!(sign_up_from(&capped, &format!("2001:db8:88:1::{host}")).status, 202);
    }
    let before = settled_count(&capped);
    let refused = sign_up_from(&capped, "2001:db8:88:1::4");
    assert!((3590..=3600).contains(&retry_after(&refused)), "{:?}", refused.header("Retry-After"));
    let line = &lines_after(&capped, before, 1)[0];
    assert_eq!((line["rows_written"].as_u64(), line["pbkdf2_iterations"].as_u64()), (Some(0), Some(0)), "{line}");
    let counts = "SELECT (SELECT count(*) FROM users) AS users, (SELECT count(*) FROM signups) AS signups";
    assert_eq!(capped.sql(counts), [json!({ "users": 3, "signups": 3 })]);
    // Another /64 is counted apart.
    assert_eq!(sign_up_from(&capped, "2001:db8:88:2::1").status, 202);
}

#[test]
fn the_sign_up_cap_counts_the_last_sixty_minutes_whatever_the_clock_hour() {
    let capped = TestApp::spawn(&[("SIGNUPS_PER_HOUR", "2")]);
    let address = "203.0.113.73";
    for _ in 0..2 {
        assert_eq!(sign_up_from(&capped, address).status, 202);
    }
    // Both 59 minutes ago, most likely in the clock hour before (where a cap per clock hour
    // would let one in): still within the hour, and a place frees when the older is an hour old.
    capped.sql("UPDATE signups SET at = at - 59 * 60 * 1000");
    let refused = sign_up_from(&capped, address);
    assert!((30..=60).contains(&retry_after(&refused)), "{:?}", refused.header("Retry-After"));
    // One of them 61 minutes ago: one place free, and only one.
    capped.sql("UPDATE signups SET at = at - 2 * 60 * 1000 WHERE at = (SELECT min(at) FROM signups)");
    assert_eq!(sign_up_from(&capped, address).status, 202);
    sign_up_from(&capped, address).assert_error(429);
}

#[test]
fn the_client_network_is_kept_only_as_its_tag_under_the_secret_key() {
    let capped = TestApp::spawn(&[("SIGNUPS_PER_HOUR", "3")]);
    assert_eq!(sign_up_from(&capped, "203.0.113.7").status, 202);
    let user = capped.sign_up("tagged");
    log_in_from(&capped, "203.0.113.7", &user.id, "wrong password").assert_error(401);
    let tag = AddressKey::new(TEST_ADDRESS_KEY).unwrap().tag(&ClientNetwork::parse(Some("203.0.113.7")));
    let stored = capped.sql("SELECT address_tag FROM signups");
    assert!(stored.contains(&json!({ "address_tag": tag })), "{stored:?}");
    let sources = capped.sql(&format!("SELECT source FROM password_failures WHERE user_id = '{}'", user.id));
    assert_eq!(sources, [json!({ "source": format!("net:{tag}") })]);
    let dump = capped.sql("SELECT * FROM signups UNION ALL SELECT source, last_at FROM password_failures");
    assert!(!format!("{dump:?}").contains("203.0.113.7"));
}

#[test]
fn without_the_address_key_logins_and_capped_sign_ups_answer_503() {
    let unkeyed = TestApp::spawn(&[("SIGNUPS_PER_HOUR", "3"), ("ADDRESS_KEY", "")]);
    let before = settled_count(&unkeyed);
    let sign_up = sign_up_from(&unkeyed, "203.0.113.74");
    assert_eq!((sign_up.status, sign_up.body.clone()), (503, json!({ "error": "service temporarily unavailable" })));
    let login = log_in_from(&unkeyed, "203.0.113.74", &random_id(), PASSWORD);
    assert_eq!(login.status, 503);
    let lines = lines_after(&unkeyed, before, 2);
    for line in &lines {
        assert!(line["error"].as_str().unwrap_or_default().contains("ADDRESS_KEY is not set"), "{line}");
    }
}
