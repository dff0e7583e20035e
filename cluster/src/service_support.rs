//! Runtime support for the code `#[service]` generates: reading the command and the
//! arguments of a request (with errors that name the argument), packing replies, and
//! the client side's packing and unpacking. Not meant to be used directly.

pub use bytes::Bytes;
use serde::de::DeserializeOwned;
use serde::Serialize;

use crate::error::CallError;
use crate::luaseri::{self, LuaValue};
use crate::service::{Reply, ServiceError};

/// Splits a request payload `skynet.pack(COMMAND, args...)` into the command and the
/// arguments.
pub fn command(payload: &[u8]) -> Result<(String, Vec<LuaValue>), ServiceError> {
    let mut values = luaseri::unpack(payload)
        .map_err(|e| ServiceError(format!("invalid request payload: {e}")))?;
    if values.is_empty() {
        return Err(ServiceError(
            "empty request: expected a command name".to_owned(),
        ));
    }
    let first = values.remove(0);
    match first {
        LuaValue::String(bytes) => match String::from_utf8(bytes) {
            Ok(command) => Ok((command, values)),
            Err(_) => Err(ServiceError(
                "the command name is not UTF-8 text".to_owned(),
            )),
        },
        other => Err(ServiceError(format!(
            "the first value of a request must be the command name (a string), found {}",
            lua_kind(&other)
        ))),
    }
}

fn lua_kind(v: &LuaValue) -> &'static str {
    match v {
        LuaValue::Nil => "nil",
        LuaValue::Boolean(_) => "a boolean",
        LuaValue::Integer(_) => "an integer",
        LuaValue::Real(_) => "a number",
        LuaValue::String(_) => "a string",
        LuaValue::Table(_) => "a table",
        LuaValue::LightUserData(_) => "a light userdata",
    }
}

/// The reply to a command the service does not have.
pub fn unknown_command(command: &str) -> ServiceError {
    ServiceError::bounded(format_args!("Unknown command {command}"))
}

/// Argument `index` (0-based after the command) as `T`; a missing trailing argument
/// is `nil`, as in Lua.
pub fn arg<T: DeserializeOwned>(
    args: &[LuaValue],
    index: usize,
    command: &str,
    name: &str,
) -> Result<T, ServiceError> {
    let nil = LuaValue::Nil;
    let value = args.get(index).unwrap_or(&nil);
    luaseri::from_value(value).map_err(|e| {
        ServiceError::bounded(format_args!(
            "{command}: argument {} ({name}): {e}",
            index + 1
        ))
    })
}

/// No return values (`skynet.ret(skynet.pack())`).
pub fn no_values() -> Bytes {
    Bytes::new()
}

/// One return value.
pub fn reply_one<T: Serialize>(value: &T) -> Reply {
    luaseri::to_args(&(value,))
        .map(Bytes::from)
        .map_err(|e| ServiceError(format!("cannot pack the reply: {e}")))
}

/// Several return values (a tuple).
pub fn reply_many<T: Serialize>(values: &T) -> Reply {
    luaseri::to_args(values)
        .map(Bytes::from)
        .map_err(|e| ServiceError(format!("cannot pack the reply: {e}")))
}

/// Appends one value to a request payload (the command, then each argument).
pub fn push_arg<A: Serialize + ?Sized>(payload: &mut Vec<u8>, arg: &A) -> Result<(), CallError> {
    Ok(luaseri::to_bytes_into(arg, payload)?)
}

/// One return value from a reply (none at all reads as `nil`).
pub fn response_one<R: DeserializeOwned>(reply: &[u8]) -> Result<R, CallError> {
    let (r,): (R,) = luaseri::from_args(reply)?;
    Ok(r)
}

/// Several return values from a reply.
pub fn response_many<R: DeserializeOwned>(reply: &[u8]) -> Result<R, CallError> {
    Ok(luaseri::from_args(reply)?)
}
