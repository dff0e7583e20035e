//! The dynamic encoder: a [`Struct`] driven by a loaded schema, written through the
//! shared wire core.

use super::error::{EncodeError, EncodeErrorKind};
use crate::schema::{Field, FieldType, Shape, Sproto, TypeId};
use crate::value::{Struct, Value};
use crate::wire::{decimal_to_wire, StructWriter, Writer};

pub(crate) struct Encoder<'s> {
    pub sp: &'s Sproto,
    pub max_depth: usize,
}

type Result<T> = std::result::Result<T, EncodeError>;

/// An integer field's value: integers, and doubles with an integral value (as Lua
/// converts them).
#[inline]
fn to_int(v: &Value) -> Result<i64> {
    match v {
        Value::Integer(i) => Ok(*i),
        Value::Double(f) => {
            // Exactly the floats Lua's `lua_tointegerx` converts.
            if f.fract() == 0.0 && *f >= -9.223_372_036_854_776e18 && *f < 9.223_372_036_854_776e18
            {
                Ok(*f as i64)
            } else {
                Err(EncodeError::new(EncodeErrorKind::NotAnInteger(
                    f.to_string(),
                )))
            }
        }
        other => Err(EncodeError::mismatch("an integer", other.kind())),
    }
}

/// A double or decimal field's value: any number.
fn to_number(v: &Value) -> Result<f64> {
    match v {
        Value::Double(f) => Ok(*f),
        Value::Integer(i) => Ok(*i as f64),
        other => Err(EncodeError::mismatch("a number", other.kind())),
    }
}

fn to_bool(v: &Value) -> Result<bool> {
    match v {
        Value::Boolean(b) => Ok(*b),
        other => Err(EncodeError::mismatch("a boolean", other.kind())),
    }
}

fn to_bytes(v: &Value) -> Result<&[u8]> {
    v.as_bytes()
        .ok_or_else(|| EncodeError::mismatch("a string", v.kind()))
}

fn to_struct(v: &Value) -> Result<&Struct> {
    v.as_struct()
        .ok_or_else(|| EncodeError::mismatch("a struct", v.kind()))
}

#[inline(always)]
fn is_pair_map(f: &Field) -> bool {
    matches!(f.shape, Shape::PairMap { .. })
}

fn check_len(len: usize) -> Result<()> {
    if u32::try_from(len).is_err() {
        return Err(EncodeError::new(EncodeErrorKind::TooLarge(len)));
    }
    Ok(())
}

