//! The serde [`Deserializer`]: lua-seri bytes straight into any `Deserialize` type
//! ([`from_bytes`], [`from_args`]), borrowing strings from the input where it can.
//! The access helpers for tables, enums and argument lists live in the submodules.

mod args;
mod map;
mod nil;
mod raw;
mod seq;
mod variant;

use serde::de::{self, Visitor};
use serde::Deserialize;

use super::error::UnpackError;
use super::unpack::{at_hash_end, enter_table, skip_value, UnpackOptions};
use super::value::float_to_integer;
use super::wire::VALUE_TOKEN;
use super::wire::{self, Reader, Token};

pub use args::{from_args, from_args_with};
use map::MapAccess;
use raw::RawValue;
use seq::SeqAccess;
use variant::{TaggedVariant, UnitVariant};

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
/// let item: Item = skynet_luaseri::from_bytes(bytes)?;
/// assert_eq!(item, Item { id: 7, name: "x", tags: vec!["a".into()], note: None });
/// # Ok::<(), skynet_luaseri::UnpackError>(())
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

/// A serde deserializer over lua-seri bytes. Most code wants [`from_bytes`] or
/// [`from_args`]; this type is for driving serde by hand.
///
/// ```
/// use serde::Deserialize;
/// use skynet_luaseri::Deserializer;
///
/// let mut d = Deserializer::from_slice(b"\x0a\x01\x0a\x02");
/// let a = i32::deserialize(&mut d)?;
/// let b = i32::deserialize(&mut d)?;
/// d.end()?;
/// assert_eq!((a, b), (1, 2));
/// # Ok::<(), skynet_luaseri::UnpackError>(())
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
    #[inline]
    pub fn from_slice(bytes: &'de [u8]) -> Self {
        Self::with_options(bytes, &UnpackOptions::default())
    }

    /// A deserializer with explicit limits.
    #[inline]
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
    #[inline]
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
    #[inline]
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

    #[inline(always)]
    fn token(&mut self) -> Result<(usize, Token<'de>)> {
        let at = self.r.pos();
        Ok((at, self.r.token()?))
    }

    #[inline]
    fn mismatch(at: usize, found: &Token<'_>, expected: &dyn de::Expected) -> UnpackError {
        UnpackError::mismatch(at, found_text(found), expected.to_string())
    }

    /// Opens a table (after its header was read at `at`).
    #[inline]
    fn enter(&mut self, at: usize) -> Result<()> {
        self.depth = enter_table(at, self.depth, self.limit)?;
        Ok(())
    }

    /// Reads a number for an integer target: an integer, or a float with an integral
    /// value (as Lua's `math.tointeger`), then fits it into `T`.
    #[inline]
    fn integer<T: TryFrom<i64>>(&mut self, expected: &dyn de::Expected) -> Result<T> {
        let at = self.r.pos();
        let (at, i) = match self.r.integer() {
            Some(i) => (at, i),
            None => self.integer_slow(expected)?,
        };
        T::try_from(i).map_err(|_| out_of_range(at, i, expected))
    }

    /// [`Deserializer::integer`] for everything but a plain integer: floats, errors.
    #[cold]
    fn integer_slow(&mut self, expected: &dyn de::Expected) -> Result<(usize, i64)> {
        let (at, tok) = self.token()?;
        match tok {
            Token::Integer(i) => Ok((at, i)),
            Token::Real(f) => match float_to_integer(f) {
                Some(i) => Ok((at, i)),
                None => Err(UnpackError::mismatch(
                    at,
                    format!("float {f} (no integer representation)"),
                    expected.to_string(),
                )),
            },
            other => Err(Self::mismatch(at, &other, expected)),
        }
    }

    #[inline]
    fn float(&mut self, expected: &dyn de::Expected) -> Result<f64> {
        if let Some(f) = self.r.real() {
            return Ok(f);
        }
        match self.token()? {
            (_, Token::Real(f)) => Ok(f),
            (_, Token::Integer(i)) => Ok(i as f64),
            (at, other) => Err(Self::mismatch(at, &other, expected)),
        }
    }

    /// [`de::Deserializer::deserialize_str`] past its fast path: u32-length strings,
    /// and the errors (not UTF-8, not a string).
    #[cold]
    fn text_slow(&mut self, at: usize, expected: &dyn de::Expected) -> Result<&'de str> {
        self.r.set_pos(at);
        match self.token()? {
            (at, Token::String(s)) => sproto_rt::wire::str_from_bytes(s).ok_or_else(|| {
                UnpackError::mismatch(at, "a string that is not UTF-8", expected.to_string())
            }),
            (at, other) => Err(Self::mismatch(at, &other, expected)),
        }
    }

    /// Reads a table header, or fails with a mismatch naming `expected`.
    #[inline]
    fn table_header(&mut self, expected: &dyn de::Expected) -> Result<(usize, usize)> {
        let at = self.r.pos();
        if let Some(array_len) = self.r.small_table() {
            self.enter(at)?;
            return Ok((at, array_len));
        }
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
    #[inline]
    fn table_is_array(&self, array_len: usize) -> Result<bool> {
        let mut r = self.r.clone();
        for _ in 0..array_len {
            skip_value(&mut r, self.depth, self.limit)?;
        }
        Ok(at_hash_end(&r))
    }

    /// Reads a table header for a sequence target, then its items.
    #[inline]
    fn seq<V: Visitor<'de>>(&mut self, visitor: V, pad_to: usize, exact: bool) -> Result<V::Value> {
        let (_, array_len) = self.table_header(&visitor)?;
        self.visit_table_seq(visitor, array_len, pad_to, exact)
    }

    /// Reads a table header for a map or struct target, then its entries.
    #[inline]
    fn map<V: Visitor<'de>>(&mut self, visitor: V, fields_only: bool) -> Result<V::Value> {
        let (_, array_len) = self.table_header(&visitor)?;
        self.visit_table_map(visitor, array_len, fields_only)
    }

    /// Shows an open table as a sequence and closes it.
    #[inline]
    fn visit_table_seq<V: Visitor<'de>>(
        &mut self,
        visitor: V,
        array_len: usize,
        pad_to: usize,
        exact: bool,
    ) -> Result<V::Value> {
        let mut access = SeqAccess::new(self, array_len, pad_to);
        let v = visitor.visit_seq(&mut access)?;
        access.finish(exact)?;
        self.depth -= 1;
        Ok(v)
    }

    /// Shows an open table as a map and closes it.
    #[inline]
    fn visit_table_map<V: Visitor<'de>>(
        &mut self,
        visitor: V,
        array_len: usize,
        fields_only: bool,
    ) -> Result<V::Value> {
        let mut access = MapAccess::new(self, array_len, fields_only);
        let v = visitor.visit_map(&mut access)?;
        access.finish()?;
        self.depth -= 1;
        Ok(v)
    }
}

