//! A socket's opening: the worker authorized it; the room accepts it unless what it was told
//! since says otherwise, then sends `hello`, the replay (or `reset`), `ready` and who is here.
//! A long replay goes a page at a time, the room serving its other calls in between.

use std::rc::Rc;

use worker::{Response, WebSocket, WebSocketPair};

use super::fan::protocol::{Opening, Placement};
use super::frames::{Numbered, Reading, ServerFrame, You};
use super::history::{History, Resume, REPLAY_PAGE};
use super::platform::{another_handle, yield_now};
use super::protocol::{Answer, Connect, Denied};
use super::room::Room;
use super::sockets::{self, is_open, send, Socket, Sockets};
use super::standing::Standing;
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::UserId;
use crate::error::ApiError;

impl Room {
    /// Accepts the socket the worker authorized: the 101 answer, or why not, or the fan-out
    /// object that is to hold it (`fan`).
    pub async fn accept(&self, connect: Connect) -> Result<Result<Response, Answer<Placement>>, ApiError> {
        let history = self.history()?;
        let now = now_millis();
        let mut socket = Socket {
            user_id: connect.you.as_ref().map(|you| you.user_id),
            key_hash: connect.key_hash.clone(),
            expires_at: connect.expires_at,
            present: connect.you.as_ref().is_some_and(|you| you.present),
            opened_at: now,
            frames: 0,
            window_start: now,
            id: 0,
        };
        let mut told = history.told(socket.key_hash.as_ref(), socket.user_id.as_ref())?;
        // The room's openness, as the worker found it, until an event says: written once, not
        // on every opening (a write holds the answer until it is stored).
        if told.open.is_none() {
            history.set_open(connect.room.open, false)?;
            told.open = Some(connect.room.open);
        }
        match Standing::of(socket.keyed(), socket.present, told) {
            Standing::Out { .. } if told.key_ended => return Ok(Err(Denied::KeyEnded.into())),
            Standing::Out { .. } if told.banned => return Ok(Err(Denied::Banned.into())),
            Standing::Out { .. } => return Ok(Err(Denied::RoomGone.into())),
            Standing::Viewer => socket.present = false,
            Standing::Member => {}
        }
        let latest = history.latest_seq()?;
        let you = self.you(connect.you, socket.present, &history, &connect.blocked)?;
        let hello = ServerFrame::Hello { seq: latest, room: &connect.room, you: you.as_ref() };
        let resume = connect.after.map(|after| history.resume(after)).transpose()?;
        if let Some(fan) = self.place(socket.user_id.as_ref())? {
            let opening = match (resume, connect.after) {
                (Some(Resume::Replay), Some(after)) => Opening::Replay { after },
                (Some(_), _) => Opening::Reset,
                (None, _) => Opening::Fresh,
            };
            // 53 bits: an attachment crosses to JavaScript, whose numbers hold no more.
            socket.id = u64::from_le_bytes(random_bytes()?) >> 11;
            if self.joined(socket.user_id.as_ref()) {
                self.presence_soon().await;
            }
            return Ok(Err(Answer::Done(Placement { fan, socket, hello: hello.text(), seq: latest, opening })));
        }
        if let Some(user_id) = &socket.user_id {
            self.sockets().make_room_for(user_id);
        }
        let pair = WebSocketPair::new()?;
        let ws = pair.server;
        let tags = socket.tags();
        let tags: Vec<&str> = tags.iter().map(String::as_str).collect();
        self.state.accept_websocket_with_tags(&ws, &tags);
        ws.serialize_attachment(&socket)?;
        self.fans.opened_here();
        let newcomer = self.joined(socket.user_id.as_ref());
        send(&ws, &hello);
        match resume {
            None => ready(&ws, latest, &self.here()),
            Some(Resume::Reset) => {
                send(&ws, &ServerFrame::Reset { seq: latest });
                ready(&ws, latest, &self.here());
            }
            Some(Resume::Replay) => self.replay(ws, history, connect.after.unwrap_or(latest))?,
        }
        if newcomer {
            self.presence_soon().await;
        }
        Ok(Ok(Response::from_websocket(pair.client)?))
    }

    /// The socket's user as `hello` shows them: a present member with where they read.
    fn you(
        &self,
        you: Option<You>,
        present: bool,
        history: &History,
        blocked: &[UserId],
    ) -> Result<Option<You>, ApiError> {
        let Some(mut you) = you else { return Ok(None) };
        you.present = present;
        if present {
            let position = history.read_position(&you.user_id)?;
            you.reading = Some(Reading {
                read_seq: position.read_seq,
                unread: history.unread(&you.user_id, position.read_seq)?,
                mentions: history.mentioned(&you.user_id, position.read_seq, blocked)?,
                marked_unread: position.marked_unread,
            });
        }
        Ok(Some(you))
    }

    /// Sends the events after `after`, `REPLAY_PAGE` at a time, letting the room's other calls
    /// in between pages; the socket gets no other frame until it caught up, then `ready`. Every
    /// event reaches it once, in order: a page and the check that it caught up run with no
    /// await between them.
    fn replay(&self, ws: WebSocket, history: Rc<History>, after: i64) -> Result<(), ApiError> {
        let latest = history.latest_seq()?;
        if latest - after <= REPLAY_PAGE {
            // Small enough to send at once.
            send_page(&ws, &history, after)?;
            ready(&ws, latest, &self.here());
            return Ok(());
        }
        self.replaying.borrow_mut().push(ws.clone());
        // Those in the fan-out objects, as the replay begins.
        let theirs = if self.has_fans() { self.users_of_fans()? } else { Vec::new() };
        let replaying = self.replaying.clone();
        let state = another_handle(&self.state);
        self.state.wait_until(async move {
            let mut cursor = after;
            loop {
                let caught_up = send_page(&ws, &history, cursor).and_then(|last| {
                    cursor = last;
                    Ok(cursor >= history.latest_seq()?)
                });
                match caught_up {
                    Ok(false) if is_open(&ws) => yield_now().await,
                    outcome => {
                        if let Err(error) = outcome {
                            worker::console_error!("room replay: {}", error.detail());
                            sockets::close(&ws, Standing::Out { code: 1011, reason: "replay failed" });
                        }
                        replaying.borrow_mut().retain(|other| *other != ws);
                        let mut here = Sockets::new(&state, &replaying).present_users();
                        here.extend(theirs);
                        here.sort_unstable();
                        here.dedup();
                        ready(&ws, cursor, &here);
                        return;
                    }
                }
            }
        });
        Ok(())
    }
}

/// A page of events after `after`, sent; the seq of the last.
fn send_page(ws: &WebSocket, history: &History, after: i64) -> Result<i64, ApiError> {
    let (mut events, last) = history.events_after(after, REPLAY_PAGE)?;
    history.fill_reactions(
        events.iter_mut().filter_map(|stored| stored.message.as_mut()),
        Socket::of(ws).user_id.as_ref(),
    )?;
    for stored in &events {
        let event = Numbered::new(&stored.event, stored.seq, stored.message.as_ref());
        send(ws, &ServerFrame::Event(event));
    }
    Ok(last)
}

/// `ready` and who is here: the socket then gets every event as it happens.
fn ready(ws: &WebSocket, latest: i64, here: &[UserId]) {
    send(ws, &ServerFrame::Ready { seq: latest });
    send(ws, &ServerFrame::Presence { users: here });
}
