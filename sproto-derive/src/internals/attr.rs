//! Parsing `#[sproto(...)]` attributes on the container and on fields. Only syntax
//! and single-attribute checks live here; cross-field rules are in `ast.rs`.

use syn::spanned::Spanned;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Meta, Path};

use super::ctxt::Ctxt;

/// Container attributes.
#[derive(Default)]
pub struct Container {
    /// `name = "Person.PhoneNumber"`: the sproto type name.
    pub name: Option<LitStr>,
    /// `crate = "path"`: where `sproto_rt` is.
    pub krate: Option<Path>,
}

/// Field attributes.
#[derive(Default)]
pub struct Field {
    pub tag: Option<(u16, LitInt)>,
    /// A `tag` attribute was written, even if it was malformed (then `tag` is None
    /// and the error is already reported).
    pub tag_written: bool,
    pub rename: Option<LitStr>,
    pub skip: Option<Path>,
    pub decimal: Option<(u16, LitInt)>,
    pub key: Option<LitStr>,
    pub entry: Option<Path>,
}

const CONTAINER_KEYS: &str = "`name = \"TypeName\"` or `crate = \"path\"`";
const FIELD_KEYS: &str = "`tag = N`, `rename = \"name\"`, `skip`, `decimal = N`, `key = \"field\"` or `entry = EntryType`";

fn sproto_metas(cx: &Ctxt, attrs: &[syn::Attribute]) -> Vec<Meta> {
    let mut out = Vec::new();
    for attr in attrs {
        if !attr.path().is_ident("sproto") {
            continue;
        }
        match attr
            .parse_args_with(syn::punctuated::Punctuated::<Meta, syn::Token![,]>::parse_terminated)
        {
            Ok(list) => out.extend(list),
            Err(e) => cx.syn_error(syn::Error::new(
                e.span(),
                format!(
                    "malformed sproto attribute: {e}; expected #[sproto(...)] with {FIELD_KEYS}"
                ),
            )),
        }
    }
    out
}

fn lit_str(cx: &Ctxt, meta: &Meta, what: &str) -> Option<LitStr> {
    match meta {
        Meta::NameValue(nv) => match &nv.value {
            Expr::Lit(ExprLit {
                lit: Lit::Str(s), ..
            }) => Some(s.clone()),
            other => {
                cx.error_spanned_by(
                    other,
                    format!("`{what}` takes a string, e.g. {what} = \"...\""),
                );
                None
            }
        },
        _ => {
            cx.error_spanned_by(
                meta,
                format!("`{what}` takes a string, e.g. {what} = \"...\""),
            );
            None
        }
    }
}

/// A number that must fit an inline slot (0..=32766), like tags and precisions.
fn slot_number(cx: &Ctxt, meta: &Meta, what: &str) -> Option<(u16, LitInt)> {
    let Meta::NameValue(nv) = meta else {
        cx.error_spanned_by(meta, format!("`{what}` takes a number, e.g. {what} = 1"));
        return None;
    };
    let Expr::Lit(ExprLit {
        lit: Lit::Int(i), ..
    }) = &nv.value
    else {
        cx.error_spanned_by(
            &nv.value,
            format!("`{what}` takes a number, e.g. {what} = 1"),
        );
        return None;
    };
    match i.base10_parse::<u64>() {
        Ok(n) if n <= 32766 => Some((n as u16, i.clone())),
        _ => {
            cx.error_spanned_by(
                i,
                format!("{what} {i} is too large: sproto {what}s go from 0 to 32766"),
            );
            None
        }
    }
}

fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, value: Option<T>, meta: &Meta, what: &str) {
    if slot.is_some() {
        cx.error_spanned_by(meta, format!("duplicate sproto attribute `{what}`"));
    } else {
        *slot = value;
    }
}

