//! Reading scalar fields and the content of scalar arrays, and the fixed-point rule of
//! `integer(N)`: the per-kind wire rules both the dynamic decoder and derived code use.

use super::SlotValue;
use crate::error::FieldProblem;

/// An integer field: inline, or 4 (sign-extended) or 8 data bytes.
#[inline]
pub fn int_from_slot(slot: SlotValue<'_>) -> Result<i64, FieldProblem> {
    match slot {
        SlotValue::Inline(v) => Ok(i64::from(v)),
        SlotValue::Data { bytes, .. } => match *bytes {
            [a, b, c, d] => Ok(i64::from(i32::from_le_bytes([a, b, c, d]))),
            [a, b, c, d, e, f, g, h] => Ok(i64::from_le_bytes([a, b, c, d, e, f, g, h])),
            _ => Err(FieldProblem::IntegerSize(bytes.len())),
        },
    }
}

/// A double field: 8 data bytes; 4 data bytes are the sign-extended 32-bit integer's
/// bit pattern (as the reference reads them). Never inline.
#[inline]
pub fn double_from_slot(slot: SlotValue<'_>) -> Result<f64, FieldProblem> {
    match slot {
        SlotValue::Inline(_) => Err(FieldProblem::InlineNotAllowed),
        SlotValue::Data { bytes, .. } => match *bytes {
            [a, b, c, d] => Ok(f64::from_bits(
                i64::from(i32::from_le_bytes([a, b, c, d])) as u64
            )),
            [a, b, c, d, e, f, g, h] => {
                Ok(f64::from_bits(u64::from_le_bytes([a, b, c, d, e, f, g, h])))
            }
            _ => Err(FieldProblem::DoubleSize(bytes.len())),
        },
    }
}

/// A boolean field: inline only; any non-zero value is true.
#[inline]
pub fn bool_from_slot(slot: SlotValue<'_>) -> Result<bool, FieldProblem> {
    match slot {
        SlotValue::Inline(v) => Ok(v != 0),
        SlotValue::Data { .. } => Err(FieldProblem::BooleanInData),
    }
}

/// The data block of a string, binary, struct or array field (never inline).
#[inline]
pub fn data_from_slot(slot: SlotValue<'_>) -> Result<(&[u8], usize), FieldProblem> {
    match slot {
        SlotValue::Inline(_) => Err(FieldProblem::InlineNotAllowed),
        SlotValue::Data { bytes, offset } => Ok((bytes, offset)),
    }
}

/// A `string` block's text, or `None` when it is not UTF-8.
#[inline(always)]
pub fn str_from_bytes(bytes: &[u8]) -> Option<&str> {
    // Message strings are short and mostly ASCII: checking that is much cheaper.
    match crate::unchecked::ascii_str(bytes) {
        Some(s) => Some(s),
        None => std::str::from_utf8(bytes).ok(),
    }
}

/// The elements of an integer (or decimal) array block.
///
/// An empty block and a block holding only a size byte are both empty arrays.
#[derive(Debug, Clone)]
pub struct IntArray<'a> {
    chunks: std::slice::ChunksExact<'a, u8>,
}

impl<'a> IntArray<'a> {
    /// Validates the block content `data`: size byte 4 or 8, whole elements only.
    /// As in the reference, a block of at most one byte is an empty array whatever
    /// its size byte says.
    pub fn parse(data: &'a [u8]) -> Result<Self, FieldProblem> {
        let (size, body) = match data.split_first() {
            Some((&size, body)) if !body.is_empty() => (size, body),
            _ => (4, &data[..0]),
        };
        if size != 4 && size != 8 {
            return Err(FieldProblem::ArrayElementSize(size));
        }
        let size = usize::from(size);
        if body.len() % size != 0 {
            return Err(FieldProblem::ArrayLength {
                len: body.len(),
                size,
            });
        }
        Ok(IntArray {
            chunks: body.chunks_exact(size),
        })
    }
}

impl Iterator for IntArray<'_> {
    type Item = i64;

    #[inline]
    fn next(&mut self) -> Option<i64> {
        self.chunks.next().map(|c| match *c {
            [a, b, c, d] => i64::from(i32::from_le_bytes([a, b, c, d])),
            [a, b, c, d, e, f, g, h] => i64::from_le_bytes([a, b, c, d, e, f, g, h]),
            _ => 0, // `parse` only allows 4- and 8-byte chunks
        })
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.chunks.size_hint()
    }
}

impl ExactSizeIterator for IntArray<'_> {}

/// The elements of a double array block: size byte 8 (or 4: sign-extended 32-bit
/// integers reinterpreted as bit patterns, as the reference reads them).
pub fn double_array(data: &[u8]) -> Result<impl ExactSizeIterator<Item = f64> + '_, FieldProblem> {
    Ok(IntArray::parse(data)?.map(|bits| f64::from_bits(bits as u64)))
}

/// `integer(N)` on the way out: `round(x * 10^N)` in doubles, halves away from zero,
/// as the reference computes it.
#[inline]
pub fn decimal_to_wire(x: f64, precision: u16) -> i64 {
    (x * decimal_factor(precision)).round() as i64
}

/// `integer(N)` on the way in: `n / 10^N` in doubles.
#[inline]
pub fn decimal_from_wire(n: i64, precision: u16) -> f64 {
    n as f64 / decimal_factor(precision)
}

/// `10^N` as a double (exact up to N = 22).
#[inline]
pub fn decimal_factor(precision: u16) -> f64 {
    const POWERS: [f64; 10] = [1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9];
    match POWERS.get(usize::from(precision)) {
        Some(&p) => p,
        None => 10f64.powi(i32::from(precision)),
    }
}
