//! The worker's (and a room's object's) side of an inbox.

use worker::{Env, Headers, Response, Stub};

use super::frames::InboxFrame;
use super::protocol::{Delivery, InboxCall, InboxConnect};
use crate::auth::session::KeyHash;
use crate::domain::UserId;
use crate::error::ApiError;
use crate::live::client::{call_request, upgraded};
use crate::live::protocol::{Answer, Redeem, Redeemed, Ticket};

/// The inbox of one person (or, for `forward`, an inbox object used as a relay).
pub struct InboxObject {
    stub: Stub,
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("inbox: {error}"))
}

impl InboxObject {
    pub fn of(env: &Env, user_id: &UserId) -> Result<Self, ApiError> {
        Self::named(env, &user_id.to_string())
    }

    /// An inbox object by name: a user's id, or a relay's name (`fanout`).
    pub fn named(env: &Env, name: &str) -> Result<Self, ApiError> {
        let stub = env.durable_object("INBOXES").and_then(|inboxes| inboxes.id_from_name(name)?.get_stub());
        Ok(Self { stub: stub.map_err(unavailable)? })
    }

    async fn send(&self, call: &InboxCall) -> Result<Response, ApiError> {
        let body = serde_json::to_string(call).map_err(ApiError::internal)?;
        let upgrade = matches!(call, InboxCall::Connect(_));
        let request = call_request("https://inbox/call", Headers::new(), body, upgrade)?;
        self.stub.fetch_with_request(request).await.map_err(unavailable)
    }

    async fn call<T: serde::de::DeserializeOwned>(&self, call: &InboxCall) -> Result<T, ApiError> {
        let mut response = self.send(call).await?;
        if response.status_code() != 200 {
            let text = response.text().await.unwrap_or_default();
            return Err(unavailable(format!("answered {}: {text}", response.status_code())));
        }
        response.json::<Answer<T>>().await.map_err(unavailable)?.into_result()
    }

    pub async fn add_ticket(&self, ticket: Ticket) -> Result<(), ApiError> {
        self.call(&InboxCall::AddTicket(ticket)).await
    }

    pub async fn redeem(&self, ticket_hash: KeyHash) -> Result<Redeemed, ApiError> {
        self.call(&InboxCall::Redeem(Redeem { ticket_hash })).await
    }

    pub async fn deliver(&self, frames: Vec<InboxFrame>) -> Result<(), ApiError> {
        self.call(&InboxCall::Deliver { frames }).await
    }

    pub async fn forward(&self, deliveries: Vec<Delivery>) -> Result<(), ApiError> {
        self.call(&InboxCall::Forward { deliveries }).await
    }

    pub async fn keys_changed(&self) -> Result<(), ApiError> {
        self.call(&InboxCall::KeysChanged).await
    }

    /// Opens the socket the worker authorized: the object's 101 answer.
    pub async fn connect(&self, connect: InboxConnect) -> Result<Response, ApiError> {
        upgraded(self.send(&InboxCall::Connect(connect)).await?).await
    }
}
