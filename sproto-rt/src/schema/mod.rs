//! The loaded schema: types, fields and protocols, as `sproto_create` holds them.
//!
//! A [`Sproto`](struct@crate::Sproto) comes from schema text ([`Sproto::parse`]) or from a binary bundle
//! ([`Sproto::from_bundle`]); either way it can be written back as a bundle
//! ([`Sproto::to_bundle`]) or printed like the reference's `sproto_dump`
//! ([`Sproto::dump`]).

mod builder;
mod dump;
mod validate;

pub use builder::{BuildError, FieldDesc, FieldForm, ProtocolSpec, SchemaBuilder, TypeRef};
pub(crate) use validate::check as check_parts;
pub use validate::InvalidSchema;

use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};

use crate::field_name::FieldName;
use crate::wire::SlotCount;

/// FNV-1a: schema lookups hash short names on every encode/decode call, where SipHash
/// costs more than the rest of the lookup. (Names come from the schema, not from
/// message data, so hash flooding is not a concern here.)
#[derive(Default, Clone, Copy)]
pub(crate) struct Fnv(u64);

impl Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for &b in bytes {
            h = (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = h;
    }
}

type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<Fnv>>;

/// Index of a type in [`Sproto::types`]; also the type's id in the bundle.
pub type TypeId = usize;

/// The element type of a field.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldType {
    /// `integer`: a signed 64-bit integer.
    Integer,
    /// `integer(N)`: a fixed-point number stored as `round(x * 10^N)`.
    Decimal(u16),
    /// `boolean`.
    Boolean,
    /// `string`: bytes, UTF-8 by convention (not checked, as in the reference).
    String,
    /// `binary`: bytes.
    Binary,
    /// `double`: an IEEE-754 binary64.
    Double,
    /// A user-defined struct type.
    Struct(TypeId),
}

impl FieldType {
    /// The builtin number the bundle stores for this type (`None` for structs).
    pub fn builtin(self) -> Option<u16> {
        match self {
            FieldType::Integer | FieldType::Decimal(_) => Some(0),
            FieldType::Boolean => Some(1),
            FieldType::String | FieldType::Binary => Some(2),
            FieldType::Double => Some(3),
            FieldType::Struct(_) => None,
        }
    }

    /// The builtin's name in schema text, or `None` for structs.
    pub fn builtin_name(self) -> Option<&'static str> {
        match self {
            FieldType::Integer | FieldType::Decimal(_) => Some("integer"),
            FieldType::Boolean => Some("boolean"),
            FieldType::String => Some("string"),
            FieldType::Binary => Some("binary"),
            FieldType::Double => Some("double"),
            FieldType::Struct(_) => None,
        }
    }
}

/// How a field holds its element type: the four forms schema text can write.
///
/// The bundle stores this as three flags (`array`, `key`, `map`); the bundle reader
/// turns them into a `Shape` and the writer back, so a bundle the parser writes
/// round-trips byte for byte. Flag combinations that the codec would not act on (a key
/// on a single value or on an array of builtins, a map flag without a key) load as the
/// shape the codec gives them.
///
/// ```
/// use sproto_rt::schema::Shape;
/// use sproto_rt::Sproto;
///
/// let sp = Sproto::parse(
///     ".E { k 0 : string  v 1 : integer }\n\
///      .T { one 0 : E  many 1 : *E  by_k 2 : *E(k)  pairs 3 : *E() }",
/// )
/// .unwrap();
/// let shapes: Vec<Shape> = sp.type_by_name("T").unwrap().fields.iter().map(|f| f.shape).collect();
/// assert_eq!(
///     shapes,
///     [Shape::One, Shape::Array, Shape::KeyedMap { key: 0 }, Shape::PairMap { key: 0 }]
/// );
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Shape {
    /// `T`: one value.
    One,
    /// `*T`: an array of values.
    Array,
    /// `*T(key)`: a map of `T` structs, keyed by their field with tag `key` (a
    /// builtin-typed field of `T`). On the wire, an array of `T`.
    KeyedMap {
        /// The tag of the key field in `T`.
        key: u16,
    },
    /// `*T()`: a map from the first of `T`'s two fields (tag `key`) to the other. On
    /// the wire, an array of two-field `T` structs.
    PairMap {
        /// The tag of the key field (the first of `T`'s two fields).
        key: u16,
    },
}

