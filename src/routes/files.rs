//! `/room/{room_id}/files`: uploading a file to a room (its bytes streamed into R2, never held
//! by the worker) and fetching one, behind the room's own access rules. The room's object keeps
//! what each file is and which message carries it (`live::files`).

use std::collections::HashMap;

use futures_util::future::join;
use worker::{Data, HttpMetadata, Range, Request, Response};

use super::messages::room_for;
use super::{caller, db, room_db, Ctx, RoomRead};
use crate::auth::random_bytes;
use crate::clock::now_millis;
use crate::domain::files::{disposition, FileView, Ranged, MAX_FILES};
use crate::domain::{Action, FileId, FileName, MediaType, Mentions, RoomId, UserId};
use crate::error::ApiError;
use crate::http::{json, param, read_query_input};
use crate::live::files::{bucket, key};
use crate::live::protocol::NewFile;
use crate::store::files::{release, reserve, Reserved};
use crate::store::rooms::{self, permitted, RoomQuery};
use crate::store::Db;

/// `GET /limits` → 200 `{file_max_bytes, file_bytes_per_day, files_per_message}`: what an upload
/// and a post may carry here, so that a client refuses a file before sending it.
pub async fn limits(_req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let config = &ctx.data.config;
    json(
        200,
        &serde_json::json!({
            "file_max_bytes": config.file_max_bytes,
            "file_bytes_per_day": config.file_bytes_per_day,
            "files_per_message": MAX_FILES,
        }),
    )
}

/// `POST /room/{room_id}/files?name=` (`Authorization: Bearer`; the body the file's bytes,
/// `Content-Type` its type, `Content-Length` its size) → 201 `{file_id, name, type, size}`: a
/// present member's upload, under `FILE_MAX_BYTES` (else 413, nothing kept) and their
/// `FILE_BYTES_PER_DAY` (else 429). The bytes go from the request to R2 as they come.
pub async fn upload(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let input = read_query_input(&req)?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let name = FileName::parse(input.required_text("name")?)?;
    let media_type = MediaType::parse(req.headers().get("Content-Type")?.as_deref())?;
    let size = declared_size(&req)?;
    let config = &ctx.data.config;
    if size > config.file_max_bytes {
        // Answered at once; the body is drained behind the answer (`http::body`).
        return Err(ApiError::FileTooLarge(format!("a file is at most {} bytes", config.file_max_bytes)));
    }
    // The body is the file: the key can only come as a header, and without one this is a 401.
    if input.key()?.is_none() {
        return Err(ApiError::Unauthorized("send your key as Authorization: Bearer"));
    }
    let caller = caller(&ctx, &input).await?;
    let query = RoomQuery { room_id: &room_id, caller: Some(&caller), target: None };
    let (_, object) = room_for(&ctx, query, Action::Post, &Mentions::NONE).await?;
    let db = db(&ctx)?;
    let reserved = match config.file_bytes_per_day {
        None => None,
        Some(max) => Some(reserve(&db, &caller.user_id, size, max, now_millis()).await?.map_err(|retry_after| {
            ApiError::TooManyRequests { message: "too many bytes uploaded today: try again later", retry_after }
        })?),
    };
    let file = NewFile {
        file_id: FileId::from_random_bytes(random_bytes()?),
        user_id: caller.user_id,
        name,
        media_type,
        size,
    };
    let key = key(&room_id.to_string(), &file.file_id.to_string());
    let kept = match store(&ctx, &req, &key, &file).await {
        Ok(()) => object.call(file.clone()).await.map_err(|error| (error, true)),
        Err(error) => Err((error, false)),
    };
    if let Err((error, in_r2)) = kept {
        give_back(&ctx, &db, &caller.user_id, reserved, in_r2.then_some(key.as_str())).await;
        return Err(error);
    }
    let view = FileView { file_id: file.file_id, name: file.name, media_type: file.media_type, size: file.size };
    json(201, &view)
}

/// The size the upload says it is: uploads must say it (`411` otherwise), as R2 takes a
/// stream of a known length, and an oversized file is then refused before any byte is read.
fn declared_size(req: &Request) -> Result<u64, ApiError> {
    let length = req.headers().get("Content-Length")?.ok_or(ApiError::LengthRequired)?;
    let length = length.trim();
    if length.is_empty() || !length.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ApiError::bad_request("Content-Length must be a number of bytes"));
    }
    length.parse().map_err(|_| ApiError::FileTooLarge("the file is too large".into()))
}

/// The request's body, as it comes, into R2 under `key`, with the file's type and name.
async fn store(ctx: &Ctx, req: &Request, key: &str, file: &NewFile) -> Result<(), ApiError> {
    let bucket = bucket(&ctx.env)?;
    let body = match req.inner().body() {
        Some(stream) if file.size > 0 => Data::ReadableStream(stream),
        _ => Data::Bytes(Vec::new()),
    };
    let metadata = HttpMetadata { content_type: Some(file.media_type.as_str().to_owned()), ..HttpMetadata::default() };
    let custom = HashMap::from([("name".to_owned(), file.name.as_str().to_owned())]);
    let stored = bucket.put(key, body).http_metadata(metadata).custom_metadata(custom).execute().await?;
    let stored = stored.ok_or_else(|| ApiError::internal("R2: a put without its object"))?;
    if stored.size() != file.size {
        bucket.delete(key).await?;
        return Err(ApiError::bad_request("the body is not as long as Content-Length says"));
    }
    Ok(())
}

