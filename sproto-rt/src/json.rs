//! The JSON value convention of the reference vectors (and of the `sproto` CLI):
//! values as JSON, with the few escapes JSON needs.
//!
//! | sproto type | JSON |
//! | --- | --- |
//! | `integer` | a number when \|v\| ≤ 2^53, else `{"$int": "<decimal>"}` |
//! | `integer(N)`, `double` | a number; non-finite: `{"$double": "inf" \| "-inf" \| "nan", "bits": "<16 hex>"}` |
//! | `boolean` | `true` / `false` |
//! | `string` | a string when UTF-8, else `{"$bin": "<hex>"}` |
//! | `binary` | `{"$bin": "<hex>"}` |
//! | struct | an object, one member per present field |
//! | `*T` | an array (`null` in input ends the array, as a Lua `nil` does) |
//! | `*T(key)`, `*T()` | `{"$map": [[key, value], ...]}`, sorted by key |
//!
//! ```
//! use sproto_rt::{json, Sproto};
//!
//! let sp = Sproto::parse(".P { name 0 : string  big 1 : integer  raw 2 : binary }").unwrap();
//! let input = serde_json::json!({"name": "Ann", "big": {"$int": "9007199254740993"}, "raw": {"$bin": "00ff"}});
//! let value = json::struct_from_json(&sp, "P", &input).unwrap();
//! let back = json::struct_to_json(&sp.decode("P", &sp.encode("P", &value).unwrap()).unwrap());
//! assert_eq!(back, input);
//! ```

use serde_json::{json, Map, Number, Value as Json};

use crate::schema::{Field, FieldType, Shape, Sproto, TypeId};
use crate::value::{Struct, Value};

/// A JSON value that does not follow the convention.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{path}: {message}")]
pub struct JsonError {
    /// Where in the JSON value (`person[1].name`).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

fn err(path: &str, message: impl Into<String>) -> JsonError {
    JsonError {
        path: if path.is_empty() {
            "(top)".to_string()
        } else {
            path.to_string()
        },
        message: message.into(),
    }
}

/// Reads a message value of type `type_name` from JSON.
///
/// Members that are not fields of the type are ignored (as the reference ignores
/// them); `null` members are absent fields. A JSON value of the wrong kind for its
/// field is kept as what it is, so that encoding reports the mismatch.
pub fn struct_from_json(sp: &Sproto, type_name: &str, json: &Json) -> Result<Struct, JsonError> {
    let ty = sp
        .type_id(type_name)
        .ok_or_else(|| err("", format!("unknown type {type_name}")))?;
    struct_of(sp, ty, json, "")
}

fn struct_of(sp: &Sproto, ty: TypeId, json: &Json, path: &str) -> Result<Struct, JsonError> {
    let Json::Object(members) = json else {
        return Err(err(
            path,
            format!("expected an object, found {}", kind(json)),
        ));
    };
    let t = sp
        .type_by_id(ty)
        .ok_or_else(|| err(path, format!("no type #{ty}")))?;
    let mut s = Struct::with_capacity(members.len());
    for f in &t.fields {
        let Some(m) = members.get(&*f.name) else {
            continue;
        };
        if m.is_null() {
            continue;
        }
        let p = if path.is_empty() {
            f.name.to_string()
        } else {
            format!("{path}.{}", f.name)
        };
        s.push(f.name.clone(), field_of(sp, f, m, &p)?);
    }
    Ok(s)
}

fn field_of(sp: &Sproto, f: &Field, json: &Json, path: &str) -> Result<Value, JsonError> {
    if !f.shape.is_array() {
        return element_of(sp, f.ty, json, path);
    }
    if let (Some(entries), FieldType::Struct(id)) = (json.get("$map"), f.ty) {
        let Json::Array(entries) = entries else {
            return Err(err(path, "$map must be an array of [key, value] pairs"));
        };
        let t = sp
            .type_by_id(id)
            .ok_or_else(|| err(path, "unknown map type"))?;
        let key = f.shape.map_key();
        let key_ty = t
            .fields
            .iter()
            .find(|k| Some(k.tag) == key)
            .map_or(FieldType::Integer, |k| k.ty);
        let value_field = t.fields.iter().find(|k| Some(k.tag) != key);
        let mut out = Vec::with_capacity(entries.len());
        for (i, e) in entries.iter().enumerate() {
            let p = format!("{path}[{i}]");
            let (k, v) = match e {
                Json::Array(pair) if pair.len() == 2 => (&pair[0], &pair[1]),
                _ => return Err(err(&p, "a $map entry must be [key, value]")),
            };
            let key = element_of(sp, key_ty, k, &p)?;
            let value = match (f.shape, value_field) {
                (Shape::PairMap { .. }, Some(vf)) => field_of(sp, vf, v, &p)?,
                _ => element_of(sp, f.ty, v, &p)?,
            };
            out.push((key, value));
        }
        return Ok(Value::Map(out));
    }
    match json {
        Json::Array(items) => {
            let mut out = Vec::with_capacity(items.len());
            for (i, item) in items.iter().enumerate() {
                // A Lua array ends at its first nil.
                if item.is_null() {
                    break;
                }
                out.push(element_of(sp, f.ty, item, &format!("{path}[{i}]"))?);
            }
            Ok(Value::Array(out))
        }
        other => scalar(other, path),
    }
}

fn element_of(sp: &Sproto, ty: FieldType, json: &Json, path: &str) -> Result<Value, JsonError> {
    match (ty, json) {
        (FieldType::Struct(id), Json::Object(_)) if !is_escape(json) => {
            Ok(Value::Struct(struct_of(sp, id, json, path)?))
        }
        (FieldType::Decimal(_) | FieldType::Double, Json::Number(n)) => {
            Ok(Value::Double(n.as_f64().unwrap_or(f64::NAN)))
        }
        _ => scalar(json, path),
    }
}

fn is_escape(json: &Json) -> bool {
    json.as_object().is_some_and(|m| {
        ["$int", "$double", "$bin", "$map"]
            .iter()
            .any(|k| m.contains_key(*k))
    })
}

/// A JSON value as the closest sproto value, whatever the field type.
fn scalar(json: &Json, path: &str) -> Result<Value, JsonError> {
    Ok(match json {
        Json::Bool(b) => Value::Boolean(*b),
        Json::String(s) => Value::String(s.clone()),
        Json::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Double(n.as_f64().unwrap_or(f64::NAN)),
        },
        Json::Object(m) if m.contains_key("$int") => {
            let text = m["$int"].as_str().unwrap_or_default();
            Value::Integer(
                text.parse()
                    .map_err(|_| err(path, format!("bad $int {text:?}")))?,
            )
        }
        Json::Object(m) if m.contains_key("$double") => Value::Double(double_escape(m, path)?),
        Json::Object(m) if m.contains_key("$bin") => {
            let text = m["$bin"].as_str().unwrap_or_default();
            Value::Binary(
                from_hex(text).ok_or_else(|| err(path, format!("bad $bin hex {text:?}")))?,
            )
        }
        Json::Object(_) => return Err(err(path, "an object where no struct is expected")),
        Json::Array(_) => return Err(err(path, "an array where no array is expected")),
        Json::Null => return Err(err(path, "null")),
    })
}

