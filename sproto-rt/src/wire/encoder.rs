//! Writing sproto structs: header slots, skip slots for tag gaps, inline integers and
//! length-prefixed data blocks, straight into a caller's `Vec<u8>`.

use super::{InlineValue, MAX_INLINE, SIZEOF_FIELD, SIZEOF_HEADER, SIZEOF_LENGTH};

/// Writes one sproto struct into a buffer.
///
/// Fields must be written in strictly ascending tag order, tags at most
/// [`MAX_INLINE`](super::MAX_INLINE) (debug builds check both); gaps between tags become
/// skip slots exactly as the reference encoder writes them. The header is reserved up
/// front for `max_slots` slots (a field takes at most two: a skip and itself) and
/// compacted by [`finish`](Self::finish), so data is written once, in place.
///
/// ```
/// use sproto_rt::wire::StructEncoder;
///
/// let mut buf = Vec::new();
/// let mut st = StructEncoder::begin(&mut buf, 4);
/// st.int(0, 1);          // inline
/// st.bytes(2, b"hi");    // tag 1 skipped, then a data block
/// st.finish();
/// assert_eq!(buf, [3, 0, 4, 0, 1, 0, 0, 0, 2, 0, 0, 0, b'h', b'i']);
/// ```
#[derive(Debug)]
pub struct StructEncoder<'a> {
    buf: &'a mut Vec<u8>,
    start: usize,
    cap: usize,
    slots: usize,
    next_tag: u32,
}

impl<'a> StructEncoder<'a> {
    /// Starts a struct at the end of `buf`, reserving room for `max_slots` header slots.
    #[inline(always)]
    pub fn begin(buf: &'a mut Vec<u8>, max_slots: usize) -> Self {
        let start = buf.len();
        let header = SIZEOF_HEADER + max_slots * SIZEOF_FIELD;
        // Small headers (almost all) are zeroed with a fixed-size copy.
        const ZEROS: [u8; 64] = [0; 64];
        match ZEROS.get(..header) {
            Some(zeros) => buf.extend_from_slice(zeros),
            None => buf.resize(start + header, 0),
        }
        StructEncoder {
            buf,
            start,
            cap: max_slots,
            slots: 0,
            next_tag: 0,
        }
    }

    #[inline(always)]
    fn push_slot(&mut self, value: u16) {
        if self.slots == self.cap {
            // Not a method: `self` must not escape, so that an inlined encoder lives
            // in registers.
            grow_header(self.buf, self.start, self.cap);
            self.cap += 1;
        }
        let at = self.start + SIZEOF_HEADER + self.slots * SIZEOF_FIELD;
        if let Some(slot) = self.buf.get_mut(at..at + SIZEOF_FIELD) {
            slot.copy_from_slice(&value.to_le_bytes());
        }
        self.slots += 1;
    }

    /// Writes the slot of `tag`, preceded by a skip slot when tags were left out.
    #[inline(always)]
    fn slot(&mut self, tag: u16, value: u16) {
        debug_assert!(tag <= MAX_INLINE, "sproto tags go from 0 to MAX_INLINE");
        let tag = u32::from(tag);
        debug_assert!(
            tag >= self.next_tag,
            "sproto fields must be written in tag order"
        );
        let gap = tag.saturating_sub(self.next_tag);
        if gap > 0 {
            // A skip of k tags is the odd value 2k - 1; tags (at most MAX_INLINE) are
            // at most 32767 apart, so it fits.
            self.push_slot((gap * 2 - 1) as u16);
        }
        self.push_slot(value);
        self.next_tag = tag + 1;
    }

    /// Writes one skip slot covering exactly one tag. The bundle format writes one such
    /// slot per missing record field (rather than one slot for a run of missing tags),
    /// and the reference reads protocol records by slot position, so this matters.
    #[inline(always)]
    pub fn skip_one(&mut self) {
        self.push_slot(1);
        self.next_tag += 1;
    }

