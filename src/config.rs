//! The service's settings, from wrangler vars and secrets, read once per isolate: they do not
//! change under a running one.

use std::fmt;
use std::rc::Rc;

use worker::Env;

use crate::auth::address::AddressKey;
use crate::domain::limits::{Limits, WriteLimit};

/// Who may create an account.
#[derive(Clone, PartialEq, Eq)]
pub enum Registration {
    Open,
    Closed,
    /// Only with this token, sent as the field `registration_token`.
    Token(String),
}

impl fmt::Debug for Registration {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Open => f.write_str("Open"),
            Self::Closed => f.write_str("Closed"),
            Self::Token(_) => f.write_str("Token(<redacted>)"),
        }
    }
}

impl Registration {
    /// Whether a sign-up that sent `token` (the field `registration_token`) may go ahead.
    pub fn admits(&self, token: Option<&str>) -> bool {
        match self {
            Self::Open => true,
            Self::Closed => false,
            Self::Token(expected) => {
                token.is_some_and(|token| crate::auth::constant_time_eq(token.as_bytes(), expected.as_bytes()))
            }
        }
    }
}

/// A fault in handing events to the rooms' objects, for tests only (`FAULT_ROOM_EVENTS`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RoomEventsFault {
    /// `drop`: a request leaves the events of the changes it committed queued, as if the call
    /// to the room's object had failed, so that only the cron's sweep delivers them.
    Drop,
    /// `fail_first`: every room object fails the first delivery it is handed, so that only a
    /// retry delivers.
    FailFirst,
    /// `fail_midway`: every room object fails its first delivery after applying its events,
    /// before answering, so that the retry finds them applied or not, never half.
    FailMidway,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    pub registration: Registration,
    pub session_ttl_seconds: u64,
    pub pbkdf2_iterations: u32,
    /// Sign-ups allowed per client network in any hour; `None` is no cap.
    pub signups_per_hour: Option<u32>,
    /// Origins whose pages may call the API from a browser (`*` for any).
    pub cors_origins: Vec<String>,
    /// The ceilings on each user's writes.
    pub limits: Limits,
    /// The secret `ADDRESS_KEY` that client networks are tagged with before D1 keeps them.
    /// `None` when unset: then what needs it (logins, capped sign-ups) answers 503, never
    /// storing a bare address instead.
    pub address_key: Option<AddressKey>,
    /// `ADDRESS_RATE_LIMIT` (`on` unless `off`): the per-network limit of the rate-limiting
    /// binding in front of every route that checks a password or creates a user.
    pub address_rate_limit: bool,
    /// Live session keys per user: a login beyond them ends the oldest.
    pub sessions_per_user: u32,
    /// How long a ticket to open a room's socket stays good.
    pub ticket_seconds: u32,
    /// `FAULT_ROOM_EVENTS`, for tests only: a fault in handing events to the rooms' objects.
    pub room_events_fault: Option<RoomEventsFault>,
    /// `COUNTS_FLUSH_MILLIS`: how long a room's object gathers changes to its members' counts
    /// before it tells D1; 0 tells D1 before answering the call that changed them (tests).
    pub counts_flush_millis: u32,
    /// `INBOX_FANOUT`: inboxes one handler calls at most; more go through relays (2 to 40;
    /// tests set 2 to make a few members take the relays' path).
    pub inbox_fanout: usize,
    /// `ROOM_SOCKETS_PER_OBJECT`: the sockets one object of a room holds (its own, and each
    /// of its fan-out objects); past them, the room spreads its sockets over fan-out objects
    /// (1 to 30,000; tests set 2).
    pub sockets_per_object: usize,
    /// `FILE_MAX_BYTES`: the largest file an upload may be.
    pub file_max_bytes: u64,
    /// `FILE_BYTES_PER_DAY`: the bytes one user may upload in a day; `None` (`off`): no cap.
    pub file_bytes_per_day: Option<u64>,
    /// `FILE_UNATTACHED_MILLIS`: how long an upload no message carries is kept (a day; tests
    /// set less).
    pub file_unattached_millis: i64,
}

