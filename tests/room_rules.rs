//! The room rules are written twice: in Rust (`domain::Situation::check`), which the handlers
//! use to explain an outcome, and as the SQL guards of the writes (`store::sql`), which decide
//! it inside the write's transaction. This table test proves the two equal, natively, for every
//! room kind, caller, target and action that has a guarded write. The writes that count against
//! their author's ceiling (posts, renames, invitations) are tried with the caller's
//! counter absent, full, and full but from a window that has just passed: the verdict is then
//! `check` and the ceiling's own `WriteLimit::check` on the counter as `WRITE_COUNT` reads it,
//! and an allowed write must be counted, exactly once.
//!
//! Each case builds a fresh database from the migrations, seeds it, then runs what the store
//! runs for the action: the `ROOM` read, then the action's statements in the store's order with
//! the store's parameters, in one transaction. `check` is asked about the situation read by that
//! `ROOM` statement, as the handlers do, and the case holds when:
//! - refused: the database is unchanged, every row of every table (counters, positions and
//!   times included);
//! - allowed: the rooms, memberships, bans (and who placed them), messages, name pieces and write
//!   counters are exactly the intended ones (the target now present, banned, admin...; nobody
//!   else and no other room touched);
//!   and where they already were (adding a present member, banning a banned user, demoting a
//!   plain member, a PATCH that changes nothing...), the database is unchanged too.
//!
//! "Changed rows" is not counted with `changes()`: SQLite counts a row an UPDATE matched even
//! when it writes the same values back (DEMOTE matches a former member's row, whose admin flag
//! is already 0), so only the tables' contents tell a write from a no-op.
//!
//! Reads have no guard in SQL (none uses the caller, `?2`): whether a closed room and its lists
//! may be seen is `check(View)` / `check(ListBans)` alone, on the `ROOM` row read in the same
//! batch. `room_reads_leave_visibility_to_check` pins that, so a guard added to a read comes
//! here too.
//!
//! Only states the service can reach are seeded: the owner is a present admin, and a banned
//! user is not present (a ban removes them; nobody banned gets back in).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic, clippy::indexing_slicing)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use chatrooms::domain::limits::{Counter, WriteKind, WriteLimit};
use chatrooms::domain::{search_form, search_grams, Action, BannedBy, Role, RoomKind, Situation, Standing};
use chatrooms::store::sql;
use std::sync::{Mutex, OnceLock};
use std::time::Duration;

use rusqlite::backup::Backup;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, Connection, OptionalExtension};
use serde_json::json;

/// The migrations' text, read once.
fn migrations() -> Vec<String> {
    let mut paths: Vec<_> = std::fs::read_dir(Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    paths.sort();
    paths.iter().map(|path| std::fs::read_to_string(path).unwrap()).collect()
}

/// A fresh database with the migrated schema: a copy of one migrated once, since running the
/// migrations costs far more than copying their few pages.
fn schema(migrations: &[String]) -> Connection {
    static MIGRATED: OnceLock<Mutex<Connection>> = OnceLock::new();
    let migrated = MIGRATED.get_or_init(|| {
        let db = Connection::open_in_memory().unwrap();
        for migration in migrations {
            db.execute_batch(migration).unwrap();
        }
        Mutex::new(db)
    });
    let mut db = Connection::open_in_memory().unwrap();
    Backup::new(&migrated.lock().unwrap(), &mut db).unwrap().run_to_completion(i32::MAX, Duration::ZERO, None).unwrap();
    db.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    db
}

fn id(n: u32) -> String {
    format!("00000000-0000-4000-8000-{n:012}")
}

const ROOM: u32 = 100;
/// A room with the same people in the same roles, which no write on `ROOM` may touch.
const OTHER_ROOM: u32 = 101;
const OWNER: u32 = 1;
const CALLER: u32 = 2;
const TARGET: u32 = 3;
/// A present plain member and a banned former member, who stay as they are.
const BYSTANDER: u32 = 4;
const BANNED_BYSTANDER: u32 = 5;
const NOW: i64 = 1_000_000;
const NAME: &str = "Lounge";
const NEW_NAME: &str = "Den of Σ";
/// The ceiling of every counted write, in the cases.
const LIMIT: WriteLimit = WriteLimit { max: 3, window_millis: 60_000 };

/// Someone's place in the room, as seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// No account (a key that outlived it, or a user id that never was).
    Ghost,
    Stranger,
    BannedStranger,
    Former,
    BannedFormer,
    /// A former member whom the owner banned.
    BannedByOwner,
    /// Never a member, invited by the owner.
    Invited,
    /// Never a member, and has blocked the caller (as a target; as a caller, a stranger).
    Blocker,
    Member,
    Admin,
    Owner,
}

const EVERYONE: [Who; 11] = [
    Who::Ghost,
    Who::Invited,
    Who::Blocker,
    Who::Stranger,
    Who::BannedStranger,
    Who::Former,
    Who::BannedFormer,
    Who::BannedByOwner,
    Who::Member,
    Who::Admin,
    Who::Owner,
];

impl Who {
    fn standing(self) -> Standing {
        let (role, banned) = match self {
            Who::Ghost | Who::Stranger | Who::Invited | Who::Blocker => (Role::Stranger, None),
            Who::BannedStranger => (Role::Stranger, Some(BannedBy::Admin)),
            Who::Former => (Role::Former, None),
            Who::BannedFormer => (Role::Former, Some(BannedBy::Admin)),
            Who::BannedByOwner => (Role::Former, Some(BannedBy::Owner)),
            Who::Member => (Role::Member, None),
            Who::Admin => (Role::Admin, None),
            Who::Owner => (Role::Owner, None),
        };
        Standing { role, banned, invited: self == Who::Invited }
    }

