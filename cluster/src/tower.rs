//! [tower](https://docs.rs/tower) on both sides of a [`Node`] (feature `tower`).
//!
//! **Calling.** [`Node::service`] is one remote node as a
//! `tower::Service<`[`ClusterRequest`]`>`: the response is the reply payload, the
//! error a [`CallError`]. tower's layers then apply to cluster calls — `timeout`,
//! `concurrency_limit`, `load_shed`, `retry`, `rate_limit`, your own. Its
//! `poll_ready` is pending while the node's connection has more queued than its
//! write high water ([`NodeBuilder::write_high_water`](crate::NodeBuilder::write_high_water)),
//! the back-pressure a call would otherwise meet after writing.
//!
//! ```no_run
//! use std::time::Duration;
//! use skynet_cluster::tower::ClusterRequest;
//! use skynet_cluster::{ClusterConfig, Node};
//! use tower::{ServiceBuilder, ServiceExt};
//!
//! # async fn demo() -> Result<(), tower::BoxError> {
//! let node = Node::new(ClusterConfig::new().with_node("db", "127.0.0.1:2528"));
//! let db = ServiceBuilder::new()
//!     .load_shed()
//!     .concurrency_limit(64)
//!     .timeout(Duration::from_secs(1))
//!     .service(node.service("db"));
//! let reply = db.oneshot(ClusterRequest::lua("@sdb", &("GET", "a"))?).await?;
//! let (value,): (Option<String>,) = skynet_cluster::from_args(&reply)?;
//! # let _ = value; Ok(()) }
//! ```
//!
//! **Serving.** [`Node::register_layered`] registers a [`Service`] wrapped in a tower
//! layer (a [`tower_layer::Layer`], e.g. a `tower::ServiceBuilder`): interceptors see
//! each [`Request`] — the calling peer's address ([`Request::peer`]), the address
//! called, the command ([`Request::command`]) and the payload — and may log it,
//! refuse it (an `Err` becomes the caller's error reply) or limit it. The skynet
//! cluster protocol does not name the calling node: a peer is known by its socket
//! address, so an authorisation layer checks addresses (or a name the program maps
//! them to). [`ServiceLayer`] and [`TowerService`] are the two adapters it is made
//! of, for composing by hand.
//!
//! ```
//! use skynet_cluster::{service_fn, Node, Request, ServiceError};
//! use tower::ServiceBuilder;
//!
//! # #[tokio::main(flavor = "current_thread")] async fn main() {
//! let node = Node::default();
//! let layers = ServiceBuilder::new()
//!     // An interceptor: refuse one command before the service sees it.
//!     .filter(|req: Request| match req.command() {
//!         Some("FLUSHALL") => Err(ServiceError::from("not allowed")),
//!         _ => Ok(req),
//!     })
//!     .concurrency_limit(16);
//! node.register_layered("echo", layers, service_fn(|req: Request| async move { Ok(req.payload) }));
//! # }
//! ```

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};

use bytes::Bytes;
use serde::Serialize;

use crate::address::Address;
use crate::error::CallError;
use crate::luaseri::{self, PackError};
use crate::net::remote::Remote;
use crate::net::{CallOptions, Node};
use crate::service::{Request, Service, ServiceError, ServiceFuture};

/// The boxed error type tower's layers use.
pub type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// A future of a [`ClusterService`] call.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<Bytes, CallError>> + Send + 'static>>;

/// One call for a [`ClusterService`]: the address on the remote node and the
/// lua-seri payload (the command and its arguments, as `skynet.pack(...)`). Cheap to
/// clone (the payload is [`Bytes`]), as a retry policy needs.
///
/// ```
/// use skynet_cluster::tower::ClusterRequest;
///
/// let req = ClusterRequest::lua("@sdb", &("GET", "a"))?;
/// assert_eq!(req.command(), Some("GET"));
/// assert_eq!(req.address.to_string(), "@sdb");
/// # Ok::<(), skynet_cluster::luaseri::PackError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct ClusterRequest {
    /// Where the call goes on the remote node (`@name`, `.name`, `name`, a handle).
    pub address: Address,
    /// The lua-seri payload.
    pub payload: Bytes,
}

impl ClusterRequest {
    /// A call of `address` with a packed `payload`.
    pub fn new(address: impl Into<Address>, payload: Bytes) -> Self {
        Self {
            address: address.into(),
            payload,
        }
    }

