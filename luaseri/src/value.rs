//! [`LuaValue`] and [`LuaTable`]: the Lua values lua-seri carries, kept in wire
//! structure (a table's array and hash sections exactly as on the wire).

use std::cmp::Ordering;
use std::fmt;
use std::hash::{Hash, Hasher};

/// One Lua value as lua-seri carries it.
///
/// `==` is *wire* equality: the same variant, floats by bit pattern (so NaN equals
/// the same NaN and `-0.0 != 0.0`), tables with the same array section and the same
/// hash pairs in the same order. To compare as Lua sees a table (hash order ignored,
/// nil entries dropped, integral float keys as integers) use [`LuaValue::lua_eq`].
///
/// ```
/// use skynet_luaseri::{LuaTable, LuaValue};
///
/// let v = LuaValue::from(LuaTable::from_array(vec![1.into(), "two".into()]));
/// assert_eq!(v.as_table().map(|t| t.array.len()), Some(2));
/// assert_eq!(LuaValue::from("x").as_str(), Some("x"));
/// ```
#[derive(Clone, Default)]
pub enum LuaValue {
    /// `nil`.
    #[default]
    Nil,
    /// `true` / `false`.
    Boolean(bool),
    /// A Lua integer (`math.type(v) == "integer"`).
    Integer(i64),
    /// A Lua float.
    Real(f64),
    /// A Lua string: any bytes, not necessarily UTF-8.
    String(Vec<u8>),
    /// A table (boxed: it keeps `LuaValue` at 24 bytes, which long arrays of scalars
    /// feel).
    Table(Box<LuaTable>),
    /// A light userdata: a raw pointer value, meaningful only inside the process that
    /// made it.
    LightUserData(u64),
}

/// A Lua table in wire structure: the array section (indices 1..=n, `nil` allowed),
/// then the hash section's key/value pairs in order.
///
/// Lua itself sees the array items under keys 1..=n, then the hash pairs applied in
/// order (a later pair overwrites, a pair with a `nil` value removes). [`LuaTable::get`]
/// and [`LuaTable::lua_eq`] follow those rules.
///
/// ```
/// use skynet_luaseri::{LuaTable, LuaValue};
///
/// let mut t = LuaTable::new();
/// t.push(10);
/// t.insert("name", "x");
/// assert_eq!(t.get(&1.into()), Some(&LuaValue::Integer(10)));
/// assert_eq!(t.get_str("name").and_then(|v| v.as_str()), Some("x"));
/// ```
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct LuaTable {
    /// The array section: item `i` is the value at Lua index `i + 1`.
    pub array: Vec<LuaValue>,
    /// The hash section: key/value pairs in wire order.
    pub hash: Vec<(LuaValue, LuaValue)>,
}

