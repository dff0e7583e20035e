//! Field types sproto cannot represent, caught syntactically so the error names the
//! type and says what to write instead.

use syn::{GenericArgument, PathArguments, Type};

use super::ctxt::Ctxt;

/// Reports every unsupported type inside `ty` (generic arguments included).
pub fn check_field_type(cx: &Ctxt, ty: &Type) {
    match ty {
        Type::Reference(_) => cx.error_spanned_by(
            ty,
            "references cannot be sproto fields: a decoded message owns its data; use an owned type such as String or Vec<u8>",
        ),
        Type::Ptr(_) => cx.error_spanned_by(ty, "raw pointers cannot be sproto fields; use an owned value"),
        Type::Tuple(t) if t.elems.is_empty() => {
            cx.error_spanned_by(ty, "`()` cannot be a sproto field; remove the field or use #[sproto(skip)]")
        }
        Type::Tuple(_) => cx.error_spanned_by(
            ty,
            "tuples cannot be sproto fields: sproto fields have names; use a struct that derives Sproto",
        ),
        Type::TraitObject(_) | Type::ImplTrait(_) => cx.error_spanned_by(
            ty,
            "trait objects cannot be sproto fields: decoding needs a concrete type; use a struct that derives Sproto",
        ),
        Type::Array(_) | Type::Slice(_) => {
            cx.error_spanned_by(ty, "fixed-size arrays and slices cannot be sproto fields; use Vec<T>")
        }
        Type::BareFn(_) | Type::Never(_) | Type::Infer(_) | Type::Macro(_) | Type::Verbatim(_) => {
            cx.error_spanned_by(ty, "this type cannot be a sproto field")
        }
        Type::Paren(p) => check_field_type(cx, &p.elem),
        Type::Group(g) => check_field_type(cx, &g.elem),
        Type::Path(p) => {
            if let Some(last) = p.path.segments.last() {
                let hint = match last.ident.to_string().as_str() {
                    "u64" | "usize" => Some(format!(
                        "`{}` does not fit sproto's integer, a signed 64-bit value; use i64 (or u32 when the values are small)",
                        last.ident
                    )),
                    "u128" | "i128" => Some(format!("`{}` does not fit sproto's 64-bit integer; use i64", last.ident)),
                    "isize" => Some("`isize` has no fixed size on the wire; use i64".to_string()),
                    "f32" => Some("sproto's double is 64-bit; use f64".to_string()),
                    "char" => Some("`char` has no sproto type; use String (or u32 for the code point)".to_string()),
                    _ => None,
                };
                if let Some(hint) = hint {
                    cx.error_spanned_by(ty, hint);
                }
                if let PathArguments::AngleBracketed(args) = &last.arguments {
                    for arg in &args.args {
                        if let GenericArgument::Type(inner) = arg {
                            check_field_type(cx, inner);
                        }
                    }
                }
            }
        }
        _ => cx.error_spanned_by(ty, "this type cannot be a sproto field"),
    }
}

/// The last path segment's name and type arguments, for `Option<T>`, `HashMap<K, V>`...
pub fn path_generics(ty: &Type) -> Option<(String, Vec<&Type>)> {
    let Type::Path(p) = ty else { return None };
    let last = p.path.segments.last()?;
    let args = match &last.arguments {
        PathArguments::AngleBracketed(a) => a
            .args
            .iter()
            .filter_map(|a| match a {
                GenericArgument::Type(t) => Some(t),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    Some((last.ident.to_string(), args))
}

/// Whether `ty` is `f64`, `Option<f64>`, `Vec<f64>` or `Option<Vec<f64>>` (what
/// `decimal` accepts).
pub fn is_decimal_type(ty: &Type) -> bool {
    let is_f64 = |t: &Type| path_generics(t).is_some_and(|(n, a)| n == "f64" && a.is_empty());
    let is_vec_f64 = |t: &Type| {
        path_generics(t).is_some_and(|(n, a)| n == "Vec" && a.len() == 1 && is_f64(a[0]))
    };
    match path_generics(ty) {
        Some((n, a)) if n == "Option" && a.len() == 1 => is_f64(a[0]) || is_vec_f64(a[0]),
        Some((n, a)) if n == "Vec" && a.len() == 1 => is_f64(a[0]),
        _ => is_f64(ty),
    }
}
