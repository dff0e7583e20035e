//! # sproto-rt
//!
//! [sproto](https://github.com/cloudwu/sproto) — the schema-first serialization of the
//! skynet game-server framework — for Rust, byte-exact with the reference C/Lua code:
//!
//! - schema text → [`Sproto`](struct@crate::Sproto) ([`Sproto::parse`]), with located errors;
//! - [`Sproto`](struct@crate::Sproto) ⇄ binary bundle ([`Sproto::to_bundle`], [`Sproto::from_bundle`]), the
//!   files `sprotoparser.lua` writes and `sproto_create` loads;
//! - [`Sproto::dump`], the reference's `sproto_dump` listing.
//!
//! ```
//! use sproto_rt::Sproto;
//!
//! let sp = Sproto::parse(r#"
//!     .Person {
//!         name 0 : string
//!         id 1 : integer
//!         .PhoneNumber { number 0 : string  type 1 : integer }
//!         phone 3 : *PhoneNumber
//!     }
//!     .AddressBook { person 0 : *Person(id) }
//! "#).unwrap();
//! let bundle = sp.to_bundle().unwrap();
//! assert_eq!(Sproto::from_bundle(&bundle).unwrap(), sp);
//! ```
#![warn(missing_docs)]

pub mod bundle;
pub mod codec;
#[doc(hidden)]
pub mod derive;
mod error;
mod field_name;
pub mod gate;
mod include;
#[cfg(feature = "json")]
pub mod json;
mod message;
#[cfg(feature = "net")]
pub mod net;
mod pack;
pub mod rpc;
pub mod schema;
pub mod text;
mod unchecked;
mod value;
pub mod wire;

pub use codec::{EncodeError, EncodeErrorKind};
pub use derive::{ArrayRef, ArrayRefIter};
pub use error::{BundleProblem, DecodeError, DecodeErrorKind, FieldProblem};
pub use field_name::FieldName;
pub use message::{Message, MessageRef};
pub use pack::{pack, pack_into, unpack, unpack_into, unpack_limited};
#[doc(hidden)]
pub use pack::{pack_into_portable, unpack_into_portable};
pub use schema::{Field, FieldType, InvalidSchema, Protocol, Shape, Sproto, Type, TypeId};
#[cfg(feature = "derive")]
pub use sproto_derive::protocol;
#[cfg(feature = "derive")]
pub use sproto_derive::Sproto;
pub use text::{Diagnostic, Location, SchemaError, SchemaErrorKind};
pub use value::{Struct, Value};
