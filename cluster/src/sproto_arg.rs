//! [`SprotoArg`]: a `#[derive(Sproto)]` message carried as a Lua string argument or
//! return value (its sproto encoding), as Lua code that calls `sproto:encode` before
//! `skynet.call` sends it.

use std::fmt;
use std::marker::PhantomData;

use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize, Serializer};
use sproto_rt::Message;

/// A sproto message as a Lua string: serializes as the bytes of `T::encode()`,
/// deserializes with `T::decode`.
///
/// ```
/// use skynet_cluster::SprotoArg;
/// use sproto_rt::Sproto;
///
/// #[derive(Sproto, Debug, Default, PartialEq)]
/// struct Point {
///     #[sproto(tag = 0)]
///     x: i64,
/// }
///
/// let payload = skynet_cluster::to_args(&("MOVE", SprotoArg(Point { x: 3 })))?;
/// let (cmd, p): (String, SprotoArg<Point>) = skynet_cluster::from_args(&payload)?;
/// assert_eq!((cmd.as_str(), p.0), ("MOVE", Point { x: 3 }));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SprotoArg<T>(pub T);

impl<T: Message> Serialize for SprotoArg<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_bytes(&self.0.encode())
    }
}

impl<'de, T: Message> Deserialize<'de> for SprotoArg<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct BytesVisitor<T>(PhantomData<T>);

        impl<T: Message> Visitor<'_> for BytesVisitor<T> {
            type Value = SprotoArg<T>;

            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "a string holding a sproto {} message", T::type_name())
            }

            fn visit_bytes<E: de::Error>(self, v: &[u8]) -> Result<Self::Value, E> {
                T::decode(v)
                    .map(SprotoArg)
                    .map_err(|e| E::custom(format!("sproto {}: {e}", T::type_name())))
            }

            fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
                self.visit_bytes(v.as_bytes())
            }
        }

        deserializer.deserialize_bytes(BytesVisitor(PhantomData))
    }
}
