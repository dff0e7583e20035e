//! The serde [`Deserializer`]: lua-seri bytes straight into any `Deserialize` type
//! ([`from_bytes`], [`from_args`]), borrowing strings from the input where it can.

use serde::de::{self, DeserializeSeed, IntoDeserializer, Visitor};
use serde::Deserialize;

use super::error::UnpackError;
use super::unpack::{at_hash_end, enter_table, skip_key, skip_value, UnpackOptions};
use super::value::float_to_integer;
use super::value_serde::{RAW_VARIANT, VALUE_TOKEN};
use super::wire::{self, Reader, Token};

type Result<T> = std::result::Result<T, UnpackError>;

/// Deserializes one Lua value from `bytes`; the input must hold exactly one value.
///
/// ```
/// use serde::Deserialize;
///
/// #[derive(Deserialize, Debug, PartialEq)]
/// struct Item<'a> { id: u32, name: &'a str, tags: Vec<String>, note: Option<String> }
///
/// // { id = 7, name = "x", tags = { "a" } }
/// let bytes = b"\x06\x14id\x0a\x07\x24name\x0cx\x24tags\x0e\x0ca\x00\x00";
/// let item: Item = skynet_cluster::from_bytes(bytes)?;
/// assert_eq!(item, Item { id: 7, name: "x", tags: vec!["a".into()], note: None });
/// # Ok::<(), skynet_cluster::luaseri::UnpackError>(())
/// ```
///
/// # Errors
///
/// [`UnpackError`] for malformed bytes, a value that does not fit `T` (with the byte
/// offset), or bytes left after the value ([`UnpackError::TrailingBytes`]).
pub fn from_bytes<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    from_bytes_with(bytes, &UnpackOptions::default())
}

/// [`from_bytes`] with explicit limits.
///
/// # Errors
///
/// As [`from_bytes`].
pub fn from_bytes_with<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    options: &UnpackOptions,
) -> Result<T> {
    let mut d = Deserializer::with_options(bytes, options);
    let v = T::deserialize(&mut d).map_err(|e| e.at(d.r.pos()))?;
    d.end()?;
    Ok(v)
}

/// Deserializes an argument list, as a Lua function receives `...`: a Rust tuple
/// `(a, b, c)` takes the first three values, a missing trailing value is `nil` (so use
/// `Option` for optional arguments) and extra values are ignored (but must be valid);
/// `()` takes none; any other type takes the first value (`nil` when there is none).
///
/// ```
/// let bytes = skynet_cluster::to_args(&("GET", "a"))?;
/// let (cmd, key, default): (&str, String, Option<i64>) = skynet_cluster::from_args(&bytes)?;
/// assert_eq!((cmd, key.as_str(), default), ("GET", "a", None));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
///
/// # Errors
///
/// [`UnpackError`] for malformed bytes or an argument that does not fit its type.
pub fn from_args<'de, T: Deserialize<'de>>(bytes: &'de [u8]) -> Result<T> {
    from_args_with(bytes, &UnpackOptions::default())
}

/// [`from_args`] with explicit limits.
///
/// # Errors
///
/// As [`from_args`].
pub fn from_args_with<'de, T: Deserialize<'de>>(
    bytes: &'de [u8],
    options: &UnpackOptions,
) -> Result<T> {
    let mut d = Deserializer::with_options(bytes, options);
    let v = T::deserialize(Args(&mut d)).map_err(|e| e.at(d.r.pos()))?;
    // Extra arguments are ignored, but the message must still be well formed.
    while !d.r.is_empty() {
        skip_value(&mut d.r, 0, d.limit)?;
    }
    Ok(v)
}

/// A serde deserializer over lua-seri bytes. Most code wants [`from_bytes`] or
/// [`from_args`]; this type is for driving serde by hand.
///
/// ```
/// use serde::Deserialize;
/// use skynet_cluster::luaseri::Deserializer;
///
/// let mut d = Deserializer::from_slice(b"\x0a\x01\x0a\x02");
/// let a = i32::deserialize(&mut d)?;
/// let b = i32::deserialize(&mut d)?;
/// d.end()?;
/// assert_eq!((a, b), (1, 2));
/// # Ok::<(), skynet_cluster::luaseri::UnpackError>(())
/// ```
#[derive(Debug, Clone)]
pub struct Deserializer<'de> {
    r: Reader<'de>,
    /// Tables open around the next value.
    depth: usize,
    limit: usize,
}

