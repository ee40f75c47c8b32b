//! Counts the D1 round trips and KV operations of one request, for the benchmark. Off unless
//! the var `COUNT_ROUND_TRIPS` is `on`; then every answer carries `X-Round-Trips`.

use std::cell::Cell;
use std::rc::Rc;

#[derive(Clone, Default)]
pub struct Trips(Option<Rc<Counts>>);

#[derive(Default)]
struct Counts {
    d1: Cell<u32>,
    kv_reads: Cell<u32>,
    kv_writes: Cell<u32>,
}

impl Trips {
    pub fn new(enabled: bool) -> Self {
        Self(enabled.then(Rc::default))
    }

    pub fn d1(&self) {
        if let Some(counts) = &self.0 {
            counts.d1.set(counts.d1.get() + 1);
        }
    }

    pub fn kv_read(&self) {
        if let Some(counts) = &self.0 {
            counts.kv_reads.set(counts.kv_reads.get() + 1);
        }
    }

    pub fn kv_write(&self) {
        if let Some(counts) = &self.0 {
            counts.kv_writes.set(counts.kv_writes.get() + 1);
        }
    }

    /// `d1=1, kv-read=1, kv-write=0`, or `None` when counting is off.
    pub fn report(&self) -> Option<String> {
        let counts = self.0.as_ref()?;
        Some(format!(
            "d1={}, kv-read={}, kv-write={}",
            counts.d1.get(),
            counts.kv_reads.get(),
            counts.kv_writes.get()
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counting_is_off_unless_asked_for() {
        let trips = Trips::new(false);
        trips.d1();
        assert_eq!(trips.report(), None);
    }

    #[test]
    fn clones_count_into_the_same_totals() {
        let trips = Trips::new(true);
        let clone = trips.clone();
        trips.d1();
        clone.d1();
        clone.kv_read();
        assert_eq!(trips.report().as_deref(), Some("d1=2, kv-read=1, kv-write=0"));
    }
}
