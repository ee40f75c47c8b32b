//! Starts a real `wrangler dev` (local D1 and KV inside workerd) on a free port with a fresh
//! state directory, and talks HTTP to it: one method per endpoint, the given steps tests start
//! from, and requests by hand for what those methods do not send. One instance serves all the
//! tests that use the default settings; tests that need other settings spawn their own.

use std::collections::{BTreeMap, HashMap};
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

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
    pub fn spawn_with_config(config: &str, vars: &[(&str, &str)]) -> Self {
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
    fn start(&mut self, vars: &[(&str, &str)]) {
        let port = free_port();
        self.base = format!("http://127.0.0.1:{port}");
        let rebuilds_before = self.rebuilds();
        let server = start_wrangler(&self.config, &self.state, port, vars);
        *self.server.lock().unwrap() = Some(server);
        self.wait_until_ready(rebuilds_before);
    }

    /// How often wrangler's watcher has rebuilt and reloaded the worker, by its log. With a
    /// custom build it always does so once when the watcher is ready, which may be after the
    /// server first answers: a request in flight then gets a plain-text 503.
    fn rebuilds(&self) -> usize {
        self.log().matches("changed, restarting build").count()
    }

    /// Stops wrangler and starts it again on the same state, as after a crash or deploy.
    pub fn restart(&mut self, vars: &[(&str, &str)]) {
        drop(self.server.lock().unwrap().take());
        self.start(vars);
    }

    /// Until the server answers, after the watcher's first rebuild if the config has a custom
    /// build (and a moment for the reload it causes).
    fn wait_until_ready(&self, rebuilds_before: usize) {
        let deadline = Instant::now() + Duration::from_secs(90);
        let watched = std::fs::read_to_string(Path::new(ROOT).join(&self.config)).unwrap().contains("[build]");
        while watched && self.rebuilds() == rebuilds_before {
            assert!(Instant::now() < deadline, "wrangler dev never rebuilt on {}\n{}", self.base, self.log());
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
                    return
                }
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
                answer => panic!("wrangler dev did not answer on {}: {answer:?}\n{}", self.base, self.log()),
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
        app.add_member(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "present": true }));
        app.add_member(&room.id, &room.owner, &room.member.id).assert_ok(200, json!({ "present": true }));
        app.promote(&room.id, &room.owner, &room.admin.id).assert_ok(200, json!({ "admin": true }));
        room
    }

    pub fn path(&self, rest: &str) -> String {
        format!("/room/{}{rest}", self.id)
    }

    /// The whole list (`members`, `admins` or `bans`) as the owner sees it.
    pub fn list(&self, which: &str) -> Value {
        let response = self.app.room_list(&self.id, which, &self.owner, &[("limit", "500")]);
        assert_eq!(response.status, 200, "{}", response.text);
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

// Every endpoint, one method each, answering the response as it came. A request of another
// shape (a form body, a key in the query string, a field left out) is built by hand with
// `call` and its shorthands below.

/// Who makes a request: a user or a bare key, sent as a Bearer header, or nobody (`None`).
pub trait Caller {
    fn key(&self) -> Option<&str>;
}

impl Caller for User {
    fn key(&self) -> Option<&str> {
        Some(&self.key)
    }
}

impl Caller for str {
    fn key(&self) -> Option<&str> {
        Some(self)
    }
}

impl Caller for String {
    fn key(&self) -> Option<&str> {
        Some(self)
    }
}

impl<T: Caller + ?Sized> Caller for &T {
    fn key(&self) -> Option<&str> {
        (**self).key()
    }
}

impl<T: Caller> Caller for Option<T> {
    fn key(&self) -> Option<&str> {
        self.as_ref().and_then(Caller::key)
    }
}

/// A request without a key.
pub const NOBODY: Option<&User> = None;

impl TestApp {
    // Users.

    /// `POST /user`: signing up.
    pub fn sign_up_with(&self, body: Value) -> Resp {
        self.post("/user").json(body)
    }

    pub fn user(&self, user_id: &str) -> Resp {
        self.get(&format!("/user/{user_id}")).send()
    }

    pub fn delete_account(&self, user_id: &str, by: impl Caller, password: &str) -> Resp {
        self.delete(&format!("/user/{user_id}")).by(by).json(json!({ "password": password }))
    }

    pub fn change_password(&self, user_id: &str, by: impl Caller, password: &str, new_password: &str) -> Resp {
        let body = json!({ "password": password, "new_password": new_password });
        self.put(&format!("/user/{user_id}/password")).by(by).json(body)
    }

    /// `GET /user/{id}/rooms`: the rooms a user is in.
    pub fn rooms_of(&self, user_id: &str, by: impl Caller, params: &[(&str, &str)]) -> Resp {
        self.get(&format!("/user/{user_id}/rooms")).by(by).queries(params).send()
    }

    // Sessions.

    /// `GET /token`: logging in.
    pub fn log_in(&self, user_id: &str, password: &str) -> Resp {
        self.get("/token").query("user_id", user_id).query("password", password).send()
    }

    /// `POST /token`: logging in with the fields in the body.
    pub fn log_in_with(&self, body: Value) -> Resp {
        self.post("/token").json(body)
    }

    /// `DELETE /token`: revoking a key.
    pub fn revoke(&self, by: impl Caller, body: Value) -> Resp {
        self.delete("/token").by(by).json(body)
    }

    // Rooms.

    /// `GET /rooms`: the directory of open rooms.
    pub fn open_rooms(&self, params: &[(&str, &str)]) -> Resp {
        self.get("/rooms").queries(params).send()
    }

    /// `POST /room/`.
    pub fn create_room_with(&self, by: impl Caller, body: Value) -> Resp {
        self.post("/room/").by(by).json(body)
    }

    pub fn room(&self, room: &str, by: impl Caller) -> Resp {
        self.get(&format!("/room/{room}")).by(by).send()
    }

    /// `PATCH /room/{id}`: changing the room's settings.
    pub fn update_room(&self, room: &str, by: impl Caller, body: Value) -> Resp {
        self.patch(&format!("/room/{room}")).by(by).json(body)
    }

    pub fn delete_room(&self, room: &str, by: impl Caller) -> Resp {
        self.delete(&format!("/room/{room}")).by(by).send()
    }

    pub fn owner(&self, room: &str, by: impl Caller) -> Resp {
        self.get(&format!("/room/{room}/owner")).by(by).send()
    }

    /// `PUT /room/{id}/owner`: handing the room to `to`.
    pub fn transfer(&self, room: &str, by: impl Caller, to: &str) -> Resp {
        self.put(&format!("/room/{room}/owner")).by(by).json(json!({ "user_id": to }))
    }

    // Members, admins and bans.

    pub fn members(&self, room: &str, by: impl Caller, params: &[(&str, &str)]) -> Resp {
        self.room_list(room, "members", by, params)
    }

    /// `POST /room/{id}/members` without a body: `by` joins.
    pub fn join_as(&self, room: &str, by: impl Caller) -> Resp {
        self.post(&format!("/room/{room}/members")).by(by).send()
    }

    /// `POST /room/{id}/members`: `by` adds `user_id` (or joins, when it is their own id).
    pub fn add_member(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.post(&format!("/room/{room}/members")).by(by).json(json!({ "user_id": user_id }))
    }

    /// `GET /room/{id}/members/{user_id}`: whether the user is present.
    pub fn presence(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.get(&format!("/room/{room}/members/{user_id}")).by(by).send()
    }

    /// `DELETE /room/{id}/members/{user_id}`: removing a member, or leaving.
    pub fn remove_member(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/members/{user_id}")).by(by).send()
    }

    pub fn admins(&self, room: &str, by: impl Caller, params: &[(&str, &str)]) -> Resp {
        self.room_list(room, "admins", by, params)
    }

    pub fn promote(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.post(&format!("/room/{room}/admins")).by(by).json(json!({ "user_id": user_id }))
    }

    pub fn demote(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/admins/{user_id}")).by(by).send()
    }

    pub fn bans(&self, room: &str, by: impl Caller, params: &[(&str, &str)]) -> Resp {
        self.room_list(room, "bans", by, params)
    }

    pub fn ban(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.put(&format!("/room/{room}/bans/{user_id}")).by(by).send()
    }

    pub fn unban(&self, room: &str, by: impl Caller, user_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/bans/{user_id}")).by(by).send()
    }

    // Messages, and the API's description.

    pub fn messages(&self, room: &str, by: impl Caller, params: &[(&str, &str)]) -> Resp {
        self.get(&format!("/room/{room}/messages")).by(by).queries(params).send()
    }

    pub fn post_message(&self, room: &str, by: impl Caller, text: &str) -> Resp {
        self.post(&format!("/room/{room}/messages")).by(by).json(json!({ "text": text }))
    }

    /// `PATCH /room/{id}/messages/{message_id}`: its author edits a message.
    pub fn edit_message(&self, room: &str, by: impl Caller, message_id: &str, text: &str) -> Resp {
        self.patch(&format!("/room/{room}/messages/{message_id}")).by(by).json(json!({ "text": text }))
    }

    /// `DELETE /room/{id}/messages/{message_id}`.
    pub fn delete_message(&self, room: &str, by: impl Caller, message_id: &str) -> Resp {
        self.delete(&format!("/room/{room}/messages/{message_id}")).by(by).send()
    }

    /// `POST /room/{id}/live`: a single-use ticket for the room's WebSocket.
    pub fn ticket(&self, room: &str, by: impl Caller) -> Resp {
        self.post(&format!("/room/{room}/live")).by(by).json(json!({}))
    }

    /// `GET /openapi.json`.
    pub fn openapi(&self) -> Resp {
        self.get("/openapi.json").send()
    }

    /// `GET /room/{id}/members`, `/admins` or `/bans`.
    fn room_list(&self, room: &str, which: &str, by: impl Caller, params: &[(&str, &str)]) -> Resp {
        self.get(&format!("/room/{room}/{which}")).by(by).queries(params).send()
    }
}

// Every endpoint of a room at once.

/// Every endpoint of a room, as (method, path, JSON body) with a valid body for each.
fn every_endpoint(room: &str, someone: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let at = |rest: &str| format!("/room/{room}{rest}");
    vec![
        ("GET", at(""), None),
        ("GET", at("/owner"), None),
        ("GET", at("/members"), None),
        ("GET", at(&format!("/members/{someone}")), None),
        ("GET", at("/admins"), None),
        ("GET", at("/bans"), None),
        ("GET", at("/messages"), None),
        ("POST", at("/members"), Some(json!({}))),
        ("POST", at("/members"), Some(json!({ "user_id": someone }))),
        ("DELETE", at(&format!("/members/{someone}")), Some(json!({}))),
        ("PUT", at(&format!("/bans/{someone}")), Some(json!({}))),
        ("DELETE", at(&format!("/bans/{someone}")), Some(json!({}))),
        ("POST", at("/admins"), Some(json!({ "user_id": someone }))),
        ("DELETE", at(&format!("/admins/{someone}")), Some(json!({}))),
        ("PUT", at("/owner"), Some(json!({ "user_id": someone }))),
        ("POST", at("/messages"), Some(json!({ "text": "hello?" }))),
        ("PATCH", at(""), Some(json!({ "name": "mine now" }))),
        ("DELETE", at(""), Some(json!({}))),
    ]
}

/// Every request that presents a key, as (method, path, JSON body): every endpoint of the
/// room, and those of the account `user_id` and of the API at large, each with a valid body.
pub fn every_keyed_request(room: &str, someone: &str, user_id: &str) -> Vec<(&'static str, String, Option<Value>)> {
    let mut requests = every_endpoint(room, someone);
    let user = |rest: &str| format!("/user/{user_id}{rest}");
    requests.extend([
        ("POST", "/room/".to_string(), Some(json!({ "name": "a new room" }))),
        ("GET", user("/rooms"), None),
        ("PUT", user("/password"), Some(json!({ "password": PASSWORD, "new_password": "another passphrase" }))),
        ("DELETE", user("/sessions"), Some(json!({}))),
        ("DELETE", "/token".to_string(), Some(json!({ "user_id": user_id }))),
        ("DELETE", user(""), Some(json!({ "password": PASSWORD }))),
    ]);
    requests
}

/// Asserts that `user` gets 404 from every endpoint of the room. Without a key, reads are
/// 404 and writes 400 (a write needs a key before anything else is looked at), exactly as
/// for a room that does not exist.
pub fn assert_everything_404(room: &str, someone: &str, user: Option<&User>) {
    for (method, path, body) in every_endpoint(room, someone) {
        let call = app().call(method, &path).by(user);
        let response = match body {
            Some(body) => call.json(body),
            None => call.send(),
        };
        let status = if user.is_none() && method != "GET" { 400 } else { 404 };
        assert_eq!(response.status, status, "{method} {path}: {}", response.text);
        response.assert_error(status);
    }
}

// Requests by hand.

impl TestApp {
    pub fn get(&self, path: &str) -> Call {
        self.call("GET", path)
    }
    pub fn post(&self, path: &str) -> Call {
        self.call("POST", path)
    }
    pub fn put(&self, path: &str) -> Call {
        self.call("PUT", path)
    }
    pub fn patch(&self, path: &str) -> Call {
        self.call("PATCH", path)
    }
    pub fn delete(&self, path: &str) -> Call {
        self.call("DELETE", path)
    }

    pub fn call(&self, method: &str, path: &str) -> Call {
        Call { request: self.agent.request(method, &format!("{}{path}", self.base)), turns: self.turns.clone() }
    }
}

pub struct Call {
    request: ureq::Request,
    turns: Turns,
}

impl Call {
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.query(name, value);
        self
    }

    pub fn queries(self, params: &[(&str, &str)]) -> Self {
        params.iter().fold(self, |call, (name, value)| call.query(name, value))
    }

    pub fn bearer(self, key: &str) -> Self {
        self.header("Authorization", &format!("Bearer {key}"))
    }

    /// With `caller`'s key as a Bearer header, if it has one.
    pub fn by(self, caller: impl Caller) -> Self {
        match caller.key() {
            Some(key) => self.bearer(key),
            None => self,
        }
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.set(name, value);
        self
    }

    pub fn send(self) -> Resp {
        let _shared = self.turns.shared();
        Resp::from(answered(|| answer_of(self.request.clone().call())))
    }

    /// For HEAD: the status, after checking that no body came.
    pub fn send_head(self) -> u16 {
        let _shared = self.turns.shared();
        let response = answered(|| answer_of(self.request.clone().call()));
        let status = response.status();
        let mut body = Vec::new();
        response.into_reader().read_to_end(&mut body).unwrap();
        assert!(body.is_empty(), "HEAD answered a body: {}", String::from_utf8_lossy(&body));
        status
    }

    pub fn json(self, body: Value) -> Resp {
        self.raw("application/json", body.to_string().as_bytes())
    }

    pub fn form(self, fields: &[(&str, &str)]) -> Resp {
        let _shared = self.turns.shared();
        Resp::from(answered(|| answer_of(self.request.clone().send_form(fields))))
    }

    pub fn raw(self, content_type: &str, body: &[u8]) -> Resp {
        let _shared = self.turns.shared();
        Resp::from(answered(|| answer_of(self.request.clone().set("Content-Type", content_type).send_bytes(body))))
    }
}

