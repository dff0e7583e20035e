//! Error types of lua-seri: [`PackError`] for writing, [`UnpackError`] for reading
//! (both also serve as the serde error types of the two directions).

use std::fmt;

use thiserror::Error;

/// Why a value could not be packed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum PackError {
    /// A value sits inside more than `limit` nested tables. The reference raises
    /// `serialize can't pack too depth table` in the same case.
    #[error("serialize can't pack too depth table: a value is nested in more than {limit} tables")]
    TooDeep {
        /// The nesting limit (32, as in skynet).
        limit: usize,
    },
    /// A table key is `nil`: on the wire `nil` ends the hash section, and Lua tables
    /// cannot hold it.
    #[error("table key is nil (a Lua table cannot have a nil key)")]
    NilKey,
    /// A table key is NaN: skynet's unpack would fail with `table index is NaN`.
    #[error("table key is NaN (a Lua table cannot have a NaN key)")]
    NanKey,
    /// A string of 2^31 bytes or more: skynet cannot unpack it.
    #[error("string of {len} bytes is too long (at most 2147483647 bytes)")]
    StringTooLong {
        /// The string's length in bytes.
        len: usize,
    },
    /// An array section of 2^31 items or more: skynet cannot describe it.
    #[error("array of {len} items is too long (at most 2147483647 items)")]
    ArrayTooLong {
        /// The number of items.
        len: usize,
    },
    /// A Rust integer outside the range of Lua integers (i64).
    #[error("integer {value} does not fit a Lua integer (i64)")]
    IntegerOutOfRange {
        /// The value, in decimal.
        value: String,
    },
    /// A serde data model item with no Lua form, or an error from a `Serialize` impl.
    #[error("{0}")]
    Message(String),
}

impl serde::ser::Error for PackError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        PackError::Message(msg.to_string())
    }
}

/// Why bytes could not be unpacked. Every variant says at which byte offset of the
/// input the problem was found ([`UnpackError::offset`]).
///
/// The enum is kept small (the rare, wordy cases are boxed) because it travels in every
/// `Result` of the deserializer's hot paths.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UnpackError {
    /// The input ends in the middle of a value.
    #[error("truncated input at byte {offset}: {part} needs {needed} bytes, fewer are left")]
    Truncated {
        /// Where the missing bytes should start.
        offset: usize,
        /// How many bytes the part needs.
        needed: u32,
        /// What was being read.
        part: Part,
    },
    /// A type byte of type 7, which lua-seri never uses.
    #[error("invalid type byte {byte:#04x} at byte {offset}")]
    InvalidType {
        /// Offset of the type byte.
        offset: usize,
        /// The type byte.
        byte: u8,
    },
    /// A type byte whose cookie (`byte >> 3`) is not valid for its type (a number or a
    /// long string).
    #[error("invalid type byte {byte:#04x} at byte {offset}: cookie {} is not valid for {}", byte >> 3, cookie_type(*byte))]
    InvalidCookie {
        /// Offset of the type byte.
        offset: usize,
        /// The type byte.
        byte: u8,
    },
    /// A cookie-31 table whose array size is not an integer.
    #[error("table array size at byte {offset} must be an integer, found type byte {byte:#04x}")]
    InvalidArraySize {
        /// Offset of the size's type byte.
        offset: usize,
        /// That type byte.
        byte: u8,
    },
    /// A u32 string length of 2^31 or more (skynet fails on it too).
    #[error("string length {len} at byte {offset} is too large (at most 2147483647)")]
    StringTooLong {
        /// Offset of the length field.
        offset: usize,
        /// The announced length.
        len: usize,
    },
    /// A NaN table key (Lua: `table index is NaN`).
    #[error("table index is NaN at byte {offset}")]
    NanKey {
        /// Offset of the key.
        offset: usize,
    },
    /// Tables nested deeper than [`UnpackOptions::max_depth`](super::UnpackOptions).
    #[error("tables nested deeper than {limit} at byte {offset}")]
    TooDeep {
        /// Offset of the table that went one level too deep.
        offset: usize,
        /// The configured limit.
        limit: usize,
    },
    /// Bytes left over after the single value [`from_bytes`](super::from_bytes) expects.
    #[error("trailing bytes after the value, starting at byte {offset}")]
    TrailingBytes {
        /// Offset of the first extra byte.
        offset: usize,
    },
    /// The Lua value does not fit the Rust type asked for.
    #[error(transparent)]
    Mismatch(Box<Mismatch>),
    /// Any other error, typically from a `Deserialize` impl.
    #[error(transparent)]
    Message(Box<ErrorMessage>),
}

