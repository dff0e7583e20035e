//! From a plan to Rust code: `#[derive(Sproto)]` structs in their modules, the
//! protocol trait, and `schema()`; formatted with `prettyplease`.

use proc_macro2::TokenStream;
use quote::quote;

use crate::names;
use crate::plan::{FieldPlan, Plan, ProtocolPlan, StructPlan, TraitPlan};
use crate::rustdoc::doc_lines;

/// Emits the file's code. `krate` is the runtime crate path (`::sproto_rt`), `custom`
/// whether it was configured (then `crate = "..."` is passed to the macros).
pub(crate) fn emit(plan: &Plan, krate: &str, custom: bool) -> Result<TokenStream, String> {
    let e = Emitter {
        plan,
        krate: parse::<syn::Path>(krate, "runtime crate path")?,
        krate_text: krate.to_string(),
        custom,
    };
    let body = e.module_items("")?;
    let schema = e.schema_fn()?;
    let protocol = match &plan.protocol {
        Some(t) => e.trait_items(t)?,
        None => TokenStream::new(),
    };
    Ok(quote! {
        #body
        #protocol
        #schema
    })
}

/// Formats emitted code.
pub(crate) fn format(tokens: &TokenStream) -> Result<String, String> {
    let file: syn::File = syn::parse2(tokens.clone())
        .map_err(|e| format!("internal error: generated code does not parse: {e}"))?;
    Ok(prettyplease::unparse(&file))
}

fn parse<T: syn::parse::Parse>(text: &str, what: &str) -> Result<T, String> {
    syn::parse_str(text).map_err(|e| format!("invalid {what} `{text}`: {e}"))
}

fn ident(text: &str) -> Result<syn::Ident, String> {
    parse(text, "identifier")
}

