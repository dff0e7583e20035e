//! sproto RPC on the wire with tokio (feature `net`; WebSocket with feature
//! `websocket`): the thin async shell over the sans-IO [`gate`](crate::gate) core.
//!
//! - [`connect_tcp`] / [`connect_ws`]: a client connection; [`spawn_stream`] runs the
//!   protocol over any byte stream;
//! - [`Server`]: accept loops giving each connection its handler, pushes to one or all;
//! - [`Peer`]: one connection's handle — it is a [`Caller`](crate::rpc::Caller), so a
//!   `#[protocol]` client stub sends through it.
//!
//! Both sides may send requests at once; answers are matched by session, many calls
//! may be in flight, each call has a timeout, a package over 65 535 bytes is refused
//! before anything is written, a malformed package closes only its connection
//! ([`CloseReason::Protocol`](crate::rpc::CloseReason::Protocol)), and losing the
//! connection fails every waiting call at once.
//!
//! ```
//! use sproto_rt::{protocol, Sproto};
//! use sproto_rt::net::{connect_tcp, Config, Server};
//!
//! #[derive(Sproto, Debug, Default, PartialEq)]
//! pub struct Ping { #[sproto(tag = 0)] pub n: i64 }
//!
//! #[protocol]
//! pub trait Echo {
//!     #[sproto(tag = 1)]
//!     async fn echo(&self, request: Ping) -> Ping;
//! }
//!
//! struct EchoImpl;
//! impl Echo for EchoImpl {
//!     async fn echo(&self, request: Ping) -> Ping { request }
//! }
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> std::io::Result<()> {
//! let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
//! let addr = listener.local_addr()?;
//! let server = Server::new(Config::default());
//! server.serve_tcp(listener, |_peer| EchoServer::new(EchoImpl));
//!
//! let client = EchoClient::new(connect_tcp(addr, Config::default(), |_| ()).await?);
//! assert_eq!(client.echo(Ping { n: 7 }).await.unwrap(), Ping { n: 7 });
//! server.shutdown();
//! # Ok(()) }
//! ```

mod config;
mod driver;
mod peer;
mod server;
mod stream;
#[cfg(feature = "websocket")]
mod ws;

pub use config::{Config, DEFAULT_FRAME_TIMEOUT, DEFAULT_IDLE_TIMEOUT};
pub use peer::Peer;
pub use server::{Server, DEFAULT_MAX_CONNECTIONS_PER_ADDRESS};
pub use stream::{connect_tcp, spawn_stream};
#[cfg(feature = "websocket")]
pub use ws::{accept_ws, connect_ws, WsError};
