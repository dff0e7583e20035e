//! `bench --baseline`: the loopback's physical limit for the same exchange, measured
//! in the same run — the very request and reply frame bytes of a call, moved by plain
//! tokio TCP with no framework: an echo server that answers every complete request
//! with the precomputed reply, and a client keeping the same number of calls in flight
//! on one connection (1 = ping-pong, more = pipelined echo).
//!
//! The server runs on its own thread with a current-thread runtime (as a separate
//! one-core process would); the client on the bench's runtime. Each side is one
//! readiness loop over one socket: whatever one read brings is answered in one write.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::time::{Duration, Instant};

use sproto_cli::stats::{Summary, Tally};
use tokio::io::Interest;
use tokio::net::{TcpListener, TcpStream};

/// The frame bytes of one exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    /// A call's request frames (header and parts for a multi-part payload).
    pub request: Vec<u8>,
    /// Its reply frames.
    pub reply: Vec<u8>,
}

impl Exchange {
    fn request_frames(&self) -> usize {
        FrameCounter::default().feed(&self.request)
    }

    fn reply_frames(&self) -> usize {
        FrameCounter::default().feed(&self.reply)
    }
}

/// Counts complete frames (2-byte big-endian length, then the body) in a stream fed
/// in arbitrary pieces.
#[derive(Debug, Default)]
struct FrameCounter {
    /// Bytes still to skip of the frame in progress.
    body_left: usize,
    /// The first length byte, when a piece ended between the two.
    half_len: Option<u8>,
}

impl FrameCounter {
    /// The number of frames completed by `bytes`.
    fn feed(&mut self, mut bytes: &[u8]) -> usize {
        let mut done = 0;
        while !bytes.is_empty() {
            if self.body_left > 0 {
                let n = self.body_left.min(bytes.len());
                self.body_left -= n;
                bytes = &bytes[n..];
                if self.body_left == 0 {
                    done += 1;
                }
                continue;
            }
            let len = match (self.half_len.take(), bytes) {
                (Some(hi), [lo, ..]) => {
                    bytes = &bytes[1..];
                    u16::from_be_bytes([hi, *lo])
                }
                (None, [hi, lo, ..]) => {
                    bytes = &bytes[2..];
                    u16::from_be_bytes([*hi, *lo])
                }
                (None, [hi]) => {
                    self.half_len = Some(*hi);
                    break;
                }
                (_, []) => break,
            };
            if len == 0 {
                done += 1;
            } else {
                self.body_left = usize::from(len);
            }
        }
        done
    }
}

/// Starts the raw echo server on 127.0.0.1 (its own thread and runtime); it runs
/// until the process ends.
pub fn spawn_server(exchange: &Exchange) -> Result<SocketAddr, String> {
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0")
        .map_err(|e| format!("baseline server: cannot bind: {e}"))?;
    std_listener
        .set_nonblocking(true)
        .map_err(|e| format!("baseline server: {e}"))?;
    let addr = std_listener
        .local_addr()
        .map_err(|e| format!("baseline server: {e}"))?;
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("baseline server runtime: {e}"))?;
    let per_request = exchange.request_frames().max(1);
    let reply = exchange.reply.clone();
    std::thread::Builder::new()
        .name("baseline-echo".into())
        .spawn(move || {
            rt.block_on(async move {
                let Ok(listener) = TcpListener::from_std(std_listener) else {
                    return;
                };
                while let Ok((stream, _)) = listener.accept().await {
                    tokio::spawn(serve_connection(stream, per_request, reply.clone()));
                }
            });
        })
        .map_err(|e| format!("baseline server thread: {e}"))?;
    Ok(addr)
}

/// Answers every `per_request` frames with `reply`.
async fn serve_connection(stream: TcpStream, per_request: usize, reply: Vec<u8>) {
    let mut frames = 0;
    let _ = pump(stream, |done, out| {
        frames += done;
        for _ in 0..frames / per_request {
            out.extend_from_slice(&reply);
        }
        frames %= per_request;
        true
    })
    .await;
}