impl<'de> Deserializer<'de> {
    /// A deserializer with the default [`UnpackOptions`].
    pub fn from_slice(bytes: &'de [u8]) -> Self {
        Self::with_options(bytes, &UnpackOptions::default())
    }

    /// A deserializer with explicit limits.
    pub fn with_options(bytes: &'de [u8], options: &UnpackOptions) -> Self {
        Deserializer {
            r: Reader::new(bytes),
            depth: 0,
            limit: options.max_depth,
        }
    }

    /// Checks that the whole input was consumed.
    ///
    /// # Errors
    ///
    /// [`UnpackError::TrailingBytes`] when bytes are left.
    pub fn end(&self) -> Result<()> {
        if self.r.is_empty() {
            Ok(())
        } else {
            Err(UnpackError::TrailingBytes {
                offset: self.r.pos(),
            })
        }
    }

    /// A deserializer for the value at `[at, end)` of the same input, at this depth.
    fn sub(&self, at: usize, end: usize) -> Deserializer<'de> {
        let input = self.r.input();
        let mut r = Reader::new(input.get(..end).unwrap_or(input));
        r.set_pos(at);
        Deserializer {
            r,
            depth: self.depth,
            limit: self.limit,
        }
    }

    fn token(&mut self) -> Result<(usize, Token<'de>)> {
        let at = self.r.pos();
        Ok((at, self.r.token()?))
    }

    fn mismatch(at: usize, found: &Token<'_>, expected: &dyn de::Expected) -> UnpackError {
        UnpackError::Mismatch {
            offset: at,
            found: found_text(found),
            expected: expected.to_string(),
        }
    }

    /// Opens a table (after its header was read at `at`).
    fn enter(&mut self, at: usize) -> Result<()> {
        self.depth = enter_table(at, self.depth, self.limit)?;
        Ok(())
    }

    /// Reads a number for an integer target: an integer, or a float with an integral
    /// value (as Lua's `math.tointeger`), then fits it into `T`.
    fn integer<T: TryFrom<i64>>(&mut self, expected: &dyn de::Expected) -> Result<T> {
        let (at, tok) = self.token()?;
        let i = match tok {
            Token::Integer(i) => i,
            Token::Real(f) => float_to_integer(f).ok_or_else(|| UnpackError::Mismatch {
                offset: at,
                found: format!("float {f} (no integer representation)"),
                expected: expected.to_string(),
            })?,
            other => return Err(Self::mismatch(at, &other, expected)),
        };
        T::try_from(i).map_err(|_| UnpackError::Mismatch {
            offset: at,
            found: format!("integer {i} (out of range)"),
            expected: expected.to_string(),
        })
    }

    fn float(&mut self, expected: &dyn de::Expected) -> Result<f64> {
        match self.token()? {
            (_, Token::Real(f)) => Ok(f),
            (_, Token::Integer(i)) => Ok(i as f64),
            (at, other) => Err(Self::mismatch(at, &other, expected)),
        }
    }

    /// Reads a table header, or fails with a mismatch naming `expected`.
    fn table_header(&mut self, expected: &dyn de::Expected) -> Result<(usize, usize)> {
        match self.token()? {
            (at, Token::Table { array_len }) => {
                self.enter(at)?;
                Ok((at, array_len))
            }
            (at, other) => Err(Self::mismatch(at, &other, expected)),
        }
    }

    /// Decides how `deserialize_any` shows a table: a sequence when it only has an
    /// array section, else a map. Looks ahead without consuming.
    fn table_is_array(&self, array_len: usize) -> Result<bool> {
        let mut r = self.r.clone();
        for _ in 0..array_len {
            skip_value(&mut r, self.depth, self.limit)?;
        }
        Ok(at_hash_end(&r))
    }

    fn seq<V: Visitor<'de>>(&mut self, visitor: V, pad_to: usize, exact: bool) -> Result<V::Value> {
        let (_, array_len) = self.table_header(&visitor)?;
        let mut access = SeqAccess::new(self, array_len, pad_to);
        let v = visitor.visit_seq(&mut access)?;
        access.finish(exact)?;
        self.depth -= 1;
        Ok(v)
    }

    fn map<V: Visitor<'de>>(&mut self, visitor: V, fields_only: bool) -> Result<V::Value> {
        let (_, array_len) = self.table_header(&visitor)?;
        let mut access = MapAccess {
            de: self,
            array_left: array_len,
            index: 0,
            fields_only,
            done: false,
        };
        let v = visitor.visit_map(&mut access)?;
        access.finish()?;
        self.depth -= 1;
        Ok(v)
    }
}

