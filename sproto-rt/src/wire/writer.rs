//! Writing sproto structs — for `#[derive(Sproto)]` code, the dynamic codec, the bundle
//! writer and the gate's package header alike — through a [`Writer`] that owns the
//! output buffer while a message is written, so that its position and end stay in
//! registers.
//!
//! Why not append to a `&mut Vec<u8>`: appending to a `&mut Vec<u8>` stores the vector's length back
//! to memory after every write and reloads it (with the capacity) before the next one,
//! because the bytes written through the vector's pointer may, as far as the compiler
//! knows, alias the vector itself. A [`Writer`] is a local value (the vector, taken
//! over, and a position): each write is one bounds check against the end of a zeroed
//! window and a store, and only running out of window (a cold function that takes and
//! returns the vector by value) touches memory.

use super::{InlineValue, MAX_INLINE, SIZEOF_FIELD, SIZEOF_HEADER, SIZEOF_LENGTH};

/// The bytes opened at once when a [`Writer`] starts or runs out: at least this many.
const MIN_WINDOW: usize = 256;
/// At most this many bytes of a buffer's spare capacity are zeroed when a [`Writer`]
/// starts (the window then doubles as needed), so that a large reused buffer does not
/// cost a large `memset` for a small message.
const MAX_FIRST_WINDOW: usize = 4096;

/// An output buffer being written: the caller's `Vec<u8>`, taken over, whose length is
/// the end of a zeroed window, and the position written up to.
///
/// ```
/// use sproto_rt::wire::Writer;
///
/// let mut w = Writer::new(vec![1, 2]);
/// w.put(&[3, 4]);
/// w.put_u32(5);
/// assert_eq!(w.finish(), [1, 2, 3, 4, 5, 0, 0, 0]);
/// ```
#[derive(Debug)]
pub struct Writer {
    /// Bytes `..pos` are the output; `pos..buf.len()` is scratch room.
    buf: Vec<u8>,
    pos: usize,
}

impl Writer {
    /// Starts writing at the end of `buf` (what it holds is kept).
    #[inline]
    pub fn new(mut buf: Vec<u8>) -> Self {
        let pos = buf.len();
        let spare = buf.capacity() - pos;
        if spare <= MIN_WINDOW {
            // A fixed-size zeroing: stores, not a `memset` call.
            buf.extend_from_slice(&[0; MIN_WINDOW]);
        } else {
            buf.resize(pos + spare.min(MAX_FIRST_WINDOW), 0);
        }
        Writer { buf, pos }
    }

    /// The output: the buffer, cut at the position written up to.
    #[inline]
    pub fn finish(mut self) -> Vec<u8> {
        self.buf.truncate(self.pos);
        self.buf
    }

    /// The position written up to (the output's length).
    #[inline(always)]
    pub fn pos(&self) -> usize {
        self.pos
    }

    /// The next `n` bytes of output, to be filled by the caller: the position moves
    /// past them.
    #[inline(always)]
    pub fn take(&mut self, n: usize) -> &mut [u8] {
        let at = self.pos;
        let end = at.wrapping_add(n);
        self.pos = end;
        if end >= at && end <= self.buf.len() {
            // One check: the slice's own bounds are these.
            &mut self.buf[at..end]
        } else {
            self.buf = grow(std::mem::take(&mut self.buf), at, n);
            match self.buf.get_mut(at..end) {
                Some(dst) => dst,
                None => unreachable_window(),
            }
        }
    }

    /// The next `N` bytes of output, as [`take`](Self::take).
    #[inline(always)]
    pub fn take_array<const N: usize>(&mut self) -> &mut [u8; N] {
        let at = self.pos;
        let end = at.wrapping_add(N);
        self.pos = end;
        let dst = if end >= at && end <= self.buf.len() {
            &mut self.buf[at..end]
        } else {
            self.buf = grow(std::mem::take(&mut self.buf), at, N);
            self.buf.get_mut(at..end).unwrap_or_default()
        };
        match dst.first_chunk_mut::<N>() {
            Some(dst) => dst,
            None => unreachable_window(),
        }
    }

