//! The benchmark (`scripts/bench.sh`): starts its own `wrangler dev` instances on loopback,
//! measures the five things the performance issue asks for and the live rooms' fan-out and
//! costs (section 6, benches/live), prints a table with each target beside what was measured,
//! and writes it to `bench/RESULTS.md` with the machine and versions.
//! Shared machines are noisy: every comparison is measured side by side in the same run
//! (alternating), and medians and ratios are what count.
//!
//! `BENCH_SECONDS` (default 2) sets the length of each of the five throughput rounds.
//! `BENCH_SECTIONS=2,4` runs only those sections, and prints their markdown at the end.
//! Section 8 (benches/live/inbox.rs) is the inbox's latency and cost; `BENCH_INBOX_MEMBERS=200,1000`
//! (the default) sets the numbers of connected members of its rounds. Section 9
//! (benches/live/conversation.rs) is what replies and reactions cost a page of history.
//! Section 12 (benches/live/spread.rs) is a room past one object: `BENCH_SPREAD_SOCKETS`
//! (5,000) sockets over fan-out objects beside one object holding them all.
//! `BENCH_SMOKE=1` runs only the smoke check the test command uses: both workers start, answer
//! one read route identically, side by side, and deliver every message of a few seconds'
//! posting to a few sockets, once and in order. Neither of the two writes `bench/RESULTS.md`.
//!
//! A worker's unexpected answer ends the run with a message naming the request, the status and
//! the body, and a non-zero exit.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod files;
#[allow(dead_code, unused_imports)]
#[path = "../tests/api/helpers/mod.rs"]
mod helpers;
mod live;

use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use chatrooms::auth::session::SessionKey;
use chatrooms::store::sql;
use serde_json::{json, Value};

use helpers::{TestApp, PASSWORD, ROOT};

/// Why the run stopped, said for a person reading the output.
type Outcome<T = ()> = Result<T, String>;

/// Users are `user(i)`: user 0 owns every seeded room.
fn user(i: u32) -> String {
    format!("00000000-0000-4000-8000-{i:012x}")
}
/// Rooms are `room(i)`: room 1 has 10 members, rooms 2-10 only their owner; in the large
/// database room 11 has 100,000 members and rooms 12-10,011 fill the directory. No room has
/// messages: they live in each room's object, not in D1 (section 6 measures those).
fn room(i: u32) -> String {
    format!("00000000-0000-4000-9000-{i:012x}")
}
/// The session key of seeded user `i` (users 1-16 have one, in KV).
fn key(i: u32) -> String {
    let mut key = String::new();
    for _ in 0..4 {
        write!(key, "{i:016x}").unwrap();
    }
    key
}

