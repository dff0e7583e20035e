//! [`Server`]: accept loops that give each new connection its own handler (as skynet's
//! watchdog gives each client an agent), the table of live connections, pushes to one
//! or all of them, and shutdown.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinHandle;

use super::{Config, Peer};
use crate::rpc::Handler;

/// How long a WebSocket client may take over its handshake.
#[cfg(feature = "websocket")]
const WS_HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);

/// A gate server: TCP and/or WebSocket listeners, one handler per connection.
///
/// ```no_run
/// # async fn demo() -> std::io::Result<()> {
/// use sproto_rt::net::{Config, Server};
///
/// let server = Server::new(Config::default()).max_connections(1000);
/// let listener = tokio::net::TcpListener::bind("127.0.0.1:8888").await?;
/// // Each connection gets a handler made from its Peer (here: one that ignores requests).
/// server.serve_tcp(listener, |_peer| ());
/// // ... later: push to everyone, then stop.
/// for peer in server.peers() { let _ = peer.push_raw(1, &[]).await; }
/// server.shutdown();
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct Server {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    max_connections: AtomicUsize,
    max_per_address: AtomicUsize,
    /// Connections open per peer address (entries removed at zero).
    per_address: Mutex<HashMap<IpAddr, usize>>,
    /// Connections accepted and not yet closed (WebSocket handshakes included).
    active: AtomicUsize,
    refused: AtomicU64,
    next_id: AtomicU64,
    peers: Mutex<HashMap<u64, Peer>>,
    stop: watch::Sender<bool>,
}

impl std::fmt::Debug for Server {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Server")
            .field("connections", &self.connections())
            .field("refused", &self.refused())
            .finish()
    }
}

/// Default [`Server::max_connections_per_address`].
pub const DEFAULT_MAX_CONNECTIONS_PER_ADDRESS: usize = 512;

/// A connection's place in the counts (in all and for its address), given back when
/// the connection ends (or never started).
struct Slot {
    inner: Arc<Inner>,
    ip: IpAddr,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.inner.active.fetch_sub(1, Ordering::AcqRel);
        let mut counts = self.inner.lock_per_address();
        if let Some(n) = counts.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                counts.remove(&self.ip);
            }
        }
    }
}

/// Why a connection was not admitted.
enum Refusal {
    Full(usize),
    AddressFull(usize),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::Full(max) => write!(f, "{max} connections open"),
            Refusal::AddressFull(max) => write!(f, "{max} connections open from this address"),
        }
    }
}

impl Server {
    /// A server whose connections use `config`.
    pub fn new(config: Config) -> Self {
        Server {
            inner: Arc::new(Inner {
                config,
                max_connections: AtomicUsize::new(10_000),
                max_per_address: AtomicUsize::new(DEFAULT_MAX_CONNECTIONS_PER_ADDRESS),
                per_address: Mutex::new(HashMap::new()),
                active: AtomicUsize::new(0),
                refused: AtomicU64::new(0),
                next_id: AtomicU64::new(0),
                peers: Mutex::new(HashMap::new()),
                stop: watch::channel(false).0,
            }),
        }
    }

    /// Connections served at once (default 10 000); more are closed at once after
    /// the accept, and counted in [`refused`](Self::refused).
    pub fn max_connections(self, limit: usize) -> Self {
        self.inner.max_connections.store(limit, Ordering::Relaxed);
        self
    }

    /// Connections served at once from one IP address (default
    /// [`DEFAULT_MAX_CONNECTIONS_PER_ADDRESS`], 512: room for players behind one NAT,
    /// while one host cannot take every slot); more are refused as by
    /// [`max_connections`](Self::max_connections).
    pub fn max_connections_per_address(self, limit: usize) -> Self {
        self.inner.max_per_address.store(limit, Ordering::Relaxed);
        self
    }

    /// Accepts TCP connections (2-byte length framing) until [`shutdown`](Self::shutdown).
    pub fn serve_tcp<F, H>(&self, listener: TcpListener, factory: F) -> JoinHandle<()>
    where
        F: Fn(Peer) -> H + Send + Sync + 'static,
        H: Handler,
    {
        self.accept_loop(listener, Arc::new(factory), false)
    }

