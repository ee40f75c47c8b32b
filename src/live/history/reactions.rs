//! Reactions to a room's messages: each user's keys on each message, and each message's keys
//! counted (`reaction_counts`), which every page of history reads.

use std::collections::{BTreeMap, HashMap};

use serde::Deserialize;

use super::{corrupt, sql, History, MessageRow};
use crate::domain::reaction::{KEYS_PER_MESSAGE, KEYS_PER_USER};
use crate::domain::{MessageId, ReactionKey, UserId};
use crate::error::ApiError;
use crate::live::frames::{Event, MessageView, Reaction};

/// What a reaction (or taking one back) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reacted {
    /// Numbered as the event `seq`.
    Changed { seq: i64, event: Event },
    /// Nothing: the user already had the key (or, taking it back, did not).
    Unchanged,
    /// The message holds `KEYS_PER_MESSAGE` keys, none of them this one.
    TooManyKeys,
    /// The user has `KEYS_PER_USER` keys on the message.
    TooManyOfTheirs,
}

#[derive(Deserialize)]
struct State {
    keys: i64,
    count: i64,
    mine: i64,
    reacted: i64,
}

impl History {
    /// Adds (`add`) or takes back the user's reaction with `key` to a written message, within
    /// the ceilings of keys per message and per user; appends the event if anything changed.
    pub fn react(
        &self,
        message: &MessageRow,
        (key, user_id, add): (&ReactionKey, &UserId, bool),
        now: i64,
    ) -> Result<Reacted, ApiError> {
        let user = user_id.to_string();
        let args = vec![message.seq.into(), key.as_str().into(), user.as_str().into()];
        let state = self.rows::<State>(sql::REACTION_STATE, args)?;
        let Some(state) = state.first() else { return Err(ApiError::internal("room storage: no reaction state")) };
        let reacted = state.reacted != 0;
        if reacted == add {
            return Ok(Reacted::Unchanged);
        }
        if add && state.count == 0 && state.keys >= KEYS_PER_MESSAGE {
            return Ok(Reacted::TooManyKeys);
        }
        if add && state.mine >= KEYS_PER_USER {
            return Ok(Reacted::TooManyOfTheirs);
        }
        let message_id =
            MessageId::parse(&message.message_id).map_err(|_| corrupt("message_id", &message.message_id))?;
        // The event's seq, which `record` then takes.
        let (key_text, seq) = (key.as_str(), self.latest_seq()? + 1);
        let event = if add {
            self.run(sql::ADD_REACTION, vec![message.seq.into(), key_text.into(), user.as_str().into(), seq.into()])?;
            self.run(sql::COUNT_REACTION, vec![message.seq.into(), key_text.into(), seq.into()])?;
            Event::ReactionAdded { message_id, key: key.clone(), user_id: *user_id, count: state.count + 1 }
        } else {
            self.run(sql::REMOVE_REACTION, vec![message.seq.into(), key_text.into(), user.as_str().into()])?;
            self.run(sql::UNCOUNT_REACTION, vec![message.seq.into(), key_text.into()])?;
            self.run(sql::DROP_UNUSED_KEY, vec![message.seq.into(), key_text.into()])?;
            Event::ReactionRemoved { message_id, key: key.clone(), user_id: *user_id, count: state.count - 1 }
        };
        let seq = self.record(now, &event)?;
        Ok(Reacted::Changed { seq, event })
    }

    /// Fills in the reactions of the written messages among `views`, with `me` for `user_id`
    /// (none: a viewer without a key), in one query.
    pub fn fill_reactions<'a>(
        &self,
        views: impl IntoIterator<Item = &'a mut MessageView>,
        user_id: Option<&UserId>,
    ) -> Result<(), ApiError> {
        #[derive(Deserialize)]
        struct Row {
            message_seq: i64,
            key: String,
            count: i64,
            me: i64,
        }
        let mut views: Vec<&mut MessageView> =
            views.into_iter().filter(|view| matches!(view, MessageView::Written { .. })).collect();
        if views.is_empty() {
            return Ok(());
        }
        let seqs: Vec<i64> = views.iter().map(|view| view.seq()).collect();
        let seqs = serde_json::to_string(&seqs).map_err(ApiError::internal)?;
        // '' is no user's id: a viewer has none of the reactions.
        let user = user_id.map(UserId::to_string).unwrap_or_default();
        let rows: Vec<Row> = self.rows(sql::REACTIONS_OF, vec![seqs.into(), user.into()])?;
        let mut by_message: HashMap<i64, Vec<Reaction>> = HashMap::new();
        for row in rows {
            let key = ReactionKey::parse(&row.key).map_err(|_| corrupt("reaction key", &row.key))?;
            by_message.entry(row.message_seq).or_default().push(Reaction { key, count: row.count, me: row.me != 0 });
        }
        for view in &mut views {
            let seq = view.seq();
            if let (Some(reactions), Some(found)) = (view.reactions_mut(), by_message.remove(&seq)) {
                *reactions = found;
            }
        }
        Ok(())
    }

    /// Everyone who reacted to the message, with their keys.
    pub fn reactions_by_user(&self, message_seq: i64) -> Result<BTreeMap<UserId, Vec<ReactionKey>>, ApiError> {
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
            key: String,
        }
        let rows: Vec<Row> = self.rows(sql::REACTIONS_OF_MESSAGE, vec![message_seq.into()])?;
        let mut by_user: BTreeMap<UserId, Vec<ReactionKey>> = BTreeMap::new();
        for row in rows {
            let user_id = UserId::parse(&row.user_id).map_err(|_| corrupt("user_id", &row.user_id))?;
            let key = ReactionKey::parse(&row.key).map_err(|_| corrupt("reaction key", &row.key))?;
            by_user.entry(user_id).or_default().push(key);
        }
        Ok(by_user)
    }

    /// Who reacted to the message with `key`, in the order they did: a page of them, and how
    /// many did in all.
    pub fn reactors(
        &self,
        message_seq: i64,
        key: &ReactionKey,
        (limit, offset): (u32, u32),
    ) -> Result<(Vec<UserId>, i64), ApiError> {
        #[derive(Deserialize)]
        struct Row {
            user_id: String,
        }
        let args = vec![message_seq.into(), key.as_str().into(), i64::from(limit).into(), i64::from(offset).into()];
        let rows: Vec<Row> = self.rows(sql::REACTORS, args)?;
        let users = rows
            .iter()
            .map(|row| UserId::parse(&row.user_id).map_err(|_| corrupt("user_id", &row.user_id)))
            .collect::<Result<_, _>>()?;
        let state =
            self.rows::<State>(sql::REACTION_STATE, vec![message_seq.into(), key.as_str().into(), "".into()])?;
        Ok((users, state.first().map_or(0, |state| state.count)))
    }

    /// A deleted message's reactions go with it.
    pub(super) fn drop_reactions(&self, message_seq: i64) -> Result<(), ApiError> {
        self.run(sql::DROP_REACTIONS, vec![message_seq.into()])?;
        self.run(sql::DROP_REACTION_COUNTS, vec![message_seq.into()])
    }
}
