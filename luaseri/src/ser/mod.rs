//! The serde [`Serializer`]: any `Serialize` type straight to lua-seri bytes
//! ([`to_bytes`], [`to_args`]), with the mapping documented in the module root.
//! Tables being written are [`Compound`]s (in `compound.rs`).

mod compound;

use serde::ser::{self, Serialize};

use super::error::PackError;
use super::pack::MAX_PACK_DEPTH;
use super::wire;
use super::wire::POINTER_TOKEN;
pub use compound::Compound;
use compound::Kind;

type Result<T> = std::result::Result<T, PackError>;

/// The output buffer's first capacity: most messages fit it, and bigger ones grow
/// from there in fewer steps (a `malloc` of 256 bytes costs what one of 64 does).
const INITIAL_CAPACITY: usize = 256;

/// Serializes `value` as one Lua value.
///
/// ```
/// use serde::Serialize;
///
/// #[derive(Serialize)]
/// struct Item { id: u32, name: &'static str }
///
/// let bytes = skynet_luaseri::to_bytes(&Item { id: 7, name: "x" })?;
/// // { id = 7, name = "x" }: an empty array section, then the fields in order.
/// assert_eq!(bytes, b"\x06\x14id\x0a\x07\x24name\x0cx\x00");
/// # Ok::<(), skynet_luaseri::PackError>(())
/// ```
///
/// # Errors
///
/// [`PackError`] for values with no Lua form (integers beyond i64, nil or NaN map
/// keys), nesting past [`MAX_PACK_DEPTH`] tables, or an error of the `Serialize` impl.
pub fn to_bytes<T: Serialize + ?Sized>(value: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(INITIAL_CAPACITY);
    to_bytes_into(value, &mut out)?;
    Ok(out)
}

