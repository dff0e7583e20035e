//! Runtime support for the code `#[service]` generates: reading the command and the
//! arguments of a request in place (straight off the payload with the lua-seri
//! deserializer, with errors that name the argument), packing replies, and the client
//! side's packing and unpacking. Not meant to be used directly.

pub use bytes::Bytes;
use serde::de::{self, Deserialize, DeserializeOwned, IgnoredAny, Visitor};
use serde::Serialize;

use crate::error::CallError;
use crate::luaseri::{self, Deserializer, UnpackError};
use crate::service::{Reply, ServiceError};

/// `skynet.pack(nil)`: what a missing trailing argument reads as.
const NIL: &[u8] = &[0];

/// The arguments of a request after its command, read one by one off the payload.
#[derive(Debug)]
pub struct Args<'de> {
    de: Deserializer<'de>,
    command: &'de str,
}

fn invalid_payload(e: UnpackError) -> ServiceError {
    ServiceError(format!("invalid request payload: {e}"))
}

/// Reads the command of a request payload `skynet.pack(COMMAND, args...)`; the
/// arguments follow in [`Args`].
pub fn command(payload: &[u8]) -> Result<(&str, Args<'_>), ServiceError> {
    let mut de = Deserializer::from_slice(payload);
    if de.end().is_ok() {
        return Err(ServiceError(
            "empty request: expected a command name".to_owned(),
        ));
    }
    match de::Deserializer::deserialize_any(&mut de, CommandVisitor) {
        Ok(Ok(command)) => Ok((command, Args { de, command })),
        Ok(Err(found)) => Err(ServiceError(match found {
            "bytes" => "the command name is not UTF-8 text".to_owned(),
            kind => format!(
                "the first value of a request must be the command name (a string), found {kind}"
            ),
        })),
        Err(e) => Err(invalid_payload(e)),
    }
}

/// Sees the first value: the command text, or what it is instead.
struct CommandVisitor;

impl<'de> Visitor<'de> for CommandVisitor {
    type Value = Result<&'de str, &'static str>;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("a command name")
    }

    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }

    fn visit_borrowed_bytes<E: de::Error>(self, _: &'de [u8]) -> Result<Self::Value, E> {
        Ok(Err("bytes"))
    }

    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Err("nil"))
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Err("a boolean"))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Err("an integer"))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Err("a number"))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Err("a light userdata"))
    }

    fn visit_seq<A: de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Err("a table"))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Err("a table"))
    }
}

/// The reply to a command the service does not have (the rest of the payload must
/// still be well formed).
pub fn unknown_command(command: &str, args: Args<'_>) -> ServiceError {
    match finish(args) {
        Ok(()) => ServiceError::bounded(format_args!("Unknown command {command}")),
        Err(e) => e,
    }
}

/// The next argument (`index`, 0-based after the command, for the error text) as
/// `T`, read in place (no `LuaValue` tree; strings are copied once, into `T`); a
/// missing trailing argument is `nil`, as in Lua.
pub fn arg<T: DeserializeOwned>(
    args: &mut Args<'_>,
    index: usize,
    name: &str,
) -> Result<T, ServiceError> {
    let r = if args.de.end().is_ok() {
        T::deserialize(&mut Deserializer::from_slice(NIL))
    } else {
        T::deserialize(&mut args.de)
    };
    r.map_err(|e| {
        ServiceError::bounded(format_args!(
            "{}: argument {} ({name}): {e}",
            args.command,
            index + 1
        ))
    })
}

/// After the arguments: extra values are ignored, but must be well formed.
pub fn finish(mut args: Args<'_>) -> Result<(), ServiceError> {
    while args.de.end().is_err() {
        IgnoredAny::deserialize(&mut args.de).map_err(invalid_payload)?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::luaseri::{to_args, LuaValue};

    fn read(payload: &[u8]) -> Result<(String, Option<String>, Option<i64>), ServiceError> {
        let (command, mut args) = command(payload)?;
        let command = command.to_owned();
        let a: Option<String> = arg(&mut args, 0, "a")?;
        let b: Option<i64> = arg(&mut args, 1, "b")?;
        finish(args)?;
        Ok((command, a, b))
    }

    #[test]
    fn command_and_arguments_in_place() {
        let p = to_args(&("GET", "k", 5)).unwrap();
        assert_eq!(read(&p).unwrap(), ("GET".into(), Some("k".into()), Some(5)));
        // Missing trailing arguments are nil; extra ones are ignored.
        let p = to_args(&("GET",)).unwrap();
        assert_eq!(read(&p).unwrap(), ("GET".into(), None, None));
        let p = to_args(&("GET", "k", 5, (1, 2), "extra")).unwrap();
        assert_eq!(read(&p).unwrap().2, Some(5));
        // A Lua value as an argument, nil when missing.
        let p = to_args(&("X",)).unwrap();
        let (_, mut args) = command(&p).unwrap();
        assert_eq!(arg::<LuaValue>(&mut args, 0, "v").unwrap(), LuaValue::Nil);
    }

    #[test]
    fn errors_say_what_was_wrong() {
        let text = |p: &[u8]| read(p).unwrap_err().0;
        assert_eq!(text(b""), "empty request: expected a command name");
        assert_eq!(
            text(&to_args(&(1,)).unwrap()),
            "the first value of a request must be the command name (a string), found an integer"
        );
        assert_eq!(
            text(&to_args(&((1, 2), "x")).unwrap()),
            "the first value of a request must be the command name (a string), found a table"
        );
        let mut not_utf8 = vec![0x04 | (2 << 3)];
        not_utf8.extend_from_slice(&[0xff, 0xfe]);
        assert_eq!(text(&not_utf8), "the command name is not UTF-8 text");
        assert!(text(&[0x07]).starts_with("invalid request payload: "));
        let t = text(&to_args(&("GET", 1)).unwrap());
        assert!(t.starts_with("GET: argument 1 (a): "), "{t}");
        // Extra values must still be well formed.
        let mut p = to_args(&("GET", "k", 5)).unwrap();
        p.push(0x07);
        assert!(text(&p).starts_with("invalid request payload: "));
        let (c, args) = command(&p).unwrap();
        assert!(unknown_command(c, args)
            .0
            .starts_with("invalid request payload: "));
        let p = to_args(&("NOPE", 1)).unwrap();
        let (c, args) = command(&p).unwrap();
        assert_eq!(unknown_command(c, args).0, "Unknown command NOPE");
    }
}
