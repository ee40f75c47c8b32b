//! chatrooms: the account-and-room backend of a chat service, as a Cloudflare Worker.
//! This file is the fetch entry point and the route table: every route, and what serves it.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod auth;
pub mod clock;
pub mod config;
pub mod domain;
pub mod error;
pub mod http;
pub mod inbox;
pub mod live;
pub mod log;
pub mod relay;
pub mod routes;
pub mod store;

use std::rc::Rc;

use worker::{event, web_sys, Context, Env, Request, Response, ScheduleContext, ScheduledEvent};

use crate::config::Settings;
use crate::error::ApiError;
use crate::http::routing::{self, Handler, Route};
use crate::http::{Cors, Shared};
use crate::log::{RequestLog, Served};
use crate::routes::{
    admins, bans, blocks, directory, dms, files, inbox as inbox_routes, invites, live as live_routes, members,
    mentions, messages, reactions, rooms, tokens, users,
};

#[event(fetch)]
async fn fetch(raw: web_sys::Request, env: Env, context: Context) -> worker::Result<Response> {
    console_error_panic_hook::set_once();
    let started = clock::now_millis();
    let settings = Settings::of(&env);
    let log = RequestLog::default();
    // The request's own method: `worker` would read an unknown one as GET.
    let method = raw.method();
    let origin = raw.headers().get("Origin").ok().flatten();
    let preflight = method == "OPTIONS";
    let cors = Cors::new(settings.cors_origins(), origin.as_deref(), preflight);
    let mut route = None;
    let outcome = match settings.config {
        Err(problem) => Err(ApiError::internal(format!("configuration: {problem}"))),
        // A CORS preflight: answered before routing, which would call it a wrong method.
        Ok(_) if preflight => http::no_content(),
        Ok(config) => match routing::route(ROUTES, &method, routing::path_of(&raw.url())) {
            Ok(found) => {
                route = Some(found.pattern);
                // Only a routed request becomes a `worker::Request`, which reads the request's
                // `cf` properties whether or not anyone looks at them (the runtime builds them
                // from JSON on first access): a 404, a 405 or a preflight never pays that.
                // A handle, not `Request.clone()`, which would tee the body.
                let req = Request::from(Clone::clone(&raw));
                match http::bookmark(&req) {
                    Ok(bookmark) => {
                        let shared = Shared { config, log: log.clone(), context: Rc::new(context), bookmark };
                        found.router(req.method(), shared).run(req, env).await.map_err(ApiError::from)
                    }
                    Err(error) => Err(error),
                }
            }
            Err(error) => Err(error),
        },
    };
    // What the answer leaves of the body is drained behind it (`http::body::drain_behind`).
    let response = http::body::drain_behind(&raw, http::finish(outcome, &log, settings.count_round_trips, cors)?)?;
    let served =
        Served { method: &method, route, status: response.status_code(), millis: clock::now_millis() - started };
    worker::console_log!("{}", log.line(&served));
    Ok(response)
}

/// Every minute (`[triggers]` in wrangler.toml): deletes a chunk of the KV entries of ended
/// sessions that requests left queued, and has the relay sweep the outbox for events that
/// requests could not hand to the rooms' objects. One line each goes to the log, as for a
/// request.
#[event(scheduled)]
async fn scheduled(_event: ScheduledEvent, env: Env, _ctx: ScheduleContext) {
    let log = RequestLog::default();
    let db = store::Db::open(&env, &log);
    let drained = match (&db, store::Sessions::open(&env, &log)) {
        (Ok(db), Ok(sessions)) => store::sessions::drain(db, &sessions).await,
        (Err(error), _) => Err(error.clone()),
        (_, Err(error)) => Err(error),
    };
    worker::console_log!("{}", scheduled_line("kv_forget", drained));
    // The relay sweeps the whole outbox, room by room, for events no request handed over.
    let sweep = relay::Handover { sweep_from: Some(0), ..Default::default() };
    let swept = match relay::RelayObject::of(&env, &log) {
        Ok(relay) => relay.take(&sweep).await.map(|()| 1),
        Err(error) => Err(error),
    };
    worker::console_log!("{}", scheduled_line("room_outbox_sweep", swept));
}

