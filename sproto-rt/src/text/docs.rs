//! Comments kept as documentation: the `#` comments written directly above a type,
//! field or protocol (or after it on its line), which the reference parser throws
//! away, for code generators that turn them into doc comments.

use std::collections::HashMap;

use super::ast::{Def, Item, ProtocolDef, SubTarget, TypeDef};

/// The documentation comments of a schema, by the full name of what they document.
///
/// A comment documents a definition when it is written on the lines directly above it
/// (no blank line between, nothing else on those lines), or after it on the line
/// where its name is, with no other definition starting in between. Both kinds are
/// joined, leading lines first. The `#` and the indentation the lines share are
/// removed.
///
/// ```
/// use sproto_rt::Sproto;
///
/// let (sp, docs) = Sproto::parse_sources_with_docs([("game.sproto", "
/// ## A player.
/// ## Shown in the lobby.
/// .Player {
///     name 0 : string   # as typed at sign-up
///     .Stats { level 0 : integer }
/// }
/// ## Logs in.
/// login 1 {
///     request { user 0 : string }
/// }
/// ")])
/// .unwrap();
/// assert_eq!(sp.types().len(), 3);
/// assert_eq!(docs.type_doc("Player"), Some("A player.\nShown in the lobby."));
/// assert_eq!(docs.field_doc("Player", "name"), Some("as typed at sign-up"));
/// assert_eq!(docs.type_doc("Player.Stats"), None);
/// assert_eq!(docs.protocol_doc("login"), Some("Logs in."));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SchemaDocs {
    types: HashMap<String, String>,
    fields: HashMap<(String, String), String>,
    protocols: HashMap<String, String>,
}

impl SchemaDocs {
    /// The comment of the type with this full name (`Outer.Inner`, `proto.request`).
    pub fn type_doc(&self, type_name: &str) -> Option<&str> {
        self.types.get(type_name).map(String::as_str)
    }

    /// The comment of field `field` of the type with this full name.
    pub fn field_doc(&self, type_name: &str, field: &str) -> Option<&str> {
        self.fields
            .get(&(type_name.to_string(), field.to_string()))
            .map(String::as_str)
    }

    /// The comment of the protocol with this name.
    pub fn protocol_doc(&self, protocol: &str) -> Option<&str> {
        self.protocols.get(protocol).map(String::as_str)
    }

    /// Whether no comment documents anything.
    pub fn is_empty(&self) -> bool {
        self.types.is_empty() && self.fields.is_empty() && self.protocols.is_empty()
    }
}

/// Collects the comments of every definition in `defs` (parsed from `sources`).
pub(crate) fn collect(sources: &[(&str, &str)], defs: &[Def]) -> SchemaDocs {
    // Where every definition starts, per source: a trailing comment belongs to the
    // last definition starting before it on its line.
    let mut starts: Vec<Vec<usize>> = vec![Vec::new(); sources.len()];
    for def in defs {
        match def {
            Def::Type(t) => type_starts(t, &mut starts),
            Def::Protocol(p) => protocol_starts(p, &mut starts),
        }
    }
    for s in &mut starts {
        s.sort_unstable();
    }
    let mut c = Collector {
        sources,
        starts,
        docs: SchemaDocs::default(),
    };
    for def in defs {
        match def {
            Def::Type(t) => c.type_def(t, &t.name.value),
            Def::Protocol(p) => c.protocol(p),
        }
    }
    c.docs
}

fn type_starts(t: &TypeDef, starts: &mut [Vec<usize>]) {
    if let Some(s) = starts.get_mut(t.name.pos.source) {
        s.push(t.name.pos.offset.saturating_sub(1));
    }
    items_starts(&t.items, starts);
}

fn items_starts(items: &[Item], starts: &mut [Vec<usize>]) {
    for item in items {
        match item {
            Item::Field(f) => {
                if let Some(s) = starts.get_mut(f.name.pos.source) {
                    s.push(f.name.pos.offset);
                }
            }
            Item::Type(t) => type_starts(t, starts),
        }
    }
}

fn protocol_starts(p: &ProtocolDef, starts: &mut [Vec<usize>]) {
    if let Some(s) = starts.get_mut(p.name.pos.source) {
        s.push(p.name.pos.offset);
    }
    for part in &p.parts {
        if let Some(s) = starts.get_mut(part.direction.pos.source) {
            s.push(part.direction.pos.offset);
        }
        if let SubTarget::Struct(items) = &part.target {
            items_starts(items, starts);
        }
    }
}

struct Collector<'a> {
    sources: &'a [(&'a str, &'a str)],
    starts: Vec<Vec<usize>>,
    docs: SchemaDocs,
}

