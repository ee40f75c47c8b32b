//! What crosses between the worker and a room's object: one enum of calls (`Call`), posted to
//! one path and matched exhaustively by the object, each call with its own answer type
//! (`RoomCall::Done`). The object answers every call with an `Answer`, its refusals typed, so
//! that the worker alone words the HTTP errors.
//!
//! Worker and object are one script, deployed together: a deploy restarts every object with
//! the new code, so an old object never meets a new call (see the README, "Deploying").

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::fan::protocol::{Closes, FanNumber, FrameReply, Held, Placement, Pulled};
use super::frames::{Change, MessageView, Reaction, You};
use super::history::ReadPosition;
use super::sockets::Socket;
use crate::auth::session::KeyHash;
use crate::domain::limits::WriteKind;
use crate::domain::{
    FileId, FileName, MediaType, Mentions, MessageId, MessageSearch, ReactionKey, Refusal, RoomView, UserId,
};
use crate::error::ApiError;

/// Where an upgrade (`Call::Connect`), which carries no body, carries its call.
pub const CALL_HEADER: &str = "X-Room-Call";

/// The room's id, with every call: the object tells D1 its members' counts by it.
pub const ROOM_HEADER: &str = "X-Room-Id";

/// Every call the worker makes on a room's object: posted as the JSON body of a request to the
/// object, or, for an upgrade, in `CALL_HEADER`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(tag = "call", rename_all = "snake_case")]
pub enum Call {
    /// Opens a socket (the request is an upgrade).
    Connect(Connect),
    /// Changes D1 committed, in outbox order.
    Apply(Changes),
    Post(Post),
    History(HistoryQuery),
    Edit(Edit),
    Delete(Deletion),
    AddTicket(Ticket),
    Redeem(Redeem),
    Read(Read),
    React(React),
    Reactors(ReactorsQuery),
    Search(SearchQuery),
    AddFile(NewFile),
    /// From a fan-out object: a frame of a socket it holds.
    FanFrame(FanFrame),
    /// From a fan-out object: how many sockets it holds, and whose.
    FanReport(FanReport),
    /// From a fan-out object: events it, or one of its sockets, has not had.
    FanPull(FanPull),
    /// From a fan-out object: whether each kind of socket it holds may stay.
    FanJudge(FanJudge),
}

/// A call, and what the object answers it with when it is done.
pub trait RoomCall: Into<Call> {
    type Done: Serialize + DeserializeOwned;
}

/// The object's answer to a call.
#[derive(Debug, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Answer<T> {
    Done(T),
    Denied(Denied),
}

impl<T> Answer<T> {
    pub fn into_result(self) -> Result<T, ApiError> {
        match self {
            Self::Done(value) => Ok(value),
            Self::Denied(denied) => Err(denied.into()),
        }
    }
}

impl<T> From<Denied> for Answer<T> {
    fn from(denied: Denied) -> Self {
        Self::Denied(denied)
    }
}

/// Why the object refused a call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Denied {
    /// No such message in the room (or it is deleted).
    NoSuchMessage,
    /// Only a message's author may edit it.
    NotTheAuthor,
    /// Only a message's author or an admin may delete it.
    NotYours,
    /// A ceiling of the author's writes (posts, edits) is reached: seconds to wait.
    TooMany { kind: WriteKind, retry_after: u64 },
    /// The ticket is unknown, used or expired.
    BadTicket,
    /// The room was told the key ended.
    KeyEnded,
    /// The room was told the user was banned.
    Banned,
    /// The room is deleted, or the caller may no longer see it.
    RoomGone,
    /// The room's events say the author left after the worker found them present: the post,
    /// edit or deletion lost a race with their leaving (or removal, or ban).
    Departed,
    /// In a DM, the other person declined, left or blocked the author.
    Muted,
    /// A read position past the room's latest seq.
    PastLatest,
    /// A reply to a deleted message.
    ReplyToDeleted,
    /// A reaction to a deleted message.
    ReactToDeleted,
    /// A thread's root that is itself a reply in a thread.
    NotTopLevel,
    /// The message holds `KEYS_PER_MESSAGE` keys, none of them the one asked for.
    TooManyKeys,
    /// The caller has `KEYS_PER_USER` keys on the message.
    TooManyOfYours,
    /// A post's `files` names what is not the poster's own upload to the room, or one a
    /// message already carries.
    NotYourFile,
}