fn found_text(tok: &Token<'_>) -> String {
    match tok {
        Token::Integer(i) => format!("integer {i}"),
        Token::Real(f) => format!("float {f}"),
        Token::Boolean(b) => format!("boolean {b}"),
        Token::String(s) if s.len() <= 32 => format!("string {:?}", String::from_utf8_lossy(s)),
        other => other.type_name().to_owned(),
    }
}

macro_rules! deserialize_integer {
    ($($method:ident => $visit:ident($t:ty);)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            let v: $t = self.integer(&visitor)?;
            visitor.$visit(v)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for &mut Deserializer<'de> {
    type Error = UnpackError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (at, tok) = self.token()?;
        match tok {
            Token::Nil => visitor.visit_unit(),
            Token::Boolean(b) => visitor.visit_bool(b),
            Token::Integer(i) => visitor.visit_i64(i),
            Token::Real(f) => visitor.visit_f64(f),
            Token::Pointer(p) => visitor.visit_u64(p),
            Token::String(s) => match std::str::from_utf8(s) {
                Ok(text) => visitor.visit_borrowed_str(text),
                Err(_) => visitor.visit_borrowed_bytes(s),
            },
            Token::Table { array_len } => {
                self.enter(at)?;
                if self.table_is_array(array_len)? {
                    let mut access = SeqAccess::new(self, array_len, 0);
                    let v = visitor.visit_seq(&mut access)?;
                    access.finish(true)?;
                    self.depth -= 1;
                    Ok(v)
                } else {
                    let mut access = MapAccess {
                        de: self,
                        array_left: array_len,
                        index: 0,
                        fields_only: false,
                        done: false,
                    };
                    let v = visitor.visit_map(&mut access)?;
                    access.finish()?;
                    self.depth -= 1;
                    Ok(v)
                }
            }
        }
    }

    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            (_, Token::Boolean(b)) => visitor.visit_bool(b),
            (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
        }
    }

    deserialize_integer! {
        deserialize_i8 => visit_i8(i8);
        deserialize_i16 => visit_i16(i16);
        deserialize_i32 => visit_i32(i32);
        deserialize_i64 => visit_i64(i64);
        deserialize_i128 => visit_i128(i128);
        deserialize_u8 => visit_u8(u8);
        deserialize_u16 => visit_u16(u16);
        deserialize_u32 => visit_u32(u32);
        deserialize_u64 => visit_u64(u64);
        deserialize_u128 => visit_u128(u128);
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let f = self.float(&visitor)?;
        visitor.visit_f32(f as f32)
    }

    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let f = self.float(&visitor)?;
        visitor.visit_f64(f)
    }

    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            (at, Token::String(s)) => match std::str::from_utf8(s) {
                Ok(text) => visitor.visit_borrowed_str(text),
                Err(_) => Err(UnpackError::Mismatch {
                    offset: at,
                    found: "a string that is not UTF-8".into(),
                    expected: visitor_text(&visitor),
                }),
            },
            (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
        }
    }

    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            (_, Token::String(s)) => visitor.visit_borrowed_bytes(s),
            (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
        }
    }

    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.r.peek() {
            Some(b) if wire::is_nil_byte(b) => {
                self.r.set_pos(self.r.pos() + 1);
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            (_, Token::Nil) => visitor.visit_unit(),
            (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
        }
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            // `LuaValue` asks for its exact bytes: validate the extent here (with our
            // depth budget) and hand them over.
            let at = self.r.pos();
            skip_value(&mut self.r, self.depth, self.limit)?;
            let raw = self.r.input().get(at..self.r.pos()).unwrap_or_default();
            let depth_left = self.limit.saturating_sub(self.depth);
            return visitor.visit_enum(RawValue { depth_left, raw });
        }
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.seq(visitor, 0, false)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.seq(visitor, len, true)
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.seq(visitor, len, true)
    }

    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.map(visitor, false)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.map(visitor, true)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        let at = self.r.pos();
        match self.r.token()? {
            Token::String(s) => visitor.visit_enum(UnitVariant { name: s, at }),
            Token::Table { array_len: 0 } if !at_hash_end(&self.r) => {
                self.enter(at)?;
                let v = visitor.visit_enum(TaggedVariant { de: self })?;
                // Exactly one pair: the hash section must end here.
                let end_at = self.r.pos();
                match self.r.token()? {
                    Token::Nil => {}
                    _ => {
                        return Err(UnpackError::Mismatch {
                            offset: end_at,
                            found: "a second table entry".into(),
                            expected: "a table with one entry { variant = value }".into(),
                        })
                    }
                }
                self.depth -= 1;
                Ok(v)
            }
            other => Err(UnpackError::Mismatch {
                offset: at,
                found: found_text(&other),
                expected: "an enum: a variant name, or a table { variant = value }".into(),
            }),
        }
    }

    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.r.peek().map(|b| b & 7) {
            Some(wire::TYPE_SHORT_STRING | wire::TYPE_LONG_STRING) => match self.token()? {
                (_, Token::String(s)) => match std::str::from_utf8(s) {
                    Ok(text) => visitor.visit_borrowed_str(text),
                    Err(_) => visitor.visit_borrowed_bytes(s),
                },
                (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
            },
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        skip_value(&mut self.r, self.depth, self.limit)?;
        visitor.visit_unit()
    }

    fn is_human_readable(&self) -> bool {
        // Must agree with the serializer: text forms for types that have both.
        true
    }
}

