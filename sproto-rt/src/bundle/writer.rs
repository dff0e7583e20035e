//! Schema → bundle bytes, slot for slot as `sprotoparser.lua` writes them.

use crate::schema::{Field, FieldType, InvalidSchema, Protocol, Shape, Sproto, Type, TypeId};
use crate::wire::{InlineValue, StructWriter, Writer};

impl Sproto {
    /// Writes the schema as a binary bundle, byte-identical to what the reference parser
    /// produces for the same schema text.
    ///
    /// A bundle stores type ids in inline slots, so a field or protocol that refers to
    /// a type with an id above [`MAX_INLINE`](crate::wire::MAX_INLINE) (a schema of
    /// more than 32767 types, which schema text cannot have but
    /// [`Sproto::from_parts`] and [`SchemaBuilder`](crate::schema::SchemaBuilder) can
    /// build) is an error.
    ///
    /// ```
    /// use sproto_rt::Sproto;
    ///
    /// let sp = Sproto::parse(".A { x 0 : integer }").unwrap();
    /// let hex: String = sp.to_bundle().unwrap().iter().map(|b| format!("{b:02x}")).collect();
    /// assert_eq!(hex, "0100000026000000220000000200000000000100000041130000000f000000040000000200010002000100000078");
    /// ```
    pub fn to_bundle(&self) -> Result<Vec<u8>, InvalidSchema> {
        let mut buf = Vec::new();
        self.write_bundle(&mut buf)?;
        Ok(buf)
    }

    /// Appends the bundle to `buf`; on error `buf` is left as it was.
    pub fn write_bundle(&self, buf: &mut Vec<u8>) -> Result<(), InvalidSchema> {
        let start = buf.len();
        let r = self.write_bundle_inner(buf);
        if r.is_err() {
            buf.truncate(start);
        }
        r
    }

    fn write_bundle_inner(&self, buf: &mut Vec<u8>) -> Result<(), InvalidSchema> {
        let mut w = Writer::new(std::mem::take(buf));
        let r = self.write_group(&mut w);
        *buf = w.finish();
        r
    }

    fn write_group(&self, w: &mut Writer) -> Result<(), InvalidSchema> {
        if self.types().is_empty() && self.protocols().is_empty() {
            // The reference's bundle of an empty schema: a group with no slots.
            w.put(&[0, 0]);
            return Ok(());
        }
        let mut group = StructWriter::begin(w, 2);
        group.data_with(0, |w| {
            self.types()
                .iter()
                .try_for_each(|t| w.block(|w| write_type(w, t)))
        })?;
        if !self.protocols().is_empty() {
            group.data_with(1, |w| {
                self.protocols()
                    .iter()
                    .try_for_each(|p| w.block(|w| write_protocol(w, p)))
            })?;
        }
        group.finish();
        Ok(())
    }
}

/// A number for an inline slot; `what` and `owner` name it in the error.
fn inline(
    value: usize,
    what: &'static str,
    owner: impl FnOnce() -> String,
) -> Result<InlineValue, InvalidSchema> {
    InlineValue::try_from(value).map_err(|e| InvalidSchema::TooLarge {
        what,
        owner: owner(),
        value: e.0,
    })
}

fn type_id(id: TypeId, owner: impl FnOnce() -> String) -> Result<InlineValue, InvalidSchema> {
    inline(id, "type id", owner)
}

const ONE: InlineValue = InlineValue::small(1);

fn write_type(w: &mut Writer, t: &Type) -> Result<(), InvalidSchema> {
    let mut rec = StructWriter::begin(w, 2);
    rec.bytes(0, t.name.as_bytes());
    if !t.fields.is_empty() {
        rec.data_with(1, |w| {
            t.fields
                .iter()
                .try_for_each(|f| w.block(|w| write_field(w, t, f)))
        })?;
    }
    rec.finish();
    Ok(())
}

/// A field record: the shape becomes the bundle's three flags, `array` (slot 4),
/// `key` (slot 5) and `map` (slot 6).
fn write_field(w: &mut Writer, t: &Type, f: &Field) -> Result<(), InvalidSchema> {
    let owner = || format!("field {} of {}", f.name, t.name);
    let mut rec = StructWriter::begin(w, 7);
    rec.bytes(0, f.name.as_bytes());
    match f.ty {
        FieldType::Struct(id) => {
            rec.skip_one();
            rec.inline(2, type_id(id, owner)?);
        }
        ty => {
            // Every other type is a builtin (0..=3).
            let builtin = ty.builtin().unwrap_or_default();
            rec.inline(1, inline(usize::from(builtin), "builtin", owner)?);
            match ty {
                FieldType::Decimal(n) => rec.inline(2, inline(usize::from(n), "precision", owner)?),
                FieldType::Binary => rec.inline(2, ONE),
                _ => rec.skip_one(),
            }
        }
    }
    rec.inline(3, inline(usize::from(f.tag), "tag", owner)?);
    if f.shape.is_array() {
        rec.inline(4, ONE);
    }
    if let Some(key) = f.shape.map_key() {
        rec.inline(5, inline(usize::from(key), "key tag", owner)?);
    }
    if let Shape::PairMap { .. } = f.shape {
        rec.inline(6, ONE);
    }
    rec.finish();
    Ok(())
}

fn write_protocol(w: &mut Writer, p: &Protocol) -> Result<(), InvalidSchema> {
    let owner = || format!("protocol {}", p.name);
    let mut rec = StructWriter::begin(w, 5);
    rec.bytes(0, p.name.as_bytes());
    rec.inline(1, inline(usize::from(p.tag), "tag", owner)?);
    if p.request.is_some() || p.response.is_some() || p.confirm {
        match p.request {
            Some(id) => rec.inline(2, type_id(id, owner)?),
            None => rec.skip_one(),
        }
        match p.response {
            Some(id) => rec.inline(3, type_id(id, owner)?),
            None if p.confirm => rec.skip_one(),
            None => {}
        }
        // The parser never sets both a response type and `confirm`, but a loaded
        // bundle can: keep it, so that the schema survives a bundle round trip.
        if p.confirm {
            rec.inline(4, ONE);
        }
    }
    rec.finish();
    Ok(())
}