impl Container {
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Self {
        let mut out = Container::default();
        for meta in sproto_metas(cx, &input.attrs) {
            let path = meta.path();
            if path.is_ident("name") {
                let v = lit_str(cx, &meta, "name");
                if let Some(s) = &v {
                    let ok = !s.value().is_empty()
                        && s.value().split('.').all(|w| {
                            let mut c = w.chars();
                            c.next()
                                .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                                && c.all(|c| c.is_ascii_alphanumeric() || c == '_')
                        });
                    if !ok {
                        cx.error_spanned_by(s, "a sproto type name is words separated by dots, e.g. \"Person.PhoneNumber\"");
                    }
                }
                set_once(cx, &mut out.name, v, &meta, "name");
            } else if path.is_ident("crate") {
                let v = lit_str(cx, &meta, "crate").and_then(|s| match s.parse::<Path>() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        cx.error_spanned_by(
                            &s,
                            "`crate` takes a path, e.g. crate = \"::sproto_rt\"",
                        );
                        None
                    }
                });
                set_once(cx, &mut out.krate, v, &meta, "crate");
            } else {
                cx.error_spanned_by(
                    path,
                    format!(
                        "unknown sproto attribute `{}` on a type; expected {CONTAINER_KEYS}",
                        path_text(path)
                    ),
                );
            }
        }
        out
    }
}

fn path_text(p: &Path) -> String {
    p.segments
        .iter()
        .map(|s| s.ident.to_string())
        .collect::<Vec<_>>()
        .join("::")
}

impl Field {
    pub fn from_ast(cx: &Ctxt, field: &syn::Field) -> Self {
        let mut out = Field::default();
        for meta in sproto_metas(cx, &field.attrs) {
            let path = meta.path().clone();
            if path.is_ident("tag") {
                out.tag_written = true;
                let v = slot_number(cx, &meta, "tag");
                set_once(cx, &mut out.tag, v, &meta, "tag");
            } else if path.is_ident("rename") {
                let v = lit_str(cx, &meta, "rename");
                if let Some(s) = &v {
                    let mut c = s.value().chars().collect::<Vec<_>>().into_iter();
                    let ok = c
                        .next()
                        .is_some_and(|f| f.is_ascii_alphabetic() || f == '_')
                        && c.all(|c| c.is_ascii_alphanumeric() || c == '_');
                    if !ok {
                        cx.error_spanned_by(s, "a sproto field name is a word: letters, digits and '_', not starting with a digit");
                    }
                }
                set_once(cx, &mut out.rename, v, &meta, "rename");
            } else if path.is_ident("skip") {
                if !matches!(meta, Meta::Path(_)) {
                    cx.error_spanned_by(&meta, "`skip` takes no value: write #[sproto(skip)]");
                }
                set_once(cx, &mut out.skip, Some(path), &meta, "skip");
            } else if path.is_ident("decimal") {
                let v = slot_number(cx, &meta, "decimal");
                set_once(cx, &mut out.decimal, v, &meta, "decimal");
            } else if path.is_ident("key") {
                let v = lit_str(cx, &meta, "key");
                set_once(cx, &mut out.key, v, &meta, "key");
            } else if path.is_ident("entry") {
                let v = match &meta {
                    Meta::NameValue(nv) => match &nv.value {
                        Expr::Path(p) => Some(p.path.clone()),
                        Expr::Lit(ExprLit {
                            lit: Lit::Str(s), ..
                        }) => s.parse::<Path>().ok(),
                        other => {
                            cx.error_spanned_by(
                                other,
                                "`entry` takes a type, e.g. entry = KeyValue",
                            );
                            None
                        }
                    },
                    _ => {
                        cx.error_spanned_by(&meta, "`entry` takes a type, e.g. entry = KeyValue");
                        None
                    }
                };
                set_once(cx, &mut out.entry, v, &meta, "entry");
            } else {
                cx.error_spanned_by(
                    &path,
                    format!(
                        "unknown sproto attribute `{}`; expected {FIELD_KEYS}",
                        path_text(&path)
                    ),
                );
            }
        }
        let _ = field.span();
        out
    }
}