fn visitor_text(v: &dyn de::Expected) -> String {
    v.to_string()
}

/// Yields a table's items as a sequence: the array section, then (for tables Lua
/// built with holes or out of order) hash pairs with integer keys past it, by index,
/// holes as `nil`; then `nil`s up to `pad_to` (a tuple's length).
struct SeqAccess<'a, 'de> {
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
    fn new(de: &'a mut Deserializer<'de>, array_left: usize, pad_to: usize) -> Self {
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
    fn read_tail(&mut self) -> Result<()> {
        if self.tail.is_some() {
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
                .ok_or_else(|| UnpackError::Mismatch {
                    offset: key_at,
                    found: format!("table key {}", found_text(&key)),
                    expected: format!(
                        "a sequence (integer keys after the {array_len} array items)"
                    ),
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
                return Err(UnpackError::Mismatch {
                    offset: at,
                    found: format!("a sparse table (index {max} with {} entries)", tail.len()),
                    expected: "a sequence".into(),
                });
            }
        }
        self.tail = Some(tail);
        Ok(())
    }

    /// After the visitor: the table must be fully read. `exact` (tuples) rejects items
    /// the visitor left; sequences read everything anyway.
    fn finish(mut self, exact: bool) -> Result<()> {
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
    UnpackError::Mismatch {
        offset: at,
        found: "a table with more items".into(),
        expected: format!("{read} items"),
    }
}

impl<'de> de::SeqAccess<'de> for SeqAccess<'_, 'de> {
    type Error = UnpackError;

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

    fn size_hint(&self) -> Option<usize> {
        match &self.tail {
            None => Some(self.array_left),
            Some(t) => Some(t.last().map_or(0, |e| e.0.saturating_sub(self.index))),
        }
    }
}

/// Yields a table's entries as a map: array items under keys 1..n, then hash pairs.
/// Entries with a `nil` value are left out (Lua drops them); for structs, entries whose
/// key is not a string are skipped like unknown fields.
struct MapAccess<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    array_left: usize,
    index: i64,
    fields_only: bool,
    done: bool,
}

impl MapAccess<'_, '_> {
    /// Skips whatever the visitor left, up to and including the end marker.
    fn finish(mut self) -> Result<()> {
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

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value> {
        seed.deserialize(&mut *self.de)
    }
}

/// `nil`, for sequence holes and missing trailing tuple items / arguments.
struct NilDeserializer;

impl<'de> de::Deserializer<'de> for NilDeserializer {
    type Error = UnpackError;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_none()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            return visitor.visit_enum(RawValue {
                depth_left: 0,
                raw: &[wire::NIL_BYTE],
            });
        }
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
        bytes byte_buf unit unit_struct seq tuple tuple_struct map struct enum
        identifier ignored_any
    }
}

/// A unit variant written as its name.
struct UnitVariant<'de> {
    name: &'de [u8],
    at: usize,
}

