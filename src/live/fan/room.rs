//! The room's side of its fan-out objects: where a new socket goes, the line of items to each
//! fan-out object (one delivery under way, the items meanwhile gathered behind it), what they
//! tell the room of themselves, and what they ask of it.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::rc::Rc;
use std::time::Duration;

use worker::{Env, State};

use super::client::FanObject;
use super::protocol::{Closes, FanNumber, Held, Item, Mark, Numbered, Pull, Pulled};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::{RoomId, UserId};
use crate::error::ApiError;
use crate::live::frames::{Numbered as NumberedEvent, ServerFrame};
use crate::live::history::{FanRow, REPLAY_PAGE};
use crate::live::platform::{another_handle, wake_by};
use crate::live::protocol::{Answer, FanJudge, FanPull, FanReport};
use crate::live::room::{own_frames, Room};
use crate::live::sockets::Socket;
use crate::live::standing::Standing;

/// Items one delivery hands over at most.
const DELIVERY_ITEMS: usize = 500;

/// Deliveries one turn of a line makes before the room's alarm takes it on: every call counts
/// against the invocation that started the turn (1,000 subrequests on the Paid plan), and a
/// room of 100,000 watchers has 99 lines.
const DELIVERIES_PER_TURN: usize = 8;

/// Tries of one delivery before its items are given up (a fan-out object asks the room for
/// the events it missed; what else they said is lost, and logged).
const DELIVERY_TRIES: u32 = 5;

/// What the room's object knows of its fan-out objects while it lives.
pub struct Fans {
    /// This object's life: a fan-out object tells the lines of two lives apart by it.
    epoch: u32,
    /// The fan-out objects, as the storage keeps them, once read.
    known: RefCell<Option<Vec<Fan>>>,
    /// The line to each fan-out object.
    lines: Rc<RefCell<HashMap<FanNumber, Line>>>,
    /// The sockets the room's own object holds, while counted.
    own: Cell<Option<usize>>,
    room_id: Cell<Option<RoomId>>,
    /// Where this object life placed each user's sockets, until their fan-out object says
    /// (it reports having accepted every socket placed in it).
    homes: RefCell<HashMap<UserId, FanNumber>>,
}

struct Fan {
    row: FanRow,
    users: Vec<UserId>,
}

impl Fan {
    /// Its sockets, and those placed in it that it has not accepted yet.
    fn load(&self) -> u64 {
        u64::from(self.row.sockets) + self.row.placed.saturating_sub(self.row.accepted)
    }
}

#[derive(Default)]
struct Line {
    /// The number of the last item put in the line.
    n: u64,
    queue: Vec<Numbered>,
    delivering: bool,
}

impl Default for Fans {
    fn default() -> Self {
        let epoch = random_bytes::<4>().map(u32::from_le_bytes).unwrap_or(1);
        Self {
            epoch,
            known: RefCell::new(None),
            lines: Rc::default(),
            own: Cell::new(None),
            room_id: Cell::new(None),
            homes: RefCell::default(),
        }
    }
}

impl Fans {
    /// A socket opened in the room's own object.
    pub fn opened_here(&self) {
        if let Some(own) = self.own.get() {
            self.own.set(Some(own + 1));
        }
    }

    /// A socket of the room's own object closed.
    pub fn closed_here(&self) {
        if let Some(own) = self.own.get() {
            self.own.set(Some(own.saturating_sub(1)));
        }
    }

    /// The sockets the room's own object holds, as counted (`None`: count them).
    pub fn counted_here(&self, sockets: usize) {
        self.own.set(Some(sockets));
    }
}