/// The answer, an error status included. A request in flight while `wrangler dev` reloads its
/// runtime (its watchers can fire late after a start on a busy machine) gets the dev proxy's own
/// plain-text 503 with `Retry-After: 0` instead of any answer of the worker, which never sends
/// plain text: such a request is sent again, as the proxy asks, up to three times.
fn answered(send: impl Fn() -> ureq::Response) -> ureq::Response {
    let mut tries = 0;
    loop {
        let response = send();
        let reloaded = response.status() == 503
            && response.content_type() == "text/plain"
            && response.header("Retry-After") == Some("0");
        tries += 1;
        if !reloaded || tries == 3 {
            return response;
        }
        std::thread::sleep(Duration::from_millis(300));
    }
}

fn answer_of(result: Result<ureq::Response, ureq::Error>) -> ureq::Response {
    match result {
        Ok(response) | Err(ureq::Error::Status(_, response)) => response,
        Err(error) => panic!("request failed without an HTTP answer: {error}"),
    }
}

/// A response, read whole. Every answer of the API but 204 must be JSON.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
    pub body: Value,
}

impl From<ureq::Response> for Resp {
    fn from(response: ureq::Response) -> Self {
        Self::read(response).unwrap()
    }
}

impl Resp {
    /// The answer read whole, or the error that cut it short (a reset connection).
    pub fn read(response: ureq::Response) -> std::io::Result<Self> {
        let Page { status, headers, text } = Page::read(response)?;
        let body = if status == 204 {
            assert!(text.is_empty(), "204 with a body: {text}");
            Value::Null
        } else {
            let content_type = headers.get("content-type").map(String::as_str).unwrap_or_default();
            assert!(content_type.starts_with("application/json"), "{status} is not JSON ({content_type}): {text}");
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{status} body is not JSON ({error}): {text}"))
        };
        Ok(Self { status, headers, text, body })
    }

