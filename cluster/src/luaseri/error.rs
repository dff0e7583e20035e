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
/// input the problem was found.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum UnpackError {
    /// The input ends in the middle of a value.
    #[error("truncated input at byte {offset}: {what} needs {needed} bytes, {available} left")]
    Truncated {
        /// Where the missing bytes should start.
        offset: usize,
        /// What was being read.
        what: &'static str,
        /// How many bytes it needs.
        needed: usize,
        /// How many bytes were left.
        available: usize,
    },
    /// A type byte of type 7, which lua-seri never uses.
    #[error("invalid type byte {byte:#04x} at byte {offset}")]
    InvalidType {
        /// Offset of the type byte.
        offset: usize,
        /// The type byte.
        byte: u8,
    },
    /// A type byte whose cookie is not valid for its type (number, long string).
    #[error("invalid cookie in type byte {byte:#04x} ({kind}) at byte {offset}")]
    InvalidCookie {
        /// Offset of the type byte.
        offset: usize,
        /// The type byte.
        byte: u8,
        /// The type it claims.
        kind: &'static str,
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
    #[error("invalid type at byte {offset}: found {found}, expected {expected}")]
    Mismatch {
        /// Offset of the value.
        offset: usize,
        /// What the bytes hold (a Lua type name, or a description).
        found: String,
        /// What the target type wanted.
        expected: String,
    },
    /// Any other error, typically from a `Deserialize` impl; the offset is where the
    /// deserializer was when it was raised, if known.
    #[error("{message}{}", At(*offset))]
    Message {
        /// The error text.
        message: String,
        /// Byte offset, when known.
        offset: Option<usize>,
    },
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
            | UnpackError::TrailingBytes { offset }
            | UnpackError::Mismatch { offset, .. } => Some(*offset),
            UnpackError::Message { offset, .. } => *offset,
        }
    }

    /// Attaches `at` to a [`UnpackError::Message`] raised without an offset.
    pub(crate) fn at(self, at: usize) -> Self {
        match self {
            UnpackError::Message {
                message,
                offset: None,
            } => UnpackError::Message {
                message,
                offset: Some(at),
            },
            other => other,
        }
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
    fn custom<T: fmt::Display>(msg: T) -> Self {
        UnpackError::Message {
            message: msg.to_string(),
            offset: None,
        }
    }
}
