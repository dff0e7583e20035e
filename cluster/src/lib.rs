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

pub mod luaseri;

pub use luaseri::{from_args, from_bytes, to_args, to_bytes, LuaValue};
