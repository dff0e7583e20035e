//! [`Message`]: a Rust type that is a sproto struct type, with a static codec
//! (implemented by `#[derive(Sproto)]`).

use crate::codec::DEFAULT_MAX_DEPTH;
use crate::error::{DecodeError, DecodeErrorKind};
use crate::pack::{pack_into, unpack};
use crate::schema::{BuildError, SchemaBuilder, Sproto};
use crate::wire::{StructReader, StructView, StructWriter, Writer};

/// A Rust type that is a sproto struct type.
///
/// Implemented by `#[derive(Sproto)]`; the methods to call are the provided ones
/// (`encode`, `decode`, `pencode`, `pdecode`, `schema`). Generated code writes
/// straight into the output buffer and reads straight into the fields, through the
/// same wire core as the dynamic codec.
///
/// # Type mapping
///
/// | Rust field | sproto |
/// | --- | --- |
/// | `i8`, `i16`, `i32`, `i64`, `u8`, `u16`, `u32` | `integer` (decoding checks the range) |
/// | `u64`, `usize`, `u128`, `i128`, `isize` | rejected at compile time: sproto's integer is a signed 64-bit value |
/// | `bool` | `boolean` |
/// | `f64` | `double` |
/// | `f64` with `#[sproto(decimal = N)]` | `integer(N)` (also `Option<f64>`, `Vec<f64>`, `Option<Vec<f64>>`) |
/// | `String` | `string` (decoding requires UTF-8) |
/// | `Vec<u8>`, `bytes::Bytes` | `binary` |
/// | a type deriving `Sproto` | that struct type |
/// | `Option<T>` | `T`, absent on the wire when `None` |
/// | `Box<T>` | `T` (for recursive types) |
/// | `Vec<T>` | `*T` |
/// | `HashMap<K, V>` / `BTreeMap<K, V>` with `key = "f"` | `*V(f)`: `V` derives `Sproto`, `K` is the type of its field `f` |
/// | `HashMap<K, V>` / `BTreeMap<K, V>` with `entry = E` | `*E()`: `E` derives `Sproto` with two fields, of types `K` (smaller tag) and `V` |
/// | `Vec<V>` with `key = "f"`, `Vec<E>` with `entry = E` | `*V(f)`, `*E()` kept as a list in wire order (for keys a Rust map cannot hold: `f64`, arrays) |
///
/// A map may be wrapped in an `Option` (absent on the wire when `None`). A key field
/// of type `Option<K>` keys a map by `K`, and a two-field entry type's `Option<K>` /
/// `Option<V>` fields make a map `K → V`: decoding fails on an entry without its key
/// (or value), as in the reference.
///
/// A non-`Option` field is always written, and takes its `Default` when it is absent
/// on the wire. Fields marked `#[sproto(skip)]` are not on the wire and take their
/// `Default` when decoding. Unknown tags are skipped. Struct nesting deeper than 64
/// levels fails to decode (the reference's limit); encoding does not check it.
///
/// ```
/// use sproto_rt::{Message, Sproto};
///
/// #[derive(Sproto, Debug, PartialEq, Default)]
/// struct Point {
///     #[sproto(tag = 0)]
///     x: i64,
///     #[sproto(tag = 1)]
///     y: Option<i64>,
/// }
///
/// let p = Point { x: 1, y: None };
/// let bytes = p.encode();
/// assert_eq!(bytes, [1, 0, 4, 0]);
/// assert_eq!(Point::decode(&bytes).unwrap(), p);
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a sproto message",
    label = "not a sproto message",
    note = "derive it: `#[derive(Sproto)]` with a `#[sproto(tag = N)]` on each field"
)]
pub trait Message: Sized {
    /// The sproto type's full name (`Person.PhoneNumber`).
    #[doc(hidden)]
    const TYPE_NAME: &'static str;
    /// The most header slots an encoding uses.
    #[doc(hidden)]
    const MAX_SLOTS: usize;
    /// Writes the fields into an open struct.
    #[doc(hidden)]
    fn encode_fields(&self, st: &mut StructWriter<'_>);
    /// Reads the fields of a validated struct at nesting level `depth`.
    #[doc(hidden)]
    fn decode_fields(view: &StructView<'_>, depth: usize) -> Result<Self, DecodeError>;
    /// Describes the type (and the types it refers to) to a schema builder.
    #[doc(hidden)]
    fn describe(builder: &mut SchemaBuilder);
    /// Reads the struct `reader` is at, in one pass; returns it and its size. Derived
    /// types read straight from the reader; the default validates the struct first and
    /// calls [`decode_fields`](Self::decode_fields).
    #[doc(hidden)]
    #[inline]
    fn decode_reader(reader: StructReader<'_>, depth: usize) -> Result<(Self, usize), DecodeError> {
        let view = reader.into_view()?;
        Ok((Self::decode_fields(&view, depth)?, view.consumed()))
    }

    /// The sproto type's full name.
    fn type_name() -> &'static str {
        Self::TYPE_NAME
    }

    /// Appends the encoding to `buf`.
    ///
    /// # Panics
    /// When a string, binary, array or nested struct of the value is 4 GiB or more
    /// long: sproto's data blocks have a `u32` length, and a wrapped length would
    /// corrupt the message silently. (The dynamic [`Sproto::encode`](crate::Sproto::encode)
    /// returns an error instead.)
    fn encode_to(&self, buf: &mut Vec<u8>) {
        let mut w = Writer::new(std::mem::take(buf));
        let mut st = StructWriter::begin(&mut w, Self::MAX_SLOTS);
        self.encode_fields(&mut st);
        let size = st.finish();
        *buf = w.finish();
        check_message_size(size);
    }

    /// The encoding, as `sproto:encode` would write it for the equivalent value.
    ///
    /// # Panics
    /// When a string, binary, array or nested struct of the value is 4 GiB or more
    /// long: sproto's data blocks have a `u32` length, and a wrapped length would
    /// corrupt the message silently. (The dynamic [`Sproto::encode`](crate::Sproto::encode)
    /// returns an error instead.)
    fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.encode_to(&mut buf);
        buf
    }

