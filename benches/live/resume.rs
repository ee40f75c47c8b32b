//! Section 7, a long resume: a socket that resumes over 9,900 events (and what is posted while it
//! connects: the most a resume replays is 10,000) is sent them 500 at a time, while the room goes
//! on serving. Measured
//! side by side in the same run on the same room: the latency of posts over HTTP with no resume
//! under way, and while one is; the replay's duration; workerd's resident memory before and at
//! its peak during the replay.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use serde_json::{json, Value};
use tungstenite::Message;

use super::{read_frame, upgrade, workerd_rss_kib};
use crate::helpers::{TestApp, User};
use crate::{percentile, Outcome, Report};

/// Events the resume replays: `chatrooms::live::history::MAX_REPLAY`.
const EVENTS: usize = chatrooms::live::history::MAX_REPLAY as usize;
/// Posts timed in each phase, one after the other.
const POSTS: usize = 100;

pub fn section(report: &mut Report) -> Outcome {
    report.section(&format!("7. A resume over {EVENTS} events: the room's posts meanwhile, and workerd's memory"));
    let app = TestApp::spawn(&[]);
    let owner = app.sign_up("resume bench");
    let room = app.create_named_room(&owner, "resume bench", true);
    let filled = Instant::now();
    fill(&app, &room, &owner, EVENTS)?;
    println!("  filled the room with {EVENTS} messages in {:.0} s", filled.elapsed().as_secs_f64());

    let quiet = timed_posts(&app, &room, &owner, "quiet", None)?;
    // The resume starts EVENTS − POSTS events back: the posts that land while its socket connects
    // must not take it past the most a resume replays (the room would answer `reset`).
    let mark = app.post_message(&room, &owner, "where the resume is counted from");
    let latest = mark.body["seq"].as_i64().ok_or_else(|| format!("a post answered {} {}", mark.status, mark.text))?;
    let after = latest - (EVENTS - POSTS) as i64;
    let url = format!("{}/room/{room}/live?after={after}", app.base.replacen("http://", "ws://", 1));
    let rss_before = workerd_rss_kib(&app.state);
    let peak = AtomicU64::new(rss_before.unwrap_or(0));
    let replaying = AtomicBool::new(true);
    let (during, replay) = std::thread::scope(|scope| -> Outcome<_> {
        let sampler = scope.spawn(|| {
            while replaying.load(Ordering::SeqCst) {
                if let Some(rss) = workerd_rss_kib(&app.state) {
                    peak.fetch_max(rss, Ordering::SeqCst);
                }
                std::thread::sleep(Duration::from_millis(20));
            }
        });
        let resume = scope.spawn(|| {
            let outcome = replay(&url, &owner.key);
            replaying.store(false, Ordering::SeqCst);
            outcome
        });
        let during = timed_posts(&app, &room, &owner, "during", Some(&replaying));
        let replay = resume.join().map_err(|_| "the resume's thread panicked".to_string())?;
        sampler.join().map_err(|_| "the sampler panicked".to_string())?;
        Ok((during?, replay?))
    })?;
    let (replayed, took) = replay;
    if replayed < EVENTS - POSTS {
        return Err(format!("the resume replayed {replayed} events, fewer than the {} asked for", EVENTS - POSTS));
    }
    let ms = |latencies: &[Duration]| (percentile(latencies, 0.5), percentile(latencies, 0.99));
    let ((q50, q99), (d50, d99)) = (ms(&quiet), ms(&during));
    report.info(
        &format!(
            "POST /room/{{id}}/messages p50/p99 ms: during the resume, {} posts (none under way, {POSTS})",
            during.len()
        ),
        "(reported)",
        format!("{d50:.1}/{d99:.1} ({q50:.1}/{q99:.1}); {:.2}x the p50", d50 / q50),
    );
    report.info(
        "the resume: events replayed before `ready`, and how long it took",
        "(reported)",
        format!("{replayed} in {:.0} ms", took.as_secs_f64() * 1000.0),
    );
    let memory = match rss_before {
        Some(before) => format!(
            "{:.1} MiB before, {:.1} MiB at its peak (+{:.1} MiB)",
            before as f64 / 1024.0,
            peak.load(Ordering::SeqCst) as f64 / 1024.0,
            (peak.load(Ordering::SeqCst).saturating_sub(before)) as f64 / 1024.0
        ),
        None => "workerd not found".to_string(),
    };
    report.info("workerd's resident memory during the resume", "(reported)", memory);
    report.note(format!(
        "The room holds {EVENTS} messages posted over HTTP. {POSTS} posts are timed one after the other with no \
         resume under way, then posts one after the other for as long as one socket resumes from {} events \
         before the latest (at least 10 posts): the replay goes 500 events a page, the room serving its other calls between pages, so a post \
         waits for a page at most. Memory is workerd's resident set (the whole runtime, not the object alone), \
         sampled every 20 ms.",
        EVENTS - POSTS
    ));
    Ok(())
}

/// Posts `count` messages over HTTP, 16 at a time.
fn fill(app: &TestApp, room: &str, author: &User, count: usize) -> Outcome {
    std::thread::scope(|scope| {
        let threads: Vec<_> = (0..16)
            .map(|thread| {
                scope.spawn(move || -> Outcome {
                    for n in (thread..count).step_by(16) {
                        let posted = app.post_message(room, author, &format!("message {n}"));
                        if posted.status != 201 {
                            return Err(format!("filling the room: {} {}", posted.status, posted.text));
                        }
                    }
                    Ok(())
                })
            })
            .collect();
        threads.into_iter().try_for_each(|thread| thread.join().map_err(|_| "a filler panicked".to_string())?)
    })
}

/// Posts one after the other, each one's latency, sorted: `POSTS` of them, or, given `during`,
/// as long as it holds (and at least 10).
fn timed_posts(
    app: &TestApp,
    room: &str,
    author: &User,
    tag: &str,
    during: Option<&AtomicBool>,
) -> Outcome<Vec<Duration>> {
    let mut latencies = Vec::new();
    loop {
        let more = match during {
            None => latencies.len() < POSTS,
            Some(flag) => flag.load(Ordering::SeqCst) || latencies.len() < 10,
        };
        if !more {
            break;
        }
        let started = Instant::now();
        let posted = app.post_message(room, author, &format!("{tag} {}", latencies.len()));
        if posted.status != 201 {
            return Err(format!("a timed post: {} {}", posted.status, posted.text));
        }
        latencies.push(started.elapsed());
    }
    latencies.sort();
    Ok(latencies)
}

/// Resumes from the url's `after` and reads up to `ready`: the events replayed, and how long.
fn replay(url: &str, key: &str) -> Outcome<(usize, Duration)> {
    let started = Instant::now();
    let mut socket = upgrade(url, Some(key))?;
    let mut replayed = 0;
    loop {
        match read_frame(&mut socket)? {
            Some(frame) if frame["type"] == "ready" => break,
            Some(frame) if frame.get("seq").is_some_and(Value::is_i64) && frame["type"] != "hello" => replayed += 1,
            Some(_) => {}
            None => return Err("the resumed socket ended before `ready`".to_string()),
        }
    }
    let took = started.elapsed();
    let _ = socket.send(Message::text(json!({ "type": "ping" }).to_string()));
    let _ = socket.close(None);
    Ok((replayed, took))
}
