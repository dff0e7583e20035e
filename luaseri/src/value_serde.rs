//! serde for [`LuaValue`] itself, and the bridges [`to_value`] / [`from_value`]
//! between serde types and `LuaValue`.
//!
//! With other formats a `LuaValue` maps to the obvious data model (tables as sequences
//! when they only have an array section, else as maps). With this crate's own
//! [`Deserializer`](super::Deserializer) a `LuaValue` field is read exactly, in wire
//! structure, through a private handshake: it asks for a newtype struct with a
//! reserved name and our deserializer answers with the raw bytes of the value.

use std::collections::HashSet;
use std::fmt;

use serde::de::{self, DeserializeOwned, SeqAccess, Visitor};
use serde::ser::{SerializeMap, SerializeSeq};
use serde::{Deserialize, Serialize};

use super::de::from_bytes;
use super::error::{PackError, UnpackError};
use super::pack::pack_values_with_limit;
use super::ser::to_bytes;
use super::unpack::{read_value, UnpackOptions};
use super::value::{LuaTable, LuaValue};
use super::wire::{Reader, POINTER_TOKEN, RAW_VARIANT, VALUE_TOKEN};

/// Converts any serde value into a [`LuaValue`], by the same rules as [`to_bytes`].
///
/// ```
/// use skynet_luaseri::{to_value, LuaTable, LuaValue};
///
/// let v = to_value(&vec![1, 2])?;
/// assert_eq!(v, LuaValue::from(LuaTable::from_array(vec![1.into(), 2.into()])));
/// # Ok::<(), skynet_luaseri::PackError>(())
/// ```
///
/// # Errors
///
/// As [`to_bytes`].
pub fn to_value<T: Serialize + ?Sized>(value: &T) -> Result<LuaValue, PackError> {
    // Going through the bytes keeps one set of mapping rules (the serializer's).
    let bytes = to_bytes(value)?;
    let mut r = Reader::new(&bytes);
    // Our own output nests at most MAX_PACK_DEPTH + 1 tables, so this cannot fail.
    read_value(&mut r, 0, usize::MAX).map_err(|e| PackError::Message(e.to_string()))
}

/// Converts a [`LuaValue`] into any serde type, by the same rules as
/// [`from_bytes`](super::from_bytes).
///
/// ```
/// use skynet_luaseri::{from_value, LuaTable};
///
/// let t = LuaTable::from_array(vec!["a".into(), "b".into()]);
/// let v: Vec<String> = from_value(&t.into())?;
/// assert_eq!(v, ["a", "b"]);
/// # Ok::<(), skynet_luaseri::UnpackError>(())
/// ```
///
/// # Errors
///
/// [`UnpackError`] when the value does not fit `T`, or when it has no wire form (a
/// `nil`/NaN key, nesting past [`UnpackOptions::DEFAULT_MAX_DEPTH`]).
pub fn from_value<T: DeserializeOwned>(value: &LuaValue) -> Result<T, UnpackError> {
    let mut bytes = Vec::new();
    pack_values_with_limit(
        std::slice::from_ref(value),
        &mut bytes,
        UnpackOptions::DEFAULT_MAX_DEPTH,
    )
    .map_err(|e| UnpackError::message(e.to_string(), None))?;
    from_bytes(&bytes)
}

/// Data model mapping: nil → unit, boolean → bool, integer → i64, float → f64,
/// string → str (bytes when not UTF-8), light userdata → u64 (a light userdata again
/// with our serializer), table → a sequence when it only has an array section, else a
/// map of what Lua sees (array items under keys 1..n, then the hash pairs; `nil`
/// entries and pairs overwritten by later ones left out).
impl Serialize for LuaValue {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            LuaValue::Nil => s.serialize_unit(),
            LuaValue::Boolean(b) => s.serialize_bool(*b),
            LuaValue::Integer(i) => s.serialize_i64(*i),
            LuaValue::Real(f) => s.serialize_f64(*f),
            LuaValue::String(bytes) => match std::str::from_utf8(bytes) {
                Ok(text) => s.serialize_str(text),
                Err(_) => s.serialize_bytes(bytes),
            },
            LuaValue::LightUserData(p) => s.serialize_newtype_struct(POINTER_TOKEN, p),
            LuaValue::Table(t) => t.serialize(s),
        }
    }
}

/// See [`LuaValue`]'s `Serialize`.
impl Serialize for LuaTable {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if self.hash.is_empty() {
            let mut seq = s.serialize_seq(Some(self.array.len()))?;
            for v in &self.array {
                seq.serialize_element(v)?;
            }
            return seq.end();
        }
        // Only what Lua sees: a pair is shadowed by a later pair with the same key
        // (which may remove it with a nil value), an array item by any such pair.
        let mut later = HashSet::with_capacity(self.hash.len());
        let mut last = vec![false; self.hash.len()];
        for (i, (k, _)) in self.hash.iter().enumerate().rev() {
            last[i] = later.insert(k.to_lua_key());
        }
        let mut map = s.serialize_map(None)?;
        for (i, v) in self.array.iter().enumerate() {
            let key = LuaValue::Integer(i as i64 + 1);
            if !v.is_nil() && !later.contains(&key) {
                map.serialize_entry(&key, v)?;
            }
        }
        for ((k, v), last) in self.hash.iter().zip(last) {
            if last && !v.is_nil() {
                map.serialize_entry(k, v)?;
            }
        }
        map.end()
    }
}

