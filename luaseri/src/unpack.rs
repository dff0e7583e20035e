//! `skynet.unpack`: [`unpack`] reads lua-seri bytes into [`LuaValue`]s, with the
//! limits of [`UnpackOptions`]; also the allocation-free validator the serde path uses
//! to skip values.

use super::error::UnpackError;
use super::value::{LuaTable, LuaValue};
use super::wire::{is_nil_byte, Reader, Token, REAL_BYTE};

/// Limits for reading untrusted bytes.
///
/// Memory is bounded by the input in any case (no buffer is sized from an announced
/// length beyond what the remaining input can hold); the depth limit bounds recursion.
///
/// ```
/// use skynet_luaseri::{unpack_with, UnpackError, UnpackOptions};
///
/// let two_deep = [0x0e, 0x06, 0x00, 0x00]; // { {} }
/// let opts = UnpackOptions::new().with_max_depth(1);
/// assert!(matches!(unpack_with(&two_deep, &opts), Err(UnpackError::TooDeep { .. })));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct UnpackOptions {
    /// How many tables may nest (a top-level table is depth 1). The reference decoder
    /// has no limit but its encoder never nests more than 33 tables; the default
    /// [`UnpackOptions::DEFAULT_MAX_DEPTH`] leaves room and keeps recursion shallow.
    pub max_depth: usize,
}

impl UnpackOptions {
    /// The default nesting limit.
    pub const DEFAULT_MAX_DEPTH: usize = 128;

    /// The defaults.
    pub const fn new() -> Self {
        UnpackOptions {
            max_depth: Self::DEFAULT_MAX_DEPTH,
        }
    }

    /// Sets [`UnpackOptions::max_depth`]. Decoding recurses once per level, so keep it
    /// to a few thousand at most.
    pub const fn with_max_depth(mut self, max_depth: usize) -> Self {
        self.max_depth = max_depth;
        self
    }
}

impl Default for UnpackOptions {
    fn default() -> Self {
        Self::new()
    }
}

/// Unpacks every value in `bytes`, as `skynet.unpack` does: values are read until the
/// input ends; empty input is zero values.
///
/// ```
/// use skynet_luaseri::{unpack, LuaValue};
///
/// let values = unpack(b"\x0a\x01\x0ca\x09\x00")?;
/// assert_eq!(values, [LuaValue::Integer(1), "a".into(), true.into(), LuaValue::Nil]);
/// # Ok::<(), skynet_luaseri::UnpackError>(())
/// ```
///
/// # Errors
///
/// An [`UnpackError`] with the byte offset for truncated input, invalid type bytes or
/// cookies, NaN table keys and nesting past the default depth limit.
pub fn unpack(bytes: &[u8]) -> Result<Vec<LuaValue>, UnpackError> {
    unpack_with(bytes, &UnpackOptions::default())
}

/// [`unpack`] with explicit limits.
///
/// # Errors
///
/// As [`unpack`], with `options.max_depth` as the nesting limit.
pub fn unpack_with(bytes: &[u8], options: &UnpackOptions) -> Result<Vec<LuaValue>, UnpackError> {
    let mut r = Reader::new(bytes);
    let mut out = Vec::new();
    while !r.is_empty() {
        out.push(read_value(&mut r, 0, options.max_depth)?);
    }
    Ok(out)
}

/// Reads one value; `depth` tables are open around it, at most `limit` may be.
#[inline]
pub(crate) fn read_value(
    r: &mut Reader<'_>,
    depth: usize,
    limit: usize,
) -> Result<LuaValue, UnpackError> {
    match read_scalar(r) {
        Some(v) => Ok(v),
        None => read_any(r, depth, limit),
    }
}

/// The common scalars without going through [`Token`] (and its error type); `None`
/// for anything else, which [`read_any`] handles.
#[inline(always)]
fn read_scalar(r: &mut Reader<'_>) -> Option<LuaValue> {
    if let Some(i) = r.integer() {
        Some(LuaValue::Integer(i))
    } else if let Some(s) = r.string() {
        Some(LuaValue::String(s.to_vec()))
    } else {
        r.real().map(LuaValue::Real)
    }
}

fn read_any(r: &mut Reader<'_>, depth: usize, limit: usize) -> Result<LuaValue, UnpackError> {
    let at = r.pos();
    Ok(match r.token()? {
        Token::Nil => LuaValue::Nil,
        Token::Boolean(b) => LuaValue::Boolean(b),
        Token::Integer(i) => LuaValue::Integer(i),
        Token::Real(f) => LuaValue::Real(f),
        Token::Pointer(p) => LuaValue::LightUserData(p),
        Token::String(s) => LuaValue::String(s.to_vec()),
        Token::Table { array_len } => {
            let depth = enter_table(at, depth, limit)?;
            LuaValue::Table(Box::new(read_table(r, array_len, depth, limit)?))
        }
    })
}

