//! The cluster protocol per connection as sans-IO state machines (the model is
//! `quinn-proto` under `quinn`): bytes and time in, bytes and events out — no
//! sockets, no tasks, no clock. The tokio shell (`Node`) only moves bytes, waits and
//! spawns; every protocol decision is made here, and the tests drive these types in
//! memory with recorded exchanges and a simulated clock.
//!
//! * [`ServerConn`]: one accepted connection — which bad frames are dropped and which
//!   close it, multi-part reassembly, the name query, unknown addresses and pushes,
//!   what a request holds of the node's request budget, read deadlines (idle, inside
//!   a frame); [`Resolver`] finds services; [`encode_reply`] writes a reply.
//! * [`ClientConn`]: one outgoing connection — the calls waiting by session, requests
//!   out, replies in and routed to their callers, close reasons turned into errors.
//! * [`NodeLink`]: one remote node name across its connections — session numbering,
//!   the node map's target, stale connect attempts after a reload, and the
//!   [`Backoff`] after failed connects.
//! * [`Balancer`]: a node group's members — which one takes the next call (least in
//!   flight, round robin among equals), which are down and when they are probed;
//!   [`reconcile`] keeps the unchanged members across a reload.
//! * `ClientHandshake` / `ServerHandshake` (feature `auth`): the optional
//!   shared-secret handshake before the first frame, and what it does not protect.
//!
//! ```
//! use std::time::Instant;
//! use bytes::BytesMut;
//! use skynet_cluster::frame::WireAddress;
//! use skynet_cluster::proto::*;
//! use skynet_cluster::{AddrRef, Limits};
//!
//! // A server that answers every call with its payload, and a client, in memory.
//! struct Echo;
//! impl Resolver for Echo {
//!     type Service = ();
//!     fn resolve(&self, _: &WireAddress) -> Result<(u32, ()), Missing> { Ok((1, ())) }
//!     fn query(&self, _: &[u8]) -> Option<u32> { None }
//! }
//! let now = Instant::now();
//! let mut link = NodeLink::new("echo", Target::Up("mem".into()), 1, Backoff::default());
//! let mut client = ClientConn::new("echo", Limits::default());
//! let mut server = ServerConn::new(ServerConfig::default(), None);
//!
//! let session = link.begin_call(b"\x14hi", None)?;
//! let mut wire = BytesMut::new();
//! client.call(&mut wire, AddrRef::Name(b"@echo"), session, b"\x14hi", None, "caller")?;
//! server.receive(&wire);
//! let mut back = BytesMut::new();
//! while let Some(event) = server.poll_event(now, &Echo)? {
//!     if let ServerEvent::Dispatch(d) = event {
//!         encode_reply(&mut back, d.request.session, &Ok(d.request.payload));
//!     }
//! }
//! let reply = client.poll_input(&mut back)?.expect("the reply");
//! assert_eq!((reply.waiter, &reply.result?[..]), ("caller", &b"\x14hi"[..]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub(crate) mod admission;
#[cfg(feature = "auth")]
mod auth;
mod backoff;
mod client;
mod group;
pub(crate) mod log_limit;
mod server;

#[cfg(feature = "auth")]
pub use auth::{
    AuthError, AuthSecret, ClientHandshake, ServerHandshake, ACCEPTED, AUTH_MAGIC, CHALLENGE_LEN,
    HELLO_LEN, MAC_LEN, NONCE_LEN, PROOF_LEN,
};
pub use backoff::{Backoff, DEFAULT_BACKOFF_MAX, DEFAULT_BACKOFF_MIN};
pub use client::{
    sync_outcome, Check, ClientClose, ClientConn, CloseReason, Delivery, NodeLink, Target,
};
pub use group::{reconcile, Balancer, Outcome, Ticket};
pub use server::{
    encode_reply, Dispatch, Missing, ReadPlan, Resolver, ServerClose, ServerConfig, ServerConn,
    ServerEvent, FREE_BYTES, IN_FLIGHT_CHARGE,
};
