//! A bounded load test on loopback: 200 concurrent clients for 30 seconds against a real
//! `wrangler dev`, in a chat's mix: each client lives in one to three home rooms and mostly
//! posts there and reads them, with joins and leaves of other rooms, logins and sign-ups around
//! them, and a few posts to rooms it is not in (refused). It fails on any 5xx or any lost or
//! duplicated membership or message (checked against the database), and prints requests/s,
//! accepted writes/s and p50/p99 latencies. `LOAD_CLIENTS` and `LOAD_SECONDS` change the size.

// Tests may panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

#[allow(dead_code, unused_imports)]
#[path = "api/helpers/mod.rs"]
mod helpers;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use helpers::{TestApp, User, PASSWORD};

const ROOMS: usize = 8;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Op {
    SignUp,
    LogIn,
    Join,
    Leave,
    Post,
    ReadRoom,
    ReadMembers,
    ReadMessages,
}

/// What one client did, for the final reckoning.
#[derive(Default)]
struct Tally {
    latencies: BTreeMap<Op, Vec<Duration>>,
    statuses: HashMap<u16, u64>,
    unexpected: Vec<String>,
    /// Messages this client saw accepted (201), per room.
    posted: HashMap<usize, Vec<String>>,
    /// Writes the service accepted: posts, joins, leaves, logins and sign-ups.
    accepted_writes: u64,
}

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|value| value.parse().ok()).unwrap_or(default)
}

/// A tiny deterministic generator, so that each client's mix is reproducible.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

fn percentile(sorted: &[Duration], fraction: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    sorted[((sorted.len() - 1) as f64 * fraction).round() as usize]
}

