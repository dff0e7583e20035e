//! The JSON convention for Lua values used by the golden vectors and the
//! `skynet-cluster` CLI (`{"$int": "1"}`, `{"$f64": ..., "bits": ...}`, `{"$bin": ...}`,
//! `{"$ptr": ...}`, `{"$table": {"array": [...], "hash": [[k, v], ...]}}`).
//!
//! | Lua value | JSON written | also read |
//! | --- | --- | --- |
//! | `nil` | `null` | |
//! | boolean | `true` / `false` | |
//! | integer | `{"$int": "<decimal>"}` | a bare JSON integer that fits i64 |
//! | float | `{"$f64": "<text>", "bits": "<16 hex digits, big-endian>"}`; `bits` rules | a bare JSON float; `$f64` text alone (`"inf"`, `"-inf"`, `"nan"` or a number) |
//! | UTF-8 string | a JSON string | |
//! | other string | `{"$bin": "<hex>"}` | |
//! | light userdata | `{"$ptr": "<16 hex digits>"}` | fewer hex digits |
//! | table | `{"$table": {"array": [...], "hash": [[k, v], ...]}}` in wire structure | a plain JSON array (the array section); a plain JSON object without `$` keys (the hash section, members in order) |
//!
//! A list of values (a pack's arguments) is a JSON array of values.
//!
//! ```
//! use serde_json::json;
//! use skynet_luaseri::{json::{values_from_json, values_to_json}, pack};
//!
//! let values = values_from_json(&json!(["GET", {"$int": "1"}]))?;
//! assert_eq!(pack(&values)?, b"\x1cGET\x0a\x01");
//! assert_eq!(values_to_json(&values), json!(["GET", {"$int": "1"}]));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use serde_json::{Map, Value};
use thiserror::Error;

use super::value::{LuaTable, LuaValue};

/// Why a JSON value is not a Lua value in the convention. `path` is a JSON pointer
/// (`/0/$table/hash/1/0`) to the offending part.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{message} at {path}")]
pub struct JsonError {
    /// JSON pointer to the bad part (`""` is the whole document).
    pub path: String,
    /// What is wrong.
    pub message: String,
}

/// Converts one Lua value to JSON in the convention.
pub fn to_json(v: &LuaValue) -> Value {
    match v {
        LuaValue::Nil => Value::Null,
        LuaValue::Boolean(b) => Value::Bool(*b),
        LuaValue::Integer(i) => single("$int", Value::String(i.to_string())),
        LuaValue::Real(f) => {
            let mut m = Map::new();
            m.insert("$f64".into(), Value::String(float_text(*f)));
            m.insert(
                "bits".into(),
                Value::String(format!("{:016x}", f.to_bits())),
            );
            Value::Object(m)
        }
        LuaValue::String(s) => match std::str::from_utf8(s) {
            Ok(text) => Value::String(text.to_owned()),
            Err(_) => single("$bin", Value::String(hex(s))),
        },
        LuaValue::LightUserData(p) => single("$ptr", Value::String(format!("{p:016x}"))),
        LuaValue::Table(t) => {
            let mut m = Map::new();
            m.insert(
                "array".into(),
                Value::Array(t.array.iter().map(to_json).collect()),
            );
            m.insert(
                "hash".into(),
                Value::Array(
                    t.hash
                        .iter()
                        .map(|(k, v)| Value::Array(vec![to_json(k), to_json(v)]))
                        .collect(),
                ),
            );
            single("$table", Value::Object(m))
        }
    }
}

/// Converts a list of values to a JSON array.
pub fn values_to_json(values: &[LuaValue]) -> Value {
    Value::Array(values.iter().map(to_json).collect())
}

/// Reads one Lua value from JSON in the convention.
///
/// # Errors
///
/// A [`JsonError`] naming the offending part.
pub fn from_json(v: &Value) -> Result<LuaValue, JsonError> {
    let mut path = String::new();
    value_from(v, &mut path)
}

