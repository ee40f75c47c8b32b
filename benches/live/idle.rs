//! Section 11, idle sockets: what N open, idle sockets on one room cost the room's object
//! itself, the Rust worker's beside the plain-JS one of bench/baseline, each on a fresh instance.
//!
//! An object's own memory is its isolate's JS heap once collected (a heap snapshot through
//! workerd's inspector collects it first, then `Runtime.getHeapUsage`) plus, for the Rust
//! worker, its wasm instance's linear memory (the `wasm_kib` of the worker's log line). Under
//! `wrangler dev` one isolate runs the worker and its objects; the room is the only object
//! with sockets. workerd's resident set is reported beside it: it is the whole runtime's
//! (each connection's buffers, the socket pumps), outside the isolate's heap and linear memory.

use std::net::TcpStream;
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::client::IntoClientRequest;
use tungstenite::{Message, WebSocket};

use super::{baseline, open, ours, request_lines, workerd_inspector, workerd_rss_kib, LiveRoom, Socket};
use crate::helpers::TestApp;
use crate::{percentile, Outcome, Report, BASELINE};

/// Sockets open at each measure, in the order they are reached (more opened each time).
const FULL: &[usize] = &[1000, 5000];
/// An object's memory limit on the platform.
const OBJECT_LIMIT_MIB: f64 = 128.0;

/// One worker's figures at one number of sockets.
#[derive(Clone, Copy)]
struct Own {
    sockets: usize,
    heap: f64,
    wasm: f64,
    /// workerd's resident set, KiB.
    rss: Option<f64>,
    /// The p50 of the sockets opened to reach this number, ms.
    connect: f64,
    /// The p50 of the `ms` of those openings' log lines: the worker's wait on D1 and on the
    /// room's object (its clock moves only across I/O).
    waited: f64,
}

impl Own {
    /// The object's own memory, bytes.
    fn total(&self) -> f64 {
        self.heap + self.wasm
    }

    /// Per socket beyond `empty`, KiB.
    fn per_socket(&self, empty: &Own, of: fn(&Own) -> f64) -> f64 {
        (of(self) - of(empty)) / 1024.0 / self.sockets.max(1) as f64
    }
}

