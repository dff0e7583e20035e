//! The validated model of a `#[derive(Sproto)]` input: the container, its fields with
//! their sproto names, tags and kinds. Code generation reads only this.

use std::collections::HashMap;

use proc_macro2::Span;
use syn::ext::IdentExt;
use syn::{Data, DeriveInput, Fields, GenericParam, Generics, Ident, Lifetime, LitStr, Path, Type};

use super::attr;
use super::check::{check_field_type, is_decimal_type, path_generics};
use super::ctxt::Ctxt;

/// How a field is encoded.
pub enum Kind {
    /// Through the `Field` trait (scalars, Option, Vec, Box, derived structs).
    Plain,
    /// `integer(N)` from f64.
    Decimal(u16),
    /// `*V(key)` from a map of derived structs keyed by their field `key`
    /// (`optional`: the map is wrapped in an `Option`, absent on the wire when `None`).
    KeyedMap {
        key: LitStr,
        key_ty: Box<Type>,
        value_ty: Box<Type>,
        /// The map type without its `Option`.
        map_ty: Box<Type>,
        optional: bool,
    },
    /// `*Entry()` from a map `K → V` (`optional` as for `KeyedMap`).
    PairMap {
        entry: Path,
        map_ty: Box<Type>,
        optional: bool,
    },
    /// `*V(key)` kept as a list in wire order (`Vec<V>` or `Option<Vec<V>>`): for key
    /// fields that cannot key a Rust map (`f64`, arrays).
    KeyedList { key: LitStr, value_ty: Box<Type> },
    /// `*Entry()` kept as a list of entry structs (`Vec<Entry>` or
    /// `Option<Vec<Entry>>`): for entries whose key cannot key a Rust map.
    PairList { entry: Path, elem_ty: Box<Type> },
}

pub struct FieldModel<'a> {
    pub ident: &'a Ident,
    pub ty: &'a Type,
    /// The sproto field name.
    pub name: String,
    pub tag: u16,
    pub kind: Kind,
}

pub struct Container<'a> {
    pub ident: &'a Ident,
    /// The struct's generics: none, or the one lifetime of a borrowed struct.
    pub generics: &'a Generics,
    /// The lifetime of a borrowed struct (`struct PersonRef<'a>`): decoding borrows
    /// from input that lives that long.
    pub lifetime: Option<Lifetime>,
    pub type_name: String,
    pub krate: Path,
    /// Encoded fields, in ascending tag order.
    pub fields: Vec<FieldModel<'a>>,
    /// Fields marked `skip`: they take their Default when decoding.
    pub skipped: Vec<&'a Ident>,
    /// Whether the input was a unit struct (`struct Empty;`).
    pub unit: bool,
}

