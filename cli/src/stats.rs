//! What the benchmark subcommands (`skynet-cluster bench`, `sproto bench`) measure:
//! per-task tallies of latencies and errors, and their summary (percentiles).

use std::collections::BTreeMap;
use std::time::Duration;

/// A failed call that came back faster than this is followed by a pause of the same
/// length, so a benchmark does not spin on instant failures (a node in its reconnect
/// back-off) and count millions of them.
pub const FAST_FAILURE: Duration = Duration::from_millis(5);

/// What one benchmark task measured.
#[derive(Debug, Default)]
pub struct Tally {
    /// The latency of each successful call, in nanoseconds.
    pub latencies_ns: Vec<u64>,
    /// Failed calls.
    pub errors: u64,
    /// Failed calls by kind.
    pub errors_by_kind: BTreeMap<&'static str, u64>,
    /// What the first failure said.
    pub first_error: Option<String>,
}

impl Tally {
    /// Counts a successful call that took `latency`.
    pub fn ok(&mut self, latency: Duration) {
        self.latencies_ns
            .push(u64::try_from(latency.as_nanos()).unwrap_or(u64::MAX));
    }

    /// Counts a failed call of `kind`; `describe` is asked only for the first failure.
    pub fn error(&mut self, kind: &'static str, describe: impl FnOnce() -> String) {
        self.errors += 1;
        *self.errors_by_kind.entry(kind).or_default() += 1;
        self.first_error.get_or_insert_with(describe);
    }
}

/// The tallies of every task together.
///
/// ```
/// use std::time::Duration;
/// use sproto_cli::stats::{Summary, Tally};
///
/// let mut t = Tally::default();
/// for us in [3, 1, 2, 4] {
///     t.ok(Duration::from_micros(us));
/// }
/// t.error("timeout", || "no reply within 1 s".into());
/// let s = Summary::new([t]);
/// assert_eq!((s.calls(), s.errors, s.first_error.as_deref()), (4, 1, Some("no reply within 1 s")));
/// assert_eq!(s.errors_by_kind["timeout"], 1);
/// assert_eq!((s.percentile_us(0.5), s.percentile_us(0.99), s.mean_us()), (2.0, 4.0, 2.5));
/// ```
#[derive(Debug, Default)]
pub struct Summary {
    sorted_ns: Vec<u64>,
    /// Failed calls.
    pub errors: u64,
    /// Failed calls by kind.
    pub errors_by_kind: BTreeMap<&'static str, u64>,
    /// The first failure of the first task that had one.
    pub first_error: Option<String>,
}

impl Summary {
    /// Merges the tallies (the first error is taken in their order).
    pub fn new(tallies: impl IntoIterator<Item = Tally>) -> Self {
        let mut s = Summary::default();
        for t in tallies {
            s.sorted_ns.extend(t.latencies_ns);
            s.errors += t.errors;
            for (k, n) in t.errors_by_kind {
                *s.errors_by_kind.entry(k).or_default() += n;
            }
            if s.first_error.is_none() {
                s.first_error = t.first_error;
            }
        }
        s.sorted_ns.sort_unstable();
        s
    }

    /// The error counts by kind as one line: `timeout 3, connect 12` (empty without
    /// errors).
    pub fn errors_line(&self) -> String {
        self.errors_by_kind
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Successful calls.
    pub fn calls(&self) -> u64 {
        self.sorted_ns.len() as u64
    }

    /// Successful calls per second over `elapsed`.
    pub fn rate(&self, elapsed: Duration) -> f64 {
        self.calls() as f64 / elapsed.as_secs_f64()
    }

    /// The latency under which a fraction `p` (0..=1) of the calls finished, in µs
    /// (nearest rank; 0 without calls).
    pub fn percentile_us(&self, p: f64) -> f64 {
        let n = self.sorted_ns.len();
        if n == 0 {
            return 0.0;
        }
        let i = ((n as f64 * p).ceil() as usize).clamp(1, n) - 1;
        self.sorted_ns[i] as f64 / 1000.0
    }

    /// The mean latency in µs (0 without calls).
    pub fn mean_us(&self) -> f64 {
        if self.sorted_ns.is_empty() {
            return 0.0;
        }
        self.sorted_ns.iter().map(|&n| n as f64).sum::<f64>() / self.sorted_ns.len() as f64 / 1000.0
    }

    /// The slowest call in µs (0 without calls).
    pub fn max_us(&self) -> f64 {
        self.sorted_ns.last().map_or(0.0, |&m| m as f64 / 1000.0)
    }
}