impl Room {
    /// The room's fan-out objects: read from storage once an object life.
    fn known_fans(&self) -> Result<std::cell::RefMut<'_, Vec<Fan>>, ApiError> {
        if self.fans.known.borrow().is_none() {
            let rows = match self.stored()? {
                Some(history) => history.fans()?,
                None => Vec::new(),
            };
            let fans = rows
                .into_iter()
                .map(|row| {
                    let users = serde_json::from_str(&row.users).unwrap_or_default();
                    Fan { row, users }
                })
                .collect();
            *self.fans.known.borrow_mut() = Some(fans);
        }
        Ok(std::cell::RefMut::map(self.fans.known.borrow_mut(), |known| known.get_or_insert_with(Vec::new)))
    }

    /// Keeps the room's id the worker's call names, once an object life: a write, even one that
    /// changes nothing, holds the call's answer until the storage has it.
    pub fn know_room_id(&self, room_id: &RoomId) -> Result<(), ApiError> {
        if self.fans.room_id.get().is_some() {
            return Ok(());
        }
        if let Some(history) = self.stored()? {
            history.know_room_id(&room_id.to_string())?;
            self.fans.room_id.set(Some(*room_id));
        }
        Ok(())
    }

    fn room_id(&self) -> Result<RoomId, ApiError> {
        if let Some(room_id) = self.fans.room_id.get() {
            return Ok(room_id);
        }
        let room_id = self.history()?.room_id()?.unwrap_or_default();
        let room_id = RoomId::parse(&room_id).map_err(|_| ApiError::internal("room object: its room id is unknown"))?;
        self.fans.room_id.set(Some(room_id));
        Ok(room_id)
    }

    /// Where a new socket of `user_id` goes: `None` for the room's own object. A user's
    /// sockets stay together, in the object that holds their others (so that the limits on one
    /// user's sockets hold as in one object); others go to the room's own object while it holds
    /// fewer than `ROOM_SOCKETS_PER_OBJECT`, else to the first fan-out object with room, else
    /// to a new one. Counted as placed there.
    pub(crate) fn place(&self, user_id: Option<&UserId>) -> Result<Option<FanNumber>, ApiError> {
        let cap = self.config().map_or(1000, |config| config.sockets_per_object) as u64;
        let own = match self.fans.own.get() {
            Some(own) => own,
            None => {
                let own = self.sockets().all().len();
                self.fans.own.set(Some(own));
                own
            }
        };
        if (own as u64) < cap && !self.has_fans() {
            return Ok(None);
        }
        if user_id.is_some_and(|user_id| !self.sockets().of_user(user_id).is_empty()) {
            return Ok(None);
        }
        let mut fans = self.known_fans()?;
        let home = user_id.and_then(|user_id| {
            fans.iter().position(|fan| fan.users.binary_search(user_id).is_ok()).or_else(|| {
                let k = *self.fans.homes.borrow().get(user_id)?;
                fans.iter().position(|fan| fan.row.k == k)
            })
        });
        let loads: Vec<u64> = fans.iter().map(Fan::load).collect();
        let at = match choose(own as u64, cap, home, &loads) {
            Choice::Here => return Ok(None),
            Choice::Fan(at) => at,
            Choice::New => {
                let k = FanNumber::try_from(fans.len()).map_err(ApiError::internal)?;
                let row = FanRow { k, sockets: 0, accepted: 0, placed: 0, users: "[]".to_owned() };
                fans.push(Fan { row, users: Vec::new() });
                fans.len() - 1
            }
        };
        let fan = fans.get_mut(at).ok_or_else(|| ApiError::internal("room object: a fan-out object lost"))?;
        fan.row.placed += 1;
        self.history()?.save_fan(&fan.row)?;
        if let Some(user_id) = user_id {
            self.fans.homes.borrow_mut().insert(*user_id, fan.row.k);
        }
        Ok(Some(fan.row.k))
    }

    /// A fan-out object told the room of itself: who is here may have changed.
    pub async fn fan_report(&self, report: &FanReport) -> Result<Answer<()>, ApiError> {
        let history = self.history()?;
        let changed = {
            let mut fans = self.known_fans()?;
            let Some(fan) = fans.iter_mut().find(|fan| fan.row.k == report.fan) else { return Ok(Answer::Done(())) };
            fan.row.sockets = report.sockets;
            fan.row.accepted = report.accepted;
            let changed = fan.users != report.users;
            if changed {
                fan.users.clone_from(&report.users);
                fan.row.users = serde_json::to_string(&fan.users).map_err(ApiError::internal)?;
            }
            history.save_fan(&fan.row)?;
            // It accepted every socket placed in it: its users are where their sockets are.
            if fan.row.accepted >= fan.row.placed {
                self.fans.homes.borrow_mut().retain(|_, home| *home != report.fan);
            }
            changed
        };
        if changed {
            self.presence_changed().await;
        }
        Ok(Answer::Done(()))
    }

    /// The users with a socket in a fan-out object.
    pub(crate) fn users_of_fans(&self) -> Result<Vec<UserId>, ApiError> {
        Ok(self.known_fans()?.iter().flat_map(|fan| fan.users.iter().copied()).collect())
    }

    /// A page of the events after `after`, up to `through`, as `user_id` sees them; and who is here.
    pub fn fan_pull(&self, pull: &FanPull) -> Result<Answer<Pulled>, ApiError> {
        let history = self.history()?;
        let (mut events, _) = history.events_after(pull.after, REPLAY_PAGE)?;
        events.retain(|stored| stored.seq <= pull.through);
        history
            .fill_reactions(events.iter_mut().filter_map(|stored| stored.message.as_mut()), pull.user_id.as_ref())?;
        let last = events.last().map_or(pull.after, |stored| stored.seq);
        let events = events
            .iter()
            .map(|stored| {
                let text =
                    ServerFrame::Event(NumberedEvent::new(&stored.event, stored.seq, stored.message.as_ref())).text();
                let own = match (&stored.message, pull.user_id) {
                    (Some(message), None) => own_frames(&history, &stored.event, stored.seq, message)?.0,
                    _ => Vec::new(),
                };
                Ok(Pull { text, own })
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Answer::Done(Pulled { events, last, here: self.here() }))
    }

    /// How each kind of socket a fan-out object holds must close, if it must.
    pub fn fan_judge(&self, judge: &FanJudge) -> Result<Answer<Closes>, ApiError> {
        let closes = judge
            .held
            .iter()
            .map(|Held { user_id, key_hash, present }| {
                let socket =
                    Socket { user_id: *user_id, key_hash: key_hash.clone(), present: *present, ..Socket::default() };
                Ok(match self.standing(&socket)? {
                    Standing::Out { code, reason } => Some((code, reason.to_owned())),
                    _ => None,
                })
            })
            .collect::<Result<Vec<_>, ApiError>>()?;
        Ok(Answer::Done(closes))
    }

    /// Where the line to fan-out object `fan` stands: its last item.
    pub(crate) fn mark(&self, fan: FanNumber) -> Option<Mark> {
        let lines = self.fans.lines.borrow();
        lines.get(&fan).map(|line| Mark { epoch: self.fans.epoch, n: line.n })
    }

    /// Hands the item to every fan-out object that holds sockets, or is about to: each gets it
    /// after every item before it.
    pub(crate) fn hand_fans(&self, item: Item) {
        let active: Vec<FanNumber> = match self.known_fans() {
            Ok(fans) => fans.iter().filter(|fan| fan.load() > 0).map(|fan| fan.row.k).collect(),
            Err(error) => {
                worker::console_error!("room fans: {}", error.detail());
                return;
            }
        };
        if active.is_empty() {
            return;
        }
        let room_id = match self.room_id() {
            Ok(room_id) => room_id,
            Err(error) => {
                worker::console_error!("room fans: {}", error.detail());
                return;
            }
        };
        let mut lines = self.fans.lines.borrow_mut();
        for fan in active {
            let line = lines.entry(fan).or_default();
            line.n += 1;
            line.queue.push(Numbered { epoch: self.fans.epoch, n: line.n, item: item.clone() });
            if !line.delivering {
                line.delivering = true;
                self.state.wait_until(self.turn(room_id, fan));
            }
        }
    }

    /// A turn of the line to fan-out object `fan`.
    fn turn(&self, room_id: RoomId, fan: FanNumber) -> impl std::future::Future<Output = ()> + 'static {
        deliver(self.env.clone(), another_handle(&self.state), room_id, fan, self.fans.lines.clone())
    }

    /// The alarm: the lines whose turn ended with items left go on.
    pub(crate) fn resume_fans(&self) {
        let Some(room_id) = self.fans.room_id.get() else { return };
        let mut lines = self.fans.lines.borrow_mut();
        for (fan, line) in lines.iter_mut() {
            if !line.delivering && !line.queue.is_empty() {
                line.delivering = true;
                self.state.wait_until(self.turn(room_id, *fan));
            }
        }
    }

    /// Hands an event to the fan-out objects: its frame, and those of who see their own.
    pub(crate) fn hand_event(&self, seq: i64, text: String, own: Vec<(UserId, String)>) {
        if self.has_fans() {
            self.hand_fans(Item::Event { seq, text, own });
        }
    }

    /// Whether the room has fan-out objects (read once an object life).
    pub(crate) fn has_fans(&self) -> bool {
        self.known_fans().is_ok_and(|fans| !fans.is_empty())
    }
}

