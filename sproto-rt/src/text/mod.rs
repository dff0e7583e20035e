//! `.sproto` schema text → loaded schema, with precise, located errors.
//!
//! The language, as the reference parser accepts it:
//!
//! ```text
//! # a comment
//! .Person {                      # a type
//!     name 0 : string            # field: name, tag, type
//!     id 1 : integer
//!     email 2 : string
//!     .PhoneNumber {             # a nested type: Person.PhoneNumber
//!         number 0 : string
//!         type 1 : integer
//!     }
//!     phone 3 : *PhoneNumber     # an array
//!     balance 4 : integer(2)     # fixed-point, 2 decimal digits
//! }
//! .AddressBook {
//!     person 0 : *Person(id)     # a map keyed by the field id
//! }
//! get 1 {                        # a protocol: name and tag
//!     request { id 0 : integer } # inline type get.request
//!     response Person
//! }
//! ping 2 { response nil }        # a response without a message
//! ```
//!
//! Builtins are `integer`, `integer(N)`, `double`, `boolean`, `string` and `binary`;
//! `*T(key)` maps by a field of `T`, `*T()` maps `T`'s first field to its second.

mod ast;
mod docs;
mod error;
mod render;
mod resolve;
mod syntax;

pub use docs::SchemaDocs;
pub use error::{Diagnostic, Location, SchemaError, SchemaErrorKind};
pub use syntax::MAX_NESTING;

use crate::schema::Sproto;
use ast::Pos;

/// The name schema text gets when it has none, as in the reference (`=text`).
pub const DEFAULT_SOURCE_NAME: &str = "=text";

impl Sproto {
    /// Parses one schema text (named `=text` in errors).
    ///
    /// ```
    /// use sproto_rt::Sproto;
    ///
    /// let sp = Sproto::parse(".A { .B { x 0 : integer } b 0 : B }").unwrap();
    /// assert_eq!(sp.types()[1].name, "A.B");
    /// let err = Sproto::parse(".A {\n    b 0 : C\n}").unwrap_err();
    /// assert_eq!(err.to_string(), "=text:2:11: undefined type C in type A (searched A.C, C)");
    /// ```
    pub fn parse(text: &str) -> Result<Sproto, SchemaError> {
        Self::parse_sources([(DEFAULT_SOURCE_NAME, text)])
    }

    /// Parses one schema text; errors name it `name`.
    pub fn parse_named(name: &str, text: &str) -> Result<Sproto, SchemaError> {
        Self::parse_sources([(name, text)])
    }

    /// Parses several texts (e.g. files) into one schema, as if they were concatenated:
    /// types and protocols of every text see each other. Each `(name, text)` pair's
    /// name is used in its error locations.
    ///
    /// ```
    /// use sproto_rt::Sproto;
    ///
    /// let sp = Sproto::parse_sources([
    ///     ("types.sproto", ".Point { x 0 : integer  y 1 : integer }"),
    ///     ("rpc.sproto", "move 1 { request Point }"),
    /// ])
    /// .unwrap();
    /// assert_eq!(sp.protocol_by_name("move").unwrap().request, sp.type_id("Point"));
    /// let err = Sproto::parse_sources([("a.sproto", ".A {}"), ("b.sproto", "\n.A {}")]).unwrap_err();
    /// assert_eq!(err.to_string(), "b.sproto:2:2: type A is defined twice (first at a.sproto:1:2)");
    /// ```
    pub fn parse_sources<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<Sproto, SchemaError> {
        let sources: Vec<(&str, &str)> = sources.into_iter().collect();
        parse(&sources, false).map(|(sp, _)| sp)
    }

    /// Parses like [`parse_sources`](Sproto::parse_sources) and also keeps the `#`
    /// comments that document types, fields and protocols (see [`SchemaDocs`]), for
    /// code generators.
    pub fn parse_sources_with_docs<'a>(
        sources: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Sproto, SchemaDocs), SchemaError> {
        let sources: Vec<(&str, &str)> = sources.into_iter().collect();
        parse(&sources, true)
    }
}

/// Parses `sources` into one schema, collecting doc comments when `with_docs`.
fn parse(sources: &[(&str, &str)], with_docs: bool) -> Result<(Sproto, SchemaDocs), SchemaError> {
    let locate = |pos: Pos| locate(sources, pos);
    let mut defs = Vec::new();
    for (i, (_, text)) in sources.iter().enumerate() {
        match syntax::parse_source(text, i) {
            Ok(d) => defs.extend(d),
            Err(failure) => {
                let pos = Pos {
                    source: i,
                    offset: failure.offset,
                };
                let kind = match failure.too_deep {
                    Some(_) => SchemaErrorKind::TooDeep {
                        limit: syntax::MAX_NESTING,
                    },
                    None => SchemaErrorKind::Syntax {
                    expected: failure.expected,
                    found: describe_found(text, failure.offset),
                    hint: failure.after_adjacent.then_some(
                        "definitions or fields written without a blank between them, like `.A{}.B{}`, must be the last of their list",
                    ),
                    },
                };
                return Err(SchemaError::new(vec![Diagnostic {
                    location: locate(pos),
                    kind,
                }]));
            }
        }
    }
    let docs = if with_docs {
        docs::collect(sources, &defs)
    } else {
        SchemaDocs::default()
    };
    let sp = resolve::resolve(defs, &locate).map_err(|mut problems| {
        problems.sort_by_key(|(pos, _)| (pos.source, pos.offset));
        SchemaError::new(
            problems
                .into_iter()
                .map(|(pos, kind)| Diagnostic {
                    location: locate(pos),
                    kind,
                })
                .collect(),
        )
    })?;
    Ok((sp, docs))
}

fn locate(sources: &[(&str, &str)], pos: Pos) -> Location {
    let (name, text) = sources.get(pos.source).copied().unwrap_or(("?", ""));
    let offset = pos.offset.min(text.len());
    let before = text.as_bytes().get(..offset).unwrap_or_default();
    let line = 1 + before.iter().filter(|&&c| c == b'\n').count();
    let line_start = before
        .iter()
        .rposition(|&c| c == b'\n')
        .map_or(0, |i| i + 1);
    let column = 1 + String::from_utf8_lossy(&before[line_start..])
        .chars()
        .count();
    Location {
        file: name.to_string(),
        line,
        column,
    }
}

/// A short description of the text at `offset`, for syntax errors.
fn describe_found(text: &str, offset: usize) -> String {
    let rest = text.get(offset..).unwrap_or_default();
    let word: String = rest
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
        .take(40)
        .collect();
    if !word.is_empty() {
        return format!("`{word}`");
    }
    match rest.chars().next() {
        None => "end of input".to_string(),
        Some('\n') => "end of line".to_string(),
        Some('\r') => "a carriage return".to_string(),
        Some('\t') => "a tab".to_string(),
        Some(' ') => "a space".to_string(),
        Some(c) => format!("'{c}'"),
    }
}
