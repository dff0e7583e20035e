//! Reading sproto structs: the header and data part are validated once, up front, so
//! that iterating the fields afterwards cannot fail and never reads out of bounds.

use super::{read_u32, SIZEOF_FIELD, SIZEOF_HEADER, SIZEOF_LENGTH};
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
        StructReader::new(bytes, base)?.into_view()
    }

    /// A [`StructReader`] over the same struct (its checks cannot fail again).
    #[inline(always)]
    pub fn reader(&self) -> StructReader<'a> {
        let header = SIZEOF_HEADER + self.count * SIZEOF_FIELD;
        StructReader {
            bytes: self.bytes,
            slots: self.bytes.get(SIZEOF_HEADER..header).unwrap_or_default(),
            data: self.bytes.get(header..self.consumed).unwrap_or_default(),
            data_at: self.base + header,
            base: self.base,
            slot_count: self.count,
            index: 0,
            tag: 0,
        }
    }

    /// Bytes used by the struct (header and data part).
    #[inline(always)]
    pub fn consumed(&self) -> usize {
        self.consumed
    }

    /// Number of header slots, skip slots included.
    pub fn slot_count(&self) -> usize {
        self.count
    }

    /// The absolute offset of header slot `index` (where errors about an inline value
    /// point).
    #[inline(always)]
    pub fn slot_offset(&self, index: usize) -> usize {
        super::slot_offset(self.base, index)
    }

    /// The absolute offset of the struct's first byte.
    pub fn offset(&self) -> usize {
        self.base
    }

    /// The present fields in header order (skip slots applied, not yielded).
    #[inline(always)]
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

/// Reads the fields of one struct in a single pass, checking each data block when it
/// reaches it: what the decoders run. [`StructView::parse`] is this reader run to the
/// end.
///
/// ```
/// use sproto_rt::wire::{SlotValue, StructReader};
///
/// let bytes = [3, 0, 4, 0, 1, 0, 0, 0, 2, 0, 0, 0, b'h', b'i', 0xee];
/// let mut r = StructReader::new(&bytes, 0).unwrap();
/// assert_eq!(r.next_field().unwrap().map(|f| (f.tag, f.value)), Some((0, SlotValue::Inline(1))));
/// let f = r.next_field().unwrap().unwrap();
/// assert!(matches!((f.tag, f.value), (2, SlotValue::Data { bytes: b"hi", offset: 12 })));
/// assert_eq!(r.next_field().unwrap(), None);
/// assert_eq!(r.consumed(), 14); // the trailing byte is not the struct's
/// let mut short = StructReader::new(&bytes[..13], 0).unwrap();
/// assert!(short.next_field().is_ok());
/// assert!(short.next_field().is_err()); // "hi" runs past the end
/// ```
#[derive(Debug, Clone)]
pub struct StructReader<'a> {
    /// The input from the struct's first byte.
    bytes: &'a [u8],
    /// Header slots not yet read.
    slots: &'a [u8],
    /// The input after the data blocks read so far.
    data: &'a [u8],
    /// Absolute offset of `data[0]`.
    data_at: usize,
    /// Absolute offset of the struct.
    base: usize,
    slot_count: usize,
    /// Index of the next slot.
    index: usize,
    /// Tag of the next slot.
    tag: u32,
}

impl<'a> StructReader<'a> {
    /// Starts reading the struct at the start of `bytes` (absolute offset `base`):
    /// checks that its header fits. Trailing bytes after the struct are allowed.
    #[inline(always)]
    pub fn new(bytes: &'a [u8], base: usize) -> Result<Self, DecodeError> {
        let Some((&count, rest)) = bytes.split_first_chunk::<SIZEOF_HEADER>() else {
            return Err(truncated(base, "struct header", SIZEOF_HEADER, bytes.len()));
        };
        let slot_count = usize::from(u16::from_le_bytes(count));
        let header = slot_count * SIZEOF_FIELD;
        let Some((slots, data)) = rest.split_at_checked(header) else {
            return Err(truncated(
                base,
                "struct header slots",
                SIZEOF_HEADER + header,
                bytes.len(),
            ));
        };
        Ok(StructReader {
            bytes,
            slots,
            data,
            data_at: base + SIZEOF_HEADER + header,
            base,
            slot_count,
            index: 0,
            tag: 0,
        })
    }

