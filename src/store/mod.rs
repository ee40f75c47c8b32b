//! Every SQL statement and KV call of the service, one function per query or batch, with
//! typed results. Handlers never see SQL.

pub mod blocks;
pub mod directory;
pub mod files;
pub mod inboxes;
pub mod limits;
pub mod outbox;
pub mod rooms;
pub mod sessions;
pub mod sql;
pub mod users;

use std::marker::PhantomData;

use serde::de::DeserializeOwned;
use serde::Deserialize;
use worker::js_sys::{self, JSON};
use worker::wasm_bindgen::{JsCast, JsValue};
use worker::wasm_bindgen_futures::JsFuture;
use worker::worker_sys::types::D1DatabaseSession as D1DatabaseSessionSys;
use worker::{D1DatabaseSession, D1PreparedStatement, Env};

use crate::domain::Bookmark;
use crate::error::ApiError;
use crate::log::RequestLog;

pub use sessions::{Caller, Sessions};

/// The D1 database, through one session of D1's Sessions API, counting its round trips into
/// the request's log and keeping the session's latest bookmark there (the answer's
/// `X-D1-Bookmark`).
pub struct Db {
    session: D1DatabaseSession,
    log: RequestLog,
}

impl Db {
    /// On the primary: every write, and every read that decides who may do what (a key's
    /// guard, a member's standing), sees the latest state.
    pub fn open(env: &Env, log: &RequestLog) -> Result<Self, ApiError> {
        Self::session(env, log, "first-primary")
    }

    /// Reads that may be a moment stale (the directory, profiles, what a viewer without a key
    /// sees of an open room): any replica, but one at least as recent as `bookmark`, the
    /// client's latest, so that it reads its own writes. Nothing here may decide an access.
    pub fn replica(env: &Env, log: &RequestLog, bookmark: Option<&Bookmark>) -> Result<Self, ApiError> {
        Self::session(env, log, bookmark.map_or("first-unconstrained", Bookmark::as_str))
    }

    fn session(env: &Env, log: &RequestLog, anchor: &str) -> Result<Self, ApiError> {
        let d1 = env.d1("DB").map_err(|error| ApiError::Unavailable(format!("D1 binding DB: {error}")))?;
        let session =
            d1.with_session(Some(anchor)).map_err(|error| ApiError::internal(format!("d1 session: {error}")))?;
        Ok(Self { session, log: log.clone() })
    }

    fn prepare(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        self.session.prepare(sql).bind(args).map_err(|error| ApiError::internal(format!("binding {sql}: {error}")))
    }

    /// The session's bookmark after a round trip, for the answer.
    fn note_bookmark(&self) {
        if let Ok(Some(bookmark)) = self.session.get_bookmark() {
            self.log.bookmark(bookmark);
        }
    }

    /// `sql` bound to as many of `args`, from the first, as it has parameters: statements that
    /// share one list of values use a prefix of it each, and D1 refuses values beyond the last.
    fn prepare_leading(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        self.prepare(sql, args.get(..sql::highest_parameter(sql)).unwrap_or(args))
    }

    /// The first row, if any. Rows cross from JavaScript as one JSON text (`JSON.stringify`)
    /// rather than field by field, which costs far fewer calls across the boundary.
    async fn first<T: DeserializeOwned>(&self, statement: D1PreparedStatement) -> Result<Option<T>, ApiError> {
        self.log.d1();
        let promise = statement.inner().first(None).map_err(d1_error)?;
        let row = JsFuture::from(promise).await.map_err(d1_error)?;
        self.note_bookmark();
        serde_json::from_str(&stringify(&row)?).map_err(|error| ApiError::internal(format!("d1 row: {error}")))
    }