pub fn section(report: &mut Report) -> Outcome {
    let sizes = sizes()?;
    report.section(
        "11. Idle sockets: N keyless sockets open on one room, the room object's own memory, the Rust worker's beside a plain-JS one",
    );
    let (mine, theirs) = {
        // One object holds every socket, as the JS one does (past ROOM_SOCKETS_PER_OBJECT, 1,000,
        // the room would place them in fan-out objects: section 12).
        let app = TestApp::spawn(&[("ROOM_SOCKETS_PER_OBJECT", "30000")]);
        let mine = measure(&ours(&app), &sizes)?;
        drop(app);
        let app = crate::seeded(&[], false, BASELINE)?;
        let theirs = measure(&baseline(&app), &sizes)?;
        (mine, theirs)
    };
    let (Some(empty), Some(their_empty)) = (mine.first(), theirs.first()) else {
        return Err("idle sockets: nothing measured".into());
    };
    let mib = |bytes: f64| bytes / (1024.0 * 1024.0);
    report.info(
        "0 sockets: JS heap + wasm memory, MiB (JS object)",
        "(reported)",
        format!("{:.2} + {:.2} ({:.2})", mib(empty.heap), mib(empty.wasm), mib(their_empty.total())),
    );
    for (own, their) in mine.iter().zip(&theirs).skip(1) {
        let n = own.sockets;
        let (per, their_per) = (own.per_socket(empty, Own::total), their.per_socket(their_empty, Own::total));
        report.row(
            &format!("{n} sockets: the object's own memory per socket, KiB: JS heap + wasm (JS object)"),
            "≤ 1.25× JS + 1 KiB",
            format!(
                "{per:.2} = {:.2} + {:.2} ({their_per:.2})",
                own.per_socket(empty, |own| own.heap),
                own.per_socket(empty, |own| own.wasm)
            ),
            per <= 1.25 * their_per.max(0.0) + 1.0,
        );
        report.row(
            &format!("{n} sockets: the object's own memory, MiB (JS object)"),
            &format!("< {OBJECT_LIMIT_MIB:.0} MiB"),
            format!("{:.1} ({:.1})", mib(own.total()), mib(their.total())),
            mib(own.total()) < OBJECT_LIMIT_MIB,
        );
        let ratio = own.connect / their.connect;
        report.row(
            &format!("{n} sockets: connect p50 ms, the last {} opened (JS object)", n - previous(&mine, n)),
            "≤ 1.25× JS",
            format!("{:.1} ({:.1}): {ratio:.2}×", own.connect, their.connect),
            ratio <= 1.25,
        );
        report.info(
            &format!(
                "{n} sockets: of a connect, the worker's wait on D1 and the object (its log line's ms), p50 ms (JS)"
            ),
            "(reported)",
            format!("{:.1} ({:.1})", own.waited, their.waited),
        );
        let rss = |own: &Own, empty: &Own| match (own.rss, empty.rss) {
            (Some(after), Some(before)) => format!("{:.0}", (after - before) / n as f64),
            _ => "?".into(),
        };
        report.info(
            &format!("{n} sockets: workerd's resident memory per socket, KiB (JS object)"),
            "(reported)",
            format!("{} ({})", rss(own, empty), rss(their, their_empty)),
        );
    }
    report.note(
        "The object's own memory: the isolate's JS heap after a full collection (a heap snapshot through workerd's \
         inspector, then `Runtime.getHeapUsage`), plus the wasm instance's linear memory (the `wasm_kib` of the \
         worker's log line), with the sockets just opened (the object awake). Sockets open 16 at a time, keyless \
         viewers, straight to the workerd that runs each worker; each count adds sockets to those already open. \
         workerd's resident set is the whole process's after the sockets opened: each connection's buffers \
         and pumps, outside the isolate's heap and linear memory."
            .into(),
    );
    Ok(())
}

/// The number of sockets measured before `n`.
fn previous(mine: &[Own], n: usize) -> usize {
    mine.iter().map(|own| own.sockets).filter(|&sockets| sockets < n).max().unwrap_or(0)
}

/// `BENCH_IDLE_SOCKETS=1000,5000` (the default).
fn sizes() -> Outcome<Vec<usize>> {
    match std::env::var("BENCH_IDLE_SOCKETS") {
        Ok(list) => list
            .split(',')
            .map(|n| n.trim().parse().map_err(|_| format!("BENCH_IDLE_SOCKETS: {n:?} is not a count")))
            .collect(),
        Err(_) => Ok(FULL.to_vec()),
    }
}

/// The room's object with no socket, then with each number of sockets open.
fn measure(room: &LiveRoom, sizes: &[usize]) -> Outcome<Vec<Own>> {
    let mut open_sockets: Vec<Socket> = Vec::new();
    let mut measured = vec![own(room, 0, 0.0)?];
    for &n in sizes {
        let from = room.app.log().len();
        let (more, mut connects) = open(&room.url(), n.saturating_sub(open_sockets.len()))?;
        open_sockets.extend(more);
        connects.sort();
        std::thread::sleep(Duration::from_millis(500));
        let mut waits: Vec<f64> = request_lines(room.app.log().get(from..).unwrap_or_default())
            .filter(|line| line["route"] == "/room/:room_id/live" && line["status"] == 101)
            .filter_map(|line| line["ms"].as_f64())
            .collect();
        waits.sort_by(f64::total_cmp);
        let mut own = own(room, open_sockets.len(), percentile(&connects, 0.5))?;
        own.waited = waits.get(waits.len() / 2).copied().unwrap_or(f64::NAN);
        println!(
            "  {:>4} {:>5} idle sockets: JS heap {:.2} MiB, wasm {:.2} MiB, connect p50 {:.1} ms",
            room.name,
            own.sockets,
            own.heap / 1048576.0,
            own.wasm / 1048576.0,
            own.connect
        );
        measured.push(own);
    }
    Ok(measured)
}

