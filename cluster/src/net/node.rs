//! [`Node`]: a skynet cluster node in a tokio program — the node map, the services it
//! serves, its listeners, and one channel per remote node it calls.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Duration;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::AbortHandle;
use tracing::Instrument;

use super::auth::AuthGate;
use super::budget::Budget;
use super::listener::{accept_loop, ServerCtx};
use super::options::NodeOptions;
pub use super::options::{DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT};
use super::remote::{targets_of, MemberStatus, Remote};
use crate::address::Address;
use crate::config::ClusterConfig;
use crate::error::{CallError, OpenError, RegisterError};
use crate::fast_hash::FastMap;
use crate::frame::WireAddress;
use crate::luaseri;
use crate::proto::admission::Admission;
use crate::proto::{Missing, Resolver};
use crate::reassembly::Limits;
use crate::registry::Registry;
use crate::service::Service;
use crate::telemetry;

/// Builds a [`Node`] with non-default settings.
///
/// ```
/// use std::time::Duration;
/// use skynet_cluster::{ClusterConfig, Node};
///
/// let node = Node::builder()
///     .config(ClusterConfig::new().with_node("db", "127.0.0.1:2528"))
///     .call_timeout(Some(Duration::from_secs(5)))
///     .build();
/// # drop(node);
/// ```
#[derive(Debug, Clone, Default)]
#[must_use]
pub struct NodeBuilder {
    config: ClusterConfig,
    opts: NodeOptions,
}

impl NodeBuilder {
    /// The node map (default: empty).
    pub fn config(mut self, config: ClusterConfig) -> Self {
        self.config = config;
        self
    }

