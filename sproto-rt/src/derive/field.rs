//! [`Field`]: how a Rust field type is written as, and read from, one sproto field.

use std::borrow::Cow;

use super::{Element, StructCodec};
use crate::error::{DecodeError, FieldProblem};
use crate::schema::{FieldForm, SchemaBuilder, Shape, TypeRef};
use crate::wire::{
    bool_from_slot, check_nested_len, data_from_slot, double_from_slot, int_from_slot,
    str_from_bytes, SlotValue, StructReader, StructWriter, Writer,
};
use crate::FieldType;

/// A Rust type that can be a sproto field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a sproto field",
    label = "not a sproto field type",
    note = "sproto fields are i8..i64, u8..u32, bool, f64, String, Vec<u8>, bytes::Bytes, Option<T>, Vec<T>, Box<T>, maps (with `key`/`entry`), or a type that derives `Sproto`; in a struct with a lifetime also &'a str, &'a [u8], Cow<'a, str> and Cow<'a, [u8]>"
)]
pub trait Field<'de>: Sized {
    /// Writes the value as field `tag` (nothing for an absent `Option`).
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16);
    /// Reads a present field from input that lives for `'de` (owned types implement
    /// this for every `'de`, borrowed ones for theirs). `offset` locates inline slots in
    /// errors.
    fn decode_field(slot: SlotValue<'de>, offset: usize, depth: usize)
        -> Result<Self, DecodeError>;
    /// The sproto type of the field.
    fn form(b: &mut SchemaBuilder) -> FieldForm;
}

/// The value a field takes when it is absent on the wire.
#[diagnostic::on_unimplemented(
    message = "a non-Option sproto field needs a Default value for when it is absent",
    label = "`{Self}` does not implement Default",
    note = "derive Default for `{Self}`, or make the field an Option"
)]
pub trait FieldDefault: Sized {
    /// The absent value.
    fn absent() -> Self;
}

impl<T: Default> FieldDefault for T {
    #[inline]
    fn absent() -> Self {
        T::default()
    }
}

fn problem(offset: usize, p: FieldProblem) -> DecodeError {
    DecodeError::field_problem(offset, p)
}

fn builtin(ty: FieldType) -> FieldForm {
    FieldForm {
        ty: TypeRef::Builtin(ty),
        shape: Shape::One,
    }
}

macro_rules! integer_field {
    ($($t:ty),*) => {$(
        impl Field<'_> for $t {
            #[inline(always)]
            fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
                st.int(tag, i64::from(*self));
            }
            #[inline(always)]
            fn decode_field(slot: SlotValue<'_>, offset: usize, _depth: usize) -> Result<Self, DecodeError> {
                let v = int_from_slot(slot).map_err(|p| problem(offset, p))?;
                <$t>::try_from(v).map_err(|_| problem(offset, FieldProblem::OutOfRange { value: v, target: stringify!($t) }))
            }
            fn form(_: &mut SchemaBuilder) -> FieldForm {
                builtin(FieldType::Integer)
            }
        }
    )*};
}

integer_field!(i8, i16, i32, i64, u8, u16, u32);

impl Field<'_> for bool {
    #[inline(always)]
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
        st.bool(tag, *self);
    }
    #[inline(always)]
    fn decode_field(
        slot: SlotValue<'_>,
        offset: usize,
        _depth: usize,
    ) -> Result<Self, DecodeError> {
        bool_from_slot(slot).map_err(|p| problem(offset, p))
    }
    fn form(_: &mut SchemaBuilder) -> FieldForm {
        builtin(FieldType::Boolean)
    }
}

impl Field<'_> for f64 {
    #[inline(always)]
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
        st.double(tag, *self);
    }
    #[inline(always)]
    fn decode_field(
        slot: SlotValue<'_>,
        offset: usize,
        _depth: usize,
    ) -> Result<Self, DecodeError> {
        double_from_slot(slot).map_err(|p| problem(offset, p))
    }
    fn form(_: &mut SchemaBuilder) -> FieldForm {
        builtin(FieldType::Double)
    }
}

/// `string` / `binary` fields: a data block, converted by `$from` (which may refuse
/// it, e.g. invalid UTF-8 for `String`).
macro_rules! bytes_field {
    ($a:lifetime, $t:ty, $ty:expr, $from:expr) => {
        impl<$a> Field<$a> for $t {
            #[inline(always)]
            fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
                st.bytes(tag, super::as_bytes(self));
            }
            #[inline(always)]
            fn decode_field(
                slot: SlotValue<$a>,
                offset: usize,
                _depth: usize,
            ) -> Result<Self, DecodeError> {
                let (bytes, at) = data_from_slot(slot).map_err(|p| problem(offset, p))?;
                $from(bytes, at)
            }
            fn form(_: &mut SchemaBuilder) -> FieldForm {
                builtin($ty)
            }
        }
    };
}

/// A `string` block as UTF-8 text.
#[inline(always)]
pub(crate) fn utf8(b: &[u8], at: usize) -> Result<&str, DecodeError> {
    str_from_bytes(b).ok_or_else(|| problem(at, FieldProblem::NotUtf8))
}