const SMALL_ROOM: u32 = 1;
const BIG_ROOM: u32 = 11;
const CONNECTIONS: usize = 16;
const BASELINE: &str = "bench/baseline/wrangler.toml";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => {
            eprintln!("\nbenchmark failed: {failure}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> Outcome {
    let started = Instant::now();
    let round_seconds: f64 = std::env::var("BENCH_SECONDS").ok().and_then(|s| s.parse().ok()).unwrap_or(2.0);
    let only: Option<Vec<u32>> = std::env::var("BENCH_SECTIONS")
        .ok()
        .map(|list| list.split(',').filter_map(|n| n.trim().parse().ok()).collect());
    let smoke_only = std::env::var("BENCH_SMOKE").is_ok_and(|value| value == "1");
    let wanted = |section: u32| only.as_ref().is_none_or(|only| only.contains(&section));
    let mut report =
        Report { write: only.is_none() && !smoke_only, print: only.is_some() && !smoke_only, ..Report::default() };
    write_baseline_sql()?;

    if smoke_only {
        smoke(&mut report)?;
        return report.finish(started.elapsed());
    }
    if wanted(1) {
        hashing(&mut report)?;
    }
    // The live section starts instances of its own.
    let small = if [2, 4, 5].into_iter().any(wanted) {
        Some(seeded(&[("COUNT_ROUND_TRIPS", "off")], false, "wrangler.toml")?)
    } else {
        None
    };
    if let (true, Some(small)) = (wanted(2), &small) {
        // BENCH_BASELINE=<a wrangler config> compares the worker with another build of it instead
        // (say, main before a change), by the same measures.
        let baseline_config = std::env::var("BENCH_BASELINE").unwrap_or_else(|_| BASELINE.to_string());
        let baseline = seeded(&[], false, &baseline_config)?;
        overhead(&mut report, small, &baseline, round_seconds)?;
    }
    if wanted(3) {
        round_trips(&mut report, &seeded(&[("COUNT_ROUND_TRIPS", "on")], false, "wrangler.toml")?)?;
    }
    if let (true, Some(small)) = (wanted(4), &small) {
        scale(&mut report, &seeded(&[], true, "wrangler.toml")?, small)?;
    }
    if let (true, Some(small)) = (wanted(5), small) {
        size_and_start(&mut report, small)?;
    }
    if wanted(6) {
        live::section(&mut report, &live::FULL)?;
    }
    if wanted(7) {
        live::resume::section(&mut report)?;
    }
    if wanted(8) {
        live::inbox::section(&mut report)?;
    }
    if wanted(9) {
        live::conversation::section(&mut report)?;
    }
    if wanted(10) {
        files::section(&mut report)?;
    }
    if wanted(11) {
        live::idle::section(&mut report)?;
    }
    if wanted(12) {
        live::spread::section(&mut report)?;
    }
    report.finish(started.elapsed())
}

// ---------------------------------------------------------------------------------------------
// Fixtures.

/// The baseline runs the service's own statements: written from src/store/sql.rs.
fn write_baseline_sql() -> Outcome {
    let mut module = String::from("// Written by benches/bench.rs from src/store/sql.rs: do not edit.\n");
    for (name, statement) in sql::ALL {
        writeln!(module, "export const {name} = {};", serde_json::to_string(statement).unwrap()).unwrap();
    }
    let path = Path::new(ROOT).join("bench/baseline/sql.js");
    std::fs::write(&path, module).map_err(|error| format!("writing {}: {error}", path.display()))
}

/// An instance with the seeded database (small, or large too) and the seeded users' keys.
fn seeded(vars: &[(&str, &str)], large: bool, config: &str) -> Outcome<TestApp> {
    let app = with_rooms(vars, large, config)?;
    seed_keys(&app, config)?;
    Ok(app)
}

/// The seeded users' session keys, put in the instance's KV.
fn seed_keys(app: &TestApp, config: &str) -> Outcome {
    let keys = app.state.join("keys.json");
    let entries: Vec<Value> = (1..=16)
        .map(|i| json!({ "key": SessionKey::parse(&key(i)).unwrap().hash().as_str(), "value": user(i) }))
        .collect();
    write_file(&keys, &serde_json::to_string(&entries).unwrap())?;
    wrangler(
        &["kv", "bulk", "put", "--binding", "SESSIONS", "--local", "--config", config, "--persist-to"],
        &app.state,
        &[&keys.display().to_string()],
    )
}

/// An instance with the seeded database (small, or large too) and no session keys.
fn with_rooms(vars: &[(&str, &str)], large: bool, config: &str) -> Outcome<TestApp> {
    let app = TestApp::spawn_with_config(config, vars);
    // The launcher's readiness probe asks for a user who does not exist yet: each worker must
    // say so as the service does, or the probe would have passed on the wrong kind of answer.
    let probe = Probe { expect: 404, ..Probe::get(format!("/user/{}", user(0))) };
    let answer = probe.answer(&ureq::agent(), &app.base, 0).map_err(|failure| format!("{config}: {failure}"))?;
    if answer.json != json!({ "error": "user not found" }) {
        return Err(format!("{config}: GET {}: 404 but not the service's body: {}", probe.path, answer.json));
    }
    let seed = app.state.join("seed.sql");
    write_file(&seed, &seed_sql(large))?;
    let started = Instant::now();
    wrangler(
        &["d1", "execute", "DB", "--local", "--config", config, "--persist-to"],
        &app.state,
        &["--file", &seed.display().to_string()],
    )?;
    if large {
        println!("seeded 100,000 members and 10,000 rooms in {:.0} s", started.elapsed().as_secs_f64());
    }
    Ok(app)
}

fn write_file(path: &Path, text: &str) -> Outcome {
    std::fs::write(path, text).map_err(|error| format!("writing {}: {error}", path.display()))
}

/// A wrangler command on an instance's state. Seeding runs a second workerd on the SQLite file
/// of the running one, which may hold its lock for a moment after a request (a real D1 never
/// does): a command that found the database locked is tried again.
fn wrangler(before_state: &[&str], state: &Path, after_state: &[&str]) -> Outcome {
    let mut attempts = 0;
    loop {
        attempts += 1;
        let output = Command::new(Path::new(ROOT).join("node_modules/.bin/wrangler"))
            .args(before_state)
            .arg(state)
            .args(after_state)
            .current_dir(ROOT)
            .env("CI", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .output()
            .map_err(|error| format!("wrangler {before_state:?} did not start: {error}"))?;
        if output.status.success() {
            return Ok(());
        }
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !stderr.contains("SQLITE_BUSY") || attempts == 5 {
            return Err(format!("wrangler {before_state:?} (attempt {attempts}): {stderr}"));
        }
        println!("wrangler {before_state:?} found the database locked; trying again");
        std::thread::sleep(Duration::from_secs(1));
    }
}

/// Seeded through SQL, not the API: users, rooms, memberships (with positions, so the
/// triggers keep every counter) and the session rows of the seeded keys.
fn seed_sql(large: bool) -> String {
    let users = if large { 100_000 } else { 17 };
    // D1 decides whether a key is live: each seeded key has its session row (and its KV entry).
    let sessions: Vec<String> = (1..=16)
        .map(|i| format!("('{}', '{}', 4102444800000)", SessionKey::parse(&key(i)).unwrap().hash().as_str(), user(i)))
        .collect();
    let mut sql = format!(
        "WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < {last_user})
         INSERT INTO users (user_id, username, password, created_at)
         SELECT printf('00000000-0000-4000-8000-%012x', i), 'user ' || i, 'not a hash', 0 FROM n;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 10)
         INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at)
         SELECT printf('00000000-0000-4000-9000-%012x', i), 'room ' || i, 'room ' || i, 1, '{owner}', 0 FROM n;
         INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
         SELECT room_id, owner_id, 0, 1, 1, 1 FROM rooms;
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 9)
         INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
         SELECT '{small}', printf('00000000-0000-4000-8000-%012x', i), i, 1, 0, i + 1 FROM n;
         INSERT INTO sessions (key_hash, user_id, expires_at) VALUES {sessions};",
        last_user = users - 1,
        owner = user(0),
        small = room(SMALL_ROOM),
        sessions = sessions.join(", "),
    );
    if large {
        write!(
            sql,
            "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at)
             VALUES ('{big}', 'the big room', 'the big room', 1, '{owner}', 0);
             WITH RECURSIVE n(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM n WHERE i < 99999)
             INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
             SELECT '{big}', printf('00000000-0000-4000-8000-%012x', i), i, 1, i = 0, i + 1 FROM n;
             WITH RECURSIVE n(i) AS (SELECT 12 UNION ALL SELECT i + 1 FROM n WHERE i < 10011)
             INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at)
             SELECT printf('00000000-0000-4000-9000-%012x', i), 'room ' || i, 'room ' || i, 1, '{owner}', 0 FROM n;
             INSERT INTO members (room_id, user_id, joined_at, present, admin, position)
             SELECT room_id, owner_id, 0, 1, 1, 1 FROM rooms WHERE room_id > '{big}';
             UPDATE rooms SET last_seq = 120, last_message_at = 1, message_count = 100
              WHERE room_id > '{big}' AND room_id <= printf('00000000-0000-4000-9000-%012x', 211);
             INSERT INTO members (room_id, user_id, joined_at, present, admin, position, read_seq, read_ordinal)
             SELECT room_id, '{many}', 1, 1, 0, 2, 60, 50 FROM rooms
              WHERE room_id > '{big}' AND room_id <= printf('00000000-0000-4000-9000-%012x', 210);
             INSERT INTO members (room_id, user_id, joined_at, present, admin, position, read_seq, read_ordinal)
             VALUES (printf('00000000-0000-4000-9000-%012x', 211), '{few}', 1, 1, 0, 2, 60, 50);",
            big = room(BIG_ROOM),
            owner = user(0),
            many = user(2),
            few = user(3),
        )
        .unwrap();
    }
    sql
}