impl Collector<'_> {
    fn type_def(&mut self, t: &TypeDef, full_name: &str) {
        let pos = t.name.pos;
        if let Some(doc) = self.doc_at(pos.source, pos.offset.saturating_sub(1)) {
            self.docs.types.insert(full_name.to_string(), doc);
        }
        self.items(&t.items, full_name);
    }

    fn items(&mut self, items: &[Item], full_name: &str) {
        for item in items {
            match item {
                Item::Field(f) => {
                    if let Some(doc) = self.doc_at(f.name.pos.source, f.name.pos.offset) {
                        self.docs
                            .fields
                            .insert((full_name.to_string(), f.name.value.clone()), doc);
                    }
                }
                Item::Type(t) => self.type_def(t, &format!("{full_name}.{}", t.name.value)),
            }
        }
    }

    fn protocol(&mut self, p: &ProtocolDef) {
        if let Some(doc) = self.doc_at(p.name.pos.source, p.name.pos.offset) {
            self.docs.protocols.insert(p.name.value.clone(), doc);
        }
        for part in &p.parts {
            let SubTarget::Struct(items) = &part.target else {
                continue;
            };
            let full_name = format!("{}.{}", p.name.value, part.direction.value.keyword());
            // An inline type replaces any earlier type of its name, comments included.
            self.docs.types.remove(&full_name);
            let pos = part.direction.pos;
            if let Some(doc) = self.doc_at(pos.source, pos.offset) {
                self.docs.types.insert(full_name.clone(), doc);
            }
            self.items(items, &full_name);
        }
    }

    /// The comment of the definition starting at `offset`, if it has one.
    fn doc_at(&self, source: usize, offset: usize) -> Option<String> {
        let text = self.sources.get(source)?.1;
        let offset = offset.min(text.len());
        let line_start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
        let mut lines = Vec::new();
        // Leading: whole-line comments right above, when the definition starts its line.
        if text[line_start..offset].trim().is_empty() {
            let mut end = line_start;
            while end > 0 {
                let above_start = text[..end - 1].rfind('\n').map_or(0, |i| i + 1);
                let line = text[above_start..end - 1].trim();
                let Some(comment) = line.strip_prefix('#') else {
                    break;
                };
                lines.push(comment.trim_end().to_string());
                end = above_start;
            }
            lines.reverse();
        }
        // Trailing: a comment later on the definition's line, with no definition
        // starting between them.
        let line_end = text[offset..].find('\n').map_or(text.len(), |i| offset + i);
        if let Some(hash) = text[offset..line_end].find('#').map(|i| offset + i) {
            let starts = self.starts.get(source).map(Vec::as_slice).unwrap_or(&[]);
            let between = starts.iter().any(|&s| s > offset && s < hash);
            if !between {
                lines.push(text[hash + 1..line_end].trim_end().to_string());
            }
        }
        dedent(lines)
    }
}

/// Removes the indentation the non-empty lines share and the empty lines at both ends;
/// `None` when nothing is left.
fn dedent(lines: Vec<String>) -> Option<String> {
    let indent = lines
        .iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| l.len() - l.trim_start().len())
        .min()?;
    let lines: Vec<&str> = lines
        .iter()
        .map(|l| l.get(indent..).unwrap_or("").trim_end())
        .collect();
    let first = lines.iter().position(|l| !l.is_empty())?;
    let last = lines.iter().rposition(|l| !l.is_empty())?;
    Some(lines[first..=last].join("\n"))
}

#[cfg(test)]
mod tests {
    use crate::Sproto;

    fn docs(text: &str) -> super::SchemaDocs {
        Sproto::parse_sources_with_docs([("t.sproto", text)])
            .expect("parses")
            .1
    }

    #[test]
    fn leading_lines_need_to_touch_the_definition() {
        let d = docs("# file header\n\n# the type\n#   indented\n.A {\n    # f\n    f 0 : integer\n\n    # not g's\n\n    g 1 : integer\n}\n");
        assert_eq!(d.type_doc("A"), Some("the type\n  indented"));
        assert_eq!(d.field_doc("A", "f"), Some("f"));
        assert_eq!(d.field_doc("A", "g"), None);
    }

    #[test]
    fn trailing_comments_belong_to_the_last_definition_before_them() {
        let d = docs(".A { a 0 : integer b 1 : integer # b's\n}\n.B {\t# B's\r\n  x 0 : integer#x's\r\n}\n.C { y 0 : integer } # y's\n");
        assert_eq!(d.field_doc("A", "a"), None);
        assert_eq!(d.field_doc("A", "b"), Some("b's"));
        assert_eq!(d.type_doc("B"), Some("B's"));
        assert_eq!(d.field_doc("B", "x"), Some("x's"));
        assert_eq!(d.type_doc("C"), None);
        assert_eq!(d.field_doc("C", "y"), Some("y's"));
    }

    #[test]
    fn nested_inline_and_protocol_comments() {
        let d = docs(".A {\n  # inner\n  .B { x 0 : integer }\n}\n# p\np 1 {\n  # the request\n  request {\n    # q\n    q 0 : A.B\n  }\n  response A # not a type doc\n}\n");
        assert_eq!(d.type_doc("A.B"), Some("inner"));
        assert_eq!(d.protocol_doc("p"), Some("p"));
        assert_eq!(d.type_doc("p.request"), Some("the request"));
        assert_eq!(d.field_doc("p.request", "q"), Some("q"));
        assert_eq!(d.type_doc("A"), None);
    }

    #[test]
    fn leading_and_trailing_join_and_empty_comments_vanish() {
        let d = docs("#\n# above\n#\n.A { # after\n}\n#\n.B {}\n");
        assert_eq!(d.type_doc("A"), Some("above\n\nafter"));
        assert_eq!(d.type_doc("B"), None);
    }

    #[test]
    fn every_vector_schema_parses_the_same_with_docs() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/sproto/schemas");
        let mut n = 0;
        for entry in std::fs::read_dir(dir).expect("schemas") {
            let path = entry.expect("entry").path();
            let text = std::fs::read_to_string(&path).expect("text");
            let name = path.display().to_string();
            let (sp, _) =
                Sproto::parse_sources_with_docs([(name.as_str(), text.as_str())]).expect("parses");
            assert_eq!(sp, Sproto::parse_named(&name, &text).expect("parses"));
            n += 1;
        }
        assert!(n > 20);
        let text = std::fs::read_to_string(format!("{dir}/comments_ws.sproto")).expect("text");
        let d = docs(&text);
        assert_eq!(d.field_doc("C", "x"), Some("a comment right after a field"));
        assert_eq!(
            d.field_doc("C", "y"),
            Some("and one without a blank before it")
        );
        assert_eq!(
            d.type_doc("D"),
            Some("a comment between the name and the brace")
        );
    }
}
