//! The dynamic decoder: bytes → [`Struct`] driven by a loaded schema, read through
//! the shared wire core. Every error carries the byte offset and the field path.

use std::collections::HashMap;

use crate::error::{DecodeError, DecodeErrorKind, FieldProblem};
use crate::schema::{Field, FieldType, Shape, Sproto, TypeId};
use crate::value::{Struct, Value};
use crate::wire::{
    bool_from_slot, check_nested_len, data_from_slot, decimal_from_wire, double_array,
    double_from_slot, int_from_slot, slot_offset, str_from_bytes, ArrayElements, IntArray,
    SlotValue, StructReader,
};

pub(crate) struct Decoder<'s> {
    pub sp: &'s Sproto,
    pub max_depth: usize,
}

type Result<T> = std::result::Result<T, DecodeError>;

fn field_error(offset: usize, f: &Field, problem: FieldProblem) -> DecodeError {
    DecodeError::new(
        offset,
        DecodeErrorKind::Field {
            field: f.name.to_string(),
            problem,
        },
    )
}

impl Decoder<'_> {
    /// Decodes the struct at the start of `bytes` (absolute offset `base`). Nested
    /// structs (`exact`) must use their whole data block; the top-level one may be
    /// followed by anything. Returns the struct and the bytes it used.
    pub fn decode_struct(
        &self,
        ty: TypeId,
        bytes: &[u8],
        base: usize,
        depth: usize,
        exact: bool,
    ) -> Result<(Struct, usize)> {
        let t = self.sp.type_by_id(ty).ok_or_else(|| {
            DecodeError::new(base, DecodeErrorKind::UnknownType(format!("#{ty}")))
        })?;
        let mut reader = StructReader::new(bytes, base)?;
        let mut out = Struct::with_capacity(t.fields.len());
        let mut next = 0;
        while let Some(slot) = reader.next_field()? {
            // Tags ascend in both the header and the type, so one pass finds them all.
            while next < t.fields.len() && u32::from(t.fields[next].tag) < slot.tag {
                next += 1;
            }
            let Some(f) = t.fields.get(next).filter(|f| u32::from(f.tag) == slot.tag) else {
                continue; // unknown tag: skipped (schema evolution)
            };
            let slot_offset = slot_offset(base, slot.index);
            // As the reference: the limit applies when a known field is present.
            if depth >= self.max_depth {
                return Err(DecodeError::new(
                    slot_offset,
                    DecodeErrorKind::TooDeep {
                        limit: self.max_depth,
                    },
                ));
            }
            // The common field kinds inline, the rest (and every error) out of line.
            let v = match (f.shape, f.ty, slot.value) {
                (Shape::One, FieldType::Integer, SlotValue::Inline(v)) => {
                    Value::Integer(i64::from(v))
                }
                (Shape::One, FieldType::String, SlotValue::Data { bytes, .. }) => {
                    string_value(bytes)
                }
                (Shape::Array, FieldType::Struct(id), SlotValue::Data { bytes, offset }) => {
                    // The `Value` is made here, not returned whole by the call: a
                    // returned `Result<Value>` is copied piecewise and read back in
                    // wider loads, which stalls store forwarding.
                    Value::Array(self.decode_struct_array(f, id, bytes, offset, depth)?)
                }
                _ => self.decode_field(f, slot.value, slot_offset, depth)?,
            };
            out.push(f.name.clone(), v);
        }
        let used = reader.consumed();
        if exact {
            check_nested_len(base, used, bytes.len())?;
        }
        Ok((out, used))
    }

    #[inline(never)]
    fn decode_field(
        &self,
        f: &Field,
        slot: SlotValue<'_>,
        slot_offset: usize,
        depth: usize,
    ) -> Result<Value> {
        let offset = match slot {
            SlotValue::Data { offset, .. } => offset,
            SlotValue::Inline(_) => slot_offset,
        };
        let err = |p| field_error(offset, f, p);
        if f.shape.is_array() {
            let (data, at) = data_from_slot(slot).map_err(err)?;
            return self.decode_array(f, data, at, depth);
        }
        Ok(match f.ty {
            FieldType::Integer => Value::Integer(int_from_slot(slot).map_err(err)?),
            FieldType::Decimal(n) => {
                Value::Double(decimal_from_wire(int_from_slot(slot).map_err(err)?, n))
            }
            FieldType::Boolean => Value::Boolean(bool_from_slot(slot).map_err(err)?),
            FieldType::Double => Value::Double(double_from_slot(slot).map_err(err)?),
            FieldType::String => string_value(data_from_slot(slot).map_err(err)?.0),
            FieldType::Binary => Value::Binary(data_from_slot(slot).map_err(err)?.0.to_vec()),
            FieldType::Struct(id) => {
                let (data, at) = data_from_slot(slot).map_err(err)?;
                let (s, _) = self
                    .decode_struct(id, data, at, depth + 1, true)
                    .map_err(|e| e.in_field(&f.name))?;
                Value::Struct(s)
            }
        })
    }

    fn decode_array(&self, f: &Field, data: &[u8], at: usize, depth: usize) -> Result<Value> {
        let err = |p| field_error(at, f, p);
        Ok(Value::Array(match f.ty {
            FieldType::Integer => IntArray::parse(data)
                .map_err(err)?
                .map(Value::Integer)
                .collect(),
            FieldType::Decimal(n) => IntArray::parse(data)
                .map_err(err)?
                .map(|v| Value::Double(decimal_from_wire(v, n)))
                .collect(),
            FieldType::Double => double_array(data)
                .map_err(err)?
                .map(Value::Double)
                .collect(),
            FieldType::Boolean => data.iter().map(|&b| Value::Boolean(b != 0)).collect(),
            FieldType::String | FieldType::Binary => {
                let elements = ArrayElements::new(data, at);
                let mut out = Vec::with_capacity(elements.element_count());
                for e in elements {
                    let (bytes, _) = e.map_err(|e| e.in_field(&f.name))?;
                    out.push(match f.ty {
                        FieldType::Binary => Value::Binary(bytes.to_vec()),
                        _ => string_value(bytes),
                    });
                }
                out
            }
            FieldType::Struct(id) => {
                if let Some(key) = f.shape.map_key() {
                    return self.decode_map(f, id, key, data, at, depth);
                }
                self.decode_struct_array(f, id, data, at, depth)?
            }
        }))
    }

    /// A `*T` field of structs (not a map).
    #[inline(never)]
    fn decode_struct_array(
        &self,
        f: &Field,
        id: TypeId,
        data: &[u8],
        at: usize,
        depth: usize,
    ) -> Result<Vec<Value>> {
        let elements = ArrayElements::new(data, at);
        let mut out = Vec::with_capacity(elements.element_count());
        for e in elements {
            let (bytes, offset) = e.map_err(|e| e.in_field(&f.name))?;
            let (s, _) = self
                .decode_struct(id, bytes, offset, depth + 1, true)
                .map_err(|e| e.in_field(&f.name))?;
            out.push(Value::Struct(s));
        }
        Ok(out)
    }

    /// `*T(key)` → key field value ↦ entry struct; `*T()` → key field ↦ other field.
    /// A later entry with an equal key replaces an earlier one, as in a Lua table.
    fn decode_map(
        &self,
        f: &Field,
        id: TypeId,
        key: u16,
        data: &[u8],
        at: usize,
        depth: usize,
    ) -> Result<Value> {
        let t = self.sp.type_by_id(id);
        let key_name = t
            .and_then(|t| t.fields.iter().find(|k| k.tag == key))
            .map(|k| k.name.clone());
        let value_name = t
            .and_then(|t| t.fields.iter().find(|k| k.tag != key))
            .map(|k| k.name.clone());
        let mut map = MapBuilder::default();
        for e in ArrayElements::new(data, at) {
            let (bytes, offset) = e.map_err(|e| e.in_field(&f.name))?;
            let (mut entry, _) = self
                .decode_struct(id, bytes, offset, depth + 1, true)
                .map_err(|e| e.in_field(&f.name))?;
            let problem = |p| field_error(offset, f, p);
            let k = match key_name.as_deref().and_then(|n| entry.get(n)) {
                None => return Err(problem(FieldProblem::MapMissingKey)),
                Some(Value::Array(_) | Value::Map(_) | Value::Struct(_)) => {
                    return Err(problem(FieldProblem::MapKeyType))
                }
                Some(Value::Double(d)) if d.is_nan() => {
                    return Err(problem(FieldProblem::MapKeyNan))
                }
                Some(k) => k.clone(),
            };
            let v = if let Shape::PairMap { .. } = f.shape {
                match value_name.as_deref().and_then(|n| entry.remove(n)) {
                    Some(v) => v,
                    None => return Err(problem(FieldProblem::MapMissingValue)),
                }
            } else {
                Value::Struct(entry)
            };
            map.insert(k, v);
        }
        Ok(Value::Map(map.entries))
    }
}

