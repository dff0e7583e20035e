//! Procedural macros for [`sproto-rt`](https://docs.rs/sproto-rt): `#[derive(Sproto)]`
//! makes a Rust struct a sproto type with a static codec and a schema description.
//!
//! Use them through `sproto_rt`, which re-exports them:
//!
//! ```ignore
//! use sproto_rt::{Message, Sproto};
//!
//! #[derive(Sproto, Debug, Default, PartialEq)]
//! #[sproto(name = "Person.PhoneNumber")]
//! struct PhoneNumber {
//!     #[sproto(tag = 0)]
//!     number: String,
//!     #[sproto(tag = 1, rename = "type")]
//!     kind: i64,
//! }
//! ```
#![warn(missing_docs)]

mod internals;
mod message;
mod protocol;
mod service;

use proc_macro::TokenStream;
use syn::{parse_macro_input, DeriveInput};

use internals::ast::Container;
use internals::ctxt::Ctxt;

/// Derives `sproto_rt::Message` (and the traits that let the type be a field, an array
/// element, a map value or a map entry of other sproto types).
///
/// Container attribute: `#[sproto(name = "Outer.Inner")]` (the sproto type name;
/// default: the Rust name). Field attributes: `tag = N` (required), `rename = "name"`,
/// `skip`, `decimal = N` (f64 → `integer(N)`), `key = "field"` (a map of derived
/// structs keyed by their field: `*V(field)`), `entry = Entry` (a map written as
/// two-field `Entry` structs: `*Entry()`).
#[proc_macro_derive(Sproto, attributes(sproto))]
pub fn derive_sproto(input: TokenStream) -> TokenStream {
    let input = parse_macro_input!(input as DeriveInput);
    let cx = Ctxt::new();
    let container = Container::from_ast(&cx, &input);
    match (cx.check(), container) {
        (Ok(()), Some(c)) => message::expand(&c).into(),
        (Err(e), _) => e.to_compile_error().into(),
        (Ok(()), None) => TokenStream::new(),
    }
}

/// Expands to the largest inline slot value these macros accept for tags and
/// precisions, as a `u16` literal: `sproto_rt` asserts at compile time that it equals
/// `sproto_rt::wire::MAX_INLINE`.
#[doc(hidden)]
#[proc_macro]
pub fn __max_inline(_input: TokenStream) -> TokenStream {
    let v = proc_macro2::Literal::u16_suffixed(internals::attr::MAX_INLINE);
    quote::quote!(#v).into()
}

/// Makes a trait of async methods a skynet cluster service (re-exported as
/// `skynet_cluster::service`).
///
/// Generates, next to the trait (whose `async fn`s become `Send` futures):
/// `{Trait}Client` — `new(node, remote_node, address)`, one `async` method per command
/// returning `Result<T, CallError>` — and `{Trait}Server<T>` — `new(impl)`, a
/// `skynet_cluster::Service` to register on a node. Requests are
/// `skynet.pack(COMMAND, args...)`, replies `skynet.pack(returns...)`: a Lua service
/// written with `skynet.dispatch("lua", ...)` and `skynet.ret(skynet.pack(...))` calls
/// and serves the same bytes. Method attributes: `#[skynet(command = "GET")]` (the
/// command name; default: the method name), `#[skynet(push)]` (sent with
/// `cluster.send`, no reply).
#[proc_macro_attribute]
pub fn service(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemTrait);
    match service::service(args.into(), item) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}

/// Makes a trait of async methods a set of sproto protocols (re-exported as
/// `sproto_rt::protocol`).
///
/// Each method is one protocol: `#[sproto(tag = N)]` (required), its one optional
/// argument the request message, its return type the response message (a type
/// deriving `Sproto`). A method returning nothing declares no response type: a request
/// with a session still gets a header-only answer. `#[sproto(response = nil)]` declares
/// `response nil` (the same on the wire). `#[sproto(name = "proto")]` sets the
/// protocol's name (default: the method's).
///
/// Generates, next to the trait (whose `async fn`s become `Send` futures):
/// `{Trait}Protocol` (implements `sproto_rt::rpc::ProtocolSet`: the protocols and the
/// schema), `{Trait}Client<C>` (`new(caller)`, one async method per protocol returning
/// `Result<Response, CallError>`, and `push_{method}` for protocols without a response
/// type, sent without a session) and `{Trait}Server<T>` (`new(impl)`, a
/// `sproto_rt::rpc::Handler`). Options: `#[protocol(package = Type)]` (the header type;
/// default `sproto_rt::rpc::Package`), `#[protocol(crate = "path")]`.
#[proc_macro_attribute]
pub fn protocol(args: TokenStream, input: TokenStream) -> TokenStream {
    let item = parse_macro_input!(input as syn::ItemTrait);
    match protocol::protocol(args.into(), item) {
        Ok(tokens) => tokens.into(),
        Err(e) => e.to_compile_error().into(),
    }
}