impl LuaValue {
    /// The Lua type name (`"nil"`, `"boolean"`, `"number"`, `"string"`, `"table"`,
    /// `"userdata"`), as Lua's `type()` says.
    pub fn type_name(&self) -> &'static str {
        match self {
            LuaValue::Nil => "nil",
            LuaValue::Boolean(_) => "boolean",
            LuaValue::Integer(_) | LuaValue::Real(_) => "number",
            LuaValue::String(_) => "string",
            LuaValue::Table(_) => "table",
            LuaValue::LightUserData(_) => "userdata",
        }
    }

    /// `true` for `nil`.
    pub fn is_nil(&self) -> bool {
        matches!(self, LuaValue::Nil)
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            LuaValue::Boolean(b) => Some(*b),
            _ => None,
        }
    }

    /// The integer, if this is an integer or a float with an integral value in range
    /// (Lua's `math.tointeger`).
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            LuaValue::Integer(i) => Some(*i),
            LuaValue::Real(f) => float_to_integer(*f),
            _ => None,
        }
    }

    /// The number as a float, if this is a number.
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            LuaValue::Integer(i) => Some(*i as f64),
            LuaValue::Real(f) => Some(*f),
            _ => None,
        }
    }

    /// The string's bytes, if this is a string.
    pub fn as_bytes(&self) -> Option<&[u8]> {
        match self {
            LuaValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The string, if this is a string holding valid UTF-8.
    pub fn as_str(&self) -> Option<&str> {
        self.as_bytes().and_then(|b| std::str::from_utf8(b).ok())
    }

    /// The table, if this is one.
    pub fn as_table(&self) -> Option<&LuaTable> {
        match self {
            LuaValue::Table(t) => Some(t.as_ref()),
            _ => None,
        }
    }

    /// The table, mutably, if this is one.
    pub fn as_table_mut(&mut self) -> Option<&mut LuaTable> {
        match self {
            LuaValue::Table(t) => Some(t.as_mut()),
            _ => None,
        }
    }

    /// The pointer, if this is a light userdata.
    pub fn as_light_userdata(&self) -> Option<u64> {
        match self {
            LuaValue::LightUserData(p) => Some(*p),
            _ => None,
        }
    }

    /// The value as Lua would use it as a table key: a float with an integral value
    /// that fits an integer becomes that integer.
    pub fn to_lua_key(&self) -> LuaValue {
        match self {
            LuaValue::Real(f) => match float_to_integer(*f) {
                Some(i) => LuaValue::Integer(i),
                None => self.clone(),
            },
            _ => self.clone(),
        }
    }

    /// A canonical form of the value as Lua sees it: every table (also nested ones and
    /// keys) rebuilt by [`LuaTable::normalized`]. Two values are [`lua_eq`] exactly when
    /// their normalized forms are `==`.
    ///
    /// [`lua_eq`]: LuaValue::lua_eq
    pub fn normalized(&self) -> LuaValue {
        match self {
            LuaValue::Table(t) => LuaValue::from(t.normalized()),
            other => other.clone(),
        }
    }

    /// Equality as Lua sees the values: tables compare by content (hash order ignored,
    /// later pairs overwriting earlier ones, `nil` values dropped, integral float keys
    /// as integers, the array/hash split irrelevant); scalars compare as `==` does here
    /// (integers and floats are different, floats by bit pattern).
    ///
    /// ```
    /// use skynet_luaseri::{unpack, LuaValue};
    ///
    /// // The two encodings skynet produced for `{ a = 1, b = 2 }` in different runs.
    /// let x = unpack(&[0x06, 0x0c, b'a', 0x0a, 1, 0x0c, b'b', 0x0a, 2, 0x00])?;
    /// let y = unpack(&[0x06, 0x0c, b'b', 0x0a, 2, 0x0c, b'a', 0x0a, 1, 0x00])?;
    /// assert_ne!(x, y);
    /// assert!(x[0].lua_eq(&y[0]));
    /// # Ok::<(), skynet_luaseri::UnpackError>(())
    /// ```
    pub fn lua_eq(&self, other: &LuaValue) -> bool {
        match (self, other) {
            (LuaValue::Table(a), LuaValue::Table(b)) => a.lua_eq(b),
            (a, b) => a == b,
        }
    }

    /// A rank per variant, for the total order.
    fn rank(&self) -> u8 {
        match self {
            LuaValue::Nil => 0,
            LuaValue::Boolean(_) => 1,
            LuaValue::Integer(_) => 2,
            LuaValue::Real(_) => 3,
            LuaValue::String(_) => 4,
            LuaValue::LightUserData(_) => 5,
            LuaValue::Table(_) => 6,
        }
    }
}

/// Lua's float → integer conversion for keys and `math.tointeger`: only integral
/// values inside the i64 range.
pub(crate) fn float_to_integer(f: f64) -> Option<i64> {
    // -2^63 is exact as a float; 2^63 is the first value past i64::MAX.
    const LIMIT: f64 = 9_223_372_036_854_775_808.0;
    if f.fract() == 0.0 && (-LIMIT..LIMIT).contains(&f) {
        Some(f as i64)
    } else {
        None
    }
}

impl PartialEq for LuaValue {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (LuaValue::Nil, LuaValue::Nil) => true,
            (LuaValue::Boolean(a), LuaValue::Boolean(b)) => a == b,
            (LuaValue::Integer(a), LuaValue::Integer(b)) => a == b,
            (LuaValue::Real(a), LuaValue::Real(b)) => a.to_bits() == b.to_bits(),
            (LuaValue::String(a), LuaValue::String(b)) => a == b,
            (LuaValue::Table(a), LuaValue::Table(b)) => a == b,
            (LuaValue::LightUserData(a), LuaValue::LightUserData(b)) => a == b,
            _ => false,
        }
    }
}

