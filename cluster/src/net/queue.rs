//! The outgoing side of a connection: callers and services append encoded frames to
//! one buffer under a short lock; one writer task swaps it out and writes it whole,
//! so frames queued while a write is in progress go out together (few syscalls, no
//! per-frame allocation: the two buffers are reused).
//!
//! Write-through: a producer that finds the queue empty and the writer idle writes its
//! frames to the socket itself (a non-blocking `try_write`, under the lock, so nothing
//! can be written before them) and leaves only what the socket did not take to the
//! writer task: no task wake-up on the common path. A connection's read loop can
//! [`cork`](OutQueue::cork) the queue while it answers a batch of requests, and
//! [`uncork`](OutQueue::uncork) it to write the batch at once.

use std::io;
use std::sync::{Arc, Mutex, MutexGuard, Weak};

use bytes::{Buf, BytesMut};
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
    /// The writer task is writing a buffer it swapped out: producers only append.
    writing: bool,
    /// Producers only append (a read loop answering a batch): see [`OutQueue::cork`].
    corked: bool,
    /// The socket, for write-through (set when the writer starts; gone with it).
    sock: Weak<OwnedWriteHalf>,
    /// Writes through so far (the tests check the path is taken).
    #[cfg(test)]
    through_writes: usize,
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
/// More than this is left to the writer task: copying it into the socket would hold
/// up the producer (a read loop that could read on meanwhile, on another thread).
const THROUGH_MAX: usize = 16 << 10;
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
                writing: false,
                corked: false,
                sock: Weak::new(),
                #[cfg(test)]
                through_writes: 0,
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

    /// Appends the frames `write` produces; `write` also says whether they may be
    /// written through (a lone caller: yes; one of many, whose frames would better
    /// go out together: no). Also returns whether the queue then has space
    /// ([`has_space`](Self::has_space), read under the same lock).
    ///
    /// `write` must leave the buffer as it was when it fails (the encoders do).
    pub(crate) fn push<R>(
        &self,
        write: impl FnOnce(&mut BytesMut) -> (R, bool),
    ) -> Result<(R, bool), Closed> {
        let mut st = self.lock();
        if st.closed {
            return Err(Closed);
        }
        let was_empty = st.buf.is_empty();
        let (r, through) = write(&mut st.buf);
        let space = self.appended(st, was_empty, through);
        Ok((r, space))
    }

    /// After frames were appended to a buffer that held `was_empty`: writes them
    /// through when `through` and the writer is idle, else makes sure the writer will
    /// see them. Returns whether the queue then has space (as
    /// [`has_space`](Self::has_space)).
    fn appended(&self, mut st: MutexGuard<'_, State>, was_empty: bool, through: bool) -> bool {
        let space = |st: &State| st.closed || st.buf.len() <= self.high_water;
        if st.buf.is_empty() {
            return true;
        }
        if st.corked {
            // The read loop writes the batch when it uncorks; the writer is woken only
            // when producers would otherwise wait for it.
            if st.buf.len() > self.high_water && !st.writing {
                drop(st);
                self.wake_writer.notify_one();
                return false;
            }
            return space(&st);
        }
        if !was_empty {
            // Already the writer's (woken, or writing and to look again).
            return space(&st);
        }
        if through && self.write_through(&mut st) {
            return space(&st);
        }
        let has_space = space(&st);
        drop(st);
        self.wake_writer.notify_one();
        has_space
    }

    /// Writes what is queued without waiting, when nothing else is being written:
    /// `true` when all of it went (else the rest stays queued for the writer).
    fn write_through(&self, st: &mut State) -> bool {
        if st.writing || st.closed || st.buf.len() > THROUGH_MAX {
            return false;
        }
        let Some(sock) = st.sock.upgrade() else {
            return false;
        };
        // Would-block leaves the bytes to the writer (it waits for room); an error too
        // (its write fails and closes the queue).
        let Ok(n) = sock.try_write(&st.buf) else {
            return false;
        };
        self.metrics.sent(n);
        #[cfg(test)]
        {
            st.through_writes += 1;
        }
        if n == st.buf.len() {
            st.buf.clear();
            true
        } else {
            st.buf.advance(n);
            false
        }
    }

    /// Producers only append until [`uncork`](Self::uncork) (a read loop answering
    /// the requests of one read): their frames then go out in one write.
    pub(crate) fn cork(&self) {
        self.lock().corked = true;
    }

    /// Ends [`cork`](Self::cork): writes what was appended meanwhile (through, or by
    /// the writer).
    pub(crate) fn uncork(&self) {
        let mut st = self.lock();
        st.corked = false;
        if st.buf.is_empty() || st.writing {
            return;
        }
        if self.write_through(&mut st) {
            return;
        }
        drop(st);
        self.wake_writer.notify_one();
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
        self.appended(st, was_empty, true);
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
    pub(crate) fn has_space(&self) -> bool {
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
    /// write fails. Producers write through (see the module) while it waits.
    pub(crate) async fn write_loop(&self, w: OwnedWriteHalf) -> io::Result<()> {
        let w = Arc::new(w);
        self.lock().sock = Arc::downgrade(&w);
        let mut spare = BytesMut::with_capacity(INITIAL);
        loop {
            let step = {
                let mut st = self.lock();
                st.writing = false;
                if !st.buf.is_empty() {
                    std::mem::swap(&mut st.buf, &mut spare);
                    st.writing = true;
                    Step::Write
                } else if st.closed {
                    st.sock = Weak::new();
                    Step::Finish
                } else {
                    Step::Wait
                }
            };
            match step {
                Step::Write => {}
                Step::Wait => {
                    self.wake_writer.notified().await;
                    // Woken by the first frame of a burst (the callers a read of
                    // replies woke, each queueing its next request): on a
                    // multi-thread runtime the writer would run next (tokio's LIFO
                    // slot) and write that one frame alone, one syscall per call.
                    // Letting the other ready tasks run first sends the burst in one
                    // write.
                    tokio::task::yield_now().await;
                    continue;
                }
                Step::Finish => {
                    // The only handle left (producers hold one only under the lock).
                    if let Ok(mut w) = Arc::try_unwrap(w) {
                        let _ = w.shutdown().await;
                    }
                    return Ok(());
                }
            }
            let r = write_out(&w, &spare, &self.metrics).await;
            spare.clear();
            if spare.capacity() > SHRINK_ABOVE {
                spare = BytesMut::with_capacity(INITIAL);
            }
            self.drained.notify_waiters();
            if let Err(e) = r {
                self.lock().writing = false;
                self.close();
                return Err(e);
            }
        }
    }
}

/// Writes all of `bytes`, waiting for room when the socket is full; counts what went.
async fn write_out(w: &OwnedWriteHalf, bytes: &[u8], metrics: &QueueMetrics) -> io::Result<()> {
    let mut off = 0;
    while off < bytes.len() {
        match w.try_write(&bytes[off..]) {
            Ok(0) => return Err(io::ErrorKind::WriteZero.into()),
            Ok(n) => {
                metrics.sent(n);
                off += n;
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => w.writable().await?,
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use tokio::io::AsyncReadExt;
    use tokio::net::{TcpListener, TcpSocket, TcpStream};

    use super::*;

    /// A connected pair on 127.0.0.1: (the side the queue writes to, the peer).
    async fn pair(small_buffers: bool) -> (TcpStream, TcpStream) {
        let socket = TcpSocket::new_v4().expect("socket");
        if small_buffers {
            socket.set_recv_buffer_size(4096).expect("rcvbuf");
        }
        socket
            .bind("127.0.0.1:0".parse().expect("addr"))
            .expect("bind");
        let listener: TcpListener = socket.listen(1).expect("listen");
        let addr = listener.local_addr().expect("addr");
        let client = TcpSocket::new_v4().expect("socket");
        if small_buffers {
            client.set_send_buffer_size(4096).expect("sndbuf");
        }
        let (w, r) = tokio::join!(client.connect(addr), listener.accept());
        (w.expect("connect"), r.expect("accept").0)
    }

    /// A frame: producer, sequence number, a length and that many filler bytes.
    fn frame(buf: &mut BytesMut, producer: u8, seq: u32) {
        let len = (seq % 37) as u8;
        buf.extend_from_slice(&[producer]);
        buf.extend_from_slice(&seq.to_be_bytes());
        buf.extend_from_slice(&[len]);
        buf.extend_from_slice(&vec![producer ^ len; usize::from(len)]);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_producers_keep_their_order_and_lose_nothing() {
        const PRODUCERS: u8 = 8;
        const FRAMES: u32 = 3000;
        let (w, mut peer) = pair(false).await;
        let (_rd, wr) = w.into_split();
        let q = Arc::new(OutQueue::new(64 << 10, QueueMetrics::default()));
        let writer = tokio::spawn({
            let q = q.clone();
            async move { q.write_loop(wr).await }
        });
        let reader = tokio::spawn(async move {
            let mut all = Vec::new();
            peer.read_to_end(&mut all).await.map(|_| all)
        });
        let producers: Vec<_> = (0..PRODUCERS)
            .map(|p| {
                let q = q.clone();
                tokio::spawn(async move {
                    for seq in 0..FRAMES {
                        match seq % 4 {
                            // Left to the writer task.
                            0 => q.push(|b| (frame(b, p, seq), false)).map(|(r, _)| r),
                            // Written through when the writer is idle.
                            1 => q.push(|b| (frame(b, p, seq), true)).map(|(r, _)| r),
                            2 => q.push_when_space(|b| frame(b, p, seq)).await,
                            // Corked: left for the uncork (or the writer).
                            _ => {
                                q.cork();
                                let r = q.push(|b| (frame(b, p, seq), true)).map(|(r, _)| r);
                                q.uncork();
                                r
                            }
                        }
                        .expect("open");
                        if seq % 64 == 0 {
                            tokio::task::yield_now().await;
                        }
                    }
                })
            })
            .collect();
        for p in producers {
            p.await.expect("producer");
        }
        assert!(q.lock().through_writes > 0, "no write went through");
        q.close();
        writer.await.expect("writer").expect("write");
        let all = tokio::time::timeout(Duration::from_secs(10), reader)
            .await
            .expect("in time")
            .expect("reader")
            .expect("read");
        let mut next = vec![0u32; usize::from(PRODUCERS)];
        let mut rest = &all[..];
        while !rest.is_empty() {
            let p = rest[0];
            let seq = u32::from_be_bytes([rest[1], rest[2], rest[3], rest[4]]);
            let len = usize::from(rest[5]);
            assert_eq!(seq, next[usize::from(p)], "producer {p} out of order");
            assert_eq!(len, (seq % 37) as usize);
            assert!(rest[6..6 + len].iter().all(|b| *b == p ^ rest[5]));
            next[usize::from(p)] += 1;
            rest = &rest[6 + len..];
        }
        assert!(next.iter().all(|n| *n == FRAMES), "lost frames: {next:?}");
    }

    #[tokio::test]
    async fn a_partial_write_through_leaves_the_rest_queued_in_order() {
        let (w, mut peer) = pair(true).await;
        let (_rd, wr) = w.into_split();
        let q = Arc::new(OutQueue::new(1 << 20, QueueMetrics::default()));
        let writer = tokio::spawn({
            let q = q.clone();
            async move { q.write_loop(wr).await }
        });
        // The writer starts (and waits): pushes may write through from now on.
        while q.lock().sock.upgrade().is_none() {
            tokio::task::yield_now().await;
        }
        let first: Vec<u8> = (0..THROUGH_MAX).map(|i| (i % 251) as u8).collect();
        q.push(|b| (b.extend_from_slice(&first), true))
            .expect("open");
        // Nothing yielded: what the socket did not take is still queued.
        assert_eq!(q.lock().through_writes, 1);
        let rest = q.lock().buf.len();
        assert!(
            rest > 0 && rest < first.len(),
            "{rest} of {} bytes queued",
            first.len()
        );
        // Queued behind the rest, not written through before it.
        q.push(|b| (b.extend_from_slice(b"second"), true))
            .expect("open");
        assert_eq!(q.lock().buf.len(), rest + 6);
        q.close();
        let mut all = Vec::new();
        tokio::time::timeout(Duration::from_secs(10), peer.read_to_end(&mut all))
            .await
            .expect("in time")
            .expect("read");
        writer.await.expect("writer").expect("write");
        assert_eq!(&all[..first.len()], &first[..]);
        assert_eq!(&all[first.len()..], b"second");
    }
}