/// Where a new socket goes.
#[derive(Debug, PartialEq, Eq)]
enum Choice {
    /// The room's own object.
    Here,
    /// The fan-out object at this index.
    Fan(usize),
    /// A new fan-out object.
    New,
}

/// Where a socket goes whose user has none open here, given the sockets the room's own object
/// holds, the cap, the index of the fan-out object that holds the user's others, and each
/// fan-out object's load: home, else the room's own object while it has room, else the first
/// fan-out object with room, else a new one.
fn choose(own: u64, cap: u64, home: Option<usize>, loads: &[u64]) -> Choice {
    match home {
        Some(at) => Choice::Fan(at),
        None if own < cap => Choice::Here,
        None => loads.iter().position(|load| *load < cap).map_or(Choice::New, Choice::Fan),
    }
}

/// After items given up that closed sockets, the line gets a `Judge`: the fan-out object then
/// asks the room about every socket it holds. (Events given up are asked for by the fan-out
/// object itself, at the next one it gets.)
fn judge_next(lines: &RefCell<HashMap<FanNumber, Line>>, fan: FanNumber, lost: &[Numbered]) {
    let Some(epoch) = lost.first().map(|item| item.epoch) else { return };
    // Not after a `Judge` given up: an object that stays unreachable is not called forever.
    if !lost.iter().any(|item| matches!(item.item, Item::Close { .. })) {
        return;
    }
    let mut lines = lines.borrow_mut();
    let Some(line) = lines.get_mut(&fan) else { return };
    line.n += 1;
    line.queue.push(Numbered { epoch, n: line.n, item: Item::Judge });
}

