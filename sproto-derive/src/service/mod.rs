//! `#[service]`: a trait of async methods becomes a skynet cluster service — the
//! trait, a client stub and a server adapter — following skynet's Lua calling
//! convention (`skynet.pack(COMMAND, args...)` in, `skynet.pack(returns...)` out).

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::internals::ctxt::Ctxt;

pub fn service(args: TokenStream, item: syn::ItemTrait) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let krate = crate_path(&cx, args);
    let model = model::ServiceModel::from_ast(&cx, item);
    cx.check()?;
    Ok(model.map(|m| expand::expand(m, &krate)).unwrap_or_default())
}

/// `#[service(crate = "path")]`: where `skynet_cluster` is (default `::skynet_cluster`),
/// for crates that re-export it.
fn crate_path(cx: &Ctxt, args: TokenStream) -> syn::Path {
    use syn::parse::Parser;
    let mut krate: syn::Path = syn::parse_quote!(::skynet_cluster);
    let parser = syn::meta::parser(|meta| {
        if meta.path.is_ident("crate") {
            let lit: syn::LitStr = meta.value()?.parse()?;
            krate = lit.parse()?;
            Ok(())
        } else {
            Err(meta.error("unknown #[service] option; expected `crate = \"path\"` (methods are configured with #[skynet(command = \"NAME\")] or #[skynet(push)])"))
        }
    });
    if let Err(e) = parser.parse2(args) {
        cx.syn_error(e);
    }
    krate
}
