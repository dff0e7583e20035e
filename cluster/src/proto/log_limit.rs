//! [`LogLimit`]: keeps what a peer can make us log bounded. The first few events of a
//! kind in each window are logged in full; the rest are only counted, and the count is
//! logged once per window and when the connection ends.

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
    pub(crate) fn allow(&mut self) -> (bool, u64) {
        let now = Instant::now();
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
        let logged = (0..10_000).filter(|_| l.allow().0).count();
        assert_eq!(logged, PER_WINDOW as usize);
        assert_eq!(l.take_suppressed(), 10_000 - u64::from(PER_WINDOW));
        assert_eq!(l.take_suppressed(), 0);
    }
}