    /// The next present field (skip slots applied), `None` after the last one, or an
    /// error when its data block does not fit the input.
    #[inline(always)]
    pub fn next_field(&mut self) -> Result<Option<FieldSlot<'a>>, DecodeError> {
        loop {
            let Some((&slot, rest)) = self.slots.split_first_chunk::<SIZEOF_FIELD>() else {
                return Ok(None);
            };
            self.slots = rest;
            let index = self.index;
            self.index += 1;
            let slot = u16::from_le_bytes(slot);
            let tag = self.tag;
            if slot & 1 == 1 {
                // A skip of k tags is the odd value 2k - 1.
                self.tag = tag + u32::from(slot / 2) + 1;
                continue;
            }
            self.tag = tag + 1;
            let value = self.slot_value(slot)?;
            return Ok(Some(FieldSlot { index, tag, value }));
        }
    }

    /// The field with tag `want`, if it is present: reads (and checks) the fields
    /// before it, and leaves the fields after it for later calls. Call it with
    /// ascending tags (what derived decoders do: one merge pass over the fields in tag
    /// order), then [`next_field`](Self::next_field) to the end to check the rest.
    ///
    /// ```
    /// use sproto_rt::wire::{SlotValue, StructReader};
    ///
    /// // tag 0 = 1, tag 2 = "hi", tag 3 = 2
    /// let bytes = [4, 0, 4, 0, 1, 0, 0, 0, 6, 0, 2, 0, 0, 0, b'h', b'i'];
    /// let mut r = StructReader::new(&bytes, 0).unwrap();
    /// assert_eq!(r.seek(0).unwrap().map(|f| f.value), Some(SlotValue::Inline(1)));
    /// assert_eq!(r.seek(1).unwrap(), None);
    /// assert_eq!(r.seek(3).unwrap().map(|f| f.value), Some(SlotValue::Inline(2))); // "hi" read and passed
    /// assert_eq!(r.next_field().unwrap(), None);
    /// assert_eq!(r.consumed(), bytes.len());
    /// ```
    #[inline(always)]
    pub fn seek(&mut self, want: u32) -> Result<Option<FieldSlot<'a>>, DecodeError> {
        loop {
            let Some((&slot, rest)) = self.slots.split_first_chunk::<SIZEOF_FIELD>() else {
                return Ok(None);
            };
            let slot = u16::from_le_bytes(slot);
            if slot & 1 == 1 {
                // A skip of k tags is the odd value 2k - 1.
                self.slots = rest;
                self.index += 1;
                self.tag += u32::from(slot / 2) + 1;
                continue;
            }
            let tag = self.tag;
            if tag > want {
                return Ok(None);
            }
            // The field at `tag`: `want` itself, or an unknown field before it, read and
            // checked (as `next_field` does).
            self.slots = rest;
            let index = self.index;
            self.index += 1;
            self.tag = tag + 1;
            let value = self.slot_value(slot)?;
            if tag == want {
                return Ok(Some(FieldSlot { index, tag, value }));
            }
        }
    }

    /// The value of a field's (even) `slot`: inline, or the next data block, taken
    /// from the data part and checked to fit it.
    #[inline(always)]
    fn slot_value(&mut self, slot: u16) -> Result<SlotValue<'a>, DecodeError> {
        if slot != 0 {
            return Ok(SlotValue::Inline(slot / 2 - 1));
        }
        let Some((&len, rest)) = self.data.split_first_chunk::<SIZEOF_LENGTH>() else {
            return Err(truncated(
                self.data_at,
                "data block length",
                SIZEOF_LENGTH,
                self.data.len(),
            ));
        };
        let len = u32::from_le_bytes(len) as usize;
        let Some((bytes, rest)) = rest.split_at_checked(len) else {
            return Err(past_end(self.data_at, len, rest.len()));
        };
        let offset = self.data_at + SIZEOF_LENGTH;
        self.data = rest;
        self.data_at = offset + len;
        Ok(SlotValue::Data { bytes, offset })
    }

    /// Bytes of the struct read so far: its size once [`next_field`](Self::next_field)
    /// returned `None`.
    #[inline(always)]
    pub fn consumed(&self) -> usize {
        self.data_at - self.base
    }

    /// The absolute offset of header slot `index` (where errors about an inline value
    /// point).
    #[inline(always)]
    pub fn slot_offset(&self, index: usize) -> usize {
        super::slot_offset(self.base, index)
    }

    /// The absolute offset of the struct's first byte.
    #[inline(always)]
    pub fn offset(&self) -> usize {
        self.base
    }

    /// Reads the remaining fields to check them, and gives the validated view of the
    /// whole struct.
    pub fn into_view(mut self) -> Result<StructView<'a>, DecodeError> {
        while self.next_field()?.is_some() {}
        Ok(StructView {
            bytes: self.bytes,
            base: self.base,
            count: self.slot_count,
            consumed: self.consumed(),
        })
    }
}

