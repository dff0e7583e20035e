//! Errors of the dynamic encoder, with the path of the offending field.

use std::fmt;

/// Encoding failed: a value does not fit its field.
///
/// Boxed, so that results stay small on the encoder's hot path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", path_prefix(&.0.path), .0.kind)]
pub struct EncodeError(Box<EncodeErrorRepr>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct EncodeErrorRepr {
    path: Vec<String>,
    kind: EncodeErrorKind,
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
        EncodeError(Box::new(EncodeErrorRepr {
            path: Vec::new(),
            kind,
        }))
    }

    pub(crate) fn mismatch(expected: &'static str, found: &'static str) -> Self {
        Self::new(EncodeErrorKind::TypeMismatch { expected, found })
    }

    /// Adds an outer path segment (errors bubble up from the innermost value).
    pub(crate) fn within(mut self, segment: impl fmt::Display) -> Self {
        self.0.path.insert(0, segment.to_string());
        self
    }

    /// Where in the value: field names and array indexes (`[1]`, 1-based as in Lua),
    /// outermost first.
    pub fn path(&self) -> &[String] {
        &self.0.path
    }

    /// What is wrong.
    pub fn kind(&self) -> &EncodeErrorKind {
        &self.0.kind
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
