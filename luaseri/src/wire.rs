//! The lua-seri wire rules in one place: type bytes, cookies, the writers for every
//! scalar form and a bounds-checked reader. `pack`, `unpack` and the serde front ends
//! all go through these, so the format is written down once.

use super::error::{Part, UnpackError};

/// Type tag of `nil` (`00`).
pub(crate) const TYPE_NIL: u8 = 0;
/// Type tag of a boolean; cookie 0 = false, anything else = true.
pub(crate) const TYPE_BOOLEAN: u8 = 1;
/// Type tag of a number; the cookie says which width (see `NUMBER_*`).
pub(crate) const TYPE_NUMBER: u8 = 2;
/// Type tag of a light userdata: 8 little-endian pointer bytes follow.
pub(crate) const TYPE_USERDATA: u8 = 3;
/// Type tag of a short string: the cookie is the length (0..=31).
pub(crate) const TYPE_SHORT_STRING: u8 = 4;
/// Type tag of a long string: cookie 2 = u16 length, 4 = u32 length.
pub(crate) const TYPE_LONG_STRING: u8 = 5;
/// Type tag of a table: the cookie is the array size, 31 = size follows as a number.
pub(crate) const TYPE_TABLE: u8 = 6;

pub(crate) const NUMBER_ZERO: u8 = 0;
pub(crate) const NUMBER_BYTE: u8 = 1;
pub(crate) const NUMBER_WORD: u8 = 2;
pub(crate) const NUMBER_DWORD: u8 = 4;
pub(crate) const NUMBER_QWORD: u8 = 6;
pub(crate) const NUMBER_REAL: u8 = 8;

/// Strings shorter than this use the short form (length in the cookie).
pub(crate) const MAX_COOKIE: usize = 32;
/// The cookie meaning "array size follows as an integer".
pub(crate) const ARRAY_SIZE_FOLLOWS: u8 = (MAX_COOKIE - 1) as u8;

/// The largest string the reference can read back: its decoder fails on u32 lengths
/// of 2^31 and more (an `int` overflow), so we neither write nor accept them.
pub(crate) const MAX_STRING_LEN: usize = i32::MAX as usize;
/// The largest array section the reference can describe (its size is a C `int`).
pub(crate) const MAX_ARRAY_LEN: usize = i32::MAX as usize;

// serde marker names: how `LuaValue` and our serializer / deserializer recognise each
// other through the serde data model (other serde formats see plain newtypes). They
// live here, beside the wire rules, so `ser`, `de` and `value_serde` depend on `wire`
// and not on each other.

/// Newtype name marking a light userdata for our serializer (others see a `u64`).
pub(crate) const POINTER_TOKEN: &str = "$__skynet_luaseri_pointer";
/// Newtype name by which `LuaValue` asks our deserializer for its raw bytes.
pub(crate) const VALUE_TOKEN: &str = "$__skynet_luaseri_value";
/// The enum variant carrying those raw bytes (with the depth budget left).
pub(crate) const RAW_VARIANT: &str = "$__skynet_luaseri_raw";

/// The single byte `nil`, also the end marker of a table's hash section.
pub(crate) const NIL_BYTE: u8 = TYPE_NIL;
/// The type byte of a float (`42`).
pub(crate) const REAL_BYTE: u8 = combine(TYPE_NUMBER, NUMBER_REAL);
const INT_ZERO_BYTE: u8 = combine(TYPE_NUMBER, NUMBER_ZERO);
const INT_BYTE_BYTE: u8 = combine(TYPE_NUMBER, NUMBER_BYTE);
const INT_WORD_BYTE: u8 = combine(TYPE_NUMBER, NUMBER_WORD);
const INT_DWORD_BYTE: u8 = combine(TYPE_NUMBER, NUMBER_DWORD);
const INT_QWORD_BYTE: u8 = combine(TYPE_NUMBER, NUMBER_QWORD);
const LONG_STRING_U16_BYTE: u8 = combine(TYPE_LONG_STRING, 2);
const LONG_STRING_U32_BYTE: u8 = combine(TYPE_LONG_STRING, 4);