    /// Accepts WebSocket connections (one binary message per package) until
    /// [`shutdown`](Self::shutdown).
    #[cfg(feature = "websocket")]
    pub fn serve_ws<F, H>(&self, listener: TcpListener, factory: F) -> JoinHandle<()>
    where
        F: Fn(Peer) -> H + Send + Sync + 'static,
        H: Handler,
    {
        self.accept_loop(listener, Arc::new(factory), true)
    }

    fn accept_loop<F, H>(&self, listener: TcpListener, factory: Arc<F>, ws: bool) -> JoinHandle<()>
    where
        F: Fn(Peer) -> H + Send + Sync + 'static,
        H: Handler,
    {
        let inner = self.inner.clone();
        let mut stop = inner.stop.subscribe();
        tokio::spawn(async move {
            loop {
                let accepted = tokio::select! {
                    a = listener.accept() => a,
                    _ = stop.wait_for(|s| *s) => return,
                };
                let (tcp, addr) = match accepted {
                    Ok(a) => a,
                    Err(e) => {
                        // Out of descriptors and the like: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                        continue;
                    }
                };
                let slot = match Inner::admit(&inner, addr.ip()) {
                    Ok(slot) => slot,
                    Err(why) => {
                        inner.refused.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(%addr, %why, "connection refused: at the connection limit");
                        drop(tcp);
                        continue;
                    }
                };
                let (inner, factory) = (inner.clone(), factory.clone());
                tokio::spawn(async move {
                    let config = inner.config.clone();
                    let make = |p: Peer| factory(p);
                    let peer = if ws {
                        #[cfg(feature = "websocket")]
                        {
                            let accept = super::ws::accept_ws(tcp, config, make);
                            match tokio::time::timeout(WS_HANDSHAKE_TIMEOUT, accept).await {
                                Ok(Ok(p)) => p,
                                Ok(Err(e)) => {
                                    tracing::debug!(%addr, error = %e, "websocket handshake failed");
                                    return;
                                }
                                Err(_) => return,
                            }
                        }
                        #[cfg(not(feature = "websocket"))]
                        return;
                    } else {
                        let _ = tcp.set_nodelay(true);
                        super::stream::spawn_stream(tcp, Some(addr), config, make)
                    };
                    inner.register(peer, slot).await;
                });
            }
        })
    }

    /// Live connections.
    pub fn peers(&self) -> Vec<Peer> {
        self.inner.lock_peers().values().cloned().collect()
    }

    /// Connections open now (WebSocket handshakes in progress included).
    pub fn connections(&self) -> usize {
        self.inner.active.load(Ordering::Acquire)
    }

    /// Connections refused because the server (or their address's share) was full.
    pub fn refused(&self) -> u64 {
        self.inner.refused.load(Ordering::Relaxed)
    }

    /// Stops accepting and closes every connection.
    pub fn shutdown(&self) {
        self.inner.stop.send_replace(true);
        for p in self.peers() {
            p.close();
        }
    }
}

impl Inner {
    /// Takes a slot for a connection from `ip`, in all and for its address.
    fn admit(this: &Arc<Inner>, ip: IpAddr) -> Result<Slot, Refusal> {
        let max = this.max_connections.load(Ordering::Relaxed);
        let max_here = this.max_per_address.load(Ordering::Relaxed);
        let mut counts = this.lock_per_address();
        let here = counts.get(&ip).copied().unwrap_or(0);
        if here >= max_here {
            return Err(Refusal::AddressFull(max_here));
        }
        if this.active.fetch_add(1, Ordering::AcqRel) >= max {
            this.active.fetch_sub(1, Ordering::AcqRel);
            return Err(Refusal::Full(max));
        }
        counts.insert(ip, here + 1);
        Ok(Slot {
            inner: this.clone(),
            ip,
        })
    }

    fn lock_per_address(&self) -> std::sync::MutexGuard<'_, HashMap<IpAddr, usize>> {
        self.per_address.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn lock_peers(&self) -> std::sync::MutexGuard<'_, HashMap<u64, Peer>> {
        self.peers.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Keeps `peer` in the table until it closes.
    async fn register(&self, peer: Peer, slot: Slot) {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed);
        self.lock_peers().insert(id, peer.clone());
        if *self.stop.borrow() {
            peer.close();
        }
        peer.closed().await;
        self.lock_peers().remove(&id);
        drop(slot);
    }
}
