//! The gate over a byte stream (TCP, or any `AsyncRead + AsyncWrite`): each package
//! framed by a 2-byte big-endian length.

use std::net::SocketAddr;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, ToSocketAddrs};

use super::driver::{next_batch, on_package, read_until_closed, start, ReadDeadlines};
use super::peer::Shared;
use super::{Config, Peer};
use crate::gate::{write_frame, FrameDecoder};
use crate::rpc::{CloseReason, Handler};

/// Bytes asked of the stream per read.
const READ_CHUNK: usize = 16 * 1024;

/// Connects to a gate over TCP. `factory` makes the handler of the server's requests
/// (pushes such as a heartbeat) from the new connection's handle; `|_| ()` ignores them.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use sproto_rt::net::{connect_tcp, Config};
///
/// let peer = connect_tcp("127.0.0.1:8888", Config::default(), |_| ()).await?;
/// # let _ = peer; Ok(()) }
/// ```
pub async fn connect_tcp<H: Handler>(
    addr: impl ToSocketAddrs,
    config: Config,
    factory: impl FnOnce(Peer) -> H,
) -> std::io::Result<Peer> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let peer_addr = stream.peer_addr().ok();
    Ok(spawn_stream(stream, peer_addr, config, factory))
}

/// Runs the gate protocol over an already connected byte stream (a `TcpStream`, a
/// Unix socket, `tokio::io::duplex` in tests). Spawns the connection's tasks; returns
/// its handle.
pub fn spawn_stream<S, H>(
    stream: S,
    peer_addr: Option<SocketAddr>,
    config: Config,
    factory: impl FnOnce(Peer) -> H,
) -> Peer
where
    S: AsyncRead + AsyncWrite + Send + 'static,
    H: Handler,
{
    let shared = Shared::new(config, peer_addr);
    let (peer, requests) = start(shared.clone(), factory);
    let (mut rd, mut wr) = tokio::io::split(stream);
    let reader_shared = shared.clone();
    let (idle, frame_timeout) = (shared.config.idle_timeout, shared.config.frame_timeout);
    tokio::spawn(read_until_closed(shared.clone(), async move {
        let mut frames = FrameDecoder::new();
        let mut deadlines = ReadDeadlines::new(idle, frame_timeout);
        loop {
            let deadline = deadlines.next();
            let buf = frames.read_buf(READ_CHUNK);
            let read = match deadline {
                Some((at, expired)) => match tokio::time::timeout_at(at.into(), rd.read(buf)).await
                {
                    Ok(r) => r,
                    Err(_) => return expired,
                },
                None => rd.read(buf).await,
            };
            let n = match read {
                Ok(0) => {
                    frames.commit(READ_CHUNK, 0);
                    return CloseReason::Peer;
                }
                Ok(n) => n,
                Err(e) => return CloseReason::Io(e.to_string()),
            };
            frames.commit(READ_CHUNK, n);
            while let Some(package) = frames.next_package() {
                if let Err(reason) = on_package(&reader_shared, &requests, package).await {
                    return reason;
                }
            }
            deadlines.received(frames.buffered() > 0);
        }
    }));
    tokio::spawn(async move {
        let mut batch = Vec::new();
        let mut out = Vec::new();
        while next_batch(&shared, &mut batch).await {
            out.clear();
            for p in batch.drain(..) {
                // The connection refuses packages over the frame limit when queueing.
                let _ = write_frame(&p, &mut out);
            }
            if let Err(e) = wr.write_all(&out).await {
                shared.close(CloseReason::Io(e.to_string()));
                return;
            }
        }
        let _ = wr.shutdown().await;
    });
    peer
}
