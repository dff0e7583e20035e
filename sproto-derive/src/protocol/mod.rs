//! `#[protocol]`: a trait of async methods, one per sproto protocol, becomes the
//! trait, a client stub, a server adapter and the protocols' schema description.

mod expand;
mod model;

use proc_macro2::TokenStream;

use crate::internals::ctxt::Ctxt;

pub fn protocol(args: TokenStream, item: syn::ItemTrait) -> syn::Result<TokenStream> {
    let cx = Ctxt::new();
    let options = model::Options::parse(&cx, args);
    let model = model::ProtocolModel::from_ast(&cx, item, options);
    cx.check()?;
    Ok(model.map(expand::expand).unwrap_or_default())
}
