//! Starts a real `wrangler dev` (local D1 and KV inside workerd) on a free port with a fresh
//! state directory, and talks HTTP to it: one method per endpoint, the given steps tests start
//! from, and requests by hand for what those methods do not send. One instance serves all the
//! tests that use the default settings; tests that need other settings spawn their own.
//!
//! Here: the instances and the given steps. `endpoints`: one method per endpoint. `client`:
//! requests by hand and their answers. `server`: launching `wrangler dev`. `frontend`: the
//! site of examples/edge-frontend. `uploads`: streamed bodies and raw answers.

mod client;
mod endpoints;
mod frontend;
mod server;
mod uploads;

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin};
use std::sync::{Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

use client::Turns;
pub use client::{BytesAnswer, Call, Resp, TextAnswer};
pub use endpoints::{assert_everything_404, every_keyed_request, AsKey, NOBODY};
pub use frontend::Frontend;
use server::{build_once, d1_file, free_port, fresh_state_dir, migrate, start_wrangler};
pub use uploads::{chunked_upload, read_answer};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Low enough that tests stay quick; the production count is a setting.
pub const TEST_ITERATIONS: &str = "1000";
pub const PASSWORD: &str = "correct horse battery";
/// The secret that client networks are tagged with.
pub const TEST_ADDRESS_KEY: &str = "a test address key";
/// A well-formed id that no user, room or message has.
pub const UNKNOWN_ID: &str = "00000000-0000-4000-8000-000000000000";

/// A fresh random id (a v4 UUID), of nothing yet.
pub fn random_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).unwrap();
    chatrooms::domain::UserId::from_random_bytes(bytes).to_string()
}

// The instances.

/// The instance with the default settings, started on first use.
/// `n` bytes of a deterministic noise (xorshift from `seed`): nothing a transport could compress,
/// no two seeds alike.
pub fn noise(n: usize, seed: u64) -> Vec<u8> {
    let mut state = seed | 1;
    (0..n)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 24) as u8
        })
        .collect()
}

pub fn app() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(|| TestApp::spawn(&[]))
}

