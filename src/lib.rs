//! chatrooms: the account-and-room backend of a chat service, as a Cloudflare Worker.
//! This file is the whole API surface: one router, every route, nothing else.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

pub mod allow;
pub mod auth;
pub mod config;
pub mod cors;
pub mod domain;
pub mod error;
pub mod http;
pub mod input;
pub mod routes;
pub mod store;
pub mod trips;

use std::future::Future;

use worker::{event, Context, Env, Method, Request, Response, Router};

use crate::config::Config;
use crate::error::ApiError;
use crate::routes::{admins, bans, directory, members, messages, rooms, tokens, users};
use crate::trips::Trips;

/// Builds `ROUTES` (method, pattern) and `router`, which serves each with its handler.
macro_rules! routes {
    ($($method:ident $pattern:literal => $handler:path),* $(,)?) => {
        /// Every route the router serves, as (method, pattern).
        pub const ROUTES: &[(&str, &str)] = &[$((stringify!($method), $pattern)),*];

        /// The router for one request, holding only the route it matched (`ROUTES[route]`):
        /// matchit's tree of every route, built anew for each request (`Router::run` consumes
        /// it), was ~15% of a request's CPU in a profile of workerd.
        #[allow(unused_assignments)]
        fn router<'a>(shared: Shared, route: usize) -> Router<'a, Shared> {
            let router = Router::with_data(shared);
            let mut index = 0;
            $(
                if index == route {
                    return routes!(@add router, $method, $pattern, $handler);
                }
                index += 1;
            )*
            router
        }
    };
    (@add $router:ident, GET, $pattern:literal, $handler:path) => {
        $router
            .get_async($pattern, |req, ctx| answer($handler(req, ctx)))
            .head_async($pattern, |req, ctx| answer($handler(req, ctx)))
    };
    (@add $router:ident, POST, $pattern:literal, $handler:path) => {
        $router.post_async($pattern, |req, ctx| answer($handler(req, ctx)))
    };
    (@add $router:ident, PUT, $pattern:literal, $handler:path) => {
        $router.put_async($pattern, |req, ctx| answer($handler(req, ctx)))
    };
    (@add $router:ident, PATCH, $pattern:literal, $handler:path) => {
        $router.patch_async($pattern, |req, ctx| answer($handler(req, ctx)))
    };
    (@add $router:ident, DELETE, $pattern:literal, $handler:path) => {
        $router.delete_async($pattern, |req, ctx| answer($handler(req, ctx)))
    };
}

/// What every handler gets beside the request: the settings and the round-trip counter.
pub struct Shared {
    pub config: Config,
    pub trips: Trips,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    console_error_panic_hook::set_once();
    let (config, count_round_trips) = settings(&env);
    let trips = Trips::new(count_round_trips);
    let origin = req.headers().get("Origin").ok().flatten();
    let preflight = req.method() == Method::Options;
    let path = req.path();
    let outcome = match &config {
        Err(problem) => Err(ApiError::internal(format!("configuration: {problem}"))),
        // A CORS preflight: answered before routing, which would call it a wrong method.
        Ok(_) if preflight => Response::empty().map(|response| response.with_status(204)).map_err(ApiError::from),
        // Routed by the request's own method: `worker` would read an unknown one as GET.
        Ok(config) => match allow::route_for(ROUTES, &req.inner().method(), &path) {
            Some(route) => {
                let shared = Shared { config: config.clone(), trips: trips.clone() };
                router(shared, route).run(req, env).await.map_err(ApiError::from)
            }
            None if allow::allowed_methods(ROUTES, &path).is_some() => Err(ApiError::MethodNotAllowed),
            None => Err(ApiError::NotFound("no such route")),
        },
    };
    let allowed = config.as_ref().ok().and_then(|config| cors::allowed_origin(&config.cors_origins, origin.as_deref()));
    http::finish(outcome, &path, &trips, http::Cors { allowed_origin: allowed, preflight })
}

// Every route of the API, in one place: the router is built from this table, and so are the
// `Allow` header of a 405 and the check that the OpenAPI document lists exactly these routes.
// A GET route answers HEAD too. The web client and `/openapi.json` are static assets (web/),
// served in front of the worker.
routes! {
    POST "/user" => users::create,
    GET "/user/:user_id" => users::get,
    DELETE "/user/:user_id" => users::delete,
    PUT "/user/:user_id/password" => users::change_password,
    GET "/user/:user_id/rooms" => directory::rooms_of_user,
    GET "/token" => tokens::create,
    POST "/token" => tokens::create,
    DELETE "/token" => tokens::revoke,
    GET "/rooms" => directory::open_rooms,
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
    GET "/room/:room_id/messages" => messages::list,
    POST "/room/:room_id/messages" => messages::post,
}

thread_local! {
    /// The settings, read once per isolate: vars and secrets do not change under a running one.
    static SETTINGS: std::cell::OnceCell<(Result<Config, String>, bool)> = const { std::cell::OnceCell::new() };
}

/// The service's settings, and whether to count round trips (`COUNT_ROUND_TRIPS=on`).
fn settings(env: &Env) -> (Result<Config, String>, bool) {
    SETTINGS.with(|settings| {
        settings
            .get_or_init(|| {
                let lookup = |name: &str| {
                    env.var(name).map(|var| var.to_string()).or_else(|_| env.secret(name).map(|secret| secret.to_string())).ok()
                };
                (Config::parse(lookup), lookup("COUNT_ROUND_TRIPS").as_deref() == Some("on"))
            })
            .clone()
    })
}

/// Adapts a handler's `Result<Response, ApiError>` to the router's `worker::Result` by
/// rendering an error as its JSON response.
async fn answer(handler: impl Future<Output = Result<Response, ApiError>>) -> worker::Result<Response> {
    handler.await.or_else(|error| http::error_response(&error))
}