// ---------------------------------------------------------------------------------------------
// Measuring.

/// One request the load generator repeats.
#[derive(Clone)]
struct Probe {
    method: &'static str,
    path: String,
    /// Connection n sends the key of seeded user n + 1.
    keyed: bool,
    expect: u16,
    /// Every connection sends the key of seeded user n instead.
    as_user: Option<u32>,
}

/// A worker's JSON answer with the status a probe expects.
struct Answer {
    elapsed: Duration,
    json: Value,
}

impl Probe {
    fn get(path: String) -> Self {
        Self { method: "GET", path, keyed: false, expect: 200, as_user: None }
    }

    /// How long the answer took, timed up to its last byte.
    fn send(&self, agent: &ureq::Agent, base: &str, connection: usize) -> Outcome<Duration> {
        self.exchange(agent, base, connection).map(|(elapsed, _)| elapsed)
    }

    /// The answer, which must be JSON too.
    fn answer(&self, agent: &ureq::Agent, base: &str, connection: usize) -> Outcome<Answer> {
        let (elapsed, body) = self.exchange(agent, base, connection)?;
        let json = serde_json::from_str(&body)
            .map_err(|error| format!("{} {base}{}: not JSON ({error}): {body}", self.method, self.path))?;
        Ok(Answer { elapsed, json })
    }

    /// The time and body of an answer with the expected status.
    fn exchange(&self, agent: &ureq::Agent, base: &str, connection: usize) -> Outcome<(Duration, String)> {
        let mut request = agent.request(self.method, &format!("{base}{}", self.path));
        if let Some(user) = self.as_user {
            request = request.set("Authorization", &format!("Bearer {}", key(user)));
        } else if self.keyed {
            request = request.set("Authorization", &format!("Bearer {}", key(connection as u32 + 1)));
        }
        let started = Instant::now();
        let result = request.call();
        let what = || format!("{} {base}{}", self.method, self.path);
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => return Err(format!("{}: no answer: {error}", what())),
        };
        let status = response.status();
        let content_type = response.content_type().to_string();
        let body = response.into_string().map_err(|error| format!("{}: {status}, body unreadable: {error}", what()))?;
        let elapsed = started.elapsed();
        if status != self.expect {
            return Err(format!("{}: {status} ({content_type}), not {}: {body}", what(), self.expect));
        }
        Ok((elapsed, body))
    }
}

#[derive(Clone, Copy, Default)]
struct Stats {
    per_second: f64,
    p50: f64,
    p99: f64,
}

fn percentile(sorted: &[Duration], fraction: f64) -> f64 {
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize].as_secs_f64() * 1000.0
}

