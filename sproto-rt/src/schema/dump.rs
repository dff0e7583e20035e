//! `sproto_dump`: the reference's human-readable listing of a loaded schema.

use std::fmt::Write;

use super::{FieldType, Shape, Sproto};

impl Sproto {
    /// The text the reference's `sproto_dump` prints for this schema, byte for byte.
    ///
    /// ```
    /// use sproto_rt::Sproto;
    ///
    /// let sp = Sproto::parse(".A { x 0 : integer(2) }\nping 1 { response nil }").unwrap();
    /// assert_eq!(
    ///     sp.dump(),
    ///     "=== 1 types ===\nA\n\tx (0) decimal(100)\n=== 1 protocol ===\n\tping (1) request:(null) response nil\n"
    /// );
    /// ```
    pub fn dump(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "=== {} types ===", self.types.len());
        for t in &self.types {
            let _ = writeln!(out, "{}", t.name);
            for f in &t.fields {
                let array = if f.shape.is_array() { "*" } else { "" };
                let type_name = match f.ty {
                    FieldType::Struct(id) => self
                        .types
                        .get(id)
                        .map_or_else(|| format!("<type {id}>"), |t| t.name.clone()),
                    FieldType::Decimal(n) => format!("decimal({})", decimal_factor_text(n)),
                    other => other.builtin_name().unwrap_or("?").to_string(),
                };
                let _ = write!(out, "\t{} ({}) {}{}", f.name, f.tag, array, type_name);
                if let Some(key) = f.shape.map_key() {
                    let _ = write!(out, " key[{key}]");
                    if let Shape::PairMap { .. } = f.shape {
                        let value = match f.ty {
                            FieldType::Struct(id) => self
                                .types
                                .get(id)
                                .and_then(|t| t.fields.get(1))
                                .map(|v| v.tag),
                            _ => None,
                        };
                        if let Some(v) = value {
                            let _ = write!(out, " value[{v}]");
                        }
                    }
                }
                out.push('\n');
            }
        }
        let _ = writeln!(out, "=== {} protocol ===", self.protocols.len());
        for p in &self.protocols {
            let request = p
                .request
                .and_then(|id| self.types.get(id))
                .map_or("(null)", |t| t.name.as_str());
            let _ = write!(out, "\t{} ({}) request:{}", p.name, p.tag, request);
            if let Some(t) = p.response.and_then(|id| self.types.get(id)) {
                let _ = write!(out, " response:{}", t.name);
            } else if p.confirm {
                out.push_str(" response nil");
            }
            out.push('\n');
        }
        out
    }
}

/// `10^n` as the reference prints a decimal's factor. The reference keeps the factor
/// in a C `int`, which only holds it up to `n = 9`; beyond that we print the exact
/// power of ten instead of an overflowed number.
fn decimal_factor_text(n: u16) -> String {
    match 10u64.checked_pow(u32::from(n)) {
        Some(f) => f.to_string(),
        None => format!("1e{n}"),
    }
}