    /// Runs the statements in one round trip, as one transaction: all or nothing.
    async fn run_batch(&self, statements: &[D1PreparedStatement]) -> Result<Vec<StatementResult>, ApiError> {
        self.log.d1();
        let statements: js_sys::Array =
            statements.iter().map(|statement| JsValue::from(statement.inner().clone())).collect();
        let session: &D1DatabaseSessionSys = self.session.as_ref().unchecked_ref();
        let promise = session.session_batch(statements).map_err(d1_error)?;
        let results = JsFuture::from(promise).await.map_err(d1_error)?;
        self.note_bookmark();
        let results: Vec<StatementResult> = serde_json::from_str(&stringify(&results)?)
            .map_err(|error| ApiError::internal(format!("d1 results: {error}")))?;
        self.log.rows_written(results.iter().map(|result| result.meta.rows_written).sum());
        Ok(results)
    }
}

/// Statements to run in one round trip, as one transaction. `read` hands back a handle to the
/// statement's rows, typed, to take from the results by name rather than by position.
pub(crate) struct Batch<'db> {
    db: &'db Db,
    statements: Vec<D1PreparedStatement>,
    /// The guards among the statements: the named CHECK whose failure (which rolls the whole
    /// batch back) means each one's refusal, and the answer for it.
    guards: Vec<(&'static str, ApiError)>,
}

/// Where a batch's results hold the rows of one statement, and what they deserialize into.
pub(crate) struct Rows<T> {
    index: usize,
    row: PhantomData<fn() -> T>,
}

impl<'db> Batch<'db> {
    /// A batch of a request that presents no key.
    pub fn new(db: &'db Db) -> Self {
        Self { db, statements: Vec::new(), guards: Vec::new() }
    }

    /// A batch of a request by `caller`, if it presented a key: it starts with the key guard
    /// (`sql::GUARD_KEY`), so that the whole batch fails, writing nothing, and answers 401
    /// unless D1 still holds the key's live session row. KV vouched for the key; D1 decides.
    pub fn of_caller(db: &'db Db, caller: Option<&Caller>) -> Result<Self, ApiError> {
        let mut batch = Self::new(db);
        if let Some(caller) = caller {
            let args = [text(caller.key.as_str()), text(&caller.user_id.to_string()), int(crate::clock::now_millis())];
            batch.guard(db.prepare(sql::GUARD_KEY, &args)?, DEAD_KEY, ApiError::INVALID_KEY);
        }
        Ok(batch)
    }

    /// A guard: a statement that fails the whole batch, writing nothing, by breaking the CHECK
    /// named in `constraint` (SQLite's words: `CHECK constraint failed: <name>`); the batch then
    /// answers `refusal`.
    pub fn guard(&mut self, statement: D1PreparedStatement, constraint: &'static str, refusal: ApiError) {
        self.statements.push(statement);
        self.guards.push((constraint, refusal));
    }

    /// A statement whose rows are wanted.
    pub fn read<T: DeserializeOwned>(&mut self, statement: D1PreparedStatement) -> Rows<T> {
        self.statements.push(statement);
        Rows { index: self.statements.len() - 1, row: PhantomData }
    }

    /// A statement run for its effect alone.
    pub fn write(&mut self, statement: D1PreparedStatement) {
        self.statements.push(statement);
    }

    pub async fn run(self) -> Result<Results, ApiError> {
        match self.db.run_batch(&self.statements).await {
            Err(ApiError::Internal(detail)) => {
                let refused = self.guards.into_iter().find(|(constraint, _)| detail.contains(constraint));
                Err(refused.map_or(ApiError::Internal(detail), |(_, refusal)| refusal))
            }
            results => Ok(Results(results?)),
        }
    }
}

fn stringify(value: &JsValue) -> Result<String, ApiError> {
    let text = JSON::stringify(value).map_err(d1_error)?;
    Ok(text.into())
}

/// How SQLite words the refusal of `dead_key_guard`'s named CHECK (migrations/0006).
pub const DEAD_KEY: &str = "CHECK constraint failed: key_is_dead";
/// How SQLite words the refusal of `handle_guard`'s named CHECK (migrations/0010).
pub const HANDLE_IS_TAKEN: &str = "CHECK constraint failed: handle_is_taken";

