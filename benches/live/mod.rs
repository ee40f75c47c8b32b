//! Section 6, live rooms: N sockets on one room and one sender posting at a steady rate over
//! WebSockets, on the Rust worker's room object and on the plain-JS one of bench/baseline, one
//! after the other in the same run; then what a posted message and an idle socket cost.
//!
//! Every time is taken by this process's clock: a message's latency runs from just before its
//! `send` frame is written to the moment each receiving socket has read its `message` frame.
//! The senders are several members, one socket each: the protocol closes the socket of a user
//! whose sockets send more than 30 frames in 10 s together, and the rate is above that.

use std::io::ErrorKind;
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::client::IntoClientRequest;
use tungstenite::handshake::HandshakeError;
use tungstenite::{Message, WebSocket};

pub mod conversation;
pub mod idle;
pub mod inbox;
pub mod resume;
pub mod spread;

use super::{key, percentile, room, seed_keys, Outcome, Report, BASELINE, SMALL_ROOM};
use crate::helpers::TestApp;

type Socket = WebSocket<TcpStream>;

/// How a section's rounds are run.
pub struct Shape {
    pub sockets: &'static [usize],
    pub rate: f64,
    pub seconds: f64,
    /// How long the sockets of the largest round sit idle before the sender starts, for the
    /// D1 reads an open tab costs.
    pub idle_seconds: f64,
    /// Rounds per worker and size, alternating (ours, JS, JS, ours for 2), pooled.
    pub rounds: usize,
}

pub const FULL: Shape = Shape { sockets: &[100, 500, 1000], rate: 20.0, seconds: 15.0, idle_seconds: 30.0, rounds: 2 };
pub const SMOKE: Shape = Shape { sockets: &[5], rate: 20.0, seconds: 2.0, idle_seconds: 0.0, rounds: 1 };

/// Sockets opened at once while a round connects.
const CONNECTORS: usize = 16;
/// Frames one socket may send in 10 s (the protocol's limit is 30).
const FRAMES_PER_10_SECONDS: f64 = 25.0;
/// How long after the last send a receiver may still be waiting for messages.
const DRAIN: Duration = Duration::from_secs(30);

/// Members who post, at most (the baseline's seeded room has ten).
pub const SENDERS: u32 = 10;

/// A room to fan out in, on one worker, and present members' keys to post with.
pub struct LiveRoom<'a> {
    pub name: &'static str,
    pub app: &'a TestApp,
    /// Where the sockets connect: the workerd that runs the worker, past `wrangler dev`'s
    /// proxy (itself a workerd relaying every frame), when it can be found.
    base: String,
    pub room: String,
    /// `SENDERS` keys, each of a different present member.
    pub keys: Vec<String>,
}

impl<'a> LiveRoom<'a> {
    fn new(name: &'static str, app: &'a TestApp, room: String, keys: Vec<String>) -> Self {
        let base = workerd_entry(&app.state).unwrap_or_else(|| app.base.clone());
        Self { name, app, base, room, keys }
    }

    fn direct(&self) -> bool {
        self.base != self.app.base
    }

    fn url(&self) -> String {
        format!("{}/room/{}/live", self.base.replacen("http://", "ws://", 1), self.room)
    }
}

/// The Rust worker's room: a new user's new open room, which the other senders join.
pub fn ours(app: &TestApp) -> LiveRoom<'_> {
    let owner = app.sign_up("live sender");
    let room = app.create_named_room(&owner, "live bench", true);
    let mut keys = vec![owner.key];
    for n in 1..SENDERS {
        let sender = app.sign_up(&format!("live sender {n}"));
        app.join(&room, &sender);
        keys.push(sender.key);
    }
    LiveRoom::new("Rust", app, room, keys)
}

/// The baseline's room: seeded room 1, whose members, users 1 to 10, post.
pub fn baseline(app: &TestApp) -> LiveRoom<'_> {
    LiveRoom::new("JS", app, room(SMALL_ROOM), (1..=SENDERS).map(key).collect())
}