    /// The slot value that holds `v` inline, if it is small enough.
    #[inline(always)]
    pub fn inline_value(v: i64) -> Option<u16> {
        if (0..=i64::from(MAX_INLINE)).contains(&v) {
            Some(InlineValue(v as u16).slot())
        } else {
            None
        }
    }

    /// Writes an integer field: inline when `0 <= v <=` [`MAX_INLINE`], else 4 or 8
    /// data bytes.
    #[inline(always)]
    pub fn int(&mut self, tag: u16, v: i64) {
        if let Some(slot) = Self::inline_value(v) {
            self.slot(tag, slot);
        } else if let Ok(small) = i32::try_from(v) {
            self.data(tag, &small.to_le_bytes());
        } else {
            self.data(tag, &v.to_le_bytes());
        }
    }

    /// Writes a raw inline slot value, as the bundle format stores tags, type ids and
    /// flags. [`InlineValue`] is in range by construction.
    #[inline(always)]
    pub fn inline(&mut self, tag: u16, v: InlineValue) {
        self.slot(tag, v.slot());
    }

    /// Writes a boolean field (always inline).
    #[inline(always)]
    pub fn bool(&mut self, tag: u16, b: bool) {
        self.slot(tag, if b { 4 } else { 2 });
    }

    /// Writes a double field (always 8 data bytes).
    #[inline(always)]
    pub fn double(&mut self, tag: u16, v: f64) {
        self.data(tag, &v.to_bits().to_le_bytes());
    }

    /// Writes a string or binary field.
    #[inline(always)]
    pub fn bytes(&mut self, tag: u16, v: &[u8]) {
        self.data(tag, v);
    }

    /// Writes a data-block field whose content is `v`.
    #[inline(always)]
    pub fn data(&mut self, tag: u16, v: &[u8]) {
        self.slot(tag, 0);
        self.buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(v);
    }

    /// Writes a data-block field whose content `fill` appends to the buffer (a nested
    /// struct, an array). The length prefix is patched afterwards.
    #[inline(always)]
    pub fn data_with<R>(&mut self, tag: u16, fill: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        self.slot(tag, 0);
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0; SIZEOF_LENGTH]);
        let r = fill(self.buf);
        let len = (self.buf.len() - len_at - SIZEOF_LENGTH) as u32;
        self.buf[len_at..len_at + SIZEOF_LENGTH].copy_from_slice(&len.to_le_bytes());
        r
    }

    /// Closes the struct: compacts the header to the slots used and writes the count.
    /// Returns the struct's encoded size.
    #[inline(always)]
    pub fn finish(self) -> usize {
        let unused = (self.cap - self.slots) * SIZEOF_FIELD;
        if unused > 0 {
            let data_at = self.start + SIZEOF_HEADER + self.cap * SIZEOF_FIELD;
            let end = self.buf.len();
            self.buf.copy_within(data_at..end, data_at - unused);
            self.buf.truncate(end - unused);
        }
        let count = self.slots as u16;
        self.buf[self.start..self.start + SIZEOF_HEADER].copy_from_slice(&count.to_le_bytes());
        self.buf.len() - self.start
    }
}

/// Counts the header slots of a struct whose fields are all present: one per field,
/// plus one skip slot before each field that does not directly follow its
/// predecessor's tag — exactly what [`StructEncoder`] writes. The one home of that
/// rule: [`max_slots`], [`Type::max_slots`](crate::Type::max_slots) and the code
/// `#[derive(Sproto)]` generates all count with it.
///
/// ```
/// use sproto_rt::wire::SlotCount;
///
/// let n = SlotCount::new().field(0).field(1).field(5);
/// assert_eq!(n.get(), 4); // 0, 1, a skip, 5
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SlotCount {
    next: u32,
    slots: usize,
}

impl SlotCount {
    /// No fields yet.
    pub const fn new() -> Self {
        SlotCount { next: 0, slots: 0 }
    }

