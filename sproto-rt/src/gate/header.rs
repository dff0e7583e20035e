//! The package header (`.package { type 0 : integer  session 1 : integer }`, maybe
//! with `ud`): where its fields are ([`PackageLayout`]) and the header values
//! ([`Header`]). Reading and writing go through the wire core like any message.

use crate::error::DecodeError;
use crate::schema::{FieldType, Shape, Sproto};
use crate::wire::{int_from_slot, SlotCount, StructView, StructWriter, Writer};

use super::super::rpc::RpcError;

/// The header of one package: `type` (the protocol's tag) for requests, `session`
/// when an answer is expected (or for the answer), and `ud` when the package type has
/// one.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header {
    /// The protocol's tag; `None` in a response.
    pub ty: Option<i64>,
    /// The session.
    pub session: Option<i64>,
    /// The user data field.
    pub ud: Option<i64>,
}

/// The tags of the package type's `type`, `session` and `ud` fields.
///
/// The reference finds these fields by name; [`PackageLayout::from_schema`] does the
/// same once, so that each header is then read and written by tag.
///
/// ```
/// use sproto_rt::gate::{Header, PackageLayout};
/// use sproto_rt::Sproto;
///
/// let sp = Sproto::parse(".package { type 0 : integer  session 1 : integer  ud 2 : integer }").unwrap();
/// let layout = PackageLayout::from_schema(&sp, "package").unwrap();
/// assert_eq!(layout.ud, Some(2));
/// let mut buf = Vec::new();
/// layout.encode(&Header { ty: Some(1), session: Some(7), ud: None }, &mut buf);
/// let (header, used) = layout.decode(&buf).unwrap();
/// assert_eq!((header.ty, header.session, used), (Some(1), Some(7), buf.len()));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackageLayout {
    /// The tag of `type`.
    pub ty: Option<u16>,
    /// The tag of `session`.
    pub session: Option<u16>,
    /// The tag of `ud`.
    pub ud: Option<u16>,
}

impl Default for PackageLayout {
    /// skynet's usual `.package { type 0 : integer  session 1 : integer }`.
    fn default() -> Self {
        PackageLayout {
            ty: Some(0),
            session: Some(1),
            ud: None,
        }
    }
}

impl PackageLayout {
    /// The layout of type `package` of `sp`: its integer fields named `type`,
    /// `session` and `ud` (each may be absent, as in the reference, where such a
    /// header value is then dropped).
    pub fn from_schema(sp: &Sproto, package: &str) -> Result<Self, RpcError> {
        let ty = sp
            .type_by_name(package)
            .ok_or_else(|| RpcError::UnknownPackage(package.to_string()))?;
        let tag = |name: &'static str| -> Result<Option<u16>, RpcError> {
            match ty.field_by_name(name) {
                None => Ok(None),
                Some(f) if f.ty == FieldType::Integer && f.shape == Shape::One => Ok(Some(f.tag)),
                Some(_) => Err(RpcError::BadHeader(name)),
            }
        };
        Ok(PackageLayout {
            ty: tag("type")?,
            session: tag("session")?,
            ud: tag("ud")?,
        })
    }

    /// Appends the encoded header (a sproto struct) to `buf`.
    pub fn encode(&self, h: &Header, buf: &mut Vec<u8>) {
        let mut fields = [(self.ty, h.ty), (self.session, h.session), (self.ud, h.ud)];
        fields.sort_by_key(|(tag, _)| *tag);
        let slots = fields
            .iter()
            .filter_map(|(tag, _)| *tag)
            .fold(SlotCount::new(), SlotCount::field);
        let mut w = Writer::new(std::mem::take(buf));
        let mut st = StructWriter::begin(&mut w, slots.get());
        for (tag, value) in fields {
            if let (Some(tag), Some(v)) = (tag, value) {
                st.int(tag, v);
            }
        }
        st.finish();
        *buf = w.finish();
    }

    /// Reads a header from the start of an unpacked package; returns it and the bytes
    /// it used (the body starts there). Unknown fields are skipped.
    pub fn decode(&self, plain: &[u8]) -> Result<(Header, usize), DecodeError> {
        let view = StructView::parse(plain, 0)?;
        let mut h = Header::default();
        for f in view.fields() {
            let slot = |v| {
                int_from_slot(v)
                    .map(Some)
                    .map_err(|p| DecodeError::field_problem(view.slot_offset(f.index), p))
            };
            let tag = u16::try_from(f.tag).ok();
            if tag.is_none() {
                continue;
            }
            if tag == self.ty {
                h.ty = slot(f.value)?;
            } else if tag == self.session {
                h.session = slot(f.value)?;
            } else if tag == self.ud {
                h.ud = slot(f.value)?;
            }
        }
        Ok((h, view.consumed()))
    }
}