/// Reads any self-describing data (unit → nil, numbers, strings, bytes, sequences →
/// array section, maps → hash section); from this crate's deserializer, exactly the
/// value on the wire.
impl<'de> Deserialize<'de> for LuaValue {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_newtype_struct(VALUE_TOKEN, ValueVisitor)
    }
}

/// See [`LuaValue`]'s `Deserialize`.
impl<'de> Deserialize<'de> for LuaTable {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match LuaValue::deserialize(d)? {
            LuaValue::Table(t) => Ok(*t),
            other => Err(de::Error::invalid_type(
                de::Unexpected::Other(other.type_name()),
                &"a table",
            )),
        }
    }
}

struct ValueVisitor;

impl<'de> Visitor<'de> for ValueVisitor {
    type Value = LuaValue;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a Lua value")
    }

    fn visit_bool<E>(self, v: bool) -> Result<LuaValue, E> {
        Ok(LuaValue::Boolean(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<LuaValue, E> {
        Ok(LuaValue::Integer(v))
    }

    fn visit_u64<E>(self, v: u64) -> Result<LuaValue, E> {
        // Beyond i64 Lua reads a numeral as a float.
        Ok(i64::try_from(v).map_or(LuaValue::Real(v as f64), LuaValue::Integer))
    }

    fn visit_i128<E>(self, v: i128) -> Result<LuaValue, E> {
        Ok(i64::try_from(v).map_or(LuaValue::Real(v as f64), LuaValue::Integer))
    }

    fn visit_u128<E>(self, v: u128) -> Result<LuaValue, E> {
        Ok(i64::try_from(v).map_or(LuaValue::Real(v as f64), LuaValue::Integer))
    }

    fn visit_f64<E>(self, v: f64) -> Result<LuaValue, E> {
        Ok(LuaValue::Real(v))
    }

    fn visit_str<E>(self, v: &str) -> Result<LuaValue, E> {
        Ok(LuaValue::from(v))
    }

    fn visit_string<E>(self, v: String) -> Result<LuaValue, E> {
        Ok(LuaValue::from(v))
    }

    fn visit_bytes<E>(self, v: &[u8]) -> Result<LuaValue, E> {
        Ok(LuaValue::from(v))
    }

    fn visit_byte_buf<E>(self, v: Vec<u8>) -> Result<LuaValue, E> {
        Ok(LuaValue::String(v))
    }

    fn visit_none<E>(self) -> Result<LuaValue, E> {
        Ok(LuaValue::Nil)
    }

    fn visit_unit<E>(self) -> Result<LuaValue, E> {
        Ok(LuaValue::Nil)
    }

    fn visit_some<D: de::Deserializer<'de>>(self, d: D) -> Result<LuaValue, D::Error> {
        LuaValue::deserialize(d)
    }

    fn visit_newtype_struct<D: de::Deserializer<'de>>(self, d: D) -> Result<LuaValue, D::Error> {
        d.deserialize_any(self)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<LuaValue, A::Error> {
        let mut array = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(v) = seq.next_element::<LuaValue>()? {
            array.push(v);
        }
        Ok(LuaValue::from(LuaTable::from_array(array)))
    }

    fn visit_map<A: de::MapAccess<'de>>(self, mut map: A) -> Result<LuaValue, A::Error> {
        let mut hash = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some(kv) = map.next_entry::<LuaValue, LuaValue>()? {
            hash.push(kv);
        }
        Ok(LuaValue::from(LuaTable::from_pairs(hash)))
    }

    /// Our deserializer's answer to [`VALUE_TOKEN`]: the raw bytes of one value and the
    /// nesting budget left, decoded here exactly.
    fn visit_enum<A: de::EnumAccess<'de>>(self, data: A) -> Result<LuaValue, A::Error> {
        use de::VariantAccess as _;
        let (RawTag, variant) = data.variant::<RawTag>()?;
        let (depth_left, raw) = variant.tuple_variant(2, RawVisitor)?;
        let mut r = Reader::new(raw);
        read_value(&mut r, 0, depth_left).map_err(de::Error::custom)
    }
}

/// The variant name of the raw handshake; any other name is refused.
struct RawTag;

impl<'de> Deserialize<'de> for RawTag {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_identifier(RawTagVisitor)
    }
}

struct RawTagVisitor;

impl Visitor<'_> for RawTagVisitor {
    type Value = RawTag;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the raw Lua value handshake")
    }

    fn visit_str<E: de::Error>(self, v: &str) -> Result<RawTag, E> {
        if v == RAW_VARIANT {
            Ok(RawTag)
        } else {
            Err(E::unknown_variant(v, &[]))
        }
    }
}

/// Reads `(depth budget, raw bytes)` of the raw handshake.
struct RawVisitor;

impl<'de> Visitor<'de> for RawVisitor {
    type Value = (usize, &'de [u8]);

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a depth budget and raw lua-seri bytes")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let depth: u64 = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(0, &self))?;
        let raw: &'de [u8] = seq
            .next_element()?
            .ok_or_else(|| de::Error::invalid_length(1, &self))?;
        Ok((usize::try_from(depth).unwrap_or(usize::MAX), raw))
    }
}
