//! Bundle bytes → schema, accepting and refusing exactly as the reference's
//! `create_from_bundle` does, with every length and index checked.

use crate::error::{BundleProblem, DecodeError, DecodeErrorKind};
use crate::schema::{Field, FieldType, Protocol, Shape, Sproto, Type};
use crate::wire::{ArrayElements, SlotValue, StructView};

fn refuse(offset: usize, problem: BundleProblem) -> DecodeError {
    DecodeError::new(offset, DecodeErrorKind::Bundle(problem))
}

impl Sproto {
    /// Loads a binary bundle (the `sproto_create` / `create_from_bundle` equivalent).
    ///
    /// Trailing bytes after the bundle are ignored, as by the reference. Malformed input
    /// gives an error with the byte offset of the problem; memory use is bounded by a
    /// small multiple of the input size.
    ///
    /// Like the reference, it checks type references and field tag order but loads
    /// duplicate names and map keys that key nothing, which
    /// [`Sproto::from_parts`](crate::Sproto::from_parts) refuses: the codec then
    /// reports such a map when it meets one. The `array`, `key` and `map` flags become
    /// a [`Shape`].
    ///
    /// The bundle of an empty schema (no types, no protocols) is the two bytes `00 00`,
    /// which [`Sproto::to_bundle`] writes but this refuses — as the reference's
    /// `sproto_create` does (it fails on a bundle without types): an empty schema
    /// does not survive a round trip through bytes. Keep it as text, or add a type.
    ///
    /// ```
    /// use sproto_rt::schema::Shape;
    /// use sproto_rt::Sproto;
    ///
    /// let bundle = Sproto::parse(".A { x 0 : *string }").unwrap().to_bundle().unwrap();
    /// let sp = Sproto::from_bundle(&bundle).unwrap();
    /// assert_eq!(sp.type_by_name("A").unwrap().fields[0].shape, Shape::Array);
    /// assert!(Sproto::from_bundle(&bundle[..bundle.len() - 1]).is_err());
    /// assert_eq!(Sproto::parse("").unwrap().to_bundle().unwrap(), [0, 0]);
    /// assert!(Sproto::from_bundle(&[0, 0]).is_err());
    /// ```
    pub fn from_bundle(bytes: &[u8]) -> Result<Sproto, DecodeError> {
        // The reference's struct check wants at least 4 bytes even for an empty group.
        if bytes.len() < 4 {
            return Err(DecodeError::new(
                0,
                DecodeErrorKind::Truncated {
                    what: "bundle",
                    need: 4,
                    have: bytes.len(),
                },
            ));
        }
        let group = StructView::parse(bytes, 0)?;
        if group.slot_count() > 2 {
            return Err(refuse(
                0,
                BundleProblem::GroupFieldCount(group.slot_count()),
            ));
        }
        let mut type_list = None;
        let mut protocol_list = None;
        for (i, slot) in group.fields().enumerate() {
            let (data, offset) = match slot.value {
                SlotValue::Data { bytes, offset } if slot.index == i => (bytes, offset),
                _ => {
                    return Err(refuse(
                        group.slot_offset(slot.index),
                        BundleProblem::ExpectedData("a group slot"),
                    ))
                }
            };
            // Validate the whole element list before building anything from it.
            let elements = ArrayElements::new(data, offset).collect::<Result<Vec<_>, _>>()?;
            if i == 0 {
                type_list = Some(elements);
            } else {
                protocol_list = Some(elements);
            }
        }
        if group.fields().count() != group.slot_count() {
            return Err(refuse(2, BundleProblem::ExpectedData("a group slot")));
        }
        let type_list = type_list.unwrap_or_default();
        let type_count = type_list.len();
        let mut types = Vec::with_capacity(type_count);
        for (bytes, offset) in type_list {
            types.push(read_type(bytes, offset, type_count)?);
        }
        let mut protocols = Vec::new();
        for (bytes, offset) in protocol_list.unwrap_or_default() {
            protocols.push(read_protocol(bytes, offset, type_count)?);
        }
        // Checked here as the reference checks: type references in range, field tags
        // ascending; duplicate names and unusable map keys load, as in the reference.
        Ok(Sproto::assemble(types, protocols))
    }
}

fn read_name(bytes: &[u8], offset: usize) -> Result<String, DecodeError> {
    String::from_utf8(bytes.to_vec()).map_err(|_| refuse(offset, BundleProblem::NameNotUtf8))
}

fn read_type(bytes: &[u8], offset: usize, type_count: usize) -> Result<Type, DecodeError> {
    let rec = StructView::parse(bytes, offset)?;
    let n = rec.slot_count();
    if n == 0 || n > 2 {
        return Err(refuse(offset, BundleProblem::TypeFieldCount(n)));
    }
    let mut name = None;
    let mut fields = Vec::new();
    let mut present = 0;
    for slot in rec.fields() {
        present += 1;
        let SlotValue::Data { bytes, offset } = slot.value else {
            return Err(refuse(offset, BundleProblem::ExpectedData("a type slot")));
        };
        if slot.tag == 0 {
            name = Some(read_name(bytes, offset)?);
        } else {
            for element in ArrayElements::new(bytes, offset) {
                let (bytes, offset) = element?;
                fields.push(read_field(bytes, offset, type_count)?);
            }
        }
    }
    if present != n {
        return Err(refuse(offset, BundleProblem::ExpectedData("a type slot")));
    }
    let name = name.ok_or_else(|| refuse(offset, BundleProblem::ExpectedData("a type name")))?;
    let mut last: i32 = -1;
    for f in &fields {
        if i32::from(f.tag) <= last {
            return Err(refuse(
                offset,
                BundleProblem::TagOrder {
                    type_name: name,
                    tag: f.tag,
                },
            ));
        }
        last = i32::from(f.tag);
    }
    Ok(Type { name, fields })
}