    /// A string field of the body.
    pub fn str(&self, field: &str) -> String {
        match &self.body[field] {
            Value::String(value) => value.clone(),
            other => panic!("{field} is not a string but {other} in {}", self.text),
        }
    }

    /// Asserts the status, and that the body is exactly `{"error": "<non-empty>"}`.
    #[track_caller]
    pub fn assert_error(&self, status: u16) {
        assert_eq!(self.status, status, "{}", self.text);
        let object = self.body.as_object().unwrap_or_else(|| panic!("error body is not an object: {}", self.text));
        assert_eq!(object.len(), 1, "error body has other fields: {}", self.text);
        assert!(matches!(&object["error"], Value::String(message) if !message.is_empty()), "{}", self.text);
    }

    #[track_caller]
    pub fn assert_ok(&self, status: u16, body: Value) {
        assert_eq!(self.status, status, "{}", self.text);
        assert_eq!(self.body, body);
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

// The database's turns.

/// Requests and out-of-band SQL take turns on the instance's SQLite file: `sql` opens it beside
/// workerd, and either may then find it locked (SQLITE_BUSY), which a real D1 never does.
/// Requests share the file; `sql` has it alone.
#[derive(Clone, Default)]
struct Turns(Arc<RwLock<()>>);

impl Turns {
    fn shared(&self) -> RwLockReadGuard<'_, ()> {
        self.0.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn alone(&self) -> RwLockWriteGuard<'_, ()> {
        self.0.write().unwrap_or_else(PoisonError::into_inner)
    }
}

// Wrangler.

fn wrangler() -> PathBuf {
    Path::new(ROOT).join("node_modules/.bin/wrangler")
}

/// Builds the worker once per test run, unless the test command already did.
fn build_once() {
    static BUILT: OnceLock<()> = OnceLock::new();
    BUILT.get_or_init(|| {
        if std::env::var("CHATROOMS_SKIP_BUILD").as_deref() != Ok("1") {
            let status = Command::new("sh").arg("scripts/build.sh").current_dir(ROOT).status().unwrap();
            assert!(status.success(), "scripts/build.sh failed");
        }
    });
}

fn fresh_state_dir() -> PathBuf {
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
fn remove_state_of_finished_runs() {
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
fn migrate(config: &str, state: &Path) {
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

fn copy_dir(from: &Path, to: &Path) {
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
fn d1_file(state: &Path) -> PathBuf {
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
fn wrangler_d1(args: &[&str], config: &str, state: &Path) -> std::process::Output {
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

fn free_port() -> u16 {
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
fn start_wrangler(config: &str, state: &Path, port: u16, vars: &[(&str, &str)]) -> Server {
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
fn start_server(command: &str, state: &Path, envs: &[(&str, String)]) -> Server {
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

// The front-end Worker of examples/edge-frontend, with the service behind its binding.

/// The site's front-end Worker and the service in one `wrangler dev`: the front-end answers on
/// the port, the service only through the front-end's binding. `api` calls the service by the
/// site's `/api/` (so `sign_up`, `create_room`... go through the binding too); `site` calls any
/// other path of the site.
pub struct Frontend {
    pub api: TestApp,
    pub origin: String,
}

impl Frontend {
    pub fn spawn() -> Self {
        build_once();
        let state = fresh_state_dir();
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let api = TestApp {
            base: format!("{origin}/api"),
            state,
            config: "wrangler.toml".to_string(),
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build(),
            server: Mutex::new(None),
            turns: Turns::default(),
        };
        let rebuilds_before = api.rebuilds();
        // The README's command, on a port and a state of the test's own.
        let command =
            format!("sh scripts/serve.sh --edge --inspector-port {} --show-interactive-dev-session=false", free_port());
        let envs = [("PORT", port.to_string()), ("CHATROOMS_STATE", api.state.display().to_string())];
        *api.server.lock().unwrap() = Some(start_server(&command, &api.state, &envs));
        // Its probe goes to `/api/user/...`, so it waits for the service behind the binding.
        api.wait_until_ready(rebuilds_before);
        Self { api, origin }
    }

    /// A request to the site's own paths (`/r/...`, or any other), not through `/api/`.
    pub fn site(&self, method: &str, path: &str) -> Call {
        Call {
            request: self.api.agent.request(method, &format!("{}{path}", self.origin)),
            turns: self.api.turns.clone(),
        }
    }
}

/// An answer of any type (an HTML page), read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
}

impl From<ureq::Response> for Page {
    fn from(response: ureq::Response) -> Self {
        Self::read(response).unwrap()
    }
}

impl Page {
    /// The answer read whole, or the error that cut it short.
    pub fn read(response: ureq::Response) -> std::io::Result<Self> {
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| response.header(&name).map(|value| (name.to_ascii_lowercase(), value.to_string())))
            .collect::<HashMap<_, _>>();
        let mut text = String::new();
        response.into_reader().read_to_string(&mut text)?;
        Ok(Self { status, headers, text })
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

impl Call {
    /// Sends the request and reads the answer as text, whatever its type.
    pub fn send_page(self) -> Page {
        let _shared = self.turns.shared();
        Page::from(answered(|| answer_of(self.request.clone().call())))
    }
}

// A streamed request body.

/// An HTTP/1.1 answer read off a connection whole (its head a byte at a time, calling
/// `first_byte` when the first one comes): its status and body; status 0 if the connection
/// ended before the answer did.
pub fn read_answer(stream: &mut std::net::TcpStream, first_byte: impl FnOnce()) -> (u16, String) {
    let mut first_byte = Some(first_byte);
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match stream.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            _ => return (0, String::from_utf8_lossy(&head).into_owned()),
        }
        if let Some(first_byte) = first_byte.take() {
            first_byte();
        }
    }
    let head = String::from_utf8_lossy(&head).into_owned();
    let status = head.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let length = head
        .lines()
        .find_map(|line| line.to_ascii_lowercase().strip_prefix("content-length:").map(|n| n.trim().to_string()))
        .and_then(|length| length.parse::<usize>().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; length];
    let read = stream.read_exact(&mut body);
    (if read.is_ok() { status } else { 0 }, String::from_utf8_lossy(&body).into_owned())
}

/// What `chunked_upload` saw: the answer's status and body, and how many body bytes had been
/// sent when it came.
#[derive(Debug)]
pub struct Upload {
    pub status: u16,
    pub body: String,
    pub sent_before_answer: usize,
}

/// A `POST` to `path` whose body is `chunks`, sent with `Transfer-Encoding: chunked` and no
/// `Content-Length` by a thread of its own while this one waits for the answer, so that an
/// answer can come before the body ends. The sender stops at the answer, or at the first write
/// the server refuses; after the last chunk it ends the body if `ends`, else it leaves the
/// body open, as a client still sending would.
pub fn chunked_upload(
    app: &TestApp,
    path: &str,
    content_type: &str,
    chunks: impl Iterator<Item = Vec<u8>> + Send + 'static,
    ends: bool,
) -> Upload {
    use std::sync::atomic::{AtomicBool, AtomicUsize};
    let _shared = app.turns.shared();
    let address = app.base.trim_start_matches("http://").to_string();
    let mut reader = std::net::TcpStream::connect(&address).unwrap();
    reader.set_read_timeout(Some(Duration::from_secs(120))).unwrap();
    let mut writer = reader.try_clone().unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nContent-Type: {content_type}\r\n\
         Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    );
    let sent = Arc::new(AtomicUsize::new(0));
    let answered = Arc::new(AtomicBool::new(false));
    let sender = {
        let (sent, answered) = (sent.clone(), answered.clone());
        std::thread::spawn(move || {
            if writer.write_all(head.as_bytes()).is_err() {
                return;
            }
            for chunk in chunks {
                let frame = [format!("{:x}\r\n", chunk.len()).as_bytes(), &chunk, b"\r\n"].concat();
                if answered.load(Ordering::SeqCst) || writer.write_all(&frame).is_err() {
                    return;
                }
                sent.fetch_add(chunk.len(), Ordering::SeqCst);
            }
            if ends {
                let _ = writer.write_all(b"0\r\n\r\n");
            }
        })
    };
    let mut came = None;
    let (status, body) = read_answer(&mut reader, || {
        came = Some(sent.load(Ordering::SeqCst));
        answered.store(true, Ordering::SeqCst);
    });
    answered.store(true, Ordering::SeqCst);
    let _ = reader.shutdown(std::net::Shutdown::Both);
    sender.join().unwrap();
    let sent_before_answer = came.unwrap_or_else(|| sent.load(Ordering::SeqCst));
    Upload { status, body, sent_before_answer }
}