    /// How long a call waits for its reply, connecting included
    /// (default [`DEFAULT_CALL_TIMEOUT`], 30 s; `None` = forever, as skynet).
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.call_timeout = timeout;
        self
    }

    /// How long one connect may take (default [`DEFAULT_CONNECT_TIMEOUT`], 5 s).
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.opts.connect_timeout = timeout;
        self
    }

    /// Multi-part limits per connection, both as client and as server (default
    /// [`Limits::default`]: 16 MiB per message, 64 MiB buffered, 1024 messages).
    pub fn limits(mut self, limits: Limits) -> Self {
        self.opts.limits = limits;
        self
    }

    /// Requests in flight per accepted connection (default 4096); past it the
    /// connection is not read until one finishes.
    pub fn max_inflight(mut self, n: usize) -> Self {
        self.opts.max_inflight = n.clamp(1, u32::MAX as usize);
        self
    }

    /// Connections served at once over all listeners (default 4096). Past it a new
    /// connection is accepted and closed at once (counted in
    /// [`Node::refused_connections`]), so the peer sees a refusal, not a hang.
    pub fn max_connections(mut self, n: usize) -> Self {
        self.opts.max_connections = n.max(1);
        self
    }

    /// Connections served at once from one peer IP address (default 512), so that
    /// one address cannot take every slot. A skynet node opens one connection per
    /// remote node; raise this for many nodes behind one address.
    pub fn max_connections_per_address(mut self, n: usize) -> Self {
        self.opts.max_connections_per_address = n.max(1);
        self
    }

    /// An accepted connection with no request in flight that sends nothing for this
    /// long is closed (default 300 s; `None`: never). skynet reconnects on its next
    /// call.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.opts.idle_timeout = timeout;
        self
    }

    /// An accepted connection that has started a frame or a multi-part message and
    /// sends nothing more for this long is closed (default 30 s): slow senders cannot
    /// hold a slot and buffers indefinitely. The same bound applies to waiting for
    /// the request budget.
    pub fn frame_timeout(mut self, timeout: Duration) -> Self {
        self.opts.frame_timeout = timeout.max(Duration::from_millis(1));
        self
    }

    /// The node-wide bound on request bytes in memory (default 256 MiB): multi-part
    /// messages being reassembled and requests in flight (each counted twice its
    /// payload: the bytes, and what its service decodes from them), over every
    /// accepted connection. When it is used up, connections stop reading until
    /// requests finish (a small request that fits a connection's read buffer is
    /// still read and served).
    pub fn request_budget(mut self, bytes: usize) -> Self {
        self.opts.request_budget = bytes.max(1);
        self
    }

    /// Queued outgoing bytes per connection before writers wait (default 8 MiB).
    pub fn write_high_water(mut self, bytes: usize) -> Self {
        self.opts.write_high_water = bytes;
        self
    }

    /// The first session of every remote node's counter (default 1; for tests of the
    /// wrap-around after 2^31-1).
    pub fn first_session(mut self, session: u32) -> Self {
        self.opts.first_session = session;
        self
    }

    /// The reconnect back-off after a failed connect: from `min`, doubling, up to
    /// `max` (default 50 ms to 2 s). Calls during the back-off fail at once.
    pub fn reconnect_backoff(mut self, min: Duration, max: Duration) -> Self {
        self.opts.backoff_min = min;
        self.opts.backoff_max = max.max(min);
        self
    }

    /// Busy-polling window of the calling side (default 0: off). When set, a call
    /// that is the only one waiting on its connection keeps checking the socket for up
    /// to `window` (yielding to other tasks) before letting its thread sleep. On an
    /// idle machine this takes the wake-up of a sleeping CPU off the round trip (at one
    /// call in flight on loopback here: p50 ≈ 75 µs → ≈ 30 µs, see BENCHMARKS.md), at
    /// the price of up to `window` of CPU per call and one more file descriptor per
    /// outgoing connection. Busy connections never spin.
    pub fn busy_poll(mut self, window: Duration) -> Self {
        self.opts.busy_poll = window;
        self
    }

    /// Whether this node records its metrics (feature `metrics`; default `true`).
    /// `false`: the node takes no metric handles, so its calls, services and
    /// connections are neither counted nor timed — for a program that installs no
    /// recorder, this saves the clock reads and no-op calls of every call and
    /// request (the `skynet-cluster` CLI turns it off unless `serve --metrics`). A few
    /// rare events that the protocol cores count where they happen (dropped
    /// frames, unroutable requests, name queries, late replies) still go to the
    /// recorder, if one is installed. Without the feature nothing is metered,
    /// whatever this says.
    ///
    /// ```
    /// let node = skynet_cluster::Node::builder().metrics(false).build();
    /// # drop(node);
    /// ```
    pub fn metrics(mut self, on: bool) -> Self {
        self.opts.metrics = on;
        self
    }

    /// Requires the shared-secret handshake (feature `auth`) on this node's listeners:
    /// a peer that does not prove it knows `secret` — a plain skynet node, a Rust node
    /// without the secret or with another — is refused before any request is read
    /// (counted: [`Node::refused_auth`]). What it protects and what not (it is not a
    /// substitute for TLS): [`proto::ServerHandshake`](crate::proto::ServerHandshake).
    ///
    /// ```
    /// use skynet_cluster::proto::AuthSecret;
    /// use skynet_cluster::Node;
    ///
    /// let secret = AuthSecret::new(b"the bytes of a key file both nodes have")?;
    /// let node = Node::builder().require_auth(secret.clone()).auth_node("db", secret).build();
    /// # drop(node);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    #[cfg(feature = "auth")]
    pub fn require_auth(mut self, secret: crate::proto::AuthSecret) -> Self {
        self.opts.auth.listen = Some(secret);
        self
    }

    /// Calls and pushes to node `node` (every member, for a group) open their
    /// connections with the shared-secret handshake (feature `auth`): the node must
    /// require it with the same secret, and must prove it knows the secret before
    /// anything is sent. Other nodes are spoken to as plain skynet nodes.
    #[cfg(feature = "auth")]
    pub fn auth_node(mut self, node: impl Into<String>, secret: crate::proto::AuthSecret) -> Self {
        self.opts.auth.nodes.insert(node.into(), secret);
        self
    }

    /// The node.
    pub fn build(self) -> Node {
        let (shutdown, _) = watch::channel(false);
        Node {
            inner: Arc::new(Inner {
                nodes: RwLock::new(Nodes {
                    config: self.config,
                    channels: FastMap::default(),
                }),
                registry: Arc::new(Registry::new(self.opts.metrics)),
                opts: Arc::new(self.opts.clone()),
                shutdown,
                is_shut: AtomicBool::new(false),
                listeners: Mutex::new(Vec::new()),
                admission: Admission::new(
                    self.opts.max_connections,
                    self.opts.max_connections_per_address,
                ),
                budget: Budget::new(self.opts.request_budget),
                auth: Arc::new(AuthGate::new(&self.opts)),
            }),
        }
    }
}