/// Reads a list of values: the JSON must be an array.
///
/// # Errors
///
/// A [`JsonError`] when the JSON is not an array or an item is not a Lua value.
pub fn values_from_json(v: &Value) -> Result<Vec<LuaValue>, JsonError> {
    let Value::Array(items) = v else {
        return Err(err("", "expected a JSON array of values"));
    };
    let mut path = String::new();
    items
        .iter()
        .enumerate()
        .map(|(i, item)| nested(&mut path, &i.to_string(), |p| value_from(item, p)))
        .collect()
}

/// The display text of a float, as Python's `repr` writes it (`0.5`, `-0.0`,
/// `1e+300`, `2147483648.0`, `inf`, `nan`). Informational: `bits` is authoritative.
pub fn float_text(f: f64) -> String {
    if f.is_nan() {
        return "nan".into();
    }
    if f.is_infinite() {
        return if f > 0.0 { "inf" } else { "-inf" }.into();
    }
    // `{:e}` gives the shortest round-trip digits: "1.5e0", "-3e-5".
    let sci = format!("{f:e}");
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci.as_str(), "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let (sign, mantissa) = match mantissa.strip_prefix('-') {
        Some(m) => ("-", m),
        None => ("", mantissa),
    };
    let digits: String = mantissa.chars().filter(|c| *c != '.').collect();
    if (-4..16).contains(&exp) {
        // Fixed notation with at least one digit after the point.
        let point = exp + 1; // digits before the decimal point
        let (int_part, frac_part) = if point <= 0 {
            let zeros = "0".repeat(point.unsigned_abs() as usize);
            ("0".to_owned(), format!("{zeros}{digits}"))
        } else {
            let point = point as usize;
            if digits.len() > point {
                (digits[..point].to_owned(), digits[point..].to_owned())
            } else {
                let pad = "0".repeat(point - digits.len());
                (format!("{digits}{pad}"), String::new())
            }
        };
        let frac_part = if frac_part.is_empty() {
            "0".to_owned()
        } else {
            frac_part
        };
        format!("{sign}{int_part}.{frac_part}")
    } else {
        let exp_sign = if exp < 0 { '-' } else { '+' };
        format!("{sign}{mantissa}e{exp_sign}{:02}", exp.unsigned_abs())
    }
}

fn single(key: &str, v: Value) -> Value {
    let mut m = Map::new();
    m.insert(key.into(), v);
    Value::Object(m)
}

fn err(path: &str, message: impl Into<String>) -> JsonError {
    JsonError {
        path: path.to_owned(),
        message: message.into(),
    }
}

/// Runs `f` with `segment` appended to the JSON pointer `path`.
fn nested<T>(
    path: &mut String,
    segment: &str,
    f: impl FnOnce(&mut String) -> Result<T, JsonError>,
) -> Result<T, JsonError> {
    let len = path.len();
    path.push('/');
    path.push_str(&segment.replace('~', "~0").replace('/', "~1"));
    let r = f(path);
    path.truncate(len);
    r
}

fn value_from(v: &Value, path: &mut String) -> Result<LuaValue, JsonError> {
    match v {
        Value::Null => Ok(LuaValue::Nil),
        Value::Bool(b) => Ok(LuaValue::Boolean(*b)),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                Ok(LuaValue::Integer(i))
            } else if n.is_f64() {
                n.as_f64()
                    .map(LuaValue::Real)
                    .ok_or_else(|| err(path, "unreadable number"))
            } else {
                Err(err(
                    path,
                    format!("integer {n} does not fit a Lua integer (i64)"),
                ))
            }
        }
        Value::String(s) => Ok(LuaValue::String(s.as_bytes().to_vec())),
        Value::Array(items) => {
            // A plain JSON array: a table with only an array section.
            let array = items
                .iter()
                .enumerate()
                .map(|(i, item)| nested(path, &i.to_string(), |p| value_from(item, p)))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(LuaValue::from(LuaTable::from_array(array)))
        }
        Value::Object(m) => object_from(m, path),
    }
}

