//! [`ArrayRef`]: a sproto array of strings, binaries or structs read in place, for
//! borrowed structs that do not want one `Vec` per array.

use std::fmt;
use std::marker::PhantomData;

use std::borrow::Cow;

use super::field::{
    as_slice, cow_bytes, cow_str, decode_nested, encode_struct_block, to_bytes, to_string, to_vec,
    utf8,
};
use super::{as_bytes, Element, Field, StructCodec, RECHECKED};
use crate::error::{DecodeError, FieldProblem};
use crate::schema::{FieldForm, SchemaBuilder, Shape};
use crate::wire::{data_from_slot, ArrayElements, SlotValue, StructWriter, Writer};

/// An element of an array whose elements are each a length-prefixed block: strings,
/// binaries and structs (what [`ArrayRef`] holds). Integer, boolean and double arrays
/// have their own packed layout: read them into a `Vec`.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be an element of an `ArrayRef`",
    label = "not a string, binary or struct element",
    note = "ArrayRef reads string, binary and struct elements in place (&'a str, &'a [u8], Cow, String, Vec<u8>, a type deriving `Sproto`); integer, boolean and double arrays have their own layout: use Vec<T>"
)]
pub trait BlockElement<'de>: Element<'de> {
    /// Reads one element from its block `bytes` (at absolute offset `at`), in a struct
    /// at nesting level `depth`.
    fn decode_element(bytes: &'de [u8], at: usize, depth: usize) -> Result<Self, DecodeError>;
    /// Appends the element's length prefix and block.
    fn encode_element(&self, w: &mut Writer);
}

macro_rules! bytes_block_element {
    ($a:lifetime, $t:ty, $from:expr) => {
        impl<$a> BlockElement<$a> for $t {
            #[inline(always)]
            fn decode_element(
                bytes: &$a [u8],
                at: usize,
                _depth: usize,
            ) -> Result<Self, DecodeError> {
                $from(bytes, at)
            }
            #[inline(always)]
            fn encode_element(&self, w: &mut Writer) {
                w.put_block(as_bytes(self));
            }
        }
    };
}

bytes_block_element!('de, String, to_string);
bytes_block_element!('de, Vec<u8>, to_vec);
bytes_block_element!('de, bytes::Bytes, to_bytes);
bytes_block_element!('a, &'a str, utf8);
bytes_block_element!('a, &'a [u8], as_slice);
bytes_block_element!('a, Cow<'a, str>, cow_str);
bytes_block_element!('a, Cow<'a, [u8]>, cow_bytes);

/// Reads a struct element: one nesting level deeper. Used by generated
/// `BlockElement` impls.
#[inline(always)]
pub fn decode_struct_element<'de, T: StructCodec<'de>>(
    bytes: &'de [u8],
    at: usize,
    depth: usize,
) -> Result<T, DecodeError> {
    decode_nested(bytes, at, depth + 1)
}

/// Writes a struct element. Used by generated `BlockElement` impls.
#[inline(always)]
pub fn encode_struct_element<'de, T: StructCodec<'de>>(v: &T, w: &mut Writer) {
    encode_struct_block(v, w);
}

/// A sproto array of strings, binaries or structs (`*string`, `*binary`, `*T`) that
/// stays in the input: a field type for borrowed structs (`struct T<'a>`) that reads
/// an array without allocating.
///
/// Decoding checks every element, exactly as decoding into a `Vec<T>` does (a decoded
/// value is whole: the same inputs are accepted and refused, with the same errors),
/// and keeps only the array's bytes and its length. [`iter`](Self::iter) decodes the
/// elements again, one at a time, and cannot fail (an element's own `ArrayRef`s are
/// not checked again then: they were, with it). The price is paid when elements are
/// read: each is decoded again on every iteration, so a value walked many times is
/// better read into `Vec`s.
///
/// ```
/// use sproto_rt::{ArrayRef, MessageRef, Sproto};
///
/// #[derive(Sproto, Debug, Default, Clone, PartialEq)]
/// #[sproto(name = "Names")]
/// struct Names<'a> {
///     #[sproto(tag = 0)]
///     names: ArrayRef<'a, &'a str>,
/// }
///
/// // `*string` holding "ab", "c"
/// let bytes = [1, 0, 0, 0, 11, 0, 0, 0, 2, 0, 0, 0, b'a', b'b', 1, 0, 0, 0, b'c'];
/// let v = Names::decode(&bytes).unwrap();
/// assert_eq!(v.names.len(), 2);
/// assert_eq!(v.names.iter().collect::<Vec<_>>(), ["ab", "c"]);
/// assert_eq!(v.encode(), bytes);
/// assert!(Names::decode(&[1, 0, 0, 0, 3, 0, 0, 0, 9, 0, 0]).is_err()); // checked up front
/// ```
pub struct ArrayRef<'a, T> {
    /// The array block's content.
    data: &'a [u8],
    /// Absolute offset of `data[0]`.
    at: usize,
    /// Nesting level of the struct holding the array.
    depth: usize,
    len: usize,
    elements: PhantomData<fn() -> T>,
}

impl<'a, T: BlockElement<'a>> ArrayRef<'a, T> {
    /// Checks every element of the array block `data` (at absolute offset `at`, in a
    /// struct at nesting level `depth`).
    #[inline]
    fn read(data: &'a [u8], at: usize, depth: usize) -> Result<Self, DecodeError> {
        let len = if depth & RECHECKED != 0 {
            // An element of a checked array, decoded again by its iterator: the
            // elements of this one were checked then too.
            ArrayElements::new(data, at).element_count()
        } else {
            let mut len = 0;
            for e in ArrayElements::new(data, at) {
                let (bytes, at) = e?;
                T::decode_element(bytes, at, depth)?;
                len += 1;
            }
            len
        };
        Ok(ArrayRef {
            data,
            at,
            depth,
            len,
            elements: PhantomData,
        })
    }

    /// The elements, decoded one at a time.
    #[inline]
    pub fn iter(&self) -> ArrayRefIter<'a, T> {
        ArrayRefIter {
            elements: ArrayElements::new(self.data, self.at),
            depth: self.depth | RECHECKED,
            left: self.len,
            item: PhantomData,
        }
    }

    /// The elements, decoded into a `Vec`.
    pub fn to_vec(&self) -> Vec<T> {
        self.iter().collect()
    }
}

impl<T> ArrayRef<'_, T> {
    /// The number of elements.
    #[inline]
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the array has no elements.
    #[inline]
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// The empty array.
impl<T> Default for ArrayRef<'_, T> {
    fn default() -> Self {
        ArrayRef {
            data: &[],
            at: 0,
            depth: 0,
            len: 0,
            elements: PhantomData,
        }
    }
}