// Floats compare by bit pattern, so equality is reflexive.
impl Eq for LuaValue {}

impl Hash for LuaValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.rank().hash(state);
        match self {
            LuaValue::Nil => {}
            LuaValue::Boolean(b) => b.hash(state),
            LuaValue::Integer(i) => i.hash(state),
            LuaValue::Real(f) => f.to_bits().hash(state),
            LuaValue::String(s) => s.hash(state),
            LuaValue::Table(t) => t.hash(state),
            LuaValue::LightUserData(p) => p.hash(state),
        }
    }
}

/// A total order consistent with `==`: by variant (nil < boolean < integer < float <
/// string < light userdata < table), then by value; floats by `f64::total_cmp`.
impl Ord for LuaValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (LuaValue::Boolean(a), LuaValue::Boolean(b)) => a.cmp(b),
            (LuaValue::Integer(a), LuaValue::Integer(b)) => a.cmp(b),
            (LuaValue::Real(a), LuaValue::Real(b)) => a.total_cmp(b),
            (LuaValue::String(a), LuaValue::String(b)) => a.cmp(b),
            (LuaValue::Table(a), LuaValue::Table(b)) => a.cmp(b),
            (LuaValue::LightUserData(a), LuaValue::LightUserData(b)) => a.cmp(b),
            (a, b) => a.rank().cmp(&b.rank()),
        }
    }
}

impl PartialOrd for LuaValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// Strings print as text when they are UTF-8, else as escaped bytes (`b"\xff"`).
impl fmt::Debug for LuaValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LuaValue::Nil => f.write_str("Nil"),
            LuaValue::Boolean(b) => f.debug_tuple("Boolean").field(b).finish(),
            LuaValue::Integer(i) => f.debug_tuple("Integer").field(i).finish(),
            LuaValue::Real(r) => f.debug_tuple("Real").field(r).finish(),
            LuaValue::String(s) => match std::str::from_utf8(s) {
                Ok(text) => f.debug_tuple("String").field(&text).finish(),
                Err(_) => write!(f, "String(b\"{}\")", s.escape_ascii()),
            },
            LuaValue::Table(t) => f.debug_tuple("Table").field(t).finish(),
            LuaValue::LightUserData(p) => write!(f, "LightUserData({p:#018x})"),
        }
    }
}

impl fmt::Debug for LuaTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LuaTable")
            .field("array", &self.array)
            .field("hash", &self.hash)
            .finish()
    }
}

impl LuaTable {
    /// An empty table.
    pub fn new() -> Self {
        LuaTable::default()
    }

    /// A table with only an array section.
    pub fn from_array(array: Vec<LuaValue>) -> Self {
        LuaTable {
            array,
            hash: Vec::new(),
        }
    }

    /// A table with only a hash section, pairs in the given order.
    pub fn from_pairs(hash: Vec<(LuaValue, LuaValue)>) -> Self {
        LuaTable {
            array: Vec::new(),
            hash,
        }
    }

    /// `true` when both sections are empty (on the wire: `06 00`).
    pub fn is_empty(&self) -> bool {
        self.array.is_empty() && self.hash.is_empty()
    }

    /// Appends a value to the array section.
    pub fn push(&mut self, value: impl Into<LuaValue>) {
        self.array.push(value.into());
    }

