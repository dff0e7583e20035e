//! Rust names for sproto names: case conversion, keyword escaping, and the
//! deterministic resolution of names that collide in one Rust scope.
//!
//! The rules (documented in the crate docs, "Naming"):
//!
//! 1. Types become `UpperCamelCase`; modules, fields and methods `snake_case`. A name
//!    already written that way is kept as it is (`KV` stays `KV`).
//! 2. When several names of one scope convert to the same identifier, the one whose
//!    sproto spelling already *is* that identifier keeps it; otherwise the smallest in
//!    byte order does (a keyword counts with its escape: `self` keeps `self_`). The others, in byte order, get their fallback: a type keeps its
//!    sproto spelling (`a` next to `A`), anything else its converted name; then `_` is
//!    appended until the identifier is free.
//! 3. Rust keywords become raw identifiers (`r#type`); `self`, `Self`, `super`,
//!    `crate` and `_`, which cannot be raw, get a trailing `_`.

use std::collections::HashSet;

/// Keywords that can be written as raw identifiers (`r#type`), including the
/// reserved ones of every edition.
const RAW_KEYWORDS: &[&str] = &[
    "abstract", "as", "async", "await", "become", "box", "break", "const", "continue", "do", "dyn",
    "else", "enum", "extern", "false", "final", "fn", "for", "gen", "if", "impl", "in", "let",
    "loop", "macro", "match", "mod", "move", "mut", "override", "priv", "pub", "ref", "return",
    "static", "struct", "trait", "true", "try", "type", "typeof", "unsafe", "unsized", "use",
    "virtual", "where", "while", "yield",
];

/// Keywords that cannot be raw identifiers.
const UNRAW_KEYWORDS: &[&str] = &["self", "Self", "super", "crate", "_"];

/// Primitive type names: a module or type of that name would shadow the primitive
/// that generated fields use.
pub(crate) const PRIMITIVES: &[&str] = &[
    "bool", "char", "str", "i8", "i16", "i32", "i64", "i128", "isize", "u8", "u16", "u32", "u64",
    "u128", "usize", "f32", "f64",
];

/// Whether `name` is already `UpperCamelCase`: an uppercase ASCII letter first, no `_`.
pub(crate) fn is_upper_camel(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase()) && !name.contains('_')
}

/// Whether `name` is already `snake_case`: no uppercase letter.
pub(crate) fn is_snake(name: &str) -> bool {
    !name.chars().any(|c| c.is_ascii_uppercase())
}

