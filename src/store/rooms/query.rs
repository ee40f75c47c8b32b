//! A room as one request sees it (`Room`), read with the caller's and the target's standing in
//! the same batch as a guarded write (`RoomQuery`), and what that write did (`Written`).

use serde::de::{DeserializeOwned, IgnoredAny};
use serde::Deserialize;
use worker::wasm_bindgen::JsValue;
use worker::D1PreparedStatement;

use super::super::limits::{Counted, Limited};
use super::super::outbox::{self, Row};
use super::super::{optional_text, sql, text, Batch, Caller, Db, Results, Rows};
use crate::domain::{
    dm_people, Action, BannedBy, Refusal, Role, RoomId, RoomKind, RoomView, Situation, Standing, UserId,
};
use crate::error::ApiError;

/// A room as one request sees it.
#[derive(Debug, Clone)]
pub struct Room {
    pub open: bool,
    pub name: String,
    pub user_count: i64,
    pub admin_count: i64,
    pub ban_count: i64,
    pub owner: UserId,
    pub kind: RoomKind,
    pub people: Option<[UserId; 2]>,
    pub situation: Situation,
}

impl Room {
    /// The room as every answer shows it.
    pub fn view(&self) -> RoomView {
        RoomView {
            open: self.open,
            name: self.name.clone(),
            user_count: self.user_count,
            owner: self.owner,
            kind: self.kind,
            people: self.people,
        }
    }
}

/// The room, if it is there and the caller may do `action` in it; else why not (a room the
/// caller may not see is not there).
pub fn permitted(room: Option<Room>, action: Action) -> Result<Room, ApiError> {
    let room = room.ok_or(Refusal::RoomNotFound)?;
    room.situation.check(action)?;
    Ok(room)
}

/// A guarded write, done: holds the room as it stood just before the write's statements ran,
/// in the same transaction, and whether the caller's ceiling held the write back. The SQL
/// guards apply the rules of `Situation::check` and of the ceilings (tests/room_rules.rs
/// proves them equal), so these explain what the guards did. It holds the room's events that
/// are still to reach its object too: the write's own, and any a failed call left queued.
#[must_use]
pub struct Written {
    pub(super) room: Option<Room>,
    pub(super) limited: Limited,
    pub(super) events: Vec<Row>,
}

impl Written {
    /// The room's events still to hand to its object.
    pub fn events(&self) -> &[Row] {
        &self.events
    }

    /// The room as it was, if the write went ahead; else why it did not: the room's rules
    /// first, so that a room the caller may not see stays unseen.
    pub fn explain(self, action: Action) -> Result<Room, ApiError> {
        let room = permitted(self.room, action)?;
        self.limited.explain()?;
        Ok(room)
    }
}

#[derive(Deserialize)]
pub(super) struct RoomRow {
    open: i64,
    name: String,
    user_count: i64,
    admin_count: i64,
    ban_count: i64,
    owner: UserId,
    caller_present: Option<i64>,
    caller_admin: Option<i64>,
    caller_ban: Option<i64>,
    caller_invited: i64,
    target_present: Option<i64>,
    target_admin: Option<i64>,
    target_ban: Option<i64>,
    target_invited: i64,
    target_exists: i64,
    target_blocked_caller: i64,
    kind: String,
    people: Option<String>,
    caller_muted: i64,
}

/// The room-scoped query: which room, who is asking (`?1`, `?2` of every room statement) and
/// about whom (`?3`); a statement's own parameters follow from `?4`. A caller's key guards
/// every batch of the query (`Batch::of_caller`).
#[derive(Clone, Copy)]
pub struct RoomQuery<'a> {
    pub room_id: &'a RoomId,
    pub caller: Option<&'a Caller>,
    pub target: Option<&'a UserId>,
}

impl<'a> RoomQuery<'a> {
    pub fn about(self, target: &'a UserId) -> Self {
        Self { target: Some(target), ..self }
    }

