//! Parsing `#[sproto(...)]` attributes on the container and on fields. Only syntax
//! and single-attribute checks live here; cross-field rules are in `ast.rs`.

use syn::meta::ParseNestedMeta;
use syn::{Expr, ExprLit, Lit, LitInt, LitStr, Path};

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

/// Runs `each` on every item of every `#[sproto(...)]` attribute, with syn's
/// `parse_nested_meta` (the idiom of all our macros). A value error is reported and
/// parsing goes on; a syntax error ends that attribute.
fn each_sproto_item(
    cx: &Ctxt,
    attrs: &[syn::Attribute],
    mut each: impl FnMut(&ParseNestedMeta<'_>) -> syn::Result<()>,
) {
    for attr in attrs.iter().filter(|a| a.path().is_ident("sproto")) {
        if let Err(e) = attr.parse_nested_meta(|meta| each(&meta)) {
            cx.syn_error(e);
        }
    }
}

/// The `= value` of `key = value` as an expression; a missing `=` is a clear error.
fn value_expr(
    meta: &ParseNestedMeta<'_>,
    what: &str,
    kind: &str,
    example: &str,
) -> syn::Result<Expr> {
    if !meta.input.peek(syn::Token![=]) {
        return Err(meta.error(format!("`{what}` takes {kind}, e.g. {what} = {example}")));
    }
    meta.value()?.parse()
}

fn lit_str(cx: &Ctxt, meta: &ParseNestedMeta<'_>, what: &str) -> syn::Result<Option<LitStr>> {
    match value_expr(meta, what, "a string", "\"...\"")? {
        Expr::Lit(ExprLit {
            lit: Lit::Str(s), ..
        }) => Ok(Some(s)),
        other => {
            cx.error_spanned_by(
                other,
                format!("`{what}` takes a string, e.g. {what} = \"...\""),
            );
            Ok(None)
        }
    }
}

/// The largest number an inline header slot holds: tags and precisions go from 0 to
/// this. The twin of `sproto_rt::wire::MAX_INLINE` (this crate cannot depend on
/// sproto-rt); `sproto_rt` asserts at compile time, through `__max_inline!`,
/// that the two are equal.
pub const MAX_INLINE: u16 = 32766;

/// A number that must fit an inline slot (0..=MAX_INLINE), like tags and precisions.
fn slot_number(
    cx: &Ctxt,
    meta: &ParseNestedMeta<'_>,
    what: &str,
) -> syn::Result<Option<(u16, LitInt)>> {
    let i = match value_expr(meta, what, "a number", "1")? {
        Expr::Lit(ExprLit {
            lit: Lit::Int(i), ..
        }) => i,
        other => {
            cx.error_spanned_by(other, format!("`{what}` takes a number, e.g. {what} = 1"));
            return Ok(None);
        }
    };
    match i.base10_parse::<u64>() {
        Ok(n) if n <= u64::from(MAX_INLINE) => Ok(Some((n as u16, i))),
        _ => {
            cx.error_spanned_by(
                &i,
                format!("{what} {i} is too large: sproto {what}s go from 0 to {MAX_INLINE}"),
            );
            Ok(None)
        }
    }
}

fn set_once<T>(cx: &Ctxt, slot: &mut Option<T>, value: Option<T>, key: &Path, what: &str) {
    if slot.is_some() {
        cx.error_spanned_by(key, format!("duplicate sproto attribute `{what}`"));
    } else {
        *slot = value;
    }
}

impl Container {
    pub fn from_ast(cx: &Ctxt, input: &syn::DeriveInput) -> Self {
        let mut out = Container::default();
        each_sproto_item(cx, &input.attrs, |meta| {
            let path = &meta.path;
            if path.is_ident("name") {
                let v = lit_str(cx, meta, "name")?;
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
                set_once(cx, &mut out.name, v, path, "name");
            } else if path.is_ident("crate") {
                let v = lit_str(cx, meta, "crate")?.and_then(|s| match s.parse::<Path>() {
                    Ok(p) => Some(p),
                    Err(_) => {
                        cx.error_spanned_by(
                            &s,
                            "`crate` takes a path, e.g. crate = \"::sproto_rt\"",
                        );
                        None
                    }
                });
                set_once(cx, &mut out.krate, v, path, "crate");
            } else {
                return Err(meta.error(format!(
                    "unknown sproto attribute `{}` on a type; expected {CONTAINER_KEYS}",
                    path_text(path)
                )));
            }
            Ok(())
        });
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
        each_sproto_item(cx, &field.attrs, |meta| {
            let path = &meta.path;
            if path.is_ident("tag") {
                out.tag_written = true;
                let v = slot_number(cx, meta, "tag")?;
                set_once(cx, &mut out.tag, v, path, "tag");
            } else if path.is_ident("rename") {
                let v = lit_str(cx, meta, "rename")?;
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
                set_once(cx, &mut out.rename, v, path, "rename");
            } else if path.is_ident("skip") {
                if !meta.input.is_empty() && !meta.input.peek(syn::Token![,]) {
                    return Err(meta.error("`skip` takes no value: write #[sproto(skip)]"));
                }
                set_once(cx, &mut out.skip, Some(path.clone()), path, "skip");
            } else if path.is_ident("decimal") {
                let v = slot_number(cx, meta, "decimal")?;
                set_once(cx, &mut out.decimal, v, path, "decimal");
            } else if path.is_ident("key") {
                let v = lit_str(cx, meta, "key")?;
                set_once(cx, &mut out.key, v, path, "key");
            } else if path.is_ident("entry") {
                let v = match value_expr(meta, "entry", "a type", "KeyValue")? {
                    Expr::Path(p) => Some(p.path),
                    Expr::Lit(ExprLit {
                        lit: Lit::Str(s), ..
                    }) => s.parse::<Path>().ok(),
                    other => {
                        cx.error_spanned_by(other, "`entry` takes a type, e.g. entry = KeyValue");
                        None
                    }
                };
                set_once(cx, &mut out.entry, v, path, "entry");
            } else {
                return Err(meta.error(format!(
                    "unknown sproto attribute `{}`; expected {FIELD_KEYS}",
                    path_text(path)
                )));
            }
            Ok(())
        });
        out
    }
}
