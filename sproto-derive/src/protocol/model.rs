//! Reading a `#[protocol]` trait into a validated model: the attribute's options and,
//! per method, the protocol's name, tag, request and response. Every problem is
//! reported at its span, all at once.

use std::collections::HashMap;

use proc_macro2::{Span, TokenStream};
use syn::parse::Parser;
use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, Ident, ItemTrait, LitInt, LitStr, Pat, Path, ReturnType, TraitItem,
    TraitItemFn, Type,
};

use crate::internals::ctxt::Ctxt;
use crate::internals::trait_fns::check_shared_receiver;

/// The largest tag a bundle slot holds (the parser's limit).
use crate::internals::attr::MAX_INLINE as MAX_TAG;

/// The options of `#[protocol(package = Type, crate = "path")]`.
pub struct Options {
    pub package: Option<Type>,
    pub krate: Path,
}

impl Options {
    pub fn parse(cx: &Ctxt, args: TokenStream) -> Options {
        let mut options = Options {
            package: None,
            krate: syn::parse_quote!(::sproto_rt),
        };
        let parser = syn::meta::parser(|meta| {
            if meta.path.is_ident("package") {
                options.package = Some(meta.value()?.parse()?);
                Ok(())
            } else if meta.path.is_ident("crate") {
                let lit: LitStr = meta.value()?.parse()?;
                options.krate = lit.parse()?;
                Ok(())
            } else {
                Err(meta.error(
                    "unknown protocol option; expected `package = Type` or `crate = \"path\"`",
                ))
            }
        });
        if let Err(e) = parser.parse2(args) {
            cx.syn_error(e);
        }
        options
    }
}

/// What a protocol answers with.
pub enum Response {
    /// No response type declared: a request with a session gets a header-only answer.
    Nothing,
    /// `response nil`: declared without a message (the same on the wire).
    Nil,
    /// A response message.
    Message(Box<Type>),
}

pub struct Method {
    pub ident: Ident,
    /// The protocol's name in the schema.
    pub name: String,
    pub tag: u16,
    /// The request argument's name and type.
    pub request: Option<(Ident, Type)>,
    pub response: Response,
}

impl Method {
    /// The client stub's session-less sender for protocols without a response type.
    pub fn push_ident(&self) -> Option<Ident> {
        match self.response {
            Response::Message(_) => None,
            _ => Some(Ident::new(
                &format!("push_{}", self.ident.to_string().trim_start_matches("r#")),
                self.ident.span(),
            )),
        }
    }
}

pub struct ProtocolModel {
    pub item: ItemTrait,
    pub options: Options,
    pub methods: Vec<Method>,
}

const METHOD_KEYS: &str = "`tag = N`, `name = \"proto\"` or `response = nil`";

struct MethodAttrs {
    tag: Option<u16>,
    /// A `tag = ...` was written (and reported if invalid).
    tag_written: bool,
    name: Option<LitStr>,
    nil: Option<Span>,
}

/// `#[sproto(tag = 2, name = "get", response = nil)]`.
fn method_attrs(cx: &Ctxt, attrs: &[Attribute]) -> MethodAttrs {
    let mut out = MethodAttrs {
        tag: None,
        tag_written: false,
        name: None,
        nil: None,
    };
    for attr in attrs.iter().filter(|a| a.path().is_ident("sproto")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("tag") {
                let lit: LitInt = meta.value()?.parse()?;
                out.tag_written = true;
                match lit.base10_parse::<u16>() {
                    Ok(t) if t <= MAX_TAG => out.tag = Some(t),
                    _ => cx.error_spanned_by(
                        &lit,
                        format!("a protocol tag is a number from 0 to {MAX_TAG}"),
                    ),
                }
                Ok(())
            } else if meta.path.is_ident("name") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "a protocol name cannot be empty");
                }
                out.name = Some(lit);
                Ok(())
            } else if meta.path.is_ident("response") {
                let value: Ident = meta.value()?.parse()?;
                if value != "nil" {
                    return Err(syn::Error::new(
                        value.span(),
                        "`response = nil` is the only form: the response type is the method's return type",
                    ));
                }
                out.nil = Some(value.span());
                Ok(())
            } else {
                Err(meta.error(format!(
                    "unknown sproto protocol attribute; expected {METHOD_KEYS}"
                )))
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    out
}