fn double_escape(m: &Map<String, Json>, path: &str) -> Result<f64, JsonError> {
    if let Some(bits) = m.get("bits").and_then(Json::as_str) {
        let b =
            u64::from_str_radix(bits, 16).map_err(|_| err(path, format!("bad bits {bits:?}")))?;
        return Ok(f64::from_bits(b));
    }
    match m["$double"].as_str() {
        Some("inf") => Ok(f64::INFINITY),
        Some("-inf") => Ok(f64::NEG_INFINITY),
        Some("nan") => Ok(f64::NAN),
        other => Err(err(path, format!("bad $double {other:?}"))),
    }
}

/// Writes a decoded message as JSON (no schema needed: the value carries its kinds).
pub fn struct_to_json(s: &Struct) -> Json {
    let mut m = Map::with_capacity(s.len());
    for (k, v) in s.iter() {
        m.insert(k.to_string(), value_to_json(v));
    }
    Json::Object(m)
}

/// Writes one value as JSON.
pub fn value_to_json(v: &Value) -> Json {
    match v {
        Value::Integer(i) if i.unsigned_abs() <= 1 << 53 => json!(i),
        Value::Integer(i) => json!({ "$int": i.to_string() }),
        Value::Double(d) => double_to_json(*d),
        Value::Boolean(b) => json!(b),
        Value::String(s) => json!(s),
        Value::Binary(b) => json!({ "$bin": to_hex(b) }),
        Value::Struct(s) => struct_to_json(s),
        Value::Array(items) => Json::Array(items.iter().map(value_to_json).collect()),
        Value::Map(entries) => {
            let mut sorted: Vec<&(Value, Value)> = entries.iter().collect();
            sorted.sort_by(|a, b| key_order(&a.0, &b.0));
            let pairs = sorted
                .into_iter()
                .map(|(k, v)| Json::Array(vec![value_to_json(k), value_to_json(v)]))
                .collect();
            json!({ "$map": Json::Array(pairs) })
        }
    }
}

fn double_to_json(d: f64) -> Json {
    match Number::from_f64(d) {
        Some(n) => Json::Number(n),
        None if d.is_nan() => json!({ "$double": "nan", "bits": format!("{:016x}", d.to_bits()) }),
        None if d > 0.0 => json!({ "$double": "inf" }),
        None => json!({ "$double": "-inf" }),
    }
}

/// Map keys in the vectors' order: numbers numerically, bytes bytewise, false < true.
fn key_order(a: &Value, b: &Value) -> std::cmp::Ordering {
    use std::cmp::Ordering;
    let num = |v: &Value| match v {
        Value::Integer(i) => Some(*i as f64),
        Value::Double(d) => Some(*d),
        _ => None,
    };
    match (a, b) {
        (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
        (Value::Boolean(x), Value::Boolean(y)) => x.cmp(y),
        _ => match (num(a), num(b), a.as_bytes(), b.as_bytes()) {
            (Some(x), Some(y), _, _) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
            (_, _, Some(x), Some(y)) => x.cmp(y),
            _ => Ordering::Equal,
        },
    }
}

fn to_hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn from_hex(text: &str) -> Option<Vec<u8>> {
    if text.len() % 2 != 0 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

fn kind(json: &Json) -> &'static str {
    match json {
        Json::Null => "null",
        Json::Bool(_) => "a boolean",
        Json::Number(_) => "a number",
        Json::String(_) => "a string",
        Json::Array(_) => "an array",
        Json::Object(_) => "an object",
    }
}
