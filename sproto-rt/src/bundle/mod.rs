//! Binary schema bundles: the format `sprotoparser.lua` writes and `sproto_create` loads.
//!
//! A bundle is itself a sproto message of a fixed meta-schema:
//!
//! ```text
//! .type     { name 0 : string  fields 1 : *field }
//! .field    { name 0 : string  buildin 1 : integer  type 2 : integer  tag 3 : integer
//!             array 4 : boolean  key 5 : integer  map 6 : boolean }
//! .protocol { name 0 : string  tag 1 : integer  request 2 : integer  response 3 : integer
//!             confirm 4 : boolean }
//! .group    { type 0 : *type  protocol 1 : *protocol }
//! ```

mod reader;
mod writer;
