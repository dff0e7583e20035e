//! Errors of the dynamic encoder, with the path of the offending field.

use std::fmt;

/// Encoding failed: a value does not fit its field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{kind}", path_prefix(.path))]
pub struct EncodeError {
    /// Where in the value: field names and array indexes, outermost first
    /// (e.g. `["phone", "[1]", "number"]`).
    pub path: Vec<String>,
    /// What is wrong.
    pub kind: EncodeErrorKind,
}

fn path_prefix(path: &[String]) -> String {
    if path.is_empty() {
        return String::new();
    }
    let mut s = String::new();
    for seg in path {
        if !s.is_empty() && !seg.starts_with('[') {
            s.push('.');
        }
        s.push_str(seg);
    }
    s.push_str(": ");
    s
}

impl EncodeError {
    pub(crate) fn new(kind: EncodeErrorKind) -> Self {
        EncodeError {
            path: Vec::new(),
            kind,
        }
    }

    pub(crate) fn mismatch(expected: &'static str, found: &'static str) -> Self {
        Self::new(EncodeErrorKind::TypeMismatch { expected, found })
    }

    /// Adds an outer path segment (errors bubble up from the innermost value).
    pub(crate) fn within(mut self, segment: impl fmt::Display) -> Self {
        self.path.insert(0, segment.to_string());
        self
    }
}

/// The kinds of [`EncodeError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum EncodeErrorKind {
    /// The schema has no type of that name.
    #[error("unknown type {0}")]
    UnknownType(String),
    /// The value's kind does not fit the field's type.
    #[error("expected {expected}, found {found}")]
    TypeMismatch {
        /// What the field takes.
        expected: &'static str,
        /// What the value is.
        found: &'static str,
    },
    /// A double given for an integer field has a fractional part or is out of range.
    #[error("{0} is not an integer")]
    NotAnInteger(String),
    /// Structs nest deeper than the limit.
    #[error("structs nest deeper than {limit} levels")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// A string, array or struct longer than a data block can hold (4 GiB).
    #[error("data of {0} bytes does not fit a data block")]
    TooLarge(usize),
    /// A map entry of a `*T()` field whose type is not a two-field struct.
    #[error("type {0} cannot be a key/value map entry")]
    BadMapType(String),
}