impl<'de> de::EnumAccess<'de> for UnitVariant<'de> {
    type Error = UnpackError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let v = match std::str::from_utf8(self.name) {
            Ok(text) => {
                seed.deserialize(de::value::BorrowedStrDeserializer::<UnpackError>::new(text))
            }
            Err(_) => seed.deserialize(de::value::BorrowedBytesDeserializer::<UnpackError>::new(
                self.name,
            )),
        };
        Ok((v.map_err(|e| e.at(self.at))?, self))
    }
}

impl<'de> de::VariantAccess<'de> for UnitVariant<'de> {
    type Error = UnpackError;

    fn unit_variant(self) -> Result<()> {
        Ok(())
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(self.data_expected())
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, _visitor: V) -> Result<V::Value> {
        Err(self.data_expected())
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(self.data_expected())
    }
}

impl UnitVariant<'_> {
    fn data_expected(&self) -> UnpackError {
        UnpackError::Mismatch {
            offset: self.at,
            found: "a variant name alone".into(),
            expected: "a table { variant = value } for a variant with data".into(),
        }
    }
}

/// A data-carrying variant written as `{ [variant] = value }`; the table is open and
/// the reader is at its only key.
struct TaggedVariant<'a, 'de> {
    de: &'a mut Deserializer<'de>,
}

impl<'de> de::EnumAccess<'de> for TaggedVariant<'_, 'de> {
    type Error = UnpackError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        // The key, read with our identifier rules (strings borrowed).
        let v = seed_identifier(self.de, seed)?;
        Ok((v, self))
    }
}

/// Reads a variant name with [`Deserializer`]'s `deserialize_identifier`.
fn seed_identifier<'de, V: DeserializeSeed<'de>>(
    de: &mut Deserializer<'de>,
    seed: V,
) -> Result<V::Value> {
    struct Identifier<'a, 'de>(&'a mut Deserializer<'de>);
    impl<'de> de::Deserializer<'de> for Identifier<'_, 'de> {
        type Error = UnpackError;
        fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            de::Deserializer::deserialize_identifier(&mut *self.0, visitor)
        }
        serde::forward_to_deserialize_any! {
            bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string
            bytes byte_buf option unit unit_struct newtype_struct seq tuple
            tuple_struct map struct enum identifier ignored_any
        }
    }
    seed.deserialize(Identifier(de))
}

impl<'de> de::VariantAccess<'de> for TaggedVariant<'_, 'de> {
    type Error = UnpackError;

    fn unit_variant(self) -> Result<()> {
        // `{ [variant] = anything }`: the payload carries nothing for a unit variant.
        skip_value(&mut self.de.r, self.de.depth, self.de.limit)
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, seed: T) -> Result<T::Value> {
        seed.deserialize(&mut *self.de)
    }

    fn tuple_variant<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        de::Deserializer::deserialize_tuple(&mut *self.de, len, visitor)
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        de::Deserializer::deserialize_struct(&mut *self.de, "", fields, visitor)
    }
}

/// The answer to `LuaValue`'s handshake: variant [`RAW_VARIANT`] carrying
/// `(depth budget, raw bytes)`.
struct RawValue<'de> {
    depth_left: usize,
    raw: &'de [u8],
}

impl<'de> de::EnumAccess<'de> for RawValue<'de> {
    type Error = UnpackError;
    type Variant = Self;

    fn variant_seed<V: DeserializeSeed<'de>>(self, seed: V) -> Result<(V::Value, Self)> {
        let tag = seed.deserialize(de::value::BorrowedStrDeserializer::new(RAW_VARIANT))?;
        Ok((tag, self))
    }
}

