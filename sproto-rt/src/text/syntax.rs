//! The grammar of `.sproto` text, as a backtracking recursive-descent parser that
//! accepts exactly what the reference's LPeg grammar (`sprotoparser.lua`) accepts.
//!
//! The reference grammar, for comparison (PEG: ordered choice, greedy repetition):
//!
//! ```text
//! file     = blank0 list(TYPE / PROTOCOL) blank0 !.
//! list(P)  = blank0 (P blanks)* P* blank0       -- adjacent items only at the end
//! TYPE     = "." word blank0 STRUCT
//! STRUCT   = "{" list(FIELD / TYPE) "}"
//! FIELD    = word blanks digits blank0 ":" blank0 "*"? typename suffix*
//! suffix   = "(" blank0 word? blank0 ")" / "(" blank0 digits blank0 ")"
//! PROTOCOL = word blanks digits blank0 "{" list(SUB) "}"
//! SUB      = ("request" / "response") blanks (typename / STRUCT)
//! typename = word ("." word)*      word = [A-Za-z_][A-Za-z0-9_]*
//! blank    = " " / "\t" / "\n" / "\r\n" / "#" (!newline .)* (newline / !.)
//! ```
//!
//! On failure the parser reports the furthest position any alternative reached and
//! everything that would have been accepted there, which pinpoints the mistake far
//! better than the reference's line count.

use super::ast::{
    Def, Direction, FieldDef, Item, Pos, ProtocolDef, Spanned, SubProtocol, SubTarget, Suffix,
    TypeDef,
};

/// How deeply struct bodies may nest (`.A { .B { ... } }`): bounds the parser's
/// recursion, so hostile text gets an error instead of overflowing the stack.
pub const MAX_NESTING: usize = 100;

/// A syntax error: the furthest offset reached and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxFailure {
    pub offset: usize,
    pub expected: Vec<&'static str>,
    /// Where a struct body opened past [`MAX_NESTING`] levels, if one did.
    pub too_deep: Option<usize>,
    /// Where a list ended with items written without blanks between them, when the
    /// failure follows it: the likely cause.
    pub after_adjacent: bool,
}

pub(crate) struct Parser<'a> {
    src: &'a [u8],
    source: usize,
    pos: usize,
    furthest: usize,
    expected: Vec<&'static str>,
    /// End offsets of lists whose last items touched each other.
    adjacent_ends: Vec<usize>,
    /// Struct bodies open around the current position.
    depth: usize,
    too_deep: Option<usize>,
}

/// Parses one source text into its definitions.
pub(crate) fn parse_source(text: &str, source: usize) -> Result<Vec<Def>, SyntaxFailure> {
    let mut p = Parser {
        src: text.as_bytes(),
        source,
        pos: 0,
        furthest: 0,
        expected: Vec::new(),
        adjacent_ends: Vec::new(),
        depth: 0,
        too_deep: None,
    };
    p.blank0();
    let defs = p.list(Parser::definition);
    p.blank0();
    if p.pos == p.src.len() && p.too_deep.is_none() {
        return Ok(defs);
    }
    if let Some(offset) = p.too_deep {
        return Err(SyntaxFailure {
            offset,
            expected: Vec::new(),
            too_deep: Some(offset),
            after_adjacent: false,
        });
    }
    p.fail("end of input");
    let gap_is_blank = |end: usize| {
        end <= p.furthest
            && p.src[end..p.furthest]
                .iter()
                .all(|c| matches!(c, b' ' | b'\t' | b'\r' | b'\n'))
    };
    let after_adjacent = p.adjacent_ends.iter().any(|&end| gap_is_blank(end));
    Err(SyntaxFailure {
        offset: p.furthest,
        expected: p.expected,
        too_deep: None,
        after_adjacent,
    })
}

impl<'a> Parser<'a> {
    fn here(&self) -> Pos {
        Pos {
            source: self.source,
            offset: self.pos,
        }
    }

    /// Records that `what` was expected at the current position.
    fn fail(&mut self, what: &'static str) {
        if self.pos > self.furthest {
            self.furthest = self.pos;
            self.expected.clear();
        }
        if self.pos == self.furthest && !self.expected.contains(&what) {
            self.expected.push(what);
        }
    }

    fn peek(&self) -> Option<u8> {
        self.src.get(self.pos).copied()
    }

