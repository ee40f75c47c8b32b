//! chatrooms: the account-and-room backend of a chat service, as a Cloudflare Worker.
//! This file is the whole API surface: one router, every route, nothing else.

#![cfg_attr(test, allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing))]

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
use crate::routes::{admins, bans, directory, members, messages, meta, rooms, tokens, users};
use crate::trips::Trips;

/// What every handler gets beside the request: the settings and the round-trip counter.
pub struct Shared {
    pub config: Config,
    pub trips: Trips,
}

#[event(fetch)]
async fn fetch(req: Request, env: Env, _ctx: Context) -> worker::Result<Response> {
    console_error_panic_hook::set_once();
    let trips = Trips::new(matches!(env.var("COUNT_ROUND_TRIPS").map(|var| var.to_string()), Ok(value) if value == "on"));
    let config = Config::parse(|name| {
        env.var(name).map(|var| var.to_string()).or_else(|_| env.secret(name).map(|secret| secret.to_string())).ok()
    });
    let origin = req.headers().get("Origin").ok().flatten();
    let preflight = req.method() == Method::Options;
    let outcome = match &config {
        Err(problem) => Err(ApiError::internal(format!("configuration: {problem}"))),
        // A CORS preflight: answered before routing, which would call it a wrong method.
        Ok(_) if preflight => Response::empty().map(|response| response.with_status(204)).map_err(ApiError::from),
        Ok(config) => router(Shared { config: config.clone(), trips: trips.clone() }).run(req, env).await.map_err(ApiError::from),
    };
    let allowed = config.as_ref().ok().and_then(|config| cors::allowed_origin(&config.cors_origins, origin.as_deref()));
    http::finish(outcome, &trips, http::Cors { allowed_origin: allowed, preflight })
}

fn router<'a>(shared: Shared) -> Router<'a, Shared> {
    Router::with_data(shared)
        .get_async("/openapi.json", |req, ctx| answer(meta::openapi(req, ctx)))
        .post_async("/user", |req, ctx| answer(users::create(req, ctx)))
        .get_async("/user/:user_id", |req, ctx| answer(users::get(req, ctx)))
        .delete_async("/user/:user_id", |req, ctx| answer(users::delete(req, ctx)))
        .put_async("/user/:user_id/password", |req, ctx| answer(users::change_password(req, ctx)))
        .get_async("/user/:user_id/rooms", |req, ctx| answer(directory::rooms_of_user(req, ctx)))
        .get_async("/token", |req, ctx| answer(tokens::create(req, ctx)))
        .delete_async("/token", |req, ctx| answer(tokens::revoke(req, ctx)))
        .get_async("/rooms", |req, ctx| answer(directory::open_rooms(req, ctx)))
        .post_async("/room", |req, ctx| answer(rooms::create(req, ctx)))
        .post_async("/room/", |req, ctx| answer(rooms::create(req, ctx)))
        .get_async("/room/:room_id", |req, ctx| answer(rooms::get(req, ctx)))
        .patch_async("/room/:room_id", |req, ctx| answer(rooms::update(req, ctx)))
        .delete_async("/room/:room_id", |req, ctx| answer(rooms::delete(req, ctx)))
        .get_async("/room/:room_id/owner", |req, ctx| answer(rooms::owner(req, ctx)))
        .put_async("/room/:room_id/owner", |req, ctx| answer(rooms::transfer(req, ctx)))
        .get_async("/room/:room_id/members", |req, ctx| answer(members::list(req, ctx)))
        .post_async("/room/:room_id/members", |req, ctx| answer(members::add(req, ctx)))
        .get_async("/room/:room_id/members/:user_id", |req, ctx| answer(members::get(req, ctx)))
        .delete_async("/room/:room_id/members/:user_id", |req, ctx| answer(members::remove(req, ctx)))
        .get_async("/room/:room_id/admins", |req, ctx| answer(members::list_admins(req, ctx)))
        .post_async("/room/:room_id/admins", |req, ctx| answer(admins::promote(req, ctx)))
        .delete_async("/room/:room_id/admins/:user_id", |req, ctx| answer(admins::demote(req, ctx)))
        .get_async("/room/:room_id/bans", |req, ctx| answer(members::list_bans(req, ctx)))
        .put_async("/room/:room_id/bans/:user_id", |req, ctx| answer(bans::ban(req, ctx)))
        .delete_async("/room/:room_id/bans/:user_id", |req, ctx| answer(bans::unban(req, ctx)))
        .get_async("/room/:room_id/messages", |req, ctx| answer(messages::list(req, ctx)))
        .post_async("/room/:room_id/messages", |req, ctx| answer(messages::post(req, ctx)))
}

/// Adapts a handler's `Result<Response, ApiError>` to the router's `worker::Result` by
/// rendering an error as its JSON response.
async fn answer(handler: impl Future<Output = Result<Response, ApiError>>) -> worker::Result<Response> {
    handler.await.or_else(|error| http::error_response(&error))
}
