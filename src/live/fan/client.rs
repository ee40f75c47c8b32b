//! The worker's and a room's object's side of a fan-out object.

use worker::{Env, Headers, Response, Stub};

use super::protocol::{FanCall, FanNumber, Numbered, Placement};
use crate::domain::RoomId;
use crate::error::ApiError;
use crate::live::client::{call_request, upgraded};
use crate::live::protocol::Answer;

/// One fan-out object of a room.
pub struct FanObject {
    stub: Stub,
}

fn unavailable(error: impl std::fmt::Display) -> ApiError {
    ApiError::Unavailable(format!("fan-out object: {error}"))
}

impl FanObject {
    pub fn of(env: &Env, room_id: &RoomId, fan: FanNumber) -> Result<Self, ApiError> {
        let name = format!("{room_id}:fan:{fan}");
        let stub = env.durable_object("FANS").and_then(|fans| fans.id_from_name(&name)?.get_stub());
        Ok(Self { stub: stub.map_err(unavailable)? })
    }

    async fn send(&self, call: &FanCall) -> Result<Response, ApiError> {
        let body = serde_json::to_string(call).map_err(ApiError::internal)?;
        let upgrade = matches!(call, FanCall::Accept { .. });
        let request = call_request("https://fan/call", Headers::new(), body, upgrade)?;
        self.stub.fetch_with_request(request).await.map_err(unavailable)
    }

    /// Hands over the socket the room placed here: the 101 answer.
    pub async fn accept(&self, room_id: RoomId, placement: Placement) -> Result<Response, ApiError> {
        upgraded(self.send(&FanCall::Accept { room_id, placement }).await?).await
    }

    /// Hands over the room's items; answered once they are applied.
    pub async fn deliver(&self, room_id: RoomId, fan: FanNumber, items: Vec<Numbered>) -> Result<(), ApiError> {
        let mut response = self.send(&FanCall::Deliver { room_id, fan, items }).await?;
        if response.status_code() != 200 {
            let text = response.text().await.unwrap_or_default();
            return Err(unavailable(format!("answered {}: {text}", response.status_code())));
        }
        response.json::<Answer<()>>().await.map_err(unavailable)?.into_result()
    }
}
