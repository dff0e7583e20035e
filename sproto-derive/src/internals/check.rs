//! Field types sproto cannot represent, caught syntactically so the error names the
//! type and says what to write instead.

use syn::{GenericArgument, Lifetime, PathArguments, Type};

use super::ctxt::Ctxt;

/// Reports every unsupported type inside `ty` (generic arguments included). `lifetime`
/// is the struct's, when it borrows from the input.
pub fn check_field_type(cx: &Ctxt, ty: &Type, lifetime: Option<&Lifetime>) {
    match ty {
        Type::Reference(r) => check_reference(cx, r, lifetime),
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
        Type::Paren(p) => check_field_type(cx, &p.elem, lifetime),
        Type::Group(g) => check_field_type(cx, &g.elem, lifetime),
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
                let is_cow = last.ident == "Cow";
                if let PathArguments::AngleBracketed(args) = &last.arguments {
                    for arg in &args.args {
                        match arg {
                            GenericArgument::Type(inner) if is_cow => check_cow(cx, inner),
                            GenericArgument::Type(inner) => check_field_type(cx, inner, lifetime),
                            GenericArgument::Lifetime(l) => check_lifetime(cx, ty, l, lifetime),
                            _ => {}
                        }
                    }
                }
            }
        }
        _ => cx.error_spanned_by(ty, "this type cannot be a sproto field"),
    }
}

/// `&'a str` and `&'a [u8]` borrow from the input, in a struct with lifetime `'a`;
/// every other reference is refused with what to write instead.
fn check_reference(cx: &Ctxt, r: &syn::TypeReference, lifetime: Option<&Lifetime>) {
    let Some(lt) = lifetime else {
        cx.error_spanned_by(
            r,
            "references cannot be fields of an owned sproto struct: a decoded message owns its data; use String or Vec<u8>, or give the struct a lifetime (`struct T<'a>`) to borrow &'a str / &'a [u8] from the input",
        );
        return;
    };
    if r.mutability.is_some() {
        cx.error_spanned_by(
            r,
            "`&mut` cannot be decoded: borrowed fields are shared references into the input (&'a str, &'a [u8])",
        );
        return;
    }
    match &r.lifetime {
        Some(l) if l == lt => {}
        _ => {
            cx.error_spanned_by(
                r,
                format!("a borrowed field must borrow for the struct's lifetime: write &{lt} ..."),
            );
            return;
        }
    }
    let is =
        |t: &Type, name: &str| path_generics(t).is_some_and(|(n, a)| n == name && a.is_empty());
    match &*r.elem {
        t if is(t, "str") => {}
        Type::Slice(s) if is(&s.elem, "u8") => {}
        Type::Slice(_) => cx.error_spanned_by(
            r,
            "only bytes can be borrowed from the input: sproto writes integer, boolean and double arrays in its own layout, not as Rust values; use Vec<T>",
        ),
        _ => cx.error_spanned_by(
            r,
            format!("only &{lt} str and &{lt} [u8] can borrow from the input; use an owned value (i64, String, a struct deriving Sproto...) or a borrowed struct (`PersonRef<{lt}>`)"),
        ),
    }
}

/// `Cow<'a, str>` and `Cow<'a, [u8]>` are the copy-on-write strings and binaries.
fn check_cow(cx: &Ctxt, inner: &Type) {
    let ok = match inner {
        Type::Slice(s) => path_generics(&s.elem).is_some_and(|(n, a)| n == "u8" && a.is_empty()),
        t => path_generics(t).is_some_and(|(n, a)| n == "str" && a.is_empty()),
    };
    if !ok {
        cx.error_spanned_by(
            inner,
            "a Cow field is Cow<'a, str> (string) or Cow<'a, [u8]> (binary)",
        );
    }
}

/// A lifetime argument in a field type (`Cow<'a, str>`, `PersonRef<'a>`) must be the
/// struct's own.
fn check_lifetime(cx: &Ctxt, ty: &Type, l: &Lifetime, lifetime: Option<&Lifetime>) {
    match lifetime {
        None => cx.error_spanned_by(
            ty,
            format!("this field borrows for {l}, but the struct has no lifetime: only a borrowed struct (`struct T<'a>`) can hold borrowed fields, decoding then borrows from its input"),
        ),
        Some(lt) if l != lt => cx.error_spanned_by(
            l,
            format!("a borrowed field must borrow for the struct's lifetime: write {lt}"),
        ),
        Some(_) => {}
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