impl<'a> Container<'a> {
    pub fn from_ast(cx: &Ctxt, input: &'a DeriveInput) -> Option<Container<'a>> {
        let attrs = attr::Container::from_ast(cx, input);
        let lifetime = container_lifetime(cx, &input.generics);
        let (named, unit) = match &input.data {
            Data::Struct(s) => match &s.fields {
                Fields::Named(f) => (Some(&f.named), false),
                Fields::Unit => (None, true),
                Fields::Unnamed(f) => {
                    cx.error_spanned_by(
                        f,
                        "tuple structs cannot derive Sproto: sproto fields have names; use named fields with #[sproto(tag = N)]",
                    );
                    return None;
                }
            },
            Data::Enum(e) => {
                cx.error_spanned_by(
                    e.enum_token,
                    "enums cannot derive Sproto: sproto has no sum types; use a struct with Option fields",
                );
                return None;
            }
            Data::Union(u) => {
                cx.error_spanned_by(
                    u.union_token,
                    "unions cannot derive Sproto; use a struct with named fields",
                );
                return None;
            }
        };
        let mut fields = Vec::new();
        let mut skipped = Vec::new();
        let mut by_tag: HashMap<u16, String> = HashMap::new();
        let mut by_name: HashMap<String, String> = HashMap::new();
        for f in named.into_iter().flatten() {
            let Some(ident) = &f.ident else { continue };
            let fa = attr::Field::from_ast(cx, f);
            if let Some(skip) = &fa.skip {
                if fa.tag.is_some()
                    || fa.decimal.is_some()
                    || fa.key.is_some()
                    || fa.entry.is_some()
                    || fa.rename.is_some()
                {
                    cx.error_spanned_by(
                        skip,
                        "a skipped field is not on the wire: remove its other sproto attributes",
                    );
                }
                skipped.push(ident);
                continue;
            }
            check_field_type(cx, &f.ty, lifetime.as_ref());
            let Some((tag, tag_lit)) = fa.tag.clone() else {
                if fa.tag_written {
                    continue; // malformed: already reported
                }
                cx.error_spanned_by(
                    ident,
                    format!("field `{ident}` needs a tag: add #[sproto(tag = N)] (tags are the wire contract), or #[sproto(skip)]"),
                );
                continue;
            };
            let name = fa
                .rename
                .as_ref()
                .map_or_else(|| ident.unraw().to_string(), LitStr::value);
            if let Some(other) = by_tag.insert(tag, ident.to_string()) {
                cx.error_spanned_by(&tag_lit, format!("tag {tag} is already used by field `{other}`; every field needs its own tag"));
            }
            if let Some(other) = by_name.insert(name.clone(), ident.to_string()) {
                let at: &dyn quote::ToTokens = match &fa.rename {
                    Some(r) => r,
                    None => ident,
                };
                cx.error_spanned_by(at, format!("sproto field name `{name}` is already used by field `{other}`; use rename = \"...\""));
            }
            let kind = field_kind(cx, f, &fa);
            fields.push(FieldModel {
                ident,
                ty: &f.ty,
                name,
                tag,
                kind,
            });
        }
        fields.sort_by_key(|f| f.tag);
        let krate = attrs
            .krate
            .unwrap_or_else(|| syn::parse_quote!(::sproto_rt));
        Some(Container {
            ident: &input.ident,
            generics: &input.generics,
            lifetime,
            type_name: attrs
                .name
                .map_or_else(|| input.ident.unraw().to_string(), |n| n.value()),
            krate,
            fields,
            skipped,
            unit,
        })
    }
}

/// Whether a type mentions a lifetime (borrows).
fn has_lifetime(ty: &Type) -> bool {
    fn any(tokens: proc_macro2::TokenStream) -> bool {
        tokens.into_iter().any(|t| match t {
            proc_macro2::TokenTree::Punct(p) => p.as_char() == '\'',
            proc_macro2::TokenTree::Group(g) => any(g.stream()),
            _ => false,
        })
    }
    any(quote::ToTokens::to_token_stream(ty))
}

/// The lifetime of a borrowed struct: generics are refused, except one lifetime.
fn container_lifetime(cx: &Ctxt, generics: &Generics) -> Option<Lifetime> {
    let mut lifetimes = Vec::new();
    for p in &generics.params {
        match p {
            GenericParam::Lifetime(l) => {
                if !l.bounds.is_empty() {
                    cx.error_spanned_by(
                        l,
                        "a borrowed sproto struct's lifetime takes no bounds: write `struct T<'a>`",
                    );
                }
                lifetimes.push(&l.lifetime);
            }
            GenericParam::Type(_) | GenericParam::Const(_) => cx.error_spanned_by(
                p,
                "generic structs cannot derive Sproto: a sproto type has one fixed layout; use concrete field types (a lifetime, to borrow from the input, is the only parameter allowed)",
            ),
        }
    }
    if let Some(w) = &generics.where_clause {
        cx.error_spanned_by(w, "a sproto struct takes no where clause");
    }
    if let [_, second, ..] = lifetimes.as_slice() {
        cx.error_spanned_by(
            second,
            "a borrowed sproto struct has one lifetime, the input's: use a single lifetime parameter",
        );
    }
    lifetimes.first().map(|l| (*l).clone())
}

fn field_kind(cx: &Ctxt, f: &syn::Field, fa: &attr::Field) -> Kind {
    // A map or list may be wrapped in an Option (absent on the wire when None).
    let (optional, inner) = match path_generics(&f.ty) {
        Some((n, args)) if n == "Option" && args.len() == 1 => (true, args[0].clone()),
        _ => (false, f.ty.clone()),
    };
    let map_args = || match path_generics(&inner) {
        Some((n, args)) if (n == "HashMap" || n == "BTreeMap") && args.len() >= 2 => {
            Some((args[0].clone(), args[1].clone()))
        }
        _ => None,
    };
    let list_elem = || match path_generics(&inner) {
        Some((n, args)) if n == "Vec" && args.len() == 1 => Some(args[0].clone()),
        _ => None,
    };
    match (&fa.decimal, &fa.key, &fa.entry) {
        (Some(_), Some(k), _) => {
            cx.error_spanned_by(k, "`decimal` and `key` cannot be combined");
            Kind::Plain
        }
        (Some(_), _, Some(e)) => {
            cx.error_spanned_by(e, "`decimal` and `entry` cannot be combined");
            Kind::Plain
        }
        (_, Some(_), Some(e)) => {
            cx.error_spanned_by(
                e,
                "`key` and `entry` cannot be combined: `key` makes *V(key), `entry` makes *Entry()",
            );
            Kind::Plain
        }
        (Some((n, lit)), None, None) => {
            if !is_decimal_type(&f.ty) {
                cx.error_spanned_by(lit, "`decimal` needs an f64 field (f64, Option<f64>, Vec<f64> or Option<Vec<f64>>): integer(N) values are f64 on the Rust side");
            }
            Kind::Decimal(*n)
        }
        (None, Some(key), None) => match (map_args(), list_elem()) {
            (Some((_, value_ty)), _) if has_lifetime(&value_ty) => {
                cx.error_spanned_by(
                    &value_ty,
                    "map values are decoded as owned messages: a borrowed type cannot be one; use an owned type, or keep the entries as a list (Vec<V> with the same `key`)",
                );
                Kind::Plain
            }
            (Some((key_ty, value_ty)), _) => Kind::KeyedMap {
                key: key.clone(),
                key_ty: Box::new(key_ty),
                value_ty: Box::new(value_ty),
                map_ty: Box::new(inner.clone()),
                optional,
            },
            (None, Some(value_ty)) => Kind::KeyedList {
                key: key.clone(),
                value_ty: Box::new(value_ty),
            },
            (None, None) => {
                cx.error_spanned_by(key, "`key` needs a HashMap<K, V> or BTreeMap<K, V> field whose values derive Sproto (or a Vec<V> to keep the entries as a list)");
                Kind::Plain
            }
        },
        (None, None, Some(entry)) => match (map_args(), list_elem()) {
            (None, Some(elem_ty)) => Kind::PairList {
                entry: entry.clone(),
                elem_ty: Box::new(elem_ty),
            },
            (Some((k, v)), _) if has_lifetime(&k) || has_lifetime(&v) => {
                cx.error_spanned_by(
                    &f.ty,
                    "map entries are decoded as owned values: a map with `entry` cannot borrow; use owned key and value types",
                );
                Kind::Plain
            }
            (m, _) => {
                if m.is_none() {
                    cx.error_spanned_by(
                        entry,
                        "`entry` needs a HashMap<K, V> or BTreeMap<K, V> field",
                    );
                }
                Kind::PairMap {
                    entry: entry.clone(),
                    map_ty: Box::new(inner.clone()),
                    optional,
                }
            }
        },
        (None, None, None) => {
            if map_args().is_some() {
                cx.error_spanned_by(
                    &f.ty,
                    "a map field needs #[sproto(key = \"field\")] (values keyed by their field: *V(field)) or #[sproto(entry = Entry)] (a two-field entry type: *Entry())",
                );
            }
            Kind::Plain
        }
    }
}

/// An identifier for generated hidden items, spanned at `span` so that errors about
/// it point at the user's attribute.
pub fn hidden_ident(prefix: &str, name: &str, span: Span) -> Ident {
    Ident::new(&format!("{prefix}{name}"), span)
}
