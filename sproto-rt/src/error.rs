//! Errors of the binary decoders (bundles, messages, packed streams), each with the
//! byte offset where the problem was found.

use std::fmt;

/// A decoding failure: what went wrong and at which byte of the input.
///
/// Boxed, so that results stay small on the decoder's hot path.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{} (at byte {})", .0.kind, .0.offset)]
pub struct DecodeError(Box<DecodeErrorRepr>);

#[derive(Debug, Clone, PartialEq, Eq)]
struct DecodeErrorRepr {
    offset: usize,
    kind: DecodeErrorKind,
}

impl DecodeError {
    /// A new error at `offset`.
    pub fn new(offset: usize, kind: DecodeErrorKind) -> Self {
        DecodeError(Box::new(DecodeErrorRepr { offset, kind }))
    }

    /// Offset in the input where the problem was detected.
    pub fn offset(&self) -> usize {
        self.0.offset
    }

    /// What went wrong.
    pub fn kind(&self) -> &DecodeErrorKind {
        &self.0.kind
    }
}

/// The kinds of [`DecodeError`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The input ends inside a fixed-size item.
    #[error("truncated {what}: need {need} bytes, {have} left")]
    Truncated {
        /// The item being read.
        what: &'static str,
        /// Bytes the item needs.
        need: usize,
        /// Bytes that were left.
        have: usize,
    },
    /// A data block's length runs past the end of its container.
    #[error("data block of {len} bytes runs past the end ({left} bytes left)")]
    DataPastEnd {
        /// The announced length.
        len: usize,
        /// Bytes that were left.
        left: usize,
    },
    /// A schema bundle is not well formed.
    #[error("invalid bundle: {0}")]
    Bundle(BundleProblem),
    /// A field's wire form does not fit its declared type.
    #[error("field `{field}`: {problem}")]
    Field {
        /// The field's name.
        field: String,
        /// What is wrong with it.
        problem: FieldProblem,
    },
    /// Structs nest deeper than the decoder's limit.
    #[error("structs nest deeper than {limit} levels")]
    TooDeep {
        /// The depth limit.
        limit: usize,
    },
    /// A packed stream is malformed.
    #[error("invalid packed stream: {0}")]
    Unpack(&'static str),
    /// Decoded data would exceed a configured size limit.
    #[error("decoded size exceeds the limit of {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// An RPC package could not be interpreted.
    #[error("{0}")]
    Rpc(String),
    /// The schema has no type of that name.
    #[error("unknown type {0}")]
    UnknownType(String),
    /// A nested struct does not use exactly the bytes of its data block.
    #[error("struct uses {used} of its {len} bytes")]
    StructLength {
        /// Bytes the struct's encoding uses.
        used: usize,
        /// Bytes of its data block.
        len: usize,
    },
}

impl DecodeError {
    /// Prefixes the field path of a [`DecodeErrorKind::Field`] error with `name`
    /// (innermost field last), so messages read `phone.number: ...`. Used by the
    /// generated code of `#[derive(Sproto)]`.
    #[doc(hidden)]
    pub fn in_field(mut self, name: &str) -> Self {
        if let DecodeErrorKind::Field { field, .. } = &mut self.0.kind {
            *field = if field.is_empty() {
                name.to_string()
            } else {
                format!("{name}.{field}")
            };
        }
        self
    }

    /// A problem with a field whose name the caller adds with `in_field`.
    #[doc(hidden)]
    pub fn field_problem(offset: usize, problem: FieldProblem) -> Self {
        Self::new(
            offset,
            DecodeErrorKind::Field {
                field: String::new(),
                problem,
            },
        )
    }
}

