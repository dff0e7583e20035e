//! [`Element`]: how a Rust type is written as, and read from, the elements of a
//! sproto array (`Vec<T>` fields).

use std::borrow::Cow;

use super::field::{
    as_slice, cow_bytes, cow_str, decode_nested, encode_struct_block, to_bytes, to_string, to_vec,
    utf8,
};
use super::{as_bytes, StructCodec};
use crate::error::{DecodeError, FieldProblem};
use crate::schema::{SchemaBuilder, TypeRef};
use crate::wire::{double_array, ArrayElements, IntArray, Writer};
use crate::FieldType;

/// A Rust type that can be the element of a sproto array.
///
/// `u8` is not one: `Vec<u8>` is `binary`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be the element of a sproto array",
    note = "array elements are i8, i16, i32, i64, u16, u32, bool, f64, String, Vec<u8>, bytes::Bytes, or a type that derives `Sproto` (Vec<u8> itself is `binary`); in a struct with a lifetime also &'a str, &'a [u8], Cow<'a, str> and Cow<'a, [u8]>"
)]
pub trait Element<'de>: Sized {
    /// Appends the array block content for `items`.
    fn encode_array(items: &[Self], w: &mut Writer);
    /// Reads the array block content `data` (at absolute offset `base`).
    fn decode_array(data: &'de [u8], base: usize, depth: usize) -> Result<Vec<Self>, DecodeError>;
    /// The sproto element type.
    fn element_type(b: &mut SchemaBuilder) -> TypeRef;
}

fn problem(offset: usize, p: FieldProblem) -> DecodeError {
    DecodeError::field_problem(offset, p)
}

macro_rules! integer_element {
    ($($t:ty),*) => {$(
        impl Element<'_> for $t {
            #[inline]
            fn encode_array(items: &[Self], w: &mut Writer) {
                w.int_array(items.iter().map(|v| i64::from(*v)));
            }
            fn decode_array(data: &[u8], base: usize, _depth: usize) -> Result<Vec<Self>, DecodeError> {
                IntArray::parse(data)
                    .map_err(|p| problem(base, p))?
                    .map(|v| <$t>::try_from(v).map_err(|_| problem(base, FieldProblem::OutOfRange { value: v, target: stringify!($t) })))
                    .collect()
            }
            fn element_type(_: &mut SchemaBuilder) -> TypeRef {
                TypeRef::Builtin(FieldType::Integer)
            }
        }
    )*};
}

integer_element!(i8, i16, i32, i64, u16, u32);

impl Element<'_> for bool {
    fn encode_array(items: &[Self], w: &mut Writer) {
        w.bool_array(items.iter().copied());
    }
    fn decode_array(data: &[u8], _base: usize, _depth: usize) -> Result<Vec<Self>, DecodeError> {
        Ok(data.iter().map(|&b| b != 0).collect())
    }
    fn element_type(_: &mut SchemaBuilder) -> TypeRef {
        TypeRef::Builtin(FieldType::Boolean)
    }
}

impl Element<'_> for f64 {
    fn encode_array(items: &[Self], w: &mut Writer) {
        w.double_array(items.iter().copied());
    }
    fn decode_array(data: &[u8], base: usize, _depth: usize) -> Result<Vec<Self>, DecodeError> {
        Ok(double_array(data).map_err(|p| problem(base, p))?.collect())
    }
    fn element_type(_: &mut SchemaBuilder) -> TypeRef {
        TypeRef::Builtin(FieldType::Double)
    }
}

macro_rules! bytes_element {
    ($a:lifetime, $t:ty, $ty:expr, $from:expr) => {
        impl<$a> Element<$a> for $t {
            #[inline]
            fn encode_array(items: &[Self], w: &mut Writer) {
                for v in items {
                    w.put_block(as_bytes(v));
                }
            }
            fn decode_array(
                data: &$a [u8],
                base: usize,
                _depth: usize,
            ) -> Result<Vec<Self>, DecodeError> {
                let elements = ArrayElements::new(data, base);
                let mut out = Vec::with_capacity(elements.element_count());
                for e in elements {
                    let (bytes, at) = e?;
                    out.push($from(bytes, at)?);
                }
                Ok(out)
            }
            fn element_type(_: &mut SchemaBuilder) -> TypeRef {
                TypeRef::Builtin($ty)
            }
        }
    };
}

bytes_element!('de, String, FieldType::String, to_string);
bytes_element!('de, Vec<u8>, FieldType::Binary, to_vec);
bytes_element!('de, bytes::Bytes, FieldType::Binary, to_bytes);
bytes_element!('a, &'a str, FieldType::String, utf8);
bytes_element!('a, &'a [u8], FieldType::Binary, as_slice);
bytes_element!('a, Cow<'a, str>, FieldType::String, cow_str);
bytes_element!('a, Cow<'a, [u8]>, FieldType::Binary, cow_bytes);

/// Appends the elements of a struct array. Used by generated `Element` impls.
#[inline]
pub fn encode_struct_array<'de, T: StructCodec<'de>>(items: &[T], w: &mut Writer) {
    for v in items {
        encode_struct_block(v, w);
    }
}

/// Reads the elements of a struct array; each is one nesting level deeper.
#[inline]
pub fn decode_struct_array<'de, T: StructCodec<'de>>(
    data: &'de [u8],
    base: usize,
    depth: usize,
) -> Result<Vec<T>, DecodeError> {
    let elements = ArrayElements::new(data, base);
    let mut out = Vec::with_capacity(elements.element_count());
    for e in elements {
        let (bytes, at) = e?;
        out.push(decode_nested(bytes, at, depth + 1)?);
    }
    Ok(out)
}