/// What D1 threw: its message, and the cause that carries SQLite's own words.
fn d1_error(error: JsValue) -> ApiError {
    let message = |value: &JsValue| value.dyn_ref::<js_sys::Error>().map(|error| String::from(error.message()));
    let cause = error.dyn_ref::<js_sys::Error>().and_then(|error| message(&error.cause()));
    let text = message(&error).unwrap_or_else(|| format!("{error:?}"));
    ApiError::internal(match cause {
        Some(cause) => format!("d1: {text} ({cause})"),
        None => format!("d1: {text}"),
    })
}

/// One page of a list about `subject` (a user's id, a handle's start) and the list's count, in
/// one batch guarded by the caller's key: `page_sql` takes `?1` the subject, `?2` the limit and
/// `?3` the offset, `count_sql` `?1`. The count is `None` when its statement gave no row.
pub(crate) async fn page_and_count<T: DeserializeOwned>(
    db: &Db,
    caller: &Caller,
    (page_sql, count_sql): (&str, &str),
    subject: &str,
    page: crate::domain::Page,
) -> Result<(Vec<T>, Option<i64>), ApiError> {
    let mut batch = Batch::of_caller(db, Some(caller))?;
    let (limit, offset) = (int(i64::from(page.limit)), int(i64::from(page.offset)));
    let items = batch.read::<T>(db.prepare(page_sql, &[text(subject), limit, offset])?);
    let count = batch.read::<CountRow>(db.prepare(count_sql, &[text(subject)])?);
    let results = batch.run().await?;
    Ok((results.rows(&items)?, results.first(&count)?.map(|row| row.count)))
}

/// A count, as a statement answers it (`SELECT count(*) AS count ...`).
#[derive(Deserialize)]
pub(crate) struct CountRow {
    pub count: i64,
}

/// One statement's rows, as D1 answered them.
#[derive(Deserialize)]
struct StatementResult {
    #[serde(default)]
    results: Vec<serde_json::Value>,
    #[serde(default)]
    meta: StatementMeta,
}

/// What D1 says a statement cost.
#[derive(Default, Deserialize)]
struct StatementMeta {
    #[serde(default)]
    rows_written: u64,
}

/// The rows of each statement of a batch.
pub(crate) struct Results(Vec<StatementResult>);

impl Results {
    /// The rows of the statement behind `rows`.
    pub fn rows<T: DeserializeOwned>(&self, rows: &Rows<T>) -> Result<Vec<T>, ApiError> {
        self.of(rows)?.iter().map(|row| rows.parse(row)).collect()
    }

    /// The first row of the statement behind `rows`, if it gave any.
    pub fn first<T: DeserializeOwned>(&self, rows: &Rows<T>) -> Result<Option<T>, ApiError> {
        self.of(rows)?.first().map(|row| rows.parse(row)).transpose()
    }

    fn of<T>(&self, rows: &Rows<T>) -> Result<&[serde_json::Value], ApiError> {
        let result =
            self.0.get(rows.index).ok_or_else(|| ApiError::internal(format!("batch has no result {}", rows.index)))?;
        Ok(&result.results)
    }
}

impl<T: DeserializeOwned> Rows<T> {
    fn parse(&self, row: &serde_json::Value) -> Result<T, ApiError> {
        T::deserialize(row).map_err(|error| ApiError::internal(format!("d1 row {}: {error}", self.index)))
    }
}

fn text(value: &str) -> JsValue {
    JsValue::from_str(value)
}

fn optional_text(value: Option<&str>) -> JsValue {
    value.map_or(JsValue::NULL, JsValue::from_str)
}

/// SQLite integers travel through JavaScript numbers: exact up to 2^53.
fn int(value: i64) -> JsValue {
    JsValue::from_f64(value as f64)
}

fn flag(value: bool) -> JsValue {
    int(i64::from(value))
}