    fn literal(&mut self, lit: &'static str, what: &'static str) -> bool {
        if self.src[self.pos..].starts_with(lit.as_bytes()) {
            self.pos += lit.len();
            true
        } else {
            self.fail(what);
            false
        }
    }

    fn newline_at(&self, at: usize) -> usize {
        match self.src.get(at) {
            Some(b'\n') => 1,
            Some(b'\r') if self.src.get(at + 1) == Some(&b'\n') => 2,
            _ => 0,
        }
    }

    /// One blank: space, tab, newline or a `#` comment.
    fn blank(&mut self) -> bool {
        match self.peek() {
            Some(b' ') | Some(b'\t') => {
                self.pos += 1;
                true
            }
            Some(b'#') => {
                self.pos += 1;
                while self.pos < self.src.len() {
                    let nl = self.newline_at(self.pos);
                    if nl > 0 {
                        self.pos += nl;
                        break;
                    }
                    self.pos += 1;
                }
                true
            }
            _ => {
                let nl = self.newline_at(self.pos);
                self.pos += nl;
                nl > 0
            }
        }
    }

    fn blank0(&mut self) {
        while self.blank() {}
    }

    fn blanks(&mut self) -> bool {
        if self.blank() {
            self.blank0();
            true
        } else {
            self.fail("a blank (space, tab, newline or comment)");
            false
        }
    }

