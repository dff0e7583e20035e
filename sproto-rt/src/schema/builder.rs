//! Building a schema from Rust types: every `#[derive(Sproto)]` type describes itself
//! to a [`SchemaBuilder`], which numbers the types as the reference parser does (by
//! sorted full name), so the bundle is byte-identical to the one `sprotoparser.lua`
//! makes from the equivalent `.sproto` text.

use std::collections::BTreeMap;

use super::{Field, FieldType, InvalidSchema, Protocol, Shape, Sproto, Type};
use crate::message::Message;

/// A field's element type as a Rust type describes it: a builtin, or a struct type
/// by its full sproto name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TypeRef {
    /// A builtin (`FieldType::Struct` is never used here).
    Builtin(FieldType),
    /// A struct type, by full name.
    Struct(&'static str),
}

/// One field of a described type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldDesc {
    /// The field's name.
    pub name: &'static str,
    /// The field's tag.
    pub tag: u16,
    /// The element type.
    pub ty: TypeRef,
    /// One value, an array or a map.
    pub shape: Shape,
}

/// What a Rust field type is on the wire: its element type, and one value
/// ([`Shape::One`]) or an array ([`Shape::Array`]); `#[derive(Sproto)]` makes the map
/// shapes from attributes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FieldForm {
    /// The element type.
    pub ty: TypeRef,
    /// [`Shape::One`] or [`Shape::Array`].
    pub shape: Shape,
}

/// What a protocol answers with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ResponseSpec {
    None,
    Confirm,
    Type(&'static str),
}

/// A protocol to add to a [`SchemaBuilder`].
///
/// ```
/// use sproto_rt::schema::ProtocolSpec;
/// # #[derive(sproto_rt::Sproto)] struct Login { #[sproto(tag = 0)] user: String }
/// # #[derive(sproto_rt::Sproto)] struct Ok { #[sproto(tag = 0)] code: i64 }
/// let login = ProtocolSpec::new("login", 1).request::<Login>().response::<Ok>();
/// let ping = ProtocolSpec::new("ping", 2).confirm(); // response nil
/// # let _ = (login, ping);
/// ```
#[derive(Debug, Clone)]
pub struct ProtocolSpec {
    name: String,
    tag: u16,
    request: Option<&'static str>,
    response: ResponseSpec,
    describe: Vec<fn(&mut SchemaBuilder)>,
}

impl ProtocolSpec {
    /// A protocol with neither request nor response.
    pub fn new(name: &str, tag: u16) -> Self {
        ProtocolSpec {
            name: name.to_string(),
            tag,
            request: None,
            response: ResponseSpec::None,
            describe: Vec::new(),
        }
    }

    /// The request message type.
    pub fn request<T: Message>(mut self) -> Self {
        self.request = Some(T::TYPE_NAME);
        self.describe.push(T::describe);
        self
    }

    /// The response message type.
    pub fn response<T: Message>(mut self) -> Self {
        self.response = ResponseSpec::Type(T::TYPE_NAME);
        self.describe.push(T::describe);
        self
    }

    /// `response nil`: answered without a message.
    pub fn confirm(mut self) -> Self {
        self.response = ResponseSpec::Confirm;
        self
    }
}

/// Collects described types and protocols into a [`Sproto`](struct@crate::Sproto).
///
/// ```
/// use sproto_rt::schema::{ProtocolSpec, SchemaBuilder};
/// use sproto_rt::Sproto;
///
/// #[derive(Sproto)]
/// struct Point {
///     #[sproto(tag = 0)]
///     x: i64,
///     #[sproto(tag = 1)]
///     y: i64,
/// }
///
/// let sp = SchemaBuilder::new()
///     .message::<Point>()
///     .protocol(ProtocolSpec::new("move", 1).request::<Point>())
///     .build()
///     .unwrap();
/// let text = ".Point {\n    x 0 : integer\n    y 1 : integer\n}\nmove 1 {\n    request Point\n}\n";
/// assert_eq!(sp.to_text(), text);
/// assert_eq!(sp.to_bundle().unwrap(), Sproto::parse(text).unwrap().to_bundle().unwrap());
/// ```
#[derive(Debug, Default)]
pub struct SchemaBuilder {
    /// Types by full name; `None` while a type is being described (recursion).
    types: BTreeMap<&'static str, Option<Vec<FieldDesc>>>,
    protocols: Vec<ProtocolSpec>,
}

