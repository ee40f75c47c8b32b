//! Integration tests: every endpoint over HTTP against a real `wrangler dev`.

// Tests may panic: that is how they fail.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

mod helpers;

mod input;
mod members;
mod rooms;
mod sessions;
mod tokens;
mod users;
mod moderation;
mod ownership;
mod directory;
mod messages;
mod account;
mod cors;
mod faults;
mod throttling;
mod openapi;
mod logs;
mod edge;
