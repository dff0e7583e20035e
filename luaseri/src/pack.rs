//! `skynet.pack`: [`pack`] and [`pack_into`] write a list of [`LuaValue`]s as
//! lua-seri bytes, byte-exact with skynet.

use super::error::PackError;
use super::value::{LuaTable, LuaValue};
use super::wire;

/// The deepest table nesting skynet packs: a value inside more than 32 nested tables
/// fails with [`PackError::TooDeep`] (an empty table at level 33 is still fine).
pub const MAX_PACK_DEPTH: usize = 32;

/// Packs `values` as `skynet.pack(v1, v2, ...)` does: the encodings one after another.
///
/// Tables are written in their wire structure: the array section, then the hash pairs
/// in the order they are stored.
///
/// ```
/// use skynet_luaseri::{pack, LuaValue};
///
/// let bytes = pack(&["SET".into(), "key".into(), LuaValue::Integer(1)])?;
/// assert_eq!(bytes, b"\x1cSET\x1ckey\x0a\x01");
/// assert_eq!(pack(&[])?, b"");
/// # Ok::<(), skynet_luaseri::PackError>(())
/// ```
///
/// # Errors
///
/// [`PackError::TooDeep`] past [`MAX_PACK_DEPTH`] nested tables, [`PackError::NilKey`]
/// / [`PackError::NanKey`] for keys no Lua table can hold, and the length limits.
pub fn pack(values: &[LuaValue]) -> Result<Vec<u8>, PackError> {
    let mut out = Vec::with_capacity(64);
    pack_into(values, &mut out)?;
    Ok(out)
}

/// Like [`pack`], appending to `out`. On error `out` is left at its original length.
///
/// ```
/// use skynet_luaseri::{pack_into, LuaValue};
///
/// let mut buf = vec![0xaa];
/// pack_into(&[LuaValue::Boolean(true)], &mut buf)?;
/// assert_eq!(buf, [0xaa, 0x09]);
/// # Ok::<(), skynet_luaseri::PackError>(())
/// ```
///
/// # Errors
///
/// As [`pack`].
pub fn pack_into(values: &[LuaValue], out: &mut Vec<u8>) -> Result<(), PackError> {
    pack_values_with_limit(values, out, MAX_PACK_DEPTH)
}

/// [`pack_into`] with another depth limit (the serde bridge uses the unpack limit).
pub(crate) fn pack_values_with_limit(
    values: &[LuaValue],
    out: &mut Vec<u8>,
    limit: usize,
) -> Result<(), PackError> {
    let start = out.len();
    let packer = Packer { limit };
    for v in values {
        if let Err(e) = packer.value(v, out) {
            out.truncate(start);
            return Err(e);
        }
    }
    Ok(())
}

struct Packer {
    limit: usize,
}

impl Packer {
    /// A top-level value (no table around it, so no depth check).
    fn value(&self, v: &LuaValue, out: &mut Vec<u8>) -> Result<(), PackError> {
        self.item(v, out, 0)
    }

    /// A value with `depth` tables around it; tables recurse, scalars are written here.
    #[inline(always)]
    fn item(&self, v: &LuaValue, out: &mut Vec<u8>, depth: usize) -> Result<(), PackError> {
        match v {
            LuaValue::Nil => wire::write_nil(out),
            LuaValue::Boolean(b) => wire::write_bool(out, *b),
            LuaValue::Integer(i) => wire::write_integer(out, *i),
            LuaValue::Real(f) => wire::write_real(out, *f),
            LuaValue::String(s) => {
                if !wire::write_string(out, s) {
                    return Err(PackError::StringTooLong { len: s.len() });
                }
            }
            LuaValue::LightUserData(p) => wire::write_pointer(out, *p),
            LuaValue::Table(t) => self.table(t, out, depth + 1)?,
        }
        Ok(())
    }

    /// A table at nesting level `level`; its items have `level` tables around them.
    fn table(&self, t: &LuaTable, out: &mut Vec<u8>, level: usize) -> Result<(), PackError> {
        if t.array.len() > wire::MAX_ARRAY_LEN {
            return Err(PackError::ArrayTooLong { len: t.array.len() });
        }
        // skynet checks every value it writes; all items here share one depth, so one
        // check per table does the same (an empty table is fine at any level).
        if level > self.limit && !t.is_empty() {
            return Err(PackError::TooDeep { limit: self.limit });
        }
        wire::write_table_header(out, t.array.len());
        for v in &t.array {
            self.item(v, out, level)?;
        }
        for (k, v) in &t.hash {
            match k {
                LuaValue::Nil => return Err(PackError::NilKey),
                LuaValue::Real(f) if f.is_nan() => return Err(PackError::NanKey),
                _ => {}
            }
            self.item(k, out, level)?;
            self.item(v, out, level)?;
        }
        wire::write_nil(out);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nest(n: usize, leaf: Option<LuaValue>) -> LuaValue {
        let mut v = leaf;
        for _ in 0..n {
            v = Some(LuaValue::from(LuaTable::from_array(
                v.into_iter().collect(),
            )));
        }
        v.unwrap_or_default()
    }

    #[test]
    fn depth_limit_matches_the_reference() {
        assert!(pack(&[nest(32, Some(0.into()))]).is_ok());
        assert!(pack(&[nest(33, None)]).is_ok());
        assert_eq!(
            pack(&[nest(33, Some(0.into()))]),
            Err(PackError::TooDeep { limit: 32 })
        );
        assert_eq!(
            pack(&[nest(34, None)]),
            Err(PackError::TooDeep { limit: 32 })
        );
    }

    #[test]
    fn bad_keys_are_refused_and_output_restored() {
        let mut out = vec![1, 2];
        let t = LuaTable::from_pairs(vec![(LuaValue::Nil, 1.into())]);
        assert_eq!(
            pack_into(&[1.into(), t.into()], &mut out),
            Err(PackError::NilKey)
        );
        assert_eq!(out, [1, 2]);
        let t = LuaTable::from_pairs(vec![(f64::NAN.into(), 1.into())]);
        assert_eq!(pack(&[t.into()]), Err(PackError::NanKey));
    }
}
