//! The room's rules, whatever the platform: what each call of the worker does (a post, an edit,
//! a deletion, a page of history, a ticket, the changes D1 committed), and who is here; what a
//! socket's opening and frames do are `opening.rs` and `incoming.rs`. The object (`object.rs`)
//! only hands them its calls, frames, closes and alarms; the sockets are `sockets.rs`'s, the
//! storage `history/`'s.

use std::cell::{Cell, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;

use worker::{Env, State, WebSocket};

use super::apply::{apply, Effect};
use super::fan::protocol::{Item, Whom};
use super::fan::Fans;
use super::frames::{Event, MessageView, Numbered, ServerFrame};
use super::history::{Author, Ceiling, Cursor, History, MessageRow, Reacted, ReadPosition};
use super::platform::atomically;
use super::protocol::{
    Answer, Applied, Changes, Deletion, Denied, Edit, HistoryPage, HistoryQuery, Post, React, Reactions, Reactors,
    ReactorsQuery, Read, Redeem, Redeemed, SearchQuery, Ticket,
};
use super::sockets::{self, Origin, Rates, Socket, Sockets};
use super::standing::Standing;
use crate::clock::now_millis;
use crate::config::{Config, RoomEventsFault, Settings};
use crate::domain::limits::WriteKind;
use crate::domain::{MessageId, ReactionKey, RoomId, UserId};
use crate::error::ApiError;
use crate::inbox::fanout;
use crate::inbox::protocol::Delivery;
use crate::log::RequestLog;
use crate::store::{rooms, Db};

/// How long presence changes gather before one `presence` frame tells them.
const PRESENCE_COALESCE_MILLIS: i64 = 200;

/// One room, as its object holds it while it lives.
pub struct Room {
    pub(super) state: State,
    pub(super) env: Env,
    /// The room's storage while the object lives: `Some(None)` once the room is deleted.
    history: RefCell<Option<Option<Rc<History>>>>,
    /// The last `presence` frame sent, while the object stays in memory.
    presence: RefCell<Option<Vec<UserId>>>,
    /// Who has a socket open, while that is known without looking at every socket: a new
    /// socket is told it from here, so that opening one costs the same in a room of 5 sockets
    /// or 5,000. Unknown (`None`) after a wake or once a user's socket closed, until the next
    /// look (`here`, or the alarm's).
    here: RefCell<Option<Vec<UserId>>>,
    /// Sockets still being sent their replay.
    pub(super) replaying: Rc<RefCell<Vec<WebSocket>>>,
    pub(super) rates: Rates,
    /// The settings, read once per object life.
    config: RefCell<Option<Rc<Config>>>,
    /// `FAULT_ROOM_EVENTS=fail_first|fail_midway` (tests): whether this object failed its first
    /// delivery.
    failed_once: RefCell<bool>,
    /// A flush of the members' counts is under way (`flush.rs`), and another was asked for.
    pub(super) flushing: Cell<bool>,
    pub(super) flush_again: Cell<bool>,
    /// The latest message the members' inboxes last heard of (in memory: after an eviction,
    /// the next flush tells them again, which is harmless).
    pub(super) pushed_seq: Cell<i64>,
    /// When the last flush started (in memory: after an eviction, long quiet, the next flush
    /// may come at once).
    pub(super) flushed_at: Cell<Option<i64>>,
    /// The room's fan-out objects, past `ROOM_SOCKETS_PER_OBJECT` sockets (`fan`).
    pub(super) fans: Fans,
}

impl Room {
    pub fn new(state: State, env: Env) -> Self {
        Self {
            state,
            env,
            history: RefCell::new(None),
            presence: RefCell::new(None),
            here: RefCell::new(None),
            replaying: Rc::default(),
            rates: Rates::default(),
            config: RefCell::new(None),
            failed_once: RefCell::new(false),
            flushing: Cell::new(false),
            flush_again: Cell::new(false),
            pushed_seq: Cell::new(-1),
            flushed_at: Cell::new(None),
            fans: Fans::default(),
        }
    }

    pub fn sockets(&self) -> Sockets<'_> {
        Sockets::new(&self.state, &self.replaying)
    }

    /// The room's storage, made on first use; `None` once the room is deleted.
    pub fn stored(&self) -> Result<Option<Rc<History>>, ApiError> {
        if let Some(history) = self.history.borrow().as_ref() {
            return Ok(history.clone());
        }
        let history = History::open(self.state.storage().sql())?.map(Rc::new);
        *self.history.borrow_mut() = Some(history.clone());
        Ok(history)
    }

    /// The room's storage, for a call that needs the room to be there.
    pub fn history(&self) -> Result<Rc<History>, ApiError> {
        self.stored()?.ok_or(ApiError::from(Denied::RoomGone))
    }

    pub(super) fn config(&self) -> Option<Rc<Config>> {
        if let Some(config) = self.config.borrow().as_ref() {
            return Some(config.clone());
        }
        let config = Settings::of(&self.env).config.ok()?;
        *self.config.borrow_mut() = Some(config.clone());
        Some(config)
    }

    /// A user's socket closed, or may have: who is here is unknown until the next look, and an
    /// alarm soon tells everyone once the changes settle.
    pub async fn presence_changed(&self) {
        *self.here.borrow_mut() = None;
        self.presence_soon().await;
    }

    /// A socket closed: who is here changed if it was a user's (a viewer without a key is not
    /// listed, and the room need not look at its other sockets then).
    pub async fn left(&self, ws: &WebSocket) {
        self.fans.closed_here();
        if Socket::of(ws).user_id.is_some() {
            self.presence_changed().await;
        }
    }

    /// A socket of `user_id` (`None`: a viewer without a key, whom presence does not list)
    /// opened: what is known of who is here gains them. Whether everyone is to be told (they
    /// were not in the last `presence` frame): then `presence_soon`.
    pub fn joined(&self, user_id: Option<&UserId>) -> bool {
        let Some(user_id) = user_id else { return false };
        if let Some(here) = self.here.borrow_mut().as_mut() {
            if let Err(at) = here.binary_search(user_id) {
                here.insert(at, *user_id);
            }
        }
        self.presence.borrow().as_ref().is_none_or(|told| told.binary_search(user_id).is_err())
    }

    /// An alarm soon, to tell who is here once the changes settle.
    pub async fn presence_soon(&self) {
        self.wake_by(now_millis() + PRESENCE_COALESCE_MILLIS).await;
    }

    /// Who has a socket open (user ids, sorted): what is known, else a look at every socket.
    pub fn here(&self) -> Vec<UserId> {
        if let Some(here) = self.here.borrow().as_ref() {
            return here.clone();
        }
        let here = self.present_users();
        *self.here.borrow_mut() = Some(here.clone());
        here
    }

    /// Who has a socket open, in this object or a fan-out object: a look at every socket here.
    pub(crate) fn present_users(&self) -> Vec<UserId> {
        let mut users = self.sockets().present_users();
        if self.has_fans() {
            match self.users_of_fans() {
                Ok(theirs) => users.extend(theirs),
                Err(error) => worker::console_error!("room fans: {}", error.detail()),
            }
            users.sort_unstable();
            users.dedup();
        }
        users
    }

    /// Sends every socket, in this object and in the fan-out objects, the event.
    pub(super) fn broadcast_event(&self, event: &Event, seq: i64, message: Option<&MessageView>) {
        let text = ServerFrame::Event(Numbered::new(event, seq, message)).text();
        self.sockets().broadcast_text(&text, &[]);
        self.hand_event(seq, text, Vec::new());
    }

    /// Sends every socket a frame without a seq, but the one it answers (`but`).
    pub(super) fn broadcast_frame(&self, frame: &ServerFrame<'_>, but: Option<&Origin>) {
        let text = frame.text();
        self.sockets().broadcast_text(&text, but.and_then(Origin::here).map(std::slice::from_ref).unwrap_or_default());
        if self.has_fans() {
            self.hand_fans(Item::Frame { text, whom: Whom::All, but: but.and_then(Origin::id) });
        }
    }

    /// Closes the sockets of `whom` in the fan-out objects.
    fn close_in_fans(&self, whom: Whom, standing: Standing) {
        if let Standing::Out { code, reason } = standing {
            if self.has_fans() {
                self.hand_fans(Item::Close { whom, code, reason: reason.to_owned() });
            }
        }
    }

    /// Tells D1 the members' counts if that is due, tells who is here if that changed, closes
    /// sockets whose key expired, and wakes again at the next expiry or flush.
    pub async fn on_alarm(&self) -> Result<(), ApiError> {
        self.resume_fans();
        let Some(history) = self.stored()? else { return Ok(()) };
        let now = now_millis();
        if history.flush_due()?.is_some_and(|due| due <= now) {
            self.flush().await;
        }
        let sockets = self.sockets();
        let next_expiry = sockets.close_expired(now);
        self.fans.counted_here(sockets.all().len());
        let users = self.present_users();
        *self.here.borrow_mut() = Some(users.clone());
        if self.presence.borrow().as_ref() != Some(&users) {
            sockets.broadcast(&ServerFrame::Presence { users: &users });
            if self.has_fans() {
                self.hand_fans(Item::Presence { users: users.clone() });
            }
            *self.presence.borrow_mut() = Some(users);
        }
        let files_due = self.sweep_files(&history, now).await?;
        let flush_due = self.stored()?.map(|history| history.flush_due()).transpose()?.flatten();
        let next = [next_expiry, flush_due, files_due].into_iter().flatten().min();
        if let Some(next) = next {
            self.wake_by(next).await;
        }
        Ok(())
    }

    /// Refused if the room's events say `user_id` left since the worker found them present (a
    /// write that lost a race with their leaving, removal or ban); else what the room was told
    /// of them, in the same query: a write that says something (a post, an edit) is refused
    /// too if they may not post in this DM (`muted`).
    fn present_author(&self, history: &History, user_id: &UserId) -> Result<Author, Stop> {
        let author = history.author(user_id)?;
        if author.departed {
            return Err(Denied::Departed.into());
        }
        Ok(author)
    }

    /// Counts a write against its kind's ceiling, if it has one: refused with the seconds to
    /// wait past it.
    fn count(&self, history: &History, kind: WriteKind, user_id: &UserId, now: i64) -> Result<(), Stop> {
        let Some(limit) = self.config().and_then(|config| config.limits.of(kind)) else { return Ok(()) };
        match history.count_write(kind, user_id, now, &limit)? {
            Ceiling::Counted => Ok(()),
            Ceiling::Reached { retry_after } => Err(Denied::TooMany { kind, retry_after }.into()),
        }
    }

    /// Posts the message, unless its author left (or may not post in this DM), or is past
    /// their ceiling of posts.
    pub fn post(&self, post: &Post) -> Result<Answer<MessageView>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let now = now_millis();
            if self.present_author(&history, &post.user_id)?.muted {
                return Err(Denied::Muted.into());
            }
            let parent = post.reply_to.map(|id| found(&history, &id, replied_to)).transpose()?;
            let root = post.thread.map(|id| found(&history, &id, thread_root)).transpose()?;
            let files = history.attachable(&post.files, &post.user_id)??;
            self.count(&history, WriteKind::Post, &post.user_id, now)?;
            let placed = (&post.mentions, parent.as_ref(), root.as_ref(), files.as_slice());
            let (row, thread) = history.post(&post.message_id, &post.user_id, &post.text, placed, now)?;
            let message = row.view()?;
            self.broadcast_event(&Event::Message, message.seq(), Some(&message));
            if let Some((seq, event)) = thread {
                self.broadcast_event(&event, seq, None);
            }
            // One read position for the whole room, threads included: posting moves it.
            history.wrote(&post.user_id, message.seq())?;
            self.tell_first_message(&history, &post.text)?;
            Ok(message)
        })())
    }

    /// A DM's first message goes to D1, for the other person's requests: after the post, in
    /// the background; remembered as told once D1 has it, so that a failure is tried again
    /// with the next message (D1 keeps the first it got).
    fn tell_first_message(&self, history: &Rc<History>, text: &str) -> Result<(), ApiError> {
        let Some(room_id) = history.dm_untold()? else { return Ok(()) };
        let db = Db::open(&self.env, &RequestLog::default())?;
        let (history, text) = (history.clone(), text.to_owned());
        self.state.wait_until(async move {
            let told = match rooms::tell_first_message(&db, &room_id, &text).await {
                Ok(()) => history.first_message_told(),
                Err(error) => Err(error),
            };
            if let Err(error) = told {
                worker::console_error!("room object: a DM's first message, not told: {}", error.detail());
            }
        });
        Ok(())
    }

    /// A page of the messages whose current text holds the query, newest first.
    pub fn search(&self, query: &SearchQuery) -> Result<Answer<HistoryPage>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let before = match &query.before {
                Some(id) => Some(history.message(id)?.ok_or(Denied::NoSuchMessage)?.seq),
                None => None,
            };
            let found = history.search(&query.q, before, query.limit)?;
            let mut messages = found.messages.iter().map(MessageRow::view).collect::<Result<Vec<_>, _>>()?;
            history.fill_reactions(&mut messages, query.user_id.as_ref())?;
            let next = found
                .next
                .map(|id| MessageId::parse(&id).map_err(|_| ApiError::internal("room storage: a message id")))
                .transpose()?;
            Ok(HistoryPage { messages, next })
        })())
    }

    pub fn page(&self, query: &HistoryQuery) -> Result<Answer<HistoryPage>, ApiError> {
        answer((|| {
            let cursor = match (query.before, query.after) {
                (Some(before), _) => Cursor::Before(before),
                (None, Some(after)) => Cursor::After(after),
                (None, None) => Cursor::Latest,
            };
            let history = self.history()?;
            let thread = query.thread.map(|id| found(&history, &id, thread_root)).transpose()?.map(|root| root.seq);
            let page = history.page(cursor, query.limit, thread)?.ok_or(Denied::NoSuchMessage)?;
            let mut messages = page.messages.iter().map(MessageRow::view).collect::<Result<Vec<_>, _>>()?;
            history.fill_reactions(&mut messages, query.user_id.as_ref())?;
            let next = messages.last().filter(|_| page.more_before).map(MessageView::message_id);
            Ok(HistoryPage { messages, next })
        })())
    }

    /// The message, if it is there (else `NoSuchMessage`) and not deleted (else `if_deleted`),
    /// and its author may still write; and what the room was told of them.
    fn written(
        &self,
        history: &History,
        (user_id, message_id): (&UserId, &MessageId),
        if_deleted: Denied,
    ) -> Result<(MessageRow, Author), Stop> {
        let author = self.present_author(history, user_id)?;
        let message = found(history, message_id, |message| message.is_deleted().then_some(if_deleted))?;
        Ok((message, author))
    }

    pub fn edit(&self, edit: &Edit) -> Result<Answer<MessageView>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let (message, author) = self.written(&history, (&edit.user_id, &edit.message_id), Denied::NoSuchMessage)?;
            if !message.is_by(&edit.user_id) {
                return Err(Denied::NotTheAuthor.into());
            }
            if author.muted {
                return Err(Denied::Muted.into());
            }
            let now = now_millis();
            self.count(&history, WriteKind::Edit, &edit.user_id, now)?;
            let (seq, edited) = history.edit(&message, &edit.text, now)?;
            let mut edited = edited.view()?;
            history.fill_reactions([&mut edited], None)?;
            Ok(self.broadcast_message(&history, &Event::MessageEdited, seq, &edited, &edit.user_id)?)
        })())
    }

    /// Sends every socket the event with its message, whose reactions say `me` to each person
    /// who shares in them; the message as `user_id` sees it.
    fn broadcast_message(
        &self,
        history: &History,
        event: &Event,
        seq: i64,
        message: &MessageView,
        user_id: &UserId,
    ) -> Result<MessageView, ApiError> {
        let (own, by_user) = own_frames(history, event, seq, message)?;
        let text = ServerFrame::Event(Numbered::new(event, seq, Some(message))).text();
        self.sockets().broadcast_own(&text, &own);
        self.hand_event(seq, text, own);
        Ok(message.for_reactor(by_user.get(user_id).map_or(&[], Vec::as_slice)))
    }

    /// Adds or takes back a present member's reaction to a written message, within the ceilings
    /// (keys per message and per user, reactions per minute); the message's reactions then.
    pub fn react(&self, react: &React) -> Result<Answer<Reactions>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let target = (&react.user_id, &react.message_id);
            let (message, author) = self.written(&history, target, Denied::ReactToDeleted)?;
            if author.muted {
                return Err(Denied::Muted.into());
            }
            let now = now_millis();
            self.count(&history, WriteKind::Reaction, &react.user_id, now)?;
            match history.react(&message, (&react.key, &react.user_id, react.add), now)? {
                Reacted::Changed { seq, event } => self.broadcast_event(&event, seq, None),
                Reacted::Unchanged => {}
                Reacted::TooManyKeys => return Err(Denied::TooManyKeys.into()),
                Reacted::TooManyOfTheirs => return Err(Denied::TooManyOfYours.into()),
            }
            let mut view = message.view()?;
            history.fill_reactions([&mut view], Some(&react.user_id))?;
            let reactions = view.reactions_mut().map(std::mem::take).unwrap_or_default();
            Ok(Reactions { reactions })
        })())
    }

    /// Who reacted to a message with a key, a page of them in the order they did.
    pub fn reactors(&self, query: &ReactorsQuery) -> Result<Answer<Reactors>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let message = history.message(&query.message_id)?.ok_or(Denied::NoSuchMessage)?;
            let (users, user_count) = history.reactors(message.seq, &query.key, (query.limit, query.offset))?;
            Ok(Reactors { users, user_count })
        })())
    }

    pub fn delete(&self, deletion: &Deletion) -> Result<Answer<()>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let (message, _) =
                self.written(&history, (&deletion.user_id, &deletion.message_id), Denied::NoSuchMessage)?;
            if !deletion.moderator && !message.is_by(&deletion.user_id) {
                return Err(Denied::NotYours.into());
            }
            for (seq, event) in history.delete(&message, now_millis())? {
                self.broadcast_event(&event, seq, None);
            }
            // Its files leave R2, after the answer.
            self.purge_later();
            Ok(())
        })())
    }

    /// Moves a member's read position up to `seq`, or marks the room unread for them (`seq`
    /// none); their sockets but `from` (the one that read, if a socket did) are told where they
    /// read up to when it moved.
    pub fn read(&self, read: &Read, from: Option<&Origin>) -> Result<Answer<ReadPosition>, ApiError> {
        answer((|| {
            let history = self.history()?;
            let Some(seq) = read.seq else { return Ok(history.mark_unread(&read.user_id)?) };
            let (before, after) = history.read_up_to(&read.user_id, seq)?.ok_or(Denied::PastLatest)?;
            if after.read_seq > before.read_seq {
                let frame = ServerFrame::Read { seq: after.read_seq };
                let here = from.and_then(Origin::here);
                for ws in self.sockets().of_user(&read.user_id).iter().filter(|ws| Some(*ws) != here) {
                    sockets::send(ws, &frame);
                }
                if self.has_fans() {
                    let whom = Whom::User { user_id: read.user_id };
                    self.hand_fans(Item::Frame { text: frame.text(), whom, but: from.and_then(Origin::id) });
                }
            }
            Ok(after)
        })())
    }

    pub fn add_ticket(&self, ticket: &Ticket) -> Result<Answer<()>, ApiError> {
        answer((|| {
            let history = self.history()?;
            if history.told(Some(&ticket.key_hash), Some(&ticket.user_id))?.key_ended {
                return Err(Denied::KeyEnded.into());
            }
            let now = now_millis();
            history.add_ticket(ticket, now)?;
            Ok(())
        })())
    }

    /// Whose the ticket was; used up either way. An object that never held a room answers
    /// without making its storage.
    pub fn redeem(&self, redeem: &Redeem) -> Result<Answer<Redeemed>, ApiError> {
        answer((|| {
            let history = History::existing(self.state.storage().sql())?.ok_or(Denied::BadTicket)?;
            let (user_id, key_hash) =
                history.redeem_ticket(&redeem.ticket_hash, now_millis())?.ok_or(Denied::BadTicket)?;
            Ok(Redeemed { user_id, key_hash })
        })())
    }

    /// Applies the changes not applied yet, in one storage transaction with the outbox id it
    /// reached, then shows the sockets what they did.
    pub async fn apply(&self, changes: Changes) -> Result<Applied, ApiError> {
        let Some(history) = self.stored()? else {
            // A deleted room takes nothing more: all of it counts as applied.
            let applied = changes.events.iter().map(|event| event.id).max().unwrap_or(0);
            return Ok(Applied { applied });
        };
        let fault = self.config().and_then(|config| config.room_events_fault);
        let fails = matches!(fault, Some(RoomEventsFault::FailFirst | RoomEventsFault::FailMidway))
            && !self.failed_once.replace(true);
        if fails && fault == Some(RoomEventsFault::FailFirst) {
            return Err(ApiError::internal("FAULT_ROOM_EVENTS=fail_first: this object's first delivery fails"));
        }
        let now = now_millis();
        let room_id = history.room_id()?.and_then(|id| RoomId::parse(&id).ok());
        let outcome = atomically(&self.state, {
            let history = history.clone();
            move || {
                let applied = apply(&history, room_id, &changes.events, now)?;
                if fails {
                    return Err(ApiError::internal("FAULT_ROOM_EVENTS=fail_midway: failed after applying"));
                }
                Ok(applied)
            }
        });
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                // Rolled back: what the history keeps in memory (its latest seq) is read anew.
                *self.history.borrow_mut() = None;
                return Err(error);
            }
        };
        let applied = Applied { applied: outcome.applied };
        if self.show(&history, outcome.effects).await? {
            self.presence_changed().await;
        }
        Ok(applied)
    }

    /// Shows the sockets what applied changes did; whether any socket was closed.
    async fn show(&self, history: &History, effects: Vec<Effect>) -> Result<bool, ApiError> {
        let sockets = self.sockets();
        let mut closed = false;
        let mut told: Vec<Delivery> = Vec::new();
        let mut close_all = |all: Vec<WebSocket>, standing: Standing| {
            for ws in all {
                sockets::close(&ws, standing);
                closed = true;
            }
        };
        for effect in effects {
            match effect {
                Effect::Broadcast(seq, event) => self.broadcast_event(&event, seq, None),
                Effect::CloseKey(key_hash) => {
                    close_all(sockets.of_key(&key_hash), Standing::KEY_ENDED);
                    self.close_in_fans(Whom::Key { key_hash }, Standing::KEY_ENDED);
                }
                Effect::CloseUser { user_id, standing } => {
                    close_all(sockets.of_user(&user_id), standing);
                    self.close_in_fans(Whom::User { user_id }, standing);
                }
                Effect::Present(user_id) => {
                    sockets.mark_present(&user_id)?;
                    if self.has_fans() {
                        self.hand_fans(Item::Present { user_id });
                    }
                }
                Effect::Judge => {
                    if self.has_fans() {
                        self.hand_fans(Item::Judge);
                    }
                    for ws in sockets.all() {
                        let standing = self.standing_of(history, &Socket::of(&ws))?;
                        if matches!(standing, Standing::Out { .. }) {
                            close_all(vec![ws], standing);
                        }
                    }
                }
                Effect::Tell(user_id, frame) => told.push(Delivery { user_id, frames: vec![frame] }),
                Effect::Delete => {
                    close_all(sockets.all(), Standing::ROOM_DELETED);
                    self.close_in_fans(Whom::All, Standing::ROOM_DELETED);
                    // Its files leave R2 first: once its storage is gone, nothing says which.
                    if let Err(error) = self.delete_all_files(history).await {
                        worker::console_error!("room files: left in R2 by the room's deletion: {}", error.detail());
                    }
                    *self.history.borrow_mut() = Some(None);
                    let storage = self.state.storage();
                    storage.delete_alarm().await?;
                    storage.delete_all().await?;
                    History::bury(&storage.sql(), now_millis())?;
                    return Ok(false);
                }
            }
        }
        if !told.is_empty() {
            // In the background: the changes are applied, and an inbox that misses this hears
            // all at its next `hello`.
            let env = self.env.clone();
            let width = self.config().map_or(fanout::DEFAULT_WIDTH, |config| config.inbox_fanout);
            self.state.wait_until(async move {
                fanout::deliver_all(&env, told, width).await;
            });
        }
        Ok(closed)
    }

    fn standing_of(&self, history: &History, socket: &Socket) -> Result<Standing, ApiError> {
        let told = history.told(socket.key_hash.as_ref(), socket.user_id.as_ref())?;
        Ok(Standing::of(socket.keyed(), socket.present, told))
    }

    /// The socket's standing now, by its attachment and what the room was told.
    pub(super) fn standing(&self, socket: &Socket) -> Result<Standing, ApiError> {
        match self.stored()? {
            Some(history) => self.standing_of(&history, socket),
            None => Ok(Standing::ROOM_DELETED),
        }
    }
}

