//! Section 12, a room past one object: N keyless sockets on one room and members posting at a
//! steady rate over WebSockets, the room spread over fan-out objects (`ROOM_SOCKETS_PER_OBJECT`
//! at its 1,000) beside the same room held by one object (`ROOM_SOCKETS_PER_OBJECT=30000`),
//! each on a fresh instance. Every message must reach every socket once and in order, each
//! socket's seqs one after the other; every object must hold at most its share (the `fan` of
//! the opening's log line says which object took each socket). What a push costs then gives a
//! room of 100,000 watchers on paper.

use std::collections::BTreeMap;

use super::{fan_out, ours, request_lines, FanOut, Shape};
use crate::helpers::TestApp;
use crate::{Outcome, Report};

/// `BENCH_SPREAD_SOCKETS` (5,000 unless told).
const SOCKETS: usize = 5000;
/// The sockets one object holds, as the worker's default says.
const SHARE: usize = 1000;
/// The rate, for 10 s.
const SHAPE: Shape = Shape { sockets: &[], rate: 5.0, seconds: 10.0, idle_seconds: 0.0, rounds: 1 };

pub fn section(report: &mut Report) -> Outcome {
    let sockets = match std::env::var("BENCH_SPREAD_SOCKETS") {
        Ok(n) => n.trim().parse().map_err(|_| format!("BENCH_SPREAD_SOCKETS: {n:?} is not a count"))?,
        Err(_) => SOCKETS,
    };
    report.section(&format!(
        "12. A room past one object: {sockets} sockets on one room, {} messages/s for {} s, spread over fan-out objects of {SHARE} beside one object holding them all",
        SHAPE.rate, SHAPE.seconds
    ));
    let (spread, held) = round(&[], sockets)?;
    let (whole, _) = round(&[("ROOM_SOCKETS_PER_OBJECT", "30000")], sockets)?;
    report.row(
        "spread: messages lost, reordered, seq gaps; sent answered",
        "0, 0, 0; all",
        format!("{}, {}, {}; {} of {}", spread.lost, spread.reordered, spread.gaps, spread.answered, spread.messages),
        spread.complete(),
    );
    let most = held.values().copied().max().unwrap_or(0);
    let shares: Vec<String> = held
        .iter()
        .map(|(fan, n)| match fan {
            None => format!("room {n}"),
            Some(fan) => format!("fan {fan} {n}"),
        })
        .collect();
    report.row(
        "spread: sockets each object took (the room's own, each fan-out object's)",
        &format!("≤ {SHARE} each (+ the senders' sockets)"),
        shares.join(", "),
        most <= SHARE + super::SENDERS as usize && held.len() >= sockets.div_ceil(SHARE),
    );
    report.row(
        "one object: messages lost, reordered, seq gaps; sent answered",
        "0, 0, 0; all",
        format!("{}, {}, {}; {} of {}", whole.lost, whole.reordered, whole.gaps, whole.answered, whole.messages),
        whole.complete(),
    );
    let ((p50, p99), (their50, their99)) = (spread.delivery(), whole.delivery());
    report.info(
        "delivery p50 / p99 ms, spread (one object)",
        "(reported)",
        format!("{p50:.0} / {p99:.0} ({their50:.0} / {their99:.0})"),
    );
    let ms = |duration: std::time::Duration| duration.as_secs_f64() * 1000.0;
    let (mine, theirs) = (ms(spread.spread), ms(whole.spread));
    report.info(
        "a message's first to last receipt, median ms, spread (one object)",
        "(reported)",
        format!("{mine:.0} ({theirs:.0})"),
    );
    // One object pushes a message to its sockets one after another: the time from the first
    // receipt to the last, over the sockets, is what a push costs it (and this process's
    // readers, on the same two cores: an upper bound).
    let push = theirs / sockets as f64;
    report.info(
        "a push, ms of one object's time (one object's receipts, over its sockets)",
        "(reported)",
        format!("{push:.3}"),
    );
    let watchers = 100_000.0;
    let objects = (watchers / SHARE as f64).ceil();
    report.info(
        "100,000 watchers on paper: objects; a message's pushes per object, ms; as one object, ms",
        "(reported)",
        format!(
            "{objects:.0} (the room's and {:.0} fan-out); {:.0} ms each, side by side; {:.0} ms (and past the 32,768 sockets an object may hold)",
            objects - 1.0,
            SHARE as f64 * push,
            watchers * push
        ),
    );
    report.note(format!(
        "Sockets open 16 at a time, keyless viewers, straight to the workerd that runs the worker; then members post over \
         their own sockets. Each socket checks every message once, in order, and its seqs one after the other. The spread \
         instance runs with the default ROOM_SOCKETS_PER_OBJECT ({SHARE}); the other with 30000, so that one object holds \
         every socket. On this machine every object shares two cores with workerd and with the {sockets} reading \
         threads, so the times bound what an object costs from above; the test is of correctness and of each object's \
         share. On the platform each object has its own thread: a room of 100,000 watchers is 100 objects each pushing \
         1,000 frames a message, side by side, and the room's object hands each event to 99 of them (99 subrequests, \
         batched while one is under way)."
    ));
    Ok(())
}

/// One round on a fresh instance with these vars: what it measured, and how many sockets
/// each object took (`None`: the room's own).
fn round(vars: &[(&str, &str)], sockets: usize) -> Outcome<(FanOut, BTreeMap<Option<u64>, usize>)> {
    let app = TestApp::spawn(vars);
    let room = ours(&app);
    let from = app.log().len();
    let measured = fan_out(&room, sockets, &SHAPE, 0.0)?;
    let mut held = BTreeMap::new();
    for line in request_lines(app.log().get(from..).unwrap_or_default()) {
        if line["route"] == "/room/:room_id/live" && line["status"] == 101 {
            *held.entry(line["fan"].as_u64()).or_insert(0) += 1;
        }
    }
    Ok((measured, held))
}