/// What one round measured.
pub struct FanOut {
    sockets: usize,
    /// Sorted.
    connect: Vec<Duration>,
    /// Sorted: one per delivery.
    latencies: Vec<Duration>,
    messages: usize,
    answered: usize,
    lost: usize,
    reordered: usize,
    /// A socket's seqs that skipped one (only messages are posted in a round).
    gaps: usize,
    /// The median, over the messages, of the time from a message's first receipt to its last.
    spread: Duration,
    /// From the first send to the last receipt.
    active: Duration,
    /// workerd's resident memory (KiB) before the sockets opened and once they sat open.
    rss: Option<(u64, u64)>,
    /// The worker's log lines while the sockets sat idle, and while the messages were sent.
    idle: Logged,
    sending: Logged,
    idle_seconds: f64,
}

impl FanOut {
    /// Two rounds as one: every delivery and connect pooled; the first round's idle figures.
    fn pooled(mut self, other: FanOut) -> FanOut {
        self.connect.extend(other.connect);
        self.connect.sort();
        self.latencies.extend(other.latencies);
        self.latencies.sort();
        self.messages += other.messages;
        self.answered += other.answered;
        self.lost += other.lost;
        self.reordered += other.reordered;
        self.gaps += other.gaps;
        self.active += other.active;
        self.sending.lines += other.sending.lines;
        self.sending.d1 += other.sending.d1;
        self.sending.rows_written += other.sending.rows_written;
        self
    }

    fn per_second(&self) -> f64 {
        self.latencies.len() as f64 / self.active.as_secs_f64().max(f64::EPSILON)
    }

    pub fn delivery(&self) -> (f64, f64) {
        (percentile(&self.latencies, 0.5), percentile(&self.latencies, 0.99))
    }

    fn connect_ms(&self) -> (f64, f64) {
        (percentile(&self.connect, 0.5), percentile(&self.connect, 0.99))
    }

    fn rss_per_socket_kib(&self) -> Option<f64> {
        self.rss.map(|(before, after)| (after as f64 - before as f64) / self.sockets as f64)
    }

    /// Every message answered `sent`, and reached every socket once, in order.
    pub fn complete(&self) -> bool {
        self.lost == 0 && self.reordered == 0 && self.gaps == 0 && self.answered == self.messages
    }
}

/// The section: each round on each worker, then the costs, all on two fresh instances.
pub fn section(report: &mut Report, shape: &Shape) -> Outcome {
    report.section(&format!(
        "6. Live rooms: N sockets on one room, members posting {:.0} messages/s for {:.0} s, the Rust worker's room object beside a plain-JS one",
        shape.rate, shape.seconds
    ));
    // One object holds every socket, as the JS one does: section 12 measures a room spread over
    // fan-out objects (past ROOM_SOCKETS_PER_OBJECT, 1,000, the largest round's senders would go
    // to one).
    let ours_app = TestApp::spawn(&[("COUNT_ROUND_TRIPS", "on"), ("ROOM_SOCKETS_PER_OBJECT", "30000")]);
    let baseline_app = super::seeded(&[], false, BASELINE)?;
    let (ours, theirs) = (ours(&ours_app), baseline(&baseline_app));
    cost(report, &ours)?;
    compare(report, shape, &ours, &theirs)
}

/// The rounds of `shape` on both rooms, into the report; the largest round's idle and memory
/// figures too.
pub fn compare(report: &mut Report, shape: &Shape, ours: &LiveRoom, theirs: &LiveRoom) -> Outcome {
    let largest = shape.sockets.iter().copied().max().unwrap_or(0);
    for &sockets in shape.sockets {
        let idle = if sockets == largest { shape.idle_seconds } else { 0.0 };
        let mut mine = fan_out(ours, sockets, shape, idle)?;
        let mut other = fan_out(theirs, sockets, shape, idle)?;
        for round in 1..shape.rounds {
            if round % 2 == 1 {
                other = other.pooled(fan_out(theirs, sockets, shape, 0.0)?);
                mine = mine.pooled(fan_out(ours, sockets, shape, 0.0)?);
            } else {
                mine = mine.pooled(fan_out(ours, sockets, shape, 0.0)?);
                other = other.pooled(fan_out(theirs, sockets, shape, 0.0)?);
            }
        }
        rows(report, &mine, &other);
        if sockets == largest {
            idle_rows(report, &mine, &other);
        }
    }
    report.note(format!(
        "Latency runs from the `send` frame's writing to each socket's reading of the `message` frame, on one clock; \
         the senders are {} members, a socket each (the protocol closes a user's socket past 30 frames in 10 s); receivers are \
         keyless viewers. Connect time runs from the TCP connect to the `ready` frame, {CONNECTORS} sockets opening \
         at once. Each size ran {} round(s) of fresh sockets per worker, alternating (Rust, JS, JS, Rust), their \
         deliveries and connects pooled. Both workers run under `wrangler dev`, one at a time; {}. Memory is \
         workerd's resident set (VmRSS of the workerd process holding the instance's state files) before the sockets \
         opened and after they sat open, divided by their number.",
        senders(shape.rate),
        shape.rounds,
        if ours.direct() && theirs.direct() {
            "the sockets connect to the workerd that runs each worker, past the dev proxy (a second workerd that would relay every frame)"
        } else {
            "the sockets connect through wrangler's dev proxy (the worker's own workerd was not found)"
        }
    ));
    Ok(())
}