    fn exists(self) -> bool {
        self != Who::Ghost
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Open,
    Closed,
    /// A DM: its starter is `Who::Owner` (or `OWNER`), the other person `Who::Member` (accepted),
    /// `Who::Invited` (not yet), `Who::Former` (left after accepting), or else `BYSTANDER`,
    /// present. Anyone else is outside it.
    Dm,
    /// No such room (the other room exists, with everyone in it).
    Missing,
}

/// Who may be seeded in or around a DM.
const IN_A_DM: [Who; 6] = [Who::Ghost, Who::Stranger, Who::Invited, Who::Former, Who::Member, Who::Owner];

impl Who {
    /// The person of a DM who did not start it.
    fn is_dm_peer(self) -> bool {
        matches!(self, Who::Invited | Who::Former | Who::Member)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Target {
    /// The action is about no user (`?3` NULL).
    Nobody,
    /// The caller themself.
    Caller,
    Other(Who),
}

/// A PATCH: the new name (`Some(NAME)` renames to the same), the new openness.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Patch {
    name: Option<&'static str>,
    open: Option<bool>,
}

/// The caller's counter of the case's kind of write, as seeded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Count {
    None,
    /// At the ceiling, in a window that ends a millisecond after now.
    Full,
    /// At the ceiling, in a window that ended at now.
    Passed,
}

#[derive(Debug, Clone, Copy)]
struct Case {
    kind: Kind,
    caller: Who,
    target: Target,
    action: Action,
    patch: Patch,
    count: Count,
}

impl Case {
    /// The kind of write the case counts against the caller's ceiling, if any: the store's
    /// choice, made again.
    fn counted(&self) -> Option<WriteKind> {
        match self.action {
            Action::Invite if self.target != Target::Caller => Some(WriteKind::Invite),
            Action::Update | Action::Open if self.patch.name.is_some() => Some(WriteKind::Rename),
            _ => None,
        }
    }

    fn target_id(&self) -> Option<String> {
        match self.target {
            Target::Nobody => None,
            Target::Caller => Some(id(CALLER)),
            Target::Other(_) => Some(id(TARGET)),
        }
    }

    fn owner_id(&self) -> String {
        match (self.caller, self.target) {
            (Who::Owner, _) => id(CALLER),
            (_, Target::Other(Who::Owner)) => id(TARGET),
            _ => id(OWNER),
        }
    }

    /// In a DM: its other person, who did not start it, and how they stand in it.
    fn dm_peer(&self) -> (String, Who) {
        match (self.caller, self.target) {
            (who, _) if who.is_dm_peer() => (id(CALLER), who),
            (_, Target::Other(who)) if who.is_dm_peer() => (id(TARGET), who),
            _ => (id(BYSTANDER), Who::Member),
        }
    }