/// The rule for a struct nested in a data block (a struct field, an array element, a
/// map entry): it fills its block exactly. `used` is what the struct at `at` took of
/// the block's `len` bytes. The one home of the rule: the dynamic decoder, the derived
/// and the zero-copy decoders all check with it.
///
/// ```
/// use sproto_rt::wire::{check_nested_len, StructView};
///
/// let block = [1, 0, 4, 0, 0xff]; // a one-field struct and a stray byte
/// let view = StructView::parse(&block, 0).unwrap();
/// assert!(check_nested_len(0, view.consumed(), block.len()).is_err());
/// assert!(check_nested_len(0, view.consumed(), 4).is_ok());
/// ```
#[inline(always)]
pub fn check_nested_len(at: usize, used: usize, len: usize) -> Result<(), DecodeError> {
    if used == len {
        Ok(())
    } else {
        Err(struct_length(at, used, len))
    }
}

#[cold]
#[inline(never)]
fn struct_length(at: usize, used: usize, len: usize) -> DecodeError {
    DecodeError::new(at, DecodeErrorKind::StructLength { used, len })
}

#[cold]
fn past_end(at: usize, len: usize, left: usize) -> DecodeError {
    DecodeError::new(at, DecodeErrorKind::DataPastEnd { len, left })
}

#[cold]
fn truncated(at: usize, what: &'static str, need: usize, have: usize) -> DecodeError {
    DecodeError::new(at, DecodeErrorKind::Truncated { what, need, have })
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

    #[inline(always)]
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
    #[inline(always)]
    pub fn new(bytes: &'a [u8], base: usize) -> Self {
        ArrayElements { bytes, base, at: 0 }
    }

    /// The number of elements, counted by their length prefixes (stops at the first
    /// malformed one, which iterating then reports): what a decoder reserves.
    #[inline]
    pub fn element_count(&self) -> usize {
        let mut n = 0;
        let mut at = self.at;
        while let Some(len) = read_u32(self.bytes, at) {
            let Some(next) = (at + SIZEOF_LENGTH).checked_add(len as usize) else {
                break;
            };
            if next > self.bytes.len() {
                break;
            }
            n += 1;
            at = next;
        }
        n
    }
}

