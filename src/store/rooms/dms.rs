//! Direct messages: the one room of each pair of people, opened in one round trip whether it
//! exists or not, and the requests (DMs others started with someone) that wait for an answer.

use serde::{Deserialize, Serialize};

use super::super::directory::Attention;
use super::super::limits::Counted;
use super::super::outbox::{Outbox, Since};
use super::super::{page_and_count, sql, text, Batch, Caller, Db};
use crate::domain::limits::{Limits, WriteKind};
use crate::domain::{Page, RoomId, UserId};
use crate::error::ApiError;

/// The pair's DM, as the caller opened it, and the events its writes queued.
pub struct OpenedDm {
    pub room_id: RoomId,
    pub outbox: Outbox,
}

/// Opens the caller's DM with `other`, in one transaction guarded by the caller's key: a new
/// one (`new_room`, its room's id, made now) if the pair has none, the other person invited to
/// it; then the caller is in it (again, had they declined or left it). Refused when `other`
/// does not exist (404) or blocked the caller (403), and a new one past the caller's ceiling of
/// DMs started (429): then nothing is written.
pub async fn open_dm(
    db: &Db,
    caller: &Caller,
    other: &UserId,
    new_room: &RoomId,
    now: i64,
    limits: &Limits,
) -> Result<OpenedDm, ApiError> {
    #[derive(Deserialize)]
    struct Before {
        other_exists: i64,
        blocked: i64,
    }
    #[derive(Deserialize)]
    struct After {
        room_id: String,
        present: Option<i64>,
    }
    let counted = Counted::new(WriteKind::Dm, limits, &caller.user_id, now);
    let [now, window, max] = counted.guard();
    let args =
        [text(&caller.user_id.to_string()), text(&other.to_string()), text(&new_room.to_string()), now, window, max];
    let statement = |sql: &str| db.prepare_leading(sql, &args);
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let since = Since::read(db, &mut batch)?;
    let before = batch.read::<Before>(statement(sql::DM_BEFORE)?);
    let counter = counted.read(db, &mut batch)?;
    for sql in [
        sql::INSERT_DM_ROOM,
        sql::INSERT_DM,
        sql::INVITE_TO_DM,
        sql::QUEUE_DM_STARTED,
        sql::QUEUE_DM_INVITED,
        sql::COUNT_DM,
        sql::OPEN_DM,
        sql::QUEUE_DM_JOINED,
        sql::TAKE_UP_DM_INVITE,
        sql::QUEUE_PAIR_VOICES,
        sql::TELL_PAIR_VOICES,
    ] {
        batch.write(statement(sql)?);
    }
    let after = batch.read::<After>(statement(sql::DM_ROOM)?);
    let touched = since.touched(db, &mut batch)?;
    let results = batch.run().await?;
    let before = results.first(&before)?.ok_or_else(|| ApiError::internal("DM_BEFORE answered no row"))?;
    if before.other_exists == 0 {
        return Err(ApiError::NotFound("user not found"));
    }
    if before.blocked != 0 {
        return Err(ApiError::Forbidden("this person does not take direct messages from you"));
    }
    let outbox = touched.outbox(&results)?;
    match results.first(&after)? {
        Some(After { room_id, present: Some(1) }) => Ok(OpenedDm { room_id: RoomId::parse(&room_id)?, outbox }),
        _ => {
            counted.verdict(&results, counter.as_ref())?.explain()?;
            Err(ApiError::internal("DM not opened, though no guard refused it"))
        }
    }
}

/// A DM someone started with the caller, waiting for their answer, as the requests list shows
/// it: with its messages, all unread.
#[derive(Debug, Deserialize, Serialize)]
pub struct RequestRow {
    pub room_id: String,
    #[serde(rename(serialize = "from"))]
    pub from_id: String,
    pub first_message: Option<String>,
    pub at: i64,
    #[serde(flatten)]
    pub attention: Attention,
}

/// One page of the caller's DM requests, newest first, and how many there are.
pub async fn requests_of(db: &Db, caller: &Caller, page: Page) -> Result<(Vec<RequestRow>, i64), ApiError> {
    let statements = (sql::REQUESTS_OF_USER, sql::REQUEST_COUNT_OF_USER);
    let (requests, count) = page_and_count(db, caller, statements, &caller.user_id.to_string(), page).await?;
    Ok((requests, count.unwrap_or(0)))
}

/// The first message of the DM in room `room_id`, for its requests: written once, by the
/// room's object (a later call changes nothing).
pub async fn tell_first_message(db: &Db, room_id: &str, message: &str) -> Result<(), ApiError> {
    let mut batch = Batch::new(db);
    batch.write(db.prepare(sql::FIRST_MESSAGE, &[text(room_id), text(message)])?);
    batch.run().await.map(drop)
}
