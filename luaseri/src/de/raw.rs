//! Our side of `LuaValue`'s handshake: the raw bytes of one value, handed to
//! `LuaValue`'s visitor as an enum variant so it can decode them exactly.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};

use super::Result;
use crate::error::UnpackError;
use crate::wire::RAW_VARIANT;

/// The answer to `LuaValue`'s handshake: variant [`RAW_VARIANT`] carrying
/// `(depth budget, raw bytes)`.
pub(super) struct RawValue<'de> {
    pub(super) depth_left: usize,
    pub(super) raw: &'de [u8],
}

impl<'de> de::EnumAccess<'de> for RawValue<'de> {
    type Error = UnpackError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let tag = seed.deserialize(de::value::BorrowedStrDeserializer::new(RAW_VARIANT))?;
        Ok((tag, self))
    }
}

impl<'de> de::VariantAccess<'de> for RawValue<'de> {
    type Error = UnpackError;

    fn unit_variant(self) -> Result<()> {
        Err(de::Error::custom(
            "the raw Lua value handshake carries data",
        ))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(de::Error::custom("the raw Lua value handshake is a pair"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(RawPair {
            depth_left: Some(self.depth_left as u64),
            raw: Some(self.raw),
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(de::Error::custom("the raw Lua value handshake is a pair"))
    }
}

struct RawPair<'de> {
    pub(super) depth_left: Option<u64>,
    pub(super) raw: Option<&'de [u8]>,
}

impl<'de> de::SeqAccess<'de> for RawPair<'de> {
    type Error = UnpackError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if let Some(d) = self.depth_left.take() {
            return seed.deserialize(d.into_deserializer()).map(Some);
        }
        if let Some(raw) = self.raw.take() {
            return seed
                .deserialize(de::value::BorrowedBytesDeserializer::new(raw))
                .map(Some);
        }
        Ok(None)
    }
}