/// `connections` clients, each on its own keep-alive connection, for `seconds`.
fn load(base: &str, probe: &Probe, connections: usize, seconds: f64) -> Outcome<Stats> {
    let deadline = Instant::now() + Duration::from_secs_f64(seconds);
    let started = Instant::now();
    let mut latencies: Vec<Duration> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..connections)
            .map(|connection| {
                scope.spawn(move || -> Outcome<Vec<Duration>> {
                    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(30)).build();
                    let mut latencies = Vec::new();
                    while Instant::now() < deadline {
                        latencies.push(probe.send(&agent, base, connection)?);
                    }
                    Ok(latencies)
                })
            })
            .collect();
        let mut all = Vec::new();
        for worker in workers {
            all.extend(worker.join().map_err(|_| "a load connection's thread panicked".to_string())??);
        }
        Ok::<_, String>(all)
    })?;
    if latencies.is_empty() {
        return Err(format!("{} {base}{}: no request finished in {seconds} s", probe.method, probe.path));
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    Ok(Stats {
        per_second: latencies.len() as f64 / elapsed,
        p50: percentile(&latencies, 0.5),
        p99: percentile(&latencies, 0.99),
    })
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn median_stats(rounds: &[Stats]) -> Stats {
    Stats {
        per_second: median(rounds.iter().map(|s| s.per_second).collect()),
        p50: median(rounds.iter().map(|s| s.p50).collect()),
        p99: median(rounds.iter().map(|s| s.p99).collect()),
    }
}

/// Median milliseconds of `n` sequential calls of each probe, the two alternating.
fn side_by_side(a: (&str, &Probe), b: (&str, &Probe), n: usize) -> Outcome<(f64, f64)> {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let (mut first, mut second) = (Vec::new(), Vec::new());
    for _ in 0..n {
        first.push(a.1.send(&agent, a.0, 0)?.as_secs_f64() * 1000.0);
        second.push(b.1.send(&agent, b.0, 0)?.as_secs_f64() * 1000.0);
    }
    Ok((median(first), median(second)))
}

/// Both workers' answers to a read, which must be the same JSON; how long each took.
fn same_answers(
    agent: &ureq::Agent,
    ours: &TestApp,
    baseline: &TestApp,
    probe: &Probe,
) -> Outcome<(Duration, Duration)> {
    let (mine, theirs) = (probe.answer(agent, &ours.base, 0)?, probe.answer(agent, &baseline.base, 0)?);
    if mine.json != theirs.json {
        return Err(format!(
            "{} {}: the baseline answers {}, the service {}",
            probe.method, probe.path, theirs.json, mine.json
        ));
    }
    Ok((mine.elapsed, theirs.elapsed))
}

// ---------------------------------------------------------------------------------------------
// The five sections.

fn hashing(report: &mut Report) -> Outcome {
    report.section("1. Password hashing: one login at PBKDF2_ITERATIONS=600000");
    let app = TestApp::spawn(&[("PBKDF2_ITERATIONS", "600000")]);
    let user = app.sign_up("bench");
    // GET: the original clients' form, the one that takes the password in the query (POST takes
    // it in the body only).
    let login = Probe {
        method: "GET",
        path: format!("/token?user_id={}&password={}", user.id, PASSWORD.replace(' ', "%20")),
        keyed: false,
        expect: 200,
        as_user: None,
    };
    let profile = Probe::get(format!("/user/{}", user.id));
    let base = app.base.clone();
    // Warm the isolate (and let V8 tier the hashing code up) before measuring.
    side_by_side((&base, &login), (&base, &profile), 2)?;
    let (with_login, without) = side_by_side((&base, &login), (&base, &profile), 11)?;
    let hashing = with_login - without;
    report.row(
        "login minus a login-free request (median of 11, ms)",
        "≤ 170",
        format!("{hashing:.0} ({with_login:.0} − {without:.1})"),
        hashing <= 170.0,
    );
    let (unknown, wrong) = unknown_beside_wrong(&app, &user.id, 11)?;
    report.row(
        "login for an unknown id, beside a wrong password for a known one (median of 11, ms)",
        "no hashing",
        format!("{unknown:.1} beside {wrong:.0}"),
        unknown * 5.0 < wrong,
    );
    let (ours_native, stock_native) = native_pbkdf2_millis();
    report.info("our code natively, this machine (ms)", "(reference)", format!("{ours_native:.0}"));
    report.info(
        "stock pbkdf2 + sha2 natively, with the CPU's SHA extensions (ms)",
        "(the limit)",
        format!("{stock_native:.0}"),
    );
    report.note(format!(
        "In workerd the login's hashing takes {:.2}× our code's native time and {:.2}× the SHA-extension limit.",
        hashing / ours_native,
        hashing / stock_native
    ));
    Ok(())
}

/// Median milliseconds of `n` alternating logins: for an unknown id, which costs no hashing
/// and no write, and with a wrong password for `user_id`, each from a client network of its own
/// so that the delays per network never answer instead.
fn unknown_beside_wrong(app: &TestApp, user_id: &str, n: u8) -> Outcome<(f64, f64)> {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let login = |user_id: &str, address: &str| -> Outcome<f64> {
        let started = Instant::now();
        let result = agent
            .post(&format!("{}/token", app.base))
            .set("CF-Connecting-IP", address)
            .send_json(json!({ "user_id": user_id, "password": "wrong password" }));
        let elapsed = started.elapsed().as_secs_f64() * 1000.0;
        match result {
            Err(ureq::Error::Status(401, _)) => Ok(elapsed),
            Ok(response) | Err(ureq::Error::Status(_, response)) => {
                Err(format!("POST /token with a wrong password: {}, not 401", response.status()))
            }
            Err(error) => Err(format!("POST /token: no answer: {error}")),
        }
    };
    let unknown_id = "00000000-0000-4000-8000-00000000b0b0";
    let (mut unknown, mut wrong) = (Vec::new(), Vec::new());
    for round in 0..n {
        unknown.push(login(unknown_id, "198.51.100.1")?);
        wrong.push(login(user_id, &format!("203.0.113.{round}"))?);
    }
    Ok((median(unknown), median(wrong)))
}

/// Median milliseconds of 600,000 iterations natively: our implementation, and the stock
/// crates (whose sha2 uses the CPU's SHA extensions when it has them).
fn native_pbkdf2_millis() -> (f64, f64) {
    let time = |hash: &dyn Fn(&mut [u8; 32])| {
        let mut out = [0u8; 32];
        median(
            (0..5)
                .map(|_| {
                    let started = Instant::now();
                    hash(&mut out);
                    started.elapsed().as_secs_f64() * 1000.0
                })
                .collect(),
        )
    };
    let ours = time(&|out| chatrooms::auth::password::pbkdf2_sha256(b"correct horse battery", &[7; 16], 600_000, out));
    let stock = time(&|out| pbkdf2::pbkdf2_hmac::<sha2::Sha256>(b"correct horse battery", &[7; 16], 600_000, out));
    (ours, stock)
}

fn overhead(report: &mut Report, ours: &TestApp, baseline: &TestApp, seconds: f64) -> Outcome {
    report.section(
        "2. Request overhead: 16 connections, the Rust worker beside a plain-JS worker running the same D1 batch (and room object)",
    );
    let probes = [
        ("GET /room/{id}", Probe::get(format!("/room/{}", room(SMALL_ROOM))), true),
        ("GET /room/{id}/members", Probe::get(format!("/room/{}/members", room(SMALL_ROOM))), true),
        ("GET /room/{id}/messages (empty)", Probe::get(format!("/room/{}/messages", room(SMALL_ROOM))), true),
        (
            "POST /room/{id}/members (join)",
            Probe {
                method: "POST",
                path: format!("/room/{}/members", room(SMALL_ROOM)),
                keyed: true,
                expect: 200,
                as_user: None,
            },
            false,
        ),
    ];
    // What a request costs before any of the service's work: a path no route serves, answered
    // with a JSON 404 by each worker.
    let unrouted = Probe { expect: 404, ..Probe::get("/nowhere/at/all/here".to_string()) };
    // Same answers first: the baseline does the same work.
    for probe in probes.iter().filter(|(_, _, read)| *read).map(|(_, probe, _)| probe).chain([&unrouted]) {
        same_answers(&ureq::agent(), ours, baseline, probe)?;
    }
    for (name, probe, read) in &probes {
        let (mine, theirs) = alternate(&ours.base, &baseline.base, probe, seconds)?;
        let ratio = mine.per_second / theirs.per_second;
        let measured = format!(
            "{:.0}, {:.1}/{:.1} ({:.0}, {:.1}/{:.1}): {ratio:.2}×",
            mine.per_second, mine.p50, mine.p99, theirs.per_second, theirs.p50, theirs.p99
        );
        let measure = format!("{name}: requests/s, p50/p99 ms (baseline)");
        if *read {
            report.row(&measure, "≥ 0.85× baseline", measured, ratio >= 0.85);
        } else {
            report.info(&measure, "(reported)", measured);
        }
    }
    let (mine, theirs) = alternate(&ours.base, &baseline.base, &unrouted, seconds)?;
    report.info(
        "no route, a JSON 404: requests/s (baseline)",
        "(reported)",
        format!("{:.0} ({:.0}): {:.2}×", mine.per_second, theirs.per_second, mine.per_second / theirs.per_second),
    );
    Ok(())
}

/// Five rounds of each worker, alternating; the medians.
fn alternate(ours: &str, baseline: &str, probe: &Probe, seconds: f64) -> Outcome<(Stats, Stats)> {
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..5 {
        mine.push(load(ours, probe, CONNECTIONS, seconds)?);
        theirs.push(load(baseline, probe, CONNECTIONS, seconds)?);
    }
    Ok((median_stats(&mine), median_stats(&theirs)))
}

fn round_trips(report: &mut Report, app: &TestApp) -> Outcome {
    report.section("3. Round trips per request (COUNT_ROUND_TRIPS=on)");
    let small = room(SMALL_ROOM);
    let agent = ureq::agent();
    // The status and the X-Round-Trips header of a call that must succeed.
    let trips = |route: &str, method: &str, path: &str, key: Option<&str>, body: Value| -> Outcome<(u16, String)> {
        let mut request = agent.request(method, &format!("{}{path}", app.base));
        if let Some(key) = key {
            request = request.set("Authorization", &format!("Bearer {key}"));
        }
        let result = if method == "GET" { request.call() } else { request.send_json(body) };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => return Err(format!("{route} ({method} {path}): no answer: {error}")),
        };
        let (status, header) = (response.status(), response.header("X-Round-Trips").unwrap_or("none").to_string());
        if status >= 300 {
            return Err(format!("{route} ({method} {path}): {status}: {}", response.into_string().unwrap_or_default()));
        }
        Ok((status, header))
    };
    let signed_up = app.post("/user").json(json!({ "username": "counted", "password": PASSWORD, "handle": "counted" }));
    let (me, my_key) = (signed_up.str("user_id"), signed_up.str("key"));
    let created = app.post("/room/").bearer(&my_key).json(json!({ "name": "counted" }));
    let mine = created.str("room_id");
    let posted = app.post(&format!("/room/{small}/messages")).bearer(&key(1)).json(json!({ "text": "counted" }));
    let message_id = posted.str("message_id");
    let (k1, k2) = (key(1), key(2));
    let (u1, u2, u3) = (user(1), user(2), user(3));
    // (route, method, path, key, body): every route, with what makes it succeed.
    let calls: Vec<(&str, &str, String, Option<&str>, Value)> = vec![
        ("POST /user", "POST", "/user".into(), None, json!({ "username": "x", "password": PASSWORD })),
        ("GET /user/{id}", "GET", format!("/user/{me}"), None, json!(null)),
        ("GET /user/{id}/rooms", "GET", format!("/user/{me}/rooms"), Some(&my_key), json!(null)),
        (
            "GET /token",
            "GET",
            format!("/token?user_id={me}&password={}", PASSWORD.replace(' ', "%20")),
            None,
            json!(null),
        ),
        ("POST /token", "POST", "/token".into(), None, json!({ "user_id": me, "password": PASSWORD })),
        (
            "POST /token (by handle)",
            "POST",
            "/token".into(),
            None,
            json!({ "handle": "Counted", "password": PASSWORD }),
        ),
        ("GET /handle/{handle}", "GET", "/handle/Counted".into(), None, json!(null)),
        ("GET /users?q=", "GET", "/users?q=cou".into(), Some(&my_key), json!(null)),
        (
            "PUT /user/{id}/handle",
            "PUT",
            format!("/user/{me}/handle"),
            Some(&my_key),
            json!({ "handle": "counted.two" }),
        ),
        ("PUT /dm/{user} (new)", "PUT", format!("/dm/{u1}"), Some(&my_key), json!({})),
        ("PUT /dm/{user} (existing)", "PUT", format!("/dm/{u1}"), Some(&my_key), json!({})),
        ("GET /user/{id}/requests", "GET", format!("/user/{u1}/requests"), Some(&k1), json!(null)),
        ("GET /user/{id}/mentions", "GET", format!("/user/{u1}/mentions"), Some(&k1), json!(null)),
        ("POST /user/{id}/live (inbox ticket)", "POST", format!("/user/{u1}/live"), Some(&k1), json!({})),
        ("GET /rooms", "GET", "/rooms".into(), None, json!(null)),
        ("GET /rooms?q=", "GET", "/rooms?q=room".into(), None, json!(null)),
        ("POST /room/", "POST", "/room/".into(), Some(&my_key), json!({})),
        ("GET /room/{id}", "GET", format!("/room/{small}"), None, json!(null)),
        ("GET /room/{id} with a key", "GET", format!("/room/{small}"), Some(&k1), json!(null)),
        ("PATCH /room/{id}", "PATCH", format!("/room/{mine}"), Some(&my_key), json!({ "name": "renamed" })),
        ("GET /room/{id}/owner", "GET", format!("/room/{small}/owner"), None, json!(null)),
        ("GET /room/{id}/members", "GET", format!("/room/{small}/members"), None, json!(null)),
        ("POST /room/{id}/members (join)", "POST", format!("/room/{mine}/members"), Some(&k1), json!({})),
        (
            "POST /room/{id}/members (invite)",
            "POST",
            format!("/room/{mine}/members"),
            Some(&my_key),
            json!({ "user_id": u2 }),
        ),
        ("POST /room/{id}/members (accept)", "POST", format!("/room/{mine}/members"), Some(&k2), json!({})),
        ("GET /room/{id}/members/{user}", "GET", format!("/room/{small}/members/{u1}"), None, json!(null)),
        ("GET /room/{id}/admins", "GET", format!("/room/{small}/admins"), None, json!(null)),
        ("POST /room/{id}/admins", "POST", format!("/room/{mine}/admins"), Some(&my_key), json!({ "user_id": u1 })),
        ("DELETE /room/{id}/admins/{user}", "DELETE", format!("/room/{mine}/admins/{u1}"), Some(&k1), json!({})),
        ("PUT /room/{id}/bans/{user}", "PUT", format!("/room/{mine}/bans/{u3}"), Some(&my_key), json!({})),
        ("GET /room/{id}/bans", "GET", format!("/room/{mine}/bans"), Some(&my_key), json!(null)),
        ("DELETE /room/{id}/bans/{user}", "DELETE", format!("/room/{mine}/bans/{u3}"), Some(&my_key), json!({})),
        ("DELETE /room/{id}/members/{user}", "DELETE", format!("/room/{mine}/members/{u2}"), Some(&k2), json!({})),
        ("GET /room/{id}/messages", "GET", format!("/room/{small}/messages"), None, json!(null)),
        (
            "GET /room/{id}/messages?before=",
            "GET",
            format!("/room/{small}/messages?before={message_id}"),
            None,
            json!(null),
        ),
        ("POST /room/{id}/messages", "POST", format!("/room/{small}/messages"), Some(&k1), json!({ "text": "hello" })),
        (
            "POST /room/{id}/messages (mentioning)",
            "POST",
            format!("/room/{small}/messages"),
            Some(&k1),
            json!({ "text": "hello", "mentions": [u2] }),
        ),
        ("PUT /room/{id}/read", "PUT", format!("/room/{small}/read"), Some(&k1), json!({ "unread": true })),
        ("PUT /room/{id}/owner", "PUT", format!("/room/{mine}/owner"), Some(&my_key), json!({ "user_id": u1 })),
        ("DELETE /room/{id}", "DELETE", format!("/room/{mine}"), Some(&k1), json!({})),
        (
            "PUT /user/{id}/password",
            "PUT",
            format!("/user/{me}/password"),
            Some(&my_key),
            json!({ "password": PASSWORD, "new_password": "another passphrase" }),
        ),
        ("DELETE /token", "DELETE", "/token".into(), Some(&k2), json!({ "user_id": u2 })),
        (
            "DELETE /user/{id}",
            "DELETE",
            format!("/user/{me}"),
            Some(&my_key),
            json!({ "password": "another passphrase" }),
        ),
    ];
    let mut table = String::from(
        "| route | status | D1 round trips | KV reads | KV writes | target | met |\n|---|---|---|---|---|---|---|\n",
    );
    let (mut reads_met, mut writes_met, mut reads, mut writes) = (0, 0, 0, 0);
    for (route, method, path, key, body) in calls {
        let (status, header) = trips(route, method, &path, key, body)?;
        let count = |name: &str| -> Outcome<u32> {
            header
                .split(", ")
                .find_map(|part| part.strip_prefix(&format!("{name}=")))
                .and_then(|count| count.parse().ok())
                .ok_or_else(|| format!("{route}: X-Round-Trips \"{header}\" has no count {name}="))
        };
        let (d1, kv_reads, kv_writes) = (count("d1")?, count("kv-read")?, count("kv-write")?);
        // A login (GET /token) writes a session: it is held to the writes' target.
        let read = method == "GET" && !route.starts_with("GET /token");
        let (target, met) = if read {
            reads += 1;
            ("1 D1, ≤ 1 KV read", d1 == 1 && kv_reads <= 1)
        } else {
            writes += 1;
            ("1 batch", d1 == 1)
        };
        if met {
            if read {
                reads_met += 1
            } else {
                writes_met += 1
            }
        }
        writeln!(
            table,
            "| {route} | {status} | {d1} | {kv_reads} | {kv_writes} | {target} | {} |",
            if met { "yes" } else { "no" }
        )
        .unwrap();
    }
    println!("{table}");
    report.row(
        "read endpoints with 1 D1 round trip and ≤ 1 KV read",
        "all",
        format!("{reads_met} of {reads}"),
        reads_met == reads,
    );
    report.row("write endpoints in 1 D1 batch", "all", format!("{writes_met} of {writes}"), writes_met == writes);
    report.detail(table);
    Ok(())
}