/// Like [`to_bytes`], appending to `out`; on error `out` keeps its original length.
///
/// # Errors
///
/// As [`to_bytes`].
pub fn to_bytes_into<T: Serialize + ?Sized>(value: &T, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    let r = value.serialize(&mut Serializer::new(out));
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Serializes an argument list: a Rust tuple `(a, b, c)` becomes three Lua values,
/// as `skynet.pack(a, b, c)`; `()` becomes zero values; anything else is one value.
///
/// ```
/// let bytes = skynet_luaseri::to_args(&("SET", "key", "value"))?;
/// assert_eq!(bytes, b"\x1cSET\x1ckey\x2cvalue");
/// assert_eq!(skynet_luaseri::to_args(&())?, b"");
/// assert_eq!(skynet_luaseri::to_args(&("GET", None::<i32>))?, b"\x1cGET\x00");
/// # Ok::<(), skynet_luaseri::PackError>(())
/// ```
///
/// # Errors
///
/// As [`to_bytes`].
pub fn to_args<T: Serialize + ?Sized>(args: &T) -> Result<Vec<u8>> {
    let mut out = Vec::with_capacity(INITIAL_CAPACITY);
    to_args_into(args, &mut out)?;
    Ok(out)
}

/// Like [`to_args`], appending to `out`; on error `out` keeps its original length.
///
/// # Errors
///
/// As [`to_bytes`].
pub fn to_args_into<T: Serialize + ?Sized>(args: &T, out: &mut Vec<u8>) -> Result<()> {
    let start = out.len();
    let mut ser = Serializer::new(out);
    ser.args = true;
    let r = args.serialize(&mut ser);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// A serde serializer writing lua-seri into a `Vec<u8>`. Most code wants
/// [`to_bytes`] or [`to_args`]; this type is for driving serde by hand.
///
/// ```
/// use serde::Serialize;
/// use skynet_luaseri::Serializer;
///
/// let mut buf = Vec::new();
/// vec![1, 2].serialize(&mut Serializer::new(&mut buf))?;
/// assert_eq!(buf, b"\x16\x0a\x01\x0a\x02\x00");
/// # Ok::<(), skynet_luaseri::PackError>(())
/// ```
#[derive(Debug)]
pub struct Serializer<'a> {
    out: &'a mut Vec<u8>,
    /// Tables open around the value being written.
    depth: usize,
    /// At the top of `to_args`: a tuple spreads into several values, `()` into none.
    args: bool,
    /// The next `u64` is a light userdata (set by `LuaValue`'s `Serialize`).
    pointer: bool,
    /// The value being written is a table field's: a `nil` there is dropped with its
    /// key, so it is exempt from the depth check (Lua never sees it).
    droppable: bool,
}

impl<'a> Serializer<'a> {
    /// A serializer appending to `out`.
    #[inline]
    pub fn new(out: &'a mut Vec<u8>) -> Self {
        Serializer {
            out,
            depth: 0,
            args: false,
            pointer: false,
            droppable: false,
        }
    }

    /// Opens a table whose items sit one level deeper.
    #[inline]
    fn open(&mut self, array_len: usize) -> Result<()> {
        if array_len > wire::MAX_ARRAY_LEN {
            return Err(PackError::ArrayTooLong { len: array_len });
        }
        self.check_depth()?;
        self.args = false;
        self.droppable = false;
        wire::write_table_header(self.out, array_len);
        self.depth += 1;
        Ok(())
    }

    /// The check skynet makes before writing any value: at most 32 tables around it.
    #[inline]
    fn check_depth(&self) -> Result<()> {
        if self.depth > MAX_PACK_DEPTH {
            Err(PackError::TooDeep {
                limit: MAX_PACK_DEPTH,
            })
        } else {
            Ok(())
        }
    }

    #[inline]
    fn string(&mut self, s: &[u8]) -> Result<()> {
        self.check_depth()?;
        if wire::write_string(self.out, s) {
            Ok(())
        } else {
            Err(PackError::StringTooLong { len: s.len() })
        }
    }

    #[inline]
    fn integer<T: TryInto<i64> + ToString + Copy>(&mut self, v: T) -> Result<()> {
        self.check_depth()?;
        match v.try_into() {
            Ok(i) => {
                wire::write_integer(self.out, i);
                Ok(())
            }
            Err(_) => Err(PackError::IntegerOutOfRange {
                value: v.to_string(),
            }),
        }
    }

    /// `{ [variant] = <payload> }`: the externally tagged form of data-carrying variants.
    #[inline]
    fn open_variant(&mut self, variant: &'static str) -> Result<()> {
        self.open(0)?;
        self.string(variant.as_bytes())
    }

    /// A table with an array section of `len` items (`None`: counted as they come).
    #[inline]
    fn array(&mut self, len: Option<usize>, kind: Kind) -> Result<Compound<'_, 'a>> {
        let announced = len.unwrap_or(0);
        let header_at = self.out.len();
        self.open(announced)?;
        Ok(Compound::new(self, kind, header_at, announced))
    }

    /// A table with only a hash section.
    #[inline]
    fn hash(&mut self, kind: Kind) -> Result<Compound<'_, 'a>> {
        let header_at = self.out.len();
        self.open(0)?;
        Ok(Compound::new(self, kind, header_at, 0))
    }
}

impl<'s, 'a> ser::Serializer for &'s mut Serializer<'a> {
    type Ok = ();
    type Error = PackError;
    type SerializeSeq = Compound<'s, 'a>;
    type SerializeTuple = Compound<'s, 'a>;
    type SerializeTupleStruct = Compound<'s, 'a>;
    type SerializeTupleVariant = Compound<'s, 'a>;
    type SerializeMap = Compound<'s, 'a>;
    type SerializeStruct = Compound<'s, 'a>;
    type SerializeStructVariant = Compound<'s, 'a>;

    #[inline]
    fn serialize_bool(self, v: bool) -> Result<()> {
        self.check_depth()?;
        wire::write_bool(self.out, v);
        Ok(())
    }

    #[inline]
    fn serialize_i8(self, v: i8) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_i16(self, v: i16) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_i32(self, v: i32) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_i64(self, v: i64) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, v);
        Ok(())
    }

    #[inline]
    fn serialize_i128(self, v: i128) -> Result<()> {
        self.integer(v)
    }

    #[inline]
    fn serialize_u8(self, v: u8) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_u16(self, v: u16) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_u32(self, v: u32) -> Result<()> {
        self.check_depth()?;
        wire::write_integer(self.out, i64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_u64(self, v: u64) -> Result<()> {
        if self.pointer {
            self.pointer = false;
            self.check_depth()?;
            wire::write_pointer(self.out, v);
            return Ok(());
        }
        self.integer(v)
    }

    #[inline]
    fn serialize_u128(self, v: u128) -> Result<()> {
        self.integer(v)
    }

    #[inline]
    fn serialize_f32(self, v: f32) -> Result<()> {
        self.check_depth()?;
        wire::write_real(self.out, f64::from(v));
        Ok(())
    }

    #[inline]
    fn serialize_f64(self, v: f64) -> Result<()> {
        self.check_depth()?;
        wire::write_real(self.out, v);
        Ok(())
    }

    #[inline]
    fn serialize_char(self, v: char) -> Result<()> {
        let mut buf = [0u8; 4];
        self.string(v.encode_utf8(&mut buf).as_bytes())
    }

    #[inline]
    fn serialize_str(self, v: &str) -> Result<()> {
        self.string(v.as_bytes())
    }

    #[inline]
    fn serialize_bytes(self, v: &[u8]) -> Result<()> {
        self.string(v)
    }

    #[inline]
    fn serialize_none(self) -> Result<()> {
        if !self.droppable {
            self.check_depth()?;
        }
        wire::write_nil(self.out);
        Ok(())
    }

    #[inline]
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<()> {
        self.args = false;
        value.serialize(self)
    }

    #[inline]
    fn serialize_unit(self) -> Result<()> {
        if std::mem::take(&mut self.args) {
            return Ok(());
        }
        self.serialize_none()
    }

    #[inline]
    fn serialize_unit_struct(self, _name: &'static str) -> Result<()> {
        self.serialize_unit()
    }

    #[inline]
    fn serialize_unit_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
    ) -> Result<()> {
        self.string(variant.as_bytes())
    }

    #[inline]
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        name: &'static str,
        value: &T,
    ) -> Result<()> {
        if name == POINTER_TOKEN {
            self.pointer = true;
            let r = value.serialize(&mut *self);
            self.pointer = false;
            return r;
        }
        value.serialize(self)
    }

    #[inline]
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        value: &T,
    ) -> Result<()> {
        // No nil-dropping here: `{ [variant] = nil }` keeps `Some(None)`-like payloads
        // readable by `from_bytes` (Lua itself sees an empty table).
        self.open_variant(variant)?;
        value.serialize(&mut *self)?;
        wire::write_nil(self.out);
        self.depth -= 1;
        Ok(())
    }

    #[inline]
    fn serialize_seq(self, len: Option<usize>) -> Result<Compound<'s, 'a>> {
        self.array(len, Kind::Array)
    }

    #[inline]
    fn serialize_tuple(self, len: usize) -> Result<Compound<'s, 'a>> {
        if std::mem::take(&mut self.args) {
            let at = self.out.len();
            return Ok(Compound::new(self, Kind::Args, at, len));
        }
        self.array(Some(len), Kind::Array)
    }

    #[inline]
    fn serialize_tuple_struct(self, _name: &'static str, len: usize) -> Result<Compound<'s, 'a>> {
        self.array(Some(len), Kind::Array)
    }

    #[inline]
    fn serialize_tuple_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        len: usize,
    ) -> Result<Compound<'s, 'a>> {
        self.open_variant(variant)?;
        self.array(Some(len), Kind::VariantArray)
    }

    #[inline]
    fn serialize_map(self, _len: Option<usize>) -> Result<Compound<'s, 'a>> {
        self.hash(Kind::Hash)
    }

    #[inline]
    fn serialize_struct(self, _name: &'static str, _len: usize) -> Result<Compound<'s, 'a>> {
        self.hash(Kind::Hash)
    }

    #[inline]
    fn serialize_struct_variant(
        self,
        _name: &'static str,
        _index: u32,
        variant: &'static str,
        _len: usize,
    ) -> Result<Compound<'s, 'a>> {
        self.open_variant(variant)?;
        self.hash(Kind::VariantHash)
    }

    #[inline]
    fn collect_str<T: std::fmt::Display + ?Sized>(self, value: &T) -> Result<()> {
        self.string(value.to_string().as_bytes())
    }

    #[inline]
    fn is_human_readable(&self) -> bool {
        // Lua code reads text far more easily than packed binary forms (addresses,
        // UUIDs, dates), so types with both forms pick the text one.
        true
    }
}
