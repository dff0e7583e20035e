//! Schema → bundle bytes, slot for slot as `sprotoparser.lua` writes them.

use crate::schema::{Field, FieldType, Protocol, Sproto, Type};
use crate::wire::{BytesArrayWriter, StructEncoder};

impl Sproto {
    /// Writes the schema as a binary bundle, byte-identical to what the reference parser
    /// produces for the same schema text.
    ///
    /// ```
    /// use sproto_rt::Sproto;
    ///
    /// let sp = Sproto::parse(".A { x 0 : integer }").unwrap();
    /// let hex: String = sp.to_bundle().iter().map(|b| format!("{b:02x}")).collect();
    /// assert_eq!(hex, "0100000026000000220000000200000000000100000041130000000f000000040000000200010002000100000078");
    /// ```
    pub fn to_bundle(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.write_bundle(&mut buf);
        buf
    }

    /// Appends the bundle to `buf`.
    pub fn write_bundle(&self, buf: &mut Vec<u8>) {
        if self.types().is_empty() && self.protocols().is_empty() {
            // The reference's bundle of an empty schema: a group with no slots.
            buf.extend_from_slice(&[0, 0]);
            return;
        }
        let mut group = StructEncoder::begin(buf, 2);
        group.data_with(0, |buf| {
            let mut list = BytesArrayWriter::new(buf);
            for t in self.types() {
                list.with(|buf| write_type(buf, t));
            }
        });
        if !self.protocols().is_empty() {
            group.data_with(1, |buf| {
                let mut list = BytesArrayWriter::new(buf);
                for p in self.protocols() {
                    list.with(|buf| write_protocol(buf, p));
                }
            });
        }
        group.finish();
    }
}

fn write_type(buf: &mut Vec<u8>, t: &Type) {
    let mut rec = StructEncoder::begin(buf, 2);
    rec.bytes(0, t.name.as_bytes());
    if !t.fields.is_empty() {
        rec.data_with(1, |buf| {
            let mut list = BytesArrayWriter::new(buf);
            for f in &t.fields {
                list.with(|buf| write_field(buf, f));
            }
        });
    }
    rec.finish();
}

fn write_field(buf: &mut Vec<u8>, f: &Field) {
    let mut rec = StructEncoder::begin(buf, 7);
    rec.bytes(0, f.name.as_bytes());
    match (f.ty.builtin(), f.ty) {
        (Some(builtin), ty) => {
            rec.inline(1, builtin);
            match ty {
                FieldType::Decimal(n) => rec.inline(2, n),
                FieldType::Binary => rec.inline(2, 1),
                _ => rec.skip_one(),
            }
        }
        (None, FieldType::Struct(id)) => {
            rec.skip_one();
            rec.inline(2, id as u16);
        }
        (None, _) => rec.skip_one(),
    }
    rec.inline(3, f.tag);
    if f.array {
        rec.inline(4, 1);
    }
    match f.key {
        Some(key) => rec.inline(5, key),
        // A map flag without a key does nothing, but a loaded bundle can have one:
        // keep it, so that the schema survives a bundle round trip.
        None if f.map => rec.skip_one(),
        None => {}
    }
    if f.map {
        rec.inline(6, 1);
    }
    rec.finish();
}

fn write_protocol(buf: &mut Vec<u8>, p: &Protocol) {
    let mut rec = StructEncoder::begin(buf, 5);
    rec.bytes(0, p.name.as_bytes());
    rec.inline(1, p.tag);
    if p.request.is_some() || p.response.is_some() || p.confirm {
        match p.request {
            Some(id) => rec.inline(2, id as u16),
            None => rec.skip_one(),
        }
        match p.response {
            Some(id) => rec.inline(3, id as u16),
            None if p.confirm => rec.skip_one(),
            None => {}
        }
        // The parser never sets both a response type and `confirm`, but a loaded
        // bundle can: keep it, so that the schema survives a bundle round trip.
        if p.confirm {
            rec.inline(4, 1);
        }
    }
    rec.finish();
}