    /// The situation as the seed means it, to check the seed against what `ROOM` reads.
    fn situation(&self) -> Situation {
        let dm = self.kind == Kind::Dm;
        // A DM has no owner or admins: its starter is one of its two people.
        let standing = |who: Who| match who.standing() {
            Standing { role: Role::Owner | Role::Admin, banned, invited } if dm => {
                Standing { role: Role::Member, banned, invited }
            }
            standing => standing,
        };
        let (target, target_exists) = match self.target {
            Target::Nobody => (Standing::STRANGER, false),
            Target::Caller => (standing(self.caller), self.caller.exists()),
            Target::Other(who) => (standing(who), who.exists()),
        };
        // The starter is always in; the other person may have left (or be outside, as a caller).
        let caller_muted = dm
            && match self.caller {
                Who::Owner => self.dm_peer().1 == Who::Former,
                who => !who.is_dm_peer(),
            };
        Situation {
            open: self.kind == Kind::Open,
            caller: standing(self.caller),
            target,
            target_exists,
            caller_is_target: self.target == Target::Caller,
            target_blocked_caller: self.target == Target::Other(Who::Blocker) && self.caller.exists(),
            kind: if dm { RoomKind::Dm } else { RoomKind::Room },
            caller_muted,
        }
    }
}

/// The actions on a target user, each tried on every kind of target.
const ON_A_TARGET: [Action; 8] = [
    Action::Invite,
    Action::Withdraw,
    Action::Remove,
    Action::Ban,
    Action::Unban,
    Action::Promote,
    Action::Demote,
    Action::TransferOwnership,
];

/// Every case: each room kind, caller, target and action with a guarded write, and each state
/// of the caller's counter for a counted write.
fn cases() -> Vec<Case> {
    let same = Patch { name: None, open: None };
    let mut patches = Vec::new();
    for name in [None, Some(NAME), Some(NEW_NAME)] {
        for open in [None, Some(false), Some(true)] {
            patches.push(Patch { name, open });
        }
    }
    let mut cases = Vec::new();
    for kind in [Kind::Open, Kind::Closed, Kind::Dm, Kind::Missing] {
        let people: &[Who] = if kind == Kind::Dm { &IN_A_DM } else { &EVERYONE };
        for caller in people.iter().copied() {
            let mut targets = vec![Target::Caller];
            // There is one owner: an owner's target is someone else. A DM has two people.
            targets.extend(
                people
                    .iter()
                    .copied()
                    .filter(|who| !(caller == Who::Owner && *who == Who::Owner))
                    .filter(|who| !(kind == Kind::Dm && caller.is_dm_peer() && who.is_dm_peer()))
                    .map(Target::Other),
            );
            let case = |action, target, patch| Case { kind, caller, target, action, patch, count: Count::None };
            cases.push(case(Action::Join, Target::Caller, same));
            for action in ON_A_TARGET {
                cases.extend(targets.iter().map(|target| case(action, *target, same)));
            }
            for patch in &patches {
                // A PATCH that opens is an opening; any other, an update.
                let action = if patch.open == Some(true) { Action::Open } else { Action::Update };
                cases.push(case(action, Target::Nobody, *patch));
            }
            cases.push(case(Action::Delete, Target::Nobody, same));
        }
    }
    // A counter needs an account to belong to.
    let counted: Vec<Case> =
        cases.iter().filter(|case| case.counted().is_some() && case.caller.exists()).copied().collect();
    for count in [Count::Full, Count::Passed] {
        cases.extend(counted.iter().map(|case| Case { count, ..*case }));
    }
    cases
}

fn grams_json(name: &str) -> String {
    serde_json::to_string(&search_grams(&search_form(name))).unwrap()
}

fn text(value: &str) -> Value {
    Value::Text(value.to_owned())
}

/// Runs `statement` with `args` cut to the parameters it has, as the store binds them.
fn run(db: &Connection, statement: &str, args: &[Value]) -> usize {
    let args = &args[..sql::highest_parameter(statement).min(args.len())];
    db.execute(statement, params_from_iter(args)).unwrap_or_else(|error| panic!("{error}: {statement}"))
}

fn seed_room(db: &Connection, case: &Case, room: u32, name: &str, open: bool) {
    let (room, owner) = (id(room), case.owner_id());
    run(
        db,
        sql::INSERT_ROOM,
        &[
            text(&room),
            text(name),
            text(&search_form(name)),
            Value::from(open),
            text(&owner),
            0.into(),
            LIMIT.window_millis.into(),
            LIMIT.max.into(),
            LIMIT.max.into(),
        ],
    );
    run(db, sql::INSERT_ROOM_GRAMS, &[text(&room), text(&grams_json(name))]);
    run(db, sql::INSERT_OWNER, &[text(&room), text(&owner), 0.into()]);
    let mut people = vec![(BYSTANDER, Who::Member), (BANNED_BYSTANDER, Who::BannedFormer), (CALLER, case.caller)];
    if let Target::Other(who) = case.target {
        people.push((TARGET, who));
    }
    for (position, (user, who)) in (2_i64..).zip(people) {
        let membership = match who {
            Who::Ghost | Who::Stranger | Who::BannedStranger | Who::Owner | Who::Invited | Who::Blocker => None,
            Who::Former | Who::BannedFormer | Who::BannedByOwner => Some((0, 0)),
            Who::Member => Some((1, 0)),
            Who::Admin => Some((1, 1)),
        };
        if let Some((present, admin)) = membership {
            db.execute(
                "INSERT INTO members (room_id, user_id, joined_at, present, admin, position) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                (&room, id(user), position, present, admin, position),
            )
            .unwrap();
        }
        if who == Who::Invited {
            let invite = "INSERT INTO invites (room_id, user_id, by_id, at) VALUES (?1, ?2, ?3, ?4)";
            db.execute(invite, (&room, id(user), case.owner_id(), position)).unwrap();
        }
        if who.standing().banned.is_some() {
            let by_owner = who.standing().banned == Some(BannedBy::Owner);
            let ban = "INSERT INTO bans (room_id, user_id, banned_at, by_owner) VALUES (?1, ?2, ?3, ?4)";
            db.execute(ban, (&room, id(user), position, by_owner)).unwrap();
        }
    }
}

/// The DM `ROOM`, of its starter (`Case::owner_id`) and other person (`Case::dm_peer`), as the
/// service leaves it: the starter present, the other person as seeded, and the room's object
/// told whether each may post.
fn seed_dm(db: &Connection, case: &Case) {
    let (room, starter) = (id(ROOM), case.owner_id());
    let (peer, peer_is) = case.dm_peer();
    db.execute(
        "INSERT INTO rooms (room_id, name, name_search, open, owner_id, created_at, kind) VALUES (?1, '', '', 0, ?2, 0, 'dm')",
        (&room, &starter),
    )
    .unwrap();
    let (low, high) = if starter < peer { (&starter, &peer) } else { (&peer, &starter) };
    db.execute(
        "INSERT INTO dms (low_id, high_id, room_id, started_by, at) VALUES (?1, ?2, ?3, ?4, 0)",
        (low, high, &room, &starter),
    )
    .unwrap();
    let member =
        "INSERT INTO members (room_id, user_id, joined_at, present, admin, position) VALUES (?1, ?2, ?3, ?4, 0, ?3)";
    db.execute(member, (&room, &starter, 1, 1)).unwrap();
    match peer_is {
        Who::Member => db.execute(member, (&room, &peer, 2, 1)).unwrap(),
        Who::Former => db.execute(member, (&room, &peer, 2, 0)).unwrap(),
        _ => db
            .execute(
                "INSERT INTO invites (room_id, user_id, by_id, at, kind) VALUES (?1, ?2, ?3, 2, 'dm')",
                (&room, &peer, &starter),
            )
            .unwrap(),
    };
    run(db, sql::TELL_DM_VOICES, &[text(&room)]);
}

/// The number an id was made from, which failures show instead of the whole id.
fn number(id: &str) -> u32 {
    id.rsplit('-').next().unwrap().parse().unwrap()
}

fn seed(migrations: &[String], case: &Case) -> Connection {
    let db = schema(migrations);
    let mut users = vec![BYSTANDER, BANNED_BYSTANDER];
    if case.owner_id() == id(OWNER) {
        users.push(OWNER);
    }
    if case.caller.exists() {
        users.push(CALLER);
    }
    if matches!(case.target, Target::Other(who) if who.exists()) {
        users.push(TARGET);
    }
    for user in users {
        db.execute(sql::INSERT_USER, (id(user), format!("user {user}"), "not a hash", 0, None::<String>)).unwrap();
    }
    if case.target == Target::Other(Who::Blocker) && case.caller.exists() {
        db.execute("INSERT INTO blocks (user_id, blocked_id, at) VALUES (?1, ?2, 0)", (id(TARGET), id(CALLER)))
            .unwrap();
    }
    match case.kind {
        Kind::Open | Kind::Closed => seed_room(&db, case, ROOM, NAME, case.kind == Kind::Open),
        Kind::Dm => seed_dm(&db, case),
        Kind::Missing => {}
    }
    seed_room(&db, case, OTHER_ROOM, "Elsewhere", case.kind != Kind::Open);
    let window_start = match case.count {
        Count::None => None,
        Count::Full => Some(NOW - LIMIT.window_millis + 1),
        Count::Passed => Some(NOW - LIMIT.window_millis),
    };
    if let (Some(kind), Some(window_start)) = (case.counted(), window_start) {
        db.execute(
            "INSERT INTO write_counts (user_id, kind, window_start, count) VALUES (?1, ?2, ?3, ?4)",
            (id(CALLER), kind.name(), window_start, LIMIT.max),
        )
        .unwrap();
    }
    db
}

/// The caller's counter of `kind`, as the store reads it before a write.
fn read_counter(db: &Connection, kind: WriteKind) -> Option<Counter> {
    db.query_row(sql::WRITE_COUNT, (id(CALLER), kind.name()), |row| {
        Ok(Counter { count: row.get("count")?, window_start: row.get("window_start")? })
    })
    .optional()
    .unwrap()
}

/// The situation as `store::rooms` builds it from the `ROOM` row.
fn read_situation(db: &Connection, caller: &str, target: Option<&str>) -> Option<Situation> {
    let args = [text(&id(ROOM)), text(caller), target.map_or(Value::Null, text)];
    let mut statement = db.prepare(sql::ROOM).unwrap();
    statement
        .query_row(params_from_iter(&args[..sql::highest_parameter(sql::ROOM)]), |row| {
            let owner: String = row.get("owner")?;
            let kind = RoomKind::stored(&row.get::<_, String>("kind")?);
            let powers = kind == RoomKind::Room;
            let standing =
                |user: &str, present: Option<i64>, admin: Option<i64>, ban: Option<i64>, invited: i64| Standing {
                    role: Role::from_membership(
                        present.map(|present| present != 0),
                        powers && admin.unwrap_or(0) != 0,
                        powers && user == owner,
                    ),
                    banned: ban.map(|by_owner| if by_owner != 0 { BannedBy::Owner } else { BannedBy::Admin }),
                    invited: invited != 0,
                };
            let situation = Situation {
                open: row.get::<_, i64>("open")? != 0,
                caller: standing(
                    caller,
                    row.get("caller_present")?,
                    row.get("caller_admin")?,
                    row.get("caller_ban")?,
                    row.get("caller_invited")?,
                ),
                target: match target {
                    Some(target) => standing(
                        target,
                        row.get("target_present")?,
                        row.get("target_admin")?,
                        row.get("target_ban")?,
                        row.get("target_invited")?,
                    ),
                    None => Standing::STRANGER,
                },
                target_exists: row.get::<_, i64>("target_exists")? != 0,
                caller_is_target: target == Some(caller),
                target_blocked_caller: row.get::<_, i64>("target_blocked_caller")? != 0,
                kind,
                caller_muted: row.get::<_, i64>("caller_muted")? != 0,
            };
            Ok(situation)
        })
        .optional()
        .unwrap()
}

/// The action's writes, in the store's order, with their own parameters (`?4`...), every
/// ceiling at `LIMIT`.
fn writes(case: &Case) -> Vec<(&'static str, Vec<Value>)> {
    let guard = || [Value::from(NOW), LIMIT.window_millis.into(), LIMIT.max.into()];
    let join = vec![
        (sql::ADD_MEMBER, vec![NOW.into()]),
        (sql::QUEUE_MEMBER_JOINED, vec![]),
        (sql::TAKE_UP_INVITE, vec![]),
        (sql::QUEUE_DM_VOICES, vec![]),
        (sql::TELL_DM_VOICES, vec![]),
    ];
    match case.action {
        // `POST …/members` with one's own id is a join.
        Action::Join => join,
        Action::Invite if case.target == Target::Caller => join,
        Action::Invite => vec![
            (sql::INVITE, guard().to_vec()),
            (sql::QUEUE_MEMBER_INVITED, vec![]),
            (sql::COUNT_INVITE, guard().to_vec()),
        ],
        Action::Withdraw => vec![
            (sql::WITHDRAW_INVITE, vec![]),
            (sql::QUEUE_INVITE_WITHDRAWN, vec![]),
            (sql::QUEUE_DM_VOICES, vec![]),
            (sql::TELL_DM_VOICES, vec![]),
        ],
        Action::Remove => vec![
            (sql::REMOVE_MEMBER, vec![]),
            (sql::QUEUE_MEMBER_LEFT, vec![]),
            (sql::DECLINE_DM, vec![]),
            (sql::QUEUE_INVITE_WITHDRAWN, vec![]),
            (sql::QUEUE_DM_VOICES, vec![]),
            (sql::TELL_DM_VOICES, vec![]),
        ],
        Action::Ban => vec![
            (sql::INSERT_BAN, vec![NOW.into()]),
            (sql::REMOVE_BANNED, vec![]),
            (sql::QUEUE_MEMBER_BANNED, vec![]),
            (sql::QUEUE_USER_BANNED, vec![NOW.into()]),
            (sql::DELETE_BANNED_INVITE, vec![]),
            (sql::QUEUE_INVITE_WITHDRAWN, vec![]),
        ],
        Action::Unban => vec![(sql::DELETE_BAN, vec![]), (sql::QUEUE_USER_UNBANNED, vec![])],
        Action::Promote => vec![(sql::PROMOTE, vec![]), (sql::QUEUE_ADMIN_ADDED, vec![])],
        Action::Demote => vec![(sql::DEMOTE, vec![]), (sql::QUEUE_ADMIN_REMOVED, vec![])],
        Action::TransferOwnership => vec![
            (sql::PROMOTE, vec![]),
            (sql::QUEUE_ADMIN_ADDED, vec![]),
            (sql::HAND_OVER, vec![]),
            (sql::QUEUE_OWNER_CHANGED, vec![]),
        ],
        Action::Update | Action::Open => {
            let Patch { name, open } = case.patch;
            let mut extra = vec![
                name.map_or(Value::Null, text),
                name.map_or(Value::Null, |name| text(&search_form(name))),
                open.map_or(Value::Null, Value::from),
                name.map_or(Value::Null, |name| text(&grams_json(name))),
            ];
            extra.extend(guard());
            let mut writes = vec![(sql::UPDATE_ROOM, extra.clone()), (sql::QUEUE_ROOM_UPDATED, extra.clone())];
            if name.is_some() {
                writes.push((sql::DELETE_RENAMED_GRAMS, extra.clone()));
                writes.push((sql::INSERT_RENAMED_GRAMS, extra.clone()));
                writes.push((sql::COUNT_RENAME, extra));
            }
            writes
        }
        Action::Delete => vec![(sql::DELETE_ROOM, vec![]), (sql::QUEUE_ROOM_DELETED, vec![])],
        Action::View | Action::Peek | Action::ListBans | Action::Post | Action::Read => {
            panic!("{:?} has no write", case.action)
        }
    }
}

/// What the rules are about, in every room: who is in, who is banned, who owns, what was said;
/// and how much each user wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
struct State {
    /// Room → (name, name_search, open, owner).
    rooms: BTreeMap<String, (String, String, bool, String)>,
    /// (room, user) → (present, admin).
    members: BTreeMap<(String, String), (bool, bool)>,
    /// (room, user) → whether the owner placed the ban.
    bans: BTreeMap<(String, String), bool>,
    /// (room, user) → who invited them.
    invites: BTreeMap<(String, String), String>,
    /// (room, gram).
    grams: BTreeSet<(String, String)>,
    /// (user, kind) → (count, window_start).
    counts: BTreeMap<(String, String), (i64, i64)>,
    /// The events queued for the rooms' objects, in order: (room, event).
    events: Vec<(String, serde_json::Value)>,
    /// (DM room, user) → whether its object was told the user may not post there.
    told_muted: BTreeMap<(String, String), bool>,
}

impl State {
    /// One line per fact, ids by their number.
    fn facts(&self) -> BTreeSet<String> {
        let rooms = self.rooms.iter().map(|(room, (name, search, open, owner))| {
            format!("room {}: {name:?} ({search:?}) open {open} owner {}", number(room), number(owner))
        });
        let members = self.members.iter().map(|((room, user), (present, admin))| {
            format!("room {} member {}: present {present} admin {admin}", number(room), number(user))
        });
        let bans = self
            .bans
            .iter()
            .map(|((room, user), by_owner)| format!("room {} ban {} by owner {by_owner}", number(room), number(user)));
        let grams = self.grams.iter().map(|(room, gram)| format!("room {} gram {gram:?}", number(room)));
        let invites = self
            .invites
            .iter()
            .map(|((room, user), by)| format!("room {} invites {} (by {})", number(room), number(user), number(by)));
        let counts = self
            .counts
            .iter()
            .map(|((user, kind), (count, start))| format!("user {} wrote {count} {kind} since {start}", number(user)));
        let events = self
            .events
            .iter()
            .enumerate()
            .map(|(at, (room, event))| format!("room {} event {at}: {event}", number(room)));
        let told = self
            .told_muted
            .iter()
            .map(|((room, user), muted)| format!("room {} told {} muted {muted}", number(room), number(user)));
        rooms.chain(members).chain(bans).chain(invites).chain(grams).chain(counts).chain(events).chain(told).collect()
    }

