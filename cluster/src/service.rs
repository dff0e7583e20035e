//! Services: what a node serves. [`Service`] answers a [`Request`] with a [`Reply`];
//! [`service_fn`] makes one from an async closure.

use std::future::Future;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::address::Address;
use crate::luaseri::{self, PackError, UnpackError};

/// One request or push delivered to a [`Service`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Request {
    /// The lua-seri payload: `skynet.pack(...)` of the arguments.
    pub payload: Bytes,
    /// The caller's session (0 for a single-frame push).
    pub session: u32,
    /// `true` for a push (`cluster.send`): the reply is dropped.
    pub push: bool,
    /// The tag of the trace frame that preceded the request, if any (skynet writes
    /// `(<host><pid>-<node>-<session>)<tag>`).
    pub trace: Option<Bytes>,
    /// The address as the caller wrote it (`@sdb`, `.sdb`, `sdb` or a handle).
    pub address: Address,
    /// The handle of the service the address resolved to.
    pub handle: u32,
    /// The caller's socket address (`None` for requests made in memory).
    pub peer: Option<SocketAddr>,
}

impl Request {
    /// A call (not a push) to `address` with `payload`, session 1, no trace: for
    /// testing services in memory.
    ///
    /// ```
    /// let req = skynet_cluster::Request::new("@sdb", skynet_cluster::to_args(&("GET", "a"))?.into());
    /// let (cmd, key): (String, String) = req.args()?;
    /// assert_eq!((cmd.as_str(), key.as_str(), req.push), ("GET", "a", false));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn new(address: impl Into<Address>, payload: Bytes) -> Self {
        Self {
            payload,
            session: 1,
            push: false,
            trace: None,
            address: address.into(),
            handle: 0,
            peer: None,
        }
    }

    /// The same request as a push (session 0).
    #[must_use]
    pub fn into_push(mut self) -> Self {
        self.push = true;
        self.session = 0;
        self
    }

    /// Deserializes the arguments (a tuple for several, as a Lua function receives
    /// `...`; see [`from_args`](crate::from_args)).
    ///
    /// # Errors
    ///
    /// [`UnpackError`] when the payload is malformed or does not fit `T`.
    pub fn args<T: DeserializeOwned>(&self) -> Result<T, UnpackError> {
        luaseri::from_args(&self.payload)
    }

    /// The arguments as Lua values.
    ///
    /// # Errors
    ///
    /// [`UnpackError`] when the payload is malformed.
    pub fn values(&self) -> Result<Vec<luaseri::LuaValue>, UnpackError> {
        luaseri::unpack(&self.payload)
    }

    /// The command: the first argument when it is a string (`"GET"` of
    /// `skynet.pack("GET", key)`), read in place; `None` otherwise. For interceptors
    /// that log, authorise or limit by command.
    ///
    /// ```
    /// let req = skynet_cluster::Request::new("@sdb", skynet_cluster::to_args(&("GET", "a"))?.into());
    /// assert_eq!(req.command(), Some("GET"));
    /// let req = skynet_cluster::Request::new("@sdb", skynet_cluster::to_args(&(1, 2))?.into());
    /// assert_eq!(req.command(), None);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn command(&self) -> Option<&str> {
        crate::service_support::command(&self.payload)
            .ok()
            .map(|(command, _)| command)
    }
}

/// An error reply: the caller's call fails with this text (a skynet caller only sees
/// that the call failed; a Rust caller gets [`CallError::Remote`](crate::CallError::Remote)
/// with the text).
///
/// ```
/// let e = skynet_cluster::ServiceError::from("Unknown command X");
/// assert_eq!(e.to_string(), "Unknown command X");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ServiceError(pub String);

impl ServiceError {
    /// An error text formatted from `args` and cut at
    /// [`MAX_ERROR_TEXT`](crate::frame::MAX_ERROR_TEXT) bytes (what an error reply
    /// carries) *while* it is formatted: quoting a peer's huge argument costs no more
    /// than the cap.
    ///
    /// ```
    /// use skynet_cluster::ServiceError;
    ///
    /// let huge = "x".repeat(1 << 20);
    /// let e = ServiceError::bounded(format_args!("Unknown command {huge}"));
    /// assert_eq!(e.0.len(), skynet_cluster::frame::MAX_ERROR_TEXT);
    /// assert!(e.0.starts_with("Unknown command xxx"));
    /// ```
    pub fn bounded(args: std::fmt::Arguments<'_>) -> Self {
        ServiceError(bounded_text(args, crate::frame::MAX_ERROR_TEXT))
    }
}

