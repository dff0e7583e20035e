//! Session numbering of a cluster sender, as the reference's `clustersender` does:
//! per remote node from 1; every call, query and multi-part push consumes one; a
//! single-frame push carries 0 and consumes none; after 2^31-1 comes 1 again; a
//! reconnect does not reset the counter.

use std::sync::atomic::{AtomicU32, Ordering};

use crate::frame::consumes_session;

/// The highest session a sender uses (`i32::MAX`); the next one is 1.
pub const MAX_SESSION: u32 = i32::MAX as u32;

/// The session after `s`: `s + 1`, or 1 after [`MAX_SESSION`] (and for 0 or anything
/// out of range).
///
/// ```
/// use skynet_cluster::session::{next_session, MAX_SESSION};
/// assert_eq!(next_session(1), 2);
/// assert_eq!(next_session(MAX_SESSION), 1);
/// ```
#[inline]
pub fn next_session(s: u32) -> u32 {
    if (1..MAX_SESSION).contains(&s) {
        s + 1
    } else {
        1
    }
}

/// A valid first session: `first` when it is in 1..=2^31-1, else 1.
#[inline]
fn clamp(first: u32) -> u32 {
    if (1..=MAX_SESSION).contains(&first) {
        first
    } else {
        1
    }
}

/// The sans-IO session counter of one sender.
///
/// ```
/// use skynet_cluster::SessionCounter;
///
/// let mut s = SessionCounter::new();
/// assert_eq!(s.next_for(false, 10), 1);      // call
/// assert_eq!(s.next_for(true, 10), 0);       // single-frame push: 0, nothing consumed
/// assert_eq!(s.next_for(true, 40_000), 2);   // multi-part push consumes one
/// assert_eq!(s.consume(), 3);                   // query
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCounter {
    next: u32,
}

impl Default for SessionCounter {
    fn default() -> Self {
        Self::new()
    }
}

impl SessionCounter {
    /// A counter whose first session is 1.
    pub fn new() -> Self {
        Self { next: 1 }
    }

    /// A counter whose first session is `first` (1 when `first` is 0 or above 2^31-1).
    pub fn starting_at(first: u32) -> Self {
        Self { next: clamp(first) }
    }

    /// The session the next call would get.
    pub fn peek(&self) -> u32 {
        self.next
    }

    /// Consumes and returns one session (a call, a query, a multi-part push).
    pub fn consume(&mut self) -> u32 {
        let s = self.next;
        self.next = next_session(s);
        s
    }

    /// The session a message gets: 0 without consuming for a push that fits one
    /// frame, else [`consume`](Self::consume).
    pub fn next_for(&mut self, push: bool, payload_len: usize) -> u32 {
        if consumes_session(push, payload_len) {
            self.consume()
        } else {
            0
        }
    }
}

/// [`SessionCounter`] shared between tasks (lock-free).
#[derive(Debug)]
pub struct AtomicSessionCounter {
    next: AtomicU32,
}

impl Default for AtomicSessionCounter {
    fn default() -> Self {
        Self::starting_at(1)
    }
}

impl AtomicSessionCounter {
    /// A counter whose first session is `first` (1 when `first` is 0 or above 2^31-1).
    pub fn starting_at(first: u32) -> Self {
        Self {
            next: AtomicU32::new(clamp(first)),
        }
    }

    /// The session the next call would get.
    pub fn peek(&self) -> u32 {
        self.next.load(Ordering::Relaxed)
    }

    /// Consumes and returns one session.
    #[inline]
    pub fn consume(&self) -> u32 {
        let prev = self
            .next
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |s| {
                Some(next_session(s))
            });
        // fetch_update with a closure that always returns Some cannot fail.
        match prev {
            Ok(s) | Err(s) => clamp(s),
        }
    }

    /// As [`SessionCounter::next_for`].
    #[inline]
    pub fn next_for(&self, push: bool, payload_len: usize) -> u32 {
        if consumes_session(push, payload_len) {
            self.consume()
        } else {
            0
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wraps_to_one() {
        let mut s = SessionCounter::starting_at(MAX_SESSION - 1);
        assert_eq!(s.consume(), MAX_SESSION - 1);
        assert_eq!(s.consume(), MAX_SESSION);
        assert_eq!(s.consume(), 1);
        let a = AtomicSessionCounter::starting_at(MAX_SESSION);
        assert_eq!(a.consume(), MAX_SESSION);
        assert_eq!(a.consume(), 1);
        assert_eq!(a.consume(), 2);
    }

    #[test]
    fn bad_starts_clamp() {
        assert_eq!(SessionCounter::starting_at(0).peek(), 1);
        assert_eq!(SessionCounter::starting_at(u32::MAX).peek(), 1);
        assert_eq!(AtomicSessionCounter::starting_at(1 << 31).peek(), 1);
    }

    #[test]
    fn pushes() {
        let a = AtomicSessionCounter::default();
        assert_eq!(a.next_for(true, 32767), 0);
        assert_eq!(a.next_for(true, 32768), 1);
        assert_eq!(a.next_for(false, 0), 2);
    }
}
