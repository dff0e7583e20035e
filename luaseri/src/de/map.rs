//! Reading a table as a map or a struct: array items under keys 1..n, then the hash
//! pairs.

use serde::de::value::{BorrowedBytesDeserializer, BorrowedStrDeserializer};
use serde::de::{self, DeserializeSeed, IntoDeserializer};

use super::{Deserializer, Result};
use crate::error::UnpackError;
use crate::unpack::{skip_key, skip_value};
use crate::wire;

/// Yields a table's entries as a map: array items under keys 1..n, then hash pairs.
/// Entries with a `nil` value are left out (Lua drops them); for structs, entries whose
/// key is not a string are skipped like unknown fields.
pub(super) struct MapAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    array_left: usize,
    index: i64,
    fields_only: bool,
    done: bool,
}

impl<'a, 'de> MapAccess<'a, 'de> {
    #[inline]
    pub(super) fn new(de: &'a mut Deserializer<'de>, array_len: usize, fields_only: bool) -> Self {
        MapAccess {
            de,
            array_left: array_len,
            index: 0,
            fields_only,
            done: false,
        }
    }

    /// Skips whatever the visitor left, up to and including the end marker.
    #[inline]
    pub(super) fn finish(mut self) -> Result<()> {
        let de = &mut *self.de;
        for _ in 0..self.array_left {
            skip_value(&mut de.r, de.depth, de.limit)?;
        }
        self.array_left = 0;
        if !self.done {
            while skip_key(&mut de.r, de.depth, de.limit)? {
                skip_value(&mut de.r, de.depth, de.limit)?;
            }
        }
        Ok(())
    }
}

impl<'de> de::MapAccess<'de> for MapAccess<'_, 'de> {
    type Error = UnpackError;

    #[inline]
    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>> {
        let de = &mut *self.de;
        while self.array_left > 0 {
            self.array_left -= 1;
            self.index += 1;
            let nil = de.r.peek().is_some_and(wire::is_nil_byte);
            if nil || self.fields_only {
                skip_value(&mut de.r, de.depth, de.limit)?;
                continue;
            }
            return seed.deserialize(self.index.into_deserializer()).map(Some);
        }
        if self.done {
            return Ok(None);
        }
        loop {
            let key_at = de.r.pos();
            // Fast path: string keys (struct fields) go to the seed as borrowed text.
            if let Some(key) = de.r.string() {
                if de.r.peek().is_some_and(wire::is_nil_byte) {
                    skip_value(&mut de.r, de.depth, de.limit)?;
                    continue;
                }
                // Field identifiers match bytes as well as text: skip the UTF-8 check.
                let text = if self.fields_only {
                    None
                } else {
                    std::str::from_utf8(key).ok()
                };
                return match text {
                    Some(text) => seed.deserialize(BorrowedStrDeserializer::new(text)),
                    None => seed.deserialize(BorrowedBytesDeserializer::new(key)),
                }
                .map(Some)
                .map_err(|e: UnpackError| e.at(key_at));
            }
            let is_string = matches!(
                de.r.peek().map(|b| b & 7),
                Some(wire::TYPE_SHORT_STRING | wire::TYPE_LONG_STRING)
            );
            if !skip_key(&mut de.r, de.depth, de.limit)? {
                self.done = true;
                return Ok(None);
            }
            let key_end = de.r.pos();
            let value_nil = de.r.peek().is_some_and(wire::is_nil_byte);
            if value_nil || (self.fields_only && !is_string) {
                skip_value(&mut de.r, de.depth, de.limit)?;
                continue;
            }
            let mut key = de.sub(key_at, key_end);
            return seed.deserialize(&mut key).map(Some);
        }
    }

    #[inline]
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }
}
