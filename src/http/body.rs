//! A request's body: read up to `MAX_BODY_BYTES` and no further, and, when the answer leaves
//! some of it unread (a 413, or any answer given before the body was read), drained behind the
//! answer. The status and headers go at once; the answer's own bytes follow once the rest of
//! the body has come in, or the client stopped sending it, or a bound was reached. A body left
//! unread makes the server drop the connection it came on, and a proxy that reuses connections
//! (wrangler dev's, among others) then fails the next request on it.

use std::time::Duration;

use futures_util::future::{select, Either};
use worker::js_sys::{Reflect, Uint8Array};
use worker::wasm_bindgen::JsCast;
use worker::wasm_bindgen_futures::JsFuture;
use worker::web_sys::{ReadableStream, ReadableStreamDefaultReader};
use worker::{Delay, FixedLengthStream, Request, Response, ResponseBody, ResponseBuilder};

use crate::clock::now_millis;
use crate::error::ApiError;

/// The largest body we read: anything bigger is answered with 413.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How long a drain waits for the next chunk before it takes the client to have stopped.
const DRAIN_IDLE: Duration = Duration::from_millis(150);
/// How long a drain lasts at most, and how much it reads at most, before it cancels the rest.
const DRAIN_MILLIS: i64 = 5_000;
const DRAIN_BYTES: usize = 100 << 20;

struct Reader(ReadableStreamDefaultReader);

impl Reader {
    fn of(stream: &ReadableStream) -> Self {
        Self(stream.get_reader().unchecked_into())
    }

    /// The next chunk, or `None` at the end of the body.
    async fn chunk(&self) -> Result<Option<Uint8Array>, ApiError> {
        let read =
            JsFuture::from(self.0.read()).await.map_err(|error| ApiError::internal(format!("body: {error:?}")))?;
        let field = |name: &str| Reflect::get(&read, &name.into()).unwrap_or_default();
        if field("done").as_bool().unwrap_or(true) {
            return Ok(None);
        }
        Ok(Some(field("value").unchecked_into()))
    }
}

/// The body, read chunk by chunk: once it passes `MAX_BODY_BYTES` the reading stops, and what
/// is left is the drain's (`drain_behind`), so that a body without `Content-Length` (chunked) is
/// never held whole, however long it is.
pub async fn read(req: &Request) -> Result<Vec<u8>, ApiError> {
    let Some(stream) = req.inner().body() else {
        return Ok(Vec::new());
    };
    let reader = Reader::of(&stream);
    let mut body = Vec::new();
    while let Some(chunk) = reader.chunk().await? {
        if body.len() + chunk.length() as usize > MAX_BODY_BYTES {
            // Unlocked, not cancelled: the drain reads the rest.
            reader.0.release_lock();
            return Err(ApiError::PayloadTooLarge);
        }
        body.extend(chunk.to_vec());
    }
    Ok(body)
}

/// The answer, with its bytes held back until the request's body is drained, if the handler
/// left some of it unread (the body is then unlocked: never read, or given up by `read`).
pub fn drain_behind(req: &worker::web_sys::Request, answer: Response) -> worker::Result<Response> {
    let Some(body) = req.body().filter(|body| !body.locked()) else { return Ok(answer) };
    let ResponseBody::Body(bytes) = answer.body() else { return Ok(answer) };
    let bytes = bytes.clone();
    let length = bytes.len() as u64;
    let tail = futures_util::stream::once(async move {
        discard(&body).await;
        Ok(bytes)
    });
    let stream: worker::worker_sys::FixedLengthStream = FixedLengthStream::wrap(tail, length).into();
    Ok(ResponseBuilder::new()
        .with_status(answer.status_code())
        .with_headers(answer.headers().clone())
        .stream(stream.readable()))
}

/// Reads the body to its end and drops it, unless the client stops sending for `DRAIN_IDLE`,
/// or it takes longer than `DRAIN_MILLIS` or more than `DRAIN_BYTES`: then what is left is
/// cancelled.
async fn discard(body: &ReadableStream) {
    let reader = Reader::of(body);
    let deadline = now_millis() + DRAIN_MILLIS;
    let mut read = 0usize;
    while read <= DRAIN_BYTES && now_millis() < deadline {
        let next = Box::pin(reader.chunk());
        match select(next, Delay::from(DRAIN_IDLE)).await {
            Either::Left((Ok(Some(chunk)), _)) => read += chunk.length() as usize,
            // The end of the body, or it failed: nothing left to drain.
            Either::Left((Ok(None) | Err(_), _)) => return,
            Either::Right(_) => break,
        }
    }
    let _ = JsFuture::from(reader.0.cancel()).await;
}
