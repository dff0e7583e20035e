//! Argument lists: [`from_args`] reads a Rust tuple from consecutive top-level
//! values, as a Lua function receives `...`.

use serde::de::{self, DeserializeSeed, Visitor};
use serde::Deserialize;

use super::nil::NilDeserializer;
use super::{Deserializer, Result};
use crate::error::UnpackError;
use crate::unpack::{skip_value, UnpackOptions};
use crate::wire::VALUE_TOKEN;

/// Deserializes an argument list, as a Lua function receives `...`: a Rust tuple
/// `(a, b, c)` takes the first three values, a missing trailing value is `nil` (so use
/// `Option` for optional arguments) and extra values are ignored (but must be valid);
/// `()` takes none; any other type takes the first value (`nil` when there is none).
///
/// ```
/// let bytes = skynet_luaseri::to_args(&("GET", "a"))?;
/// let (cmd, key, default): (&str, String, Option<i64>) = skynet_luaseri::from_args(&bytes)?;
/// assert_eq!((cmd, key.as_str(), default), ("GET", "a", None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`UnpackError`] for malformed bytes or an argument that does not fit its type.
pub fn from_args<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    from_args_with(bytes, &UnpackOptions::default())
}

/// [`from_args`] with explicit limits.
///
/// # Errors
///
/// As [`from_args`].
pub fn from_args_with<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    options: &UnpackOptions,
) -> Result<T> {
    let mut d = Deserializer::with_options(bytes, options);
    let v = T::deserialize(Args(&mut d)).map_err(|e| e.at(d.r.pos()))?;
    // Extra arguments are ignored, but the message must still be well formed.
    while !d.r.is_empty() {
        skip_value(&mut d.r, 0, d.limit)?;
    }
    Ok(v)
}

/// The top level of [`from_args`]: a tuple reads consecutive values.
struct Args<'a, 'de>(&'a mut Deserializer<'de>);

macro_rules! args_first_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            // Lua: a missing argument is nil.
            if self.0.r.is_empty() {
                return NilDeserializer.$method(visitor);
            }
            self.0.$method(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Args<'_, 'de> {
    type Error = UnpackError;

    args_first_value! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_seq deserialize_map deserialize_identifier
    }

    #[inline]
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // `()` is the empty argument list: whatever was sent is ignored.
        visitor.visit_unit()
    }

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_unit()
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            if self.0.r.is_empty() {
                return NilDeserializer.deserialize_newtype_struct(name, visitor);
            }
            return de::Deserializer::deserialize_newtype_struct(self.0, name, visitor);
        }
        // A newtype around the argument list is transparent.
        visitor.visit_newtype_struct(self)
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(ArgsSeq {
            de: self.0,
            left: len,
        })
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.r.is_empty() {
            return NilDeserializer.deserialize_tuple(len, visitor);
        }
        de::Deserializer::deserialize_tuple(self.0, len, visitor)
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.r.is_empty() {
            return NilDeserializer.deserialize_struct(name, fields, visitor);
        }
        de::Deserializer::deserialize_struct(self.0, name, fields, visitor)
    }

    #[inline]
    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.r.is_empty() {
            return NilDeserializer.deserialize_enum(name, variants, visitor);
        }
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        true
    }
}

/// The values of an argument list, `nil` past the end.
struct ArgsSeq<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for ArgsSeq<'_, 'de> {
    type Error = UnpackError;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        if self.de.r.is_empty() {
            return seed.deserialize(NilDeserializer).map(Some);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}
