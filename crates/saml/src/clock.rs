//! Injectable time and id sources, so that building and verifying are deterministic under test.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

use time::OffsetDateTime;

/// Where "now" comes from: the builder stamps `IssueInstant` and validity windows with it, the verifier checks them against it.
pub trait Clock: Send + Sync {
    fn now(&self) -> OffsetDateTime;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that says what it is told; tests move it by hand.
#[derive(Debug)]
pub struct FixedClock(Mutex<OffsetDateTime>);

impl FixedClock {
    pub fn new(now: OffsetDateTime) -> Self {
        FixedClock(Mutex::new(now))
    }

    /// Sets the time.
    pub fn set(&self, now: OffsetDateTime) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = now;
    }

    /// Moves the time by `by` (negative moves back).
    pub fn advance(&self, by: time::Duration) {
        let mut now = self.0.lock().unwrap_or_else(|e| e.into_inner());
        *now += by;
    }
}

impl Clock for FixedClock {
    fn now(&self) -> OffsetDateTime {
        *self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where the random part of document ids comes from; each [`crate::IdpStyle`] formats it its own way.
pub trait IdSource: Send + Sync {
    fn next_id(&self) -> u128;
}

/// 128 random bits per id from the operating system's CSPRNG (getrandom, through `rsa`'s `OsRng`).
/// SAML Core §1.3.4: identifiers must have a negligible chance of collision.
#[derive(Debug, Clone, Copy, Default)]
pub struct RandomIds;

impl IdSource for RandomIds {
    fn next_id(&self) -> u128 {
        use rsa::rand_core::RngCore as _;
        let mut buf = [0u8; 16];
        // OsRng panics only if the operating system has no random source at all.
        rsa::rand_core::OsRng.fill_bytes(&mut buf);
        u128::from_be_bytes(buf)
    }
}

/// Ids 1, 2, 3, … from a starting value, for snapshots and reproducible tests.
#[derive(Debug, Default)]
pub struct SequentialIds(AtomicU64);

impl SequentialIds {
    pub fn starting_at(first: u64) -> Self {
        SequentialIds(AtomicU64::new(first))
    }
}

impl IdSource for SequentialIds {
    fn next_id(&self) -> u128 {
        u128::from(self.0.fetch_add(1, Ordering::Relaxed))
    }
}