    /// Sets `key` to `value` the way Lua's `t[key] = value` would, keeping the wire
    /// structure tidy: an integer key inside the array section replaces that item, a
    /// key already in the hash section is updated in place (or removed when `value` is
    /// `nil`), any other key is appended. A `nil` key is ignored (Lua would raise).
    /// Linear in the hash section: meant for building tables, not as a map.
    pub fn insert(&mut self, key: impl Into<LuaValue>, value: impl Into<LuaValue>) {
        let key = key.into().to_lua_key();
        let value = value.into();
        if key.is_nil() {
            return;
        }
        if let Some(slot) = self.array_slot(&key) {
            self.array[slot] = value;
            return;
        }
        let found = self.hash.iter().position(|(k, _)| k.to_lua_key() == key);
        match (found, value.is_nil()) {
            (Some(i), true) => {
                self.hash.remove(i);
            }
            (Some(i), false) => self.hash[i].1 = value,
            (None, true) => {}
            (None, false) => self.hash.push((key, value)),
        }
    }

    /// The value Lua sees under `key` (the last matching hash pair wins over the array
    /// item; a `nil` result is `None`).
    pub fn get(&self, key: &LuaValue) -> Option<&LuaValue> {
        let key = key.to_lua_key();
        let from_hash = self
            .hash
            .iter()
            .rev()
            .find(|(k, _)| k.to_lua_key() == key)
            .map(|(_, v)| v);
        let found = match from_hash {
            Some(v) => Some(v),
            None => self.array_slot(&key).map(|i| &self.array[i]),
        };
        found.filter(|v| !v.is_nil())
    }

    /// [`get`](LuaTable::get) with a string key.
    pub fn get_str(&self, key: &str) -> Option<&LuaValue> {
        self.get(&LuaValue::String(key.as_bytes().to_vec()))
    }

    /// The array-section index for an integer key 1..=n.
    fn array_slot(&self, key: &LuaValue) -> Option<usize> {
        match key {
            LuaValue::Integer(i) if *i >= 1 => {
                let slot = usize::try_from(*i - 1).ok()?;
                (slot < self.array.len()).then_some(slot)
            }
            _ => None,
        }
    }

    /// The table's content as Lua sees it: every non-nil entry once, keys normalized
    /// (integral float keys as integers) and nested tables normalized, sorted by key.
    pub fn entries(&self) -> Vec<(LuaValue, LuaValue)> {
        let mut entries: Vec<(LuaValue, LuaValue)> =
            Vec::with_capacity(self.array.len() + self.hash.len());
        for (i, v) in self.array.iter().enumerate() {
            entries.push((LuaValue::Integer(i as i64 + 1), v.normalized()));
        }
        for (k, v) in &self.hash {
            entries.push((k.to_lua_key().normalized(), v.normalized()));
        }
        // A stable sort keeps wire order among equal keys, so the last one wins below.
        entries.sort_by(|a, b| a.0.cmp(&b.0));
        let mut out: Vec<(LuaValue, LuaValue)> = Vec::with_capacity(entries.len());
        for (k, v) in entries {
            match out.last_mut() {
                Some(last) if last.0 == k => last.1 = v,
                _ => out.push((k, v)),
            }
        }
        out.retain(|(_, v)| !v.is_nil());
        out
    }

    /// The canonical wire structure of this table as Lua sees it: the run of integer
    /// keys 1, 2, 3, ... in the array section, every other entry in the hash section
    /// sorted by key (see [`LuaTable::entries`]). Equal Lua tables give `==` results.
    pub fn normalized(&self) -> LuaTable {
        let mut array = Vec::new();
        let mut hash = Vec::new();
        for (k, v) in self.entries() {
            if hash.is_empty() && k == LuaValue::Integer(array.len() as i64 + 1) {
                array.push(v);
            } else {
                hash.push((k, v));
            }
        }
        LuaTable { array, hash }
    }