// The conversions of a `string` / `binary` block (at absolute offset `at`) to each
// Rust type, called directly (not through a `fn` pointer, which LLVM left as a call).

#[inline(always)]
pub(crate) fn to_string(b: &[u8], at: usize) -> Result<String, DecodeError> {
    utf8(b, at).map(str::to_owned)
}

#[inline(always)]
pub(crate) fn to_vec(b: &[u8], _at: usize) -> Result<Vec<u8>, DecodeError> {
    Ok(b.to_vec())
}

#[inline(always)]
pub(crate) fn to_bytes(b: &[u8], _at: usize) -> Result<bytes::Bytes, DecodeError> {
    Ok(bytes::Bytes::copy_from_slice(b))
}

#[inline(always)]
pub(crate) fn as_slice(b: &[u8], _at: usize) -> Result<&[u8], DecodeError> {
    Ok(b)
}

#[inline(always)]
pub(crate) fn cow_str(b: &[u8], at: usize) -> Result<Cow<'_, str>, DecodeError> {
    utf8(b, at).map(Cow::Borrowed)
}

#[inline(always)]
pub(crate) fn cow_bytes(b: &[u8], _at: usize) -> Result<Cow<'_, [u8]>, DecodeError> {
    Ok(Cow::Borrowed(b))
}

bytes_field!('de, String, FieldType::String, to_string);
bytes_field!('de, Vec<u8>, FieldType::Binary, to_vec);
bytes_field!('de, bytes::Bytes, FieldType::Binary, to_bytes);
bytes_field!('a, &'a str, FieldType::String, utf8);
bytes_field!('a, &'a [u8], FieldType::Binary, as_slice);
bytes_field!('a, Cow<'a, str>, FieldType::String, cow_str);
bytes_field!('a, Cow<'a, [u8]>, FieldType::Binary, cow_bytes);

impl<'de, T: Field<'de>> Field<'de> for Option<T> {
    #[inline(always)]
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
        if let Some(v) = self {
            v.encode_field(st, tag);
        }
    }
    #[inline(always)]
    fn decode_field(
        slot: SlotValue<'de>,
        offset: usize,
        depth: usize,
    ) -> Result<Self, DecodeError> {
        T::decode_field(slot, offset, depth).map(Some)
    }
    fn form(b: &mut SchemaBuilder) -> FieldForm {
        T::form(b)
    }
}

impl<'de, T: Field<'de>> Field<'de> for Box<T> {
    #[inline]
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
        (**self).encode_field(st, tag);
    }
    #[inline]
    fn decode_field(
        slot: SlotValue<'de>,
        offset: usize,
        depth: usize,
    ) -> Result<Self, DecodeError> {
        T::decode_field(slot, offset, depth).map(Box::new)
    }
    fn form(b: &mut SchemaBuilder) -> FieldForm {
        T::form(b)
    }
}

impl<'de, T: Element<'de>> Field<'de> for Vec<T> {
    #[inline(always)]
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
        st.data_with(tag, |w| T::encode_array(self, w));
    }
    #[inline(always)]
    fn decode_field(
        slot: SlotValue<'de>,
        offset: usize,
        depth: usize,
    ) -> Result<Self, DecodeError> {
        let (data, at) = data_from_slot(slot).map_err(|p| problem(offset, p))?;
        T::decode_array(data, at, depth)
    }
    fn form(b: &mut SchemaBuilder) -> FieldForm {
        FieldForm {
            ty: T::element_type(b),
            shape: Shape::Array,
        }
    }
}

/// Writes a derived struct as field `tag`.
#[inline(always)]
pub fn encode_struct_field<'de, T: StructCodec<'de>>(v: &T, st: &mut StructWriter<'_>, tag: u16) {
    st.data_with_raw(tag, |w| encode_struct_block(v, w));
}

/// Appends a derived struct as a data block (its length, then the struct).
#[inline(always)]
pub(crate) fn encode_struct_block<'de, T: StructCodec<'de>>(v: &T, w: &mut Writer) {
    let mut st = StructWriter::begin_block(w, T::MAX_SLOTS);
    v.encode_fields(&mut st);
    st.finish();
}

/// Reads a derived struct field: it must use its whole data block.
#[inline(always)]
pub fn decode_struct_field<'de, T: StructCodec<'de>>(
    slot: SlotValue<'de>,
    offset: usize,
    depth: usize,
) -> Result<T, DecodeError> {
    let (data, at) = data_from_slot(slot).map_err(|p| problem(offset, p))?;
    decode_nested(data, at, depth + 1)
}

/// Decodes a nested struct occupying exactly `data`.
#[inline(always)]
pub(crate) fn decode_nested<'de, T: StructCodec<'de>>(
    data: &'de [u8],
    at: usize,
    depth: usize,
) -> Result<T, DecodeError> {
    let (v, used) = T::decode_reader(StructReader::new(data, at)?, depth)?;
    check_nested_len(at, used, data.len())?;
    Ok(v)
}