fn rows(report: &mut Report, mine: &FanOut, theirs: &FanOut) {
    let n = mine.sockets;
    let ((p50, p99), (their_p50, their_p99)) = (mine.delivery(), theirs.delivery());
    let ratio = p99 / their_p99;
    report.row(
        &format!("{n} sockets: delivery p50/p99 ms (JS object)"),
        "p99 ≤ 1.25× JS",
        format!("{p50:.1}/{p99:.1} ({their_p50:.1}/{their_p99:.1}): {ratio:.2}×"),
        ratio <= 1.25,
    );
    let ratio = mine.per_second() / theirs.per_second();
    report.row(
        &format!("{n} sockets: deliveries/s (JS object)"),
        "≥ 0.8× JS",
        format!("{:.0} ({:.0}): {ratio:.2}×", mine.per_second(), theirs.per_second()),
        ratio >= 0.8,
    );
    report.row(
        &format!("{n} sockets: lost, reordered of {} deliveries; sends answered `sent` (JS object)", mine.messages * n),
        "0, 0; all",
        format!(
            "{}, {}; {} of {} ({}, {}; {} of {})",
            mine.lost,
            mine.reordered,
            mine.answered,
            mine.messages,
            theirs.lost,
            theirs.reordered,
            theirs.answered,
            theirs.messages
        ),
        mine.complete(),
    );
    let ((c50, c99), (their_c50, their_c99)) = (mine.connect_ms(), theirs.connect_ms());
    report.info(
        &format!("{n} sockets: connect p50/p99 ms (JS object)"),
        "(reported)",
        format!("{c50:.1}/{c99:.1} ({their_c50:.1}/{their_c99:.1})"),
    );
}

fn idle_rows(report: &mut Report, mine: &FanOut, theirs: &FanOut) {
    let n = mine.sockets;
    if mine.idle_seconds > 0.0 {
        let per_tab_minute = mine.idle.d1 as f64 / n as f64 / (mine.idle_seconds / 60.0);
        report.row(
            &format!("D1 round trips per open tab per minute ({n} idle sockets, {:.0} s)", mine.idle_seconds),
            "0 (polling: 40)",
            format!("{per_tab_minute:.2} ({} log lines, {} D1)", mine.idle.lines, mine.idle.d1),
            mine.idle.d1 == 0,
        );
    }
    let measured = match (mine.rss_per_socket_kib(), theirs.rss_per_socket_kib()) {
        (Some(ours), Some(js)) => format!("{ours:.1} ({js:.1})"),
        _ => "not measurable (no workerd process found for the instance)".to_string(),
    };
    // The whole process's, grown by the rounds before this one too: the object's own memory is
    // section 11's (idle.rs).
    report.info(
        &format!("workerd's resident set per idle socket, KiB ({n} sockets; JS object; the object's own: section 11)"),
        "(reported)",
        measured,
    );
    let messages = mine.messages.max(1) as f64;
    report.row(
        "socket send: D1 round trips, rows written per message (worker log lines)",
        "≤ 1 read, 0 writes",
        format!("{:.2}, {:.2}", mine.sending.d1 as f64 / messages, mine.sending.rows_written as f64 / messages),
        mine.sending.d1 <= mine.messages as u64 && mine.sending.rows_written == 0,
    );
}

