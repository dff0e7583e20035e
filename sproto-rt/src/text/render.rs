//! Schema → `.sproto` text that parses back to the same schema (and so to the same
//! bundle): nested types inside their parents, protocol types inline where they were
//! written inline, type references by the shortest name that resolves correctly.

use std::collections::BTreeSet;
use std::fmt::Write;

use crate::schema::{FieldType, Shape, Sproto, Type};

impl Sproto {
    /// The schema as `.sproto` text.
    ///
    /// ```
    /// use sproto_rt::Sproto;
    ///
    /// let text = ".A {\n    .B {\n        x 0 : integer(2)\n    }\n    bs 0 : *B\n}\nget 1 {\n    request {\n        id 0 : integer\n    }\n    response nil\n}\n";
    /// let sp = Sproto::parse(text).unwrap();
    /// assert_eq!(sp.to_text(), text);
    /// ```
    pub fn to_text(&self) -> String {
        let names: BTreeSet<&str> = self.types().iter().map(|t| t.name.as_str()).collect();
        // Types written inline in a protocol (`p.request`, `p.response` and whatever
        // nests inside them) are rendered there, not at their parent type.
        let inline = |name: &str| {
            self.protocols().iter().any(|p| {
                [(p.request, "request"), (p.response, "response")]
                    .iter()
                    .any(|(id, part)| {
                        let own = format!("{}.{part}", p.name);
                        id.and_then(|i| self.type_by_id(i))
                            .is_some_and(|t| t.name == own)
                            && (name == own || name.starts_with(&format!("{own}.")))
                    })
            })
        };
        let mut out = String::new();
        // Top level: names without a dot, plus dotted names whose parent does not
        // exist (rendered under an empty parent of that name).
        let mut roots: BTreeSet<String> = BTreeSet::new();
        for t in self.types() {
            if inline(&t.name) {
                continue;
            }
            roots.insert(t.name.split('.').next().unwrap_or_default().to_string());
        }
        for root in &roots {
            self.render_type(&mut out, root, 0, &names, &inline);
        }
        for p in self.protocols() {
            let _ = writeln!(out, "{} {} {{", p.name, p.tag);
            for (id, part) in [(p.request, "request"), (p.response, "response")] {
                let Some(t) = id.and_then(|i| self.type_by_id(i)) else {
                    if part == "response" && p.confirm {
                        out.push_str("    response nil\n");
                    }
                    continue;
                };
                if t.name == format!("{}.{part}", p.name) {
                    let _ = writeln!(out, "    {part} {{");
                    self.render_body(&mut out, &t.name, 2, &names, &|_| false);
                    out.push_str("    }\n");
                } else {
                    let _ = writeln!(out, "    {part} {}", t.name);
                }
            }
            out.push_str("}\n");
        }
        out
    }

    fn render_type(
        &self,
        out: &mut String,
        full: &str,
        depth: usize,
        names: &BTreeSet<&str>,
        inline: &dyn Fn(&str) -> bool,
    ) {
        let indent = "    ".repeat(depth);
        let short = full.rsplit('.').next().unwrap_or(full);
        let _ = writeln!(out, "{indent}.{short} {{");
        self.render_body(out, full, depth + 1, names, inline);
        let _ = writeln!(out, "{indent}}}");
    }

    /// Nested types first, then the fields in tag order.
    fn render_body(
        &self,
        out: &mut String,
        full: &str,
        depth: usize,
        names: &BTreeSet<&str>,
        inline: &dyn Fn(&str) -> bool,
    ) {
        let prefix = format!("{full}.");
        let children: BTreeSet<String> = names
            .iter()
            .filter_map(|n| n.strip_prefix(&prefix))
            .map(|rest| rest.split('.').next().unwrap_or(rest).to_string())
            .collect();
        for child in children {
            let child_full = format!("{prefix}{child}");
            if !inline(&child_full) {
                self.render_type(out, &child_full, depth, names, inline);
            }
        }
        let Some(t) = self.type_by_name(full) else {
            return;
        };
        let indent = "    ".repeat(depth);
        for f in &t.fields {
            let array = if f.shape.is_array() { "*" } else { "" };
            let ty = match f.ty {
                FieldType::Struct(id) => self.type_by_id(id).map_or_else(
                    || format!("<type {id}>"),
                    |target| self.relative_name(full, target),
                ),
                FieldType::Decimal(n) => format!("integer({n})"),
                other => other.builtin_name().unwrap_or("integer").to_string(),
            };
            let key = match (f.shape, f.ty) {
                (Shape::PairMap { .. }, _) => "()".to_string(),
                (Shape::KeyedMap { key: k }, FieldType::Struct(id)) => self
                    .type_by_id(id)
                    .and_then(|t| t.fields.iter().find(|kf| kf.tag == k))
                    .map_or_else(String::new, |kf| format!("({})", kf.name)),
                _ => String::new(),
            };
            let _ = writeln!(out, "{indent}{} {} : {array}{ty}{key}", f.name, f.tag);
        }
    }

    /// The shortest suffix of `target`'s name that the parser's scoped lookup, done
    /// from inside type `scope`, resolves to `target` (the full name always does,
    /// unless shadowed).
    fn relative_name(&self, scope: &str, target: &Type) -> String {
        let parts: Vec<&str> = target.name.split('.').collect();
        for start in (0..parts.len()).rev() {
            let candidate = parts[start..].join(".");
            if self.resolve_from(scope, &candidate) == Some(target.name.as_str()) {
                return candidate;
            }
        }
        target.name.clone()
    }

    /// The parser's lookup: `scope.name`, then the enclosing scopes, then `name`;
    /// builtin names always mean the builtin.
    fn resolve_from<'a>(&'a self, scope: &str, name: &str) -> Option<&'a str> {
        if ["integer", "boolean", "string", "binary", "double"].contains(&name) {
            return None;
        }
        let mut scope = scope;
        loop {
            if let Some(t) = self.type_by_name(&format!("{scope}.{name}")) {
                return Some(&t.name);
            }
            match scope.rfind('.') {
                Some(dot) if dot > 0 => scope = &scope[..dot],
                _ => return self.type_by_name(name).map(|t| t.name.as_str()),
            }
        }
    }
}