    /// Appends `bytes`.
    #[inline(always)]
    pub fn put(&mut self, bytes: &[u8]) {
        copy_short(self.take(bytes.len()), bytes);
    }

    /// Appends one byte.
    #[inline(always)]
    pub fn put_u8(&mut self, b: u8) {
        *self.take_array::<1>() = [b];
    }

    /// Appends a little-endian `u32`.
    #[inline(always)]
    pub fn put_u32(&mut self, v: u32) {
        *self.take_array::<4>() = v.to_le_bytes();
    }

    /// Appends a little-endian `u64`.
    #[inline(always)]
    pub fn put_u64(&mut self, v: u64) {
        *self.take_array::<8>() = v.to_le_bytes();
    }

    /// Appends a `u32` length and `bytes`: a data block or an array element.
    #[inline(always)]
    pub fn put_block(&mut self, bytes: &[u8]) {
        let dst = self.take(SIZEOF_LENGTH + bytes.len());
        if let Some((len, rest)) = dst.split_first_chunk_mut::<SIZEOF_LENGTH>() {
            *len = (bytes.len() as u32).to_le_bytes();
            copy_short(rest, bytes);
        }
    }

    /// Writes a length-prefixed block whose content `fill` appends (a nested struct, an
    /// array, an array element); the length is patched afterwards.
    #[inline(always)]
    pub fn block<R>(&mut self, fill: impl FnOnce(&mut Writer) -> R) -> R {
        let len_at = self.pos;
        self.take_array::<SIZEOF_LENGTH>();
        let r = fill(self);
        let len = (self.pos - len_at - SIZEOF_LENGTH) as u32;
        self.patch(len_at, &len.to_le_bytes());
        r
    }

    /// Overwrites already written bytes at `at`.
    #[inline(always)]
    fn patch<const N: usize>(&mut self, at: usize, bytes: &[u8; N]) {
        if let Some(end) = at.checked_add(N) {
            if let Some(dst) = self.buf.get_mut(at..end) {
                dst.copy_from_slice(bytes);
            }
        }
    }
}

/// Copies `src` into `dst` (of the same length); short copies without a `memcpy` call
/// (message strings are mostly short).
#[inline(always)]
fn copy_short(dst: &mut [u8], src: &[u8]) {
    let n = src.len();
    if n > 16 || dst.len() != n {
        dst.copy_from_slice(src);
    } else if n >= 8 {
        // Two overlapping 8-byte copies.
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<8>(), src.first_chunk::<8>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_chunk_mut::<8>(), src.last_chunk::<8>()) {
            *d = *s;
        }
    } else if n >= 4 {
        if let (Some(d), Some(s)) = (dst.first_chunk_mut::<4>(), src.first_chunk::<4>()) {
            *d = *s;
        }
        if let (Some(d), Some(s)) = (dst.last_chunk_mut::<4>(), src.last_chunk::<4>()) {
            *d = *s;
        }
    } else {
        for (d, s) in dst.iter_mut().zip(src) {
            *d = *s;
        }
    }
}

/// Opens more window: at least `need` bytes after `at`, and at least as much again as
/// the output so far (so that growing is amortized), zeroed.
#[cold]
#[inline(never)]
fn grow(mut buf: Vec<u8>, at: usize, need: usize) -> Vec<u8> {
    let len = (at + need).max(buf.len() * 2).max(at + MIN_WINDOW);
    buf.resize(len, 0);
    buf
}

/// Moves `buf[at..end]` two bytes to the right (opens a header slot).
#[cold]
#[inline(never)]
fn shift_right(buf: &mut [u8], at: usize, end: usize) {
    buf.copy_within(at..end, at + SIZEOF_FIELD);
}