/// What a message posted over HTTP costs our worker: its `X-Round-Trips` and its log line.
fn cost(report: &mut Report, ours: &LiveRoom) -> Outcome {
    const POSTS: usize = 10;
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build();
    let url = format!("{}/room/{}/messages", ours.app.base, ours.room);
    let from = ours.app.log().len();
    let mut trips = Vec::new();
    for i in 0..POSTS {
        let result = agent
            .post(&url)
            .set("Authorization", &format!("Bearer {}", ours.keys[0]))
            .send_json(json!({ "text": format!("cost {i}") }));
        let response = match result {
            Ok(response) if response.status() == 201 => response,
            Ok(response) | Err(ureq::Error::Status(_, response)) => {
                let status = response.status();
                return Err(format!("POST {url}: {status}, not 201: {}", response.into_string().unwrap_or_default()));
            }
            Err(error) => return Err(format!("POST {url}: no answer: {error}")),
        };
        let header = response.header("X-Round-Trips").unwrap_or("").to_string();
        let d1 = header
            .split(", ")
            .find_map(|part| part.strip_prefix("d1="))
            .and_then(|count| count.parse::<u64>().ok())
            .ok_or_else(|| format!("POST {url}: X-Round-Trips \"{header}\" has no d1="))?;
        trips.push(d1);
    }
    // The log line may come a moment after the answer.
    std::thread::sleep(Duration::from_millis(500));
    let posts = logged(&ours.app.log()[from..], |line| {
        line["method"] == "POST" && line["route"] == "/room/:room_id/messages" && line["status"] == 201
    });
    if posts.lines != POSTS {
        return Err(format!("{POSTS} posts, but {} log lines of POST /room/:room_id/messages 201", posts.lines));
    }
    let (most_trips, rows) = (trips.iter().copied().max().unwrap_or(0), posts.rows_written);
    report.row(
        &format!("POST /room/{{id}}/messages: D1 round trips, rows written (most of {POSTS}; total rows)"),
        "≤ 1 read, 0 writes",
        format!("{most_trips}, {rows}"),
        most_trips <= 1 && rows == 0,
    );
    Ok(())
}

/// The worker's JSON log lines in a stretch of its log that `wanted` picks, summed.
#[derive(Default)]
struct Logged {
    lines: usize,
    d1: u64,
    rows_written: u64,
}

fn logged(log: &str, wanted: impl Fn(&Value) -> bool) -> Logged {
    let mut sum = Logged::default();
    for line in request_lines(log) {
        if !wanted(&line) {
            continue;
        }
        sum.lines += 1;
        sum.d1 += line["d1"].as_u64().unwrap_or(0);
        sum.rows_written += line["rows_written"].as_u64().unwrap_or(0);
    }
    sum
}

/// The worker's request lines in a stretch of its log (wrangler's own lines and the rest left
/// out): each a JSON object with the request's counts.
fn request_lines(log: &str) -> impl Iterator<Item = Value> + '_ {
    log.lines()
        .filter_map(|line| serde_json::from_str::<Value>(line.get(line.find('{')?..)?).ok())
        .filter(|line| line.get("d1").is_some())
}

fn senders(rate: f64) -> usize {
    (rate * 10.0 / FRAMES_PER_10_SECONDS).ceil().max(1.0) as usize
}

