//! Reading sproto structs: the header and data part are validated once, up front, so
//! that iterating the fields afterwards cannot fail and never reads out of bounds.

use super::{read_u16, read_u32, SIZEOF_FIELD, SIZEOF_HEADER, SIZEOF_LENGTH};
use crate::error::{DecodeError, DecodeErrorKind};

/// A validated view of one encoded struct.
///
/// ```
/// use sproto_rt::wire::{SlotValue, StructView};
///
/// let bytes = [3, 0, 4, 0, 1, 0, 0, 0, 2, 0, 0, 0, b'h', b'i'];
/// let view = StructView::parse(&bytes, 0).unwrap();
/// assert_eq!(view.consumed(), bytes.len());
/// let fields: Vec<_> = view.fields().map(|f| (f.tag, f.value)).collect();
/// assert_eq!(fields[0], (0, SlotValue::Inline(1)));
/// assert!(matches!(fields[1], (2, SlotValue::Data { bytes: b"hi", .. })));
/// ```
#[derive(Debug, Clone, Copy)]
pub struct StructView<'a> {
    bytes: &'a [u8],
    base: usize,
    count: usize,
    consumed: usize,
}

/// What a header slot holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlotValue<'a> {
    /// A small non-negative integer stored in the slot itself.
    Inline(u16),
    /// A data block: its content and the absolute offset of that content.
    Data {
        /// The block's content (without the length prefix).
        bytes: &'a [u8],
        /// Offset of `bytes[0]` in the outermost input, for error messages.
        offset: usize,
    },
}

/// One present field of a struct.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldSlot<'a> {
    /// Position of the slot in the header, counting skip slots.
    pub index: usize,
    /// The field's tag (skips applied).
    pub tag: u32,
    /// The slot's content.
    pub value: SlotValue<'a>,
}

impl<'a> StructView<'a> {
    /// Validates the struct at the start of `bytes`. `base` is the absolute offset of
    /// `bytes[0]` in the whole input, used in error positions. Trailing bytes after the
    /// struct are allowed (see [`consumed`](Self::consumed)).
    #[inline]
    pub fn parse(bytes: &'a [u8], base: usize) -> Result<Self, DecodeError> {
        let count = read_u16(bytes, 0).ok_or_else(|| {
            DecodeError::new(
                base,
                DecodeErrorKind::Truncated {
                    what: "struct header",
                    need: SIZEOF_HEADER,
                    have: bytes.len(),
                },
            )
        })? as usize;
        let header = SIZEOF_HEADER + count * SIZEOF_FIELD;
        let Some(slots) = bytes.get(SIZEOF_HEADER..header) else {
            return Err(DecodeError::new(
                base,
                DecodeErrorKind::Truncated {
                    what: "struct header slots",
                    need: header,
                    have: bytes.len(),
                },
            ));
        };
        let mut at = header;
        for slot in slots.chunks_exact(SIZEOF_FIELD) {
            if slot != [0, 0] {
                continue;
            }
            let len = read_u32(bytes, at).ok_or_else(|| {
                DecodeError::new(
                    base + at,
                    DecodeErrorKind::Truncated {
                        what: "data block length",
                        need: SIZEOF_LENGTH,
                        have: bytes.len() - at,
                    },
                )
            })? as usize;
            let left = bytes.len() - at - SIZEOF_LENGTH;
            if len > left {
                return Err(DecodeError::new(
                    base + at,
                    DecodeErrorKind::DataPastEnd { len, left },
                ));
            }
            at += SIZEOF_LENGTH + len;
        }
        Ok(StructView {
            bytes,
            base,
            count,
            consumed: at,
        })
    }

    /// Bytes used by the struct (header and data part).
    #[inline]
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Number of header slots, skip slots included.
    pub fn slot_count(&self) -> usize {
        self.count
    }

    /// The absolute offset of header slot `index` (where errors about an inline value
    /// point).
    #[inline]
    pub fn slot_offset(&self, index: usize) -> usize {
        self.base + SIZEOF_HEADER + index * SIZEOF_FIELD
    }