    /// A call of `address` with `args` packed by lua-seri (a tuple is several
    /// arguments, as [`Node::call_lua`] packs them).
    ///
    /// # Errors
    ///
    /// [`PackError`] when the arguments cannot be packed.
    pub fn lua<A: Serialize + ?Sized>(
        address: impl Into<Address>,
        args: &A,
    ) -> Result<Self, PackError> {
        Ok(Self::new(address, Bytes::from(luaseri::to_args(args)?)))
    }

    /// The command (the first argument when it is a string), as
    /// [`Request::command`].
    pub fn command(&self) -> Option<&str> {
        crate::service_support::command(&self.payload)
            .ok()
            .map(|(command, _)| command)
    }
}

/// One remote node as a `tower::Service`: made by [`Node::service`].
///
/// Each call is [`Node::call_with`] with the service's [`CallOptions`] (the node's
/// call timeout unless [`with_options`](Self::with_options) sets one). Clones share
/// the node and its connection.
///
/// ```no_run
/// use skynet_cluster::tower::ClusterRequest;
/// use skynet_cluster::{ClusterConfig, Node};
/// use tower::{Service, ServiceExt};
///
/// # async fn demo() -> Result<(), skynet_cluster::CallError> {
/// let node = Node::new(ClusterConfig::new().with_node("db", "127.0.0.1:2528"));
/// let mut db = node.service("db");
/// let req = ClusterRequest::lua("@sdb", &("SET", "a", "1"))?;
/// let reply = db.ready().await?.call(req).await?;
/// # let _ = reply; Ok(()) }
/// ```
pub struct ClusterService {
    node: Node,
    target: Arc<str>,
    options: Arc<CallOptions>,
    /// The node's client, once a call made it.
    remote: Option<Arc<Remote>>,
    /// Waiting for the connection's queue to drain (set by `poll_ready`).
    congestion: Option<Pin<Box<dyn Future<Output = ()> + Send + 'static>>>,
}

impl ClusterService {
    /// The same service with per-call options (timeout, trace tag).
    #[must_use]
    pub fn with_options(mut self, options: CallOptions) -> Self {
        self.options = Arc::new(options);
        self
    }

    /// The remote node's name.
    pub fn node_name(&self) -> &str {
        &self.target
    }
}

impl Clone for ClusterService {
    fn clone(&self) -> Self {
        Self {
            node: self.node.clone(),
            target: self.target.clone(),
            options: self.options.clone(),
            remote: self.remote.clone(),
            congestion: None,
        }
    }
}

impl fmt::Debug for ClusterService {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClusterService")
            .field("node", &self.target)
            .field("options", &self.options)
            .finish_non_exhaustive()
    }
}

impl tower_service::Service<ClusterRequest> for ClusterService {
    type Response = Bytes;
    type Error = CallError;
    type Future = CallFuture;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), CallError>> {
        loop {
            if let Some(wait) = &mut self.congestion {
                if wait.as_mut().poll(cx).is_pending() {
                    return Poll::Pending;
                }
                self.congestion = None;
            }
            if self.remote.is_none() {
                self.remote = self.node.existing_remote(&self.target);
            }
            match self.remote.as_ref().and_then(|r| r.congestion()) {
                Some(wait) => self.congestion = Some(Box::pin(wait)),
                None => return Poll::Ready(Ok(())),
            }
        }
    }

    fn call(&mut self, req: ClusterRequest) -> CallFuture {
        let node = self.node.clone();
        let target = self.target.clone();
        let options = self.options.clone();
        Box::pin(async move {
            node.call_with(&target, req.address, req.payload, &options)
                .await
        })
    }
}

impl Node {
    /// Remote node `node` (a name of the node map) as a `tower::Service` for calls:
    /// see [`ClusterService`] and the [module docs](crate::tower). Nothing is
    /// checked or connected until the first call.
    pub fn service(&self, node: &str) -> ClusterService {
        ClusterService {
            node: self.clone(),
            target: Arc::from(node),
            options: Arc::new(CallOptions::default()),
            remote: None,
            congestion: None,
        }
    }