fn scale(report: &mut Report, big: &TestApp, small_directory: &TestApp) -> Outcome {
    report.section("4. Scale: a room of 100,000 members beside a room of 10 (p50 of 101 alternating calls)");
    let (large, small) = (room(BIG_ROOM), room(SMALL_ROOM));
    let cases = [
        ("GET /room/{id}", format!("/room/{large}"), format!("/room/{small}")),
        ("members, offset 0", format!("/room/{large}/members?limit=10"), format!("/room/{small}/members?limit=10")),
        (
            "members, offset 99,000",
            format!("/room/{large}/members?limit=10&offset=99000"),
            format!("/room/{small}/members?limit=10"),
        ),
    ];
    for (name, large_path, small_path) in cases {
        let (large_ms, small_ms) =
            side_by_side((&big.base, &Probe::get(large_path)), (&big.base, &Probe::get(small_path)), 101)?;
        let ratio = large_ms / small_ms;
        report.row(
            &format!("{name}: p50 ms, large (small)"),
            "≤ 1.5×",
            format!("{large_ms:.2} ({small_ms:.2}): {ratio:.2}×"),
            ratio <= 1.5,
        );
    }
    let directory = Probe::get("/rooms?limit=10".to_string());
    let (large_ms, small_ms) = side_by_side((&big.base, &directory), (&small_directory.base, &directory), 101)?;
    let ratio = large_ms / small_ms;
    report.row(
        "GET /rooms, 10,011 rooms (10 rooms): p50 ms",
        "≤ 1.5×",
        format!("{large_ms:.2} ({small_ms:.2}): {ratio:.2}×"),
        ratio <= 1.5,
    );
    // One's rooms list, with every room's counts: a user in 200 rooms beside one in 2.
    let rooms_of = |user: u32| Probe {
        as_user: Some(user),
        ..Probe::get(format!("/user/{}/rooms?limit=500&sort=activity", self::user(user)))
    };
    let (many_ms, few_ms) = side_by_side((&big.base, &rooms_of(2)), (&big.base, &rooms_of(3)), 101)?;
    let ratio = many_ms / few_ms;
    report.row(
        "GET /user/{id}/rooms, 200 rooms with counts (2 rooms): p50 ms",
        "≤ 1.5×",
        format!("{many_ms:.2} ({few_ms:.2}): {ratio:.2}×"),
        ratio <= 1.5,
    );
    report.note(
        "Every statement's query plan is checked by tests/query_plans.rs: no statement scans a table.".to_string(),
    );
    Ok(())
}

