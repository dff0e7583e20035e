//! [`Field`]: how a Rust field type is written as, and read from, one sproto field.

use super::Element;
use crate::error::{DecodeError, FieldProblem};
use crate::message::Message;
use crate::schema::{SchemaBuilder, Shape, TypeRef};
use crate::wire::{
    bool_from_slot, data_from_slot, double_from_slot, int_from_slot, SlotValue, StructEncoder,
    StructView,
};
use crate::FieldType;

/// A Rust type that can be a sproto field.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be a sproto field",
    label = "not a sproto field type",
    note = "sproto fields are i8..i64, u8..u32, bool, f64, String, Vec<u8>, bytes::Bytes, Option<T>, Vec<T>, Box<T>, maps (with `key`/`entry`), or a type that derives `Sproto`"
)]
pub trait Field: Sized {
    /// Writes the value as field `tag` (nothing for an absent `Option`).
    fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16);
    /// Reads a present field. `offset` locates inline slots in errors.
    fn decode_field(slot: SlotValue<'_>, offset: usize, depth: usize) -> Result<Self, DecodeError>;
    /// The sproto type of the field.
    fn shape(b: &mut SchemaBuilder) -> Shape;
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

fn builtin(ty: FieldType) -> Shape {
    Shape {
        ty: TypeRef::Builtin(ty),
        array: false,
    }
}

macro_rules! integer_field {
    ($($t:ty),*) => {$(
        impl Field for $t {
            #[inline]
            fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
                st.int(tag, i64::from(*self));
            }
            #[inline]
            fn decode_field(slot: SlotValue<'_>, offset: usize, _depth: usize) -> Result<Self, DecodeError> {
                let v = int_from_slot(slot).map_err(|p| problem(offset, p))?;
                <$t>::try_from(v).map_err(|_| problem(offset, FieldProblem::OutOfRange { value: v, target: stringify!($t) }))
            }
            fn shape(_: &mut SchemaBuilder) -> Shape {
                builtin(FieldType::Integer)
            }
        }
    )*};
}

integer_field!(i8, i16, i32, i64, u8, u16, u32);

impl Field for bool {
    #[inline]
    fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
        st.bool(tag, *self);
    }
    #[inline]
    fn decode_field(
        slot: SlotValue<'_>,
        offset: usize,
        _depth: usize,
    ) -> Result<Self, DecodeError> {
        bool_from_slot(slot).map_err(|p| problem(offset, p))
    }
    fn shape(_: &mut SchemaBuilder) -> Shape {
        builtin(FieldType::Boolean)
    }
}

impl Field for f64 {
    #[inline]
    fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
        st.double(tag, *self);
    }
    #[inline]
    fn decode_field(
        slot: SlotValue<'_>,
        offset: usize,
        _depth: usize,
    ) -> Result<Self, DecodeError> {
        double_from_slot(slot).map_err(|p| problem(offset, p))
    }
    fn shape(_: &mut SchemaBuilder) -> Shape {
        builtin(FieldType::Double)
    }
}

/// `string` / `binary` fields: a data block, converted by `$from` (which may refuse
/// it, e.g. invalid UTF-8 for `String`).
macro_rules! bytes_field {
    ($t:ty, $ty:expr, $from:expr) => {
        impl Field for $t {
            #[inline]
            fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
                st.bytes(tag, self.as_ref());
            }
            #[inline]
            fn decode_field(
                slot: SlotValue<'_>,
                offset: usize,
                _depth: usize,
            ) -> Result<Self, DecodeError> {
                let (bytes, at) = data_from_slot(slot).map_err(|p| problem(offset, p))?;
                let from: fn(&[u8], usize) -> Result<$t, DecodeError> = $from;
                from(bytes, at)
            }
            fn shape(_: &mut SchemaBuilder) -> Shape {
                builtin($ty)
            }
        }
    };
}

bytes_field!(String, FieldType::String, |b, at| std::str::from_utf8(b)
    .map(str::to_owned)
    .map_err(|_| problem(at, FieldProblem::NotUtf8)));
bytes_field!(Vec<u8>, FieldType::Binary, |b, _| Ok(b.to_vec()));
bytes_field!(bytes::Bytes, FieldType::Binary, |b, _| Ok(
    bytes::Bytes::copy_from_slice(b)
));

impl<T: Field> Field for Option<T> {
    #[inline]
    fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
        if let Some(v) = self {
            v.encode_field(st, tag);
        }
    }
    #[inline]
    fn decode_field(slot: SlotValue<'_>, offset: usize, depth: usize) -> Result<Self, DecodeError> {
        T::decode_field(slot, offset, depth).map(Some)
    }
    fn shape(b: &mut SchemaBuilder) -> Shape {
        T::shape(b)
    }
}

impl<T: Field> Field for Box<T> {
    #[inline]
    fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
        (**self).encode_field(st, tag);
    }
    #[inline]
    fn decode_field(slot: SlotValue<'_>, offset: usize, depth: usize) -> Result<Self, DecodeError> {
        T::decode_field(slot, offset, depth).map(Box::new)
    }
    fn shape(b: &mut SchemaBuilder) -> Shape {
        T::shape(b)
    }
}

impl<T: Element> Field for Vec<T> {
    #[inline]
    fn encode_field(&self, st: &mut StructEncoder<'_>, tag: u16) {
        st.data_with(tag, |buf| T::encode_array(self, buf));
    }
    #[inline]
    fn decode_field(slot: SlotValue<'_>, offset: usize, depth: usize) -> Result<Self, DecodeError> {
        let (data, at) = data_from_slot(slot).map_err(|p| problem(offset, p))?;
        T::decode_array(data, at, depth)
    }
    fn shape(b: &mut SchemaBuilder) -> Shape {
        Shape {
            ty: T::element_type(b),
            array: true,
        }
    }
}

/// Writes a derived struct as field `tag`.
#[inline]
pub fn encode_struct_field<T: Message>(v: &T, st: &mut StructEncoder<'_>, tag: u16) {
    st.data_with(tag, |buf| v.encode_to(buf));
}

/// Reads a derived struct field: it must use its whole data block.
#[inline]
pub fn decode_struct_field<T: Message>(
    slot: SlotValue<'_>,
    offset: usize,
    depth: usize,
) -> Result<T, DecodeError> {
    let (data, at) = data_from_slot(slot).map_err(|p| problem(offset, p))?;
    decode_nested(data, at, depth + 1)
}

/// Decodes a nested struct occupying exactly `data`.
pub(crate) fn decode_nested<T: Message>(
    data: &[u8],
    at: usize,
    depth: usize,
) -> Result<T, DecodeError> {
    let view = StructView::parse(data, at)?;
    if view.consumed() != data.len() {
        return Err(DecodeError::new(
            at,
            crate::DecodeErrorKind::StructLength {
                used: view.consumed(),
                len: data.len(),
            },
        ));
    }
    T::decode_fields(&view, depth)
}
