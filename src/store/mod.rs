//! Every SQL statement and KV call of the service, one function per query or batch, with
//! typed results. Handlers never see SQL.

pub mod directory;
pub mod messages;
pub mod rooms;
pub mod sessions;
pub mod sql;
pub mod users;

use serde::de::DeserializeOwned;
use worker::wasm_bindgen::JsValue;
use worker::{D1Database, D1PreparedStatement, D1Result, Env};

use crate::error::ApiError;
use crate::trips::Trips;

pub use sessions::Sessions;

/// The D1 database, counting its round trips.
pub struct Db {
    d1: D1Database,
    trips: Trips,
}

impl Db {
    pub fn open(env: &Env, trips: &Trips) -> Result<Self, ApiError> {
        let d1 = env.d1("DB").map_err(|error| ApiError::Unavailable(format!("D1 binding DB: {error}")))?;
        Ok(Self { d1, trips: trips.clone() })
    }

    fn prepare(&self, sql: &str, args: &[JsValue]) -> Result<D1PreparedStatement, ApiError> {
        self.d1.prepare(sql).bind(args).map_err(|error| ApiError::internal(format!("binding {sql}: {error}")))
    }

    async fn first<T: DeserializeOwned>(&self, statement: D1PreparedStatement) -> Result<Option<T>, ApiError> {
        self.trips.d1();
        statement.first(None).await.map_err(d1_error)
    }

    /// Runs the statements in one round trip, as one transaction: all or nothing.
    async fn batch(&self, statements: Vec<D1PreparedStatement>) -> Result<Vec<D1Result>, ApiError> {
        self.trips.d1();
        self.d1.batch(statements).await.map_err(d1_error)
    }
}

fn d1_error(error: worker::Error) -> ApiError {
    ApiError::internal(format!("d1: {error}"))
}

fn rows<T: DeserializeOwned>(result: &D1Result) -> Result<Vec<T>, ApiError> {
    result.results().map_err(d1_error)
}

/// The rows of statement `index` of a batch.
fn batch_rows<T: DeserializeOwned>(results: &[D1Result], index: usize) -> Result<Vec<T>, ApiError> {
    let result = results.get(index).ok_or_else(|| ApiError::internal(format!("batch has no result {index}")))?;
    rows(result)
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

/// The current time in milliseconds since the Unix epoch.
pub fn now_millis() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX)
}