    /// What `self` has that `intended` has not (+), and what it lacks (-).
    fn difference(&self, intended: &Self) -> String {
        let (facts, intended) = (self.facts(), intended.facts());
        let extra = facts.difference(&intended).map(|fact| format!("+ {fact}"));
        let missing = intended.difference(&facts).map(|fact| format!("- {fact}"));
        extra.chain(missing).collect::<Vec<_>>().join("\n    ")
    }
}

fn rows<T>(db: &Connection, query: &str, row: impl FnMut(&rusqlite::Row) -> rusqlite::Result<T>) -> Vec<T> {
    let mut statement = db.prepare(query).unwrap();
    let rows = statement.query_map([], row).unwrap();
    rows.map(Result::unwrap).collect()
}

fn state(db: &Connection) -> State {
    State {
        rooms: rows(db, "SELECT room_id, name, name_search, open, owner_id FROM rooms", |row| {
            Ok((row.get(0)?, (row.get(1)?, row.get(2)?, row.get::<_, i64>(3)? != 0, row.get(4)?)))
        })
        .into_iter()
        .collect(),
        members: rows(db, "SELECT room_id, user_id, present, admin FROM members", |row| {
            Ok(((row.get(0)?, row.get(1)?), (row.get::<_, i64>(2)? != 0, row.get::<_, i64>(3)? != 0)))
        })
        .into_iter()
        .collect(),
        bans: rows(db, "SELECT room_id, user_id, by_owner FROM bans", |row| {
            Ok(((row.get(0)?, row.get(1)?), row.get::<_, i64>(2)? != 0))
        })
        .into_iter()
        .collect(),
        invites: rows(db, "SELECT room_id, user_id, by_id FROM invites", |row| {
            Ok(((row.get(0)?, row.get(1)?), row.get(2)?))
        })
        .into_iter()
        .collect(),
        grams: rows(db, "SELECT room_id, gram FROM room_grams", |row| Ok((row.get(0)?, row.get(1)?)))
            .into_iter()
            .collect(),
        counts: rows(db, "SELECT user_id, kind, count, window_start FROM write_counts", |row| {
            Ok(((row.get(0)?, row.get(1)?), (row.get(2)?, row.get(3)?)))
        })
        .into_iter()
        .collect(),
        events: rows(db, "SELECT room_id, event FROM room_outbox ORDER BY id", |row| {
            Ok((row.get(0)?, serde_json::from_str(&row.get::<_, String>(1)?).unwrap()))
        }),
        told_muted: rows(
            db,
            "SELECT room_id, low_id, low_muted FROM dms UNION ALL SELECT room_id, high_id, high_muted FROM dms",
            |row| Ok(((row.get(0)?, row.get(1)?), row.get::<_, i64>(2)? != 0)),
        )
        .into_iter()
        .collect(),
    }
}

/// Every row of every table, each table's rows sorted; but `sqlite_sequence`, where SQLite
/// notes the outbox's AUTOINCREMENT even for an insert that inserted nothing.
fn dump(db: &Connection) -> Vec<String> {
    let tables = rows(
        db,
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name <> 'sqlite_sequence' ORDER BY name",
        |row| row.get::<_, String>(0),
    );
    let mut lines = Vec::new();
    for table in tables {
        let mut statement = db.prepare(&format!("SELECT * FROM {table}")).unwrap();
        let width = statement.column_count();
        let rows = statement
            .query_map([], |row| {
                (0..width).map(|column| row.get::<_, Value>(column)).collect::<rusqlite::Result<Vec<_>>>()
            })
            .unwrap();
        let mut table_lines: Vec<String> = rows.map(|row| format!("{table}: {:?}", row.unwrap())).collect();
        table_lines.sort();
        lines.extend(table_lines);
    }
    lines
}

/// The rows `after` has that `before` had not (+), and those it lost (-).
fn changed_rows(before: &[String], after: &[String]) -> String {
    let (before, after): (BTreeSet<&String>, BTreeSet<&String>) = (before.iter().collect(), after.iter().collect());
    let added = after.difference(&before).map(|row| format!("+ {row}"));
    let lost = before.difference(&after).map(|row| format!("- {row}"));
    added.chain(lost).collect::<Vec<_>>().join("\n    ")
}

/// The state the action means to bring about in `ROOM`, from the state before it.
fn intended(case: &Case, before: &State) -> State {
    let mut state = before.clone();
    let room = id(ROOM);
    let key = (room.clone(), case.target_id().unwrap_or_default());
    let membership = before.members.get(&key).copied().unwrap_or_default();
    let mut events = Vec::new();
    let user_event = |kind: &str| json!({ "type": kind, "user_id": key.1 });
    let joining = case.action == Action::Join || (case.action == Action::Invite && case.target == Target::Caller);
    let invited = before.invites.contains_key(&key);
    match case.action {
        _ if joining && !membership.0 => events.push(user_event("member_joined")),
        Action::Invite if !joining && !invited => {
            events.push(json!({ "type": "member_invited", "user_id": key.1, "by": id(CALLER) }));
        }
        Action::Withdraw if invited => events.push(user_event("invite_withdrawn")),
        Action::Remove | Action::Ban if membership.0 => {
            let reason = match case.action {
                Action::Ban => "banned",
                _ if case.target == Target::Caller => "left",
                _ => "removed",
            };
            events.push(json!({ "type": "member_left", "user_id": key.1, "reason": reason }));
        }
        Action::Promote | Action::TransferOwnership if !membership.1 => events.push(user_event("admin_added")),
        Action::Demote if membership.1 => events.push(user_event("admin_removed")),
        // Someone not in the room is told apart, if this ban is new.
        Action::Ban if !before.bans.contains_key(&key) => events.push(user_event("user_banned")),
        Action::Unban if before.bans.contains_key(&key) => events.push(user_event("user_unbanned")),
        Action::Delete => events.push(json!({ "type": "room_deleted" })),
        _ => {}
    }
    if case.action == Action::TransferOwnership && case.target != Target::Caller {
        events.push(json!({ "type": "owner_changed", "owner": key.1 }));
    }
    // A ban ends the banned person's invitation; in a DM, leaving declines it.
    let declined = case.kind == Kind::Dm && case.action == Action::Remove && invited;
    if (case.action == Action::Ban || declined) && invited {
        events.push(user_event("invite_withdrawn"));
    }
    if declined {
        state.invites.remove(&key);
    }
    match case.action {
        Action::Join => {
            state.members.entry(key.clone()).or_insert((true, false)).0 = true;
            state.invites.remove(&key);
        }
        Action::Invite if joining => {
            state.members.entry(key.clone()).or_insert((true, false)).0 = true;
            state.invites.remove(&key);
        }
        Action::Invite => {
            state.invites.entry(key).or_insert_with(|| id(CALLER));
        }
        Action::Withdraw => {
            state.invites.remove(&key);
        }
        Action::Remove => {
            state.members.entry(key).and_modify(|membership| *membership = (false, false));
        }
        Action::Ban => {
            state.members.entry(key.clone()).and_modify(|membership| *membership = (false, false));
            state.invites.remove(&key);
            *state.bans.entry(key).or_default() |= case.caller == Who::Owner;
        }
        Action::Unban => {
            state.bans.remove(&key);
        }
        Action::Promote => {
            state.members.entry(key).and_modify(|membership| membership.1 = true);
        }
        Action::Demote => {
            state.members.entry(key).and_modify(|membership| membership.1 = false);
        }
        Action::TransferOwnership => {
            state.members.entry(key.clone()).and_modify(|membership| membership.1 = true);
            state.rooms.entry(room.clone()).and_modify(|room| room.3 = key.1.clone());
        }
        Action::Update | Action::Open => {
            let Patch { name, open } = case.patch;
            state.rooms.entry(room.clone()).and_modify(|room| {
                if let Some(name) = name {
                    (room.0, room.1) = (name.to_owned(), search_form(name));
                }
                room.2 = open.unwrap_or(room.2);
            });
            if let Some(name) = name {
                state.grams.retain(|(of, _)| *of != room);
                state.grams.extend(search_grams(&search_form(name)).into_iter().map(|gram| (room.clone(), gram)));
            }
        }
        Action::Delete => {
            state.rooms.remove(&room);
            state.members.retain(|(of, _), _| *of != room);
            state.bans.retain(|(of, _), _| *of != room);
            state.invites.retain(|(of, _), _| *of != room);
            state.grams.retain(|(of, _)| *of != room);
        }
        Action::View | Action::Peek | Action::ListBans | Action::Post | Action::Read => {
            panic!("{:?} has no write", case.action)
        }
    }
    // An update that changes nothing is no event.
    if matches!(case.action, Action::Update | Action::Open) && state.rooms.get(&room) != before.rooms.get(&room) {
        if let Some((name, _, open, owner)) = state.rooms.get(&room) {
            let user_count = state.members.iter().filter(|((of, _), (present, _))| *of == room && *present).count();
            let room = json!({ "open": open, "name": name, "user_count": user_count, "owner": owner, "kind": "room" });
            events.push(json!({ "type": "room_updated", "room": room }));
        }
    }
    // In a DM, its object is told whose voice the action changed: the lower id's first.
    if case.kind == Kind::Dm {
        let mut people: Vec<String> =
            state.told_muted.keys().filter(|(of, _)| *of == room).map(|(_, user)| user.clone()).collect();
        people.sort();
        for (user, peer) in [(&people[0], &people[1]), (&people[1], &people[0])] {
            let peer_key = (room.clone(), peer.clone());
            let heard = state.members.get(&peer_key).is_some_and(|membership| membership.0)
                || state.invites.contains_key(&peer_key);
            let told = state.told_muted.entry((room.clone(), user.clone())).or_default();
            if *told == heard {
                *told = !heard;
                let kind = if heard { "unmuted" } else { "muted" };
                events.push(json!({ "type": kind, "user_id": user }));
            }
        }
    }
    state.events.extend(events.into_iter().map(|event| (room.clone(), event)));
    // An invitation is counted when it is made, not when it is asked again.
    if let Some(kind) = case.counted().filter(|_| !(case.action == Action::Invite && invited)) {
        let counter = state.counts.entry((id(CALLER), kind.name().to_owned())).or_insert((0, NOW));
        *counter = match case.count {
            Count::None | Count::Passed => (1, NOW),
            Count::Full => (counter.0 + 1, counter.1),
        };
    }
    state
}

/// Why `case` breaks the rule, if it does.
fn disagreement(migrations: &[String], case: &Case) -> Option<String> {
    let mut db = seed(migrations, case);
    let (dump_before, before) = (dump(&db), state(&db));
    let caller = id(CALLER);
    let target = case.target_id();
    let base = [text(&id(ROOM)), text(&caller), target.as_deref().map_or(Value::Null, text)];
    let transaction = db.transaction().unwrap();
    let read = read_situation(&transaction, &caller, target.as_deref());
    let counter = case.counted().map(|kind| read_counter(&transaction, kind));
    for (statement, extra) in writes(case) {
        run(&transaction, statement, &[base.as_slice(), &extra].concat());
    }
    transaction.commit().unwrap();
    let verdict = match read {
        None => Err("no room".to_owned()),
        Some(situation) if situation != case.situation() => {
            return Some(format!("the seed reads back as {situation:?}, not {:?}", case.situation()));
        }
        Some(situation) => situation.check(case.action).map_err(|refusal| format!("{refusal:?}")).and_then(|()| {
            let limited = counter.and_then(|counter| LIMIT.check(counter, NOW).err());
            limited.map_or(Ok(()), |seconds| Err(format!("past the ceiling, for {seconds} s")))
        }),
    };
    let (dump_after, after) = (dump(&db), state(&db));
    match verdict {
        Err(refusal) if dump_after != dump_before => {
            Some(format!("refused ({refusal}), but rows changed:\n    {}", changed_rows(&dump_before, &dump_after)))
        }
        Err(_) => None,
        Ok(()) => {
            let intended = intended(case, &before);
            if after != intended {
                Some(format!("allowed, but not as intended:\n    {}", after.difference(&intended)))
            } else if intended == before && dump_after != dump_before {
                Some(format!(
                    "allowed with nothing to do, but rows changed:\n    {}",
                    changed_rows(&dump_before, &dump_after)
                ))
            } else {
                None
            }
        }
    }
}

#[test]
fn every_guarded_write_changes_the_database_exactly_when_check_allows_it() {
    let migrations = migrations();
    let cases = cases();
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| disagreement(&migrations, case).map(|why| format!("{case:?}:\n  {why}")))
        .collect();
    assert!(failures.is_empty(), "{} of {} cases disagree:\n{}", failures.len(), cases.len(), failures.join("\n"));
}