/// An upload that failed gives its bytes back to the day, and leaves R2 if it got there: best
/// effort, a failure logged (what stays in R2 is under no room's record, and never served).
async fn give_back(ctx: &Ctx, db: &Db, user: &UserId, reserved: Option<Reserved>, key: Option<&str>) {
    if let Some(reserved) = reserved {
        if let Err(error) = release(db, user, reserved).await {
            ctx.data.log.failed(&format!("upload bytes not given back: {}", error.detail()));
        }
    }
    if let Some(key) = key {
        let deleted = match bucket(&ctx.env) {
            Ok(bucket) => bucket.delete(key).await.map_err(ApiError::from),
            Err(error) => Err(error),
        };
        if let Err(error) = deleted {
            ctx.data.log.failed(&format!("a failed upload left in R2: {}", error.detail()));
        }
    }
}

/// `GET /room/{room_id}/files/{file_id}` → the file's bytes, to whoever may read the room (else
/// the room's 404): the safe image types as themselves and inline, everything else as
/// `application/octet-stream` to save; `Range` answered with 206, `If-None-Match` with 304.
/// R2 is asked while the room is (its answer is used only once the room said yes): the file's
/// first byte waits for the slower of the two, not for both in turn.
pub async fn download(req: Request, ctx: Ctx) -> Result<Response, ApiError> {
    let range = req.headers().get("Range")?;
    let if_none_match = req.headers().get("If-None-Match")?;
    let room_id = param(&ctx, "room_id", RoomId::parse)?;
    let file_id = param(&ctx, "file_id", FileId::parse)?;
    let bucket = bucket(&ctx.env)?;
    let key = key(&room_id.to_string(), &file_id.to_string());
    // Whether the caller may read the room: its D1 batch alone (no call of the room's object).
    let allowed = async {
        let request = RoomRead::new(req, &ctx).await?;
        let db = room_db(&ctx, &request.query(), Action::View)?;
        permitted(rooms::find(&db, request.query()).await?, Action::View).map(drop)
    };
    let (allowed, fetched) = join(allowed, fetch(&bucket, &key, range.as_deref(), if_none_match.as_deref())).await;
    allowed?;
    let (object, ranged) = match fetched? {
        Fetched::Object(object, ranged) => (object, ranged),
        Fetched::NotModified(etag) => {
            let mut response = Response::empty()?.with_status(304);
            response.headers_mut().set("ETag", &etag)?;
            return Ok(response);
        }
    };
    let size = object.size();
    let media_type = MediaType::parse(object.http_metadata().content_type.as_deref()).unwrap_or_default();
    let name = object
        .custom_metadata()
        .ok()
        .and_then(|metadata| metadata.get("name").and_then(|name| FileName::parse(name).ok()))
        .unwrap_or_default();
    let etag = object.http_etag();
    let body = object.body().ok_or_else(|| ApiError::internal("R2: an object without a body"))?.response_body()?;
    let (status, length) = match ranged {
        Ranged::Part { first, last } => (206, last - first + 1),
        _ => (200, size),
    };
    let mut response = Response::from_body(body)?.with_status(status);
    let headers = response.headers_mut();
    headers.set("Content-Type", media_type.served())?;
    headers.set("Content-Disposition", &disposition(media_type.is_inline_image(), &name))?;
    headers.set("Content-Security-Policy", "sandbox")?;
    headers.set("Cache-Control", "private, max-age=3600")?;
    headers.set("ETag", &etag)?;
    headers.set("Accept-Ranges", "bytes")?;
    headers.set("Content-Length", &length.to_string())?;
    if let Ranged::Part { first, last } = ranged {
        headers.set("Content-Range", &format!("bytes {first}-{last}/{size}"))?;
    }
    Ok(response)
}

/// What R2 has of a file, as the request asks for it.
enum Fetched {
    /// The object (its body the range asked for, or all of it).
    Object(worker::Object, Ranged),
    /// The copy the caller has is the file: its tag.
    NotModified(String),
}

/// The file from R2: first what it is (its size, its tag) when the answer depends on it.
async fn fetch(
    bucket: &worker::Bucket,
    key: &str,
    range: Option<&str>,
    if_none_match: Option<&str>,
) -> Result<Fetched, ApiError> {
    let gone = || ApiError::NotFound("no such file in this room");
    if range.is_none() && if_none_match.is_none() {
        return Ok(Fetched::Object(bucket.get(key).execute().await?.ok_or_else(gone)?, Ranged::Whole));
    }
    let head = bucket.head(key).await?.ok_or_else(gone)?;
    let etag = head.http_etag();
    if if_none_match.is_some_and(|tags| tags.split(',').any(|tag| tag.trim() == etag || tag.trim() == "*")) {
        return Ok(Fetched::NotModified(etag));
    }
    let ranged = Ranged::of(range, head.size());
    let object = match ranged {
        Ranged::Whole => bucket.get(key).execute().await?,
        Ranged::Part { first, last } => {
            bucket.get(key).range(Range::OffsetWithLength { offset: first, length: last - first + 1 }).execute().await?
        }
        Ranged::Unsatisfiable => return Err(ApiError::RangeNotSatisfiable { size: head.size() }),
    };
    Ok(Fetched::Object(object.ok_or_else(gone)?, ranged))
}