    /// The absolute offset of the struct's first byte.
    pub fn offset(&self) -> usize {
        self.base
    }

    /// The present fields in header order (skip slots applied, not yielded).
    #[inline]
    pub fn fields(&self) -> Fields<'a> {
        let header = SIZEOF_HEADER + self.count * SIZEOF_FIELD;
        Fields {
            slots: self.bytes.get(SIZEOF_HEADER..header).unwrap_or_default(),
            data: self.bytes.get(header..self.consumed).unwrap_or_default(),
            data_base: self.base + header,
            index: 0,
            tag: -1,
        }
    }
}

/// Iterator over the present fields of a [`StructView`].
#[derive(Debug, Clone)]
pub struct Fields<'a> {
    /// Header slots not yet visited.
    slots: &'a [u8],
    /// Data blocks not yet visited.
    data: &'a [u8],
    /// Absolute offset of `data[0]`.
    data_base: usize,
    index: usize,
    tag: i64,
}

impl<'a> Iterator for Fields<'a> {
    type Item = FieldSlot<'a>;

    #[inline]
    fn next(&mut self) -> Option<FieldSlot<'a>> {
        loop {
            let (&[lo, hi], rest) = self.slots.split_first_chunk::<2>()?;
            self.slots = rest;
            let index = self.index;
            self.index += 1;
            self.tag += 1;
            let slot = u16::from_le_bytes([lo, hi]);
            if slot & 1 == 1 {
                self.tag += i64::from(slot / 2);
                continue;
            }
            let value = if slot == 0 {
                // Lengths were validated by `StructView::parse`.
                let (len, rest) = self.data.split_first_chunk::<4>()?;
                let len = u32::from_le_bytes(*len) as usize;
                let bytes = rest.get(..len)?;
                let offset = self.data_base + SIZEOF_LENGTH;
                self.data = &rest[len..];
                self.data_base = offset + len;
                SlotValue::Data { bytes, offset }
            } else {
                SlotValue::Inline(slot / 2 - 1)
            };
            return Some(FieldSlot {
                index,
                tag: self.tag as u32,
                value,
            });
        }
    }
}

/// Iterator over the length-prefixed elements of a string, binary or struct array block.
///
/// Yields each element's bytes and absolute offset, or an error when an element's
/// length runs past the block.
#[derive(Debug, Clone)]
pub struct ArrayElements<'a> {
    bytes: &'a [u8],
    base: usize,
    at: usize,
}

impl<'a> ArrayElements<'a> {
    /// Iterates the elements of the block content `bytes`, which starts at absolute
    /// offset `base`.
    #[inline]
    pub fn new(bytes: &'a [u8], base: usize) -> Self {
        ArrayElements { bytes, base, at: 0 }
    }
}

impl<'a> Iterator for ArrayElements<'a> {
    type Item = Result<(&'a [u8], usize), DecodeError>;

    #[inline]
    fn next(&mut self) -> Option<Self::Item> {
        if self.at >= self.bytes.len() {
            return None;
        }
        let left = self.bytes.len() - self.at;
        let Some(len) = read_u32(self.bytes, self.at) else {
            let err = DecodeError::new(
                self.base + self.at,
                DecodeErrorKind::Truncated {
                    what: "array element length",
                    need: SIZEOF_LENGTH,
                    have: left,
                },
            );
            self.at = self.bytes.len();
            return Some(Err(err));
        };
        let len = len as usize;
        let from = self.at + SIZEOF_LENGTH;
        if len > self.bytes.len() - from {
            let err = DecodeError::new(
                self.base + self.at,
                DecodeErrorKind::DataPastEnd {
                    len,
                    left: self.bytes.len() - from,
                },
            );
            self.at = self.bytes.len();
            return Some(Err(err));
        }
        self.at = from + len;
        Some(Ok((&self.bytes[from..from + len], self.base + from)))
    }
}