fn own(room: &LiveRoom, sockets: usize, connect: f64) -> Outcome<Own> {
    Ok(Own {
        sockets,
        heap: collected_heap(
            &workerd_inspector(&room.app.state)
                .ok_or("idle sockets: the worker's workerd has no inspector to reach")?,
        )?,
        wasm: wasm_kib(room.app)? * 1024.0,
        rss: workerd_rss_kib(&room.app.state).map(|kib| kib as f64),
        connect,
        waited: f64::NAN,
    })
}

/// The worker's linear memory by its next log line, KiB; 0 for a worker without wasm.
fn wasm_kib(app: &TestApp) -> Outcome<f64> {
    let from = app.log().len();
    let url = format!("{}/no-such-route", app.base);
    let _ = ureq::get(&url).timeout(Duration::from_secs(30)).call();
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        let log = app.log();
        let line = request_lines(log.get(from..).unwrap_or_default())
            .find(|line| line["route"].is_null() && line["status"] == 404);
        if let Some(line) = line {
            return Ok(line["wasm_kib"].as_f64().unwrap_or(0.0));
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Err(format!("{url}: no log line"))
}

/// The isolate's JS heap once collected, bytes: a heap snapshot (which collects first; its
/// chunks are read and dropped), then the heap's use. workerd keeps one inspector session:
/// a new one closes wrangler's, which comes back and may close ours, so a closed session is
/// tried again.
fn collected_heap(inspector: &str) -> Outcome<f64> {
    let mut attempts = 0;
    loop {
        attempts += 1;
        match heap_session(inspector) {
            Ok(heap) => return Ok(heap),
            Err(error) if attempts < 10 => {
                println!("  {inspector}: {error}; again");
                std::thread::sleep(Duration::from_millis(300));
            }
            Err(error) => return Err(error),
        }
    }
}

fn heap_session(inspector: &str) -> Outcome<f64> {
    let request = inspector.into_client_request().map_err(|error| format!("{inspector}: {error}"))?;
    let address = inspector.trim_start_matches("ws://").split('/').next().unwrap_or_default();
    let stream = TcpStream::connect(address).map_err(|error| format!("{inspector}: {error}"))?;
    stream.set_read_timeout(Some(Duration::from_secs(120))).map_err(|error| format!("{inspector}: {error}"))?;
    let (mut socket, _) = tungstenite::client(request, stream).map_err(|error| format!("{inspector}: {error}"))?;
    call(&mut socket, 1, "HeapProfiler.enable", json!({}))?;
    call(&mut socket, 2, "HeapProfiler.takeHeapSnapshot", json!({ "reportProgress": false }))?;
    let usage = call(&mut socket, 3, "Runtime.getHeapUsage", json!({}))?;
    let _ = socket.close(None);
    usage["usedSize"].as_f64().ok_or_else(|| format!("{inspector}: Runtime.getHeapUsage answered {usage}"))
}

/// Sends a DevTools command and reads up to its answer (events meanwhile are dropped).
fn call(socket: &mut WebSocket<TcpStream>, id: u64, method: &str, params: Value) -> Outcome<Value> {
    let command = json!({ "id": id, "method": method, "params": params }).to_string();
    socket.send(Message::text(command)).map_err(|error| format!("{method}: {error}"))?;
    loop {
        let message = socket.read().map_err(|error| format!("{method}: {error}"))?;
        let Message::Text(text) = message else { continue };
        let answer: Value = serde_json::from_str(text.as_str()).map_err(|error| format!("{method}: {error}"))?;
        if answer["id"] == id {
            if let Some(error) = answer.get("error") {
                return Err(format!("{method}: {error}"));
            }
            return Ok(answer["result"].clone());
        }
    }
}