    pub(super) fn caller_id(&self) -> Option<&'a UserId> {
        self.caller.map(|caller| &caller.user_id)
    }

    /// A batch of this query: it starts with the caller's key guard, if there is a caller.
    pub(super) fn batch<'db>(&self, db: &'db Db) -> Result<Batch<'db>, ApiError> {
        Batch::of_caller(db, self.caller)
    }

    /// A statement over the query's parameters and then `extra`, binding as many as it uses.
    pub(super) fn statement(&self, db: &Db, sql: &str, extra: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        let caller = self.caller_id().map(UserId::to_string);
        let target = self.target.map(UserId::to_string);
        let mut args =
            vec![text(&self.room_id.to_string()), optional_text(caller.as_deref()), optional_text(target.as_deref())];
        args.extend_from_slice(extra);
        db.prepare_leading(sql, &args)
    }

    /// Reads the room, with the caller's and the target's standing in it, within `batch`.
    pub(super) fn read_room(&self, db: &Db, batch: &mut Batch<'_>) -> Result<Rows<RoomRow>, ApiError> {
        Ok(batch.read(self.statement(db, sql::ROOM, &[])?))
    }

    /// The room that `read_room` read, if it exists.
    pub(super) fn room(&self, results: &Results, rows: &Rows<RoomRow>) -> Result<Option<Room>, ApiError> {
        Ok(results.first(rows)?.map(|row| self.room_of(row)))
    }

    fn room_of(&self, row: RoomRow) -> Room {
        let kind = RoomKind::stored(&row.kind);
        // A DM has no owner or admins: its starter is one of its two people.
        let powers = kind == RoomKind::Room;
        let is_owner = |user: &UserId| powers && *user == row.owner;
        let standing =
            |user: Option<&UserId>, present: Option<i64>, admin: Option<i64>, ban: Option<i64>, invited: i64| {
                Standing {
                    role: Role::from_membership(
                        present.map(|present| present != 0),
                        powers && admin.unwrap_or(0) != 0,
                        user.is_some_and(is_owner),
                    ),
                    banned: ban.map(|by_owner| if by_owner != 0 { BannedBy::Owner } else { BannedBy::Admin }),
                    invited: invited != 0,
                }
            };
        let situation = Situation {
            open: row.open != 0,
            caller: standing(
                self.caller_id(),
                row.caller_present,
                row.caller_admin,
                row.caller_ban,
                row.caller_invited,
            ),
            target: match self.target {
                Some(target) => {
                    standing(Some(target), row.target_present, row.target_admin, row.target_ban, row.target_invited)
                }
                None => Standing::STRANGER,
            },
            target_exists: row.target_exists != 0,
            caller_is_target: self.caller.is_some() && self.caller_id() == self.target,
            target_blocked_caller: row.target_blocked_caller != 0,
            kind,
            caller_muted: row.caller_muted != 0,
        };
        Room {
            open: row.open != 0,
            name: row.name,
            user_count: row.user_count,
            admin_count: row.admin_count,
            ban_count: row.ban_count,
            owner: row.owner,
            kind,
            people: dm_people(row.people.as_deref()),
            situation,
        }
    }

    /// Reads the room, then runs the guarded statements `writes`, in one transaction.
    pub(super) async fn guarded_write(&self, db: &Db, writes: &[(&str, &[JsValue])]) -> Result<Written, ApiError> {
        Ok(self.guarded_write_reading::<IgnoredAny>(db, None, writes).await?.0)
    }

    /// As `guarded_write`, with the rows of the statement `before` (if any), run before the
    /// writes in the same transaction.
    pub(super) async fn guarded_write_reading<T: DeserializeOwned>(
        &self,
        db: &Db,
        before: Option<&str>,
        writes: &[(&str, &[JsValue])],
    ) -> Result<(Written, Vec<T>), ApiError> {
        let mut batch = self.batch(db)?;
        let room = self.read_room(db, &mut batch)?;
        let read = match before {
            Some(sql) => Some(batch.read::<T>(self.statement(db, sql, &[])?)),
            None => None,
        };
        for (sql, extra) in writes {
            batch.write(self.statement(db, sql, extra)?);
        }
        let events = outbox::read_room(db, &mut batch, &self.room_id.to_string())?;
        let results = batch.run().await?;
        let rows = match read {
            Some(read) => results.rows(&read)?,
            None => Vec::new(),
        };
        let written =
            Written { room: self.room(&results, &room)?, limited: Limited::NOT, events: results.rows(&events)? };
        Ok((written, rows))
    }

    /// Reads the room and the caller's counter, then runs the guarded statement `sql`, the
    /// statement that queues its event and the one that counts it, all with `extra`, in one
    /// transaction.
    pub(super) async fn counted_write(
        &self,
        db: &Db,
        (sql, queue): (&str, &str),
        extra: &[JsValue],
        counted: &Counted,
    ) -> Result<Written, ApiError> {
        let mut batch = self.batch(db)?;
        let room = self.read_room(db, &mut batch)?;
        let counter = counted.read(db, &mut batch)?;
        batch.write(self.statement(db, sql, extra)?);
        batch.write(self.statement(db, queue, extra)?);
        if let Some(count) = counted.count_sql() {
            batch.write(self.statement(db, count, extra)?);
        }
        let events = outbox::read_room(db, &mut batch, &self.room_id.to_string())?;
        let results = batch.run().await?;
        Ok(Written {
            room: self.room(&results, &room)?,
            limited: counted.verdict(&results, counter.as_ref())?,
            events: results.rows(&events)?,
        })
    }
}
