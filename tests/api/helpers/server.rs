//! Launching `wrangler dev`: the build, fresh state directories, migrations, free ports, the
//! tests' settings, and the process that runs it.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, OnceLock, PoisonError};

use super::{Server, ROOT, TEST_ADDRESS_KEY, TEST_ITERATIONS};

// Wrangler.

pub(super) fn wrangler() -> PathBuf {
    Path::new(ROOT).join("node_modules/.bin/wrangler")
}

/// Builds the worker once per test run, unless the test command already did.
pub(super) fn build_once() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if std::env::var("CHATROOMS_SKIP_BUILD").as_deref() != Ok("1") {
            let status = Command::new("sh").arg("scripts/build.sh").current_dir(ROOT).status().unwrap();
            assert!(status.success(), "scripts/build.sh failed");
        }
    });
}

pub(super) fn fresh_state_dir() -> PathBuf {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    static SWEPT: OnceLock<()> = OnceLock::new();
    SWEPT.get_or_init(remove_state_of_finished_runs);
    let dir = std::env::temp_dir().join(format!(
        "chatrooms-test-{}-{}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::SeqCst)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// State directories are named by the test process's pid; those of processes that are gone
/// are left-overs of earlier runs.
pub(super) fn remove_state_of_finished_runs() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else { return };
    for entry in entries.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let Some(pid) = name.strip_prefix("chatrooms-test-").and_then(|rest| rest.split('-').next()) else { continue };
        if !Path::new("/proc").join(pid).exists() {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// Applies the migrations to the local D1 in `state`: once per config and test run, into a
/// state directory that each instance then copies (applying them takes wrangler seconds).
pub(super) fn migrate(config: &str, state: &Path) {
    static MIGRATED: Mutex<BTreeMap<String, PathBuf>> = Mutex::new(BTreeMap::new());
    let template = MIGRATED
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .entry(config.to_owned())
        .or_insert_with(|| {
            let template = fresh_state_dir();
            let output = wrangler_d1(&["migrations", "apply", "DB", "--local"], config, &template);
            assert!(output.status.success(), "migrations failed: {}", String::from_utf8_lossy(&output.stderr));
            template
        })
        .clone();
    copy_dir(&template, state);
}

pub(super) fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// The SQLite file of the local D1 in `state`, where wrangler keeps it.
pub(super) fn d1_file(state: &Path) -> PathBuf {
    let dir = state.join("v3/d1/miniflare-D1DatabaseObject");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|error| panic!("{}: {error}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|extension| extension == "sqlite"))
        // Beside miniflare's own metadata.sqlite: the database, named by a hash.
        .filter(|path| path.file_stem().is_some_and(|stem| stem.len() == 64))
        .collect();
    assert_eq!(files.len(), 1, "one local D1 in {}: {files:?}", dir.display());
    files.remove(0)
}

/// `wrangler d1 <args>` on the local D1 of this config and state directory.
pub(super) fn wrangler_d1(args: &[&str], config: &str, state: &Path) -> std::process::Output {
    Command::new(wrangler())
        .arg("d1")
        .args(args)
        .args(["--config", config, "--persist-to"])
        .arg(state)
        .current_dir(ROOT)
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .unwrap()
}

pub(super) fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The settings every test instance starts with, unless a test gives its own. Tests create many
/// users and log in hundreds of times from one address: no sign-up cap and no limit per address
/// unless a test sets one. Nor write ceilings: tests post, create and add a lot as one user
/// (tests/api/limits.rs sets its own).
pub const TEST_VARS: [(&str, &str); 10] = [
    ("PBKDF2_ITERATIONS", TEST_ITERATIONS),
    ("SIGNUPS_PER_HOUR", "off"),
    ("ADDRESS_RATE_LIMIT", "off"),
    ("ADDRESS_KEY", TEST_ADDRESS_KEY),
    ("POSTS_PER_MINUTE", "off"),
    ("EDITS_PER_MINUTE", "off"),
    ("ROOMS_PER_DAY", "off"),
    ("RENAMES_PER_HOUR", "off"),
    ("ADDITIONS_PER_HOUR", "off"),
    ("ROOMS_OWNED", "off"),
];

/// `wrangler dev` of this config on `state`.
pub(super) fn start_wrangler(config: &str, state: &Path, port: u16, vars: &[(&str, &str)]) -> Server {
    let mut command = format!(
        "\"{wrangler}\" dev --config '{config}' --ip 127.0.0.1 --port {port} --inspector-port {} --persist-to '{}' \
         --show-interactive-dev-session=false --test-scheduled",
        free_port(),
        state.display(),
        wrangler = wrangler().display(),
    );
    let unset_defaults = TEST_VARS.iter().filter(|(name, _)| !vars.iter().any(|(given, _)| given == name));
    for (name, value) in vars.iter().chain(unset_defaults) {
        command.push_str(&format!(" --var '{name}:{value}'"));
    }
    start_server(&command, state, &[])
}

/// Runs the shell command in the background, its output in the state's `wrangler.log`, until
/// the `Server` is dropped.
pub(super) fn start_server(command: &str, state: &Path, envs: &[(&str, String)]) -> Server {
    let script = format!(
        "{command} </dev/null >>'{log}' 2>&1 &\ncat >/dev/null\nkill -TERM 0",
        log = state.join("wrangler.log").display()
    );
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .current_dir(ROOT)
            .env("CHATROOMS_SKIP_BUILD", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .envs(envs.iter().map(|(name, value)| (name, value)))
            .stdin(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let stdin = child.stdin.take();
    Server { child, stdin }
}