#[test]
fn two_hundred_clients_for_thirty_seconds_lose_nothing() {
    let clients = env_number("LOAD_CLIENTS", 200) as usize;
    let seconds = env_number("LOAD_SECONDS", 30);
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("owner");
    let rooms: Vec<String> = (0..ROOMS).map(|_| app.create_room(&owner, true)).collect();
    let users: Vec<User> = {
        let made = Mutex::new(Vec::new());
        std::thread::scope(|scope| {
            for chunk in 0..10 {
                let (app, made, rooms) = (&app, &made, &rooms);
                scope.spawn(move || {
                    for n in (chunk..clients).step_by(10) {
                        let user = app.sign_up(&format!("client {n}"));
                        for &room in &home_rooms(n) {
                            app.join(&rooms[room], &user);
                        }
                        made.lock().unwrap().push((n, user));
                    }
                });
            }
        });
        let mut made = made.into_inner().unwrap();
        made.sort_by_key(|(n, _)| *n);
        made.into_iter().map(|(_, user)| user).collect()
    };

    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    // Each client's own memberships: only it joins or leaves itself, so its view is the truth.
    let results: Vec<(Tally, HashSet<usize>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = users
            .iter()
            .enumerate()
            .map(|(n, user)| {
                let (app, rooms) = (&app, &rooms);
                scope.spawn(move || run_client(app, rooms, user.clone(), n, deadline))
            })
            .collect();
        handles.into_iter().map(|handle| handle.join().unwrap()).collect()
    });
    let elapsed = started.elapsed().as_secs_f64();

    // The reckoning.
    let mut all = Tally::default();
    let mut present: Vec<HashSet<String>> = vec![HashSet::from([owner.id.clone()]); ROOMS];
    for ((tally, joined), user) in results.into_iter().zip(&users) {
        for (op, mut latencies) in tally.latencies {
            all.latencies.entry(op).or_default().append(&mut latencies);
        }
        for (status, count) in tally.statuses {
            *all.statuses.entry(status).or_default() += count;
        }
        all.accepted_writes += tally.accepted_writes;
        all.unexpected.extend(tally.unexpected);
        for (room, mut ids) in tally.posted {
            all.posted.entry(room).or_default().append(&mut ids);
        }
        for room in joined {
            present[room].insert(user.id.clone());
        }
    }

    let total: usize = all.latencies.values().map(Vec::len).sum();
    let posts = all.latencies.get(&Op::Post).map_or(0, Vec::len);
    let accepted_posts: usize = all.posted.values().map(Vec::len).sum();
    println!(
        "\nload: {clients} clients, {elapsed:.1} s, {total} requests, {:.0} requests/s, {} accepted writes, \
         {:.0} accepted writes/s ({accepted_posts} of {posts} posts accepted)",
        total as f64 / elapsed,
        all.accepted_writes,
        all.accepted_writes as f64 / elapsed,
    );
    println!("{:<14} {:>8} {:>10} {:>10}", "operation", "count", "p50 ms", "p99 ms");
    let mut everything = Vec::new();
    for (op, latencies) in &mut all.latencies {
        latencies.sort();
        everything.extend_from_slice(latencies);
        println!(
            "{:<14} {:>8} {:>10.1} {:>10.1}",
            format!("{op:?}"),
            latencies.len(),
            percentile(latencies, 0.50).as_secs_f64() * 1000.0,
            percentile(latencies, 0.99).as_secs_f64() * 1000.0
        );
    }
    everything.sort();
    println!(
        "{:<14} {:>8} {:>10.1} {:>10.1}",
        "all",
        everything.len(),
        percentile(&everything, 0.50).as_secs_f64() * 1000.0,
        percentile(&everything, 0.99).as_secs_f64() * 1000.0
    );
    println!("statuses: {:?}", all.statuses);

    assert!(all.unexpected.is_empty(), "unexpected answers: {:#?}", &all.unexpected[..all.unexpected.len().min(20)]);
    assert!(all.statuses.keys().all(|status| *status < 500), "server errors: {:?}", all.statuses);

    // Against the database, in two queries for all the rooms.
    let counts: HashMap<String, Value> = app
        .sql(
            "SELECT r.room_id, r.user_count,
                    (SELECT count(*) FROM members WHERE room_id = r.room_id AND present = 1) AS present_rows
               FROM rooms AS r",
        )
        .into_iter()
        .map(|row| (row["room_id"].as_str().unwrap().to_string(), row))
        .collect();
    for (index, room) in rooms.iter().enumerate() {
        // Memberships: what the clients know equals what the API lists and what D1 holds.
        let listed = app.get(&format!("/room/{room}/members")).query("limit", "500").send();
        let listed_ids: Vec<String> =
            listed.body["users"].as_array().unwrap().iter().map(|id| id.as_str().unwrap().to_string()).collect();
        assert_eq!(listed_ids.len(), listed_ids.iter().collect::<HashSet<_>>().len(), "a member listed twice");
        assert_eq!(listed_ids.iter().cloned().collect::<HashSet<_>>(), present[index], "room {index} memberships");
        assert_eq!(listed.body["user_count"], json!(present[index].len()));
        let row = &counts[room];
        assert_eq!(row["present_rows"], json!(present[index].len()), "room {index}: {row}");
        assert_eq!(row["user_count"], json!(present[index].len()), "room {index}: {row}");
        // Messages, as the room's object keeps them: every accepted post is there once, and
        // the room's numbering rises through them.
        let accepted: HashSet<String> = all.posted.get(&index).cloned().unwrap_or_default().into_iter().collect();
        let history = history(&app, room);
        let seqs: Vec<i64> = history.iter().map(|(seq, _)| *seq).collect();
        assert!(seqs.windows(2).all(|pair| pair[0] > pair[1]), "room {index}: seqs not falling newest first");
        let stored: HashSet<String> = history.into_iter().map(|(_, id)| id).collect();
        assert_eq!(stored.len(), seqs.len(), "room {index}: a message listed twice");
        assert_eq!(stored, accepted, "room {index}: stored messages are the accepted ones");
    }
}

/// A room's whole history, newest first: `(seq, message_id)`, a page of 100 at a time.
fn history(app: &TestApp, room: &str) -> Vec<(i64, String)> {
    let mut messages = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut request = app.get(&format!("/room/{room}/messages")).query("limit", "100");
        if let Some(before) = &before {
            request = request.query("before", before);
        }
        let page = request.send();
        page.assert_status(200);
        for message in page.body["messages"].as_array().unwrap() {
            messages.push((message["seq"].as_i64().unwrap(), message["message_id"].as_str().unwrap().to_string()));
        }
        match page.body["next"].as_str() {
            Some(next) => before = Some(next.to_string()),
            None => return messages,
        }
    }
}

/// Client `n`'s home rooms: one to three, spread over the rooms, joined before the clock starts.
fn home_rooms(n: usize) -> Vec<usize> {
    (0..1 + n % 3).map(|step| (n + step * 3) % ROOMS).collect()
}