impl From<Denied> for ApiError {
    fn from(denied: Denied) -> Self {
        match denied {
            Denied::NoSuchMessage => ApiError::NotFound("no such message in this room"),
            Denied::NotTheAuthor => ApiError::Forbidden("only its author may edit a message"),
            Denied::NotYours => ApiError::Forbidden("only its author or an admin may delete a message"),
            Denied::TooMany { kind, retry_after } => ApiError::TooManyRequests { message: kind.refusal(), retry_after },
            Denied::BadTicket => ApiError::Unauthorized("invalid, used or expired ticket"),
            Denied::KeyEnded => ApiError::INVALID_KEY,
            Denied::Banned => Refusal::Banned.into(),
            Denied::RoomGone => Refusal::RoomNotFound.into(),
            // As the worker refuses one it finds absent (`Situation::check`).
            Denied::Departed => ApiError::Forbidden("only present members may post"),
            Denied::Muted => crate::domain::Refusal::Forbidden(crate::domain::MUTED).into(),
            Denied::PastLatest => ApiError::bad_request("seq is past the room's latest"),
            Denied::ReplyToDeleted => ApiError::bad_request("reply_to names a deleted message"),
            Denied::ReactToDeleted => ApiError::bad_request("the message was deleted"),
            Denied::NotTopLevel => {
                ApiError::bad_request("thread must name a message of the room's own line, not a reply in a thread")
            }
            Denied::TooManyKeys => ApiError::Conflict("a message holds at most 20 different reactions"),
            Denied::TooManyOfYours => ApiError::Conflict("you may react to one message in at most 10 ways"),
            Denied::NotYourFile => {
                ApiError::bad_request("files must name your own uploads to this room that no message carries yet")
            }
        }
    }
}

/// A socket the worker authorized: who opens it, and the room as D1 has it now.
#[derive(Debug, Serialize, Deserialize)]
pub struct Connect {
    pub room: RoomView,
    /// Null for a viewer without a key.
    pub you: Option<You>,
    pub key_hash: Option<KeyHash>,
    /// When the key's session ends.
    pub expires_at: Option<i64>,
    /// Resume after this seq.
    pub after: Option<i64>,
    /// Those the caller blocked among the room's members, past and present: their mentions do
    /// not count for the caller.
    #[serde(default)]
    pub blocked: Vec<UserId>,
}

/// One outbox row: an event D1 committed, not yet known to have reached the room's object.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct OutboxEvent {
    pub id: i64,
    pub change: Change,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Changes {
    pub events: Vec<OutboxEvent>,
}

/// The highest outbox id the object has applied.
#[derive(Debug, Serialize, Deserialize)]
pub struct Applied {
    pub applied: i64,
}

/// A post, over HTTP or a socket; the author may post (the worker or the socket checked). The
/// object counts it against the ceiling of posts it reads from the settings.
#[derive(Debug, Serialize, Deserialize)]
pub struct Post {
    pub user_id: UserId,
    pub message_id: MessageId,
    pub text: String,
    /// Checked: present members, and the whole room only by an admin.
    #[serde(default)]
    pub mentions: Mentions,
    /// The message it replies to: the room checks it is one of its own, not deleted.
    #[serde(default)]
    pub reply_to: Option<MessageId>,
    /// The root of the thread it is a reply in: the room checks it is of its own line.
    #[serde(default)]
    pub thread: Option<MessageId>,
    /// The files it carries (at most `MAX_FILES`, each once): the room checks each is the
    /// poster's own upload that no message carries yet.
    #[serde(default)]
    pub files: Vec<FileId>,
}

/// An upload R2 has: the room keeps it until a message carries it, or for a day.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct NewFile {
    pub file_id: FileId,
    pub user_id: UserId,
    pub name: FileName,
    pub media_type: MediaType,
    pub size: u64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryQuery {
    pub before: Option<MessageId>,
    pub after: Option<MessageId>,
    pub limit: u32,
    /// Who reads: their reactions are `me`. None for a viewer without a key.
    #[serde(default)]
    pub user_id: Option<UserId>,
    /// The root of the thread to page the replies of; none for the room's own line.
    #[serde(default)]
    pub thread: Option<MessageId>,
}