/// Why a bundle was refused (the checks of the reference's `create_from_bundle`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum BundleProblem {
    /// The group record must have 0, 1 or 2 slots.
    GroupFieldCount(usize),
    /// A type record must have 1 or 2 slots.
    TypeFieldCount(usize),
    /// A record slot that must reference a data block holds something else.
    ExpectedData(&'static str),
    /// A record slot that must hold a value references a data block.
    UnexpectedData(&'static str),
    /// A field record lacks its name, tag or type.
    IncompleteField(&'static str),
    /// A field record carries a slot the format does not define.
    UnknownFieldSlot(u32),
    /// A builtin type number the format does not define.
    UnknownBuiltin(u16),
    /// A type index past the type list.
    TypeIndexOutOfRange(u16),
    /// A field names both a builtin and a struct type.
    BuiltinAndStruct,
    /// Field tags of a type are not strictly ascending.
    TagOrder {
        /// The type's name.
        type_name: String,
        /// The tag that is not above its predecessor.
        tag: u16,
    },
    /// A protocol record lacks its name or tag.
    IncompleteProtocol,
    /// A protocol record carries more slots than the format defines.
    UnknownProtocolSlot(usize),
    /// A name is not valid UTF-8.
    NameNotUtf8,
}

impl fmt::Display for BundleProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BundleProblem::GroupFieldCount(n) => {
                write!(f, "the group record has {n} slots (expected 0, 1 or 2)")
            }
            BundleProblem::TypeFieldCount(n) => {
                write!(f, "a type record has {n} slots (expected 1 or 2)")
            }
            BundleProblem::ExpectedData(what) => write!(f, "{what} must be a data block"),
            BundleProblem::UnexpectedData(what) => {
                write!(f, "{what} must be a value, not a data block")
            }
            BundleProblem::IncompleteField(what) => write!(f, "a field record has no {what}"),
            BundleProblem::UnknownFieldSlot(tag) => {
                write!(f, "a field record has an unknown slot (tag {tag})")
            }
            BundleProblem::UnknownBuiltin(b) => write!(f, "unknown builtin type {b}"),
            BundleProblem::TypeIndexOutOfRange(i) => {
                write!(f, "type index {i} is past the type list")
            }
            BundleProblem::BuiltinAndStruct => {
                write!(f, "a field names both a builtin type and a struct type")
            }
            BundleProblem::TagOrder { type_name, tag } => write!(
                f,
                "fields of type {type_name} are not in ascending tag order (tag {tag})"
            ),
            BundleProblem::IncompleteProtocol => write!(f, "a protocol record has no name or tag"),
            BundleProblem::UnknownProtocolSlot(i) => {
                write!(f, "a protocol record has an unknown slot (position {i})")
            }
            BundleProblem::NameNotUtf8 => write!(f, "a name is not valid UTF-8"),
        }
    }
}

/// Why a field's wire form does not fit its declared type.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum FieldProblem {
    /// An integer (or decimal/double) data block that is neither 4 nor 8 bytes.
    IntegerSize(usize),
    /// A double data block that is neither 4 nor 8 bytes.
    DoubleSize(usize),
    /// A boolean stored in the data part.
    BooleanInData,
    /// A string, binary, struct or array stored inline.
    InlineNotAllowed,
    /// An integer or double array whose size byte is not 4 or 8.
    ArrayElementSize(u8),
    /// An array block whose length is not a multiple of its element size.
    ArrayLength {
        /// Bytes after the size byte.
        len: usize,
        /// The element size.
        size: usize,
    },
    /// A map entry lacks its key field.
    MapMissingKey,
    /// A map entry lacks its value field.
    MapMissingValue,
    /// A map key field whose type cannot key a map (an array, a struct).
    MapKeyType,
    /// A map key that is NaN.
    MapKeyNan,
    /// An integer that does not fit the Rust field's type.
    OutOfRange {
        /// The value on the wire.
        value: i64,
        /// The Rust type.
        target: &'static str,
    },
    /// A `string` whose bytes are not UTF-8, read into a Rust `String`.
    NotUtf8,
}

impl fmt::Display for FieldProblem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            FieldProblem::IntegerSize(n) => {
                write!(f, "integer data is {n} bytes (expected 4 or 8)")
            }
            FieldProblem::DoubleSize(n) => write!(f, "double data is {n} bytes (expected 8)"),
            FieldProblem::BooleanInData => write!(f, "a boolean cannot be a data block"),
            FieldProblem::InlineNotAllowed => {
                write!(f, "an inline value where a data block is required")
            }
            FieldProblem::ArrayElementSize(n) => {
                write!(f, "array element size byte is {n} (expected 4 or 8)")
            }
            FieldProblem::ArrayLength { len, size } => write!(
                f,
                "array data of {len} bytes is not a multiple of the element size {size}"
            ),
            FieldProblem::MapMissingKey => write!(f, "a map entry has no key field"),
            FieldProblem::MapMissingValue => write!(f, "a map entry has no value field"),
            FieldProblem::MapKeyType => write!(f, "the map key field cannot be a map key"),
            FieldProblem::MapKeyNan => write!(f, "a map key is NaN"),
            FieldProblem::OutOfRange { value, target } => {
                write!(f, "{value} does not fit {target}")
            }
            FieldProblem::NotUtf8 => write!(f, "string is not UTF-8"),
        }
    }
}