    /// Encodes and 0-packs (`sproto:pencode`).
    fn pencode(&self) -> Vec<u8> {
        let plain = self.encode();
        let mut out = Vec::with_capacity(plain.len() + plain.len() / 8 + 2);
        pack_into(&plain, &mut out);
        out
    }

    /// Decodes a message; bytes after it are ignored (see
    /// [`decode_with_len`](Self::decode_with_len)). Absent non-`Option` fields take
    /// their `Default`; unknown tags are skipped.
    fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        Self::decode_with_len(bytes).map(|(v, _)| v)
    }

    /// Decodes a message and tells how many bytes it used.
    fn decode_with_len(bytes: &[u8]) -> Result<(Self, usize), DecodeError> {
        Self::decode_reader(StructReader::new(bytes, 0)?, 0)
    }

    /// Unpacks and decodes (`sproto:pdecode`).
    fn pdecode(packed: &[u8]) -> Result<Self, DecodeError> {
        Self::decode(&unpack(packed)?)
    }

    /// The schema of this type and every type it refers to.
    fn schema() -> Result<Sproto, BuildError> {
        SchemaBuilder::new().message::<Self>().build()
    }
}

/// Refuses a derived encoding of 4 GiB or more, once per message.
///
/// Every data block (string, binary, array, nested struct) lies inside the message,
/// so a message under 4 GiB cannot hold a block whose `u32` length wrapped; checking
/// the whole once costs nothing per field. The reference C cannot encode a message
/// of 2 GiB or more at all (its buffer size is an `int`).
///
/// # Panics
/// When `size` does not fit a `u32`.
#[inline(always)]
pub(crate) fn check_message_size(size: usize) {
    if u32::try_from(size).is_err() {
        message_too_large(size);
    }
}

#[cold]
#[inline(never)]
fn message_too_large(size: usize) -> ! {
    panic!("sproto: a message of {size} bytes is over the format's 4 GiB limit (u32 lengths)")
}

/// Fails when a struct at nesting level `depth` holds a known field and the level is
/// at the reference's limit (64). Used by generated code. (The level's top bit is
/// [`RECHECKED`](crate::derive::RECHECKED), not part of the level.)
#[doc(hidden)]
#[inline]
pub fn check_depth(depth: usize, offset: usize) -> Result<(), DecodeError> {
    if depth & !crate::derive::RECHECKED >= DEFAULT_MAX_DEPTH {
        Err(DecodeError::new(
            offset,
            DecodeErrorKind::TooDeep {
                limit: DEFAULT_MAX_DEPTH,
            },
        ))
    } else {
        Ok(())
    }
}