/// The depth inside a table opened at `at`, or [`UnpackError::TooDeep`].
#[inline]
pub(crate) fn enter_table(at: usize, depth: usize, limit: usize) -> Result<usize, UnpackError> {
    if depth >= limit {
        Err(UnpackError::TooDeep { offset: at, limit })
    } else {
        Ok(depth + 1)
    }
}

fn read_table(
    r: &mut Reader<'_>,
    array_len: usize,
    depth: usize,
    limit: usize,
) -> Result<LuaTable, UnpackError> {
    // Every item takes at least one byte: never reserve more than the input can hold.
    let mut array = Vec::with_capacity(array_len.min(r.remaining()));
    for _ in 0..array_len {
        match read_scalar(r) {
            Some(v) => array.push(v),
            None => array.push(read_any(r, depth, limit)?),
        }
    }
    let mut hash = Vec::new();
    loop {
        let at = r.pos();
        let key = read_value(r, depth, limit)?;
        match key {
            LuaValue::Nil => break,
            LuaValue::Real(f) if f.is_nan() => return Err(UnpackError::NanKey { offset: at }),
            _ => {}
        }
        let value = read_value(r, depth, limit)?;
        hash.push((key, value));
    }
    Ok(LuaTable { array, hash })
}

/// Checks one value without building it: the same errors as [`read_value`].
pub(crate) fn skip_value(
    r: &mut Reader<'_>,
    depth: usize,
    limit: usize,
) -> Result<(), UnpackError> {
    let at = r.pos();
    if let Token::Table { array_len } = r.token()? {
        let depth = enter_table(at, depth, limit)?;
        for _ in 0..array_len {
            skip_value(r, depth, limit)?;
        }
        while skip_key(r, depth, limit)? {
            skip_value(r, depth, limit)?;
        }
    }
    Ok(())
}

/// Checks one hash key; `false` when it was the `nil` that ends the hash section.
pub(crate) fn skip_key(
    r: &mut Reader<'_>,
    depth: usize,
    limit: usize,
) -> Result<bool, UnpackError> {
    let at = r.pos();
    match r.peek() {
        Some(b) if is_nil_byte(b) => {
            r.set_pos(at + 1);
            Ok(false)
        }
        Some(REAL_BYTE) => match r.token()? {
            Token::Real(f) if f.is_nan() => Err(UnpackError::NanKey { offset: at }),
            _ => Ok(true),
        },
        _ => skip_value(r, depth, limit).map(|()| true),
    }
}

/// `true` when the next byte is a `nil` (any cookie), the end of a hash section.
#[inline]
pub(crate) fn at_hash_end(r: &Reader<'_>) -> bool {
    r.peek().is_some_and(is_nil_byte)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn too_deep_reports_limit_and_offset() {
        // { { { } } }
        let bytes = [0x0e, 0x0e, 0x06, 0x00, 0x00, 0x00];
        let opts = UnpackOptions::new().with_max_depth(2);
        assert_eq!(
            unpack_with(&bytes, &opts),
            Err(UnpackError::TooDeep {
                offset: 2,
                limit: 2
            })
        );
        assert!(unpack_with(&bytes, &UnpackOptions::new().with_max_depth(3)).is_ok());
    }

    #[test]
    fn huge_announced_sizes_do_not_allocate() {
        // A table announcing 2^31-1 array items, with nothing behind it.
        let bytes = [0xfe, 0x22, 0xff, 0xff, 0xff, 0x7f];
        assert!(matches!(
            unpack(&bytes),
            Err(UnpackError::Truncated { offset: 6, .. })
        ));
    }

    #[test]
    fn skip_agrees_with_read() {
        let cases: &[&[u8]] = &[
            &[0x06, 0x42, 0, 0, 0, 0, 0, 0, 0xf8, 0xff, 0x0a, 0x01, 0x00],
            &[0x06, 0x06, 0x00, 0x0a, 0x01, 0x00],
            &[0x16, 0x0a, 0x01],
            &[0x07],
        ];
        for bytes in cases {
            let mut a = Reader::new(bytes);
            let mut b = Reader::new(bytes);
            let read = read_value(&mut a, 0, 8).map(|_| a.pos());
            let skip = skip_value(&mut b, 0, 8).map(|_| b.pos());
            assert_eq!(read, skip, "{bytes:02x?}");
        }
    }
}
