//! What [`Sproto::from_parts`](crate::Sproto::from_parts) checks, and the errors of
//! schemas that cannot be built or written.

use std::collections::HashSet;

use super::{FieldType, Protocol, Shape, Type};
use crate::wire::MAX_INLINE;

/// A schema that breaks a rule of the format (see
/// [`Sproto::from_parts`](crate::Sproto::from_parts)), or that a bundle cannot hold
/// ([`Sproto::to_bundle`](crate::Sproto::to_bundle)).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum InvalidSchema {
    /// The fields of a type are not in strictly ascending tag order.
    #[error("fields of type {type_name} are not in strictly ascending tag order (tag {tag})")]
    FieldOrder {
        /// The type.
        type_name: String,
        /// The first tag out of order.
        tag: u16,
    },
    /// A number stored in an inline bundle slot is larger than
    /// [`MAX_INLINE`](crate::wire::MAX_INLINE).
    #[error("{what} {value} of {owner} is too large (at most {max})", max = MAX_INLINE)]
    TooLarge {
        /// Which number (`tag`, `precision`, `type id`, ...).
        what: &'static str,
        /// The type, field or protocol it belongs to.
        owner: String,
        /// The number.
        value: u64,
    },
    /// A type reference is not an index into the type list.
    #[error("{owner} refers to type {id}, but there are {count} types")]
    TypeOutOfRange {
        /// The field or protocol.
        owner: String,
        /// The type id.
        id: usize,
        /// The number of types.
        count: usize,
    },
    /// A map shape on a field whose element type is not a struct.
    #[error("field {field} of {type_name} is a map of a builtin type")]
    MapOfBuiltin {
        /// The type.
        type_name: String,
        /// The field.
        field: String,
    },
    /// A map's key tag is not a builtin field of the element type (`*T(key)`), or not
    /// the first of its two fields (`*T()`).
    #[error("field {field} of {type_name}: tag {key} cannot key a map of {element}")]
    BadMapKey {
        /// The type.
        type_name: String,
        /// The field.
        field: String,
        /// The element type.
        element: String,
        /// The key tag.
        key: u16,
    },
    /// Two types share a name.
    #[error("type {0} is defined twice")]
    DuplicateType(String),
    /// Two fields of one type share a name.
    #[error("type {type_name} has two fields named {field}")]
    DuplicateField {
        /// The type.
        type_name: String,
        /// The field name.
        field: String,
    },
    /// Two protocols share a name or a tag.
    #[error("protocol {0} is defined twice (same name or tag)")]
    DuplicateProtocol(String),
    /// Protocols without any type: a bundle cannot hold them (the reference refuses to
    /// load a bundle without types).
    #[error("protocols need at least one type in the schema")]
    ProtocolsWithoutTypes,
}

fn too_large(what: &'static str, owner: impl Into<String>, value: u16) -> InvalidSchema {
    InvalidSchema::TooLarge {
        what,
        owner: owner.into(),
        value: u64::from(value),
    }
}

/// The checks of `Sproto::from_parts`.
pub(crate) fn check(types: &[Type], protocols: &[Protocol]) -> Result<(), InvalidSchema> {
    let count = types.len();
    let in_range = |owner: &dyn Fn() -> String, id: usize| {
        if id < count {
            Ok(())
        } else {
            Err(InvalidSchema::TypeOutOfRange {
                owner: owner(),
                id,
                count,
            })
        }
    };
    let mut type_names = HashSet::with_capacity(count);
    for t in types {
        if !type_names.insert(t.name.as_str()) {
            return Err(InvalidSchema::DuplicateType(t.name.clone()));
        }
        let mut field_names = HashSet::with_capacity(t.fields.len());
        let mut last: Option<u16> = None;
        for f in &t.fields {
            let owner = || format!("field {} of {}", f.name, t.name);
            if last.is_some_and(|last| f.tag <= last) {
                return Err(InvalidSchema::FieldOrder {
                    type_name: t.name.clone(),
                    tag: f.tag,
                });
            }
            last = Some(f.tag);
            if f.tag > MAX_INLINE {
                return Err(too_large("tag", owner(), f.tag));
            }
            if !field_names.insert(&*f.name) {
                return Err(InvalidSchema::DuplicateField {
                    type_name: t.name.clone(),
                    field: f.name.to_string(),
                });
            }
            match f.ty {
                FieldType::Decimal(n) if n > MAX_INLINE => {
                    return Err(too_large("precision", owner(), n))
                }
                FieldType::Struct(id) => in_range(&owner, id)?,
                _ => {}
            }
            let Some(key) = f.shape.map_key() else {
                continue;
            };
            let FieldType::Struct(id) = f.ty else {
                return Err(InvalidSchema::MapOfBuiltin {
                    type_name: t.name.clone(),
                    field: f.name.to_string(),
                });
            };
            let element = &types[id];
            let builtin = |k: &super::Field| k.tag == key && k.ty.builtin().is_some();
            let valid = match f.shape {
                Shape::PairMap { .. } => {
                    element.fields.len() == 2 && element.fields.first().is_some_and(builtin)
                }
                _ => element.fields.iter().any(builtin),
            };
            if !valid {
                return Err(InvalidSchema::BadMapKey {
                    type_name: t.name.clone(),
                    field: f.name.to_string(),
                    element: element.name.clone(),
                    key,
                });
            }
        }
    }
    if types.is_empty() && !protocols.is_empty() {
        return Err(InvalidSchema::ProtocolsWithoutTypes);
    }
    let mut names = HashSet::with_capacity(protocols.len());
    let mut tags = HashSet::with_capacity(protocols.len());
    for p in protocols {
        let owner = || format!("protocol {}", p.name);
        if p.tag > MAX_INLINE {
            return Err(too_large("tag", owner(), p.tag));
        }
        if !names.insert(p.name.as_str()) || !tags.insert(p.tag) {
            return Err(InvalidSchema::DuplicateProtocol(p.name.clone()));
        }
        for id in [p.request, p.response].into_iter().flatten() {
            in_range(&owner, id)?;
        }
    }
    Ok(())
}
