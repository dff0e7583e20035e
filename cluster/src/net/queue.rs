//! The outgoing side of a connection: callers and services append encoded frames to
//! one buffer under a short lock; one writer task swaps it out and writes it whole,
//! so frames queued while a write is in progress go out together (few syscalls, no
//! per-frame allocation: the two buffers are reused).

use std::io;
use std::sync::{Mutex, MutexGuard};

use bytes::BytesMut;
use tokio::io::AsyncWriteExt;
use tokio::net::tcp::OwnedWriteHalf;
use tokio::sync::Notify;

use crate::telemetry::QueueMetrics;

/// The queue was closed: the connection is going away.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Closed;

struct State {
    buf: BytesMut,
    closed: bool,
}

/// A connection's outgoing frames.
pub(crate) struct OutQueue {
    state: Mutex<State>,
    /// Wakes the writer when the buffer stops being empty (or on close).
    wake_writer: Notify,
    /// Wakes producers waiting for space, and waiters for `closed`.
    drained: Notify,
    high_water: usize,
    metrics: QueueMetrics,
}

/// What the writer does next.
enum Step {
    /// Frames were swapped out: write them.
    Write,
    /// Nothing queued: wait.
    Wait,
    /// Closed and flushed: stop.
    Finish,
}

/// A buffer whose capacity grew past this is replaced after a write.
const SHRINK_ABOVE: usize = 4 << 20;
/// The starting capacity of each of the two buffers.
const INITIAL: usize = 64 << 10;

impl OutQueue {
    /// A queue whose producers wait (in [`wait_space`](Self::wait_space)) while more
    /// than `high_water` bytes are queued; counts bytes written and waits in
    /// `metrics`.
    pub(crate) fn new(high_water: usize, metrics: QueueMetrics) -> Self {
        Self {
            state: Mutex::new(State {
                buf: BytesMut::with_capacity(INITIAL),
                closed: false,
            }),
            wake_writer: Notify::new(),
            drained: Notify::new(),
            high_water,
            metrics,
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Appends the frames `write` produces.
    ///
    /// `write` must leave the buffer as it was when it fails (the encoders do).
    pub(crate) fn push<R>(&self, write: impl FnOnce(&mut BytesMut) -> R) -> Result<R, Closed> {
        let mut st = self.lock();
        if st.closed {
            return Err(Closed);
        }
        let was_empty = st.buf.is_empty();
        let r = write(&mut st.buf);
        let wake = was_empty && !st.buf.is_empty();
        drop(st);
        if wake {
            self.wake_writer.notify_one();
        }
        Ok(r)
    }

    /// Appends the frames `write` produces once no more than the high-water mark is
    /// queued (checked under the lock, so concurrent producers cannot all pass at
    /// once): the queue holds at most the high water plus one producer's frames.
    pub(crate) async fn push_when_space<R>(
        &self,
        write: impl FnOnce(&mut BytesMut) -> R,
    ) -> Result<R, Closed> {
        let mut write = Some(write);
        // The common case, space at once, takes the lock once and registers no waiter.
        if let Some(done) = self.try_push(&mut write) {
            return done;
        }
        self.metrics.waited();
        loop {
            // Registered before the check, so a drain between the two is not missed.
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if let Some(done) = self.try_push(&mut write) {
                return done;
            }
            notified.await;
        }
    }

    /// Runs `write` if the queue is open and not over the high water; `None` when the
    /// producer has to wait.
    fn try_push<R>(
        &self,
        write: &mut Option<impl FnOnce(&mut BytesMut) -> R>,
    ) -> Option<Result<R, Closed>> {
        let mut st = self.lock();
        if st.closed {
            return Some(Err(Closed));
        }
        if st.buf.len() > self.high_water {
            return None;
        }
        let Some(write) = write.take() else {
            return Some(Err(Closed));
        };
        let was_empty = st.buf.is_empty();
        let r = write(&mut st.buf);
        let wake = was_empty && !st.buf.is_empty();
        drop(st);
        if wake {
            self.wake_writer.notify_one();
        }
        Some(Ok(r))
    }

    /// `true` while more than the high-water mark is queued (producers wait).
    #[cfg(feature = "tower")]
    pub(crate) fn is_congested(&self) -> bool {
        let st = self.lock();
        !st.closed && st.buf.len() > self.high_water
    }

    /// `true` once closed.
    pub(crate) fn is_closed(&self) -> bool {
        self.lock().closed
    }

    /// Waits while more than the high-water mark is queued (back-pressure); returns
    /// at once when closed.
    pub(crate) async fn wait_space(&self) {
        if self.has_space() {
            return;
        }
        self.metrics.waited();
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.has_space() {
                return;
            }
            notified.await;
        }
    }

    /// `true` when a producer need not wait: closed, or at most the high water queued.
    fn has_space(&self) -> bool {
        let st = self.lock();
        st.closed || st.buf.len() <= self.high_water
    }

    /// Waits until the queue is closed.
    pub(crate) async fn closed(&self) {
        loop {
            let notified = self.drained.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.is_closed() {
                return;
            }
            notified.await;
        }
    }

    /// Closes the queue: later pushes fail; the writer writes what is queued, then
    /// stops.
    pub(crate) fn close(&self) {
        self.lock().closed = true;
        self.wake_writer.notify_one();
        self.drained.notify_waiters();
    }

    /// The writer task's loop: writes queued frames until closed and empty, or until a
    /// write fails.
    pub(crate) async fn write_loop(&self, mut w: OwnedWriteHalf) -> io::Result<()> {
        let mut spare = BytesMut::with_capacity(INITIAL);
        loop {
            let step = {
                let mut st = self.lock();
                if !st.buf.is_empty() {
                    std::mem::swap(&mut st.buf, &mut spare);
                    Step::Write
                } else if st.closed {
                    Step::Finish
                } else {
                    Step::Wait
                }
            };
            match step {
                Step::Write => {}
                Step::Wait => {
                    self.wake_writer.notified().await;
                    continue;
                }
                Step::Finish => {
                    let _ = w.shutdown().await;
                    return Ok(());
                }
            }
            let r = w.write_all(&spare).await;
            if r.is_ok() {
                self.metrics.sent(spare.len());
            }
            spare.clear();
            if spare.capacity() > SHRINK_ABOVE {
                spare = BytesMut::with_capacity(INITIAL);
            }
            self.drained.notify_waiters();
            if let Err(e) = r {
                self.close();
                return Err(e);
            }
        }
    }
}