    /// Equality as Lua sees the tables; see [`LuaValue::lua_eq`].
    pub fn lua_eq(&self, other: &LuaTable) -> bool {
        // Fast path: identical wire structure is always Lua-equal.
        self == other || self.entries() == other.entries()
    }
}

impl From<bool> for LuaValue {
    fn from(v: bool) -> Self {
        LuaValue::Boolean(v)
    }
}

macro_rules! from_integer {
    ($($t:ty),*) => {$(
        impl From<$t> for LuaValue {
            fn from(v: $t) -> Self {
                LuaValue::Integer(i64::from(v))
            }
        }
    )*};
}
from_integer!(i8, i16, i32, i64, u8, u16, u32);

impl From<f64> for LuaValue {
    fn from(v: f64) -> Self {
        LuaValue::Real(v)
    }
}

impl From<f32> for LuaValue {
    fn from(v: f32) -> Self {
        LuaValue::Real(f64::from(v))
    }
}

impl From<&str> for LuaValue {
    fn from(v: &str) -> Self {
        LuaValue::String(v.as_bytes().to_vec())
    }
}

impl From<String> for LuaValue {
    fn from(v: String) -> Self {
        LuaValue::String(v.into_bytes())
    }
}

impl From<&[u8]> for LuaValue {
    fn from(v: &[u8]) -> Self {
        LuaValue::String(v.to_vec())
    }
}

impl From<Vec<u8>> for LuaValue {
    fn from(v: Vec<u8>) -> Self {
        LuaValue::String(v)
    }
}

impl From<LuaTable> for LuaValue {
    fn from(v: LuaTable) -> Self {
        LuaValue::Table(Box::new(v))
    }
}

impl<T: Into<LuaValue>> From<Option<T>> for LuaValue {
    fn from(v: Option<T>) -> Self {
        v.map_or(LuaValue::Nil, Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn float_keys_normalize_like_lua() {
        assert_eq!(LuaValue::Real(2.0).to_lua_key(), LuaValue::Integer(2));
        assert_eq!(LuaValue::Real(2.5).to_lua_key(), LuaValue::Real(2.5));
        assert_eq!(
            LuaValue::Real(-9_223_372_036_854_775_808.0).to_lua_key(),
            LuaValue::Integer(i64::MIN)
        );
        assert!(matches!(
            LuaValue::Real(9_223_372_036_854_775_808.0).to_lua_key(),
            LuaValue::Real(_)
        ));
        assert!(matches!(
            LuaValue::Real(f64::NAN).to_lua_key(),
            LuaValue::Real(_)
        ));
    }

    #[test]
    fn lua_view_applies_pairs_in_order() {
        // array [1] then hash [1]=5: Lua keeps 5.
        let t = LuaTable {
            array: vec![1.into()],
            hash: vec![(1.into(), 5.into()), ("a".into(), LuaValue::Nil)],
        };
        assert_eq!(t.get(&1.into()), Some(&LuaValue::Integer(5)));
        assert_eq!(t.normalized(), LuaTable::from_array(vec![5.into()]));
        let holes = LuaTable::from_array(vec![LuaValue::Nil, LuaValue::Nil]);
        assert!(holes.lua_eq(&LuaTable::new()));
    }

    #[test]
    fn insert_follows_lua_assignment() {
        let mut t = LuaTable::from_array(vec![1.into(), 2.into()]);
        t.insert(2.0, "two");
        t.insert("k", 1);
        t.insert("k", LuaValue::Nil);
        t.insert(LuaValue::Nil, 1);
        assert_eq!(t, LuaTable::from_array(vec![1.into(), "two".into()]));
    }

    #[test]
    fn debug_shows_text_or_escaped_bytes() {
        assert_eq!(format!("{:?}", LuaValue::from("hi")), "String(\"hi\")");
        assert_eq!(
            format!("{:?}", LuaValue::from(vec![0xffu8, b'a'])),
            "String(b\"\\xffa\")"
        );
    }
}