    /// Adds the field with `tag` (tags must ascend).
    #[inline(always)]
    pub const fn field(self, tag: u16) -> Self {
        let skip = if tag as u32 != self.next { 1 } else { 0 };
        SlotCount {
            next: tag as u32 + 1,
            slots: self.slots + skip + 1,
        }
    }

    /// The slots counted.
    #[inline(always)]
    pub const fn get(self) -> usize {
        self.slots
    }
}

/// The most header slots an encoding of a struct with fields `tags` (ascending) uses:
/// what to pass to [`StructEncoder::begin`]. A `const fn`, so derived types compute
/// it at compile time.
///
/// ```
/// use sproto_rt::wire::max_slots;
///
/// const SLOTS: usize = max_slots(&[0, 1, 3]);
/// assert_eq!(SLOTS, 4);
/// ```
pub const fn max_slots(tags: &[u16]) -> usize {
    let mut count = SlotCount::new();
    let mut i = 0;
    while i < tags.len() {
        count = count.field(tags[i]);
        i += 1;
    }
    count.get()
}

/// The caller under-estimated the slots of the struct at `start` whose header has room
/// for `cap`: open room for one more by moving the data.
#[cold]
#[inline(never)]
fn grow_header(buf: &mut Vec<u8>, start: usize, cap: usize) {
    let at = start + SIZEOF_HEADER + cap * SIZEOF_FIELD;
    buf.splice(at..at, [0u8; SIZEOF_FIELD]);
}

/// Appends the content of an integer array block: a size byte (4, or 8 when any element
/// needs 64 bits) and the elements. An empty array has no content at all.
#[inline(always)]
pub fn encode_int_array(buf: &mut Vec<u8>, values: impl Iterator<Item = i64> + Clone) {
    let mut any = false;
    let mut wide = false;
    for v in values.clone() {
        any = true;
        if i32::try_from(v).is_err() {
            wide = true;
            break;
        }
    }
    if !any {
        return;
    }
    if wide {
        buf.push(8);
        for v in values {
            buf.extend_from_slice(&v.to_le_bytes());
        }
    } else {
        buf.push(4);
        for v in values {
            buf.extend_from_slice(&(v as i32).to_le_bytes());
        }
    }
}

/// Appends the content of a boolean array block: one byte per element.
pub fn encode_bool_array(buf: &mut Vec<u8>, values: impl Iterator<Item = bool>) {
    buf.extend(values.map(u8::from));
}

/// Appends the content of a double array block: the size byte 8 and the elements.
/// An empty array has no content at all.
pub fn encode_double_array(buf: &mut Vec<u8>, values: impl ExactSizeIterator<Item = f64>) {
    if values.len() == 0 {
        return;
    }
    buf.push(8);
    for v in values {
        buf.extend_from_slice(&v.to_bits().to_le_bytes());
    }
}

/// Appends the elements of a string, binary or struct array block, each a `u32`
/// length and its bytes.
#[derive(Debug)]
pub struct BytesArrayWriter<'a> {
    buf: &'a mut Vec<u8>,
}

impl<'a> BytesArrayWriter<'a> {
    /// Starts writing elements at the end of `buf` (inside an open data block).
    #[inline(always)]
    pub fn new(buf: &'a mut Vec<u8>) -> Self {
        BytesArrayWriter { buf }
    }

    /// Appends one string or binary element.
    pub fn bytes(&mut self, v: &[u8]) {
        self.buf.extend_from_slice(&(v.len() as u32).to_le_bytes());
        self.buf.extend_from_slice(v);
    }

    /// Appends one element whose content `fill` writes (a struct).
    #[inline(always)]
    pub fn with<R>(&mut self, fill: impl FnOnce(&mut Vec<u8>) -> R) -> R {
        let len_at = self.buf.len();
        self.buf.extend_from_slice(&[0; SIZEOF_LENGTH]);
        let r = fill(self.buf);
        let len = (self.buf.len() - len_at - SIZEOF_LENGTH) as u32;
        self.buf[len_at..len_at + SIZEOF_LENGTH].copy_from_slice(&len.to_le_bytes());
        r
    }
}