/// Per-call settings for [`Node::call_with`] / [`Node::send_with`].
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct CallOptions {
    /// Overrides the node's call timeout.
    pub timeout: Option<Duration>,
    /// A trace tag sent in a `0x04` frame just before the request (what
    /// `skynet.trace` does); the serving node passes it to the service.
    pub trace: Option<Bytes>,
}

impl CallOptions {
    /// Default options.
    pub fn new() -> Self {
        Self::default()
    }

    /// With a timeout.
    #[must_use]
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = Some(timeout);
        self
    }

    /// With a trace tag.
    #[must_use]
    pub fn trace(mut self, tag: impl Into<Bytes>) -> Self {
        self.trace = Some(tag.into());
        self
    }
}

struct Nodes {
    config: ClusterConfig,
    channels: FastMap<String, Arc<Remote>>,
}

struct Inner {
    nodes: RwLock<Nodes>,
    registry: Arc<Registry>,
    opts: Arc<NodeOptions>,
    shutdown: watch::Sender<bool>,
    /// Set with `shutdown`: read by every call, which loads it without writing a
    /// shared cache line (the watch's borrow takes its lock).
    is_shut: AtomicBool,
    listeners: Mutex<Vec<AbortHandle>>,
    /// Connection slots shared by every listener.
    admission: Arc<Admission>,
    /// Request bytes in memory, over every accepted connection.
    budget: Budget,
    /// The handshake of accepted connections, and its refusals.
    auth: Arc<AuthGate>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        let _ = self.shutdown.send(true);
        let nodes = self.nodes.get_mut().unwrap_or_else(|e| e.into_inner());
        for c in nodes.channels.values() {
            c.shutdown();
        }
    }
}

/// A skynet cluster node: calls services of other nodes (skynet or Rust) by node name,
/// and serves its own registered services to them.
///
/// Cheap to clone (an `Arc` inside); dropping the last clone stops its listeners and
/// closes its connections. Calls need a tokio runtime.
///
/// * **Calling** — [`call`](Self::call), [`send`](Self::send), [`query`](Self::query)
///   take a node name from the [`ClusterConfig`] and an [`Address`]; the typed
///   [`call_lua`](Self::call_lua) / [`send_lua`](Self::send_lua) pack serde values with
///   lua-seri as `skynet.pack` does. Each remote node gets one TCP connection, opened
///   on first use (TCP_NODELAY), shared by all calls (sessions multiplexed), reopened
///   after a loss. A call fails at once with a typed [`CallError`] when the node is
///   absent or down or the connection is lost, and after the call timeout
///   ([`DEFAULT_CALL_TIMEOUT`]). Dropping a call's future forgets its session.
/// * **Groups** — a node name with several addresses
///   ([`ClusterConfig::with_group`]) has one connection per member; each call and
///   push goes to the member with the fewest calls in flight (round robin among
///   equals). A member that cannot be reached or whose connection is lost is skipped
///   until a probe after the reconnect back-off answers; only the calls in flight
///   on it fail, a call that could not be sent to it goes to another member, and a
///   call fails when every member is down ([`CallError::Connect`]). The policy:
///   [`proto::Balancer`](crate::proto::Balancer).
/// * **Serving** — [`register`](Self::register) a [`Service`], then
///   [`open`](Self::open) a listener.
/// * **Reconfiguring** — [`reload`](Self::reload) replaces the node map: a changed
///   address reconnects (calls in flight on the old connection fail), a node set down
///   closes its connection and fails its calls.
///
/// ```no_run
/// use skynet_cluster::{service_fn, ClusterConfig, Node, Request};
///
/// # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
/// let node = Node::new(ClusterConfig::load("clustername.lua")?);
/// node.register("echo", service_fn(|req: Request| async move { Ok(req.payload) }));
/// node.open("db").await?;                       // listen where the config says "db" is
///
/// // cluster.call("db2", "@sdb", "SET", "a", "foobar")
/// let old: Option<String> = node.call_lua("db2", "@sdb", &("SET", "a", "foobar")).await?;
/// let handle = node.query("db2", "sdb").await?; // cluster.query
/// node.send_lua("db2", handle, &("PING", "hello")).await?;
/// # let _ = old; Ok(()) }
/// ```
#[derive(Clone)]
pub struct Node {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").finish_non_exhaustive()
    }
}

