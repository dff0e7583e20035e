//! # sproto-build
//!
//! Rust code from `.sproto` schema files, the way `prost-build` makes it from
//! `.proto` files: point `build.rs` at the schemas, `include!` the result, and use
//! typed `#[derive(Sproto)]` structs and typed protocol traits whose wire form and
//! schema are byte-identical to the reference implementation's.
//!
//! ```toml
//! [dependencies]
//! sproto-rt = "0.1"            # the only runtime dependency (default features)
//!
//! [build-dependencies]
//! sproto-build = "0.1"
//! ```
//!
//! ```no_run
//! // build.rs
//! fn main() -> Result<(), sproto_build::Error> {
//!     sproto_build::compile(&["proto/game.sproto"], &["proto/"])
//! }
//! ```
//!
//! ```ignore
//! // src/lib.rs: the file is OUT_DIR/game.rs, named after the first input
//! pub mod game {
//!     sproto_rt::include_sproto!("game"); // = include!(concat!(env!("OUT_DIR"), "/game.rs"));
//! }
//! ```
//!
//! `sproto gen rust FILE... [-o OUT.rs]` prints or writes the same code, to check it
//! in instead. A schema with an error fails the build with the `file:line:column:
//! message` lines of `sproto check`.
//!
//! ## What is generated
//!
//! For this schema (`game.sproto`):
//!
//! ```text
//! # A player.
//! .Person {
//!     name 0 : string
//!     .PhoneNumber { number 0 : string  type 1 : integer }
//!     phone 1 : *PhoneNumber
//! }
//! .Book { person 0 : *Person(name) }
//! get 1 { request { name 0 : string }  response Person }
//! ```
//!
//! the file holds (docs shortened):
//!
//! ```ignore
//! /// A player.
//! #[derive(Debug, Clone, PartialEq, Default, ::sproto_rt::Sproto)]
//! pub struct Person {
//!     /// `name 0 : string`
//!     #[sproto(tag = 0)]
//!     pub name: Option<String>,
//!     /// `phone 1 : *Person.PhoneNumber`
//!     #[sproto(tag = 1)]
//!     pub phone: Option<Vec<person::PhoneNumber>>,
//! }
//! pub struct Book { #[sproto(tag = 0, key = "name")] pub person: Option<BTreeMap<String, Person>> }
//! pub mod person {              // types nested in Person
//!     #[sproto(name = "Person.PhoneNumber")]
//!     pub struct PhoneNumber {
//!         #[sproto(tag = 0)] pub number: Option<String>,
//!         #[sproto(tag = 1)] pub r#type: Option<i64>,
//!     }
//! }
//! pub mod get {                 // the protocol's inline types
//!     #[sproto(name = "get.request")]
//!     pub struct Request { #[sproto(tag = 0)] pub name: Option<String> }
//! }
//! /// The protocols of `game.sproto`...
//! #[::sproto_rt::protocol]
//! pub trait Game {
//!     #[sproto(tag = 1)]
//!     async fn get(&self, request: get::Request) -> Person;
//! }
//! /// The schema of this file, built from the generated types.
//! pub fn schema() -> Result<sproto_rt::Sproto, sproto_rt::schema::BuildError> { ... }
//! ```
//!
//! - **Structs**: one per type, deriving `Debug, Clone, PartialEq, Default` and
//!   `sproto_rt::Sproto`. Every field is an `Option`: sproto fields may be absent (nil
//!   in Lua), and a decoded message re-encodes to the same bytes.
//! - **Modules**: a type nested in `Outer` lives in the module `outer` (`Outer.Inner` →
//!   `outer::Inner`); the inline `request`/`response` types of protocol `p` are
//!   `p::Request` / `p::Response` (`#[sproto(name = "p.request")]`), and types nested in
//!   them are in `p::request`.
//! - **Protocols**: a `#[sproto_rt::protocol]` trait named after the first input file
//!   (`c2s.sproto` → `C2s`, see [`Config::protocol_trait_name`]), one `async fn` per
//!   protocol: an argument `request: T` when the protocol has a request type, a return
//!   type when it has a response type, `response = nil` for `response nil`. The macro
//!   makes `C2sClient<C>`, `C2sServer<T>` and `C2sProtocol`. When the schema defines a
//!   type named `package`, it is the trait's package (header) type.
//! - **`schema()`**: the whole file's schema — every type and protocol — built from the
//!   generated types through `sproto_rt::schema::SchemaBuilder` (never from embedded
//!   text): its bundle equals the one `sprotoparser` makes from the files, which is what
//!   proves the types right.
//! - **Docs**: the `#` comments written directly above a type, field or protocol (or
//!   after it on its line) become its rustdoc, escaped so that rustdoc shows them as
//!   written (see [`sproto_rt::text::SchemaDocs`]); every field's doc also shows its
//!   schema declaration.
//!
//! The code compiles as a module of a crate that depends only on `sproto-rt` (default
//! features), with no warnings under `clippy -D warnings`; the [`Config::bytes`] option
//! also needs the `bytes` crate. Calling protocols over TCP takes `sproto-rt`'s `net`
//! feature (tokio).
//!
//! ## Types
//!
//! | sproto | Rust |
//! | --- | --- |
//! | `integer` | `i64` |
//! | `integer(N)` | `f64` with `#[sproto(decimal = N)]` |
//! | `double` | `f64` |
//! | `boolean` | `bool` |
//! | `string` | `String` (decoding checks UTF-8) |
//! | `binary` | `Vec<u8>`, or `bytes::Bytes` ([`Config::bytes`]) |
//! | `T` | the struct (`Box<T>` when `T` contains itself, directly or not) |
//! | `*T` | `Vec<T>` |
//! | `*T(key)` | `BTreeMap<K, T>` with `key = "key"` (`HashMap`: [`Config::hash_map`]), `K` the key field's type |
//! | `*T()` | `BTreeMap<K, V>` with `entry = T`: `T`'s first field is the key, its second the value |
//!
//! All wrapped in `Option`. A map whose key is a `double`, a decimal or an array (the
//! reference accepts them) cannot be a Rust map: it is a `Vec<T>` of the entries in
//! wire order, with the same attribute, so the schema still says `*T(key)` / `*T()`.
//! So is a `*T()` whose value field is itself a map.
//!
//! ## Naming
//!
//! Types become `UpperCamelCase` (`get_item` → `GetItem`); modules, fields and methods
//! `snake_case` (`PhoneNumber` → `phone_number`). A name already in that case stays
//! as it is (`KV` stays `KV`). The wire name is kept with `rename` / `name` whenever
//! the Rust name differs. Rust keywords become raw identifiers (`type` → `r#type`);
//! `self`, `Self`, `super`, `crate` and `_`, which cannot be raw, get a trailing `_`.
//!
//! When names of one Rust scope (a module's types and child modules, a struct's
//! fields, a trait's methods) convert to the same identifier — `A` and `a`, `a_b` and
//! `AB`, a protocol `Login` next to `login` — the name already spelled that way (a
//! keyword: escaped that way, `self` → `self_`) keeps it (otherwise the smallest in byte
//! order does); the others, in byte order, fall
//! back: a type keeps its sproto spelling (`a`, with `#[allow(non_camel_case_types)]`),
//! anything else its converted name; then `_` is appended until the identifier is
//! free (`login_`). Primitive type names (`i64`...) are never used for types or
//! modules. The protocol trait's methods also avoid the client stub's `new` and
//! `caller` and its `push_…` senders. The same schema always gives the same names.
//!
//! The trait and its `…Client`, `…Server` and `…Protocol` take names next to the
//! root's types: when one is taken, `Rpc` is appended to the default name (`C2sRpc`).
//!
//! ## Options
//!
//! [`Config`] has what prost-build users rely on: [`type_attribute`](Config::type_attribute),
//! [`field_attribute`](Config::field_attribute), [`btree_map`](Config::btree_map) /
//! [`hash_map`](Config::hash_map), [`bytes`](Config::bytes),
//! [`out_dir`](Config::out_dir), [`out_file_name`](Config::out_file_name),
//! [`runtime_crate`](Config::runtime_crate), [`disable_comments`](Config::disable_comments),
//! plus [`protocol_trait_name`](Config::protocol_trait_name) and
//! [`protocols`](Config::protocols).
#![warn(missing_docs)]
#![forbid(unsafe_code)]

mod config;
mod emit;
mod error;
mod names;
mod plan;
mod rustdoc;

pub use config::{Config, Generated, MapType};
pub use error::Error;

/// [`Config::compile`] with the default options: `files` (one schema) to
/// `OUT_DIR/<first file's stem>.rs`.
///
/// ```no_run
/// // build.rs
/// fn main() -> Result<(), sproto_build::Error> {
///     sproto_build::compile(&["c2s.sproto"], &["proto"])
/// }
/// ```
pub fn compile(
    files: &[impl AsRef<std::path::Path>],
    includes: &[impl AsRef<std::path::Path>],
) -> Result<(), Error> {
    Config::new().compile(files, includes)
}