impl Config {
    pub const DEFAULT_SESSION_TTL_SECONDS: u64 = 604_800;
    /// Workers KV refuses a shorter expiration.
    pub const MIN_SESSION_TTL_SECONDS: u64 = 60;
    /// A room's sockets an object holds: at ~0.4 KiB an idle socket (benchmark section 11),
    /// far under an object's 128 MB, and few enough that one event's sends stay short.
    pub const DEFAULT_SOCKETS_PER_OBJECT: u32 = 1000;
    /// Under the 32,768 WebSockets the platform lets one object hold.
    pub const MAX_SOCKETS_PER_OBJECT: u32 = 30_000;
    /// OWASP's figure for PBKDF2-HMAC-SHA256.
    pub const DEFAULT_PBKDF2_ITERATIONS: u32 = 600_000;
    pub const MIN_PBKDF2_ITERATIONS: u32 = 1_000;
    pub const DEFAULT_SIGNUPS_PER_HOUR: u32 = 20;
    pub const DEFAULT_POSTS_PER_MINUTE: u32 = 60;
    pub const DEFAULT_EDITS_PER_MINUTE: u32 = 60;
    pub const DEFAULT_REACTIONS_PER_MINUTE: u32 = 120;
    pub const DEFAULT_ROOMS_PER_DAY: u32 = 50;
    pub const DEFAULT_RENAMES_PER_HOUR: u32 = 30;
    pub const DEFAULT_INVITES_PER_HOUR: u32 = 100;
    pub const DEFAULT_DMS_PER_DAY: u32 = 50;
    pub const DEFAULT_ROOMS_OWNED: u32 = 1_000;
    pub const DEFAULT_HANDLE_CHANGES_PER_DAY: u32 = 3;
    pub const DEFAULT_SESSIONS_PER_USER: u32 = 50;
    pub const DEFAULT_TICKET_SECONDS: u32 = 60;
    /// A ticket goes into a URL, which logs may keep: it must not live long.
    pub const MAX_TICKET_SECONDS: u32 = 300;
    /// Once a second: a connected member's inbox hears of a room's activity within about that.
    pub const DEFAULT_COUNTS_FLUSH_MILLIS: u32 = 1_000;
    /// The README promises counts fed by a flush within 5 s.
    pub const MAX_COUNTS_FLUSH_MILLIS: u32 = 4_000;
    pub const DEFAULT_FILE_MAX_BYTES: u64 = 10 << 20;
    /// What Cloudflare lets a request's body be on the Free and Pro plans.
    pub const MAX_FILE_MAX_BYTES: u64 = 100 << 20;
    pub const DEFAULT_FILE_BYTES_PER_DAY: u64 = 100 << 20;
    pub const DEFAULT_FILE_UNATTACHED_MILLIS: i64 = 24 * 3600 * 1000;

