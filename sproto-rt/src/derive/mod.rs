//! Support for `#[derive(Sproto)]`: the per-kind encoders and decoders the generated
//! code calls (one implementation of the wire rules, shared with the dynamic codec
//! through [`crate::wire`]). Not meant to be used directly.

mod array_ref;
mod decimal;
mod element;
mod field;
mod map;

use std::borrow::Cow;

pub use array_ref::{
    decode_struct_element, encode_struct_element, ArrayRef, ArrayRefIter, BlockElement,
};
pub use decimal::DecimalField;
pub use element::{decode_struct_array, encode_struct_array, Element};
pub use field::{decode_struct_field, encode_struct_field, Field, FieldDefault};
pub use map::{
    decode_keyed_map, decode_pair_map, encode_keyed_map, encode_pair_map, missing_pair_part,
    KeyField, MapKey, PairEntry,
};

pub use crate::message::check_depth;
pub use crate::schema::{FieldDesc, FieldForm, SchemaBuilder, Shape, TypeRef};
pub use crate::wire::{SlotValue, StructReader, StructView, StructWriter, Writer};
pub use crate::{DecodeError, FieldProblem, FieldType};

use crate::error::DecodeError as Error;

/// A flag in the nesting level passed to decoders: the bytes being decoded were
/// decoded (and so checked) whole before, by the decode that produced an
/// [`ArrayRef`]; an `ArrayRef` inside them only counts its elements instead of
/// checking each again. Set by [`ArrayRefIter`] only; [`check_depth`] ignores it.
pub const RECHECKED: usize = 1 << (usize::BITS - 1);

/// A derived struct type as a field, an array element or a map value of another:
/// implemented by `#[derive(Sproto)]` for every `'de` on owned types (delegating to
/// [`Message`](crate::Message)) and for its own lifetime on borrowed ones (delegating
/// to [`MessageRef`](crate::MessageRef)).
pub trait StructCodec<'de>: Sized {
    /// The most header slots an encoding uses.
    const MAX_SLOTS: usize;
    /// Writes the fields into an open struct.
    fn encode_fields(&self, st: &mut StructWriter<'_>);
    /// Reads the struct `reader` is at; returns it and its size.
    fn decode_reader(reader: StructReader<'de>, depth: usize) -> Result<(Self, usize), Error>;
}

/// The bytes a `string` or `binary` value is written as.
pub trait AsBytes {
    /// The bytes.
    fn as_bytes(&self) -> &[u8];
}

impl AsBytes for String {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }
}

impl AsBytes for Vec<u8> {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl AsBytes for bytes::Bytes {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl AsBytes for &str {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }
}

impl AsBytes for &[u8] {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

impl AsBytes for Cow<'_, str> {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        str::as_bytes(self)
    }
}

impl AsBytes for Cow<'_, [u8]> {
    #[inline(always)]
    fn as_bytes(&self) -> &[u8] {
        self
    }
}

#[inline(always)]
fn as_bytes<T: AsBytes>(v: &T) -> &[u8] {
    v.as_bytes()
}
