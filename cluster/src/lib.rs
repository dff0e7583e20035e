//! skynet cluster: speak the skynet cluster protocol from Rust.
//!
//! [`luaseri`] is `skynet.pack` / `skynet.unpack` (lua-seri): Lua values, byte-exact
//! packing, safe unpacking and serde. The most used entry points are re-exported here:
//! [`to_bytes`] / [`from_bytes`] for one value and [`to_args`] / [`from_args`] for an
//! argument list, as in `skynet.call(addr, "lua", "GET", key)`.
//!
//! ```
//! let msg = skynet_cluster::to_args(&("GET", "a"))?;
//! let (cmd, key): (&str, &str) = skynet_cluster::from_args(&msg)?;
//! assert_eq!((cmd, key), ("GET", "a"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The cluster wire protocol
//!
//! The layers of the cluster protocol are sans-IO: [`frame`] (frame bodies and the
//! split of large messages), [`session`] (session numbering), [`reassembly`]
//! (multi-part messages by session, with limits), [`config`] (the node map).

pub mod address;
pub mod config;
pub mod error;
pub mod frame;
pub mod luaseri;
pub mod reassembly;
pub mod session;

pub use address::{AddrRef, Address, AddressError};
pub use config::{ClusterConfig, ConfigError};
pub use error::{CallError, FrameError, OpenError, RegisterError};
pub use luaseri::{from_args, from_bytes, to_args, to_bytes, LuaValue};
pub use reassembly::Limits;
pub use session::SessionCounter;