impl Default for Node {
    fn default() -> Self {
        Node::new(ClusterConfig::new())
    }
}

impl Node {
    /// A node with `config` and default settings.
    pub fn new(config: ClusterConfig) -> Node {
        NodeBuilder::default().config(config).build()
    }

    /// A builder for non-default settings.
    pub fn builder() -> NodeBuilder {
        NodeBuilder::default()
    }

    /// Replaces the node map (`cluster.reload`). A node whose address changed is
    /// reconnected on its next call (calls in flight on the old connection fail with
    /// [`CallError::ConnectionLost`]); a node set down closes its connection (calls in
    /// flight and later calls fail with [`CallError::NodeDown`]); a node no longer in
    /// the map fails with [`CallError::UnknownNode`]. Session counters continue. In a
    /// group, members at an unchanged address keep their connection and calls in
    /// flight; members that left are closed (their calls in flight fail with
    /// [`CallError::ConnectionLost`]); new members join up.
    pub fn reload(&self, config: ClusterConfig) {
        let mut nodes = self.inner.nodes.write().unwrap_or_else(|e| e.into_inner());
        for (name, channel) in &nodes.channels {
            channel.retarget(targets_of(&config, name));
        }
        nodes.config = config;
    }

    /// The node map in force.
    pub fn config(&self) -> ClusterConfig {
        self.inner
            .nodes
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .config
            .clone()
    }

    /// Listens for other nodes (`cluster.open`): `target` is a node name of the config
    /// (listen on its address; for a group, on its first member — a member of a group
    /// opens its own `host:port`), a `host:port`, or a port number (on `0.0.0.0`).
    /// Returns the bound address (useful with port 0). The listener runs until the
    /// node is shut down or dropped.
    ///
    /// # Errors
    ///
    /// [`OpenError`] when the name is down, the target is not understood, or binding
    /// fails.
    pub async fn open(&self, target: &str) -> Result<SocketAddr, OpenError> {
        let address = {
            let nodes = self.inner.nodes.read().unwrap_or_else(|e| e.into_inner());
            match nodes.config.address(target) {
                Some(Some(a)) => a.to_owned(),
                Some(None) => return Err(OpenError::NodeDown(target.to_owned())),
                None if !target.is_empty() && target.bytes().all(|b| b.is_ascii_digit()) => {
                    format!("0.0.0.0:{target}")
                }
                None if target.contains(':') => target.to_owned(),
                None => return Err(OpenError::BadTarget(target.to_owned())),
            }
        };
        if self.inner.is_shut.load(Ordering::Acquire) {
            return Err(OpenError::Shutdown);
        }
        let listener = TcpListener::bind(&address)
            .await
            .map_err(|source| OpenError::Bind {
                address: address.clone(),
                source,
            })?;
        let local = listener.local_addr().map_err(|source| OpenError::Bind {
            address: address.clone(),
            source,
        })?;
        let ctx = Arc::new(ServerCtx {
            registry: self.inner.registry.clone(),
            opts: self.inner.opts.clone(),
            shutdown: self.inner.shutdown.subscribe(),
            admission: self.inner.admission.clone(),
            budget: self.inner.budget.clone(),
            auth: self.inner.auth.clone(),
        });
        let span = tracing::info_span!("cluster.listen", addr = %local);
        tracing::info!(parent: &span, "listening");
        let task = tokio::spawn(accept_loop(listener, ctx).instrument(span));
        self.inner
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(task.abort_handle());
        Ok(local)
    }