    /// `lookup` answers a var or secret by name. A malformed setting is an error, never
    /// silently replaced by its default.
    pub fn parse(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, String> {
        let registration = match lookup("REGISTRATION").as_deref() {
            None | Some("open") => Registration::Open,
            Some("closed") => Registration::Closed,
            Some("token") => match lookup("REGISTRATION_TOKEN") {
                Some(token) if !token.is_empty() => Registration::Token(token),
                _ => return Err("REGISTRATION is token but the secret REGISTRATION_TOKEN is not set".into()),
            },
            Some(other) => return Err(format!("REGISTRATION must be open, closed or token, not {other:?}")),
        };
        let session_ttl_seconds = number(&lookup, "SESSION_TTL_SECONDS", Self::DEFAULT_SESSION_TTL_SECONDS)?;
        if session_ttl_seconds < Self::MIN_SESSION_TTL_SECONDS {
            return Err(format!("SESSION_TTL_SECONDS must be at least {}", Self::MIN_SESSION_TTL_SECONDS));
        }
        let pbkdf2_iterations = number(&lookup, "PBKDF2_ITERATIONS", Self::DEFAULT_PBKDF2_ITERATIONS)?;
        if pbkdf2_iterations < Self::MIN_PBKDF2_ITERATIONS {
            return Err(format!("PBKDF2_ITERATIONS must be at least {}", Self::MIN_PBKDF2_ITERATIONS));
        }
        let signups_per_hour = match lookup("SIGNUPS_PER_HOUR").as_deref().map(str::trim) {
            Some("off") => None,
            _ => Some(number(&lookup, "SIGNUPS_PER_HOUR", Self::DEFAULT_SIGNUPS_PER_HOUR)?),
        };
        let cors_origins = lookup("CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(|origin| origin.trim().trim_end_matches('/').to_owned())
            .filter(|origin| !origin.is_empty())
            .collect();
        let limit = |name, default, window_millis| -> Result<Option<WriteLimit>, String> {
            Ok(ceiling(&lookup, name, default)?.map(|max| WriteLimit { max, window_millis }))
        };
        let limits = Limits {
            posts: limit("POSTS_PER_MINUTE", Self::DEFAULT_POSTS_PER_MINUTE, WriteLimit::MINUTE)?,
            edits: limit("EDITS_PER_MINUTE", Self::DEFAULT_EDITS_PER_MINUTE, WriteLimit::MINUTE)?,
            room_creations: limit("ROOMS_PER_DAY", Self::DEFAULT_ROOMS_PER_DAY, WriteLimit::DAY)?,
            renames: limit("RENAMES_PER_HOUR", Self::DEFAULT_RENAMES_PER_HOUR, WriteLimit::HOUR)?,
            invites: limit("INVITES_PER_HOUR", Self::DEFAULT_INVITES_PER_HOUR, WriteLimit::HOUR)?,
            dms: limit("DMS_PER_DAY", Self::DEFAULT_DMS_PER_DAY, WriteLimit::DAY)?,
            reactions: limit("REACTIONS_PER_MINUTE", Self::DEFAULT_REACTIONS_PER_MINUTE, WriteLimit::MINUTE)?,
            owned_rooms: ceiling(&lookup, "ROOMS_OWNED", Self::DEFAULT_ROOMS_OWNED)?,
            handle_changes: limit("HANDLE_CHANGES_PER_DAY", Self::DEFAULT_HANDLE_CHANGES_PER_DAY, WriteLimit::DAY)?,
        };
        let address_key = lookup("ADDRESS_KEY").as_deref().and_then(AddressKey::new);
        let address_rate_limit = match lookup("ADDRESS_RATE_LIMIT").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => return Err(format!("ADDRESS_RATE_LIMIT must be on or off, not {other:?}")),
        };
        let sessions_per_user = number(&lookup, "SESSIONS_PER_USER", Self::DEFAULT_SESSIONS_PER_USER)?;
        if sessions_per_user == 0 {
            return Err("SESSIONS_PER_USER must be at least 1".into());
        }
        let ticket_seconds = number(&lookup, "TICKET_SECONDS", Self::DEFAULT_TICKET_SECONDS)?;
        if !(1..=Self::MAX_TICKET_SECONDS).contains(&ticket_seconds) {
            return Err(format!("TICKET_SECONDS must be 1 to {}", Self::MAX_TICKET_SECONDS));
        }
        let room_events_fault = match lookup("FAULT_ROOM_EVENTS").as_deref().map(str::trim) {
            None | Some("") => None,
            Some("drop") => Some(RoomEventsFault::Drop),
            Some("fail_first") => Some(RoomEventsFault::FailFirst),
            Some("fail_midway") => Some(RoomEventsFault::FailMidway),
            Some(other) => {
                return Err(format!("FAULT_ROOM_EVENTS must be drop, fail_first, fail_midway or unset, not {other:?}"))
            }
        };
        let counts_flush_millis = number(&lookup, "COUNTS_FLUSH_MILLIS", Self::DEFAULT_COUNTS_FLUSH_MILLIS)?;
        if counts_flush_millis > Self::MAX_COUNTS_FLUSH_MILLIS {
            return Err(format!("COUNTS_FLUSH_MILLIS must be 0 to {}", Self::MAX_COUNTS_FLUSH_MILLIS));
        }
        let inbox_fanout = number(&lookup, "INBOX_FANOUT", crate::inbox::fanout::DEFAULT_WIDTH as u32)?;
        if !(2..=crate::inbox::fanout::DEFAULT_WIDTH as u32).contains(&inbox_fanout) {
            return Err(format!("INBOX_FANOUT must be 2 to {}", crate::inbox::fanout::DEFAULT_WIDTH));
        }
        let sockets_per_object = number(&lookup, "ROOM_SOCKETS_PER_OBJECT", Self::DEFAULT_SOCKETS_PER_OBJECT)?;
        if !(1..=Self::MAX_SOCKETS_PER_OBJECT).contains(&sockets_per_object) {
            return Err(format!("ROOM_SOCKETS_PER_OBJECT must be 1 to {}", Self::MAX_SOCKETS_PER_OBJECT));
        }
        let file_max_bytes = number(&lookup, "FILE_MAX_BYTES", Self::DEFAULT_FILE_MAX_BYTES)?;
        if !(1..=Self::MAX_FILE_MAX_BYTES).contains(&file_max_bytes) {
            return Err(format!("FILE_MAX_BYTES must be 1 to {}", Self::MAX_FILE_MAX_BYTES));
        }
        let file_bytes_per_day = match lookup("FILE_BYTES_PER_DAY").as_deref().map(str::trim) {
            Some("off") => None,
            _ => Some(number(&lookup, "FILE_BYTES_PER_DAY", Self::DEFAULT_FILE_BYTES_PER_DAY)?),
        };
        let file_unattached_millis = number(&lookup, "FILE_UNATTACHED_MILLIS", Self::DEFAULT_FILE_UNATTACHED_MILLIS)?;
        if file_unattached_millis < 1 {
            return Err("FILE_UNATTACHED_MILLIS must be at least 1".into());
        }
        Ok(Self {
            registration,
            session_ttl_seconds,
            pbkdf2_iterations,
            signups_per_hour,
            cors_origins,
            limits,
            address_key,
            address_rate_limit,
            sessions_per_user,
            ticket_seconds,
            room_events_fault,
            counts_flush_millis,
            inbox_fanout: inbox_fanout as usize,
            sockets_per_object: sockets_per_object as usize,
            file_max_bytes,
            file_bytes_per_day,
            file_unattached_millis,
        })
    }
}

/// A ceiling setting: a number, or `off` for none.
fn ceiling(lookup: &impl Fn(&str) -> Option<String>, name: &str, default: u32) -> Result<Option<u32>, String> {
    match lookup(name).as_deref().map(str::trim) {
        Some("off") => Ok(None),
        _ => Ok(Some(number(lookup, name, default)?)),
    }
}

/// What the worker reads from its environment.
#[derive(Clone)]
pub struct Settings {
    /// The settings, or which one is malformed.
    pub config: Result<Rc<Config>, String>,
    /// `COUNT_ROUND_TRIPS=on`: every answer says its D1 round trips and KV operations in an
    /// `X-Round-Trips` header (for the benchmark).
    pub count_round_trips: bool,
}

thread_local! {
    static SETTINGS: std::cell::OnceCell<Settings> = const { std::cell::OnceCell::new() };
}

impl Settings {
    pub fn of(env: &Env) -> Self {
        SETTINGS.with(|settings| {
            settings
                .get_or_init(|| {
                    let lookup = |name: &str| {
                        env.var(name)
                            .map(|var| var.to_string())
                            .or_else(|_| env.secret(name).map(|secret| secret.to_string()))
                            .ok()
                    };
                    Settings {
                        config: Config::parse(lookup).map(Rc::new),
                        count_round_trips: lookup("COUNT_ROUND_TRIPS").as_deref() == Some("on"),
                    }
                })
                .clone()
        })
    }