/// `true` for every byte of type 0: the decoder reads any cookie as `nil`.
#[inline]
pub(crate) const fn is_nil_byte(b: u8) -> bool {
    b & 7 == TYPE_NIL
}

/// The first `N` bytes of `s` as an array, if there are that many.
#[inline(always)]
fn le<const N: usize>(s: &[u8]) -> Option<[u8; N]> {
    s.get(..N)?.try_into().ok()
}

/// `type | cookie << 3`.
#[inline]
pub(crate) const fn combine(ty: u8, cookie: u8) -> u8 {
    ty | (cookie << 3)
}

#[inline]
pub(crate) fn write_nil(out: &mut Vec<u8>) {
    out.push(NIL_BYTE);
}

#[inline]
pub(crate) fn write_bool(out: &mut Vec<u8>, v: bool) {
    out.push(combine(TYPE_BOOLEAN, u8::from(v)));
}

/// Writes an integer in the width skynet picks: ZERO, QWORD outside int32, DWORD for
/// negatives, else the smallest of BYTE/WORD/DWORD.
#[inline]
pub(crate) fn write_integer(out: &mut Vec<u8>, v: i64) {
    if v == 0 {
        out.push(combine(TYPE_NUMBER, NUMBER_ZERO));
    } else if let Ok(v32) = i32::try_from(v) {
        if v32 < 0 {
            let mut buf = [combine(TYPE_NUMBER, NUMBER_DWORD), 0, 0, 0, 0];
            buf[1..].copy_from_slice(&v32.to_le_bytes());
            out.extend_from_slice(&buf);
        } else if v32 < 0x100 {
            out.extend_from_slice(&[combine(TYPE_NUMBER, NUMBER_BYTE), v32 as u8]);
        } else if v32 < 0x1_0000 {
            let w = (v32 as u16).to_le_bytes();
            out.extend_from_slice(&[combine(TYPE_NUMBER, NUMBER_WORD), w[0], w[1]]);
        } else {
            let mut buf = [combine(TYPE_NUMBER, NUMBER_DWORD), 0, 0, 0, 0];
            buf[1..].copy_from_slice(&v32.to_le_bytes());
            out.extend_from_slice(&buf);
        }
    } else {
        let mut buf = [0u8; 9];
        buf[0] = combine(TYPE_NUMBER, NUMBER_QWORD);
        buf[1..].copy_from_slice(&v.to_le_bytes());
        out.extend_from_slice(&buf);
    }
}

/// Floats always take the 8-byte REAL form; the bit pattern is kept (NaN, -0.0).
#[inline]
pub(crate) fn write_real(out: &mut Vec<u8>, v: f64) {
    let mut buf = [0u8; 9];
    buf[0] = REAL_BYTE;
    buf[1..].copy_from_slice(&v.to_bits().to_le_bytes());
    out.extend_from_slice(&buf);
}

#[inline]
pub(crate) fn write_pointer(out: &mut Vec<u8>, p: u64) {
    let mut buf = [0u8; 9];
    buf[0] = TYPE_USERDATA;
    buf[1..].copy_from_slice(&p.to_le_bytes());
    out.extend_from_slice(&buf);
}

/// Writes a string: short form below 32 bytes, u16 length below 64 KiB, else u32.
/// Returns `false` (writing nothing) when the string is too long for the reference.
#[inline]
pub(crate) fn write_string(out: &mut Vec<u8>, s: &[u8]) -> bool {
    let len = s.len();
    if len < MAX_COOKIE {
        out.reserve(1 + len);
        out.push(combine(TYPE_SHORT_STRING, len as u8));
    } else if len < 0x1_0000 {
        let l = (len as u16).to_le_bytes();
        out.reserve(3 + len);
        out.extend_from_slice(&[combine(TYPE_LONG_STRING, 2), l[0], l[1]]);
    } else if len <= MAX_STRING_LEN {
        let l = (len as u32).to_le_bytes();
        out.reserve(5 + len);
        out.extend_from_slice(&[combine(TYPE_LONG_STRING, 4), l[0], l[1], l[2], l[3]]);
    } else {
        return false;
    }
    out.extend_from_slice(s);
    true
}

