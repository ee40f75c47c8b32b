//! Integration tests: every endpoint over HTTP against a real `wrangler dev`.

mod helpers;

mod input;
mod members;
mod rooms;
mod sessions;
mod tokens;
mod users;