#[cold]
#[inline(never)]
fn unreachable_window() -> ! {
    unreachable!("the writer's window was just grown to fit")
}

/// Writes one sproto struct through a [`Writer`]: fields in strictly ascending tag
/// order, tags at most [`MAX_INLINE`] (debug builds check both); gaps between tags
/// become skip slots exactly as the reference encoder writes them. The header is
/// reserved up front for `max_slots` slots (a field takes at most two: a skip and
/// itself; [`max_slots`](super::max_slots) counts them) and compacted by
/// [`finish`](Self::finish), so data is written once, in place.
///
/// ```
/// use sproto_rt::wire::{StructWriter, Writer};
///
/// let mut w = Writer::new(Vec::new());
/// let mut st = StructWriter::begin(&mut w, 4);
/// st.int(0, 1);          // inline
/// st.bytes(2, b"hi");    // tag 1 skipped, then a data block
/// st.finish();
/// assert_eq!(w.finish(), [3, 0, 4, 0, 1, 0, 0, 0, 2, 0, 0, 0, b'h', b'i']);
/// ```
#[derive(Debug)]
pub struct StructWriter<'w> {
    w: &'w mut Writer,
    /// Where the struct starts (after its length prefix, when it has one).
    start: usize,
    /// Whether the struct is a data block: [`finish`](Self::finish) writes its `u32`
    /// length before `start`.
    block: bool,
    cap: usize,
    slots: usize,
    next_tag: u32,
    /// The first [`WORD_SLOTS`] slots, little-endian, kept in a register until
    /// [`finish`](Self::finish) writes the header; later slots are written in place.
    word: u64,
}

/// How many header slots a [`StructWriter`] keeps in its `word`.
const WORD_SLOTS: usize = 4;

impl<'w> StructWriter<'w> {
    /// Starts a struct at the writer's position, reserving room for `max_slots` header
    /// slots.
    #[inline(always)]
    pub fn begin(w: &'w mut Writer, max_slots: usize) -> Self {
        let start = w.pos;
        w.take(SIZEOF_HEADER + max_slots * SIZEOF_FIELD);
        StructWriter {
            w,
            start,
            block: false,
            cap: max_slots,
            slots: 0,
            next_tag: 0,
            word: 0,
        }
    }

    /// Starts a struct in a data block (a struct field, an array element): its `u32`
    /// length, written by [`finish`](Self::finish), and the struct.
    #[inline(always)]
    pub fn begin_block(w: &'w mut Writer, max_slots: usize) -> Self {
        let start = w.pos + SIZEOF_LENGTH;
        w.take(SIZEOF_LENGTH + SIZEOF_HEADER + max_slots * SIZEOF_FIELD);
        StructWriter {
            w,
            start,
            block: true,
            cap: max_slots,
            slots: 0,
            next_tag: 0,
            word: 0,
        }
    }

    #[inline(always)]
    fn push_slot(&mut self, value: u16) {
        if self.slots == self.cap {
            self.grow_header();
        }
        if self.slots < WORD_SLOTS {
            self.word |= u64::from(value) << (16 * self.slots);
        } else {
            let at = self.start + SIZEOF_HEADER + self.slots * SIZEOF_FIELD;
            self.w.patch(at, &value.to_le_bytes());
        }
        self.slots += 1;
    }

