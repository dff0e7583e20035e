//! The syntax tree of `.sproto` text, with the source position of every name, tag and
//! type reference so that semantic errors can point at them.

/// A byte offset into one source text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Pos {
    /// Index of the source in the list given to the parser.
    pub source: usize,
    /// Byte offset in that source.
    pub offset: usize,
}

/// A value and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Spanned<T> {
    pub value: T,
    pub pos: Pos,
}

/// A top-level definition.
#[derive(Debug, Clone)]
pub(crate) enum Def {
    Type(TypeDef),
    Protocol(ProtocolDef),
}

/// `.Name { items }`
#[derive(Debug, Clone)]
pub(crate) struct TypeDef {
    pub name: Spanned<String>,
    pub items: Vec<Item>,
}

/// An item inside a struct body, in source order.
#[derive(Debug, Clone)]
pub(crate) enum Item {
    Field(FieldDef),
    Type(TypeDef),
}

/// `name tag : [*]typename[(suffix)...]`
#[derive(Debug, Clone)]
pub(crate) struct FieldDef {
    pub name: Spanned<String>,
    /// The tag's digits as written (they may overflow any integer type).
    pub tag: Spanned<String>,
    pub array: bool,
    pub type_name: Spanned<String>,
    /// Every `( ... )` suffix; only the first one means anything.
    pub suffixes: Vec<Spanned<Suffix>>,
}

/// The content of a `( ... )` suffix after a field's type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Suffix {
    /// `(name)` or `()`: a map key (for arrays of structs).
    Key(String),
    /// `(N)`: a decimal precision (for integers).
    Number(String),
}

/// `name tag { request ... response ... }`
#[derive(Debug, Clone)]
pub(crate) struct ProtocolDef {
    pub name: Spanned<String>,
    pub tag: Spanned<String>,
    pub parts: Vec<SubProtocol>,
}

/// Which message of a protocol a part defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Direction {
    Request,
    Response,
}

impl Direction {
    pub fn keyword(self) -> &'static str {
        match self {
            Direction::Request => "request",
            Direction::Response => "response",
        }
    }
}

/// `request T`, `request { ... }`, `response nil`...
#[derive(Debug, Clone)]
pub(crate) struct SubProtocol {
    pub direction: Spanned<Direction>,
    pub target: SubTarget,
}

/// What a request or response refers to.
#[derive(Debug, Clone)]
pub(crate) enum SubTarget {
    /// A type name (or `nil`).
    Name(Spanned<String>),
    /// An inline struct body.
    Struct(Vec<Item>),
}
