//! lua-seri, the format of `skynet.pack` / `skynet.unpack`: Lua values, byte-exact
//! packing, hostile-input-safe unpacking, and serde in both directions.
//!
//! Every payload of a skynet cluster call is `skynet.pack(...)` of Lua values. This
//! module speaks that format byte for byte as skynet's `lua-seri.c` does (proven by
//! the vectors recorded from skynet), as a pure function over bytes.
//!
//! # Two front ends
//!
//! * **Lua values**: [`LuaValue`] / [`LuaTable`] keep the wire structure (array
//!   section, then hash pairs in order); [`pack`] / [`unpack`] convert whole argument
//!   lists. [`LuaValue::lua_eq`] compares as Lua sees tables.
//! * **serde**: [`to_bytes`] / [`from_bytes`] for one value, [`to_args`] /
//!   [`from_args`] for argument lists (a Rust tuple is `skynet.pack(a, b, c)`),
//!   [`to_value`] / [`from_value`] between serde types and [`LuaValue`]. The byte
//!   path never builds `LuaValue`s and borrows strings from the input.
//!
//! ```
//! use serde::{Deserialize, Serialize};
//! use skynet_luaseri::{from_args, to_args, unpack, LuaValue};
//!
//! #[derive(Serialize, Deserialize, Debug, PartialEq)]
//! struct Pos { x: i32, y: i32 }
//!
//! // skynet.pack("MOVE", { x = 1, y = 2 })
//! let bytes = to_args(&("MOVE", Pos { x: 1, y: 2 }))?;
//! let (cmd, pos): (&str, Pos) = from_args(&bytes)?;
//! assert_eq!((cmd, pos), ("MOVE", Pos { x: 1, y: 2 }));
//! assert_eq!(unpack(&bytes)?[0], LuaValue::from("MOVE"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # The serde mapping
//!
//! | Rust (serde data model) | Lua value written | Lua values read |
//! | --- | --- | --- |
//! | `bool` | boolean | boolean |
//! | `i8`..`i64`, `u8`..`u64`, `i128`, `u128` | integer (beyond i64: error) | integer; a float with an integral value in range (as `math.tointeger`) |
//! | `f32`, `f64` | float (8 bytes, bits kept) | float; integer (converted) |
//! | `char`, `&str`, `String` | string (UTF-8 bytes) | string holding UTF-8 (`&str` borrows) |
//! | bytes (`serialize_bytes`, e.g. `serde_bytes`) | string | any string (`&[u8]` borrows) |
//! | `Option<T>`: `None` / `Some(v)` | `nil` / `v` | `nil` → `None`, else `Some` |
//! | `()`, unit struct | `nil` | `nil` |
//! | newtype struct `W(T)` | as `T` (transparent) | as `T` |
//! | `Vec<T>`, sequences, tuples, tuple structs | table, array section | table: array section, then hash pairs with integer keys past it (holes are `nil`, at most half the slots); tuples: missing items are `nil`, extra items an error |
//! | maps | table, hash section in iteration order; pairs with a `nil` value left out | table: array items under keys 1..n, then hash pairs; `nil` values skipped, a later duplicate key wins |
//! | struct | table keyed by field names, in field order; `None` fields left out | table: string keys matched to fields; other keys and array items ignored like unknown fields |
//! | unit variant `E::A` | string `"A"` | string |
//! | newtype / tuple / struct variant `E::B(..)` | one-pair table `{ B = payload }` (externally tagged) | one-pair table (for a unit variant the payload is ignored) |
//! | [`LuaValue`] | the value itself (mixed tables as maps: Lua-equal) | exactly the value on the wire |
//!
//! Lua light userdata (raw pointers) only appear through [`LuaValue`]; with other
//! deserializers they read as `u64`. Both directions report themselves as human
//! readable, so types with a text form (addresses, UUIDs, dates) use it, which is
//! what Lua code can work with. A value nested in more than [`MAX_PACK_DEPTH`] tables
//! fails to pack, as in skynet.
//!
//! # Hostile input
//!
//! [`unpack`] and the deserializer never panic, never reserve memory beyond what the
//! remaining input could hold, and stop at [`UnpackOptions::max_depth`] nested tables.
//! Errors are [`UnpackError`]s carrying the byte offset.
//!
//! # JSON
//!
//! With the feature `json`, the module `luaseri::json` converts Lua values to and from the JSON
//! convention of the golden vectors (used by the `skynet-cluster` CLI).
#![warn(missing_docs)]

mod de;
mod error;
#[cfg(feature = "json")]
pub mod json;
mod pack;
mod ser;
mod unpack;
mod value;
mod value_serde;
mod wire;

pub use de::{from_args, from_args_with, from_bytes, from_bytes_with, Deserializer};
pub use error::{ErrorMessage, Mismatch, PackError, Part, UnpackError};
pub use pack::{pack, pack_into, MAX_PACK_DEPTH};
pub use ser::{to_args, to_args_into, to_bytes, to_bytes_into, Serializer};
pub use unpack::{unpack, unpack_with, UnpackOptions};
pub use value::{LuaTable, LuaValue};
pub use value_serde::{from_value, to_value};
