//! lua-seri, the format of `skynet.pack` / `skynet.unpack`: Lua values, byte-exact
//! packing and hostile-input-safe unpacking.

mod error;
#[cfg(feature = "json")]
pub mod json;
mod pack;
mod unpack;
mod value;
mod wire;

pub use error::{PackError, UnpackError};
pub use pack::{pack, pack_into, MAX_PACK_DEPTH};
pub use unpack::{unpack, unpack_with, UnpackOptions};
pub use value::{LuaTable, LuaValue};