fn run_client(app: &TestApp, rooms: &[String], mut user: User, n: usize, deadline: Instant) -> (Tally, HashSet<usize>) {
    let mut rng = Rng((n as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut tally = Tally::default();
    let homes = home_rooms(n);
    let mut joined: HashSet<usize> = homes.iter().copied().collect();
    // Rooms this client was ever a member of: leaving one again answers 200 {present: false}
    // (a former member), leaving any other 404 (never a member).
    let mut ever_joined = joined.clone();
    while Instant::now() < deadline {
        let roll = rng.below(100);
        let op = match roll {
            0..=1 => Op::SignUp,
            2..=4 => Op::LogIn,
            5..=12 => Op::Join,
            13..=18 => Op::Leave,
            19..=63 => Op::Post,
            64..=71 => Op::ReadRoom,
            72..=78 => Op::ReadMembers,
            _ => Op::ReadMessages,
        };
        // Posts and reads go mostly to a home room; one post in ten, and joins, to any room;
        // leaves to a room that is not a home, so that a client stays where it chats.
        let anywhere = rng.below(rooms.len());
        let room_index = match op {
            Op::Join => anywhere,
            Op::Leave => (anywhere..anywhere + ROOMS)
                .map(|room| room % ROOMS)
                .find(|room| !homes.contains(room))
                .unwrap_or(anywhere),
            Op::Post if rng.below(10) == 0 => anywhere,
            _ => homes.get(rng.below(homes.len())).copied().unwrap_or(anywhere),
        };
        let room = &rooms[room_index];
        let started = Instant::now();
        let (response, expected): (helpers::Resp, &[u16]) = match op {
            Op::SignUp => (app.post("/user").json(json!({ "username": "newcomer", "password": PASSWORD })), &[202]),
            Op::LogIn => (app.get("/token").query("user_id", &user.id).query("password", PASSWORD).send(), &[200]),
            Op::Join => (app.post(&format!("/room/{room}/members")).bearer(&user.key).send(), &[200]),
            // Only this client joins or leaves itself: it knows whether it is in, or was.
            Op::Leave => (
                app.delete(&format!("/room/{room}/members/{}", user.id)).bearer(&user.key).send(),
                if ever_joined.contains(&room_index) { &[200] } else { &[404] },
            ),
            Op::Post if joined.contains(&room_index) => (
                app.post(&format!("/room/{room}/messages"))
                    .bearer(&user.key)
                    .json(json!({ "text": format!("from {n}") })),
                &[201],
            ),
            Op::Post => (
                app.post(&format!("/room/{room}/messages")).bearer(&user.key).json(json!({ "text": "not in" })),
                &[403],
            ),
            Op::ReadRoom => (app.get(&format!("/room/{room}")).send(), &[200]),
            Op::ReadMembers => (app.get(&format!("/room/{room}/members")).query("limit", "50").send(), &[200]),
            Op::ReadMessages => (app.get(&format!("/room/{room}/messages")).query("limit", "20").send(), &[200]),
        };
        tally.latencies.entry(op).or_default().push(started.elapsed());
        *tally.statuses.entry(response.status).or_default() += 1;
        if !expected.contains(&response.status) {
            tally.unexpected.push(format!("{op:?} in room {room_index}: {} {}", response.status, response.text));
            continue;
        }
        let accepted = match op {
            Op::Join => {
                joined.insert(room_index);
                ever_joined.insert(room_index);
                true
            }
            Op::Leave if response.status == 200 && response.body["present"] != json!(false) => {
                tally.unexpected.push(format!("{op:?} in room {room_index}: {} {}", response.status, response.text));
                false
            }
            Op::Leave => joined.remove(&room_index),
            Op::Post if response.status == 201 => {
                tally.posted.entry(room_index).or_default().push(response.str("message_id"));
                true
            }
            Op::Post => false,
            // The new key replaces the old one, which keeps working too.
            Op::LogIn => {
                user.key = response.str("key");
                true
            }
            Op::SignUp => true,
            Op::ReadRoom | Op::ReadMembers | Op::ReadMessages => false,
        };
        tally.accepted_writes += u64::from(accepted);
    }
    (tally, joined)
}