impl<'de> de::VariantAccess<'de> for RawValue<'de> {
    type Error = UnpackError;

    fn unit_variant(self) -> Result<()> {
        Err(de::Error::custom(
            "the raw Lua value handshake carries data",
        ))
    }

    fn newtype_variant_seed<T: DeserializeSeed<'de>>(self, _seed: T) -> Result<T::Value> {
        Err(de::Error::custom("the raw Lua value handshake is a pair"))
    }

    fn tuple_variant<V: Visitor<'de>>(self, _len: usize, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(RawPair {
            depth_left: Some(self.depth_left as u64),
            raw: Some(self.raw),
        })
    }

    fn struct_variant<V: Visitor<'de>>(
        self,
        _fields: &'static [&'static str],
        _visitor: V,
    ) -> Result<V::Value> {
        Err(de::Error::custom("the raw Lua value handshake is a pair"))
    }
}

struct RawPair<'de> {
    depth_left: Option<u64>,
    raw: Option<&'de [u8]>,
}

impl<'de> de::SeqAccess<'de> for RawPair<'de> {
    type Error = UnpackError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if let Some(d) = self.depth_left.take() {
            return seed.deserialize(d.into_deserializer()).map(Some);
        }
        if let Some(raw) = self.raw.take() {
            return seed
                .deserialize(de::value::BorrowedBytesDeserializer::new(raw))
                .map(Some);
        }
        Ok(None)
    }
}

/// The top level of [`from_args`]: a tuple reads consecutive values.
struct Args<'a, 'de>(&'a mut Deserializer<'de>);

macro_rules! args_first_value {
    ($($method:ident)*) => {$(
        fn $method<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
            // Lua: a missing argument is nil.
            if self.0.r.is_empty() {
                return NilDeserializer.$method(visitor);
            }
            self.0.$method(visitor)
        }
    )*};
}

impl<'de> de::Deserializer<'de> for Args<'_, 'de> {
    type Error = UnpackError;

    args_first_value! {
        deserialize_any deserialize_bool deserialize_i8 deserialize_i16 deserialize_i32
        deserialize_i64 deserialize_i128 deserialize_u8 deserialize_u16 deserialize_u32
        deserialize_u64 deserialize_u128 deserialize_f32 deserialize_f64 deserialize_char
        deserialize_str deserialize_string deserialize_bytes deserialize_byte_buf
        deserialize_option deserialize_seq deserialize_map deserialize_identifier
    }

    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        // `()` is the empty argument list: whatever was sent is ignored.
        visitor.visit_unit()
    }

    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        visitor.visit_unit()
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        if name == VALUE_TOKEN {
            if self.0.r.is_empty() {
                return NilDeserializer.deserialize_newtype_struct(name, visitor);
            }
            return de::Deserializer::deserialize_newtype_struct(self.0, name, visitor);
        }
        // A newtype around the argument list is transparent.
        visitor.visit_newtype_struct(self)
    }

    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        visitor.visit_seq(ArgsSeq {
            de: self.0,
            left: len,
        })
    }

    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.r.is_empty() {
            return NilDeserializer.deserialize_tuple(len, visitor);
        }
        de::Deserializer::deserialize_tuple(self.0, len, visitor)
    }

    fn deserialize_struct<V: Visitor<'de>>(
        self,
        name: &'static str,
        fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.r.is_empty() {
            return NilDeserializer.deserialize_struct(name, fields, visitor);
        }
        de::Deserializer::deserialize_struct(self.0, name, fields, visitor)
    }

    fn deserialize_enum<V: Visitor<'de>>(
        self,
        name: &'static str,
        variants: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        if self.0.r.is_empty() {
            return NilDeserializer.deserialize_enum(name, variants, visitor);
        }
        de::Deserializer::deserialize_enum(self.0, name, variants, visitor)
    }

    fn is_human_readable(&self) -> bool {
        true
    }
}

/// The values of an argument list, `nil` past the end.
struct ArgsSeq<'a, 'de> {
    de: &'a mut Deserializer<'de>,
    left: usize,
}

impl<'de> de::SeqAccess<'de> for ArgsSeq<'_, 'de> {
    type Error = UnpackError;

    fn next_element_seed<T: DeserializeSeed<'de>>(&mut self, seed: T) -> Result<Option<T::Value>> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left -= 1;
        if self.de.r.is_empty() {
            return seed.deserialize(NilDeserializer).map(Some);
        }
        seed.deserialize(&mut *self.de).map(Some)
    }

    fn size_hint(&self) -> Option<usize> {
        Some(self.left)
    }
}