/// The details of [`UnpackError::Mismatch`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid type at byte {offset}: found {found}, expected {expected}")]
pub struct Mismatch {
    /// Offset of the value.
    pub offset: usize,
    /// What the bytes hold (a Lua type, often with the value).
    pub found: String,
    /// What the target type wanted.
    pub expected: String,
}

/// The details of [`UnpackError::Message`]: the offset is where the deserializer was
/// when the error was raised, if known.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message}{}", At(*offset))]
pub struct ErrorMessage {
    /// The error text.
    pub message: String,
    /// Byte offset, when known.
    pub offset: Option<usize>,
}

/// The part of a value being read when the input ended ([`UnpackError::Truncated`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Part {
    /// A type byte.
    TypeByte,
    /// An integer payload (BYTE, WORD, DWORD or QWORD).
    Integer,
    /// A float payload.
    Float,
    /// A light userdata payload.
    LightUserData,
    /// A long string's length field.
    StringLength,
    /// A string's bytes.
    StringBytes,
}

impl fmt::Display for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Part::TypeByte => "a type byte",
            Part::Integer => "an integer",
            Part::Float => "a float",
            Part::LightUserData => "a light userdata",
            Part::StringLength => "a string length",
            Part::StringBytes => "a string",
        })
    }
}

/// The type a cookie was read for, for [`UnpackError::InvalidCookie`]'s message.
fn cookie_type(byte: u8) -> &'static str {
    match byte & 7 {
        2 => "a number",
        5 => "a long string",
        _ => "this type",
    }
}

impl UnpackError {
    /// The byte offset the error refers to, when known.
    pub fn offset(&self) -> Option<usize> {
        match self {
            UnpackError::Truncated { offset, .. }
            | UnpackError::InvalidType { offset, .. }
            | UnpackError::InvalidCookie { offset, .. }
            | UnpackError::InvalidArraySize { offset, .. }
            | UnpackError::StringTooLong { offset, .. }
            | UnpackError::NanKey { offset }
            | UnpackError::TooDeep { offset, .. }
            | UnpackError::TrailingBytes { offset } => Some(*offset),
            UnpackError::Mismatch(m) => Some(m.offset),
            UnpackError::Message(m) => m.offset,
        }
    }

    /// A [`UnpackError::Mismatch`].
    #[cold]
    pub(crate) fn mismatch(
        offset: usize,
        found: impl Into<String>,
        expected: impl Into<String>,
    ) -> Self {
        UnpackError::Mismatch(Box::new(Mismatch {
            offset,
            found: found.into(),
            expected: expected.into(),
        }))
    }

    /// A [`UnpackError::Message`].
    #[cold]
    pub(crate) fn message(message: impl Into<String>, offset: Option<usize>) -> Self {
        UnpackError::Message(Box::new(ErrorMessage {
            message: message.into(),
            offset,
        }))
    }

    /// Attaches `at` to a [`UnpackError::Message`] raised without an offset.
    pub(crate) fn at(mut self, at: usize) -> Self {
        if let UnpackError::Message(m) = &mut self {
            m.offset.get_or_insert(at);
        }
        self
    }
}

/// Formats " at byte N" when an offset is known.
struct At(Option<usize>);

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(o) => write!(f, " at byte {o}"),
            None => Ok(()),
        }
    }
}

impl serde::de::Error for UnpackError {
    #[cold]
    fn custom<T: fmt::Display>(msg: T) -> Self {
        UnpackError::message(msg.to_string(), None)
    }
}
