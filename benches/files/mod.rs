//! Section 10, files. A 10 MiB file uploaded and downloaded, alternately, by the service and by
//! the plain-JS baseline (bench/baseline: the caller's key checked, the body streamed into R2,
//! served back as R2 streams it), each on its own `wrangler dev` of the same workerd and the
//! same local R2: throughput from the median of each. Then the service's workerd memory while
//! it takes a 1 MiB and a 90 MiB upload (sampled every 2 ms): what an upload costs in memory
//! must not follow its size, as its bytes go from the request to R2 without the worker.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::helpers::{noise, TestApp};
use crate::live::workerd_rss_kib;
use crate::{key, room, seeded, Outcome, Report, BASELINE, SMALL_ROOM};

const MIB: usize = 1 << 20;
const ROUNDS: usize = 25;
/// Downloads of each round's two files, alternately.
const DOWNLOADS: usize = 3;

pub fn section(report: &mut Report) -> Outcome {
    report.section("10. Files: a 10 MiB file through the service and through plain JS, to and from the same local R2");
    let ours = seeded(&[("FILE_BYTES_PER_DAY", "off"), ("FILE_MAX_BYTES", "104857600")], false, "wrangler.toml")?;
    let baseline = seeded(&[], false, BASELINE)?;
    let bytes = noise(10 * MIB, 7);
    let agent = ureq::AgentBuilder::new().timeout(Duration::from_secs(120)).build();
    let (mut up_ours, mut up_theirs, mut down_ours, mut down_theirs) = (vec![], vec![], vec![], vec![]);
    for _ in 0..ROUNDS {
        let (seconds, mine) = upload(&agent, &ours, &bytes)?;
        up_ours.push(seconds);
        let (seconds, theirs) = upload(&agent, &baseline, &bytes)?;
        up_theirs.push(seconds);
        for _ in 0..DOWNLOADS {
            down_ours.push(download(&agent, &ours, &mine, bytes.len())?);
            down_theirs.push(download(&agent, &baseline, &theirs, bytes.len())?);
        }
    }
    let mib_per_s = |mut seconds: Vec<f64>| {
        seconds.sort_by(f64::total_cmp);
        10.0 / seconds[seconds.len() / 2]
    };
    for (what, ours, theirs, n) in [
        ("upload", mib_per_s(up_ours), mib_per_s(up_theirs), ROUNDS),
        ("download", mib_per_s(down_ours), mib_per_s(down_theirs), ROUNDS * DOWNLOADS),
    ] {
        let ratio = ours / theirs;
        report.row(
            &format!("{what} of a 10 MiB file: MiB/s, median of {n} (baseline)"),
            "≥ 0.8× baseline",
            format!("{ours:.1} ({theirs:.1}): {ratio:.2}×"),
            ratio >= 0.8,
        );
    }
    let small = peak_growth_kib(&agent, &ours, MIB)?;
    let large = peak_growth_kib(&agent, &ours, 90 * MIB)?;
    report.row(
        "workerd's peak memory over idle during an upload: MiB, 90 MiB file (1 MiB file)",
        "< 30 MiB, not its size",
        format!("{:.1} ({:.1})", large as f64 / 1024.0, small as f64 / 1024.0),
        large < 30 * 1024,
    );
    report.note(
        "An upload's body goes from the request to R2 as a stream (`Content-Length` required, so R2 \
         knows its length): the worker never holds the file, as the memory beside its size shows. \
         Both read the caller's key (KV) and the room (D1) first, and write one JSON log line; the \
         service also reserves the day's bytes (one more D1 batch) and tells the room's object of \
         the file. A download asks R2 while it checks the key and the room, and streams nothing \
         before they said yes."
            .to_string(),
    );
    Ok(())
}

/// One upload by seeded user 1 to room 1: its seconds, and the file's id.
fn upload(agent: &ureq::Agent, app: &TestApp, bytes: &[u8]) -> Outcome<(f64, String)> {
    let url = format!("{}/room/{}/files?name=bench.bin", app.base, room(SMALL_ROOM));
    let started = Instant::now();
    let answer = agent
        .post(&url)
        .set("Authorization", &format!("Bearer {}", key(1)))
        .set("Content-Type", "application/octet-stream")
        .send_bytes(bytes);
    let seconds = started.elapsed().as_secs_f64();
    let response = answer.map_err(|error| format!("an upload to {} failed: {error}", app.base))?;
    let body: serde_json::Value =
        response.into_json().map_err(|error| format!("an upload's answer is not JSON: {error}"))?;
    let file = body["file_id"].as_str().ok_or(format!("an upload answered {body}"))?.to_owned();
    Ok((seconds, file))
}

/// One download of the file, read whole: its seconds.
fn download(agent: &ureq::Agent, app: &TestApp, file: &str, size: usize) -> Outcome<f64> {
    let url = format!("{}/room/{}/files/{file}", app.base, room(SMALL_ROOM));
    let started = Instant::now();
    let response = agent
        .get(&url)
        .set("Authorization", &format!("Bearer {}", key(1)))
        .call()
        .map_err(|error| format!("a download from {} failed: {error}", app.base))?;
    let mut read = Vec::with_capacity(size);
    std::io::Read::read_to_end(&mut response.into_reader(), &mut read).map_err(|error| error.to_string())?;
    if read.len() != size {
        return Err(format!("a download from {} read {} bytes of {size}", app.base, read.len()));
    }
    Ok(started.elapsed().as_secs_f64())
}

/// workerd's peak resident memory over what it held before, KiB, while `size` bytes go up.
fn peak_growth_kib(agent: &ureq::Agent, app: &TestApp, size: usize) -> Outcome<u64> {
    let state = app.state.clone();
    let idle = workerd_rss_kib(&state).ok_or("workerd's memory cannot be read")?;
    let (done, peak) = (Arc::new(AtomicBool::new(false)), Arc::new(AtomicU64::new(idle)));
    let sampler = {
        let (done, peak) = (done.clone(), peak.clone());
        std::thread::spawn(move || {
            while !done.load(Ordering::Relaxed) {
                if let Some(rss) = workerd_rss_kib(&state) {
                    peak.fetch_max(rss, Ordering::Relaxed);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        })
    };
    let uploaded = upload(agent, app, &noise(size, 11));
    done.store(true, Ordering::Relaxed);
    sampler.join().map_err(|_| "the memory sampler panicked")?;
    uploaded?;
    Ok(peak.load(Ordering::Relaxed).saturating_sub(idle))
}
