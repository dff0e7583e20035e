//! The dynamic value model: what a Lua table is to the reference implementation.

use std::fmt;

use crate::field_name::FieldName;

/// A sproto value, as the dynamic codec reads and writes it.
///
/// `integer(N)` (decimal) fields take and give [`Value::Double`]. A `string` field
/// decodes to [`Value::String`] when its bytes are UTF-8 and to [`Value::Binary`]
/// otherwise (the reference does not check UTF-8); a `binary` field always decodes to
/// [`Value::Binary`]. For encoding, either form is accepted for both.
///
/// ```
/// use sproto_rt::{Struct, Value};
///
/// let phone = Value::from(Struct::new().with("number", "123456789").with("type", 1));
/// let person = Struct::new()
///     .with("name", "Alice")
///     .with("id", 10000)
///     .with("phone", Value::Array(vec![phone]));
/// assert_eq!(person.get("id"), Some(&Value::Integer(10000)));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// `integer`.
    Integer(i64),
    /// `double`, and `integer(N)` fields.
    Double(f64),
    /// `boolean`.
    Boolean(bool),
    /// A `string` field's UTF-8 text.
    String(String),
    /// `binary`, or a `string` field's bytes that are not UTF-8.
    Binary(Vec<u8>),
    /// A struct: fields by name.
    Struct(Struct),
    /// `*T`.
    Array(Vec<Value>),
    /// `*T(key)` (key → the whole struct) and `*T()` (key → the other field's value),
    /// in wire order. Keys are unique after decoding.
    Map(Vec<(Value, Value)>),
}

impl Value {
    /// The value's kind, for messages (`integer`, `string`, `struct`...).
    pub fn kind(&self) -> &'static str {
        match self {
            Value::Integer(_) => "integer",
            Value::Double(_) => "double",
            Value::Boolean(_) => "boolean",
            Value::String(_) => "string",
            Value::Binary(_) => "binary",
            Value::Struct(_) => "struct",
            Value::Array(_) => "array",
            Value::Map(_) => "map",
        }
    }

    /// The struct inside, if this is one.
    pub fn as_struct(&self) -> Option<&Struct> {
        match self {
            Value::Struct(s) => Some(s),
            _ => None,
        }
    }

    /// The bytes of a string or binary value.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            Value::String(s) => Some(s.as_bytes()),
            Value::Binary(b) => Some(b),
            _ => None,
        }
    }

    /// The integer inside, if this is one.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Integer(i) => Some(*i),
            _ => None,
        }
    }
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Integer(v)
    }
}

impl From<i32> for Value {
    fn from(v: i32) -> Self {
        Value::Integer(v.into())
    }
}

impl From<f64> for Value {
    fn from(v: f64) -> Self {
        Value::Double(v)
    }
}

impl From<bool> for Value {
    fn from(v: bool) -> Self {
        Value::Boolean(v)
    }
}

impl From<&str> for Value {
    fn from(v: &str) -> Self {
        Value::String(v.to_string())
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::String(v)
    }
}

impl From<Vec<u8>> for Value {
    fn from(v: Vec<u8>) -> Self {
        Value::Binary(v)
    }
}

impl From<Struct> for Value {
    fn from(v: Struct) -> Self {
        Value::Struct(v)
    }
}

impl From<Vec<Value>> for Value {
    fn from(v: Vec<Value>) -> Self {
        Value::Array(v)
    }
}

/// A struct value: its present fields by name, in insertion order (decoding inserts
/// them in tag order). Absent fields are simply not there.
#[derive(Clone, Default, PartialEq)]
pub struct Struct {
    fields: Vec<(FieldName, Value)>,
}

impl fmt::Debug for Struct {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map()
            .entries(self.fields.iter().map(|(k, v)| (k.as_str(), v)))
            .finish()
    }
}

impl Struct {
    /// An empty struct.
    pub fn new() -> Self {
        Struct::default()
    }

    /// An empty struct with room for `n` fields.
    pub fn with_capacity(n: usize) -> Self {
        Struct {
            fields: Vec::with_capacity(n),
        }
    }

    /// Builder form of [`insert`](Self::insert).
    pub fn with(mut self, name: &str, value: impl Into<Value>) -> Self {
        self.insert(name, value);
        self
    }

    /// Sets field `name`, replacing a previous value.
    pub fn insert(&mut self, name: &str, value: impl Into<Value>) {
        let value = value.into();
        match self
            .fields
            .iter_mut()
            .find(|(k, _)| k.as_bytes() == name.as_bytes())
        {
            Some(slot) => slot.1 = value,
            None => self.fields.push((FieldName::from(name), value)),
        }
    }

    /// Appends a field without checking for an existing one of the same name (the
    /// decoder's fast path: a decoded struct has each field once).
    #[inline]
    pub fn push(&mut self, name: FieldName, value: Value) {
        self.fields.push((name, value));
    }

    /// The value of field `name`.
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.fields
            .iter()
            .find(|(k, _)| k.as_bytes() == name.as_bytes())
            .map(|(_, v)| v)
    }

    /// Removes field `name`, returning its value.
    pub fn remove(&mut self, name: &str) -> Option<Value> {
        let i = self
            .fields
            .iter()
            .position(|(k, _)| k.as_bytes() == name.as_bytes())?;
        Some(self.fields.remove(i).1)
    }

    /// The fields, in order.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &Value)> {
        self.fields.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Number of present fields.
    pub fn len(&self) -> usize {
        self.fields.len()
    }

    /// Whether no field is present.
    pub fn is_empty(&self) -> bool {
        self.fields.is_empty()
    }

    /// The value of field `name`, searching from `*hint` first: encoding looks fields
    /// up in tag order, and values usually list them in that order, so this is O(1)
    /// per field in the common case.
    #[inline]
    pub(crate) fn get_from(&self, name: &FieldName, hint: &mut usize) -> Option<&Value> {
        let n = self.fields.len();
        let mut i = if *hint < n { *hint } else { 0 };
        for _ in 0..n {
            let (k, v) = &self.fields[i];
            if k.is(name) {
                *hint = i + 1;
                return Some(v);
            }
            i += 1;
            if i == n {
                i = 0;
            }
        }
        None
    }
}

impl<'a> FromIterator<(&'a str, Value)> for Struct {
    fn from_iter<I: IntoIterator<Item = (&'a str, Value)>>(iter: I) -> Self {
        let mut s = Struct::new();
        for (k, v) in iter {
            s.insert(k, v);
        }
        s
    }
}