    /// The caller under-estimated the slots: open room for one more by moving the data.
    #[inline(always)]
    fn grow_header(&mut self) {
        let at = self.start + SIZEOF_HEADER + self.cap * SIZEOF_FIELD;
        let end = self.w.pos;
        self.w.take_array::<SIZEOF_FIELD>();
        // (Not a `&mut self` method: the writers must not escape, so that an inlined
        // encoder keeps them in registers.)
        shift_right(&mut self.w.buf, at, end);
        self.cap += 1;
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
            // A skip of k tags is the odd value 2k - 1 (fits: tags are at most
            // MAX_INLINE apart).
            self.push_slot((gap * 2 - 1) as u16);
        }
        self.push_slot(value);
        self.next_tag = tag + 1;
    }

    /// Writes an integer field: inline when `0 <= v <=` [`MAX_INLINE`], else 4 or 8
    /// data bytes.
    #[inline(always)]
    pub fn int(&mut self, tag: u16, v: i64) {
        if let Some(slot) = Self::inline_value(v) {
            self.slot(tag, slot);
        } else if let Ok(small) = i32::try_from(v) {
            self.slot(tag, 0);
            let dst = self.w.take_array::<8>();
            *dst = [4, 0, 0, 0, 0, 0, 0, 0];
            if let Some(d) = dst.last_chunk_mut::<4>() {
                *d = small.to_le_bytes();
            }
        } else {
            self.slot(tag, 0);
            self.w.put_u32(8);
            self.w.put_u64(v as u64);
        }
    }

    /// The slot value that holds `v` inline, if it is small enough.
    ///
    /// ```
    /// use sproto_rt::wire::{StructWriter, MAX_INLINE};
    ///
    /// assert_eq!(StructWriter::inline_value(0), Some(2));
    /// assert_eq!(StructWriter::inline_value(i64::from(MAX_INLINE)), Some(0xfffe));
    /// assert_eq!(StructWriter::inline_value(i64::from(MAX_INLINE) + 1), None);
    /// assert_eq!(StructWriter::inline_value(-1), None);
    /// ```
    #[inline(always)]
    pub fn inline_value(v: i64) -> Option<u16> {
        if (0..=i64::from(MAX_INLINE)).contains(&v) {
            Some(InlineValue(v as u16).slot())
        } else {
            None
        }
    }

    /// Writes one skip slot covering exactly one tag. The bundle format writes one such
    /// slot per missing record field (rather than one slot for a run of missing tags),
    /// and the reference reads protocol records by slot position, so this matters.
    #[inline(always)]
    pub fn skip_one(&mut self) {
        self.push_slot(1);
        self.next_tag += 1;
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
        self.slot(tag, 0);
        self.w.put_u32(8);
        self.w.put_u64(v.to_bits());
    }

    /// Writes a string or binary field.
    #[inline(always)]
    pub fn bytes(&mut self, tag: u16, v: &[u8]) {
        self.slot(tag, 0);
        self.w.put_block(v);
    }

    /// Writes a data-block field whose content `fill` appends (a nested struct, an
    /// array).
    #[inline(always)]
    pub fn data_with<R>(&mut self, tag: u16, fill: impl FnOnce(&mut Writer) -> R) -> R {
        self.slot(tag, 0);
        self.w.block(fill)
    }

    /// Writes the slot of a data-block field whose whole block (length prefix
    /// included) `fill` appends (a nested struct through
    /// [`begin_block`](Self::begin_block)).
    #[inline(always)]
    pub fn data_with_raw<R>(&mut self, tag: u16, fill: impl FnOnce(&mut Writer) -> R) -> R {
        self.slot(tag, 0);
        fill(self.w)
    }

    /// Closes the struct: compacts the header to the slots used and writes it.
    /// Returns the struct's encoded size.
    #[inline(always)]
    pub fn finish(self) -> usize {
        let unused = (self.cap - self.slots) * SIZEOF_FIELD;
        if unused > 0 {
            let data_at = self.start + SIZEOF_HEADER + self.cap * SIZEOF_FIELD;
            let end = self.w.pos;
            self.w.buf.copy_within(data_at..end, data_at - unused);
            self.w.pos = end - unused;
        }
        let size = self.w.pos - self.start;
        let count = (self.slots as u16).to_le_bytes();
        let len = (size as u32).to_le_bytes();
        let word = self.word.to_le_bytes();
        let head = [
            len[0], len[1], len[2], len[3], count[0], count[1], word[0], word[1], word[2], word[3],
            word[4], word[5], word[6], word[7],
        ];
        let (from, at) = if self.block {
            (0, self.start - SIZEOF_LENGTH)
        } else {
            (SIZEOF_LENGTH, self.start)
        };
        let to = SIZEOF_LENGTH + SIZEOF_HEADER + self.slots.min(WORD_SLOTS) * SIZEOF_FIELD;
        if let (Some(src), Some(end)) = (head.get(from..to), at.checked_add(to - from)) {
            if let Some(dst) = self.w.buf.get_mut(at..end) {
                dst.copy_from_slice(src);
            }
        }
        size
    }
}

