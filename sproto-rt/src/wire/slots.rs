//! Counting a struct's header slots: the one home of the rule that sizes the header
//! [`StructWriter`](super::StructWriter) reserves.

/// Counts the header slots of a struct whose fields are all present: one per field,
/// plus one skip slot before each field that does not directly follow its
/// predecessor's tag — exactly what [`StructWriter`](super::StructWriter) writes. The one home of that
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
/// what to pass to [`StructWriter::begin`](super::StructWriter::begin). A `const fn`, so derived types compute
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