    fn word(&mut self, what: &'static str) -> Option<Spanned<String>> {
        let start = self.pos;
        match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => self.pos += 1,
            _ => {
                self.fail(what);
                return None;
            }
        }
        while matches!(self.peek(), Some(c) if c.is_ascii_alphanumeric() || c == b'_') {
            self.pos += 1;
        }
        Some(self.spanned_from(start))
    }

    fn spanned_from(&self, start: usize) -> Spanned<String> {
        Spanned {
            // The slice holds ASCII only (letters, digits, '_', '.').
            value: String::from_utf8_lossy(&self.src[start..self.pos]).into_owned(),
            pos: Pos {
                source: self.source,
                offset: start,
            },
        }
    }

    fn digits(&mut self, what: &'static str) -> Option<Spanned<String>> {
        let start = self.pos;
        while matches!(self.peek(), Some(c) if c.is_ascii_digit()) {
            self.pos += 1;
        }
        if self.pos == start {
            self.fail(what);
            return None;
        }
        Some(self.spanned_from(start))
    }

    fn type_name(&mut self, what: &'static str) -> Option<Spanned<String>> {
        let start = self.pos;
        self.word(what)?;
        loop {
            let save = self.pos;
            if self.peek() == Some(b'.') {
                self.pos += 1;
                if self.word("a type name after '.'").is_some() {
                    continue;
                }
            }
            self.pos = save;
            break;
        }
        Some(self.spanned_from(start))
    }

    /// `blank0 (P blanks)* P* blank0`: items separated by blanks, where items may
    /// touch each other only at the very end of the list (as in the reference).
    ///
    /// Each item is parsed once: when `P blanks` fails, `P*` would start where the
    /// failed `P` started and, the grammar being deterministic, reach the same result,
    /// so that result is reused (re-parsing made nesting cost 2^depth).
    fn list<T>(&mut self, item: fn(&mut Self) -> Option<T>) -> Vec<T> {
        let mut out = Vec::new();
        self.blank0();
        let mut touching = None;
        loop {
            let save = self.pos;
            match item(self) {
                Some(v) => {
                    let end = self.pos;
                    if self.blanks() {
                        out.push(v);
                    } else {
                        self.pos = end;
                        touching = Some(v);
                        break;
                    }
                }
                None => {
                    // `P*` would fail at the same place: the list ends here.
                    self.pos = save;
                    break;
                }
            }
        }
        if let Some(first) = touching {
            out.push(first);
            let mut adjacent = 1;
            loop {
                let save = self.pos;
                match item(self) {
                    Some(v) => {
                        out.push(v);
                        adjacent += 1;
                    }
                    None => {
                        self.pos = save;
                        break;
                    }
                }
            }
            if adjacent > 1 {
                self.adjacent_ends.push(self.pos);
            }
        }
        self.blank0();
        out
    }

    fn definition(&mut self) -> Option<Def> {
        let save = self.pos;
        if let Some(t) = self.type_def() {
            return Some(Def::Type(t));
        }
        self.pos = save;
        if let Some(p) = self.protocol_def() {
            return Some(Def::Protocol(p));
        }
        self.pos = save;
        None
    }

    fn type_def(&mut self) -> Option<TypeDef> {
        if !self.literal(".", "a type definition ('.Name {')") {
            return None;
        }
        let name = self.word("a type name")?;
        self.blank0();
        let items = self.struct_body()?;
        Some(TypeDef { name, items })
    }

    fn struct_body(&mut self) -> Option<Vec<Item>> {
        if self.too_deep.is_some() {
            return None;
        }
        let open = self.pos;
        if !self.literal("{", "'{'") {
            return None;
        }
        if self.depth == MAX_NESTING {
            self.too_deep = Some(open);
            return None;
        }
        self.depth += 1;
        let items = self.list(Parser::item);
        self.depth -= 1;
        if !self.literal("}", "'}'") {
            return None;
        }
        Some(items)
    }

    fn item(&mut self) -> Option<Item> {
        let save = self.pos;
        if let Some(f) = self.field() {
            return Some(Item::Field(f));
        }
        self.pos = save;
        if let Some(t) = self.type_def() {
            return Some(Item::Type(t));
        }
        self.pos = save;
        None
    }

    fn field(&mut self) -> Option<FieldDef> {
        let name = self.word("a field name")?;
        if !self.blanks() {
            return None;
        }
        let tag = self.digits("a field tag (a non-negative number)")?;
        self.blank0();
        if !self.literal(":", "':'") {
            return None;
        }
        self.blank0();
        let array = self.peek() == Some(b'*');
        if array {
            self.pos += 1;
        }
        let type_name = self.type_name(if array {
            "a type name right after '*'"
        } else {
            "a type name or '*'"
        })?;
        let mut suffixes = Vec::new();
        while let Some(s) = self.suffix() {
            suffixes.push(s);
        }
        Some(FieldDef {
            name,
            tag,
            array,
            type_name,
            suffixes,
        })
    }

    /// `(key)`, `()` or `(N)` right after a field's type.
    fn suffix(&mut self) -> Option<Spanned<Suffix>> {
        let save = self.pos;
        let pos = self.here();
        if self.peek() != Some(b'(') {
            return None;
        }
        self.pos += 1;
        self.blank0();
        let inner = self.pos;
        let key = match self.peek() {
            Some(c) if c.is_ascii_alphabetic() || c == b'_' => {
                self.word("a map key field name").map(|w| w.value)
            }
            _ => Some(String::new()),
        };
        if let Some(key) = key {
            self.blank0();
            if self.literal(")", "')'") {
                return Some(Spanned {
                    value: Suffix::Key(key),
                    pos,
                });
            }
        }
        self.pos = inner;
        if let Some(n) = self.digits("a map key field name or a decimal precision") {
            self.blank0();
            if self.literal(")", "')'") {
                return Some(Spanned {
                    value: Suffix::Number(n.value),
                    pos,
                });
            }
        }
        self.pos = save;
        None
    }

    fn protocol_def(&mut self) -> Option<ProtocolDef> {
        let name = self.word("a protocol name")?;
        if !self.blanks() {
            return None;
        }
        let tag = self.digits("a protocol tag (a non-negative number)")?;
        self.blank0();
        if !self.literal("{", "'{'") {
            return None;
        }
        let parts = self.list(Parser::sub_protocol);
        if !self.literal("}", "'}'") {
            return None;
        }
        Some(ProtocolDef { name, tag, parts })
    }

    fn sub_protocol(&mut self) -> Option<SubProtocol> {
        let pos = self.here();
        let direction = if self.src[self.pos..].starts_with(b"request") {
            self.pos += "request".len();
            Direction::Request
        } else if self.src[self.pos..].starts_with(b"response") {
            self.pos += "response".len();
            Direction::Response
        } else {
            self.fail("'request' or 'response'");
            return None;
        };
        if !self.blanks() {
            return None;
        }
        let save = self.pos;
        let target = if let Some(name) = self.type_name("a type name, 'nil' or '{'") {
            SubTarget::Name(name)
        } else {
            self.pos = save;
            SubTarget::Struct(self.struct_body()?)
        };
        Some(SubProtocol {
            direction: Spanned {
                value: direction,
                pos,
            },
            target,
        })
    }
}