fn scheduled_line(job: &str, outcome: Result<usize, ApiError>) -> serde_json::Value {
    match outcome {
        Ok(done) => serde_json::json!({ "scheduled": job, "done": done }),
        Err(error) => serde_json::json!({ "scheduled": job, "error": error.detail() }),
    }
}

/// `METHOD "/pattern" => handler` for each route.
macro_rules! routes {
    ($($method:ident $pattern:literal => $handler:path),* $(,)?) => {
        &[$(Route { method: stringify!($method), pattern: $pattern, handler: |req, ctx| Box::pin($handler(req, ctx)) }),*]
    };
}

/// Every route of the API, in one place: requests are routed by it, a 405 lists its methods
/// for the path, and a test checks that the OpenAPI document lists exactly these routes. A GET
/// route answers HEAD too, but for `GET /token`, which logs in (`routing::UNSAFE_GETS`). The
/// web client and `/openapi.json` are static assets (web/), served in front of the worker.
pub const ROUTES: &[Route<Handler<Shared>>] = routes! {
    POST "/user" => users::create,
    GET "/user/:user_id" => users::get,
    DELETE "/user/:user_id" => users::delete,
    PUT "/user/:user_id/handle" => users::change_handle,
    PUT "/user/:user_id/password" => users::change_password,
    DELETE "/user/:user_id/sessions" => users::end_other_sessions,
    GET "/user/:user_id/rooms" => directory::rooms_of_user,
    GET "/user/:user_id/blocks" => blocks::list,
    GET "/user/:user_id/invites" => invites::list,
    GET "/user/:user_id/requests" => dms::requests,
    GET "/user/:user_id/mentions" => mentions::list,
    GET "/user/:user_id/live" => inbox_routes::connect,
    POST "/user/:user_id/live" => inbox_routes::ticket,
    PUT "/user/:user_id/blocks/:other_id" => blocks::block,
    DELETE "/user/:user_id/blocks/:other_id" => blocks::unblock,
    PUT "/dm/:user_id" => dms::open,
    GET "/handle/:handle" => users::by_handle,
    GET "/users" => users::search,
    GET "/token" => tokens::create,
    POST "/token" => tokens::create,
    DELETE "/token" => tokens::revoke,
    GET "/rooms" => directory::open_rooms,
    GET "/limits" => files::limits,
    POST "/room" => rooms::create,
    POST "/room/" => rooms::create,
    GET "/room/:room_id" => rooms::get,
    PATCH "/room/:room_id" => rooms::update,
    DELETE "/room/:room_id" => rooms::delete,
    GET "/room/:room_id/owner" => rooms::owner,
    PUT "/room/:room_id/owner" => rooms::transfer,
    GET "/room/:room_id/members" => members::list,
    POST "/room/:room_id/members" => members::add,
    GET "/room/:room_id/members/:user_id" => members::get,
    DELETE "/room/:room_id/members/:user_id" => members::remove,
    GET "/room/:room_id/admins" => members::list_admins,
    POST "/room/:room_id/admins" => admins::promote,
    DELETE "/room/:room_id/admins/:user_id" => admins::demote,
    GET "/room/:room_id/bans" => members::list_bans,
    PUT "/room/:room_id/bans/:user_id" => bans::ban,
    DELETE "/room/:room_id/bans/:user_id" => bans::unban,
    POST "/room/:room_id/invites" => invites::invite,
    DELETE "/room/:room_id/invites/:user_id" => invites::withdraw,
    PUT "/room/:room_id/read" => messages::read,
    GET "/room/:room_id/messages" => messages::list,
    GET "/room/:room_id/search" => messages::search,
    POST "/room/:room_id/messages" => messages::post,
    PATCH "/room/:room_id/messages/:message_id" => messages::edit,
    DELETE "/room/:room_id/messages/:message_id" => messages::delete,
    GET "/room/:room_id/messages/:message_id/reactions/:key" => reactions::list,
    PUT "/room/:room_id/messages/:message_id/reactions/:key" => reactions::add,
    DELETE "/room/:room_id/messages/:message_id/reactions/:key" => reactions::remove,
    POST "/room/:room_id/files" => files::upload,
    GET "/room/:room_id/files/:file_id" => files::download,
    GET "/room/:room_id/live" => live_routes::connect,
    POST "/room/:room_id/live" => live_routes::ticket,
};
