//! `#[service]`: a trait of async methods becomes a skynet cluster service — the
//! trait, a client stub and a server adapter — following skynet's Lua calling
//! convention (`skynet.pack(COMMAND, args...)` in, `skynet.pack(returns...)` out).

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::internals::ctxt::Ctxt;

pub fn service(args: TokenStream, item: syn::ItemTrait) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    if !args.is_empty() {
        cx.error_spanned_by(args, "#[service] takes no arguments; configure methods with #[skynet(command = \"NAME\")] or #[skynet(push)]");
    }
    let model = model::ServiceModel::from_ast(&cx, item);
    cx.check()?;
    Ok(model.map(expand::expand).unwrap_or_default())
}
