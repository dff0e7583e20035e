//! [`LogLimit`]: keeps what a peer can make us log bounded. The first few events of a
//! kind in each window are logged in full; the rest are only counted, and the count is
//! logged once per window and when the connection ends. The clock is passed in.

use std::time::{Duration, Instant};

/// Events logged in full per window.
const PER_WINDOW: u32 = 5;
/// The window.
const WINDOW: Duration = Duration::from_secs(10);

/// A per-connection budget for one kind of log line.
#[derive(Debug, Default)]
pub(crate) struct LogLimit {
    window_start: Option<Instant>,
    logged: u32,
    suppressed: u64,
}

impl LogLimit {
    /// Whether this event may be logged in full. When a window ends with events
    /// counted but not logged, returns their number too (to log as one line).
    pub(crate) fn allow(&mut self, now: Instant) -> (bool, u64) {
        let mut flushed = 0;
        match self.window_start {
            Some(start) if now.duration_since(start) < WINDOW => {}
            _ => {
                flushed = std::mem::take(&mut self.suppressed);
                self.window_start = Some(now);
                self.logged = 0;
            }
        }
        if self.logged < PER_WINDOW {
            self.logged += 1;
            (true, flushed)
        } else {
            self.suppressed += 1;
            (false, flushed)
        }
    }

    /// Events counted and not logged since the last report.
    pub(crate) fn take_suppressed(&mut self) -> u64 {
        std::mem::take(&mut self.suppressed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_first_few_per_window_are_logged() {
        let mut l = LogLimit::default();
        let t0 = Instant::now();
        let logged = (0..10_000).filter(|_| l.allow(t0).0).count();
        assert_eq!(logged, PER_WINDOW as usize);
        assert_eq!(l.take_suppressed(), 10_000 - u64::from(PER_WINDOW));
        assert_eq!(l.take_suppressed(), 0);
    }

    #[test]
    fn a_new_window_reports_the_count_of_the_last() {
        let mut l = LogLimit::default();
        let t0 = Instant::now();
        for _ in 0..8 {
            l.allow(t0);
        }
        // Still the same window: counted, not logged.
        assert_eq!(l.allow(t0 + WINDOW - Duration::from_millis(1)), (false, 0));
        // The next window logs again and hands over the 4 counted.
        assert_eq!(l.allow(t0 + WINDOW), (true, 4));
        assert_eq!(l.take_suppressed(), 0);
    }
}
