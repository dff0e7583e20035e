//! Maps: `*V(key)` (a `HashMap`/`BTreeMap` of derived structs keyed by one of their
//! fields) and `*Entry()` (a map `K → V` written as two-field entry structs).

use super::field::{decode_nested, encode_struct_block};
use super::StructCodec;
use crate::error::{DecodeError, FieldProblem};
use crate::message::Message;
use crate::wire::{
    check_nested_len, data_from_slot, ArrayElements, SlotValue, StructView, StructWriter, Writer,
};

/// A Rust type that can key a sproto map: the key field's type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot key a sproto map",
    label = "the map key field must be a scalar",
    note = "map keys are integers, bool, String or Vec<u8> fields (not arrays, structs or f64)"
)]
pub trait MapKey {}

macro_rules! map_key {
    ($($t:ty),*) => {$( impl MapKey for $t {} )*};
}
map_key!(
    i8,
    i16,
    i32,
    i64,
    u8,
    u16,
    u32,
    bool,
    String,
    Vec<u8>,
    bytes::Bytes
);

/// An optional key field: entries whose key field is absent share the `None` key.
impl<T: MapKey> MapKey for Option<T> {}

/// The map key a key field of a map value gives: a field of type `K` keys the map by
/// `K`, and so does a field of type `Option<K>` (an entry without it fails to decode,
/// as in the reference).
#[diagnostic::on_unimplemented(
    message = "a `{Self}` field cannot key a map with `{K}` keys",
    label = "the map's key type must be the key field's type (or the type inside its Option)",
    note = "map keys are integers, bool, String or Vec<u8> fields (not arrays, structs or f64)"
)]
pub trait KeyField<K> {
    /// The key, or `None` when the key field is absent.
    fn map_key(&self) -> Option<K>;
}

impl<K: MapKey + Clone> KeyField<K> for K {
    #[inline]
    fn map_key(&self) -> Option<K> {
        Some(self.clone())
    }
}

impl<K: MapKey + Clone> KeyField<K> for Option<K> {
    #[inline]
    fn map_key(&self) -> Option<K> {
        self.clone()
    }
}

/// A two-field struct used as the entry of a `*Entry()` map: its field with the
/// smaller tag is the key, the other the value. Implemented by `#[derive(Sproto)]`
/// for structs with exactly two fields.
pub trait PairEntry: Message {
    /// The key field's type.
    type Key;
    /// The value field's type.
    type Value;
    /// The key field's tag.
    const KEY_TAG: u16;
    /// Writes one entry struct.
    fn encode_pair(key: &Self::Key, value: &Self::Value, w: &mut Writer);
    /// Reads one entry struct (both fields must be present).
    fn decode_pair(
        view: &StructView<'_>,
        depth: usize,
    ) -> Result<(Self::Key, Self::Value), DecodeError>;
}

/// Writes `*V(key)`: each value struct in turn (the key is a field of the value).
pub fn encode_keyed_map<'a, 'de, V: StructCodec<'de> + 'a>(
    values: impl Iterator<Item = &'a V>,
    st: &mut StructWriter<'_>,
    tag: u16,
) {
    st.data_with(tag, |w| {
        for v in values {
            encode_struct_block(v, w);
        }
    });
}

/// Reads `*V(key)` into any map, keyed by `key(&value)`; a later equal key wins, and
/// an entry without its key (`None`) is an error.
pub fn decode_keyed_map<'de, K: MapKey, V: StructCodec<'de>, M: Default + Extend<(K, V)>>(
    slot: SlotValue<'de>,
    offset: usize,
    depth: usize,
    key: impl Fn(&V) -> Option<K>,
) -> Result<M, DecodeError> {
    let (data, at) = data_from_slot(slot).map_err(|p| DecodeError::field_problem(offset, p))?;
    let mut map = M::default();
    for e in ArrayElements::new(data, at) {
        let (bytes, at) = e?;
        let v: V = decode_nested(bytes, at, depth + 1)?;
        let k = key(&v).ok_or_else(|| missing_pair_part(at, true))?;
        map.extend(Some((k, v)));
    }
    Ok(map)
}

/// Writes `*Entry()`: one entry struct per pair.
pub fn encode_pair_map<'a, E: PairEntry>(
    entries: impl Iterator<Item = (&'a E::Key, &'a E::Value)>,
    st: &mut StructWriter<'_>,
    tag: u16,
) where
    E::Key: 'a,
    E::Value: 'a,
{
    st.data_with(tag, |w| {
        for (k, v) in entries {
            w.block(|w| E::encode_pair(k, v, w));
        }
    });
}

/// Reads `*Entry()` into any map; a later equal key wins.
pub fn decode_pair_map<E: PairEntry, M: Default + Extend<(E::Key, E::Value)>>(
    slot: SlotValue<'_>,
    offset: usize,
    depth: usize,
) -> Result<M, DecodeError> {
    let (data, at) = data_from_slot(slot).map_err(|p| DecodeError::field_problem(offset, p))?;
    let mut map = M::default();
    for e in ArrayElements::new(data, at) {
        let (bytes, at) = e?;
        let view = StructView::parse(bytes, at)?;
        check_nested_len(at, view.consumed(), bytes.len())?;
        map.extend(Some(E::decode_pair(&view, depth + 1)?));
    }
    Ok(map)
}

/// The error for an entry that lacks its key or value field.
#[doc(hidden)]
pub fn missing_pair_part(offset: usize, key: bool) -> DecodeError {
    DecodeError::field_problem(
        offset,
        if key {
            FieldProblem::MapMissingKey
        } else {
            FieldProblem::MapMissingValue
        },
    )
}
