//! [`Backoff`]: the reconnect back-off of a client after failed connects — from a
//! minimum, doubling with each failure in a row, up to a maximum. Pure: the clock is
//! passed in.

use std::time::{Duration, Instant};

/// The default first wait after a failed connect: 50 ms.
pub const DEFAULT_BACKOFF_MIN: Duration = Duration::from_millis(50);
/// The default longest wait between connect attempts: 2 s.
pub const DEFAULT_BACKOFF_MAX: Duration = Duration::from_secs(2);

/// Failures in a row past which the wait stops doubling (2^15 times the minimum).
const MAX_DOUBLINGS: u32 = 16;

/// The back-off state of one remote node's connect attempts.
///
/// ```
/// use std::time::{Duration, Instant};
/// use skynet_cluster::proto::Backoff;
///
/// let ms = Duration::from_millis;
/// let mut b = Backoff::new(ms(50), ms(300));
/// let t0 = Instant::now();
/// assert_eq!(b.failed(t0), ms(50));
/// assert_eq!(b.remaining(t0 + ms(20)), Some(ms(30)));  // a call now fails at once
/// assert_eq!(b.remaining(t0 + ms(50)), None);          // the next attempt may go
/// assert_eq!(b.failed(t0 + ms(50)), ms(100));
/// assert_eq!(b.failed(t0 + ms(150)), ms(200));
/// assert_eq!(b.failed(t0 + ms(350)), ms(300));         // capped
/// b.reset();                                           // connected
/// assert_eq!(b.failed(t0 + ms(1000)), ms(50));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Backoff {
    min: Duration,
    max: Duration,
    failures: u32,
    until: Option<Instant>,
}

impl Default for Backoff {
    fn default() -> Self {
        Self::new(DEFAULT_BACKOFF_MIN, DEFAULT_BACKOFF_MAX)
    }
}

impl Backoff {
    /// Waits from `min`, doubling, up to `max` (raised to `min` when below it).
    pub fn new(min: Duration, max: Duration) -> Self {
        Self {
            min,
            max: max.max(min),
            failures: 0,
            until: None,
        }
    }

    /// Records a failed attempt at `now`; returns how long the next one waits.
    pub fn failed(&mut self, now: Instant) -> Duration {
        self.failures = self.failures.saturating_add(1);
        let doublings = self.failures.min(MAX_DOUBLINGS).saturating_sub(1);
        let wait = self.min.saturating_mul(1 << doublings).min(self.max);
        // A wait past what `Instant` can hold is no wait (a misconfiguration).
        self.until = now.checked_add(wait);
        wait
    }

    /// Forgets the failures (after a connect, or when the address changed).
    pub fn reset(&mut self) {
        self.failures = 0;
        self.until = None;
    }

    /// How long attempts must still wait at `now`; `None` when one may go.
    pub fn remaining(&self, now: Instant) -> Option<Duration> {
        let left = self.until?.checked_duration_since(now)?;
        (!left.is_zero()).then_some(left)
    }

    /// Failed attempts in a row.
    pub fn failures(&self) -> u32 {
        self.failures
    }
}