/// One round: `sockets` receivers connect, sit idle for `idle_seconds`, then receive what the
/// sender posts at `shape.rate` for `shape.seconds`.
pub fn fan_out(target: &LiveRoom, sockets: usize, shape: &Shape, idle_seconds: f64) -> Outcome<FanOut> {
    let url = target.url();
    let messages = (shape.rate * shape.seconds).round() as usize;
    // Each round's own: a `txn_id` sent again is answered and not posted again.
    static ROUNDS: AtomicUsize = AtomicUsize::new(0);
    let tag = format!("{}-{sockets}-{}-{}", target.name, std::process::id(), ROUNDS.fetch_add(1, Ordering::SeqCst));
    let rss_before = workerd_rss_kib(&target.app.state);

    let (receivers, connect) = open(&url, sockets)?;
    std::thread::sleep(Duration::from_secs(1));
    let rss = rss_before.zip(workerd_rss_kib(&target.app.state));
    let from = target.app.log().len();
    std::thread::sleep(Duration::from_secs_f64(idle_seconds));
    let idle = logged(&target.app.log()[from..], |_| true);

    let from = target.app.log().len();
    let started = Instant::now();
    let stop = AtomicBool::new(false);
    let finished = AtomicUsize::new(0);
    let (deliveries, sends, answered) = std::thread::scope(|scope| -> Outcome<_> {
        let mut readers = Vec::new();
        for socket in receivers {
            let (stop, finished, tag) = (&stop, &finished, &tag);
            let reader = std::thread::Builder::new()
                .stack_size(256 << 10)
                .spawn_scoped(scope, move || receive(socket, tag, messages, stop, finished))
                .map_err(|error| format!("a receiver's thread did not start: {error}"))?;
            readers.push(reader);
        }
        let sent = send(&url, &target.keys, &tag, messages, shape.rate);
        let deadline = Instant::now() + DRAIN;
        while finished.load(Ordering::SeqCst) < readers.len() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(20));
        }
        stop.store(true, Ordering::SeqCst);
        let mut deliveries = Vec::new();
        for reader in readers {
            deliveries.push(reader.join().map_err(|_| "a receiver's thread panicked".to_string())??);
        }
        let (sends, answered) = sent?;
        Ok((deliveries, sends, answered))
    })?;
    std::thread::sleep(Duration::from_millis(300));
    // The sender's own sockets open in this stretch: their upgrades are not the messages' cost.
    let sending = logged(&target.app.log()[from..], |line| line["route"] != "/room/:room_id/live");

    let mut latencies = Vec::new();
    let (mut lost, mut reordered, mut gaps, mut last) = (0, 0, 0, started);
    let mut receipts: Vec<Option<(Instant, Instant)>> = vec![None; messages];
    for socket in &deliveries {
        let mut seen = vec![false; messages];
        let mut previous = 0;
        for &(index, seq, at) in socket {
            if seq <= previous || seen[index] {
                reordered += 1;
            } else if previous != 0 && seq != previous + 1 {
                gaps += 1;
            }
            let receipt = &mut receipts[index];
            *receipt = Some(receipt.map_or((at, at), |(first, last)| (first.min(at), last.max(at))));
            previous = previous.max(seq);
            seen[index] = true;
            if let Some(sent) = sends[index] {
                latencies.push(at.saturating_duration_since(sent));
            }
            last = last.max(at);
        }
        lost += seen.iter().filter(|seen| !**seen).count();
    }
    if latencies.is_empty() {
        return Err(format!("{url}: no message reached any of {sockets} sockets"));
    }
    latencies.sort();
    let mut spreads: Vec<Duration> = receipts.iter().flatten().map(|(first, last)| *last - *first).collect();
    spreads.sort();
    let spread = spreads.get(spreads.len() / 2).copied().unwrap_or_default();
    let first = sends.iter().flatten().min().copied().unwrap_or(started);
    let round = FanOut {
        sockets,
        connect,
        latencies,
        messages,
        answered,
        lost,
        reordered,
        gaps,
        spread,
        active: last.saturating_duration_since(first),
        rss,
        idle,
        sending,
        idle_seconds,
    };
    let ((p50, p99), (c50, c99)) = (round.delivery(), round.connect_ms());
    println!(
        "  {:>4} {sockets:>5} sockets: delivery {p50:.1}/{p99:.1} ms, {:.0}/s, lost {lost}, reordered {reordered}, \
         gaps {gaps}, {answered} of {messages} sent answered, connect {c50:.1}/{c99:.1} ms",
        target.name,
        round.per_second()
    );
    Ok(round)
}

