//! A deserializer of `nil`, for holes, missing tuple items and missing arguments.

use serde::de::{self, Visitor};

use super::raw::RawValue;
use super::Result;
use crate::error::UnpackError;
use crate::wire;
use crate::wire::VALUE_TOKEN;

/// `nil`, for sequence holes and missing trailing tuple items / arguments.
pub(super) struct NilDeserializer;

impl<'de> de::Deserializer<'de> for NilDeserializer {
    type Error = UnpackError;

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_none()
    }

    #[inline]
    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            return visitor.visit_enum(RawValue {
                depth_left: 0,
                raw: &[wire::NIL_BYTE],
            });
        }
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}