fn string_value(bytes: &[u8]) -> Value {
    match str_from_bytes(bytes) {
        Some(s) => Value::String(s.to_string()),
        None => Value::Binary(bytes.to_vec()),
    }
}

/// A key as a Lua table sees it: integers and integral floats are the same key,
/// strings compare by bytes.
#[derive(PartialEq, Eq, Hash)]
enum MapKey {
    Int(i64),
    Float(u64),
    Bool(bool),
    Bytes(Vec<u8>),
}

impl MapKey {
    fn of(v: &Value) -> Option<MapKey> {
        Some(match v {
            Value::Integer(i) => MapKey::Int(*i),
            Value::Double(d) if d.fract() == 0.0 && d.abs() < 9.2e18 => MapKey::Int(*d as i64),
            Value::Double(d) => MapKey::Float(d.to_bits()),
            Value::Boolean(b) => MapKey::Bool(*b),
            Value::String(s) => MapKey::Bytes(s.as_bytes().to_vec()),
            Value::Binary(b) => MapKey::Bytes(b.clone()),
            _ => return None,
        })
    }
}

/// Map entries with unique keys; small maps are searched linearly, large ones hashed,
/// so hostile inputs with many entries stay linear.
#[derive(Default)]
struct MapBuilder {
    entries: Vec<(Value, Value)>,
    index: Option<HashMap<MapKey, usize>>,
}

impl MapBuilder {
    const LINEAR: usize = 8;

    fn insert(&mut self, k: Value, v: Value) {
        let Some(mk) = MapKey::of(&k) else {
            self.entries.push((k, v));
            return;
        };
        if self.index.is_none() && self.entries.len() >= Self::LINEAR {
            let mut index = HashMap::with_capacity(self.entries.len() * 2);
            for (i, (ek, _)) in self.entries.iter().enumerate() {
                if let Some(m) = MapKey::of(ek) {
                    index.insert(m, i);
                }
            }
            self.index = Some(index);
        }
        let existing = match &self.index {
            Some(index) => index.get(&mk).copied(),
            None => self
                .entries
                .iter()
                .position(|(ek, _)| MapKey::of(ek).as_ref() == Some(&mk)),
        };
        match existing {
            Some(i) => self.entries[i] = (k, v),
            None => {
                if let Some(index) = &mut self.index {
                    index.insert(mk, self.entries.len());
                }
                self.entries.push((k, v));
            }
        }
    }
}