fn read_field(bytes: &[u8], offset: usize, type_count: usize) -> Result<Field, DecodeError> {
    let rec = StructView::parse(bytes, offset)?;
    let mut name = None;
    let mut builtin: Option<u16> = None;
    let mut extra: Option<u16> = None;
    let mut struct_id = None;
    let mut tag = None;
    let mut array = false;
    let mut key = None;
    let mut map = false;
    for slot in rec.fields() {
        let value = match slot.value {
            SlotValue::Data { bytes, offset } if slot.tag == 0 => {
                name = Some(read_name(bytes, offset)?);
                continue;
            }
            SlotValue::Data { offset, .. } => {
                return Err(refuse(
                    offset,
                    BundleProblem::UnexpectedData("a field slot"),
                ))
            }
            SlotValue::Inline(_) if slot.tag == 0 => {
                return Err(refuse(offset, BundleProblem::ExpectedData("a field name")))
            }
            SlotValue::Inline(v) => v,
        };
        match slot.tag {
            1 => {
                if value >= 4 {
                    return Err(refuse(offset, BundleProblem::UnknownBuiltin(value)));
                }
                builtin = Some(value);
            }
            2 => match builtin {
                Some(0) | Some(2) => extra = Some(value),
                Some(_) => return Err(refuse(offset, BundleProblem::BuiltinAndStruct)),
                None => {
                    if usize::from(value) >= type_count {
                        return Err(refuse(offset, BundleProblem::TypeIndexOutOfRange(value)));
                    }
                    struct_id = Some(usize::from(value));
                }
            },
            3 => tag = Some(value),
            4 => array = value != 0,
            5 => key = Some(value),
            6 => map = value != 0,
            other => return Err(refuse(offset, BundleProblem::UnknownFieldSlot(other))),
        }
    }
    let name = name.ok_or_else(|| refuse(offset, BundleProblem::IncompleteField("name")))?;
    let tag = tag.ok_or_else(|| refuse(offset, BundleProblem::IncompleteField("tag")))?;
    let ty = match (builtin, struct_id) {
        (Some(0), _) => match extra {
            Some(n) => FieldType::Decimal(n),
            None => FieldType::Integer,
        },
        (Some(1), _) => FieldType::Boolean,
        (Some(2), _) => match extra {
            Some(n) if n != 0 => FieldType::Binary,
            _ => FieldType::String,
        },
        (Some(_), _) => FieldType::Double,
        (None, Some(id)) => FieldType::Struct(id),
        (None, None) => return Err(refuse(offset, BundleProblem::IncompleteField("type"))),
    };
    Ok(Field {
        name: name.into(),
        tag,
        ty,
        shape: shape_of_flags(ty, array, key, map),
    })
}

/// The bundle's `array`, `key` and `map` flags as the shape the codec gives them: a
/// key makes a map only on an array of structs (`map` then makes it a pair map), and
/// otherwise means nothing, like a map flag without a key. What the parser writes
/// comes back unchanged; other combinations come back as the shape that behaves the
/// same.
fn shape_of_flags(ty: FieldType, array: bool, key: Option<u16>, map: bool) -> Shape {
    match (array, ty, key) {
        (false, _, _) => Shape::One,
        (true, FieldType::Struct(_), Some(key)) if map => Shape::PairMap { key },
        (true, FieldType::Struct(_), Some(key)) => Shape::KeyedMap { key },
        (true, _, _) => Shape::Array,
    }
}

fn read_protocol(bytes: &[u8], offset: usize, type_count: usize) -> Result<Protocol, DecodeError> {
    let rec = StructView::parse(bytes, offset)?;
    let mut name = None;
    let mut tag = None;
    let mut request = None;
    let mut response = None;
    let mut confirm = false;
    // The reference reads protocol slots by position, not by tag: a skip slot that
    // covers several tags still advances the position by one only.
    for slot in rec.fields() {
        let value = match slot.value {
            SlotValue::Data { bytes, offset } if slot.index == 0 => {
                name = Some(read_name(bytes, offset)?);
                continue;
            }
            SlotValue::Data { offset, .. } => {
                return Err(refuse(
                    offset,
                    BundleProblem::UnexpectedData("a protocol slot"),
                ))
            }
            SlotValue::Inline(_) if slot.index == 0 => {
                return Err(refuse(offset, BundleProblem::IncompleteProtocol))
            }
            SlotValue::Inline(v) => v,
        };
        let type_ref = || {
            if usize::from(value) < type_count {
                Ok(Some(usize::from(value)))
            } else {
                Err(refuse(offset, BundleProblem::TypeIndexOutOfRange(value)))
            }
        };
        match slot.index {
            1 => tag = Some(value),
            2 => request = type_ref()?,
            3 => response = type_ref()?,
            4 => confirm = value != 0,
            other => return Err(refuse(offset, BundleProblem::UnknownProtocolSlot(other))),
        }
    }
    match (name, tag) {
        (Some(name), Some(tag)) => Ok(Protocol {
            name,
            tag,
            request,
            response,
            confirm,
        }),
        _ => Err(refuse(offset, BundleProblem::IncompleteProtocol)),
    }
}