/// `args` formatted, stopping at `cap` bytes (on a character boundary).
pub(crate) fn bounded_text(args: std::fmt::Arguments<'_>, cap: usize) -> String {
    struct Capped {
        text: String,
        cap: usize,
    }
    impl std::fmt::Write for Capped {
        fn write_str(&mut self, s: &str) -> std::fmt::Result {
            let room = self.cap - self.text.len();
            if s.len() <= room {
                self.text.push_str(s);
                return Ok(());
            }
            let mut end = room;
            while !s.is_char_boundary(end) {
                end -= 1;
            }
            self.text.push_str(&s[..end]);
            // Stops the formatting machinery: nothing more is produced.
            Err(std::fmt::Error)
        }
    }
    let mut out = Capped {
        text: String::new(),
        cap,
    };
    let _ = std::fmt::write(&mut out, args);
    out.text
}

impl From<&str> for ServiceError {
    fn from(s: &str) -> Self {
        ServiceError(s.to_owned())
    }
}

impl From<String> for ServiceError {
    fn from(s: String) -> Self {
        ServiceError(s)
    }
}

impl From<PackError> for ServiceError {
    fn from(e: PackError) -> Self {
        ServiceError(format!("cannot pack the reply: {e}"))
    }
}

impl From<UnpackError> for ServiceError {
    fn from(e: UnpackError) -> Self {
        ServiceError(format!("invalid arguments: {e}"))
    }
}

/// A service's answer: `Ok` = the lua-seri packed return values, `Err` = an error
/// reply.
pub type Reply = Result<Bytes, ServiceError>;

/// Packs return values as a reply: `reply_lua(&("PONG", 1))` is
/// `skynet.ret(skynet.pack("PONG", 1))`.
///
/// ```
/// let r = skynet_cluster::reply_lua(&("PONG", 1))?;
/// assert_eq!(&r[..], b"\x24PONG\x0a\x01");
/// # Ok::<(), skynet_cluster::ServiceError>(())
/// ```
///
/// # Errors
///
/// A [`ServiceError`] when the values cannot be packed (too deep, unsupported).
pub fn reply_lua<T: Serialize + ?Sized>(values: &T) -> Reply {
    Ok(Bytes::from(luaseri::to_args(values)?))
}

/// The future a [`Service`] returns.
pub type ServiceFuture = Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;

/// A service a node serves: registered with [`Node::register`](crate::Node::register)
/// it is reachable as `@name`, `.name`, `name` and its numeric handle.
///
/// Calls are dispatched concurrently: `call` may be running for many requests at
/// once. For a push, the reply is dropped. A panic inside a service becomes an error
/// reply.
///
/// ```
/// use skynet_cluster::{reply_lua, Reply, Request, Service, ServiceFuture};
///
/// struct Hello;
/// impl Service for Hello {
///     fn call(&self, req: Request) -> ServiceFuture {
///         Box::pin(async move {
///             let (name,): (String,) = req.args()?;
///             reply_lua(&format!("hello {name}"))
///         })
///     }
/// }
/// ```
pub trait Service: Send + Sync + 'static {
    /// Answers one request.
    fn call(&self, req: Request) -> Pin<Box<dyn Future<Output = Reply> + Send + 'static>>;
}

// The dispatcher keeps services as trait objects.
const _: Option<&dyn Service> = None;

impl<S: Service + ?Sized> Service for Arc<S> {
    fn call(&self, req: Request) -> ServiceFuture {
        (**self).call(req)
    }
}

impl<S: Service + ?Sized> Service for Box<S> {
    fn call(&self, req: Request) -> ServiceFuture {
        (**self).call(req)
    }
}

/// A [`Service`] made of a closure; see [`service_fn`].
#[derive(Clone)]
pub struct ServiceFn<F> {
    f: F,
}

impl<F> std::fmt::Debug for ServiceFn<F> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServiceFn")
    }
}

/// Makes a [`Service`] from a closure returning a future.
///
/// ```
/// use skynet_cluster::{reply_lua, service_fn, Request};
///
/// let echo = service_fn(|req: Request| async move { Ok(req.payload) });
/// let add = service_fn(|req: Request| async move {
///     let (a, b): (i64, i64) = req.args()?;
///     reply_lua(&(a + b))
/// });
/// # let _ = (echo, add);
/// ```
pub fn service_fn<F, Fut>(f: F) -> ServiceFn<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    ServiceFn { f }
}

impl<F, Fut> Service for ServiceFn<F>
where
    F: Fn(Request) -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Reply> + Send + 'static,
{
    fn call(&self, req: Request) -> ServiceFuture {
        Box::pin((self.f)(req))
    }
}