    /// Registers `service` (`cluster.register`): reachable as `@name` (and by
    /// [`query`](Self::query) of `name`), `.name`, plain `name`, and the returned
    /// handle. A leading `@` or `.` in `name` is ignored; an empty name registers the
    /// handle only. A name already taken now points to this service.
    pub fn register(&self, name: &str, service: impl Service) -> u32 {
        self.inner.registry.register(name, true, Arc::new(service))
    }

    /// Registers `service` under a chosen `handle` (e.g. to keep the handles a skynet
    /// node had), with an optional name as [`register`](Self::register) does.
    ///
    /// # Errors
    ///
    /// [`RegisterError`] for handle 0, a handle in use, or a bad name.
    pub fn register_at(
        &self,
        handle: u32,
        name: Option<&str>,
        service: impl Service,
    ) -> Result<u32, RegisterError> {
        self.inner
            .registry
            .register_at(handle, name, true, Arc::new(service))
    }

    /// Registers `service` reachable only by handle, `.name` and plain `name` — not as
    /// `@name` and not by queries (a skynet service named with `skynet.name` but not
    /// `cluster.register`).
    pub fn register_local(&self, name: &str, service: impl Service) -> u32 {
        self.inner.registry.register(name, false, Arc::new(service))
    }

    /// Removes a registered service and its names; `true` when there was one.
    pub fn unregister(&self, handle: u32) -> bool {
        self.inner.registry.unregister(handle)
    }

    fn channel(&self, node: &str) -> Result<Arc<Remote>, CallError> {
        if self.inner.is_shut.load(Ordering::Acquire) {
            return Err(CallError::Shutdown);
        }
        {
            let nodes = self.inner.nodes.read().unwrap_or_else(|e| e.into_inner());
            if let Some(c) = nodes.channels.get(node) {
                return Ok(c.clone());
            }
            if nodes.config.address(node).is_none() {
                return Err(CallError::UnknownNode(node.to_owned()));
            }
        }
        let mut nodes = self.inner.nodes.write().unwrap_or_else(|e| e.into_inner());
        let targets = targets_of(&nodes.config, node);
        let opts = self.inner.opts.clone();
        let c = nodes
            .channels
            .entry(node.to_owned())
            .or_insert_with(|| Arc::new(Remote::new(node, targets, opts)));
        Ok(c.clone())
    }

    /// Calls `address` on `node` with a lua-seri `payload` (`cluster.call` with
    /// pre-packed arguments) and returns the reply payload.
    ///
    /// # Errors
    ///
    /// [`CallError`]: an error reply ([`CallError::Remote`]), the timeout, the node
    /// absent / down / unreachable, the connection lost, a bad address.
    pub async fn call(
        &self,
        node: &str,
        address: impl Into<Address>,
        payload: Bytes,
    ) -> Result<Bytes, CallError> {
        self.call_with(node, address, payload, &CallOptions::default())
            .await
    }

    /// [`call`](Self::call) with per-call options (timeout, trace tag).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call).
    pub async fn call_with(
        &self,
        node: &str,
        address: impl Into<Address>,
        payload: Bytes,
        options: &CallOptions,
    ) -> Result<Bytes, CallError> {
        let address = address.into();
        address.validate().map_err(telemetry::failed_early)?;
        let channel = self.channel(node).map_err(telemetry::failed_early)?;
        // One clock read per call: the meter's start, when the request was sent, and
        // (on tokio's clock, which tests may pause) the deadline.
        let now = tokio::time::Instant::now();
        let meter = channel.metrics().call(now.into_std());
        let span =
            tracing::debug_span!("cluster.call", node, %address, session = channel.next_session());
        // The deadline is enforced by the connection's sweeper once the request is
        // written (one timer per connection, not one per call), and by a timer of
        // its own while connecting or waiting for queue space.
        let deadline = options
            .timeout
            .or(self.inner.opts.call_timeout)
            .and_then(|d| now.checked_add(d));
        let r = channel
            .call(
                address.as_wire(),
                &payload,
                options.trace.as_deref(),
                now.into_std(),
                deadline,
            )
            .instrument(span)
            .await;
        meter.finish(&r);
        r
    }

