//! What the two trait macros (`#[service]`, `#[protocol]`) do alike to a trait of
//! async methods: the `&self` receiver rule, and the rewrite of the trait so that its
//! futures are `Send` (the servers run them on a multi-threaded runtime).

use quote::quote;
use syn::{parse_quote, FnArg, ItemTrait, ReturnType, Signature, TraitItem, TypeParamBound};

use super::ctxt::Ctxt;

/// Checks that a method's first parameter is `&self`; `what` names the methods in the
/// message (`"service methods"`), `why` says why `&mut self` will not do. Returns
/// whether it is.
pub fn check_shared_receiver(cx: &Ctxt, sig: &Signature, what: &str, why: &str) -> bool {
    match sig.inputs.first() {
        Some(FnArg::Receiver(r))
            if r.reference.is_some() && r.mutability.is_none() && r.colon_token.is_none() =>
        {
            true
        }
        Some(FnArg::Receiver(r)) => {
            cx.error_spanned_by(r, format!("{what} take `&self`: {why}"));
            false
        }
        _ => {
            cx.error_spanned_by(
                &sig.ident,
                format!("{what} take `&self` as their first parameter"),
            );
            false
        }
    }
}

/// `async fn f(&self, ..) -> T` becomes `fn f(&self, ..) -> impl Future<Output = T> +
/// Send` (default bodies become `async move` blocks), and the trait gets the
/// supertraits `Send + Sync + 'static`.
pub fn make_send_async_trait(item: &mut ItemTrait) {
    let bounds: [TypeParamBound; 3] = [
        parse_quote!(::core::marker::Send),
        parse_quote!(::core::marker::Sync),
        parse_quote!('static),
    ];
    item.supertraits.extend(bounds);
    if item.colon_token.is_none() {
        item.colon_token = Some(Default::default());
    }
    for ti in &mut item.items {
        let TraitItem::Fn(f) = ti else { continue };
        let output = match &f.sig.output {
            ReturnType::Default => quote!(()),
            ReturnType::Type(_, ty) => quote!(#ty),
        };
        f.sig.asyncness = None;
        f.sig.output =
            parse_quote!(-> impl ::core::future::Future<Output = #output> + ::core::marker::Send);
        if let Some(body) = f.default.take() {
            f.default = Some(parse_quote!({ async move #body }));
        }
    }
}