/// `UpperCamelCase` of a sproto name: each `_`-separated word capitalised
/// (`get_item` → `GetItem`, `a_b` → `AB`), `None` when nothing usable is left (`_`,
/// `_1`).
pub(crate) fn upper_camel(name: &str) -> Option<String> {
    if is_upper_camel(name) {
        return Some(name.to_string());
    }
    let mut out = String::with_capacity(name.len());
    for word in name.split('_').filter(|w| !w.is_empty()) {
        let mut chars = word.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    out.starts_with(|c: char| c.is_ascii_alphabetic())
        .then_some(out)
}

/// `snake_case` of a sproto name: `PhoneNumber` → `phone_number`, `HTTPCode` →
/// `http_code`, `A9` → `a9`; leading and trailing `_` are kept.
pub(crate) fn snake(name: &str) -> String {
    if is_snake(name) {
        return name.to_string();
    }
    let chars: Vec<char> = name.chars().collect();
    let mut out = String::with_capacity(name.len() + 4);
    for (i, &c) in chars.iter().enumerate() {
        if c.is_ascii_uppercase() && i > 0 {
            let prev = chars[i - 1];
            let next_lower = chars.get(i + 1).is_some_and(|n| n.is_ascii_lowercase());
            let boundary = prev.is_ascii_lowercase()
                || prev.is_ascii_digit()
                || (prev.is_ascii_uppercase() && next_lower);
            if boundary && !out.ends_with('_') {
                out.push('_');
            }
        }
        out.push(c.to_ascii_lowercase());
    }
    out
}

/// A valid identifier for `name`: raw for keywords, `_` appended for the keywords
/// that cannot be raw.
pub(crate) fn escape(name: &str) -> String {
    if UNRAW_KEYWORDS.contains(&name) {
        format!("{name}_")
    } else if RAW_KEYWORDS.contains(&name) {
        format!("r#{name}")
    } else {
        name.to_string()
    }
}

/// An identifier's text without a raw prefix (what collides with what).
pub(crate) fn unraw(ident: &str) -> &str {
    ident.strip_prefix("r#").unwrap_or(ident)
}

/// Whether rustc's `non_camel_case_types` lint accepts `ident`.
pub(crate) fn lint_camel_ok(ident: &str) -> bool {
    let name = unraw(ident).trim_matches('_');
    if name.is_empty() {
        return true;
    }
    let chars: Vec<char> = name.chars().collect();
    !chars[0].is_lowercase()
        && !name.contains("__")
        && !chars
            .windows(2)
            .any(|w| (w[0].is_alphabetic() && w[1] == '_') || (w[1].is_alphabetic() && w[0] == '_'))
}

/// Whether rustc's `non_snake_case` lint accepts `ident`.
pub(crate) fn lint_snake_ok(ident: &str) -> bool {
    let name = unraw(ident).trim_matches('_');
    let mut allow_underscore = true;
    name.chars().all(|c| {
        if c == '_' {
            let ok = allow_underscore;
            allow_underscore = false;
            ok
        } else {
            allow_underscore = true;
            !c.is_uppercase()
        }
    })
}

/// What kind of identifier a name needs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Case {
    /// A type: `UpperCamelCase`, falling back to the sproto spelling.
    Type,
    /// A module, field or method: `snake_case`, falling back to that plus `_`.
    Snake,
}

/// One name to place in a scope.
pub(crate) struct Wanted<'a> {
    /// The sproto name (one segment).
    pub name: &'a str,
    pub case: Case,
}

/// The identifiers of one Rust scope (a module's types and modules, a struct's
/// fields, a trait's methods).
#[derive(Debug, Default)]
pub(crate) struct Scope {
    taken: HashSet<String>,
}

impl Scope {
    /// A scope in which `reserved` are already taken.
    pub(crate) fn with_reserved(reserved: &[&str]) -> Self {
        Scope {
            taken: reserved.iter().map(|s| s.to_string()).collect(),
        }
    }

    /// Whether `ident` is free.
    pub(crate) fn is_free(&self, ident: &str) -> bool {
        !self.taken.contains(unraw(ident))
    }

    /// Takes `ident` if it is free.
    pub(crate) fn take(&mut self, ident: &str) -> bool {
        self.taken.insert(unraw(ident).to_string())
    }