fn size_and_start(report: &mut Report, mut app: TestApp) -> Outcome {
    report.section("5. Size and start, the Rust worker beside the plain-JS one");
    let (mine, theirs) = (upload(&app, "wrangler.toml")?, upload(&app, BASELINE)?);
    report.row(
        "upload, gzip KiB (wrangler deploy --dry-run; JS worker)",
        &format!("≤ {UPLOAD_BUDGET_KIB} KiB (the README's budget)"),
        format!("{mine:.0} ({theirs:.1})"),
        mine <= UPLOAD_BUDGET_KIB,
    );
    // Alternating, as every comparison here.
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..STARTUP_RUNS {
        mine.push(startup_ms(&app, "wrangler.toml")?);
        theirs.push(startup_ms(&app, BASELINE)?);
    }
    let (mine, theirs) = (median(mine), median(theirs));
    report.row(
        &format!("isolate start, ms (wrangler check startup's profile, median of {STARTUP_RUNS}; JS worker)"),
        &format!("≤ {STARTUP_BUDGET_MS} ms (the README's budget)"),
        format!("{mine:.1} ({theirs:.1}): {:.2}×", mine / theirs),
        mine <= STARTUP_BUDGET_MS,
    );
    report.note(
        "The upload is the worker's bundle as `wrangler deploy --dry-run` counts it (the web client's files are \
         static assets, uploaded apart). The start is the span of the CPU profile `wrangler check startup` takes \
         of the isolate loading the bundle: for the Rust worker, compiling and instantiating its wasm. The JS worker \
         does the same D1 batches with no wasm at all."
            .into(),
    );
    let mut starts = Vec::new();
    for _ in 0..3 {
        let started = Instant::now();
        app.restart(&[]);
        starts.push(started.elapsed().as_secs_f64());
    }
    report.info(
        "cold wrangler dev start to first answer (median of 3, s)",
        "(reported)",
        format!("{:.1}", median(starts)),
    );
    Ok(())
}