#[test]
fn the_table_reaches_both_verdicts_for_every_action() {
    let cases = cases();
    let every_write =
        [Action::Join].into_iter().chain(ON_A_TARGET).chain([Action::Update, Action::Open, Action::Delete]);
    for action in every_write {
        let verdicts: BTreeSet<bool> = cases
            .iter()
            .filter(|case| case.action == action && case.kind != Kind::Missing)
            .map(|case| case.situation().check(action).is_ok())
            .collect();
        assert_eq!(verdicts.len(), 2, "{action:?} is only ever {verdicts:?}");
    }
}

#[test]
fn in_a_dm_its_people_join_leave_and_decline_and_nobody_has_owner_powers() {
    let cases = cases();
    let allowed = |action: Action| {
        cases
            .iter()
            .filter(|case| case.kind == Kind::Dm && case.action == action)
            .any(|case| case.situation().check(action).is_ok())
    };
    for action in [Action::Join, Action::Remove, Action::Withdraw] {
        assert!(allowed(action), "{action:?} is never allowed in a DM");
    }
    let powers =
        [Action::Invite, Action::Ban, Action::Unban, Action::Promote, Action::Demote, Action::TransferOwnership];
    for action in powers.into_iter().chain([Action::Update, Action::Open, Action::Delete]) {
        let anyone =
            cases.iter().filter(|case| case.kind == Kind::Dm && case.action == action && case.target != Target::Caller);
        assert!(anyone.clone().count() > 0, "{action:?} is never tried in a DM");
        assert!(anyone.clone().all(|case| case.situation().check(action).is_err()), "{action:?} is allowed in a DM");
    }
}