/// A schema that cannot be built from the described types.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// A field refers to a struct type that was never described.
    #[error("type {in_type} refers to undescribed type {missing}")]
    MissingType {
        /// The referring type.
        in_type: String,
        /// The missing type.
        missing: String,
    },
    /// The described types and protocols break a rule of the format (see
    /// [`Sproto::from_parts`](crate::Sproto::from_parts)): two protocols with one name
    /// or tag, protocols without any type, ...
    #[error(transparent)]
    Invalid(#[from] InvalidSchema),
}

impl SchemaBuilder {
    /// An empty builder.
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `T` and every type it refers to.
    pub fn message<T: Message>(mut self) -> Self {
        T::describe(&mut self);
        self
    }

    /// Adds a protocol (and its message types).
    pub fn protocol(mut self, p: ProtocolSpec) -> Self {
        for d in &p.describe {
            d(&mut self);
        }
        self.protocols.push(p);
        self
    }

    /// Adds protocols (and their message types): what
    /// [`ProtocolSet::protocols`](crate::rpc::ProtocolSet::protocols) gives.
    pub fn protocols(mut self, ps: impl IntoIterator<Item = ProtocolSpec>) -> Self {
        for p in ps {
            self = self.protocol(p);
        }
        self
    }

    /// Registers type `name` with the fields `fields` computes, unless it is already
    /// known; recursive types terminate because the name is reserved first. Used by
    /// generated code.
    #[doc(hidden)]
    pub fn add_type(
        &mut self,
        name: &'static str,
        fields: impl FnOnce(&mut Self) -> Vec<FieldDesc>,
    ) {
        if self.types.contains_key(name) {
            return;
        }
        self.types.insert(name, None);
        let fields = fields(self);
        self.types.insert(name, Some(fields));
    }

    /// Numbers the types by sorted full name (as the reference parser does) and builds
    /// the schema.
    pub fn build(self) -> Result<Sproto, BuildError> {
        let ids: BTreeMap<&str, usize> = self
            .types
            .keys()
            .enumerate()
            .map(|(i, n)| (*n, i))
            .collect();
        let resolve = |in_type: &str, r: TypeRef| -> Result<FieldType, BuildError> {
            match r {
                TypeRef::Builtin(t) => Ok(t),
                TypeRef::Struct(n) => ids.get(n).map(|&i| FieldType::Struct(i)).ok_or_else(|| {
                    BuildError::MissingType {
                        in_type: in_type.to_string(),
                        missing: n.to_string(),
                    }
                }),
            }
        };
        let mut types = Vec::with_capacity(self.types.len());
        for (name, fields) in &self.types {
            let mut out = Vec::new();
            for f in fields.iter().flatten() {
                out.push(Field {
                    name: f.name.into(),
                    tag: f.tag,
                    ty: resolve(name, f.ty)?,
                    shape: f.shape,
                });
            }
            out.sort_by_key(|f| f.tag);
            types.push(Type {
                name: (*name).to_string(),
                fields: out,
            });
        }
        let mut protocols: Vec<Protocol> = Vec::with_capacity(self.protocols.len());
        for p in &self.protocols {
            let id = |n: &str| {
                ids.get(n).copied().ok_or_else(|| BuildError::MissingType {
                    in_type: p.name.clone(),
                    missing: n.to_string(),
                })
            };
            protocols.push(Protocol {
                name: p.name.clone(),
                tag: p.tag,
                request: p.request.map(id).transpose()?,
                response: match p.response {
                    ResponseSpec::Type(n) => Some(id(n)?),
                    _ => None,
                },
                confirm: p.response == ResponseSpec::Confirm,
            });
        }
        protocols.sort_by_key(|p| p.tag);
        Ok(Sproto::from_parts(types, protocols)?)
    }
}