impl ProtocolModel {
    pub fn from_ast(cx: &Ctxt, mut item: ItemTrait, options: Options) -> Option<ProtocolModel> {
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(
                &item.generics,
                "a protocol trait cannot be generic: each protocol has one fixed wire form",
            );
        }
        let mut methods: Vec<Method> = Vec::new();
        for ti in &item.items {
            match ti {
                TraitItem::Fn(f) => {
                    if let Some(m) = method(cx, f) {
                        check_unique(cx, &methods, &m, f);
                        methods.push(m);
                    }
                }
                other => cx.error_spanned_by(
                    other,
                    "a protocol trait holds only async methods, one per protocol",
                ),
            }
        }
        for ti in &mut item.items {
            if let TraitItem::Fn(f) = ti {
                f.attrs.retain(|a| !a.path().is_ident("sproto"));
            }
        }
        Some(ProtocolModel {
            item,
            options,
            methods,
        })
    }
}

/// Tags, protocol names and the stub's method names must not repeat.
fn check_unique(cx: &Ctxt, methods: &[Method], m: &Method, f: &TraitItemFn) {
    let mut stub_names: HashMap<String, &Ident> = HashMap::new();
    for other in methods {
        stub_names.insert(other.ident.to_string(), &other.ident);
        if let Some(p) = other.push_ident() {
            stub_names.insert(p.to_string(), &other.ident);
        }
        if other.tag == m.tag {
            cx.error_spanned_by(
                &f.sig.ident,
                format!(
                    "protocol tag {} is already used by `{}`",
                    m.tag, other.ident
                ),
            );
        }
        if other.name == m.name {
            cx.error_spanned_by(
                &f.sig.ident,
                format!(
                    "protocol name `{}` is already used by `{}`; rename one with #[sproto(name = \"...\")]",
                    m.name, other.ident
                ),
            );
        }
    }
    let mine = std::iter::once(m.ident.clone()).chain(m.push_ident());
    for ident in mine {
        if let Some(first) = stub_names.get(&ident.to_string()) {
            cx.error_spanned_by(
                &f.sig.ident,
                format!("the client stub's method `{ident}` would clash with the one generated for `{first}`"),
            );
        }
    }
}

fn method(cx: &Ctxt, f: &TraitItemFn) -> Option<Method> {
    let sig = &f.sig;
    let attrs = method_attrs(cx, &f.attrs);
    let mut ok = true;
    let Some(tag) = attrs.tag else {
        if attrs.tag_written {
            return None;
        }
        cx.error_spanned_by(
            &sig.ident,
            format!(
                "protocol method `{}` needs a tag: #[sproto(tag = N)]",
                sig.ident
            ),
        );
        return None;
    };
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "protocol method `{}` must be async: write `async fn {}(...)`",
                sig.ident, sig.ident
            ),
        );
        ok = false;
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "protocol methods cannot be generic: a protocol has one fixed wire form",
        );
        ok = false;
    }
    if !check_shared_receiver(
        cx,
        sig,
        "protocol methods",
        "requests are served concurrently (use interior mutability such as a Mutex for state)",
    ) {
        ok = false;
    }
    let inputs = sig.inputs.iter().skip(1);
    let mut request = None;
    for (i, input) in inputs.enumerate() {
        let FnArg::Typed(pt) = input else { continue };
        if i > 0 {
            cx.error_spanned_by(
                pt,
                "a protocol method takes at most one argument, its request message (a #[derive(Sproto)] struct)",
            );
            ok = false;
            continue;
        }
        let name = match &*pt.pat {
            Pat::Ident(p) => p.ident.clone(),
            other => {
                cx.error_spanned_by(
                    other,
                    "the request argument must be a plain name (`request: Login`)",
                );
                ok = false;
                Ident::new("request", other.span())
            }
        };
        if let Type::Reference(r) = &*pt.ty {
            cx.error_spanned_by(
                r,
                "the request is an owned message (it arrives over the network): take it by value",
            );
            ok = false;
        }
        request = Some((name, (*pt.ty).clone()));
    }
    let response = match (&sig.output, attrs.nil) {
        (ReturnType::Default, None) => Response::Nothing,
        (ReturnType::Default, Some(_)) => Response::Nil,
        (ReturnType::Type(_, ty), nil) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => {
                if nil.is_some() {
                    Response::Nil
                } else {
                    Response::Nothing
                }
            }
            _ if nil.is_some() => {
                cx.error_spanned_by(
                    &sig.output,
                    "a `response = nil` protocol answers without a message, so the method returns nothing",
                );
                ok = false;
                Response::Nil
            }
            Type::Reference(r) => {
                cx.error_spanned_by(
                    r,
                    "the response is an owned message (it is sent over the network)",
                );
                ok = false;
                Response::Nothing
            }
            other => Response::Message(Box::new(other.clone())),
        },
    };
    let name = attrs.name.map_or_else(
        || sig.ident.to_string().trim_start_matches("r#").to_string(),
        |n| n.value(),
    );
    ok.then(|| Method {
        ident: sig.ident.clone(),
        name,
        tag,
        request,
        response,
    })
}