/// Doc attributes: the schema comment (escaped to render as written), then the
/// generated Markdown.
fn docs(comment: Option<&str>, markdown: &str) -> TokenStream {
    let mut lines = comment.map(doc_lines).unwrap_or_default();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.extend(markdown.lines().map(|l| format!(" {l}")));
    quote!(#(#[doc = #lines])*)
}

/// User attributes (`#[derive(serde::Serialize)]`), checked to be outer attributes.
fn user_attributes(attrs: &[String]) -> Result<TokenStream, String> {
    let mut out = TokenStream::new();
    for a in attrs {
        let parsed = syn::parse::Parser::parse_str(syn::Attribute::parse_outer, a)
            .map_err(|e| format!("invalid attribute `{a}`: {e}"))?;
        out.extend(parsed.iter().map(|a| quote!(#a)));
    }
    Ok(out)
}

struct Emitter<'a> {
    plan: &'a Plan,
    krate: syn::Path,
    krate_text: String,
    custom: bool,
}

impl Emitter<'_> {
    fn module_items(&self, prefix: &str) -> Result<TokenStream, String> {
        let Some(m) = self.plan.modules.get(prefix) else {
            return Ok(TokenStream::new());
        };
        let mut out = TokenStream::new();
        for &id in &m.structs {
            if let Some(s) = self.plan.structs.get(id) {
                out.extend(self.struct_item(s)?);
            }
        }
        for child in &m.children {
            let Some(cm) = self.plan.modules.get(child) else {
                continue;
            };
            let name = ident(&cm.ident)?;
            let doc = docs(None, &cm.doc);
            let inner = self.module_items(child)?;
            let inception = cm
                .same_as_parent
                .then(|| quote!(#[allow(clippy::module_inception)]));
            out.extend(quote! {
                #doc
                #inception
                pub mod #name {
                    #inner
                }
            });
        }
        Ok(out)
    }

    fn struct_item(&self, s: &StructPlan) -> Result<TokenStream, String> {
        let krate = &self.krate;
        let name = ident(&s.ident)?;
        let doc = docs(s.comment.as_deref(), &s.doc);
        let mut sproto_args = Vec::new();
        if names::unraw(&s.ident) != s.name {
            let full = &s.name;
            sproto_args.push(quote!(name = #full));
        }
        if self.custom {
            let k = &self.krate_text;
            sproto_args.push(quote!(crate = #k));
        }
        let sproto_attr = (!sproto_args.is_empty()).then(|| quote!(#[sproto(#(#sproto_args),*)]));
        let camel =
            (!names::lint_camel_ok(&s.ident)).then(|| quote!(#[allow(non_camel_case_types)]));
        let acronym = is_acronym(&s.ident).then(|| quote!(#[allow(clippy::upper_case_acronyms)]));
        let user = user_attributes(&s.attributes)?;
        let fields = s
            .fields
            .iter()
            .map(|f| self.field(f))
            .collect::<Result<Vec<_>, _>>()?;
        Ok(quote! {
            #doc
            #[derive(Debug, Clone, PartialEq, Default, #krate::Sproto)]
            #sproto_attr
            #camel
            #acronym
            #user
            pub struct #name {
                #(#fields)*
            }
        })
    }

    fn field(&self, f: &FieldPlan) -> Result<TokenStream, String> {
        let name = ident(&f.ident)?;
        let ty = parse::<syn::Type>(&f.ty, "field type")?;
        let doc = docs(f.comment.as_deref(), &f.doc);
        let tag = proc_macro2::Literal::u16_unsuffixed(f.tag);
        let mut args = vec![quote!(tag = #tag)];
        if names::unraw(&f.ident) != f.name {
            let wire = &f.name;
            args.push(quote!(rename = #wire));
        }
        if let Some(n) = f.decimal {
            let n = proc_macro2::Literal::u16_unsuffixed(n);
            args.push(quote!(decimal = #n));
        }
        if let Some(k) = &f.key {
            args.push(quote!(key = #k));
        }
        if let Some(e) = &f.entry {
            let e = parse::<syn::Path>(e, "entry type path")?;
            args.push(quote!(entry = #e));
        }
        let snake = (!names::lint_snake_ok(&f.ident)).then(|| quote!(#[allow(non_snake_case)]));
        let user = user_attributes(&f.attributes)?;
        Ok(quote! {
            #doc
            #[sproto(#(#args),*)]
            #snake
            #user
            pub #name: #ty,
        })
    }

    fn trait_items(&self, t: &TraitPlan) -> Result<TokenStream, String> {
        let krate = &self.krate;
        let name = ident(&t.ident)?;
        let doc = docs(None, &t.doc);
        let mut args = Vec::new();
        if let Some(p) = &t.package {
            let p = parse::<syn::Path>(p, "package type path")?;
            args.push(quote!(package = #p));
        }
        if self.custom {
            let k = &self.krate_text;
            args.push(quote!(crate = #k));
        }
        let attr_args = (!args.is_empty()).then(|| quote!((#(#args),*)));
        let mut methods = Vec::new();
        for m in &t.methods {
            let mname = ident(&m.ident)?;
            let mdoc = docs(m.comment.as_deref(), &m.doc);
            let p = &m.proto;
            let tag = proc_macro2::Literal::u16_unsuffixed(p.tag);
            let mut margs = vec![quote!(tag = #tag)];
            if names::unraw(&m.ident) != p.name {
                let n = &p.name;
                margs.push(quote!(name = #n));
            }
            if p.confirm {
                margs.push(quote!(response = nil));
            }
            let request = match &p.request {
                Some(r) => {
                    let r = parse::<syn::Type>(r, "request type")?;
                    quote!(, request: #r)
                }
                None => TokenStream::new(),
            };
            let response = match &p.response {
                Some(r) => {
                    let r = parse::<syn::Type>(r, "response type")?;
                    quote!(-> #r)
                }
                None => TokenStream::new(),
            };
            methods.push(quote! {
                #mdoc
                #[sproto(#(#margs),*)]
                async fn #mname(&self #request) #response;
            });
        }
        Ok(quote! {
            #doc
            #[#krate::protocol #attr_args]
            pub trait #name {
                #(#methods)*
            }
        })
    }

    fn schema_fn(&self) -> Result<TokenStream, String> {
        let krate = &self.krate;
        let mut messages = Vec::new();
        for (_, path) in crate::plan::type_paths(self.plan) {
            let p = parse::<syn::Path>(&path, "type path")?;
            messages.push(quote!(.message::<#p>()));
        }
        let protocols = match &self.plan.protocol {
            Some(t) => {
                let proto = ident(&format!("{}Protocol", t.ident))?;
                quote!(.protocols(<#proto as #krate::rpc::ProtocolSet>::protocols()))
            }
            None => {
                let specs = self
                    .plan
                    .protocols
                    .iter()
                    .map(|p| self.spec(p))
                    .collect::<Result<Vec<_>, _>>()?;
                quote!(#(.protocol(#specs))*)
            }
        };
        Ok(quote! {
            /// The schema of this file — every type and protocol — built from the
            /// generated Rust types: its bundle is the one the reference parser makes from
            /// the `.sproto` text.
            pub fn schema() -> ::core::result::Result<#krate::Sproto, #krate::schema::BuildError> {
                #krate::schema::SchemaBuilder::new()
                    #(#messages)*
                    #protocols
                    .build()
            }
        })
    }

    fn spec(&self, p: &ProtocolPlan) -> Result<TokenStream, String> {
        let krate = &self.krate;
        let (name, tag) = (&p.name, proc_macro2::Literal::u16_unsuffixed(p.tag));
        let request = match &p.request {
            Some(r) => {
                let r = parse::<syn::Type>(r, "request type")?;
                quote!(.request::<#r>())
            }
            None => TokenStream::new(),
        };
        let response = match (&p.response, p.confirm) {
            (Some(r), _) => {
                let r = parse::<syn::Type>(r, "response type")?;
                quote!(.response::<#r>())
            }
            (None, true) => quote!(.confirm()),
            (None, false) => TokenStream::new(),
        };
        Ok(quote!(#krate::schema::ProtocolSpec::new(#name, #tag) #request #response))
    }
}

/// Whether clippy's `upper_case_acronyms` would flag `ident` (all capitals).
fn is_acronym(ident: &str) -> bool {
    let letters: Vec<char> = ident.chars().filter(|c| c.is_ascii_alphabetic()).collect();
    letters.len() > 1 && letters.iter().all(|c| c.is_ascii_uppercase())
}
