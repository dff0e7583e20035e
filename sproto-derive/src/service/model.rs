//! Reading a `#[service]` trait into a validated model: its methods, their command
//! names, arguments and returns. Every problem is reported at its span, all at once.

use std::collections::HashMap;

use syn::spanned::Spanned;
use syn::{
    Attribute, FnArg, Ident, ItemTrait, LitStr, Pat, ReturnType, TraitItem, TraitItemFn, Type,
};

use crate::internals::ctxt::Ctxt;
use crate::internals::trait_fns::check_shared_receiver;

/// One argument of a service method.
pub struct Arg {
    pub name: Ident,
    pub ty: Type,
}

/// How a method's return values travel: `()` is none, a tuple is several values,
/// anything else one value.
pub enum Returns {
    Nothing,
    One(Type),
    Many(Vec<Type>),
}

pub struct Method {
    pub ident: Ident,
    /// The command string on the wire (`skynet.pack(COMMAND, args...)`).
    pub command: String,
    /// A push (`cluster.send`): no reply is sent.
    pub push: bool,
    pub args: Vec<Arg>,
    pub returns: Returns,
}

pub struct ServiceModel {
    pub item: ItemTrait,
    pub methods: Vec<Method>,
}

const METHOD_KEYS: &str = "`command = \"NAME\"` or `push`";

/// Our method attribute: `#[skynet(command = "GET")]`, `#[skynet(push)]`.
fn method_attrs(cx: &Ctxt, attrs: &[Attribute]) -> (Option<LitStr>, bool) {
    let (mut command, mut push) = (None, false);
    for attr in attrs.iter().filter(|a| a.path().is_ident("skynet")) {
        let parsed = attr.parse_nested_meta(|meta| {
            if meta.path.is_ident("command") {
                let lit: LitStr = meta.value()?.parse()?;
                if lit.value().is_empty() {
                    cx.error_spanned_by(&lit, "a command name cannot be empty");
                }
                command = Some(lit);
                Ok(())
            } else if meta.path.is_ident("push") {
                push = true;
                Ok(())
            } else {
                Err(meta.error(format!("unknown skynet attribute; expected {METHOD_KEYS}")))
            }
        });
        if let Err(e) = parsed {
            cx.syn_error(e);
        }
    }
    (command, push)
}

fn is_ours(attr: &Attribute) -> bool {
    attr.path().is_ident("skynet")
}

impl ServiceModel {
    pub fn from_ast(cx: &Ctxt, mut item: ItemTrait) -> Option<ServiceModel> {
        if !item.generics.params.is_empty() {
            cx.error_spanned_by(
                &item.generics,
                "a service trait cannot be generic: its commands have one fixed wire form",
            );
        }
        let mut methods = Vec::new();
        let mut commands: HashMap<String, Ident> = HashMap::new();
        for ti in &item.items {
            match ti {
                TraitItem::Fn(f) => {
                    if let Some(m) = method(cx, f) {
                        if let Some(first) = commands.insert(m.command.clone(), m.ident.clone()) {
                            cx.error_spanned_by(
                                &f.sig.ident,
                                format!("command `{}` is already used by method `{first}`; give one of them #[skynet(command = \"...\")]", m.command),
                            );
                        }
                        methods.push(m);
                    }
                }
                TraitItem::Type(t) => cx.error_spanned_by(
                    t,
                    "a service trait cannot have associated types: the client and server adapters need concrete types",
                ),
                TraitItem::Const(c) => cx.error_spanned_by(c, "a service trait cannot have associated consts; use a method"),
                other => cx.error_spanned_by(other, "only async methods can be part of a service trait"),
            }
        }
        for ti in &mut item.items {
            if let TraitItem::Fn(f) = ti {
                f.attrs.retain(|a| !is_ours(a));
            }
        }
        Some(ServiceModel { item, methods })
    }
}

fn method(cx: &Ctxt, f: &TraitItemFn) -> Option<Method> {
    let sig = &f.sig;
    let (command, push) = method_attrs(cx, &f.attrs);
    let mut ok = true;
    if sig.ident == "new" {
        cx.error_spanned_by(
            &sig.ident,
            "a service method cannot be named `new`: the generated client's constructor is `new`; rename the method and keep the wire name with #[skynet(command = \"new\")]",
        );
        ok = false;
    }
    if sig.asyncness.is_none() {
        cx.error_spanned_by(
            sig.fn_token,
            format!(
                "service method `{}` must be async: write `async fn {}(...)`",
                sig.ident, sig.ident
            ),
        );
        ok = false;
    }
    if !sig.generics.params.is_empty() {
        cx.error_spanned_by(
            &sig.generics,
            "service methods cannot be generic: a command has one fixed wire form",
        );
        ok = false;
    }
    if let Some(v) = &sig.variadic {
        cx.error_spanned_by(v, "service methods cannot be variadic");
        ok = false;
    }
    if !check_shared_receiver(
        cx,
        sig,
        "service methods",
        "the server calls them concurrently (use interior mutability such as a Mutex for state)",
    ) {
        ok = false;
    }
    let inputs = sig.inputs.iter().skip(1);
    let mut args = Vec::new();
    for (i, input) in inputs.enumerate() {
        let FnArg::Typed(pt) = input else { continue };
        let name = match &*pt.pat {
            Pat::Ident(p) => p.ident.clone(),
            other => {
                cx.error_spanned_by(
                    other,
                    "service method arguments must be plain names (`key: String`)",
                );
                ok = false;
                Ident::new(&format!("arg{i}"), other.span())
            }
        };
        if let Type::Reference(r) = &*pt.ty {
            cx.error_spanned_by(r, "service method arguments are owned values (they arrive over the network): use String instead of &str, Vec<T> instead of &[T]");
            ok = false;
        }
        args.push(Arg {
            name,
            ty: (*pt.ty).clone(),
        });
    }
    let returns = match &sig.output {
        ReturnType::Default => Returns::Nothing,
        ReturnType::Type(_, ty) => match &**ty {
            Type::Tuple(t) if t.elems.is_empty() => Returns::Nothing,
            Type::Tuple(t) => Returns::Many(t.elems.iter().cloned().collect()),
            Type::Reference(r) => {
                cx.error_spanned_by(
                    r,
                    "service methods return owned values (they are sent over the network)",
                );
                ok = false;
                Returns::Nothing
            }
            other => Returns::One(other.clone()),
        },
    };
    if push && !matches!(returns, Returns::Nothing) {
        cx.error_spanned_by(
            &sig.output,
            "a push method (#[skynet(push)]) sends no reply, so it returns nothing",
        );
        ok = false;
    }
    ok.then(|| Method {
        ident: sig.ident.clone(),
        command: command.map_or_else(|| sig.ident.to_string(), |c| c.value()),
        push,
        args,
        returns,
    })
}
