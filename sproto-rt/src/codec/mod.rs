//! Dynamic encoding and decoding: [`Struct`] values against a loaded [`Sproto`](struct@crate::Sproto), the
//! `sproto:encode` / `sproto:decode` / `pencode` / `pdecode` / `default` equivalents.

mod decode;
mod encode;
mod error;

pub use error::{EncodeError, EncodeErrorKind};

use crate::error::{DecodeError, DecodeErrorKind};
use crate::pack::{pack_into, unpack};
use crate::schema::{FieldType, Shape, Sproto, TypeId};
use crate::value::{Struct, Value};
use crate::wire::Writer;

/// The nesting limit of the reference's Lua binding: the top-level struct is level 0,
/// each nested struct (or struct array element) adds one.
pub const DEFAULT_MAX_DEPTH: usize = 64;

impl Sproto {
    fn type_id_for_encode(&self, type_name: &str) -> Result<TypeId, EncodeError> {
        self.type_id(type_name)
            .ok_or_else(|| EncodeError::new(EncodeErrorKind::UnknownType(type_name.to_string())))
    }

    fn type_id_for_decode(&self, type_name: &str) -> Result<TypeId, DecodeError> {
        self.type_id(type_name)
            .ok_or_else(|| DecodeError::new(0, DecodeErrorKind::UnknownType(type_name.to_string())))
    }

    /// Encodes `value` as the type named `type_name` (`sproto:encode`).
    ///
    /// Fields of the value that the type does not declare are ignored; fields the value
    /// lacks are absent on the wire.
    ///
    /// ```
    /// use sproto_rt::{Sproto, Struct};
    ///
    /// let sp = Sproto::parse(".P { name 0 : string  age 1 : integer }").unwrap();
    /// let bytes = sp.encode("P", &Struct::new().with("name", "Ann").with("age", 30)).unwrap();
    /// assert_eq!(bytes, [2, 0, 0, 0, 62, 0, 3, 0, 0, 0, b'A', b'n', b'n']);
    /// ```
    pub fn encode(&self, type_name: &str, value: &Struct) -> Result<Vec<u8>, EncodeError> {
        let mut buf = Vec::new();
        self.encode_into(type_name, value, &mut buf)?;
        Ok(buf)
    }

    /// Appends the encoding of `value` to `buf`; returns its size. On error `buf` is
    /// left as it was.
    pub fn encode_into(
        &self,
        type_name: &str,
        value: &Struct,
        buf: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let ty = self.type_id_for_encode(type_name)?;
        self.encode_type_into(ty, value, buf)
    }

    /// [`encode_into`](Self::encode_into) by type id.
    pub fn encode_type_into(
        &self,
        ty: TypeId,
        value: &Struct,
        buf: &mut Vec<u8>,
    ) -> Result<usize, EncodeError> {
        let start = buf.len();
        let encoder = encode::Encoder {
            sp: self,
            max_depth: DEFAULT_MAX_DEPTH,
        };
        let mut w = Writer::new(std::mem::take(buf));
        let r = encoder.encode_struct(&mut w, ty, value, 0);
        *buf = w.finish();
        match r {
            Ok(()) => Ok(buf.len() - start),
            Err(e) => {
                buf.truncate(start);
                Err(e)
            }
        }
    }

    /// Decodes a message of the type named `type_name` (`sproto:decode`). Bytes after
    /// the message are ignored; [`decode_with_len`](Self::decode_with_len) tells how
    /// many were used.
    ///
    /// ```
    /// use sproto_rt::{Sproto, Value};
    ///
    /// let sp = Sproto::parse(".P { name 0 : string  age 1 : integer }").unwrap();
    /// let p = sp.decode("P", &[2, 0, 0, 0, 62, 0, 3, 0, 0, 0, b'A', b'n', b'n']).unwrap();
    /// assert_eq!(p.get("age"), Some(&Value::Integer(30)));
    /// assert!(sp.decode("P", &[2, 0, 0, 0]).is_err());
    /// ```
    pub fn decode(&self, type_name: &str, bytes: &[u8]) -> Result<Struct, DecodeError> {
        self.decode_with_len(type_name, bytes).map(|(s, _)| s)
    }

    /// Decodes a message and returns it with the number of bytes it used.
    pub fn decode_with_len(
        &self,
        type_name: &str,
        bytes: &[u8],
    ) -> Result<(Struct, usize), DecodeError> {
        let ty = self.type_id_for_decode(type_name)?;
        self.decode_type(ty, bytes)
    }

    /// [`decode_with_len`](Self::decode_with_len) by type id.
    pub fn decode_type(&self, ty: TypeId, bytes: &[u8]) -> Result<(Struct, usize), DecodeError> {
        let decoder = decode::Decoder {
            sp: self,
            max_depth: DEFAULT_MAX_DEPTH,
        };
        decoder.decode_struct(ty, bytes, 0, 0, false)
    }

    /// Encodes and 0-packs (`sproto:pencode`).
    ///
    /// ```
    /// use sproto_rt::{Sproto, Struct};
    ///
    /// let sp = Sproto::parse(".P { age 0 : integer }").unwrap();
    /// let packed = sp.pencode("P", &Struct::new().with("age", 30)).unwrap();
    /// assert_eq!(sp.pdecode("P", &packed).unwrap(), Struct::new().with("age", 30));
    /// ```
    pub fn pencode(&self, type_name: &str, value: &Struct) -> Result<Vec<u8>, EncodeError> {
        let encoded = self.encode(type_name, value)?;
        let mut out = Vec::with_capacity(encoded.len() + encoded.len() / 8 + 2);
        pack_into(&encoded, &mut out);
        Ok(out)
    }

    /// Unpacks and decodes (`sproto:pdecode`).
    pub fn pdecode(&self, type_name: &str, packed: &[u8]) -> Result<Struct, DecodeError> {
        let ty = self.type_id_for_decode(type_name)?;
        let bytes = unpack(packed)?;
        self.decode_type(ty, &bytes).map(|(s, _)| s)
    }

    /// A value of the type with every field at its default (`sproto:default`):
    /// `0` for integers, `0.0` for decimals and doubles, `false`, `""`, an empty
    /// struct for struct fields, and empty arrays and maps.
    ///
    /// ```
    /// use sproto_rt::{Sproto, Value};
    ///
    /// let sp = Sproto::parse(".P { name 0 : string  tags 1 : *string }").unwrap();
    /// let d = sp.default_value("P").unwrap();
    /// assert_eq!(d.get("name"), Some(&Value::String(String::new())));
    /// assert_eq!(d.get("tags"), Some(&Value::Array(vec![])));
    /// ```
    pub fn default_value(&self, type_name: &str) -> Option<Struct> {
        let t = self.type_by_name(type_name)?;
        let mut s = Struct::with_capacity(t.fields.len());
        for f in &t.fields {
            let v = match f.shape {
                Shape::KeyedMap { .. } | Shape::PairMap { .. } => Value::Map(Vec::new()),
                Shape::Array => Value::Array(Vec::new()),
                Shape::One => match f.ty {
                    FieldType::Integer => Value::Integer(0),
                    FieldType::Decimal(_) | FieldType::Double => Value::Double(0.0),
                    FieldType::Boolean => Value::Boolean(false),
                    FieldType::String => Value::String(String::new()),
                    FieldType::Binary => Value::Binary(Vec::new()),
                    FieldType::Struct(_) => Value::Struct(Struct::new()),
                },
            };
            s.push(f.name.clone(), v);
        }
        Some(s)
    }
}
