//! Errors in schema text, each located by file, line and column.

use std::fmt;

/// Where something is in the schema sources: file name, 1-based line and column
/// (columns count characters).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Location {
    /// The name the source was given (a file path, or `=text`).
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

/// One problem found in schema text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{location}: {kind}")]
pub struct Diagnostic {
    /// Where the problem is.
    pub location: Location,
    /// What it is.
    pub kind: SchemaErrorKind,
}

/// Everything wrong with a schema text (at least one [`Diagnostic`]), in source order.
///
/// Its `Display` prints one `file:line:column: message` line per problem.
///
/// ```
/// use sproto_rt::{SchemaErrorKind, Sproto};
///
/// let err = Sproto::parse(".A {\n    a 0 : integer\n    b 0 : string\n}\n").unwrap_err();
/// assert_eq!(err.to_string(), "=text:3:7: tag 0 is used twice in type A (first by field a at =text:2:5)");
/// assert!(matches!(err.first().kind, SchemaErrorKind::DuplicateTag { .. }));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    diagnostics: Vec<Diagnostic>,
}

impl SchemaError {
    pub(crate) fn new(mut diagnostics: Vec<Diagnostic>) -> Self {
        debug_assert!(!diagnostics.is_empty());
        diagnostics.dedup();
        SchemaError { diagnostics }
    }

    /// All problems, in source order.
    pub fn diagnostics(&self) -> &[Diagnostic] {
        &self.diagnostics
    }

    /// The first problem.
    pub fn first(&self) -> &Diagnostic {
        // `new` is only called with at least one diagnostic.
        &self.diagnostics[0]
    }
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, d) in self.diagnostics.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{d}")?;
        }
        Ok(())
    }
}

impl std::error::Error for SchemaError {}

/// What is wrong with a schema text.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SchemaErrorKind {
    /// The text does not follow the grammar.
    #[error("syntax error: expected {}, found {found}{}", expected_list(.expected), hint_text(.hint))]
    Syntax {
        /// What would have been accepted at this position.
        expected: Vec<&'static str>,
        /// What is there instead.
        found: String,
        /// Advice for a common mistake, when one applies.
        hint: Option<&'static str>,
    },
    /// Struct bodies nested deeper than the parser allows.
    #[error("types nested more than {limit} levels deep")]
    TooDeep {
        /// The limit ([`MAX_NESTING`](crate::text::MAX_NESTING)).
        limit: usize,
    },
    /// Two fields of a type share a name.
    #[error("field name {name} is used twice in type {type_name} (first at {first})")]
    DuplicateFieldName {
        /// The field name.
        name: String,
        /// The type.
        type_name: String,
        /// The first field with that name.
        first: Location,
    },
    /// Two fields of a type share a tag.
    #[error(
        "tag {tag} is used twice in type {type_name} (first by field {first_field} at {first})"
    )]
    DuplicateTag {
        /// The tag.
        tag: u64,
        /// The type.
        type_name: String,
        /// The field that has the tag first.
        first_field: String,
        /// Where that field is.
        first: Location,
    },
    /// Two types have the same full name.
    #[error("type {name} is defined twice (first at {first})")]
    DuplicateType {
        /// The full type name.
        name: String,
        /// The first definition.
        first: Location,
    },
    /// Two protocols have the same name.
    #[error("protocol {name} is defined twice (first at {first})")]
    DuplicateProtocol {
        /// The protocol name.
        name: String,
        /// The first definition.
        first: Location,
    },
    /// Two protocols share a tag.
    #[error("protocol tag {tag} of {name} is already used by protocol {other} (at {first})")]
    DuplicateProtocolTag {
        /// The tag.
        tag: u64,
        /// The protocol defined second.
        name: String,
        /// The protocol defined first.
        other: String,
        /// Where the first is.
        first: Location,
    },
    /// A protocol has two requests or two responses.
    #[error("protocol {protocol} has a second {part} (first at {first})")]
    DuplicatePart {
        /// The protocol.
        protocol: String,
        /// `request` or `response`.
        part: &'static str,
        /// The first one.
        first: Location,
    },
    /// A field's type is not a builtin and not a defined type visible from here.
    #[error("undefined type {name} in type {in_type} (searched {})", .searched.join(", "))]
    UndefinedType {
        /// The name as written.
        name: String,
        /// The type containing the field.
        in_type: String,
        /// The full names that were tried, innermost scope first.
        searched: Vec<String>,
    },
    /// A protocol's request or response type does not exist (they are looked up by
    /// full name only).
    #[error(
        "undefined {part} type {name} in protocol {protocol} (protocol types need their full name)"
    )]
    UndefinedProtocolType {
        /// `request` or `response`.
        part: &'static str,
        /// The name as written.
        name: String,
        /// The protocol.
        protocol: String,
    },
    /// `*T(key)`: `key` is not a builtin-typed field of `T`.
    #[error("invalid map key {key} for field {field}: type {type_name} has no field {key} of a builtin type")]
    MapKeyNotFound {
        /// The key name.
        key: String,
        /// The field being declared.
        field: String,
        /// The element type.
        type_name: String,
    },
    /// `*T()`: `T` must have exactly two fields.
    #[error("invalid map {field}: *{type_name}() needs a type with exactly two fields, {type_name} has {count}")]
    MapPairFields {
        /// The field being declared.
        field: String,
        /// The element type.
        type_name: String,
        /// How many fields it has.
        count: usize,
    },
    /// `*T()`: the key (the field with the smallest tag) is a struct.
    #[error("invalid map {field}: the key of *{type_name}() is its field with the smallest tag, {key}, which is not of a builtin type")]
    MapPairKeyStruct {
        /// The field being declared.
        field: String,
        /// The element type.
        type_name: String,
        /// The key field.
        key: String,
    },
    /// A map key suffix on an array of builtins.
    #[error("field {field}: *{type_name}({suffix}) is not allowed; a map needs a struct element type{}", if .type_name == "integer" { " (write *integer(N) for an array of decimals)" } else { "" })]
    MapOfBuiltin {
        /// The field being declared.
        field: String,
        /// The builtin element type.
        type_name: String,
        /// The suffix as written.
        suffix: String,
    },
    /// `(N)` on something other than an integer.
    #[error("field {field}: a precision ({precision}) only applies to integer, not {type_name}")]
    PrecisionNotInteger {
        /// The field being declared.
        field: String,
        /// The type written.
        type_name: String,
        /// The precision as written.
        precision: String,
    },
    /// A number that must fit an inline slot (0..=[`MAX_INLINE`](crate::wire::MAX_INLINE)) does not.
    #[error("{what} {value} is too large (at most {max})", max = crate::wire::MAX_INLINE)]
    NumberTooLarge {
        /// `tag`, `protocol tag` or `precision`.
        what: &'static str,
        /// The digits as written.
        value: String,
    },
    /// Protocols were defined but no type: the bundle format cannot express that.
    #[error("the schema defines protocols but no type; define at least one type")]
    ProtocolsWithoutTypes,
    /// More types than type ids (`MAX_INLINE + 1`).
    #[error(
        "the schema has {0} types; at most {max} are possible",
        max = usize::from(crate::wire::MAX_INLINE) + 1
    )]
    TooManyTypes(usize),
}

fn expected_list(items: &[&'static str]) -> String {
    match items {
        [] => "something else".to_string(),
        [one] => (*one).to_string(),
        [init @ .., last] => format!("{} or {}", init.join(", "), last),
    }
}

fn hint_text(hint: &Option<&'static str>) -> String {
    hint.map(|h| format!(" ({h})")).unwrap_or_default()
}