impl Writer {
    /// Appends the content of an integer array block: a size byte (4, or 8 when any
    /// element needs 64 bits) and the elements; nothing for an empty array.
    pub fn int_array(&mut self, values: impl Iterator<Item = i64> + Clone) {
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
            self.put_u8(8);
            for v in values {
                self.put_u64(v as u64);
            }
        } else {
            self.put_u8(4);
            for v in values {
                self.put_u32(v as i32 as u32);
            }
        }
    }

    /// Appends the content of a boolean array block: one byte per element.
    pub fn bool_array(&mut self, values: impl Iterator<Item = bool>) {
        for v in values {
            self.put_u8(u8::from(v));
        }
    }

    /// Appends the content of a double array block: the size byte 8 and the elements;
    /// nothing for an empty array.
    pub fn double_array(&mut self, values: impl ExactSizeIterator<Item = f64>) {
        if values.len() == 0 {
            return;
        }
        self.put_u8(8);
        for v in values {
            self.put_u64(v.to_bits());
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Debug, Clone)]
    enum Op {
        Int(i64),
        Bool(bool),
        Double(f64),
        Bytes(Vec<u8>),
        Nested(Vec<(u16, Op)>, usize),
        Array(Vec<Vec<u8>>),
    }

    fn op() -> impl Strategy<Value = Op> {
        let leaf = prop_oneof![
            prop_oneof![
                Just(0i64),
                Just(i64::from(MAX_INLINE)),
                Just(i64::from(MAX_INLINE) + 1),
                Just(-1i64),
                Just(i64::from(i32::MAX) + 1),
                any::<i64>()
            ]
            .prop_map(Op::Int),
            any::<bool>().prop_map(Op::Bool),
            any::<f64>().prop_map(Op::Double),
            prop::collection::vec(any::<u8>(), 0..40).prop_map(Op::Bytes),
            prop::collection::vec(prop::collection::vec(any::<u8>(), 0..20), 0..4)
                .prop_map(Op::Array),
        ];
        leaf.prop_recursive(3, 24, 6, |inner| {
            (fields(inner), 0..8usize).prop_map(|(f, slots)| Op::Nested(f, slots))
        })
    }

    /// Fields with ascending tags (gaps of 0 to 3 tags).
    fn fields(op: impl Strategy<Value = Op>) -> impl Strategy<Value = Vec<(u16, Op)>> {
        prop::collection::vec((0u16..4, op), 0..7).prop_map(|v| {
            let mut tag = 0;
            v.into_iter()
                .map(|(gap, op)| {
                    tag += gap;
                    let t = tag;
                    tag += 1;
                    (t, op)
                })
                .collect()
        })
    }

    /// The format written the plain way, as its description says (slots collected,
    /// then the header, then the data): an oracle independent of the writer.
    fn reference(fields: &[(u16, Op)]) -> Vec<u8> {
        fn block(data: &mut Vec<u8>, b: &[u8]) {
            data.extend_from_slice(&(b.len() as u32).to_le_bytes());
            data.extend_from_slice(b);
        }
        let mut slots: Vec<u16> = Vec::new();
        let mut data = Vec::new();
        let mut next = 0u32;
        for (tag, op) in fields {
            let tag = u32::from(*tag);
            if tag > next {
                slots.push(((tag - next) * 2 - 1) as u16);
            }
            next = tag + 1;
            match op {
                Op::Int(v) if (0..=i64::from(MAX_INLINE)).contains(v) => {
                    slots.push((*v as u16 + 1) * 2)
                }
                Op::Int(v) => {
                    slots.push(0);
                    match i32::try_from(*v) {
                        Ok(small) => block(&mut data, &small.to_le_bytes()),
                        Err(_) => block(&mut data, &v.to_le_bytes()),
                    }
                }
                Op::Bool(b) => slots.push(if *b { 4 } else { 2 }),
                Op::Double(v) => {
                    slots.push(0);
                    block(&mut data, &v.to_bits().to_le_bytes());
                }
                Op::Bytes(b) => {
                    slots.push(0);
                    block(&mut data, b);
                }
                Op::Nested(f, _) => {
                    slots.push(0);
                    block(&mut data, &reference(f));
                }
                Op::Array(items) => {
                    slots.push(0);
                    let mut content = Vec::new();
                    for i in items {
                        block(&mut content, i);
                    }
                    block(&mut data, &content);
                }
            }
        }
        let mut out = (slots.len() as u16).to_le_bytes().to_vec();
        for s in slots {
            out.extend_from_slice(&s.to_le_bytes());
        }
        out.extend_from_slice(&data);
        out
    }

    fn with_writer(st: &mut StructWriter<'_>, fields: &[(u16, Op)]) {
        for (tag, op) in fields {
            match op {
                Op::Int(v) => st.int(*tag, *v),
                Op::Bool(b) => st.bool(*tag, *b),
                Op::Double(v) => st.double(*tag, *v),
                Op::Bytes(b) => st.bytes(*tag, b),
                // Half the nested structs as a block through `begin_block`.
                Op::Nested(f, slots) if slots % 2 == 0 => st.data_with_raw(*tag, |w| {
                    let mut inner = StructWriter::begin_block(w, *slots);
                    with_writer(&mut inner, f);
                    inner.finish();
                }),
                Op::Nested(f, slots) => st.data_with(*tag, |w| {
                    let mut inner = StructWriter::begin(w, *slots);
                    with_writer(&mut inner, f);
                    inner.finish();
                }),
                Op::Array(items) => st.data_with(*tag, |w| {
                    for i in items {
                        w.put_block(i);
                    }
                }),
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// The writer writes exactly the format's bytes, whatever the buffer it starts
        /// from (prefix, capacity) and however wrong the slot estimates are (too few
        /// slots grow the header, too many are compacted away).
        #[test]
        fn writer_matches_the_format(
            fields in fields(op()),
            slots in 0..10usize,
            prefix in prop::collection::vec(any::<u8>(), 0..8),
            capacity in prop_oneof![Just(0usize), 0..300usize, Just(10_000usize)],
        ) {
            let mut expected = prefix.clone();
            let plain = reference(&fields);
            let size = plain.len();
            expected.extend_from_slice(&plain);

            let mut buf = Vec::with_capacity(capacity);
            buf.extend_from_slice(&prefix);
            let mut w = Writer::new(buf);
            let mut st = StructWriter::begin(&mut w, slots);
            with_writer(&mut st, &fields);
            prop_assert_eq!(st.finish(), size);
            prop_assert_eq!(w.pos(), expected.len());
            prop_assert_eq!(w.finish(), expected);
        }
    }

    #[test]
    fn short_copies() {
        for n in 0..=40 {
            let src: Vec<u8> = (1..=n as u8).collect();
            let mut w = Writer::new(Vec::new());
            w.put(&src);
            w.put_block(&src);
            let mut expected = src.clone();
            expected.extend_from_slice(&(n as u32).to_le_bytes());
            expected.extend_from_slice(&src);
            assert_eq!(w.finish(), expected);
        }
    }
}