/// One connection's event loop, the minimum tokio allows: wait until the socket is
/// readable (or writable while output is pending), read what is there, let
/// `on_frames` append the answers to the frames it completed, write as much as the
/// socket takes. Ends on EOF or when `on_frames` returns `false` with nothing left
/// to write.
async fn pump(
    stream: TcpStream,
    mut on_frames: impl FnMut(usize, &mut Vec<u8>) -> bool,
) -> std::io::Result<()> {
    stream.set_nodelay(true)?;
    let mut counter = FrameCounter::default();
    let mut buf = vec![0u8; 64 << 10];
    let mut out: Vec<u8> = Vec::new();
    let mut written = 0;
    let mut more = on_frames(0, &mut out);
    loop {
        if written < out.len() {
            match stream.try_write(&out[written..]) {
                Ok(n) => written += n,
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
            if written == out.len() {
                out.clear();
                written = 0;
            }
        }
        if !more && out.is_empty() {
            return Ok(());
        }
        let interest = if out.is_empty() {
            Interest::READABLE
        } else {
            Interest::READABLE | Interest::WRITABLE
        };
        let ready = stream.ready(interest).await?;
        if ready.is_readable() {
            match stream.try_read(&mut buf) {
                Ok(0) => return Ok(()),
                Ok(n) => {
                    let done = counter.feed(&buf[..n]);
                    more = on_frames(done, &mut out);
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {}
                Err(e) => return Err(e),
            }
        }
    }
}

/// Runs the raw client against `server`: `in_flight` exchanges outstanding on one
/// connection for `warmup + duration`, latencies recorded after the warm-up.
pub async fn run_client(
    server: SocketAddr,
    exchange: &Exchange,
    in_flight: usize,
    warmup: Duration,
    duration: Duration,
) -> Result<Summary, String> {
    let stream = TcpStream::connect(server)
        .await
        .map_err(|e| format!("baseline client: {e}"))?;
    let per_reply = exchange.reply_frames().max(1);
    let start = Instant::now();
    let measure_from = start + warmup;
    let end = measure_from + duration;
    let mut sent: VecDeque<Instant> = VecDeque::new();
    let mut tally = Tally::default();
    let mut frames = 0;
    let mut started = false;
    pump(stream, |done, out| {
        if !started {
            started = true;
            for _ in 0..in_flight.max(1) {
                sent.push_back(start);
                out.extend_from_slice(&exchange.request);
            }
            return true;
        }
        frames += done;
        let now = Instant::now();
        for _ in 0..frames / per_reply {
            let Some(t0) = sent.pop_front() else { break };
            if t0 >= measure_from {
                tally.ok(now - t0);
            }
            if now < end {
                sent.push_back(now);
                out.extend_from_slice(&exchange.request);
            }
        }
        frames %= per_reply;
        !sent.is_empty()
    })
    .await
    .map_err(|e| format!("baseline client: {e}"))?;
    if !sent.is_empty() {
        return Err("baseline client: the echo server closed the connection".into());
    }
    Ok(Summary::new([tally]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_frames_fed_in_any_pieces() {
        let stream = [0u8, 3, 1, 2, 3, 0, 0, 0, 1, 9];
        assert_eq!(FrameCounter::default().feed(&stream), 3);
        for cut in 0..=stream.len() {
            let mut c = FrameCounter::default();
            let n = c.feed(&stream[..cut]) + c.feed(&stream[cut..]);
            assert_eq!(n, 3, "cut at {cut}");
        }
        let mut c = FrameCounter::default();
        assert_eq!(stream.iter().map(|b| c.feed(&[*b])).sum::<usize>(), 3);
    }

    #[tokio::test]
    async fn echoes_pipelined_exchanges() {
        let exchange = Exchange {
            request: vec![0, 2, 7, 7, 0, 1, 8],
            reply: vec![0, 1, 5],
        };
        let server = spawn_server(&exchange).expect("server");
        let stats = run_client(
            server,
            &exchange,
            8,
            Duration::ZERO,
            Duration::from_millis(100),
        )
        .await
        .expect("client");
        assert!(stats.calls() > 8, "{} calls", stats.calls());
        assert_eq!(stats.errors, 0);
    }
}