/// The message `id` of the room, unless it is none (`NoSuchMessage`) or `refused` says why not.
fn found(
    history: &History,
    id: &MessageId,
    refused: impl Fn(&MessageRow) -> Option<Denied>,
) -> Result<MessageRow, Stop> {
    let message = history.message(id)?.ok_or(Denied::NoSuchMessage)?;
    match refused(&message) {
        Some(denied) => Err(denied.into()),
        None => Ok(message),
    }
}

/// A reply is to a message that is not deleted.
fn replied_to(message: &MessageRow) -> Option<Denied> {
    message.is_deleted().then_some(Denied::ReplyToDeleted)
}

/// A thread's root is of the room's own line (a deleted one keeps its thread going).
fn thread_root(message: &MessageRow) -> Option<Denied> {
    message.thread.is_some().then_some(Denied::NotTopLevel)
}

/// Why a call is not done: the room refused it, or failed.
enum Stop {
    Denied(Denied),
    Failed(ApiError),
}

impl From<Denied> for Stop {
    fn from(denied: Denied) -> Self {
        Self::Denied(denied)
    }
}

impl From<ApiError> for Stop {
    fn from(error: ApiError) -> Self {
        Self::Failed(error)
    }
}

/// The answer to a call, from its outcome: done, refused, or our failure.
fn answer<T>(outcome: Result<T, Stop>) -> Result<Answer<T>, ApiError> {
    match outcome {
        Ok(done) => Ok(Answer::Done(done)),
        Err(Stop::Denied(denied)) => Ok(Answer::Denied(denied)),
        Err(Stop::Failed(error)) => Err(error),
    }
}

/// The event's frame as each who shares in its message's reactions sees it (their reactions say
/// `me`), and who reacted how; a message without reactions costs no lookup.
pub(super) fn own_frames(
    history: &History,
    event: &Event,
    seq: i64,
    message: &MessageView,
) -> Result<OwnFrames, ApiError> {
    let reacted = matches!(message, MessageView::Written { reactions, .. } if !reactions.is_empty());
    let by_user = if reacted { history.reactions_by_user(message.seq())? } else { BTreeMap::default() };
    let own = by_user
        .iter()
        .map(|(user_id, keys)| {
            let theirs = message.for_reactor(keys);
            (*user_id, ServerFrame::Event(Numbered::new(event, seq, Some(&theirs))).text())
        })
        .collect();
    Ok((own, by_user))
}

/// Frames of an event for the users who see their own version, and who reacted how.
pub(super) type OwnFrames = (Vec<(UserId, String)>, BTreeMap<UserId, Vec<ReactionKey>>);
