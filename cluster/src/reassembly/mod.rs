//! Reassembly of multi-part messages, keyed by session, with bounded memory per
//! connection: [`RequestAssembler`] (server side: request frames in, whole requests
//! out, the trace tag attached) and [`ResponseAssembler`] (client side: response
//! frames in, whole replies out). Both are sans-IO.
//!
//! [`Limits`] bound what one connection can make us hold: the size of one message,
//! the bytes buffered over all unfinished messages, and their number. Announced sizes
//! are checked before anything is buffered, and buffers grow with the data that
//! actually arrives (at most 1 MiB is reserved ahead per message, and counted).

mod request;
mod response;

pub use request::{Inbound, InboundRequest, RequestAssembler, INVALID_LARGE_REQ, INVALID_NAME};
pub use response::{Outcome, ResponseAssembler, ResponseEvent};

use std::collections::HashMap;

use bytes::Bytes;

use crate::error::FrameError;

/// How much one connection may make its peer's reassembly hold.
///
/// ```
/// let limits = skynet_cluster::Limits { max_message: 1 << 20, ..Default::default() };
/// assert_eq!(limits.max_pending, 1024);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The largest multi-part message accepted, in bytes (default 16 MiB). A larger
    /// announced size is an error before any part is buffered.
    pub max_message: usize,
    /// The most bytes buffered over all unfinished multi-part messages of one
    /// connection (default 64 MiB).
    pub max_buffered: usize,
    /// The most unfinished multi-part messages of one connection (default 1024).
    pub max_pending: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_message: 16 << 20,
            max_buffered: 64 << 20,
            max_pending: 1024,
        }
    }
}

/// What a buffer reserves ahead of the data, at most (counted in `max_buffered`).
const RESERVE_CAP: usize = 1 << 20;

/// One unfinished multi-part message.
#[derive(Debug)]
struct Entry<M> {
    meta: M,
    total: u32,
    data: Vec<u8>,
    /// Bytes counted for this entry in `Parts::buffered` (reserved or held).
    counted: usize,
    /// Inconsistent (duplicate header, overflow, part without header): its data is
    /// dropped and its end reports a size mismatch.
    poisoned: bool,
    /// Bytes that came for it, poisoned or not.
    got: u64,
}

/// The outcome of a finished multi-part message.
#[derive(Debug)]
struct Finished<M> {
    meta: M,
    payload: Result<Bytes, FrameError>,
}

/// What `append` found.
#[derive(Debug, PartialEq, Eq)]
enum Appended {
    /// The data went into a known message (or was dropped for a poisoned one).
    Known,
    /// No message of that session is in progress.
    Unknown,
}

/// Per-session buffers with limits: the part shared by both assemblers.
#[derive(Debug)]
struct Parts<M> {
    entries: HashMap<u32, Entry<M>>,
    buffered: usize,
    limits: Limits,
}

impl<M> Parts<M> {
    fn new(limits: Limits) -> Self {
        Self {
            entries: HashMap::new(),
            buffered: 0,
            limits,
        }
    }

    fn check_count(&self) -> Result<(), FrameError> {
        if self.entries.len() >= self.limits.max_pending {
            return Err(FrameError::TooManyPending {
                limit: self.limits.max_pending,
            });
        }
        Ok(())
    }

    fn check_bytes(&self, extra: usize) -> Result<(), FrameError> {
        let size = self.buffered.saturating_add(extra);
        if size > self.limits.max_buffered {
            return Err(FrameError::BufferLimit {
                size,
                limit: self.limits.max_buffered,
            });
        }
        Ok(())
    }

    /// Starts a message. A second header for a session in progress poisons it (the
    /// reference's reassembly then fails with "Invalid large req").
    fn begin(&mut self, session: u32, total: u32, meta: M) -> Result<(), FrameError> {
        if let Some(e) = self.entries.get_mut(&session) {
            Self::poison(&mut self.buffered, e);
            return Ok(());
        }
        let size = usize::try_from(total).unwrap_or(usize::MAX);
        if size > self.limits.max_message {
            return Err(FrameError::MessageTooLarge {
                session,
                size: u64::from(total),
                limit: self.limits.max_message,
            });
        }
        self.check_count()?;
        let reserve = size.min(RESERVE_CAP);
        self.check_bytes(reserve)?;
        self.buffered += reserve;
        self.entries.insert(
            session,
            Entry {
                meta,
                total,
                data: Vec::with_capacity(reserve),
                counted: reserve,
                poisoned: false,
                got: 0,
            },
        );
        Ok(())
    }

    /// Records a part that came without a header: the message can only fail.
    fn begin_poisoned(&mut self, session: u32, meta: M, got: usize) -> Result<(), FrameError> {
        self.check_count()?;
        self.entries.insert(
            session,
            Entry {
                meta,
                total: 0,
                data: Vec::new(),
                counted: 0,
                poisoned: true,
                got: got as u64,
            },
        );
        Ok(())
    }

    fn poison(buffered: &mut usize, e: &mut Entry<M>) {
        e.poisoned = true;
        *buffered -= e.counted;
        e.counted = 0;
        e.data = Vec::new();
    }

    /// Appends a middle part.
    fn append(&mut self, session: u32, data: &[u8]) -> Result<Appended, FrameError> {
        let Some(e) = self.entries.get_mut(&session) else {
            return Ok(Appended::Unknown);
        };
        e.got = e.got.saturating_add(data.len() as u64);
        if e.poisoned {
            return Ok(Appended::Known);
        }
        let len = e.data.len() + data.len();
        if len > e.total as usize {
            Self::poison(&mut self.buffered, e);
            return Ok(Appended::Known);
        }
        let counted = e.counted.max(len);
        let size = self.buffered - e.counted + counted;
        if size > self.limits.max_buffered {
            return Err(FrameError::BufferLimit {
                size,
                limit: self.limits.max_buffered,
            });
        }
        self.buffered = size;
        e.counted = counted;
        e.data.extend_from_slice(data);
        Ok(Appended::Known)
    }

    /// Ends a message with its last part; `None` when no message of that session is
    /// in progress.
    fn finish(&mut self, session: u32, data: Bytes) -> Option<Finished<M>> {
        let mut e = self.entries.remove(&session)?;
        self.buffered -= e.counted;
        let got = e.got.saturating_add(data.len() as u64);
        let payload = if e.poisoned || got != u64::from(e.total) {
            Err(FrameError::PartsMismatch {
                session,
                total: e.total,
                got,
            })
        } else if e.data.is_empty() {
            // A single last part: no copy.
            Ok(data)
        } else {
            e.data.extend_from_slice(&data);
            Ok(Bytes::from(e.data))
        };
        Some(Finished {
            meta: e.meta,
            payload,
        })
    }

    fn contains(&self, session: u32) -> bool {
        self.entries.contains_key(&session)
    }

    fn remove(&mut self, session: u32) {
        if let Some(e) = self.entries.remove(&session) {
            self.buffered -= e.counted;
        }
    }

    fn buffered(&self) -> usize {
        self.buffered
    }

    fn pending(&self) -> usize {
        self.entries.len()
    }
}
