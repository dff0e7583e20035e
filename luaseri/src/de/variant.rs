//! Reading enums: a unit variant as its name, a data-carrying variant as the one-pair
//! table `{ [variant] = payload }`.

use serde::de::{self, DeserializeSeed, Visitor};

use super::{Deserializer, Result};
use crate::error::UnpackError;
use crate::unpack::skip_value;

/// A unit variant written as its name.
pub(super) struct UnitVariant<'de> {
    pub(super) name: &'de [u8],
    pub(super) at: usize,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'de> {
    type Error = UnpackError;
    type Variant = Self;

    #[inline]
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = match std::str::from_utf8(self.name) {
            Ok(text) => {
                seed.deserialize(de::value::BorrowedStrDeserializer::<UnpackError>::new(text))
            }
            Err(_) => seed.deserialize(de::value::BorrowedBytesDeserializer::<UnpackError>::new(
                self.name,
            )),
        };
        Ok((v.map_err(|e| e.at(self.at))?, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'de> {
    type Error = UnpackError;

    #[inline]
    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    #[inline]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(self.data_expected())
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(self.data_expected())
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(self.data_expected())
    }
}

impl UnitVariant<'_> {
    #[inline]
    fn data_expected(&self) -> UnpackError {
        UnpackError::mismatch(
            self.at,
            "a variant name alone",
            "a table { variant = value } for a variant with data",
        )
    }
}

/// A data-carrying variant written as `{ [variant] = value }`; the table is open and
/// the reader is at its only key.
pub(super) struct TaggedVariant<'a, 'de> {
    pub(super) de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for TaggedVariant<'_, 'de> {
    type Error = UnpackError;
    type Variant = Self;

    #[inline]
    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        // The key, read with our identifier rules (strings borrowed).
        let v = seed_identifier(self.de, seed)?;
        Ok((v, self))
    }
}

/// Reads a variant name with [`Deserializer`]'s `deserialize_identifier`.
fn seed_identifier<'de, V: DeserializeSeed<'de>>(
    de: &mut Deserializer<'de>,
    seed: V,
) -> Result<V::Value> {
    struct Identifier<'a, 'de>(&'a mut Deserializer<'de>);
    impl<'de> de::Deserializer<'de> for Identifier<'_, 'de> {
        type Error = UnpackError;
        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            de::Deserializer::deserialize_identifier(&mut *self.0, visitor)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }
    seed.deserialize(Identifier(de))
}

impl<'de> de::VariantAccess<'de> for TaggedVariant<'_, 'de> {
    type Error = UnpackError;

    #[inline]
    fn unit_variant(self) -> Result<()> {
        // `{ [variant] = anything }`: the payload carries nothing for a unit variant.
        skip_value(&mut self.de.r, self.de.depth, self.de.limit)
    }

    #[inline]
    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(&mut *self.de)
    }

    #[inline]
    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_tuple(&mut *self.de, len, visitor)
    }

    #[inline]
    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_struct(&mut *self.de, "", fields, visitor)
    }
}