    /// Pushes to `address` on `node` (`cluster.send`): no reply; returns once the
    /// frames are queued on the connection.
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), except [`CallError::Remote`].
    pub async fn send(
        &self,
        node: &str,
        address: impl Into<Address>,
        payload: Bytes,
    ) -> Result<(), CallError> {
        self.send_with(node, address, payload, &CallOptions::default())
            .await
    }

    /// [`send`](Self::send) with per-call options (timeout for connecting, trace
    /// tag).
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send).
    pub async fn send_with(
        &self,
        node: &str,
        address: impl Into<Address>,
        payload: Bytes,
        options: &CallOptions,
    ) -> Result<(), CallError> {
        let address = address.into();
        address.validate().map_err(telemetry::failed_early)?;
        let channel = self.channel(node).map_err(telemetry::failed_early)?;
        let fut = channel.send(address.as_wire(), &payload, options.trace.as_deref());
        let r = match options.timeout.or(self.inner.opts.call_timeout) {
            Some(d) => tokio::time::timeout(d, fut)
                .await
                .unwrap_or(Err(CallError::Timeout)),
            None => fut.await,
        };
        channel.metrics().pushed(&r);
        r
    }

    /// The handle `node` registered under `name` (`cluster.query`: a call to address 0
    /// with `skynet.pack(name)`).
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call); an unknown name is [`CallError::Remote`] with
    /// `name not found`.
    pub async fn query(&self, node: &str, name: &str) -> Result<u32, CallError> {
        let payload = luaseri::to_args(&name)?;
        let reply = self.call(node, 0u32, Bytes::from(payload)).await?;
        let (handle,): (u32,) = luaseri::from_args(&reply)?;
        Ok(handle)
    }

    /// Calls with serde arguments and reply through lua-seri: `args` is the argument
    /// list (a tuple is several arguments, as `skynet.pack(a, b)`), `R` the return
    /// values (a tuple for several; see [`from_args`](crate::from_args)).
    ///
    /// ```no_run
    /// # async fn demo(node: skynet_cluster::Node) -> Result<(), skynet_cluster::CallError> {
    /// let v: Option<String> = node.call_lua("db", "@sdb", &("GET", "a")).await?;
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`call`](Self::call), plus [`CallError::Encode`] / [`CallError::Decode`].
    pub async fn call_lua<A, R>(
        &self,
        node: &str,
        address: impl Into<Address>,
        args: &A,
    ) -> Result<R, CallError>
    where
        A: Serialize + ?Sized,
        R: DeserializeOwned,
    {
        let payload = luaseri::to_args(args)?;
        let reply = self.call(node, address, Bytes::from(payload)).await?;
        Ok(luaseri::from_args(&reply)?)
    }

    /// Pushes serde arguments packed with lua-seri.
    ///
    /// # Errors
    ///
    /// As [`send`](Self::send), plus [`CallError::Encode`].
    pub async fn send_lua<A: Serialize + ?Sized>(
        &self,
        node: &str,
        address: impl Into<Address>,
        args: &A,
    ) -> Result<(), CallError> {
        let payload = luaseri::to_args(args)?;
        self.send(node, address, Bytes::from(payload)).await
    }

    /// A delivery barrier for `node`: returns `Ok` once the remote node has taken
    /// every request and push sent to it so far on the current connection — a name
    /// query round trip after them, which a skynet node (or a Rust one) answers only
    /// after dispatching every earlier frame of the connection. Use it before exiting
    /// a program that only sent pushes: a push that was merely *written* can still be
    /// dropped by the remote agent when the connection closes right after.
    ///
    /// `Ok` at once when nothing was ever sent to `node`. Bounded by the call
    /// timeout.
    ///
    /// # Errors
    ///
    /// [`CallError::ConnectionLost`] when the connection closed (what was sent on it
    /// may be lost), [`CallError::Timeout`], [`CallError::Shutdown`].
    pub async fn flush(&self, node: &str) -> Result<(), CallError> {
        let channel = {
            let nodes = self.inner.nodes.read().unwrap_or_else(|e| e.into_inner());
            nodes.channels.get(node).cloned()
        };
        let Some(c) = channel else { return Ok(()) };
        match self.inner.opts.call_timeout {
            Some(d) => tokio::time::timeout(d, c.sync())
                .await
                .unwrap_or(Err(CallError::Timeout)),
            None => c.sync().await,
        }
    }

    /// [`flush`](Self::flush)es every remote node this node has sent to (each bounded
    /// by `timeout`), then [`shutdown`](Self::shutdown)s: pushes sent before are
    /// taken by their nodes unless a connection fails. Returns the nodes whose flush
    /// failed, with why.
    pub async fn close(&self, timeout: Duration) -> Vec<(String, CallError)> {
        let channels: Vec<(String, Arc<Remote>)> = {
            let nodes = self.inner.nodes.read().unwrap_or_else(|e| e.into_inner());
            nodes
                .channels
                .iter()
                .map(|(n, c)| (n.clone(), c.clone()))
                .collect()
        };
        let mut failed = Vec::new();
        for (name, c) in channels {
            let r = tokio::time::timeout(timeout, c.sync())
                .await
                .unwrap_or(Err(CallError::Timeout));
            if let Err(e) = r {
                failed.push((name, e));
            }
        }
        self.shutdown();
        failed
    }

    /// Accepted connections being served now, over every listener.
    pub fn open_connections(&self) -> usize {
        self.inner.admission.open()
    }

    /// Connections refused so far because the node (or their address) was at its
    /// connection limit.
    pub fn refused_connections(&self) -> u64 {
        self.inner.admission.refused()
    }

    /// Connections refused so far because the peer did not pass the shared-secret
    /// handshake that [`NodeBuilder::require_auth`] requires (feature `auth`).
    #[cfg(feature = "auth")]
    pub fn refused_auth(&self) -> u64 {
        self.inner.auth.refused()
    }

    /// Request bytes the node can still take into memory (of
    /// [`NodeBuilder::request_budget`]).
    pub fn request_budget_available(&self) -> usize {
        self.inner.budget.available()
    }

    /// Calls to `node` waiting for their reply right now (0 for an unknown node): a
    /// gauge for monitoring; a cancelled or timed-out call is no longer counted.
    pub fn pending_calls(&self, node: &str) -> usize {
        let nodes = self.inner.nodes.read().unwrap_or_else(|e| e.into_inner());
        nodes.channels.get(node).map_or(0, |c| c.pending_calls())
    }

    /// The members of `node` as this node calls them — address, up or skipped,
    /// calls in flight — in config order (one entry for a plain node, always up: only
    /// a group skips members; none for a node down or absent). A gauge for
    /// monitoring.
    pub fn members(&self, node: &str) -> Vec<MemberStatus> {
        if let Ok(remote) = self.channel(node) {
            return remote.status();
        }
        Vec::new()
    }

    /// The client of `node`, once a call made it (one is never removed).
    #[cfg(feature = "tower")]
    pub(crate) fn existing_remote(&self, node: &str) -> Option<Arc<Remote>> {
        let nodes = self.inner.nodes.read().unwrap_or_else(|e| e.into_inner());
        nodes.channels.get(node).cloned()
    }

    /// Stops the listeners, closes every connection (accepted and outgoing; pending
    /// calls fail with [`CallError::Shutdown`]). Later calls fail, later `open`s too.
    pub fn shutdown(&self) {
        self.inner.is_shut.store(true, Ordering::Release);
        let _ = self.inner.shutdown.send(true);
        for l in self
            .inner
            .listeners
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .drain(..)
        {
            l.abort();
        }
        let mut nodes = self.inner.nodes.write().unwrap_or_else(|e| e.into_inner());
        for c in nodes.channels.values() {
            c.shutdown();
        }
        nodes.config = ClusterConfig::new();
    }
}

/// A node's services, as its connections find them: what a
/// [`ServerConn`](crate::proto::ServerConn) driven in memory resolves addresses with.
impl Resolver for Node {
    type Service = Arc<dyn Service>;

    fn resolve(&self, address: &WireAddress) -> Result<(u32, Arc<dyn Service>), Missing> {
        self.inner.registry.resolve(address)
    }

    fn query(&self, name: &[u8]) -> Option<u32> {
        self.inner.registry.query(name)
    }
}
