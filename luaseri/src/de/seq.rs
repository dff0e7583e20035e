//! Reading a table as a sequence (`Vec`, tuples): the array section, then the
//! integer-keyed hash pairs Lua puts past it.

use serde::de::{self, DeserializeSeed};

use super::nil::NilDeserializer;
use super::{found_text, Deserializer, Result};
use crate::error::UnpackError;
use crate::unpack::{skip_key, skip_value};
use crate::value::float_to_integer;
use crate::wire::{self, Token};

/// Yields a table's items as a sequence: the array section, then (for tables Lua
/// built with holes or out of order) hash pairs with integer keys past it, by index,
/// holes as `nil`; then `nil`s up to `pad_to` (a tuple's length).
pub(super) struct SeqAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    array_left: usize,
    /// Lua index of the last item yielded.
    index: usize,
    /// Integer-keyed hash entries (index, value offset, value end), once read.
    tail: Option<Vec<(usize, usize, usize)>>,
    /// Next entry of `tail` to yield.
    tail_next: usize,
    pad_to: usize,
}

impl<'a, 'de> SeqAccess<'a, 'de> {
    #[inline]
    pub(super) fn new(de: &'a mut Deserializer<'de>, array_left: usize, pad_to: usize) -> Self {
        SeqAccess {
            de,
            array_left,
            index: 0,
            tail: None,
            tail_next: 0,
            pad_to,
        }
    }

    /// Reads the hash section after the array section. The common case is an empty
    /// one (just the `nil` end marker).
    #[inline]
    fn read_tail(&mut self) -> Result<()> {
        if self.tail.is_some() {
            return Ok(());
        }
        if self.de.r.peek().is_some_and(wire::is_nil_byte) {
            // The usual end: no hash section at all.
            self.de.r.set_pos(self.de.r.pos() + 1);
            self.tail = Some(Vec::new());
            return Ok(());
        }
        let array_len = self.index;
        let mut entries: Vec<(usize, usize, usize)> = Vec::new();
        let de = &mut *self.de;
        loop {
            let key_at = de.r.pos();
            if !skip_key(&mut de.r, de.depth, de.limit)? {
                break;
            }
            let key = de.sub(key_at, de.r.pos()).r.token()?;
            let value_at = de.r.pos();
            skip_value(&mut de.r, de.depth, de.limit)?;
            let index = match key {
                Token::Integer(i) => Some(i),
                Token::Real(f) => float_to_integer(f),
                _ => None,
            };
            let index = index
                .and_then(|i| usize::try_from(i).ok())
                .filter(|i| *i > array_len)
                .ok_or_else(|| {
                    UnpackError::mismatch(
                        key_at,
                        format!("table key {}", found_text(&key)),
                        format!("a sequence (integer keys after the {array_len} array items)"),
                    )
                })?;
            entries.push((index, value_at, de.r.pos()));
        }
        // Later pairs win, and a nil value removes the key, as in Lua.
        entries.sort_by_key(|e| e.0);
        let mut tail: Vec<(usize, usize, usize)> = Vec::with_capacity(entries.len());
        for e in entries {
            match tail.last_mut() {
                Some(last) if last.0 == e.0 => *last = e,
                _ => tail.push(e),
            }
        }
        let input = de.r.input();
        tail.retain(|&(_, at, _)| !input.get(at).copied().is_some_and(wire::is_nil_byte));
        // Holes become nils: allow them only while more than half the slots are used
        // (Lua's own rule for its array part), so a lone huge key cannot make us
        // produce billions of nils.
        if let Some(&(max, at, _)) = tail.last() {
            let span = max - array_len;
            if span > 2 * tail.len() {
                return Err(UnpackError::mismatch(
                    at,
                    format!("a sparse table (index {max} with {} entries)", tail.len()),
                    "a sequence",
                ));
            }
        }
        self.tail = Some(tail);
        Ok(())
    }

    /// After the visitor: the table must be fully read. `exact` (tuples) rejects items
    /// the visitor left; sequences read everything anyway.
    #[inline]
    pub(super) fn finish(mut self, exact: bool) -> Result<()> {
        let at = self.de.r.pos();
        if self.array_left > 0 {
            if exact {
                return Err(too_many(at, self.index));
            }
            for _ in 0..self.array_left {
                skip_value(&mut self.de.r, self.de.depth, self.de.limit)?;
            }
            self.array_left = 0;
        }
        self.read_tail()?;
        let left = self.tail.as_ref().map_or(0, |t| t.len() - self.tail_next);
        if exact && left > 0 {
            return Err(too_many(at, self.index));
        }
        Ok(())
    }
}

fn too_many(at: usize, read: usize) -> UnpackError {
    UnpackError::mismatch(at, "a table with more items", format!("{read} items"))
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, 'de> {
    type Error = UnpackError;

    #[inline]
    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.array_left > 0 {
            self.array_left -= 1;
            self.index += 1;
            return seed.deserialize(&mut *self.de).map(Some);
        }
        self.read_tail()?;
        let next = self.index + 1;
        let entry = self
            .tail
            .as_ref()
            .and_then(|t| t.get(self.tail_next).copied());
        match entry {
            Some((index, at, end)) if index == next => {
                self.tail_next += 1;
                self.index = next;
                let mut sub = self.de.sub(at, end);
                seed.deserialize(&mut sub).map(Some)
            }
            // A hole before the next entry, or padding up to a tuple's length.
            Some(_) => {
                self.index = next;
                seed.deserialize(NilDeserializer).map(Some)
            }
            None if next <= self.pad_to => {
                self.index = next;
                seed.deserialize(NilDeserializer).map(Some)
            }
            None => Ok(None),
        }
    }

    #[inline]
    fn size_hint(&self) -> Option<usize> {
        match &self.tail {
            // Visitors pre-allocate from this: never more than the input can hold.
            None => Some(self.array_left.min(self.de.r.remaining())),
            Some(t) => Some(t.last().map_or(0, |e| e.0.saturating_sub(self.index))),
        }
    }
}