    /// Registers `service` wrapped in `layer` under `name`, as
    /// [`register`](Self::register) does: each request goes through the layer's
    /// services first. An error of a layer (a refusal, tower's timeout, an overload)
    /// is the caller's error reply, with its text.
    ///
    /// ```
    /// use std::time::Duration;
    /// use skynet_cluster::{service_fn, Node, Request};
    /// use tower::ServiceBuilder;
    ///
    /// # #[tokio::main(flavor = "current_thread")] async fn main() {
    /// let node = Node::default();
    /// let handle = node.register_layered(
    ///     "echo",
    ///     ServiceBuilder::new().concurrency_limit(8).timeout(Duration::from_secs(5)),
    ///     service_fn(|req: Request| async move { Ok(req.payload) }),
    /// );
    /// # let _ = handle; }
    /// ```
    pub fn register_layered<L, S>(&self, name: &str, layer: L, service: S) -> u32
    where
        S: Service,
        L: tower_layer::Layer<ServiceLayer>,
        L::Service: tower_service::Service<Request, Response = Bytes> + Clone + Send + 'static,
        <L::Service as tower_service::Service<Request>>::Error: Into<BoxError>,
        <L::Service as tower_service::Service<Request>>::Future: Send + 'static,
    {
        self.register(
            name,
            TowerService::new(layer.layer(ServiceLayer::new(service))),
        )
    }
}

/// A [`Service`] as a `tower::Service<Request>` (always ready; the response is the
/// reply payload, the error the [`ServiceError`]): the innermost service of a layer
/// stack.
///
/// ```
/// use skynet_cluster::tower::ServiceLayer;
/// use skynet_cluster::{service_fn, Request};
/// use tower::ServiceExt;
///
/// # #[tokio::main(flavor = "current_thread")] async fn main() -> Result<(), skynet_cluster::ServiceError> {
/// let echo = ServiceLayer::new(service_fn(|req: Request| async move { Ok(req.payload) }));
/// let reply = echo.oneshot(Request::new("@echo", "\x04".into())).await?;
/// assert_eq!(&reply[..], b"\x04");
/// # Ok(()) }
/// ```
#[derive(Clone)]
pub struct ServiceLayer {
    inner: Arc<dyn Service>,
}

impl ServiceLayer {
    /// `service` as a tower service.
    pub fn new(service: impl Service) -> Self {
        Self {
            inner: Arc::new(service),
        }
    }
}

impl fmt::Debug for ServiceLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ServiceLayer")
    }
}

impl tower_service::Service<Request> for ServiceLayer {
    type Response = Bytes;
    type Error = ServiceError;
    type Future = ServiceFuture;

    fn poll_ready(&mut self, _: &mut Context<'_>) -> Poll<Result<(), ServiceError>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> ServiceFuture {
        self.inner.call(req)
    }
}

/// A `tower::Service<Request>` as a [`Service`] a node can register: each request
/// runs on a clone of it (`poll_ready`, then `call`), as tower servers do. An error
/// becomes the caller's error reply: a [`ServiceError`] as it is, any other error
/// with its text.
///
/// ```
/// use skynet_cluster::tower::TowerService;
/// use skynet_cluster::{Node, Request, ServiceError};
///
/// let node = Node::default();
/// let svc = tower::service_fn(|req: Request| async move { Ok::<_, ServiceError>(req.payload) });
/// node.register("echo", TowerService::new(svc));
/// ```
pub struct TowerService<S> {
    inner: Mutex<S>,
}

impl<S> TowerService<S> {
    /// Wraps a tower service.
    pub fn new(service: S) -> Self {
        Self {
            inner: Mutex::new(service),
        }
    }
}

impl<S> fmt::Debug for TowerService<S> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TowerService")
    }
}

impl<S> Service for TowerService<S>
where
    S: tower_service::Service<Request, Response = Bytes> + Clone + Send + 'static,
    S::Error: Into<BoxError>,
    S::Future: Send + 'static,
{
    fn call(&self, req: Request) -> ServiceFuture {
        let mut svc = self.inner.lock().unwrap_or_else(|e| e.into_inner()).clone();
        Box::pin(async move {
            std::future::poll_fn(|cx| svc.poll_ready(cx))
                .await
                .map_err(service_error)?;
            svc.call(req).await.map_err(service_error)
        })
    }
}

/// A layer's error as an error reply.
fn service_error(e: impl Into<BoxError>) -> ServiceError {
    match e.into().downcast::<ServiceError>() {
        Ok(e) => *e,
        Err(e) => ServiceError::bounded(format_args!("{e}")),
    }
}