fn object_from(m: &Map<String, Value>, path: &mut String) -> Result<LuaValue, JsonError> {
    if !m.keys().any(|k| k.starts_with('$')) {
        // A plain object: a table of its members, in order.
        let mut hash = Vec::with_capacity(m.len());
        for (k, v) in m {
            let v = nested(path, k, |p| value_from(v, p))?;
            hash.push((LuaValue::String(k.as_bytes().to_vec()), v));
        }
        return Ok(LuaValue::from(LuaTable::from_pairs(hash)));
    }
    let only = |allowed: &[&str]| -> Result<(), JsonError> {
        match m.keys().find(|k| !allowed.contains(&k.as_str())) {
            Some(k) => Err(err(path, format!("unexpected member {k:?}"))),
            None => Ok(()),
        }
    };
    if let Some(v) = m.get("$int") {
        only(&["$int"])?;
        return nested(path, "$int", |p| {
            let s = v
                .as_str()
                .ok_or_else(|| err(p, "\"$int\" must be a decimal string"))?;
            s.parse::<i64>()
                .map(LuaValue::Integer)
                .map_err(|_| err(p, format!("{s:?} is not a 64-bit integer")))
        });
    }
    if let Some(v) = m.get("$f64") {
        only(&["$f64", "bits"])?;
        if let Some(bits) = m.get("bits") {
            return nested(path, "bits", |p| {
                let s = bits
                    .as_str()
                    .ok_or_else(|| err(p, "\"bits\" must be a hex string"))?;
                if s.len() != 16 {
                    return Err(err(p, "\"bits\" must be 16 hex digits"));
                }
                u64::from_str_radix(s, 16)
                    .map(|b| LuaValue::Real(f64::from_bits(b)))
                    .map_err(|_| err(p, format!("{s:?} is not hex")))
            });
        }
        return nested(path, "$f64", |p| {
            let s = v
                .as_str()
                .ok_or_else(|| err(p, "\"$f64\" must be a string"))?;
            parse_float_text(s)
                .map(LuaValue::Real)
                .ok_or_else(|| err(p, format!("{s:?} is not a float")))
        });
    }
    if let Some(v) = m.get("$bin") {
        only(&["$bin"])?;
        return nested(path, "$bin", |p| {
            let s = v
                .as_str()
                .ok_or_else(|| err(p, "\"$bin\" must be a hex string"))?;
            unhex(s)
                .map(LuaValue::String)
                .ok_or_else(|| err(p, "\"$bin\" must be an even number of hex digits"))
        });
    }
    if let Some(v) = m.get("$ptr") {
        only(&["$ptr"])?;
        return nested(path, "$ptr", |p| {
            let s = v
                .as_str()
                .ok_or_else(|| err(p, "\"$ptr\" must be a hex string"))?;
            if s.is_empty() || s.len() > 16 {
                return Err(err(p, "\"$ptr\" must be 1 to 16 hex digits"));
            }
            u64::from_str_radix(s, 16)
                .map(LuaValue::LightUserData)
                .map_err(|_| err(p, format!("{s:?} is not hex")))
        });
    }
    if let Some(v) = m.get("$table") {
        only(&["$table"])?;
        return nested(path, "$table", |p| table_from(v, p)).map(LuaValue::from);
    }
    Err(err(
        path,
        "unknown object: expected one of $int, $f64, $bin, $ptr, $table",
    ))
}