impl<T> Clone for ArrayRef<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}

impl<T> Copy for ArrayRef<'_, T> {}

impl<'a, T: BlockElement<'a> + fmt::Debug> fmt::Debug for ArrayRef<'a, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Element by element.
impl<'a, 'b, T: BlockElement<'a> + PartialEq<U>, U: BlockElement<'b>> PartialEq<ArrayRef<'b, U>>
    for ArrayRef<'a, T>
{
    fn eq(&self, other: &ArrayRef<'b, U>) -> bool {
        self.len == other.len && self.iter().zip(other.iter()).all(|(a, b)| a == b)
    }
}

impl<'a, T: BlockElement<'a>> IntoIterator for &ArrayRef<'a, T> {
    type Item = T;
    type IntoIter = ArrayRefIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

impl<'a, T: BlockElement<'a>> IntoIterator for ArrayRef<'a, T> {
    type Item = T;
    type IntoIter = ArrayRefIter<'a, T>;
    fn into_iter(self) -> Self::IntoIter {
        self.iter()
    }
}

/// The elements of an [`ArrayRef`], decoded one at a time.
pub struct ArrayRefIter<'a, T> {
    elements: ArrayElements<'a>,
    depth: usize,
    left: usize,
    item: PhantomData<fn() -> T>,
}

impl<'a, T: BlockElement<'a>> Iterator for ArrayRefIter<'a, T> {
    type Item = T;

    #[inline]
    fn next(&mut self) -> Option<T> {
        // Every element was decoded once already, from these bytes: neither can fail.
        let (bytes, at) = self.elements.next()?.ok()?;
        let v = T::decode_element(bytes, at, self.depth).ok();
        debug_assert!(
            v.is_some(),
            "an element checked when decoding fails to decode"
        );
        self.left = self.left.saturating_sub(1);
        v
    }

    #[inline]
    fn size_hint(&self) -> (usize, Option<usize>) {
        (self.left, Some(self.left))
    }
}

impl<'a, T: BlockElement<'a>> ExactSizeIterator for ArrayRefIter<'a, T> {}

impl<T> fmt::Debug for ArrayRefIter<'_, T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ArrayRefIter")
            .field("left", &self.left)
            .finish()
    }
}

impl<'a, T: BlockElement<'a>> Field<'a> for ArrayRef<'a, T> {
    #[inline]
    fn encode_field(&self, st: &mut StructWriter<'_>, tag: u16) {
        st.data_with(tag, |w| {
            for v in self.iter() {
                v.encode_element(w);
            }
        });
    }
    #[inline]
    fn decode_field(slot: SlotValue<'a>, offset: usize, depth: usize) -> Result<Self, DecodeError> {
        let (data, at) = data_from_slot(slot)
            .map_err(|p: FieldProblem| DecodeError::field_problem(offset, p))?;
        Self::read(data, at, depth)
    }
    fn form(b: &mut SchemaBuilder) -> FieldForm {
        FieldForm {
            ty: T::element_type(b),
            shape: Shape::Array,
        }
    }
}