/// Hands the line's items to the fan-out object, a delivery at a time, until none is left or
/// the turn has made its deliveries (then the room's alarm, a new invocation, goes on).
async fn deliver(
    env: Env,
    state: State,
    room_id: RoomId,
    fan: FanNumber,
    lines: Rc<RefCell<HashMap<FanNumber, Line>>>,
) {
    for made in 0.. {
        // The next items, or none: the turn ends (with items left, or not).
        let next: Result<Vec<Numbered>, bool> = {
            let mut lines = lines.borrow_mut();
            let Some(line) = lines.get_mut(&fan) else { return };
            if line.queue.is_empty() || made == DELIVERIES_PER_TURN {
                line.delivering = false;
                Err(!line.queue.is_empty())
            } else {
                let take = line.queue.len().min(DELIVERY_ITEMS);
                Ok(line.queue.drain(..take).collect())
            }
        };
        let items = match next {
            Ok(items) => items,
            Err(left) => {
                if left {
                    wake_by(&state, now_millis()).await;
                }
                return;
            }
        };
        let mut tries = 0;
        loop {
            let outcome = match FanObject::of(&env, &room_id, fan) {
                Ok(object) => object.deliver(room_id, fan, items.clone()).await,
                Err(error) => Err(error),
            };
            match outcome {
                Ok(()) => break,
                Err(error) => {
                    tries += 1;
                    if tries >= DELIVERY_TRIES {
                        worker::console_error!(
                            "room fans: {} items to fan {fan} given up: {}",
                            items.len(),
                            error.detail()
                        );
                        judge_next(&lines, fan, &items);
                        break;
                    }
                    worker::Delay::from(Duration::from_millis(50 << tries)).await;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rooms_own_object_fills_first_then_each_fan_out_object_in_turn() {
        assert_eq!(choose(999, 1000, None, &[]), Choice::Here);
        assert_eq!(choose(1000, 1000, None, &[]), Choice::New);
        assert_eq!(choose(1000, 1000, None, &[1000, 999]), Choice::Fan(1));
        assert_eq!(choose(1000, 1000, None, &[1000, 1000]), Choice::New);
        // A socket closed in the room's own object: its place is taken again first.
        assert_eq!(choose(999, 1000, None, &[10]), Choice::Here);
    }

    #[test]
    fn a_users_sockets_stay_together_even_in_a_full_object() {
        assert_eq!(choose(10, 1000, Some(1), &[5, 1000]), Choice::Fan(1));
    }
}
