//! Handing frames to many inboxes without one handler making more calls than the platform
//! allows (50 subrequests an invocation on the Free plan): up to `width` inboxes are called
//! directly; more are split into at most `width` chunks, each handed to an inbox object used
//! as a relay, which does the same with its chunk. 1,600 inboxes at a width of 40 are two hops,
//! 5,000 three.

use worker::Env;

use super::client::InboxObject;
use super::protocol::Delivery;
use crate::auth::random_bytes;
use crate::error::ApiError;

/// Inboxes one handler calls at most (`INBOX_FANOUT`): under the 50 subrequests a handler may
/// make, with room for its own D1 calls.
pub const DEFAULT_WIDTH: usize = 40;

/// How one handler hands deliveries on.
#[derive(Debug, PartialEq)]
pub enum Plan {
    /// Each to its inbox.
    Direct(Vec<Delivery>),
    /// Each chunk to a relay, which plans it again.
    Relayed(Vec<Vec<Delivery>>),
}

/// At most `width` calls, whatever the number of deliveries.
pub fn plan(deliveries: Vec<Delivery>, width: usize) -> Plan {
    let width = width.max(2);
    if deliveries.len() <= width {
        return Plan::Direct(deliveries);
    }
    let size = deliveries.len().div_ceil(width);
    let mut chunks = Vec::new();
    let mut rest = deliveries.into_iter().peekable();
    while rest.peek().is_some() {
        chunks.push(rest.by_ref().take(size).collect());
    }
    Plan::Relayed(chunks)
}

/// Hands every delivery to its inbox, directly or through relays; best effort: an inbox that
/// misses a push gets its person's state in full at their next `hello`. The failures, counted.
pub async fn deliver_all(env: &Env, deliveries: Vec<Delivery>, width: usize) -> usize {
    let outcomes: Vec<Result<(), ApiError>> = match plan(deliveries, width) {
        Plan::Direct(deliveries) => {
            let calls = deliveries
                .into_iter()
                .map(|delivery| async move { InboxObject::of(env, &delivery.user_id)?.deliver(delivery.frames).await });
            futures_util::future::join_all(calls).await
        }
        Plan::Relayed(chunks) => {
            let calls = chunks.into_iter().map(|chunk| async move {
                let name = format!("relay:{}", hex::encode(random_bytes::<8>()?));
                InboxObject::named(env, &name)?.forward(chunk).await
            });
            futures_util::future::join_all(calls).await
        }
    };
    let failed: Vec<String> =
        outcomes.into_iter().filter_map(Result::err).map(|error| error.detail().to_owned()).collect();
    if let Some(first) = failed.first() {
        worker::console_error!("inbox fanout: {} deliveries failed, the first: {first}", failed.len());
    }
    failed.len()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::UserId;

    fn deliveries(n: usize) -> Vec<Delivery> {
        (0..n).map(|i| Delivery { user_id: UserId::from_random_bytes([i as u8; 16]), frames: Vec::new() }).collect()
    }

    #[test]
    fn up_to_the_width_each_inbox_is_called_directly() {
        assert_eq!(plan(deliveries(40), 40), Plan::Direct(deliveries(40)));
        assert_eq!(plan(Vec::new(), 40), Plan::Direct(Vec::new()));
    }

    #[test]
    fn beyond_it_at_most_width_relays_share_them_all_once() {
        for (n, width) in [(41, 40), (5_000, 40), (7, 2), (1_000, 3)] {
            let Plan::Relayed(chunks) = plan(deliveries(n), width) else { panic!("{n} at {width}: direct") };
            assert!(chunks.len() <= width, "{n} at {width}: {} relays", chunks.len());
            let all: Vec<Delivery> = chunks.into_iter().flatten().collect();
            assert_eq!(all, deliveries(n), "{n} at {width}: each once, in order");
        }
    }

    /// The calls, handler after handler, from the first to the inboxes.
    fn hops(deliveries: Vec<Delivery>, width: usize) -> usize {
        match plan(deliveries, width) {
            Plan::Direct(_) => 1,
            Plan::Relayed(chunks) => 1 + chunks.into_iter().map(|chunk| hops(chunk, width)).max().unwrap_or(0),
        }
    }

    #[test]
    fn five_thousand_inboxes_are_three_hops_at_a_width_of_forty() {
        assert_eq!(hops(deliveries(40), DEFAULT_WIDTH), 1);
        assert_eq!(hops(deliveries(1_600), DEFAULT_WIDTH), 2);
        assert_eq!(hops(deliveries(5_000), DEFAULT_WIDTH), 3);
    }
}
