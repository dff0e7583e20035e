//! The gate over WebSocket: one binary message per package (no length prefix), as
//! skynet's websocket gates carry them. Messages over 65 535 bytes are refused.

use std::net::SocketAddr;

use futures_util::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::WebSocketStream;

use super::driver::{next_batch, on_package, read_until_closed, start, ReadDeadlines};
use super::peer::Shared;
use super::{Config, Peer};
use crate::gate::MAX_PACKAGE;
use crate::rpc::{CloseReason, Handler};

/// Buffers sized for packages of at most 64 KiB: tungstenite's defaults (128 KiB read
/// buffer, unbounded write buffer) would cost a quarter MiB per connection.
fn ws_config() -> WebSocketConfig {
    WebSocketConfig::default()
        .read_buffer_size(16 * 1024)
        .write_buffer_size(16 * 1024)
        .max_write_buffer_size(1 << 20)
        .max_message_size(Some(MAX_PACKAGE))
        .max_frame_size(Some(MAX_PACKAGE))
}

/// Connects to a WebSocket gate at `url` (`ws://host:port/path`). `factory` makes
/// the handler of the server's requests; `|_| ()` ignores them.
///
/// ```no_run
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// use sproto_rt::net::{connect_ws, Config};
///
/// let peer = connect_ws("ws://127.0.0.1:8889/", Config::default(), |_| ()).await?;
/// # let _ = peer; Ok(()) }
/// ```
pub async fn connect_ws<H: Handler>(
    url: &str,
    config: Config,
    factory: impl FnOnce(Peer) -> H,
) -> Result<Peer, WsError> {
    let request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
            .map_err(WsError)?;
    let host = request
        .uri()
        .host()
        .unwrap_or_default()
        .trim_matches(['[', ']'])
        .to_string();
    let port = request.uri().port_u16().unwrap_or(80);
    let tcp = TcpStream::connect((host.as_str(), port))
        .await
        .map_err(|e| WsError(e.into()))?;
    tcp.set_nodelay(true).map_err(|e| WsError(e.into()))?;
    let peer_addr = tcp.peer_addr().ok();
    let (ws, _) = tokio_tungstenite::client_async_with_config(request, tcp, Some(ws_config()))
        .await
        .map_err(WsError)?;
    Ok(spawn_ws(ws, peer_addr, config, factory))
}

/// Accepts the WebSocket handshake on a new TCP connection and runs the gate over it.
pub async fn accept_ws<H: Handler>(
    tcp: TcpStream,
    config: Config,
    factory: impl FnOnce(Peer) -> H,
) -> Result<Peer, WsError> {
    let _ = tcp.set_nodelay(true);
    let peer_addr = tcp.peer_addr().ok();
    let ws = tokio_tungstenite::accept_async_with_config(tcp, Some(ws_config()))
        .await
        .map_err(WsError)?;
    Ok(spawn_ws(ws, peer_addr, config, factory))
}

/// A failed WebSocket connect or handshake.
#[derive(Debug, thiserror::Error)]
#[error("websocket: {0}")]
pub struct WsError(#[from] tokio_tungstenite::tungstenite::Error);

fn spawn_ws<H: Handler>(
    ws: WebSocketStream<TcpStream>,
    peer_addr: Option<SocketAddr>,
    config: Config,
    factory: impl FnOnce(Peer) -> H,
) -> Peer {
    let shared = Shared::new(config, peer_addr);
    let (peer, requests) = start(shared.clone(), factory);
    let (mut sink, mut stream) = ws.split();
    let reader_shared = shared.clone();
    let (idle, frame_timeout) = (shared.config.idle_timeout, shared.config.frame_timeout);
    tokio::spawn(read_until_closed(shared.clone(), async move {
        // A message is whole when it arrives, so only the idle deadline applies: a
        // peer dribbling a message's frames is idle until the message completes.
        let mut deadlines = ReadDeadlines::new(idle, frame_timeout);
        loop {
            let deadline = deadlines.next();
            let next = match deadline {
                Some((at, expired)) => {
                    match tokio::time::timeout_at(at.into(), stream.next()).await {
                        Ok(next) => next,
                        Err(_) => return expired,
                    }
                }
                None => stream.next().await,
            };
            deadlines.received(false);
            let package = match next {
                None | Some(Ok(Message::Close(_))) => return CloseReason::Peer,
                Some(Err(e)) => return CloseReason::Io(e.to_string()),
                Some(Ok(Message::Binary(b))) => b,
                // Pings are answered by tungstenite; text is not a package.
                Some(Ok(Message::Text(_))) => {
                    return CloseReason::Io("text message on a binary gate".to_string())
                }
                Some(Ok(_)) => continue,
            };
            if let Err(reason) = on_package(&reader_shared, &requests, &package).await {
                return reason;
            }
        }
    }));
    tokio::spawn(async move {
        let mut batch = Vec::new();
        while next_batch(&shared, &mut batch).await {
            for p in batch.drain(..) {
                if let Err(e) = sink.feed(Message::Binary(p.into())).await {
                    shared.close(CloseReason::Io(e.to_string()));
                    return;
                }
            }
            if let Err(e) = sink.flush().await {
                shared.close(CloseReason::Io(e.to_string()));
                return;
            }
        }
        let _ = sink.close().await;
    });
    peer
}