/// A sproto struct type that borrows from the bytes it is decoded from: a struct with a
/// lifetime that derives `Sproto`. Decoding copies nothing: `&'a str`, `&'a [u8]` and
/// `Cow<'a, str>` / `Cow<'a, [u8]>` fields point into the input, nested borrowed structs
/// are decoded in place, and arrays are either `Vec`s of borrowed items (one allocation
/// per array, none per element) or [`ArrayRef`](crate::ArrayRef)s, which allocate
/// nothing: every element is checked when decoding (a decoded value is whole either
/// way), and decoded again, in place, when iterated.
///
/// | Rust field | sproto |
/// | --- | --- |
/// | `&'a str`, `Cow<'a, str>` | `string` (decoding requires UTF-8) |
/// | `&'a [u8]`, `Cow<'a, [u8]>` | `binary` |
/// | a struct with a lifetime deriving `Sproto` | that struct type |
/// | `Vec<T>` of any of those | `*T` |
/// | `ArrayRef<'a, T>` of any of those (or of `String`, `Vec<u8>`, owned structs) | `*T`, read in place |
///
/// Everything [`Message`] maps works in a borrowed struct too (integers, owned strings,
/// owned structs, maps...), with the same rules. Owned types implement [`Message`]
/// instead; a type with a lifetime cannot be a field of an owned type.
///
/// ```
/// use sproto_rt::{Message, MessageRef, Sproto};
///
/// #[derive(Sproto, Debug, PartialEq)]
/// #[sproto(name = "Person")]
/// struct PersonRef<'a> {
///     #[sproto(tag = 0)]
///     name: &'a str,
///     #[sproto(tag = 1)]
///     id: i64,
///     #[sproto(tag = 2)]
///     email: Option<&'a str>,
/// }
///
/// let bytes = PersonRef { name: "Alice", id: 10000, email: None }.encode();
/// let alice = PersonRef::decode(&bytes).unwrap();
/// assert_eq!(alice.name, "Alice");
/// assert_eq!(alice.name.as_ptr(), bytes[10..].as_ptr()); // points into `bytes`
/// ```
#[diagnostic::on_unimplemented(
    message = "`{Self}` is not a borrowed sproto message",
    label = "not a borrowed sproto message",
    note = "derive it on a struct with a lifetime: `#[derive(Sproto)] struct T<'a> {{ #[sproto(tag = 0)] name: &'a str }}`; owned types implement `Message`"
)]
pub trait MessageRef<'a>: Sized {
    /// The sproto type's full name (`Person.PhoneNumber`).
    #[doc(hidden)]
    const TYPE_NAME: &'static str;
    /// The most header slots an encoding uses.
    #[doc(hidden)]
    const MAX_SLOTS: usize;
    /// Writes the fields into an open struct.
    #[doc(hidden)]
    fn encode_fields(&self, st: &mut StructWriter<'_>);
    /// Reads the struct `reader` is at; returns it and its size.
    #[doc(hidden)]
    fn decode_reader(reader: StructReader<'a>, depth: usize) -> Result<(Self, usize), DecodeError>;
    /// Describes the type (and the types it refers to) to a schema builder.
    #[doc(hidden)]
    fn describe(builder: &mut SchemaBuilder);

    /// The sproto type's full name.
    fn type_name() -> &'static str {
        Self::TYPE_NAME
    }

    /// Appends the encoding to `buf`.
    ///
    /// # Panics
    /// When a string, binary, array or nested struct of the value is 4 GiB or more
    /// long: sproto's data blocks have a `u32` length, and a wrapped length would
    /// corrupt the message silently. (The dynamic [`Sproto::encode`](crate::Sproto::encode)
    /// returns an error instead.)
    fn encode_to(&self, buf: &mut Vec<u8>) {
        let mut w = Writer::new(std::mem::take(buf));
        let mut st = StructWriter::begin(&mut w, Self::MAX_SLOTS);
        self.encode_fields(&mut st);
        let size = st.finish();
        *buf = w.finish();
        check_message_size(size);
    }

    /// The encoding, as `sproto:encode` would write it for the equivalent value.
    ///
    /// # Panics
    /// When a string, binary, array or nested struct of the value is 4 GiB or more
    /// long: sproto's data blocks have a `u32` length, and a wrapped length would
    /// corrupt the message silently. (The dynamic [`Sproto::encode`](crate::Sproto::encode)
    /// returns an error instead.)
    fn encode(&self) -> Vec<u8> {
        let mut buf = Vec::new();
        self.encode_to(&mut buf);
        buf
    }

    /// Encodes and 0-packs (`sproto:pencode`). (There is no borrowing `pdecode`: unpack
    /// into a buffer with [`unpack`](crate::unpack), then decode from it.)
    fn pencode(&self) -> Vec<u8> {
        let plain = self.encode();
        let mut out = Vec::with_capacity(plain.len() + plain.len() / 8 + 2);
        pack_into(&plain, &mut out);
        out
    }

    /// Decodes a message borrowing from `bytes`; bytes after it are ignored. Absent
    /// non-`Option` fields take their `Default`; unknown tags are skipped.
    fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        Self::decode_with_len(bytes).map(|(v, _)| v)
    }

    /// Decodes a message and tells how many bytes it used.
    fn decode_with_len(bytes: &'a [u8]) -> Result<(Self, usize), DecodeError> {
        Self::decode_reader(StructReader::new(bytes, 0)?, 0)
    }

    /// The schema of this type and every type it refers to.
    fn schema() -> Result<Sproto, BuildError> {
        let mut b = SchemaBuilder::new();
        Self::describe(&mut b);
        b.build()
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_message_under_4_gib_passes() {
        super::check_message_size(0);
        super::check_message_size(u32::MAX as usize);
    }

    #[test]
    #[should_panic(expected = "over the format's 4 GiB limit")]
    fn a_message_of_4_gib_is_refused() {
        // Not wrapped to 0: a 4 GiB string would otherwise encode with length 0.
        super::check_message_size(u32::MAX as usize + 1);
    }
}