/// A page of history: newest first, and the id to pass as `before` for the page before it.
#[derive(Debug, Serialize, Deserialize)]
pub struct HistoryPage {
    pub messages: Vec<MessageView>,
    pub next: Option<MessageId>,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Edit {
    pub user_id: UserId,
    pub message_id: MessageId,
    pub text: String,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Deletion {
    pub user_id: UserId,
    pub message_id: MessageId,
    /// The caller is an admin of the room, and may delete anyone's message.
    pub moderator: bool,
}

/// A member reads up to `seq`, or marks the room unread (`seq` none): over HTTP, the worker
/// checked they are a present member.
#[derive(Debug, Serialize, Deserialize)]
pub struct Read {
    pub user_id: UserId,
    pub seq: Option<i64>,
}

/// A search of the room's messages: a page of those whose text holds `q`, older than `before`.
#[derive(Debug, Serialize, Deserialize)]
pub struct SearchQuery {
    pub q: MessageSearch,
    pub before: Option<MessageId>,
    pub limit: u32,
    /// Who reads: their reactions are `me`.
    pub user_id: Option<UserId>,
}

/// A present member adds (`add`) or takes back their reaction with `key` to a message.
#[derive(Debug, Serialize, Deserialize)]
pub struct React {
    pub user_id: UserId,
    pub message_id: MessageId,
    pub key: ReactionKey,
    pub add: bool,
}

/// The message's reactions once the caller's is added or taken back.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reactions {
    pub reactions: Vec<Reaction>,
}

/// Who reacted to a message with a key: a page of them.
#[derive(Debug, Serialize, Deserialize)]
pub struct ReactorsQuery {
    pub message_id: MessageId,
    pub key: ReactionKey,
    pub limit: u32,
    pub offset: u32,
}

/// A page of those who reacted with the key, in the order they did, and how many did.
#[derive(Debug, Serialize, Deserialize)]
pub struct Reactors {
    pub users: Vec<UserId>,
    pub user_count: i64,
}

/// A ticket, by its hash, for one of the user's keys.
#[derive(Debug, Serialize, Deserialize)]
pub struct Ticket {
    pub ticket_hash: KeyHash,
    pub user_id: UserId,
    pub key_hash: KeyHash,
    pub expires_at: i64,
}

#[derive(Debug, Serialize, Deserialize)]
pub struct Redeem {
    pub ticket_hash: KeyHash,
}

/// Whose a redeemed ticket was.
#[derive(Debug, Serialize, Deserialize)]
pub struct Redeemed {
    pub user_id: UserId,
    pub key_hash: KeyHash,
}

/// A frame of a socket a fan-out object holds: the object checked its size and rate, and
/// answered a `ping`; the room does the rest.
#[derive(Debug, Serialize, Deserialize)]
pub struct FanFrame {
    pub fan: FanNumber,
    pub socket: Socket,
    pub text: String,
}

/// A fan-out object's open sockets, the sockets it ever accepted, and the users among them.
#[derive(Debug, Serialize, Deserialize)]
pub struct FanReport {
    pub fan: FanNumber,
    pub sockets: u32,
    pub accepted: u64,
    pub users: Vec<UserId>,
}

/// The events after `after` up to `through`, a page of them, as `user_id` sees them.
#[derive(Debug, Serialize, Deserialize)]
pub struct FanPull {
    pub after: i64,
    pub through: i64,
    pub user_id: Option<UserId>,
}

/// The kinds of socket a fan-out object holds: the answer says, for each, how to close it, or
/// nothing if it may stay.
#[derive(Debug, Serialize, Deserialize)]
pub struct FanJudge {
    pub held: Vec<Held>,
}

macro_rules! calls {
    ($($call:ident($request:ty) -> $done:ty),* $(,)?) => {
        $(
            impl From<$request> for Call {
                fn from(request: $request) -> Self {
                    Self::$call(request)
                }
            }
            impl RoomCall for $request {
                type Done = $done;
            }
        )*
    };
}

calls! {
    Connect(Connect) -> Placement,
    Apply(Changes) -> Applied,
    Post(Post) -> MessageView,
    History(HistoryQuery) -> HistoryPage,
    Edit(Edit) -> MessageView,
    Delete(Deletion) -> (),
    AddTicket(Ticket) -> (),
    Redeem(Redeem) -> Redeemed,
    Read(Read) -> ReadPosition,
    React(React) -> Reactions,
    Reactors(ReactorsQuery) -> Reactors,
    Search(SearchQuery) -> HistoryPage,
    AddFile(NewFile) -> (),
    FanFrame(FanFrame) -> FrameReply,
    FanReport(FanReport) -> (),
    FanPull(FanPull) -> Pulled,
    FanJudge(FanJudge) -> Closes,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_call_names_itself_beside_its_fields() {
        let call = Call::from(Redeem { ticket_hash: KeyHash::stored(&"a".repeat(64)).unwrap() });
        let value = serde_json::to_value(&call).unwrap();
        assert_eq!(value["call"], "redeem");
        assert!(matches!(serde_json::from_value::<Call>(value).unwrap(), Call::Redeem(_)));
    }

    #[test]
    fn a_refusal_crosses_as_its_name_and_becomes_the_http_error() {
        let answer: Answer<()> = Denied::TooMany { kind: WriteKind::Edit, retry_after: 3 }.into();
        let text = serde_json::to_string(&answer).unwrap();
        let back: Answer<()> = serde_json::from_str(&text).unwrap();
        let error = back.into_result().unwrap_err();
        assert_eq!(error, ApiError::TooManyRequests { message: WriteKind::Edit.refusal(), retry_after: 3 });
        assert_eq!(ApiError::from(Denied::RoomGone), ApiError::NotFound("room not found"));
    }
}