impl<'a> Iterator for ArrayElements<'a> {
    type Item = Result<(&'a [u8], usize), DecodeError>;

    #[inline(always)]
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

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// What the derived decoders did before `seek`: merge `next_field` with the
    /// wanted tags through a one-field lookahead.
    fn by_next_field<'a>(
        bytes: &'a [u8],
        wants: &[u32],
    ) -> Vec<Result<Option<FieldSlot<'a>>, String>> {
        let mut out = Vec::new();
        let mut r = match StructReader::new(bytes, 3) {
            Ok(r) => r,
            Err(e) => return vec![Err(e.to_string())],
        };
        let mut next = match r.next_field() {
            Ok(n) => n,
            Err(e) => return vec![Err(e.to_string())],
        };
        for &want in wants {
            loop {
                match next {
                    Some(f) if f.tag < want => match r.next_field() {
                        Ok(n) => next = n,
                        Err(e) => {
                            out.push(Err(e.to_string()));
                            return out;
                        }
                    },
                    _ => break,
                }
            }
            match next {
                Some(f) if f.tag == want => {
                    out.push(Ok(Some(f)));
                    match r.next_field() {
                        Ok(n) => next = n,
                        Err(e) => {
                            out.push(Err(e.to_string()));
                            return out;
                        }
                    }
                }
                _ => out.push(Ok(None)),
            }
        }
        while next.is_some() {
            match r.next_field() {
                Ok(n) => next = n,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
        out.push(Ok(Some(FieldSlot {
            index: r.consumed(),
            tag: u32::MAX,
            value: SlotValue::Inline(0),
        })));
        out
    }

    fn by_seek<'a>(bytes: &'a [u8], wants: &[u32]) -> Vec<Result<Option<FieldSlot<'a>>, String>> {
        let mut out = Vec::new();
        let mut r = match StructReader::new(bytes, 3) {
            Ok(r) => r,
            Err(e) => return vec![Err(e.to_string())],
        };
        for &want in wants {
            match r.seek(want) {
                Ok(f) => out.push(Ok(f)),
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
        loop {
            match r.next_field() {
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    out.push(Err(e.to_string()));
                    return out;
                }
            }
        }
        out.push(Ok(Some(FieldSlot {
            index: r.consumed(),
            tag: u32::MAX,
            value: SlotValue::Inline(0),
        })));
        out
    }

    /// The fields found, or the error: the lookahead read the first field before the
    /// first tag was wanted, so an error can come a step earlier there, but only
    /// after absent fields, whose decoding cannot fail.
    fn outcome(
        steps: Vec<Result<Option<FieldSlot<'_>>, String>>,
    ) -> Result<Vec<Option<FieldSlot<'_>>>, String> {
        steps.into_iter().collect()
    }

    /// A header of slots (values, data blocks, skips of any length, runs of skips)
    /// and blocks, possibly cut short.
    fn structs() -> impl Strategy<Value = Vec<u8>> {
        let slot = prop_oneof![
            (0u16..5).prop_map(|v| (v + 1) * 2),
            Just(0u16),
            (0u16..4).prop_map(|k| k * 2 + 1),
            any::<u16>(),
        ];
        (
            prop::collection::vec(slot, 0..8),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..6), 0..8),
            any::<prop::sample::Index>(),
            any::<bool>(),
        )
            .prop_map(|(slots, blocks, cut, do_cut)| {
                let mut b = (slots.len() as u16).to_le_bytes().to_vec();
                for s in &slots {
                    b.extend_from_slice(&s.to_le_bytes());
                }
                for blk in blocks {
                    b.extend_from_slice(&(blk.len() as u32).to_le_bytes());
                    b.extend_from_slice(&blk);
                }
                if do_cut {
                    let n = cut.index(b.len() + 1);
                    b.truncate(n);
                }
                b
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2048))]

        /// `seek` (then `next_field` to the end) finds the same fields, the same size and the same
        /// errors as merging `next_field` with the wanted tags.
        #[test]
        fn seek_is_a_merge_over_next_field(bytes in structs(),
                                           wants in prop::collection::btree_set(0u32..12, 0..6)) {
            let wants: Vec<u32> = wants.into_iter().collect();
            prop_assert_eq!(outcome(by_seek(&bytes, &wants)), outcome(by_next_field(&bytes, &wants)));
        }
    }
}