#[test]
fn room_reads_leave_visibility_to_check() {
    for read in [sql::MEMBERS_PAGE, sql::ADMINS_PAGE, sql::BANS_PAGE] {
        assert!(!read.contains("?2"), "a read guarded by the caller needs a case in this table: {read}");
    }
}

/// Room creation is no room statement, but its guard is a ceiling written twice all the same:
/// `INSERT_ROOM` refuses it at the owner's cap of owned rooms or at their ceiling of creations,
/// exactly when the store's explanation (the cap, then `WriteLimit::check`) says so, and
/// `COUNT_ROOM_CREATION` counts it exactly when it happened.
#[test]
fn a_room_is_created_exactly_when_the_owner_is_under_both_ceilings_and_then_counted() {
    let migrations = migrations();
    const CAP: i64 = 2;
    for owned in 0..=CAP {
        for count in [Count::None, Count::Full, Count::Passed] {
            let db = schema(&migrations);
            db.execute(sql::INSERT_USER, (id(OWNER), "owner", "not a hash", 0, None::<String>)).unwrap();
            let kind = WriteKind::RoomCreation.name();
            for room in 0..owned {
                let insert = "INSERT INTO rooms (room_id, name, open, owner_id, created_at) VALUES (?1, '', 1, ?2, 0)";
                db.execute(insert, (id(200 + u32::try_from(room).unwrap()), id(OWNER))).unwrap();
            }
            let window_start = match count {
                Count::None => None,
                Count::Full => Some(NOW - LIMIT.window_millis + 1),
                Count::Passed => Some(NOW - LIMIT.window_millis),
            };
            if let Some(window_start) = window_start {
                let insert = "INSERT INTO write_counts (user_id, kind, window_start, count) VALUES (?1, ?2, ?3, ?4)";
                db.execute(insert, (id(OWNER), kind, window_start, LIMIT.max)).unwrap();
            }
            let counter = db
                .query_row(sql::WRITE_COUNT, (id(OWNER), kind), |row| {
                    Ok(Counter { count: row.get("count")?, window_start: row.get("window_start")? })
                })
                .optional()
                .unwrap();
            let owned_count: i64 = db.query_row(sql::OWNED_COUNT, [id(OWNER)], |row| row.get(0)).unwrap();
            assert_eq!(owned_count, owned, "owned_count is kept by the schema");
            let allowed = owned_count < CAP && LIMIT.check(counter, NOW).is_ok();
            let args = [
                text(&id(ROOM)),
                text(NAME),
                text(&search_form(NAME)),
                Value::from(true),
                text(&id(OWNER)),
                NOW.into(),
                LIMIT.window_millis.into(),
                LIMIT.max.into(),
                CAP.into(),
            ];
            let before = dump(&db);
            run(&db, sql::INSERT_ROOM, &args);
            run(&db, sql::COUNT_ROOM_CREATION, &args);
            let created = db.query_row(sql::ROOM_EXISTS, [id(ROOM)], |row| row.get::<_, i64>(0)).unwrap() != 0;
            let case = format!("owning {owned}, counter {count:?}");
            assert_eq!(created, allowed, "{case}");
            if !allowed {
                assert_eq!(dump(&db), before, "{case}: refused, but rows changed");
                continue;
            }
            let counted: (i64, i64) =
                db.query_row(sql::WRITE_COUNT, (id(OWNER), kind), |row| Ok((row.get(0)?, row.get(1)?))).unwrap();
            assert_eq!(counted, (1, NOW), "{case}: counted once, in a window from now");
        }
    }
}