impl Encoder<'_> {
    pub fn encode_struct(
        &self,
        w: &mut Writer,
        ty: TypeId,
        value: &Struct,
        depth: usize,
    ) -> Result<()> {
        let Some((t, slots)) = self.sp.type_with_slots(ty) else {
            return Err(EncodeError::new(EncodeErrorKind::UnknownType(format!(
                "#{ty}"
            ))));
        };
        // As the reference: a struct at the depth limit fails as soon as its type has
        // any field, present or not.
        if depth >= self.max_depth && !t.fields.is_empty() {
            return Err(EncodeError::new(EncodeErrorKind::TooDeep {
                limit: self.max_depth,
            }));
        }
        let mut st = StructWriter::begin(w, slots);
        let mut hint = 0;
        for f in &t.fields {
            let Some(v) = value.get_from(&f.name, &mut hint) else {
                continue;
            };
            // The common field kinds inline, everything else (and every error) out of
            // line, so that the struct encoder's state stays in registers.
            let r = match (f.shape, f.ty, v) {
                (Shape::One, FieldType::Integer, Value::Integer(i)) => {
                    st.int(f.tag, *i);
                    Ok(())
                }
                (Shape::One, FieldType::String | FieldType::Binary, Value::String(s))
                    if u32::try_from(s.len()).is_ok() =>
                {
                    st.bytes(f.tag, s.as_bytes());
                    Ok(())
                }
                (Shape::One, FieldType::String | FieldType::Binary, Value::Binary(b))
                    if u32::try_from(b.len()).is_ok() =>
                {
                    st.bytes(f.tag, b);
                    Ok(())
                }
                (Shape::One, FieldType::Struct(id), Value::Struct(s)) => {
                    st.data_with(f.tag, |w| self.encode_struct(w, id, s, depth + 1))
                }
                (Shape::Array, FieldType::Struct(id), Value::Array(items)) => {
                    st.data_with(f.tag, |w| self.encode_struct_array(w, id, items, depth))
                }
                _ => self.encode_field(&mut st, f, v, depth),
            };
            r.map_err(|e| e.within(&f.name))?;
        }
        st.finish();
        Ok(())
    }

    #[inline(never)]
    fn encode_field(
        &self,
        st: &mut StructWriter<'_>,
        f: &Field,
        v: &Value,
        depth: usize,
    ) -> Result<()> {
        if f.shape.is_array() {
            return st.data_with(f.tag, |w| self.encode_array(w, f, v, depth));
        }
        match f.ty {
            FieldType::Integer => st.int(f.tag, to_int(v)?),
            FieldType::Decimal(n) => st.int(f.tag, decimal_to_wire(to_number(v)?, n)),
            FieldType::Boolean => st.bool(f.tag, to_bool(v)?),
            FieldType::Double => st.double(f.tag, to_number(v)?),
            FieldType::String | FieldType::Binary => {
                let b = to_bytes(v)?;
                check_len(b.len())?;
                st.bytes(f.tag, b)
            }
            FieldType::Struct(id) => {
                let s = to_struct(v)?;
                st.data_with(f.tag, |w| self.encode_struct(w, id, s, depth + 1))?
            }
        }
        Ok(())
    }

    fn encode_array(&self, w: &mut Writer, f: &Field, v: &Value, depth: usize) -> Result<()> {
        let start = w.pos();
        // The map shapes are on struct types only (`Sproto`'s invariant).
        if let (FieldType::Struct(id), Some(key)) = (f.ty, f.shape.map_key()) {
            match v {
                Value::Map(entries) => self.encode_map(w, f, id, key, entries, depth)?,
                Value::Array(items) if !is_pair_map(f) => {
                    self.encode_structs(w, id, items, depth)?
                }
                Value::Array(items) => {
                    // A Lua array given for a `*T()` map: keys are the indexes 1..n.
                    let entries: Vec<(Value, Value)> = items
                        .iter()
                        .enumerate()
                        .map(|(i, v)| (Value::Integer(i as i64 + 1), v.clone()))
                        .collect();
                    self.encode_map(w, f, id, key, &entries, depth)?
                }
                other => return Err(EncodeError::mismatch("a map", other.kind())),
            }
            return check_len(w.pos() - start);
        }
        let items = match v {
            Value::Array(items) => items,
            other => return Err(EncodeError::mismatch("an array", other.kind())),
        };
        let at = |i: usize, e: EncodeError| e.within(format!("[{}]", i + 1));
        match f.ty {
            FieldType::Integer | FieldType::Decimal(_) => {
                let decimal = f.decimal_precision();
                let convert = |v: &Value| match decimal {
                    Some(n) => to_number(v).map(|x| decimal_to_wire(x, n)),
                    None => to_int(v),
                };
                for (i, v) in items.iter().enumerate() {
                    convert(v).map_err(|e| at(i, e))?;
                }
                w.int_array(items.iter().map(|v| convert(v).unwrap_or_default()));
            }
            FieldType::Boolean => {
                for (i, v) in items.iter().enumerate() {
                    to_bool(v).map_err(|e| at(i, e))?;
                }
                w.bool_array(items.iter().map(|v| to_bool(v).unwrap_or_default()));
            }
            FieldType::Double => {
                for (i, v) in items.iter().enumerate() {
                    to_number(v).map_err(|e| at(i, e))?;
                }
                w.double_array(items.iter().map(|v| to_number(v).unwrap_or_default()));
            }
            FieldType::String | FieldType::Binary => {
                for (i, v) in items.iter().enumerate() {
                    let b = to_bytes(v).map_err(|e| at(i, e))?;
                    check_len(b.len())?;
                    w.put_block(b);
                }
            }
            FieldType::Struct(id) => self.encode_structs(w, id, items, depth)?,
        }
        check_len(w.pos() - start)
    }

    /// A `*T` field of structs: the elements, then the block-size check.
    #[inline(never)]
    fn encode_struct_array(
        &self,
        w: &mut Writer,
        id: TypeId,
        items: &[Value],
        depth: usize,
    ) -> Result<()> {
        let start = w.pos();
        self.encode_structs(w, id, items, depth)?;
        check_len(w.pos() - start)
    }

    fn encode_structs(
        &self,
        w: &mut Writer,
        id: TypeId,
        items: &[Value],
        depth: usize,
    ) -> Result<()> {
        for (i, v) in items.iter().enumerate() {
            let s = to_struct(v).map_err(|e| e.within(format!("[{}]", i + 1)))?;
            w.block(|w| self.encode_struct(w, id, s, depth + 1))
                .map_err(|e| e.within(format!("[{}]", i + 1)))?;
        }
        Ok(())
    }

    /// `*T(key)`: each entry's value is the whole struct (the map key is not written:
    /// decoding takes it from the key field). `*T()`: each entry becomes a struct
    /// `T { key field = key, other field = value }`.
    fn encode_map(
        &self,
        w: &mut Writer,
        f: &Field,
        id: TypeId,
        key: u16,
        entries: &[(Value, Value)],
        depth: usize,
    ) -> Result<()> {
        if !is_pair_map(f) {
            for (i, (_, v)) in entries.iter().enumerate() {
                let s = to_struct(v).map_err(|e| e.within(format!("[{}]", i + 1)))?;
                w.block(|w| self.encode_struct(w, id, s, depth + 1))
                    .map_err(|e| e.within(format!("[{}]", i + 1)))?;
            }
            return Ok(());
        }
        let entry_type = self.sp.type_by_id(id).filter(|t| t.fields.len() == 2);
        let Some(entry_type) = entry_type else {
            let name = self
                .sp
                .type_by_id(id)
                .map_or_else(String::new, |t| t.name.clone());
            return Err(EncodeError::new(EncodeErrorKind::BadMapType(name)));
        };
        if depth + 1 >= self.max_depth && !entries.is_empty() {
            return Err(EncodeError::new(EncodeErrorKind::TooDeep {
                limit: self.max_depth,
            }));
        }
        for (i, (k, v)) in entries.iter().enumerate() {
            w.block(|w| {
                let mut st = StructWriter::begin(w, entry_type.max_slots());
                for ef in &entry_type.fields {
                    let value = if ef.tag == key { k } else { v };
                    self.encode_field(&mut st, ef, value, depth + 1)
                        .map_err(|e| e.within(&ef.name))?;
                }
                st.finish();
                Ok(())
            })
            .map_err(|e: EncodeError| e.within(format!("[{}]", i + 1)))?;
        }
        Ok(())
    }
}