impl Shape {
    /// Whether the wire form is an array (every shape but [`Shape::One`]).
    #[inline(always)]
    pub fn is_array(self) -> bool {
        !matches!(self, Shape::One)
    }

    /// The map key field's tag of the two map shapes.
    #[inline(always)]
    pub fn map_key(self) -> Option<u16> {
        match self {
            Shape::KeyedMap { key } | Shape::PairMap { key } => Some(key),
            Shape::One | Shape::Array => None,
        }
    }
}

/// One field of a struct type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Field {
    /// The field's name (shared with the values decoded by this schema).
    pub name: FieldName,
    /// The field's tag (0..=[`MAX_INLINE`](crate::wire::MAX_INLINE)).
    pub tag: u16,
    /// The element type. Always a struct for the map shapes.
    pub ty: FieldType,
    /// One value, an array, or a map.
    pub shape: Shape,
}

impl Field {
    /// The decimal precision `N` of an `integer(N)` field.
    pub fn decimal_precision(&self) -> Option<u16> {
        match self.ty {
            FieldType::Decimal(n) => Some(n),
            _ => None,
        }
    }
}

/// A struct type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Type {
    /// Full name (`Outer.Inner` for nested types, `proto.request` for inline ones).
    pub name: String,
    /// Fields in strictly ascending tag order.
    pub fields: Vec<Field>,
}

impl Type {
    /// The field with `tag`, if the type declares one.
    pub fn field_by_tag(&self, tag: u32) -> Option<&Field> {
        let tag = u16::try_from(tag).ok()?;
        self.fields
            .binary_search_by_key(&tag, |f| f.tag)
            .ok()
            .map(|i| &self.fields[i])
    }

    /// The field named `name`, if the type declares one.
    pub fn field_by_name(&self, name: &str) -> Option<&Field> {
        self.fields.iter().find(|f| &*f.name == name)
    }

    /// The most header slots an encoding of this type can use (see
    /// [`SlotCount`]).
    pub fn max_slots(&self) -> usize {
        let mut n = SlotCount::new();
        for f in &self.fields {
            n = n.field(f.tag);
        }
        n.get()
    }
}

/// An RPC protocol: a tag, a name and its message types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Protocol {
    /// The protocol's name.
    pub name: String,
    /// The protocol's tag (0..=[`MAX_INLINE`](crate::wire::MAX_INLINE)).
    pub tag: u16,
    /// The request type, if the protocol takes a request message.
    pub request: Option<TypeId>,
    /// The response type, if the protocol answers with a message.
    pub response: Option<TypeId>,
    /// `response nil`: a response without a message is expected.
    pub confirm: bool,
}

/// A loaded sproto schema.
///
/// ```
/// use sproto_rt::Sproto;
///
/// let sp = Sproto::parse(".Person { name 0 : string  id 1 : integer }").unwrap();
/// let person = sp.type_by_name("Person").unwrap();
/// assert_eq!(&*person.fields[1].name, "id");
/// let bundle = sp.to_bundle().unwrap();
/// assert_eq!(Sproto::from_bundle(&bundle).unwrap(), sp);
/// ```
#[derive(Clone)]
pub struct Sproto {
    types: Vec<Type>,
    /// [`Type::max_slots`] of each type, by id: the header the encoder reserves.
    slots: Vec<usize>,
    protocols: Vec<Protocol>,
    type_ids: FastMap<String, TypeId>,
    protocol_by_tag: FastMap<u16, usize>,
    protocol_by_name: FastMap<String, usize>,
}

impl PartialEq for Sproto {
    fn eq(&self, other: &Self) -> bool {
        self.types == other.types && self.protocols == other.protocols
    }
}

impl Eq for Sproto {}

impl fmt::Debug for Sproto {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sproto")
            .field("types", &self.types)
            .field("protocols", &self.protocols)
            .finish()
    }
}

