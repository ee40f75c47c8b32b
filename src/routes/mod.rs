//! The handlers, one module per resource. Each reads its input, parses it into domain types,
//! calls the store and answers; what they share lives here.

pub mod admins;
pub mod bans;
pub mod blocks;
mod credentials;
pub mod directory;
pub mod dms;
pub mod files;
pub mod inbox;
pub mod invites;
pub mod live;
pub mod members;
pub mod mentions;
pub mod messages;
pub mod reactions;
pub mod rooms;
pub mod tokens;
pub mod users;

use worker::{Request, RouteContext};

use crate::config::RoomEventsFault;
use crate::domain::{Action, Page, RoomId, UserId};
use crate::error::ApiError;
use crate::http::{param, read_input, Input, Shared};
use crate::inbox::client::InboxObject;
use crate::store::outbox::{Outbox, Row};
use crate::store::rooms::{Room, RoomQuery, Written};
use crate::store::sessions::Forgetting;
use crate::store::{Caller, Db, Sessions};

pub type Ctx = RouteContext<Shared>;

fn db(ctx: &Ctx) -> Result<Db, ApiError> {
    Db::open(&ctx.env, &ctx.data.log)
}

/// The database for reads a replica may serve, at least as recent as the client's bookmark
/// (`Db::replica`): what anyone may read, which no access of the reader's decides.
fn replica_db(ctx: &Ctx) -> Result<Db, ApiError> {
    Db::replica(&ctx.env, &ctx.data.log, ctx.data.bookmark.as_ref())
}

/// The database for `action` on one room: a viewer without a key who only looks (`View`,
/// `Peek`) may be served by a replica; a caller's standing decides what they may do (a ban
/// takes effect at once), so theirs is read on the primary, as every write is.
fn room_db(ctx: &Ctx, query: &RoomQuery<'_>, action: Action) -> Result<Db, ApiError> {
    match (query.caller, action) {
        (None, Action::View | Action::Peek) => replica_db(ctx),
        _ => db(ctx),
    }
}

fn sessions(ctx: &Ctx) -> Result<Sessions, ApiError> {
    Sessions::open(&ctx.env, &ctx.data.log)
}

/// The holder of the request's key, as KV knows it; the key is required. Whether the key is
/// live, D1 says in the request's batch (`Batch::of_caller`).
async fn caller(ctx: &Ctx, input: &Input) -> Result<Caller, ApiError> {
    sessions(ctx)?.caller(input.required_key()?).await
}

/// The holder of the request's key, if it sent one. A key that is sent must be live.
async fn optional_caller(ctx: &Ctx, input: &Input) -> Result<Option<Caller>, ApiError> {
    match input.key()? {
        Some(key) => Ok(Some(sessions(ctx)?.caller(key).await?)),
        None => Ok(None),
    }
}

/// Deletes the KV entries of a chunk of ended sessions, after the change that ended them has
/// committed: best effort, since D1 already refuses those keys and what is left stays queued
/// for the next drain. The person's inbox checks its sockets' keys (`user_id`: whose sessions
/// ended). A failure goes to the request's log line, never to the client.
async fn forget(ctx: &Ctx, db: &Db, chunk: Forgetting, user_id: &UserId) {
    hand_over(ctx, &chunk.outbox).await;
    let checked = match InboxObject::of(&ctx.env, user_id) {
        Ok(inbox) => inbox.keys_changed().await,
        Err(error) => Err(error),
    };
    if let Err(error) = checked {
        ctx.data.log.failed(&format!("inbox not told of ended sessions: {}", error.detail()));
    }
    let forgotten = match sessions(ctx) {
        Ok(sessions) => chunk.finish(db, &sessions).await,
        Err(error) => Err(error),
    };
    if let Err(error) = forgotten {
        ctx.data.log.failed(&format!("KV cleanup left queued: {}", error.detail()));
    }
}

/// Hands one room's committed events to its object (see `hand_over`).
async fn notify(ctx: &Ctx, events: &[Row]) {
    hand_over(ctx, &Outbox { events: events.to_vec(), beyond: None }).await;
}

/// Hands committed changes' events to their rooms' objects: best effort, since what does not
/// reach an object stays queued in D1 and goes to the relay, which retries. A failure goes to
/// the request's log line, never to the client, whose change stands.
async fn hand_over(ctx: &Ctx, outbox: &Outbox) {
    let dropped = ctx.data.config.room_events_fault == Some(RoomEventsFault::Drop);
    if (outbox.events.is_empty() && outbox.beyond.is_none()) || dropped {
        return;
    }
    if let Err(error) = crate::relay::deliver(&ctx.env, &ctx.data.log, outbox, Some(&ctx.data.context)).await {
        ctx.data.log.failed(&format!("room events left to the relay: {}", error.detail()));
    }
}

/// Hands the write's events to the room's object, then explains the write.
async fn conclude(ctx: &Ctx, written: Written, action: Action) -> Result<Room, ApiError> {
    notify(ctx, written.events()).await;
    written.explain(action)
}

/// A request on one room: its input, the room's id from the path, the caller, and the path's
/// `user_id` if the route has one.
struct RoomRequest<Caller> {
    input: Input,
    room_id: RoomId,
    caller: Caller,
    target: Option<UserId>,
}

/// A request on one room by whoever asks: a key is optional (reads).
type RoomRead = RoomRequest<Option<Caller>>;

/// A request on one room by the holder of a live key (writes).
type RoomWrite = RoomRequest<Caller>;

impl<Caller> RoomRequest<Caller> {
    /// Reads the input and the path's ids, then the caller as `find_caller` finds it.
    async fn read(
        mut req: Request,
        ctx: &Ctx,
        find_caller: impl AsyncFnOnce(&Ctx, &Input) -> Result<Caller, ApiError>,
    ) -> Result<Self, ApiError> {
        let input = read_input(&mut req).await?;
        let (room_id, target) = path_ids(ctx)?;
        let caller = find_caller(ctx, &input).await?;
        Ok(Self { input, room_id, caller, target })
    }
}

impl RoomRead {
    async fn new(req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        Self::read(req, ctx, optional_caller).await
    }

    fn query(&self) -> RoomQuery<'_> {
        RoomQuery { room_id: &self.room_id, caller: self.caller.as_ref(), target: self.target.as_ref() }
    }

    fn page(&self) -> Result<Page, ApiError> {
        Ok(Page::parse(self.input.uint("limit")?, self.input.uint("offset")?)?)
    }
}

impl RoomWrite {
    async fn new(req: Request, ctx: &Ctx) -> Result<Self, ApiError> {
        Self::read(req, ctx, caller).await
    }

    fn query(&self) -> RoomQuery<'_> {
        RoomQuery { room_id: &self.room_id, caller: Some(&self.caller), target: self.target.as_ref() }
    }
}

fn path_ids(ctx: &Ctx) -> Result<(RoomId, Option<UserId>), ApiError> {
    let room_id = param(ctx, "room_id", RoomId::parse)?;
    let target = match ctx.param("user_id") {
        Some(_) => Some(param(ctx, "user_id", UserId::parse)?),
        None => None,
    };
    Ok((room_id, target))
}