fn table_from(v: &Value, path: &mut String) -> Result<LuaTable, JsonError> {
    let Value::Object(m) = v else {
        return Err(err(
            path,
            "\"$table\" must be an object with array and hash",
        ));
    };
    if let Some(k) = m.keys().find(|k| *k != "array" && *k != "hash") {
        return Err(err(path, format!("unexpected member {k:?}")));
    }
    let mut t = LuaTable::new();
    if let Some(array) = m.get("array") {
        let Value::Array(items) = array else {
            return Err(err(path, "\"array\" must be a JSON array"));
        };
        t.array = nested(path, "array", |p| {
            items
                .iter()
                .enumerate()
                .map(|(i, item)| nested(p, &i.to_string(), |p| value_from(item, p)))
                .collect::<Result<Vec<_>, _>>()
        })?;
    }
    if let Some(hash) = m.get("hash") {
        let Value::Array(pairs) = hash else {
            return Err(err(path, "\"hash\" must be a JSON array of [key, value]"));
        };
        t.hash = nested(path, "hash", |p| {
            pairs
                .iter()
                .enumerate()
                .map(|(i, pair)| {
                    nested(p, &i.to_string(), |p| match pair {
                        Value::Array(kv) if kv.len() == 2 => Ok((
                            nested(p, "0", |p| value_from(&kv[0], p))?,
                            nested(p, "1", |p| value_from(&kv[1], p))?,
                        )),
                        _ => Err(err(p, "a hash entry must be [key, value]")),
                    })
                })
                .collect::<Result<Vec<_>, _>>()
        })?;
    }
    Ok(t)
}

fn parse_float_text(s: &str) -> Option<f64> {
    match s {
        "inf" => Some(f64::INFINITY),
        "-inf" => Some(f64::NEG_INFINITY),
        "nan" => Some(f64::NAN),
        _ => s.parse().ok(),
    }
}

fn hex(b: &[u8]) -> String {
    use std::fmt::Write;
    let mut s = String::with_capacity(b.len() * 2);
    for x in b {
        let _ = write!(s, "{x:02x}");
    }
    s
}

fn unhex(s: &str) -> Option<Vec<u8>> {
    let s = s.as_bytes();
    if s.len() % 2 != 0 {
        return None;
    }
    s.chunks_exact(2)
        .map(|pair| {
            let hi = (pair[0] as char).to_digit(16)?;
            let lo = (pair[1] as char).to_digit(16)?;
            Some((hi * 16 + lo) as u8)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn float_text_is_python_repr() {
        let cases: &[(f64, &str)] = &[
            (0.0, "0.0"),
            (-0.0, "-0.0"),
            (0.5, "0.5"),
            (1.0, "1.0"),
            (1.0 / 3.0, "0.3333333333333333"),
            (1e300, "1e+300"),
            (-1e300, "-1e+300"),
            (1e-300, "1e-300"),
            (5e-324, "5e-324"),
            (f64::MAX, "1.7976931348623157e+308"),
            (9007199254740992.0, "9007199254740992.0"),
            (9.223372036854776e18, "9.223372036854776e+18"),
            (2147483648.0, "2147483648.0"),
            (1e16, "1e+16"),
            (1e-5, "1e-05"),
            (0.0001, "0.0001"),
            (123.456, "123.456"),
            (f64::NEG_INFINITY, "-inf"),
        ];
        for &(f, want) in cases {
            assert_eq!(float_text(f), want, "{f:e}");
        }
    }

    #[test]
    fn round_trip_and_errors() {
        let doc = json!([
            null, true, {"$int": "-5"}, {"$f64": "nan", "bits": "fff8000000000000"},
            "x", {"$bin": "ff00"}, {"$ptr": "00000000000000ff"},
            {"$table": {"array": [null, {"$int": "1"}], "hash": [["k", "v"]]}}
        ]);
        let values = values_from_json(&doc).unwrap();
        assert_eq!(values_to_json(&values), doc);
        let e = values_from_json(&json!([{"$table": {"hash": [[1]]}}])).unwrap_err();
        assert_eq!(e.path, "/0/$table/hash/0");
        assert!(values_from_json(&json!([{"$int": "99999999999999999999"}])).is_err());
        assert_eq!(
            values_from_json(&json!([[1]])).unwrap(),
            [LuaValue::from(LuaTable::from_array(vec![1.into()]))]
        );
        assert!(values_from_json(&json!({})).is_err());
        let plain = from_json(&json!({"a": 1, "b": 2.5})).unwrap();
        assert_eq!(
            plain,
            LuaValue::from(LuaTable::from_pairs(vec![
                ("a".into(), 1.into()),
                ("b".into(), 2.5.into())
            ]))
        );
    }
}