/// Runs a test that reads the database on an instance of its own, one such test at a time.
/// A `wrangler d1 execute` beside a busy worker locks the SQLite file and makes the worker's
/// own writes fail (SQLITE_BUSY, a 500), so the database is only read while the instance is
/// idle; and the tests on the shared instance never meet such a reader.
pub fn with_database<T>(test: impl FnOnce(&'static TestApp) -> T) -> T {
    static APP: OnceLock<TestApp> = OnceLock::new();
    static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _turn = ONE_AT_A_TIME.lock().unwrap_or_else(PoisonError::into_inner);
    test(APP.get_or_init(|| TestApp::spawn(&[])))
}

/// Why a start of wrangler dev did not come up.
enum Start {
    /// Workerd found its port taken (see `TestApp::start`).
    PortTaken,
    Failed(String),
}

impl Start {
    fn explain(self) -> String {
        match self {
            Self::PortTaken => "workerd found its port taken".to_string(),
            Self::Failed(failure) => failure,
        }
    }
}

pub struct TestApp {
    pub base: String,
    pub state: PathBuf,
    /// The wrangler config, relative to the repository (`wrangler.toml` unless a test needs
    /// other bindings).
    config: String,
    agent: ureq::Agent,
    server: Mutex<Option<Server>>,
    turns: Turns,
}

/// The shell that runs wrangler. When the test process ends, for any reason, the pipe to the
/// shell's stdin closes, and the shell kills its whole process group (wrangler and workerd).
struct Server {
    child: Child,
    stdin: Option<ChildStdin>,
}

impl Drop for Server {
    fn drop(&mut self) {
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

impl TestApp {
    /// A fresh instance with these extra vars (`NAME`, `value`).
    pub fn spawn(vars: &[(&str, &str)]) -> Self {
        Self::spawn_with_config("wrangler.toml", vars)
    }

    /// A fresh instance from another wrangler config (for missing bindings, say).
    /// `CHATROOMS_TEST_VARS` (`NAME=value,...`) adds vars to every instance: say
    /// `ROOM_SOCKETS_PER_OBJECT=1`, to run the suite with every room's sockets past its first
    /// in fan-out objects.
    pub fn spawn_with_config(config: &str, vars: &[(&str, &str)]) -> Self {
        let extra = std::env::var("CHATROOMS_TEST_VARS").unwrap_or_default();
        let mut vars = vars.to_vec();
        vars.extend(extra.split(',').filter_map(|pair| pair.split_once('=')).filter(|(name, _)| !name.is_empty()));
        let vars = vars.as_slice();
        build_once();
        let state = fresh_state_dir();
        let has_database = std::fs::read_to_string(Path::new(ROOT).join(config)).unwrap().contains("[[d1_databases]]");
        if has_database {
            migrate(config, &state);
        }
        let mut app = Self {
            base: String::new(),
            state,
            config: config.to_string(),
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build(),
            server: Mutex::new(None),
            turns: Turns::default(),
        };
        app.start(vars);
        app
    }

    /// Starts wrangler dev on the instance's state directory.
    ///
    /// The watcher's first rebuild restarts workerd on the same port; on this kind of machine
    /// the old one now and then still holds it, and the new one dies with "Address already in
    /// use" (workerd's, not the worker's doing). Such a start is tried again on another port,
    /// up to three times in all.
    fn start(&mut self, vars: &[(&str, &str)]) {
        for attempt in 1..=3 {
            let port = free_port();
            self.base = format!("http://127.0.0.1:{port}");
            let (rebuilds_before, log_before) = (self.rebuilds(), self.log().len());
            let server = start_wrangler(&self.config, &self.state, port, vars);
            *self.server.lock().unwrap() = Some(server);
            match self.wait_until_ready(rebuilds_before, log_before) {
                Ok(()) => return,
                Err(Start::PortTaken) if attempt < 3 => drop(self.server.lock().unwrap().take()),
                Err(start) => panic!("{} (attempt {attempt} of 3)\n{}", start.explain(), self.log()),
            }
        }
    }

    /// How often wrangler's watcher has rebuilt and reloaded the worker, by its log. With a
    /// custom build it always does so once when the watcher is ready, which may be after the
    /// server first answers: a request in flight then gets a plain-text 503.
    fn rebuilds(&self) -> usize {
        self.log().matches("changed, restarting build").count()
    }

    /// Stops wrangler and starts it again on the same state, as after a crash or deploy.
    pub fn restart(&mut self, vars: &[(&str, &str)]) {
        self.restart_with(vars, |_| {});
    }

    /// Stops wrangler, hands `offline` the state directory (nothing runs on it meanwhile), and
    /// starts wrangler again on it.
    pub fn restart_with(&mut self, vars: &[(&str, &str)], offline: impl FnOnce(&Path)) {
        drop(self.server.lock().unwrap().take());
        offline(&self.state);
        self.start(vars);
    }

    /// Until the server answers, after the watcher's first rebuild if the config has a custom
    /// build (and a moment for the reload it causes); or until its log, since `log_before`,
    /// says workerd found its port taken.
    fn wait_until_ready(&self, rebuilds_before: usize, log_before: usize) -> Result<(), Start> {
        let deadline = Instant::now() + Duration::from_secs(90);
        let port_taken = || self.log().get(log_before..).is_some_and(|log| log.contains("Address already in use"));
        let watched = std::fs::read_to_string(Path::new(ROOT).join(&self.config)).unwrap().contains("[build]");
        while watched && self.rebuilds() == rebuilds_before {
            if port_taken() {
                return Err(Start::PortTaken);
            }
            if Instant::now() >= deadline {
                return Err(Start::Failed(format!("wrangler dev never rebuilt on {}", self.base)));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        if watched {
            std::thread::sleep(Duration::from_millis(500));
        }
        let probe = format!("{}/user/{UNKNOWN_ID}", self.base);
        loop {
            // An answer of the worker (JSON), not the plain-text 503 of a reload under way.
            match self.agent.get(&probe).call() {
                Ok(answer) | Err(ureq::Error::Status(_, answer)) if answer.content_type() == "application/json" => {
                    return Ok(())
                }
                _ if port_taken() => return Err(Start::PortTaken),
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
                answer => {
                    return Err(Start::Failed(format!("wrangler dev did not answer on {}: {answer:?}", self.base)))
                }
            }
        }
    }

    /// Runs one SQL statement on the instance's local D1 (the SQLite file the running worker
    /// uses) and returns the rows as JSON objects, for checks against the database itself.
    pub fn sql(&self, query: &str) -> Vec<Value> {
        let _alone = self.turns.alone();
        let db = rusqlite::Connection::open(d1_file(&self.state)).unwrap();
        db.busy_timeout(Duration::from_secs(30)).unwrap();
        let mut statement = db.prepare(query).unwrap_or_else(|error| panic!("{query}: {error}"));
        let names: Vec<String> = statement.column_names().into_iter().map(str::to_owned).collect();
        let rows = statement
            .query_map([], |row| {
                let mut fields = serde_json::Map::new();
                for (index, name) in names.iter().enumerate() {
                    let value = match row.get_ref(index)? {
                        rusqlite::types::ValueRef::Null => Value::Null,
                        rusqlite::types::ValueRef::Integer(number) => number.into(),
                        rusqlite::types::ValueRef::Real(number) => number.into(),
                        rusqlite::types::ValueRef::Text(text) => String::from_utf8_lossy(text).into(),
                        rusqlite::types::ValueRef::Blob(bytes) => bytes.to_vec().into(),
                    };
                    fields.insert(name.clone(), value);
                }
                Ok(Value::Object(fields))
            })
            .unwrap_or_else(|error| panic!("{query}: {error}"));
        rows.collect::<Result<_, _>>().unwrap_or_else(|error| panic!("{query}: {error}"))
    }

    /// What wrangler printed, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("wrangler.log")).unwrap_or_default()
    }
}

// Given steps: each asserts that it worked.

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub key: String,
}

impl TestApp {
    /// A new user, logged in.
    pub fn sign_up(&self, username: &str) -> User {
        let response = self.sign_up_with(json!({ "username": username, "password": PASSWORD }));
        assert_eq!(response.status, 202, "sign-up failed: {}", response.text);
        User { id: response.str("user_id"), key: response.str("key") }
    }

    /// A new room named "test room", owned by `owner`.
    pub fn create_room(&self, owner: &User, open: bool) -> String {
        self.create_named_room(owner, "test room", open)
    }

    pub fn create_named_room(&self, owner: &User, name: &str, open: bool) -> String {
        let response = self.create_room_with(owner, json!({ "name": name, "open": open }));
        assert_eq!(response.status, 200, "room creation failed: {}", response.text);
        response.str("room_id")
    }

    /// `user` joins the room; panics unless that worked.
    pub fn join(&self, room: &str, user: &User) {
        let response = self.join_as(room, user);
        assert_eq!(response.status, 200, "join failed: {}", response.text);
    }
}

/// A room with its owner, an admin the owner appointed and a plain member, all present.
pub struct Staffed {
    pub app: &'static TestApp,
    pub id: String,
    pub owner: User,
    pub admin: User,
    pub member: User,
}

impl Staffed {
    pub fn new(open: bool) -> Self {
        Self::on(app(), open)
    }

    pub fn on(app: &'static TestApp, open: bool) -> Self {
        let owner = app.sign_up("owner");
        let id = app.create_room(&owner, open);
        let room = Self { app, id, owner, admin: app.sign_up("admin"), member: app.sign_up("member") };
        app.bring_in(&room.id, &room.owner, &room.admin);
        app.bring_in(&room.id, &room.owner, &room.member);
        app.promote(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "admin": true }));
        room
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/room/{}{rest}", self.id)
    }

    /// The whole list (`members`, `admins` or `bans`) as the owner sees it.
    pub fn list(&self, which: &str) -> Value {
        let response = self.app.room_list(&self.id, which, &self.owner, &[("limit", "500")]);
        response.assert_status(200);
        response.body
    }

    /// The room's `[members, admins, bans]`, checking that each list's `user_count` (a stored
    /// counter) equals the number of users it lists (the rows), and that the room agrees.
    pub fn counts(&self) -> [usize; 3] {
        let counts = ["members", "admins", "bans"].map(|which| {
            let list = self.list(which);
            let listed = list["users"].as_array().unwrap().len();
            assert_eq!(list["user_count"], json!(listed), "{which}: {list}");
            listed
        });
        let room = self.app.room(&self.id, &self.owner);
        assert_eq!(room.body["user_count"], json!(counts[0]), "{}", room.text);
        counts
    }
}

/// Waits with patience (a minute, which decides nothing: on any machine what must come comes
/// well within it) for `done`, which reads what a room's flush brings; whether it came.
pub fn eventually(mut done: impl FnMut() -> bool) -> bool {
    let patience = Instant::now() + Duration::from_secs(60);
    while Instant::now() < patience {
        if done() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}