#[cold]
fn out_of_range(at: usize, i: i64, expected: &dyn de::Expected) -> UnpackError {
    UnpackError::mismatch(
        at,
        format!("integer {i} (out of range)"),
        expected.to_string(),
    )
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

    #[inline]
    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let (at, tok) = self.token()?;
        match tok {
            Token::Nil => visitor.visit_unit(),
            Token::Boolean(b) => visitor.visit_bool(b),
            Token::Integer(i) => visitor.visit_i64(i),
            Token::Real(f) => visitor.visit_f64(f),
            Token::Pointer(p) => visitor.visit_u64(p),
            Token::String(s) => match sproto_rt::wire::str_from_bytes(s) {
                Some(text) => visitor.visit_borrowed_str(text),
                None => visitor.visit_borrowed_bytes(s),
            },
            Token::Table { array_len } => {
                self.enter(at)?;
                if self.table_is_array(array_len)? {
                    self.visit_table_seq(visitor, array_len, 0, true)
                } else {
                    self.visit_table_map(visitor, array_len, false)
                }
            }
        }
    }

    #[inline]
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

    #[inline]
    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let f = self.float(&visitor)?;
        visitor.visit_f32(f as f32)
    }

    #[inline]
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let f = self.float(&visitor)?;
        visitor.visit_f64(f)
    }

    #[inline]
    fn deserialize_char<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_str<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        let at = self.r.pos();
        // `str_from_bytes`: UTF-8 validation with sproto-rt's ASCII fast path.
        let text = match self.r.string().and_then(sproto_rt::wire::str_from_bytes) {
            Some(text) => text,
            None => self.text_slow(at, &visitor)?,
        };
        visitor.visit_borrowed_str(text)
    }

    #[inline]
    fn deserialize_string<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_str(visitor)
    }

    #[inline]
    fn deserialize_bytes<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(s) = self.r.string() {
            return visitor.visit_borrowed_bytes(s);
        }
        match self.token()? {
            (_, Token::String(s)) => visitor.visit_borrowed_bytes(s),
            (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
        }
    }

    #[inline]
    fn deserialize_byte_buf<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.deserialize_bytes(visitor)
    }

    #[inline]
    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.r.peek() {
            Some(b) if wire::is_nil_byte(b) => {
                self.r.set_pos(self.r.pos() + 1);
                visitor.visit_none()
            }
            _ => visitor.visit_some(self),
        }
    }

    #[inline]
    fn deserialize_unit<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        match self.token()? {
            (_, Token::Nil) => visitor.visit_unit(),
            (at, other) => Err(Deserializer::mismatch(at, &other, &visitor)),
        }
    }

    #[inline]
    fn deserialize_unit_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value> {
        self.deserialize_unit(visitor)
    }

    #[inline]
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

    #[inline]
    fn deserialize_seq<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.seq(visitor, 0, false)
    }

    #[inline]
    fn deserialize_tuple<V: Visitor<'de>>(self, len: usize, visitor: V) -> Result<V::Value> {
        self.seq(visitor, len, true)
    }

    #[inline]
    fn deserialize_tuple_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        len: usize,
        visitor: V,
    ) -> Result<V::Value> {
        self.seq(visitor, len, true)
    }

    #[inline]
    fn deserialize_map<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        self.map(visitor, false)
    }

    #[inline]
    fn deserialize_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        _fields: &'static [&'static str],
        visitor: V,
    ) -> Result<V::Value> {
        self.map(visitor, true)
    }

    #[inline]
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
                        return Err(UnpackError::mismatch(
                            end_at,
                            "a second table entry",
                            "a table with one entry { variant = value }",
                        ))
                    }
                }
                self.depth -= 1;
                Ok(v)
            }
            other => Err(UnpackError::mismatch(
                at,
                found_text(&other),
                "an enum: a variant name, or a table { variant = value }",
            )),
        }
    }

    #[inline]
    fn deserialize_identifier<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        if let Some(s) = self.r.string() {
            return match std::str::from_utf8(s) {
                Ok(text) => visitor.visit_borrowed_str(text),
                Err(_) => visitor.visit_borrowed_bytes(s),
            };
        }
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

    #[inline]
    fn deserialize_ignored_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value> {
        skip_value(&mut self.r, self.depth, self.limit)?;
        visitor.visit_unit()
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        // Must agree with the serializer: text forms for types that have both.
        true
    }
}