/// Writes a table header announcing `array_len` array items (caller checked the
/// length against [`MAX_ARRAY_LEN`]).
#[inline]
pub(crate) fn write_table_header(out: &mut Vec<u8>, array_len: usize) {
    if array_len < usize::from(ARRAY_SIZE_FOLLOWS) {
        out.push(combine(TYPE_TABLE, array_len as u8));
    } else {
        out.push(combine(TYPE_TABLE, ARRAY_SIZE_FOLLOWS));
        write_integer(out, array_len as i64);
    }
}

/// The bytes [`write_table_header`] would produce, without a buffer.
pub(crate) fn table_header(array_len: usize) -> Vec<u8> {
    let mut v = Vec::with_capacity(10);
    write_table_header(&mut v, array_len);
    v
}

/// One decoded scalar or the start of a table, as the reader sees it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Token<'a> {
    Nil,
    Boolean(bool),
    Integer(i64),
    Real(f64),
    Pointer(u64),
    String(&'a [u8]),
    /// A table header: the array section has `array_len` items, then the hash pairs.
    Table {
        array_len: usize,
    },
}

impl Token<'_> {
    /// The Lua type name, for error messages.
    pub(crate) fn type_name(&self) -> &'static str {
        match self {
            Token::Nil => "nil",
            Token::Boolean(_) => "boolean",
            Token::Integer(_) => "integer",
            Token::Real(_) => "float",
            Token::Pointer(_) => "lightuserdata",
            Token::String(_) => "string",
            Token::Table { .. } => "table",
        }
    }
}

