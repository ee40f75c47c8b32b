//! Starts a real `wrangler dev` (local D1 and KV inside workerd) on a free port with a fresh
//! state directory, and talks HTTP to it. One instance serves all the tests that use the
//! default settings; tests that need other settings spawn their own.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex, OnceLock, RwLock};
use std::time::{Duration, Instant};

use serde_json::{json, Value};

pub const ROOT: &str = env!("CARGO_MANIFEST_DIR");
/// Low enough that tests stay quick; the production count is a setting.
pub const TEST_ITERATIONS: &str = "1000";
pub const PASSWORD: &str = "correct horse battery";

/// The instance with the default settings, started on first use.
pub fn app() -> &'static TestApp {
    static APP: OnceLock<TestApp> = OnceLock::new();
    APP.get_or_init(|| TestApp::spawn(&[]))
}

pub struct TestApp {
    pub base: String,
    pub state: PathBuf,
    /// The wrangler config, relative to the repository (`wrangler.toml` unless a test needs
    /// other bindings).
    config: String,
    agent: ureq::Agent,
    server: Mutex<Option<Server>>,
    /// `sql` runs a second workerd on the same SQLite file, and either process may then find
    /// it locked (SQLITE_BUSY), which a real D1 never does. So requests share this lock and
    /// `sql` takes it alone.
    database: Arc<RwLock<()>>,
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
            database: Arc::default(),
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
        let probe = format!("{}/user/00000000-0000-4000-8000-000000000000", self.base);
        loop {
            // An answer of the worker (JSON), not the plain-text 503 of a reload under way.
            match self.agent.get(&probe).call() {
                Ok(answer) | Err(ureq::Error::Status(_, answer)) if answer.content_type() == "application/json" => return,
                _ if Instant::now() < deadline => std::thread::sleep(Duration::from_millis(200)),
                answer => panic!("wrangler dev did not answer on {}: {answer:?}\n{}", self.base, self.log()),
            }
        }
    }

    /// Runs SQL against the instance's local D1 (beside the running worker) and returns the
    /// rows, for checks against the database itself.
    pub fn sql(&self, query: &str) -> Vec<Value> {
        let _alone = self.database.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        let output = Command::new(wrangler())
            .args(["d1", "execute", "DB", "--local", "--json", "--config", &self.config, "--persist-to"])
            .arg(&self.state)
            .args(["--command", query])
            .current_dir(ROOT)
            .env("CI", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .output()
            .unwrap();
        assert!(output.status.success(), "{query}: {}", String::from_utf8_lossy(&output.stderr));
        let results: Value = serde_json::from_slice(&output.stdout).unwrap();
        results[0]["results"].as_array().cloned().unwrap_or_default()
    }

    /// What wrangler printed, for failure messages.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.state.join("wrangler.log")).unwrap_or_default()
    }

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
        Call { request: self.agent.request(method, &format!("{}{path}", self.base)), database: self.database.clone() }
    }

    /// A new user, logged in.
    pub fn sign_up(&self, username: &str) -> User {
        let response = self.post("/user").json(json!({ "username": username, "password": PASSWORD }));
        assert_eq!(response.status, 202, "sign-up failed: {}", response.text);
        User { id: response.str("user_id"), key: response.str("key") }
    }

    /// A new room owned by `owner`.
    pub fn create_room(&self, owner: &User, open: bool) -> String {
        let response = self.post("/room/").bearer(&owner.key).json(json!({ "name": "test room", "open": open }));
        assert_eq!(response.status, 200, "room creation failed: {}", response.text);
        response.str("room_id")
    }

    /// `user` joins the room; panics unless that worked.
    pub fn join(&self, room: &str, user: &User) {
        let response = self.post(&format!("/room/{room}/members")).bearer(&user.key).send();
        assert_eq!(response.status, 200, "join failed: {}", response.text);
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub key: String,
}

pub struct Call {
    request: ureq::Request,
    database: Arc<RwLock<()>>,
}

impl Call {
    pub fn query(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.query(name, value);
        self
    }