    /// Places every wanted name, returning one identifier each (same order). See the
    /// module docs for the rules.
    pub(crate) fn place(&mut self, wanted: &[Wanted<'_>]) -> Vec<String> {
        let clean: Vec<Option<String>> = wanted
            .iter()
            .map(|w| match w.case {
                Case::Type => upper_camel(w.name).map(|c| escape(&c)),
                Case::Snake => Some(escape(&snake(w.name))),
            })
            .collect();
        let mut out: Vec<Option<String>> = vec![None; wanted.len()];
        // Phase 1: converted names, exact spellings first, then byte order.
        let mut order: Vec<usize> = (0..wanted.len()).collect();
        // A name is "exact" when its converted identifier is its own (escaped) spelling.
        let inexact = |i: usize| {
            let own = escape(wanted[i].name);
            clean[i].as_deref().map(unraw) != Some(unraw(&own))
        };
        order.sort_by(|&a, &b| {
            let exact = inexact;
            (&clean[a], exact(a), wanted[a].name).cmp(&(&clean[b], exact(b), wanted[b].name))
        });
        for &i in &order {
            if let Some(c) = &clean[i] {
                if self.take(c) {
                    out[i] = Some(c.clone());
                }
            }
        }
        // Phase 2: fallbacks, in byte order of the sproto names.
        order.sort_by(|&a, &b| wanted[a].name.cmp(wanted[b].name));
        for &i in &order {
            if out[i].is_some() {
                continue;
            }
            let base = match (wanted[i].case, &clean[i]) {
                (Case::Type, _) | (_, None) => escape(wanted[i].name),
                (Case::Snake, Some(c)) => c.clone(),
            };
            let mut ident = base;
            while !self.take(&ident) {
                ident = format!("{}_", unraw(&ident));
            }
            out[i] = Some(ident);
        }
        out.into_iter().map(Option::unwrap_or_default).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conversions() {
        assert_eq!(upper_camel("Person").as_deref(), Some("Person"));
        assert_eq!(upper_camel("KV").as_deref(), Some("KV"));
        assert_eq!(upper_camel("get_item").as_deref(), Some("GetItem"));
        assert_eq!(upper_camel("a_b").as_deref(), Some("AB"));
        assert_eq!(upper_camel("_a").as_deref(), Some("A"));
        assert_eq!(upper_camel("c2s").as_deref(), Some("C2s"));
        assert_eq!(upper_camel("_"), None);
        assert_eq!(upper_camel("_1"), None);
        assert_eq!(snake("PhoneNumber"), "phone_number");
        assert_eq!(snake("HTTPCode"), "http_code");
        assert_eq!(snake("RevKV"), "rev_kv");
        assert_eq!(snake("A_B"), "a_b");
        assert_eq!(snake("A9"), "a9");
        assert_eq!(snake("push_8_v2"), "push_8_v2");
        assert_eq!(snake("_"), "_");
        assert_eq!(escape("type"), "r#type");
        assert_eq!(escape("self"), "self_");
        assert_eq!(escape("_"), "__");
        assert!(lint_camel_ok("KV") && lint_camel_ok("A9") && !lint_camel_ok("a"));
        assert!(!lint_camel_ok("A_B") && !lint_camel_ok("r#type"));
        assert!(lint_snake_ok("login_") && lint_snake_ok("r#type") && !lint_snake_ok("Login"));
    }

    fn place(case: Case, names: &[&str], reserved: &[&str]) -> Vec<String> {
        let wanted: Vec<Wanted<'_>> = names.iter().map(|name| Wanted { name, case }).collect();
        Scope::with_reserved(reserved).place(&wanted)
    }

    #[test]
    fn collisions_keep_exact_spellings_and_fall_back_deterministically() {
        assert_eq!(
            place(
                Case::Type,
                &["a", "A", "a_b", "A_B", "AB", "_", "_a", "i64"],
                PRIMITIVES
            ),
            ["a", "A", "a_b", "A_B", "AB", "__", "_a", "I64"]
        );
        // Order of appearance does not matter.
        assert_eq!(place(Case::Type, &["A", "a"], &[]), ["A", "a"]);
        assert_eq!(place(Case::Type, &["b", "a"], &[]), ["B", "A"]);
        assert_eq!(
            place(
                Case::Snake,
                &["Login", "login", "fooBar", "foo_bar", "type", "self"],
                &[]
            ),
            ["login_", "login", "foo_bar_", "foo_bar", "r#type", "self_"]
        );
        // Escaped spellings count as exact.
        assert_eq!(
            place(Case::Snake, &["Self", "self"], &[]),
            ["self__", "self_"]
        );
        assert_eq!(
            place(Case::Type, &["self", "Self"], &[]),
            ["self_", "Self_"]
        );
        // No exact spelling: the smallest name keeps the converted identifier.
        assert_eq!(place(Case::Snake, &["Ab", "AB"], &[]), ["ab_", "ab"]);
        assert_eq!(
            place(Case::Snake, &["new", "caller"], &["new", "caller"]),
            ["new_", "caller_"]
        );
    }
}