impl Sproto {
    /// Builds a schema from its parts, checking what schema text guarantees: fields in
    /// strictly ascending tag order, tags, precisions and protocol tags at most
    /// [`MAX_INLINE`](crate::wire::MAX_INLINE), type references into `types`, map
    /// shapes only on struct types with a valid key field (`*T(key)`: a builtin field
    /// of `T`; `*T()`: `T` has two fields and the key is the first, a builtin), no two
    /// types, fields of one type or protocols with one name (or protocol tag), and no
    /// protocols without types.
    ///
    /// ```
    /// use sproto_rt::schema::{Field, FieldType, InvalidSchema, Shape, Type};
    /// use sproto_rt::Sproto;
    ///
    /// let field = |name: &str, tag| Field {
    ///     name: name.into(),
    ///     tag,
    ///     ty: FieldType::Integer,
    ///     shape: Shape::One,
    /// };
    /// let t = |fields| vec![Type { name: "A".into(), fields }];
    /// let sp = Sproto::from_parts(t(vec![field("x", 0), field("y", 2)]), vec![]).unwrap();
    /// assert_eq!(sp.to_text(), ".A {\n    x 0 : integer\n    y 2 : integer\n}\n");
    /// assert!(matches!(
    ///     Sproto::from_parts(t(vec![field("y", 2), field("x", 0)]), vec![]),
    ///     Err(InvalidSchema::FieldOrder { .. })
    /// ));
    /// ```
    pub fn from_parts(types: Vec<Type>, protocols: Vec<Protocol>) -> Result<Self, InvalidSchema> {
        validate::check(&types, &protocols)?;
        Ok(Self::assemble(types, protocols))
    }

    /// Builds a schema from parts that the parser or the bundle reader checked.
    /// Lookups by name and tag keep the first of duplicates, as the reference's
    /// linear searches do (a bundle can have duplicates, which the reference loads).
    pub(crate) fn assemble(types: Vec<Type>, protocols: Vec<Protocol>) -> Self {
        let mut type_ids = FastMap::default();
        for (i, t) in types.iter().enumerate() {
            type_ids.entry(t.name.clone()).or_insert(i);
        }
        let mut protocol_by_tag = FastMap::default();
        let mut protocol_by_name = FastMap::default();
        for (i, p) in protocols.iter().enumerate() {
            protocol_by_tag.entry(p.tag).or_insert(i);
            protocol_by_name.entry(p.name.clone()).or_insert(i);
        }
        let slots = types.iter().map(Type::max_slots).collect();
        Sproto {
            types,
            slots,
            protocols,
            type_ids,
            protocol_by_tag,
            protocol_by_name,
        }
    }

    /// All types, in id order.
    pub fn types(&self) -> &[Type] {
        &self.types
    }

    /// All protocols, in bundle order (ascending tags for parsed schemas).
    pub fn protocols(&self) -> &[Protocol] {
        &self.protocols
    }

    /// The type with id `id`.
    pub fn type_by_id(&self, id: TypeId) -> Option<&Type> {
        self.types.get(id)
    }

    /// The type with id `id` and its [`Type::max_slots`], computed once.
    #[inline]
    pub(crate) fn type_with_slots(&self, id: TypeId) -> Option<(&Type, usize)> {
        Some((self.types.get(id)?, *self.slots.get(id)?))
    }

    /// The id of the type named `name` (a full name such as `Person.PhoneNumber`).
    pub fn type_id(&self, name: &str) -> Option<TypeId> {
        self.type_ids.get(name).copied()
    }

    /// The type named `name`.
    pub fn type_by_name(&self, name: &str) -> Option<&Type> {
        self.type_id(name).map(|i| &self.types[i])
    }

    /// The protocol with tag `tag`.
    pub fn protocol_by_tag(&self, tag: u16) -> Option<&Protocol> {
        self.protocol_by_tag.get(&tag).map(|&i| &self.protocols[i])
    }

    /// The protocol named `name`.
    pub fn protocol_by_name(&self, name: &str) -> Option<&Protocol> {
        self.protocol_by_name.get(name).map(|&i| &self.protocols[i])
    }
}