/// `sockets` keyless sockets, each open up to its `ready` frame, and how long each took.
fn open(url: &str, sockets: usize) -> Outcome<(Vec<Socket>, Vec<Duration>)> {
    let next = AtomicUsize::new(0);
    let opened = Mutex::new((Vec::new(), Vec::new()));
    std::thread::scope(|scope| {
        let connectors: Vec<_> = (0..CONNECTORS.min(sockets))
            .map(|_| {
                scope.spawn(|| -> Outcome {
                    while next.fetch_add(1, Ordering::SeqCst) < sockets {
                        let (socket, took) = connect(url, None)?;
                        let mut opened = opened.lock().unwrap();
                        opened.0.push(socket);
                        opened.1.push(took);
                    }
                    Ok(())
                })
            })
            .collect();
        for connector in connectors {
            connector.join().map_err(|_| "a connecting thread panicked".to_string())??;
        }
        Ok::<_, String>(())
    })?;
    let (receivers, mut connect) = opened.into_inner().unwrap();
    connect.sort();
    Ok((receivers, connect))
}

/// A WebSocket to `url` (`ws://`), with `key` as its Bearer (or none): no delay, reads that
/// wait at most 60 s, and an upgrade refused said with its status and body.
pub fn upgrade(url: &str, key: Option<&str>) -> Outcome<Socket> {
    let mut request = url.into_client_request().map_err(|error| format!("{url}: {error}"))?;
    if let Some(key) = key {
        request.headers_mut().insert("Authorization", format!("Bearer {key}").parse().unwrap());
    }
    let address = url.trim_start_matches("ws://").split('/').next().unwrap_or_default();
    let stream = TcpStream::connect(address).map_err(|error| format!("{url}: connecting: {error}"))?;
    stream.set_nodelay(true).map_err(|error| format!("{url}: {error}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(60))).map_err(|error| format!("{url}: {error}"))?;
    let (socket, _) = tungstenite::client(request, stream).map_err(|error| match error {
        HandshakeError::Failure(tungstenite::Error::Http(response)) => format!(
            "GET {url}: {}, not an upgrade: {}",
            response.status(),
            String::from_utf8_lossy(response.body().as_deref().unwrap_or_default())
        ),
        error => format!("GET {url}: the upgrade failed: {error}"),
    })?;
    Ok(socket)
}

/// A socket opened with `key` (or none), read up to its `ready` frame; the time that took.
fn connect(url: &str, key: Option<&str>) -> Outcome<(Socket, Duration)> {
    let started = Instant::now();
    let mut socket = upgrade(url, key)?;
    loop {
        let frame = read_frame(&mut socket).map_err(|error| format!("{url}: before `ready`: {error}"))?;
        match frame.as_ref().map(|frame| frame["type"].as_str()) {
            Some(Some("ready")) => return Ok((socket, started.elapsed())),
            Some(Some("hello" | "presence")) | None => {}
            _ => return Err(format!("{url}: before `ready`, an unexpected frame: {frame:?}")),
        }
    }
}

/// The next text frame as JSON; `None` for a control frame or a read timeout.
fn read_frame(socket: &mut Socket) -> Result<Option<Value>, String> {
    match socket.read() {
        Ok(Message::Text(text)) => {
            serde_json::from_str(&text).map(Some).map_err(|error| format!("a frame not JSON ({error}): {text}"))
        }
        Ok(Message::Close(close)) => Err(format!("the server closed the socket: {close:?}")),
        Ok(_) => Ok(None),
        // A read a signal interrupted (EINTR) is read again, as a timeout is.
        Err(tungstenite::Error::Io(error))
            if matches!(error.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut | ErrorKind::Interrupted) =>
        {
            Ok(None)
        }
        Err(error) => Err(error.to_string()),
    }
}

/// A receiver: every `message` frame of this round (its index, its seq, when it was read)
/// until it has all `messages` or `stop` is set.
fn receive(
    mut socket: Socket,
    tag: &str,
    messages: usize,
    stop: &AtomicBool,
    finished: &AtomicUsize,
) -> Outcome<Vec<(usize, u64, Instant)>> {
    let prefix = format!("{tag} ");
    let mut deliveries = Vec::with_capacity(messages);
    let mut outcome = socket
        .get_mut()
        .set_read_timeout(Some(Duration::from_millis(200)))
        .map_err(|error| format!("a receiver: {error}"));
    while outcome.is_ok() && deliveries.len() < messages && !stop.load(Ordering::SeqCst) {
        match read_frame(&mut socket) {
            Ok(Some(frame)) => {
                let at = Instant::now();
                if frame["type"] != "message" {
                    continue;
                }
                let index = frame["message"]["text"]
                    .as_str()
                    .and_then(|text| text.strip_prefix(&prefix))
                    .and_then(|index| index.parse::<usize>().ok())
                    .filter(|index| *index < messages);
                match (index, frame["seq"].as_u64()) {
                    (Some(index), Some(seq)) => deliveries.push((index, seq, at)),
                    _ => outcome = Err(format!("a receiver: a message not of this round: {frame}")),
                }
            }
            Ok(None) => {}
            Err(error) => outcome = Err(format!("a receiver: {error}")),
        }
    }
    finished.fetch_add(1, Ordering::SeqCst);
    let _ = socket.close(None);
    let _ = socket.flush();
    outcome.map(|()| deliveries)
}

/// The senders: `messages` posts at `rate`, spread over their sockets in turn, one socket per
/// member; when each was sent (by index), and how many were answered `sent`.
fn send(url: &str, keys: &[String], tag: &str, messages: usize, rate: f64) -> Outcome<(Vec<Option<Instant>>, usize)> {
    let senders = senders(rate);
    if senders > keys.len() {
        return Err(format!("{rate} messages/s needs {senders} senders, but the room has {} keys", keys.len()));
    }
    let mut sockets = Vec::new();
    for key in &keys[..senders] {
        sockets.push(connect(url, Some(key))?.0);
    }
    let start = Instant::now() + Duration::from_millis(200);
    let sends = Mutex::new(vec![None; messages]);
    let answered = AtomicUsize::new(0);
    std::thread::scope(|scope| {
        let threads: Vec<_> = sockets
            .into_iter()
            .enumerate()
            .map(|(first, mut socket)| {
                let (sends, answered) = (&sends, &answered);
                scope.spawn(move || -> Outcome {
                    let mut mine = 0;
                    for index in (first..messages).step_by(senders) {
                        let at = start + Duration::from_secs_f64(index as f64 / rate);
                        mine += answers_until(&mut socket, at)?;
                        let frame = json!({ "type": "send", "text": format!("{tag} {index}"), "txn_id": format!("{tag}-{index}") });
                        sends.lock().unwrap()[index] = Some(Instant::now());
                        socket
                            .send(Message::text(frame.to_string()))
                            .map_err(|error| format!("the sender: sending: {error}"))?;
                    }
                    let expected = (first..messages).step_by(senders).count();
                    let deadline = Instant::now() + DRAIN;
                    while mine < expected && Instant::now() < deadline {
                        mine += answers_until(&mut socket, (Instant::now() + Duration::from_millis(100)).min(deadline))?;
                    }
                    answered.fetch_add(mine, Ordering::SeqCst);
                    let _ = socket.close(None);
                    let _ = socket.flush();
                    Ok(())
                })
            })
            .collect();
        for thread in threads {
            thread.join().map_err(|_| "a sender's thread panicked".to_string())??;
        }
        Ok::<_, String>(())
    })?;
    Ok((sends.into_inner().unwrap(), answered.into_inner()))
}

/// The `sent` answers a sender's socket reads until `until`; an `error` frame ends the run.
fn answers_until(socket: &mut Socket, until: Instant) -> Outcome<usize> {
    let mut answers = 0;
    loop {
        let now = Instant::now();
        if now >= until {
            return Ok(answers);
        }
        socket.get_mut().set_read_timeout(Some(until - now)).map_err(|error| format!("the sender: {error}"))?;
        match read_frame(socket).map_err(|error| format!("the sender: {error}"))? {
            Some(frame) if frame["type"] == "sent" => answers += 1,
            Some(frame) if frame["type"] == "error" => return Err(format!("the sender was refused: {frame}")),
            _ => {}
        }
    }
}

/// The `/proc` directory of the workerd process that runs an instance's worker: the one of
/// `wrangler dev`'s two that holds files of its state directory open.
fn workerd(state: &Path) -> Option<PathBuf> {
    let state = std::fs::canonicalize(state).ok()?;
    std::fs::read_dir("/proc").ok()?.flatten().map(|process| process.path()).find(|path| {
        let named = std::fs::read_to_string(path.join("comm")).is_ok_and(|name| name.trim() == "workerd");
        named
            && std::fs::read_dir(path.join("fd")).is_ok_and(|files| {
                files.flatten().any(|file| std::fs::read_link(file.path()).is_ok_and(|to| to.starts_with(&state)))
            })
    })
}

/// Its resident memory, KiB.
pub(crate) fn workerd_rss_kib(state: &Path) -> Option<u64> {
    let status = std::fs::read_to_string(workerd(state)?.join("status")).ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmRSS:"))
        .and_then(|kib| kib.trim().trim_end_matches("kB").trim().parse().ok())
}

/// The loopback ports it listens on.
fn workerd_ports(state: &Path) -> Vec<u16> {
    let Some(process) = workerd(state) else { return Vec::new() };
    let sockets: Vec<String> = std::fs::read_dir(process.join("fd"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|file| std::fs::read_link(file.path()).ok())
        .filter_map(|to| to.to_str()?.strip_prefix("socket:[")?.strip_suffix(']').map(str::to_string))
        .collect();
    let table = std::fs::read_to_string("/proc/net/tcp").unwrap_or_default();
    table
        .lines()
        .skip(1)
        .filter_map(|row| {
            let fields: Vec<&str> = row.split_whitespace().collect();
            let (local, listening, inode) = (fields.get(1)?, fields.get(3)? == &"0A", fields.get(9)?);
            if !listening || !sockets.iter().any(|socket| socket == inode) {
                return None;
            }
            u16::from_str_radix(local.split(':').nth(1)?, 16).ok()
        })
        .collect()
}

/// Its entry socket: the port that answers as the worker does (a JSON 404 for a path no
/// route serves).
fn workerd_entry(state: &Path) -> Option<String> {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(3)).build();
    workerd_ports(state).into_iter().find_map(|port| {
        let base = format!("http://127.0.0.1:{port}");
        match agent.get(&format!("{base}/nowhere/at/all/here")).call() {
            Err(ureq::Error::Status(404, answer)) if answer.content_type() == "application/json" => Some(base),
            _ => None,
        }
    })
}

/// Its own inspector's session for the worker's isolate (`ws://…/core:user:<name>`): the one
/// wrangler's inspector proxy relays, reached directly (the proxy stalls past a few thousand
/// sockets).
pub(crate) fn workerd_inspector(state: &Path) -> Option<String> {
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(3)).build();
    workerd_ports(state).into_iter().find_map(|port| {
        let targets: Value = agent.get(&format!("http://127.0.0.1:{port}/json/list")).call().ok()?.into_json().ok()?;
        targets.as_array()?.iter().find_map(|target| {
            let id = target["id"].as_str()?;
            id.starts_with("core:user:").then(|| format!("ws://127.0.0.1:{port}/{id}"))
        })
    })
}

/// The test command's live check: a few sockets on each worker, every message delivered once,
/// in order. `ours` and `theirs` are instances already running; the baseline's keys are put in.
pub fn smoke(report: &mut Report, ours_app: &TestApp, baseline_app: &TestApp) -> Outcome {
    seed_keys(baseline_app, BASELINE)?;
    let (ours, theirs) = (ours(ours_app), baseline(baseline_app));
    let shape = &SMOKE;
    for &sockets in shape.sockets {
        let mine = fan_out(&ours, sockets, shape, shape.idle_seconds)?;
        let other = fan_out(&theirs, sockets, shape, shape.idle_seconds)?;
        for round in [&mine, &other] {
            if !round.complete() {
                return Err(format!(
                    "live smoke, {sockets} sockets: lost {}, reordered {}, {} of {} sent answered",
                    round.lost, round.reordered, round.answered, round.messages
                ));
            }
        }
        let ((p50, p99), (their_p50, their_p99)) = (mine.delivery(), other.delivery());
        report.info(
            &format!(
                "live: {sockets} sockets, {:.0} s at {:.0}/s: delivery p50/p99 ms (JS)",
                shape.seconds, shape.rate
            ),
            "(reported)",
            format!("{p50:.1}/{p99:.1} ({their_p50:.1}/{their_p99:.1}), none lost or reordered"),
        );
    }
    Ok(())
}