/// The README's budgets for the bundle (gzip KiB) and the isolate's start (ms).
const UPLOAD_BUDGET_KIB: f64 = 620.0;
const STARTUP_BUDGET_MS: f64 = 60.0;
const STARTUP_RUNS: usize = 5;

/// The gzip KiB `wrangler deploy --dry-run` says the worker of `config` uploads.
fn upload(app: &TestApp, config: &str) -> Outcome<f64> {
    let output = Command::new(Path::new(ROOT).join("node_modules/.bin/wrangler"))
        .args(["deploy", "--dry-run", "--config", config, "--outdir"])
        .arg(app.state.join(format!("dry-run-{}", config.replace('/', "-"))))
        .current_dir(ROOT)
        .env("CHATROOMS_SKIP_BUILD", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .map_err(|error| format!("wrangler deploy --dry-run did not start: {error}"))?;
    let text = String::from_utf8_lossy(&output.stdout).into_owned() + &String::from_utf8_lossy(&output.stderr);
    text.lines()
        .find_map(|line| line.split("gzip:").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("wrangler deploy --dry-run --config {config}: no upload size in {text}"))
}

/// The span, ms, of the CPU profile `wrangler check startup` takes of the worker of `config`.
fn startup_ms(app: &TestApp, config: &str) -> Outcome<f64> {
    let profile = app.state.join("startup.cpuprofile");
    let output = Command::new(Path::new(ROOT).join("node_modules/.bin/wrangler"))
        .args(["check", "startup", "--config", config, "--outfile"])
        .arg(&profile)
        .current_dir(ROOT)
        .env("CHATROOMS_SKIP_BUILD", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .map_err(|error| format!("wrangler check startup did not start: {error}"))?;
    let text = std::fs::read_to_string(&profile).map_err(|error| {
        format!("wrangler check startup --config {config}: {error}: {}", String::from_utf8_lossy(&output.stderr))
    })?;
    let _ = std::fs::remove_file(&profile);
    let profile: Value = serde_json::from_str(&text).map_err(|error| format!("a startup profile: {error}"))?;
    match (profile["startTime"].as_f64(), profile["endTime"].as_f64()) {
        (Some(start), Some(end)) => Ok((end - start) / 1000.0),
        _ => Err(format!("a startup profile without its times: {config}")),
    }
}

/// The test command's check that the benchmark still runs: both workers start (through the
/// launcher's readiness probe and the seeding), then answer a few hundred reads of one route
/// alike. Times are printed, not held to a target: one short round on a shared machine says
/// little. The read needs no session keys, and the two start at once: most of the check's
/// time is wrangler's own start-up.
fn smoke(report: &mut Report) -> Outcome {
    const CALLS: usize = 100;
    report.section("Smoke: both workers start, and answer one read route alike");
    let (ours, baseline) = std::thread::scope(|scope| {
        let ours = scope.spawn(|| with_rooms(&[("COUNT_ROUND_TRIPS", "off")], false, "wrangler.toml"));
        let baseline = scope.spawn(|| with_rooms(&[], false, BASELINE));
        let started = |worker: std::thread::ScopedJoinHandle<Outcome<TestApp>>, config: &str| {
            worker.join().map_err(|_| format!("starting {config} panicked (the message is above)"))?
        };
        Ok::<_, String>((started(ours, "wrangler.toml")?, started(baseline, BASELINE)?))
    })?;
    let probe = Probe::get(format!("/room/{}/members", room(SMALL_ROOM)));
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let (mut mine, mut theirs) = (Vec::new(), Vec::new());
    for _ in 0..CALLS {
        let (ours_took, theirs_took) = same_answers(&agent, &ours, &baseline, &probe)?;
        mine.push(ours_took.as_secs_f64() * 1000.0);
        theirs.push(theirs_took.as_secs_f64() * 1000.0);
    }
    let (mine, theirs) = (median(mine), median(theirs));
    report.info(
        &format!("GET /room/{{id}}/members, {CALLS} alternating calls each: p50 ms (baseline)"),
        "(reported)",
        format!("{mine:.2} ({theirs:.2}): {:.2}×", mine / theirs),
    );
    live::smoke(report, &ours, &baseline)?;
    println!("\nsmoke check passed: both workers started and answered {} reads alike", 2 * CALLS);
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// The report: printed as it goes, and written to bench/RESULTS.md.

#[derive(Default)]
struct Report {
    /// Whether to write bench/RESULTS.md (only for a run of every section).
    write: bool,
    /// Whether to print the sections' markdown instead (a run of some sections), for a person
    /// to paste.
    print: bool,
    markdown: String,
    met: usize,
    missed: Vec<String>,
}

impl Report {
    fn section(&mut self, title: &str) {
        println!("\n== {title}");
        write!(self.markdown, "\n### {title}\n\n| measure | target | measured | met |\n|---|---|---|---|\n").unwrap();
    }

    fn row(&mut self, measure: &str, target: &str, measured: String, met: bool) {
        println!("  {measure:<62} {target:>18}   {measured}{}", if met { "" } else { "   << target missed" });
        writeln!(self.markdown, "| {measure} | {target} | {measured} | {} |", if met { "yes" } else { "**no**" })
            .unwrap();
        if met {
            self.met += 1;
        } else {
            self.missed.push(measure.to_string());
        }
    }

    /// A figure reported without a target.
    fn info(&mut self, measure: &str, what: &str, measured: String) {
        println!("  {measure:<62} {what:>18}   {measured}");
        writeln!(self.markdown, "| {measure} | {what} | {measured} | |").unwrap();
    }

    fn note(&mut self, note: String) {
        println!("  {note}");
        write!(self.markdown, "\n{note}\n").unwrap();
    }

    fn detail(&mut self, table: String) {
        write!(self.markdown, "\n{table}").unwrap();
    }

    fn finish(self, elapsed: Duration) -> Outcome {
        if self.met + self.missed.len() > 0 {
            println!("\ntargets met: {} of {}", self.met, self.met + self.missed.len());
        }
        if self.print {
            println!("\n{}", self.markdown);
        }
        if !self.write {
            return Ok(());
        }
        let machine = machine();
        let document = format!(
            "# Benchmark results\n\nWritten by `scripts/bench.sh` (`cargo bench --bench bench`) in one run of {:.0} s; \
             every comparison was measured side by side in that run. Noisy shared machine: ratios matter more than \
             absolute times.\n\n{machine}\n{}\n\nTargets met: {} of {}.\n",
            elapsed.as_secs_f64(),
            self.markdown,
            self.met,
            self.met + self.missed.len()
        );
        write_file(&Path::new(ROOT).join("bench/RESULTS.md"), &document)?;
        println!("written to bench/RESULTS.md");
        Ok(())
    }
}

fn machine() -> String {
    let run = |program: &str, args: &[&str]| {
        Command::new(program)
            .args(args)
            .current_dir(ROOT)
            .output()
            .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_string())
            .unwrap_or_default()
    };
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .unwrap_or_default()
        .lines()
        .find_map(|line| {
            line.strip_prefix("model name").map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_string())
        })
        .unwrap_or_default();
    let workerd: Value = std::fs::read_to_string(Path::new(ROOT).join("node_modules/workerd/package.json"))
        .ok()
        .and_then(|text| serde_json::from_str(&text).ok())
        .unwrap_or(Value::Null);
    let toolchain = run("sh", &["-c", ". scripts/env.sh && wasm_toolchain"]);
    format!(
        "- machine: {cpu}, {} cores, Linux {}\n- native rustc: {}\n- wasm toolchain: {toolchain}\n- wrangler {}, workerd {}\n- worker-build {}, {}",
        run("nproc", &[]),
        run("uname", &["-r"]),
        run("rustc", &["-V"]),
        run("node_modules/.bin/wrangler", &["--version"]),
        workerd["version"].as_str().unwrap_or("?"),
        run("worker-build", &["--version"]),
        run("wasm-bindgen", &["--version"]),
    )
}
