//! Whom a message mentions: some of the room's present members by id, and, from an admin, the
//! whole room. Parsed here; that each is a present member, and that the whole room is
//! mentioned by an admin, is the room's to check (it knows who is).

use serde::{Deserialize, Serialize};

use super::{Invalid, UserId};

/// The most people one message may mention by id.
pub const MAX_MENTIONS: usize = 20;

/// Why a post's mentions are refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MentionRefusal {
    /// Someone mentioned is not a present member (400).
    NotPresent,
    /// The whole room, by someone not an admin (403).
    NotAdmin,
}

/// Whom a message mentions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mentions {
    /// Distinct, in the order first given.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<UserId>,
    /// Every member (`mention_room`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub room: bool,
}

impl Mentions {
    pub const NONE: Self = Self { users: Vec::new(), room: false };

    /// The field `mentions` (user ids; one given twice counts once) and `mention_room`.
    pub fn parse<'a>(users: impl IntoIterator<Item = &'a str>, room: bool) -> Result<Self, Invalid> {
        let mut parsed: Vec<UserId> = Vec::new();
        for user in users {
            let user = UserId::parse_field("mentions", user)?;
            if !parsed.contains(&user) {
                parsed.push(user);
            }
            if parsed.len() > MAX_MENTIONS {
                return Err(Invalid(format!("mentions: at most {MAX_MENTIONS} people")));
            }
        }
        Ok(Self { users: parsed, room })
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && !self.room
    }

    /// Whether the room may carry them: each a present member (`present`: how many of them the
    /// room has present), the whole room only from an admin.
    pub fn check(&self, admin: bool, present: usize) -> Result<(), MentionRefusal> {
        if present < self.users.len() {
            return Err(MentionRefusal::NotPresent);
        }
        if self.room && !admin {
            return Err(MentionRefusal::NotAdmin);
        }
        Ok(())
    }

    /// Whether the message mentions `user_id`, by id or as one of the room.
    pub fn mention(&self, user_id: &UserId) -> bool {
        self.room || self.users.contains(user_id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ANN: &str = "67e55044-10b1-426f-9247-bb680e5fe0c8";
    const BOB: &str = "0c8d7e52-3f4a-4b6c-9d2e-1f0a9b8c7d6e";

    #[test]
    fn ids_given_twice_count_once_in_either_case() {
        let mentions = Mentions::parse([ANN, BOB, &ANN.to_uppercase()], false).unwrap();
        assert_eq!(mentions.users.len(), 2);
        assert!(mentions.mention(&UserId::parse(BOB).unwrap()));
        assert!(!mentions.is_empty());
    }

    #[test]
    fn twenty_people_at_most_and_each_an_id() {
        let ids: Vec<String> = (0..21).map(|n| format!("00000000-0000-4000-8000-{n:012}")).collect();
        assert!(Mentions::parse(ids.iter().take(20).map(String::as_str), false).is_ok());
        assert!(Mentions::parse(ids.iter().map(String::as_str), false).is_err());
        assert_eq!(Mentions::parse(["ann"], false).unwrap_err().0, "mentions must be a UUID");
    }

    #[test]
    fn mentions_are_of_present_members_and_the_room_is_an_admins() {
        let two = Mentions::parse([ANN, BOB], false).unwrap();
        assert_eq!(two.check(false, 2), Ok(()));
        assert_eq!(two.check(true, 1), Err(MentionRefusal::NotPresent));
        let room = Mentions::parse([], true).unwrap();
        assert_eq!(room.check(false, 0), Err(MentionRefusal::NotAdmin));
        assert_eq!(room.check(true, 0), Ok(()));
    }

    #[test]
    fn the_room_mentions_everyone_and_none_is_empty() {
        let room = Mentions::parse([], true).unwrap();
        assert!(room.mention(&UserId::parse(ANN).unwrap()));
        assert!(Mentions::NONE.is_empty());
        assert_eq!(serde_json::to_string(&room).unwrap(), r#"{"room":true}"#);
        assert_eq!(serde_json::to_string(&Mentions::NONE).unwrap(), "{}");
    }
}
