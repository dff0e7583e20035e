//! Support for `#[derive(Sproto)]`: the per-kind encoders and decoders the generated
//! code calls (one implementation of the wire rules, shared with the dynamic codec
//! through [`crate::wire`]). Not meant to be used directly.

mod decimal;
mod element;
mod field;
mod map;

pub use decimal::DecimalField;
pub use element::{decode_struct_array, encode_struct_array, Element};
pub use field::{decode_struct_field, encode_struct_field, Field, FieldDefault};
pub use map::{
    decode_keyed_map, decode_pair_map, encode_keyed_map, encode_pair_map, missing_pair_part,
    KeyField, MapKey, PairEntry,
};

pub use crate::message::check_depth;
pub use crate::schema::{FieldDesc, SchemaBuilder, Shape, TypeRef};
pub use crate::wire::{SlotValue, StructEncoder, StructView};
pub use crate::{DecodeError, FieldProblem, FieldType};