    pub fn bearer(self, key: &str) -> Self {
        self.header("Authorization", &format!("Bearer {key}"))
    }

    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.request = self.request.set(name, value);
        self
    }

    pub fn send(self) -> Resp {
        let _shared = self.database.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        Resp::from(self.request.call())
    }

    /// For HEAD: the status, after checking that no body came.
    pub fn send_head(self) -> u16 {
        let _shared = self.database.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let response = match self.request.call() {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("HEAD failed without an HTTP answer: {error}"),
        };
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
        let _shared = self.database.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        Resp::from(self.request.send_form(fields))
    }

    pub fn raw(self, content_type: &str, body: &[u8]) -> Resp {
        let _shared = self.database.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        Resp::from(self.request.set("Content-Type", content_type).send_bytes(body))
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

impl From<Result<ureq::Response, ureq::Error>> for Resp {
    fn from(result: Result<ureq::Response, ureq::Error>) -> Self {
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("request failed without an HTTP answer: {error}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| response.header(&name).map(|value| (name.to_ascii_lowercase(), value.to_string())))
            .collect::<HashMap<_, _>>();
        let mut text = String::new();
        response.into_reader().read_to_string(&mut text).unwrap();
        let body = if status == 204 {
            assert!(text.is_empty(), "204 with a body: {text}");
            Value::Null
        } else {
            let content_type = headers.get("content-type").map(String::as_str).unwrap_or_default();
            assert!(content_type.starts_with("application/json"), "{status} is not JSON ({content_type}): {text}");
            serde_json::from_str(&text).unwrap_or_else(|error| panic!("{status} body is not JSON ({error}): {text}"))
        };
        Self { status, headers, text, body }
    }
}

impl Resp {
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

/// A raw HTTP/1.1 exchange, for what a client library will not send (a lying Content-Length,
/// a body on a GET, ...). Returns the status and the body.
pub fn raw_http(app: &TestApp, request: &str) -> (u16, String) {
    let _shared = app.database.read().unwrap_or_else(|poisoned| poisoned.into_inner());
    let address = app.base.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    stream.write_all(request.as_bytes()).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    let status = answer.split(' ').nth(1).and_then(|code| code.parse().ok()).unwrap_or(0);
    let body = answer.split_once("\r\n\r\n").map(|(_, body)| body.to_string()).unwrap_or_default();
    (status, body)
}

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

fn migrate(config: &str, state: &Path) {
    let output = Command::new(wrangler())
        .args(["d1", "migrations", "apply", "DB", "--local", "--config", config, "--persist-to"])
        .arg(state)
        .current_dir(ROOT)
        .env("CI", "1")
        .env("WRANGLER_SEND_METRICS", "false")
        .output()
        .unwrap();
    assert!(output.status.success(), "migrations failed: {}", String::from_utf8_lossy(&output.stderr));
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn start_wrangler(config: &str, state: &Path, port: u16, vars: &[(&str, &str)]) -> Server {
    let mut command = format!(
        "\"$0\" dev --config '{config}' --ip 127.0.0.1 --port {port} --inspector-port {} --persist-to '{}' \
         --show-interactive-dev-session=false",
        free_port(),
        state.display()
    );
    // Tests create many users from one address: no sign-up cap unless a test sets one.
    let defaults = [("PBKDF2_ITERATIONS", TEST_ITERATIONS), ("SIGNUPS_PER_HOUR", "off")];
    let unset_defaults = defaults.iter().filter(|(name, _)| !vars.iter().any(|(given, _)| given == name));
    for (name, value) in vars.iter().chain(unset_defaults) {
        command.push_str(&format!(" --var '{name}:{value}'"));
    }
    let script = format!(
        "{command} </dev/null >>'{log}' 2>&1 &\ncat >/dev/null\nkill -TERM 0",
        log = state.join("wrangler.log").display()
    );
    let mut child = {
        use std::os::unix::process::CommandExt;
        Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(wrangler())
            .current_dir(ROOT)
            .env("CHATROOMS_SKIP_BUILD", "1")
            .env("WRANGLER_SEND_METRICS", "false")
            .stdin(Stdio::piped())
            .process_group(0)
            .spawn()
            .unwrap()
    };
    let stdin = child.stdin.take();
    Server { child, stdin }
}

// The front-end Worker of examples/edge-frontend, with the service behind its binding.

pub const FRONTEND_CONFIG: &str = "examples/edge-frontend/wrangler.toml";

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
        // The front-end has no database; the service's D1 is the one in the shared state.
        migrate("wrangler.toml", &state);
        let port = free_port();
        let origin = format!("http://127.0.0.1:{port}");
        let api = TestApp {
            base: format!("{origin}/api"),
            state,
            config: "wrangler.toml".to_string(),
            agent: ureq::AgentBuilder::new().timeout(Duration::from_secs(60)).build(),
            server: Mutex::new(None),
            database: Arc::default(),
        };
        let rebuilds_before = api.rebuilds();
        // start_wrangler quotes the one config it takes: the primary Worker's and the service's
        // go in as one (the first config is the Worker on the port).
        let configs = format!("{FRONTEND_CONFIG}' --config 'wrangler.toml");
        *api.server.lock().unwrap() = Some(start_wrangler(&configs, &api.state, port, &[]));
        // Its probe goes to `/api/user/...`, so it waits for the service behind the binding.
        api.wait_until_ready(rebuilds_before);
        Self { api, origin }
    }

    /// A request to the site's own paths (`/r/...`, or any other), not through `/api/`.
    pub fn site(&self, method: &str, path: &str) -> Call {
        Call { request: self.api.agent.request(method, &format!("{}{path}", self.origin)), database: self.api.database.clone() }
    }
}

/// An answer of any type (an HTML page), read whole.
#[derive(Debug)]
pub struct Page {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub text: String,
}

impl Page {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(&name.to_ascii_lowercase()).map(String::as_str)
    }
}

impl Call {
    /// Sends the request and reads the answer as text, whatever its type.
    pub fn send_page(self) -> Page {
        let _shared = self.database.read().unwrap_or_else(|poisoned| poisoned.into_inner());
        let response = match self.request.call() {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(error) => panic!("request failed without an HTTP answer: {error}"),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| response.header(&name).map(|value| (name.to_ascii_lowercase(), value.to_string())))
            .collect::<HashMap<_, _>>();
        let mut text = String::new();
        response.into_reader().read_to_string(&mut text).unwrap();
        Page { status, headers, text }
    }
}