    /// The origins allowed to call the API from a browser; none while the settings are broken.
    pub fn cors_origins(&self) -> &[String] {
        self.config.as_ref().map_or(&[], |config| &config.cors_origins)
    }
}

fn number<T: std::str::FromStr>(lookup: &impl Fn(&str) -> Option<String>, name: &str, default: T) -> Result<T, String> {
    match lookup(name) {
        None => Ok(default),
        Some(text) => text.trim().parse().map_err(|_| format!("{name} must be a positive integer, not {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(vars: &[(&str, &str)]) -> Result<Config, String> {
        Config::parse(|name| vars.iter().find(|(key, _)| *key == name).map(|(_, value)| value.to_string()))
    }

    #[test]
    fn no_settings_give_the_documented_defaults() {
        let config = parse(&[]).unwrap();
        assert_eq!(config.registration, Registration::Open);
        assert_eq!(config.session_ttl_seconds, 604_800);
        assert_eq!(config.pbkdf2_iterations, 600_000);
        assert_eq!(config.signups_per_hour, Some(20));
        assert!(config.cors_origins.is_empty());
        assert_eq!(config.address_key, None);
        assert!(config.address_rate_limit);
        assert_eq!(config.sessions_per_user, 50);
        assert_eq!(config.ticket_seconds, 60);
        assert_eq!(config.counts_flush_millis, 1_000);
        assert_eq!(config.inbox_fanout, 40);
    }

    #[test]
    fn an_object_holds_a_thousand_sockets_unless_told() {
        assert_eq!(parse(&[]).unwrap().sockets_per_object, 1000);
        assert_eq!(parse(&[("ROOM_SOCKETS_PER_OBJECT", "2")]).unwrap().sockets_per_object, 2);
        assert!(parse(&[("ROOM_SOCKETS_PER_OBJECT", "0")]).is_err());
        assert!(parse(&[("ROOM_SOCKETS_PER_OBJECT", "40000")]).is_err());
    }

    #[test]
    fn the_inbox_fanout_is_two_to_forty() {
        assert_eq!(parse(&[("INBOX_FANOUT", "2")]).unwrap().inbox_fanout, 2);
        assert!(parse(&[("INBOX_FANOUT", "1")]).is_err());
        assert!(parse(&[("INBOX_FANOUT", "41")]).is_err());
    }

    #[test]
    fn counts_are_flushed_within_four_seconds_or_at_once() {
        assert_eq!(parse(&[("COUNTS_FLUSH_MILLIS", "0")]).unwrap().counts_flush_millis, 0);
        assert_eq!(parse(&[("COUNTS_FLUSH_MILLIS", "4000")]).unwrap().counts_flush_millis, 4_000);
        assert!(parse(&[("COUNTS_FLUSH_MILLIS", "4001")]).is_err());
        assert!(parse(&[("COUNTS_FLUSH_MILLIS", "-1")]).is_err());
    }

    #[test]
    fn a_ticket_lives_one_second_to_five_minutes() {
        assert_eq!(parse(&[("TICKET_SECONDS", "1")]).unwrap().ticket_seconds, 1);
        assert_eq!(parse(&[("TICKET_SECONDS", "300")]).unwrap().ticket_seconds, 300);
        assert!(parse(&[("TICKET_SECONDS", "0")]).is_err());
        assert!(parse(&[("TICKET_SECONDS", "301")]).is_err());
        assert!(parse(&[("TICKET_SECONDS", "soon")]).is_err());
    }

    #[test]
    fn the_session_cap_can_be_set_but_not_to_zero() {
        assert_eq!(parse(&[("SESSIONS_PER_USER", "2000")]).unwrap().sessions_per_user, 2000);
        assert!(parse(&[("SESSIONS_PER_USER", "0")]).is_err());
        assert!(parse(&[("SESSIONS_PER_USER", "many")]).is_err());
    }

    #[test]
    fn the_address_rate_limit_can_be_turned_off_and_nothing_else() {
        assert!(!parse(&[("ADDRESS_RATE_LIMIT", "off")]).unwrap().address_rate_limit);
        assert!(parse(&[("ADDRESS_RATE_LIMIT", "on")]).unwrap().address_rate_limit);
        assert!(parse(&[("ADDRESS_RATE_LIMIT", "no")]).is_err());
    }

    #[test]
    fn the_address_key_is_read_and_an_empty_one_is_none() {
        assert_eq!(parse(&[("ADDRESS_KEY", "s3cret")]).unwrap().address_key, AddressKey::new("s3cret"));
        assert_eq!(parse(&[("ADDRESS_KEY", "")]).unwrap().address_key, None);
        assert!(!format!("{:?}", parse(&[("ADDRESS_KEY", "s3cret")]).unwrap()).contains("s3cret"));
    }

    #[test]
    fn the_sign_up_cap_can_be_set_or_turned_off() {
        assert_eq!(parse(&[("SIGNUPS_PER_HOUR", "3")]).unwrap().signups_per_hour, Some(3));
        assert_eq!(parse(&[("SIGNUPS_PER_HOUR", "off")]).unwrap().signups_per_hour, None);
        assert!(parse(&[("SIGNUPS_PER_HOUR", "many")]).is_err());
    }

    #[test]
    fn the_write_ceilings_have_defaults_a_person_chatting_never_meets() {
        let limits = parse(&[]).unwrap().limits;
        assert_eq!(limits.posts, Some(WriteLimit { max: 60, window_millis: 60_000 }));
        assert_eq!(limits.room_creations, Some(WriteLimit { max: 50, window_millis: 86_400_000 }));
        assert_eq!(limits.renames, Some(WriteLimit { max: 30, window_millis: 3_600_000 }));
        assert_eq!(limits.invites, Some(WriteLimit { max: 100, window_millis: 3_600_000 }));
        assert_eq!(limits.dms, Some(WriteLimit { max: 50, window_millis: 86_400_000 }));
        assert_eq!(limits.owned_rooms, Some(1_000));
        assert_eq!(limits.handle_changes, Some(WriteLimit { max: 3, window_millis: 86_400_000 }));
    }

    #[test]
    fn each_write_ceiling_can_be_set_or_turned_off() {
        let limits =
            parse(&[("POSTS_PER_MINUTE", "5"), ("ROOMS_PER_DAY", "off"), ("ROOMS_OWNED", "off")]).unwrap().limits;
        assert_eq!(limits.posts, Some(WriteLimit { max: 5, window_millis: 60_000 }));
        assert_eq!(limits.room_creations, None);
        assert_eq!(limits.owned_rooms, None);
        assert_eq!(parse(&[("HANDLE_CHANGES_PER_DAY", "off")]).unwrap().limits.handle_changes, None);
        for name in [
            "POSTS_PER_MINUTE",
            "ROOMS_PER_DAY",
            "RENAMES_PER_HOUR",
            "INVITES_PER_HOUR",
            "DMS_PER_DAY",
            "ROOMS_OWNED",
            "HANDLE_CHANGES_PER_DAY",
        ] {
            assert!(parse(&[(name, "plenty")]).is_err(), "{name}");
        }
    }

    #[test]
    fn cors_origins_are_a_comma_list() {
        let config = parse(&[("CORS_ORIGINS", " https://a.example, https://b.example/ ,,")]).unwrap();
        assert_eq!(config.cors_origins, ["https://a.example", "https://b.example"]);
    }

    #[test]
    fn registration_by_token_needs_the_secret() {
        assert!(parse(&[("REGISTRATION", "token")]).is_err());
        let config = parse(&[("REGISTRATION", "token"), ("REGISTRATION_TOKEN", "s3cret")]).unwrap();
        assert_eq!(config.registration, Registration::Token("s3cret".into()));
    }

    #[test]
    fn open_registration_admits_everyone_and_closed_no_one() {
        assert!(Registration::Open.admits(None));
        assert!(!Registration::Closed.admits(None));
        assert!(!Registration::Closed.admits(Some("anything")));
    }

    #[test]
    fn token_registration_admits_only_the_exact_token() {
        let registration = Registration::Token("s3cret".into());
        assert!(registration.admits(Some("s3cret")));
        for wrong in [None, Some(""), Some("s3cre"), Some("s3cret "), Some("S3CRET")] {
            assert!(!registration.admits(wrong), "{wrong:?}");
        }
    }

    #[test]
    fn an_unknown_registration_mode_is_an_error() {
        assert!(parse(&[("REGISTRATION", "maybe")]).is_err());
    }

    #[test]
    fn a_session_ttl_under_kvs_minimum_is_an_error() {
        assert!(parse(&[("SESSION_TTL_SECONDS", "59")]).is_err());
        assert_eq!(parse(&[("SESSION_TTL_SECONDS", "60")]).unwrap().session_ttl_seconds, 60);
    }

    #[test]
    fn malformed_numbers_are_errors_not_defaults() {
        assert!(parse(&[("PBKDF2_ITERATIONS", "lots")]).is_err());
        assert!(parse(&[("PBKDF2_ITERATIONS", "999")]).is_err());
        assert!(parse(&[("SESSION_TTL_SECONDS", "-1")]).is_err());
    }

    #[test]
    fn the_registration_token_never_shows_in_debug_output() {
        let config = parse(&[("REGISTRATION", "token"), ("REGISTRATION_TOKEN", "s3cret")]).unwrap();
        assert!(!format!("{config:?}").contains("s3cret"));
    }
}
