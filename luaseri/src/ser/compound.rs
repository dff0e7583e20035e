//! [`Compound`]: a table being written by serde's sequence, tuple, map and struct
//! serializers, with the header fix-up, nil-dropping and key checks.

use serde::ser::{self, Serialize};

use super::{Result, Serializer};
use crate::error::PackError;
use crate::wire;

/// What a [`Compound`] is writing, so `end` knows how to close it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Kind {
    /// Array section items.
    Array,
    /// Array section items inside a `{ [variant] = ... }` table.
    VariantArray,
    /// Hash pairs.
    Hash,
    /// Hash pairs inside a `{ [variant] = ... }` table.
    VariantHash,
    /// `to_args`' top-level tuple: each item is a value of its own.
    Args,
}

/// The state of a table being written by serde's compound serializers.
#[doc(hidden)]
#[derive(Debug)]
pub struct Compound<'s, 'a> {
    ser: &'s mut Serializer<'a>,
    kind: Kind,
    /// Where the table header starts, to rewrite it when the count was wrong.
    header_at: usize,
    /// The array size the header announced.
    announced: usize,
    /// Array items written.
    count: usize,
    /// Where the pending map key starts.
    key_at: usize,
}

impl<'s, 'a> Compound<'s, 'a> {
    #[inline]
    pub(super) fn new(
        ser: &'s mut Serializer<'a>,
        kind: Kind,
        header_at: usize,
        announced: usize,
    ) -> Self {
        Compound {
            ser,
            kind,
            header_at,
            announced,
            count: 0,
            key_at: 0,
        }
    }

    #[inline]
    fn element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.count += 1;
        value.serialize(&mut *self.ser)
    }

    /// Closes an array table, fixing the header when the item count differs from the
    /// announced one (an unknown-length sequence, or a lying `Serialize` impl).
    #[inline]
    fn end_array(self) -> Result<()> {
        if self.kind == Kind::Args {
            return Ok(());
        }
        if self.count != self.announced {
            if self.count > wire::MAX_ARRAY_LEN {
                return Err(PackError::ArrayTooLong { len: self.count });
            }
            let old = wire::table_header(self.announced).len();
            let new = wire::table_header(self.count);
            self.ser
                .out
                .splice(self.header_at..self.header_at + old, new);
        }
        self.close()
    }

    #[inline]
    fn close(self) -> Result<()> {
        wire::write_nil(self.ser.out);
        self.ser.depth -= 1;
        if matches!(self.kind, Kind::VariantArray | Kind::VariantHash) {
            wire::write_nil(self.ser.out);
            self.ser.depth -= 1;
        }
        Ok(())
    }

    #[inline]
    fn key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key_at = self.ser.out.len();
        key.serialize(&mut *self.ser)?;
        match self.ser.out.get(self.key_at..) {
            Some([k, ..]) if wire::is_nil_byte(*k) => Err(PackError::NilKey),
            Some([wire::REAL_BYTE, bits @ ..]) if bits.len() == 8 => {
                let mut b = [0u8; 8];
                b.copy_from_slice(bits);
                if f64::from_bits(u64::from_le_bytes(b)).is_nan() {
                    Err(PackError::NanKey)
                } else {
                    Ok(())
                }
            }
            _ => Ok(()),
        }
    }

    /// Writes the value of the pending key; a `nil` value drops the pair, as
    /// `t[k] = nil` would in Lua (and it saves the bytes).
    #[inline]
    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        let at = self.ser.out.len();
        self.ser.droppable = true;
        let r = value.serialize(&mut *self.ser);
        self.ser.droppable = false;
        r?;
        if self.ser.out.get(at).copied().is_some_and(wire::is_nil_byte) {
            self.ser.out.truncate(self.key_at);
        }
        Ok(())
    }

    #[inline]
    fn field<T: Serialize + ?Sized>(&mut self, name: &'static str, value: &T) -> Result<()> {
        self.key_at = self.ser.out.len();
        // No depth check for the name: a nil value drops the pair, and any other value
        // makes the check itself at the same depth.
        if !wire::write_string(self.ser.out, name.as_bytes()) {
            return Err(PackError::StringTooLong { len: name.len() });
        }
        self.value(value)
    }
}

impl ser::SerializeSeq for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.end_array()
    }
}

impl ser::SerializeTuple for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.end_array()
    }
}

impl ser::SerializeTupleStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.end_array()
    }
}

impl ser::SerializeTupleVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.element(value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.end_array()
    }
}

impl ser::SerializeMap for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<()> {
        self.key(key)
    }

    #[inline]
    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<()> {
        self.value(value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.close()
    }
}

impl ser::SerializeStruct for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.close()
    }
}

impl ser::SerializeStructVariant for Compound<'_, '_> {
    type Ok = ();
    type Error = PackError;

    #[inline]
    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<()> {
        self.field(key, value)
    }

    #[inline]
    fn end(self) -> Result<()> {
        self.close()
    }
}
