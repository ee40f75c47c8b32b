//! The clock: the platform's time, in milliseconds since the Unix epoch.

/// Now. Inside workerd the clock does not advance during computation, only across I/O.
pub fn now_millis() -> i64 {
    i64::try_from(worker::Date::now().as_millis()).unwrap_or(i64::MAX)
}