/// A cursor over input bytes; every read is bounds-checked and reports the offset.
#[derive(Debug, Clone)]
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Reader { buf, pos: 0 }
    }

    /// Current byte offset from the start of the input.
    #[inline]
    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    #[inline]
    pub(crate) fn set_pos(&mut self, pos: usize) {
        self.pos = pos.min(self.buf.len());
    }

    #[inline]
    pub(crate) fn remaining(&self) -> usize {
        self.buf.len() - self.pos
    }

    #[inline]
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    /// The whole input, for slicing out the bytes of a value already read.
    #[inline]
    pub(crate) fn input(&self) -> &'a [u8] {
        self.buf
    }

    /// The next byte without consuming it.
    #[inline]
    pub(crate) fn peek(&self) -> Option<u8> {
        self.buf.get(self.pos).copied()
    }

    #[inline]
    fn take(&mut self, n: usize, part: Part) -> Result<&'a [u8], UnpackError> {
        match self.buf.get(self.pos..).and_then(|rest| rest.get(..n)) {
            Some(s) => {
                self.pos += n;
                Ok(s)
            }
            None => Err(UnpackError::Truncated {
                offset: self.pos,
                needed: u32::try_from(n).unwrap_or(u32::MAX),
                part,
            }),
        }
    }

    #[inline]
    fn take_array<const N: usize>(&mut self, part: Part) -> Result<[u8; N], UnpackError> {
        let s = self.take(N, part)?;
        let mut a = [0u8; N];
        a.copy_from_slice(s);
        Ok(a)
    }

    /// Reads the integer payload for a number `cookie` (not REAL); `at` is the offset
    /// of the type byte, for errors.
    #[inline]
    fn integer_payload(&mut self, cookie: u8, at: usize, byte: u8) -> Result<i64, UnpackError> {
        match cookie {
            NUMBER_ZERO => Ok(0),
            NUMBER_BYTE => Ok(i64::from(self.take_array::<1>(Part::Integer)?[0])),
            NUMBER_WORD => Ok(i64::from(u16::from_le_bytes(
                self.take_array(Part::Integer)?,
            ))),
            // DWORD is signed on the wire: the encoder writes negatives this way.
            NUMBER_DWORD => Ok(i64::from(i32::from_le_bytes(
                self.take_array(Part::Integer)?,
            ))),
            NUMBER_QWORD => Ok(i64::from_le_bytes(self.take_array(Part::Integer)?)),
            _ => Err(UnpackError::InvalidCookie { offset: at, byte }),
        }
    }

    /// Fast path for integers in any width: `None` (reader untouched) when the next
    /// value is anything else or truncated; the caller then takes [`Reader::token`],
    /// which reports the error.
    #[inline(always)]
    pub(crate) fn integer(&mut self) -> Option<i64> {
        let rest = self.buf.get(self.pos..)?;
        let (&byte, tail) = rest.split_first()?;
        let (v, n) = match byte {
            INT_ZERO_BYTE => (0, 0),
            INT_BYTE_BYTE => (i64::from(*tail.first()?), 1),
            INT_WORD_BYTE => (i64::from(u16::from_le_bytes(le(tail)?)), 2),
            INT_DWORD_BYTE => (i64::from(i32::from_le_bytes(le(tail)?)), 4),
            INT_QWORD_BYTE => (i64::from_le_bytes(le(tail)?), 8),
            _ => return None,
        };
        self.pos += 1 + n;
        Some(v)
    }

    /// Fast path for floats, as [`Reader::integer`].
    #[inline(always)]
    pub(crate) fn real(&mut self) -> Option<f64> {
        let rest = self.buf.get(self.pos..)?;
        match rest.split_first()? {
            (&REAL_BYTE, tail) => {
                let v = f64::from_bits(u64::from_le_bytes(le(tail)?));
                self.pos += 9;
                Some(v)
            }
            _ => None,
        }
    }

    /// Fast path for strings, as [`Reader::integer`].
    #[inline(always)]
    pub(crate) fn string(&mut self) -> Option<&'a [u8]> {
        let rest = self.buf.get(self.pos..)?;
        let (&byte, tail) = rest.split_first()?;
        let (start, len) = if byte & 7 == TYPE_SHORT_STRING {
            (0, usize::from(byte >> 3))
        } else if byte == LONG_STRING_U16_BYTE {
            (2, usize::from(u16::from_le_bytes(le(tail)?)))
        } else if byte == LONG_STRING_U32_BYTE {
            let len = usize::try_from(u32::from_le_bytes(le(tail)?)).ok()?;
            // Too long for the reference: the slow path reports it.
            (4, Some(len).filter(|l| *l <= MAX_STRING_LEN)?)
        } else {
            return None;
        };
        let s = tail.get(start..start + len)?;
        self.pos += 1 + start + len;
        Some(s)
    }

    /// Fast path for table headers with the array size in the cookie, as
    /// [`Reader::integer`]; returns the array size.
    #[inline(always)]
    pub(crate) fn small_table(&mut self) -> Option<usize> {
        let byte = *self.buf.get(self.pos)?;
        let cookie = byte >> 3;
        if byte & 7 == TYPE_TABLE && cookie != ARRAY_SIZE_FOLLOWS {
            self.pos += 1;
            Some(usize::from(cookie))
        } else {
            None
        }
    }

    /// Reads one token: a scalar whole, or a table header (its items follow).
    #[inline(always)]
    pub(crate) fn token(&mut self) -> Result<Token<'a>, UnpackError> {
        let at = self.pos;
        let byte = self.take_array::<1>(Part::TypeByte)?[0];
        let cookie = byte >> 3;
        match byte & 7 {
            TYPE_NIL => Ok(Token::Nil),
            TYPE_BOOLEAN => Ok(Token::Boolean(cookie != 0)),
            TYPE_NUMBER => {
                if cookie == NUMBER_REAL {
                    let b = self.take_array(Part::Float)?;
                    Ok(Token::Real(f64::from_bits(u64::from_le_bytes(b))))
                } else {
                    self.integer_payload(cookie, at, byte).map(Token::Integer)
                }
            }
            TYPE_USERDATA => Ok(Token::Pointer(u64::from_le_bytes(
                self.take_array(Part::LightUserData)?,
            ))),
            TYPE_SHORT_STRING => Ok(Token::String(
                self.take(usize::from(cookie), Part::StringBytes)?,
            )),
            TYPE_LONG_STRING => {
                let len = match cookie {
                    2 => usize::from(u16::from_le_bytes(self.take_array(Part::StringLength)?)),
                    4 => {
                        let len_at = self.pos;
                        let len = u32::from_le_bytes(self.take_array(Part::StringLength)?);
                        let len = usize::try_from(len).unwrap_or(usize::MAX);
                        if len > MAX_STRING_LEN {
                            return Err(UnpackError::StringTooLong {
                                offset: len_at,
                                len,
                            });
                        }
                        len
                    }
                    _ => return Err(UnpackError::InvalidCookie { offset: at, byte }),
                };
                Ok(Token::String(self.take(len, Part::StringBytes)?))
            }
            TYPE_TABLE => {
                let array_len = if cookie == ARRAY_SIZE_FOLLOWS {
                    self.array_size()?
                } else {
                    usize::from(cookie)
                };
                Ok(Token::Table { array_len })
            }
            _ => Err(UnpackError::InvalidType { offset: at, byte }),
        }
    }

    /// Reads the array size of a cookie-31 table: an integer (not a float). Like the
    /// reference, the value is narrowed to a C `int` and a negative size means 0.
    fn array_size(&mut self) -> Result<usize, UnpackError> {
        let at = self.pos;
        let byte = self.take_array::<1>(Part::TypeByte)?[0];
        let cookie = byte >> 3;
        if byte & 7 != TYPE_NUMBER || cookie == NUMBER_REAL {
            return Err(UnpackError::InvalidArraySize { offset: at, byte });
        }
        let n = self.integer_payload(cookie, at, byte)?;
        // Truncation to 32 bits on purpose: it is what the reference's `int` does.
        let n = n as i32;
        Ok(usize::try_from(n).unwrap_or(0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(b: &[u8]) -> String {
        b.iter().map(|x| format!("{x:02x}")).collect()
    }

    #[test]
    fn integer_widths_match_the_reference() {
        let cases: &[(i64, &str)] = &[
            (0, "02"),
            (1, "0a01"),
            (255, "0aff"),
            (256, "120001"),
            (65535, "12ffff"),
            (65536, "2200000100"),
            (2147483647, "22ffffff7f"),
            (2147483648, "320000008000000000"),
            (-1, "22ffffffff"),
            (-2147483648, "2200000080"),
            (-2147483649, "32ffffff7fffffffff"),
        ];
        for &(v, want) in cases {
            let mut out = Vec::new();
            write_integer(&mut out, v);
            assert_eq!(hex(&out), want, "{v}");
        }
    }

    #[test]
    fn table_headers() {
        assert_eq!(hex(&table_header(0)), "06");
        assert_eq!(hex(&table_header(30)), "f6");
        assert_eq!(hex(&table_header(31)), "fe0a1f");
        assert_eq!(hex(&table_header(256)), "fe120001");
        assert_eq!(hex(&table_header(65536)), "fe2200000100");
    }

    #[test]
    fn negative_and_wrapped_array_sizes() {
        let mut r = Reader::new(&[0xfe, 0x22, 0xff, 0xff, 0xff, 0xff]);
        assert_eq!(r.token(), Ok(Token::Table { array_len: 0 }));
        // 2^32 + 2 narrows to 2, as a C int does.
        let mut r = Reader::new(&[0xfe, 0x32, 2, 0, 0, 0, 1, 0, 0, 0]);
        assert_eq!(r.token(), Ok(Token::Table { array_len: 2 }));
    }
}
