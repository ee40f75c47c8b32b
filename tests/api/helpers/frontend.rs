//! The front-end Worker of examples/edge-frontend, with the service behind its binding.

use std::sync::Mutex;
use std::time::Duration;

use super::client::Turns;
use super::server::{build_once, free_port, fresh_state_dir, start_server};
use super::{Call, TestApp};

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
        if let Err(start) = api.wait_until_ready(rebuilds_before, 0) {
            panic!("{}\n{}", start.explain(), api.log());
        }
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
