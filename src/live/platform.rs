//! What the room's object needs of the platform that workers-rs does not give as such: a
//! storage transaction, a second handle on the object's state for work that outlives a call,
//! alarms by offset or by time, and a turn of the event loop.

use std::cell::RefCell;
use std::rc::Rc;
use std::time::Duration;

use wasm_bindgen::closure::Closure;
use wasm_bindgen::prelude::wasm_bindgen;
use wasm_bindgen::{JsCast, JsValue};
use worker::js_sys;
use worker::worker_sys::DurableObjectState;
use worker::worker_sys::WebSocketRequestResponsePair;
use worker::{State, WebSocket};

use crate::error::ApiError;

#[wasm_bindgen]
extern "C" {
    /// A SQLite-backed object's storage, seen only for `transactionSync`, which workers-rs
    /// does not bind.
    type TransactionalStorage;
    #[wasm_bindgen(method, catch, js_name = transactionSync)]
    fn transaction_sync(this: &TransactionalStorage, work: &js_sys::Function) -> Result<JsValue, JsValue>;
}

/// Runs `work` as one transaction of the object's storage: all its writes, or none if it fails.
pub fn atomically<T: 'static>(
    state: &State,
    work: impl FnOnce() -> Result<T, ApiError> + 'static,
) -> Result<T, ApiError> {
    let outcome: Rc<RefCell<Option<Result<T, ApiError>>>> = Rc::default();
    let slot = outcome.clone();
    let mut work = Some(work);
    let closure = Closure::<dyn FnMut() -> Result<JsValue, JsValue>>::new(move || {
        let Some(work) = work.take() else { return Err(JsValue::from_str("a transaction ran twice")) };
        let result = work();
        let failed = result.is_err();
        *slot.borrow_mut() = Some(result);
        // Throwing rolls the transaction back.
        if failed {
            Err(JsValue::from_str("rolled back"))
        } else {
            Ok(JsValue::UNDEFINED)
        }
    });
    let storage = state.storage();
    let storage: &TransactionalStorage = storage.as_raw().unchecked_ref();
    let thrown = storage.transaction_sync(closure.as_ref().unchecked_ref()).err();
    let outcome = outcome.borrow_mut().take();
    match (outcome, thrown) {
        (Some(result), _) => result,
        (None, thrown) => Err(ApiError::internal(format!("room storage transaction: {thrown:?}"))),
    }
}

/// Another handle on the same object state (`State` is not `Clone`), for work that goes on
/// after the call that started it (`State::wait_until`).
pub fn another_handle(state: &State) -> State {
    State::from(state.as_raw().unchecked_ref::<JsValue>().clone().unchecked_into::<DurableObjectState>())
}

/// An alarm `millis` from now: `set_alarm` takes a number as an offset, not a time.
pub fn in_millis(millis: i64) -> Duration {
    Duration::from_millis(u64::try_from(millis).unwrap_or(0))
}

/// Asks for the object's alarm at `at` (milliseconds since the epoch), unless one comes sooner.
pub async fn wake_by(state: &State, at: i64) {
    let storage = state.storage();
    let due = storage.get_alarm().await.ok().flatten();
    if due.is_none_or(|due| due > at) {
        let _ = storage.set_alarm(in_millis(at - crate::clock::now_millis())).await;
    }
}

/// Has the runtime answer a socket's `ping` itself, without waking the object (see
/// `frames::PING`): every object that holds sockets.
pub fn answer_pings(state: &State) {
    if let Ok(pair) = WebSocketRequestResponsePair::new(super::frames::PING, super::frames::PONG) {
        state.set_websocket_auto_response(&pair);
    }
}

/// Answers a client's close with the same code, as the runtime does not for a hibernated
/// socket, so that the close handshake ends and the connection with it. A socket the object
/// closed first is closed already: this does nothing then.
pub fn answer_close(ws: &WebSocket, code: usize, reason: &str) {
    let (code, reason) = super::frames::close::echo(code, reason);
    let _ = ws.close(Some(code), Some(reason));
}

/// Lets the object's other calls in before going on.
pub async fn yield_now() {
    worker::Delay::from(Duration::ZERO).await;
}
