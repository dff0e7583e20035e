//! From syntax tree to loaded schema: the semantic rules of `sprotoparser.lua`
//! (definition merging, name resolution, map keys, decimals, numbering) with every
//! problem reported at its source position.

use std::collections::HashMap;

use super::ast::{Def, Direction, FieldDef, Item, Pos, ProtocolDef, Spanned, SubTarget, Suffix};
use super::error::SchemaErrorKind;
use crate::schema::{Field, FieldType, Protocol, Shape, Sproto, Type};

use crate::wire::MAX_INLINE;

type Problems = Vec<(Pos, SchemaErrorKind)>;

/// A location-resolving callback: turns a position into a `Location` for messages.
pub(crate) type Locate<'a> = &'a dyn Fn(Pos) -> super::error::Location;

struct FieldEntry {
    def: FieldDef,
    tag: Option<u64>,
    resolved: Option<Resolved>,
}

#[derive(Clone)]
enum Resolved {
    Builtin(&'static str),
    Struct(String),
}

struct TypeEntry {
    pos: Pos,
    fields: Vec<FieldEntry>,
}

struct ProtocolEntry {
    name: Spanned<String>,
    tag: Spanned<String>,
    tag_value: Option<u64>,
    request: Option<Spanned<String>>,
    response: Option<Spanned<String>>,
    confirm: bool,
}

fn number(digits: &str) -> Option<u64> {
    digits.parse::<u64>().ok()
}

const BUILTINS: [&str; 5] = ["integer", "boolean", "string", "binary", "double"];

fn builtin(name: &str) -> Option<&'static str> {
    BUILTINS.iter().copied().find(|b| *b == name)
}

struct Resolver<'a> {
    locate: Locate<'a>,
    types: HashMap<String, TypeEntry>,
    protocols: Vec<ProtocolEntry>,
    /// Index of each protocol name in `protocols`.
    protocol_names: HashMap<String, usize>,
    problems: Problems,
}

/// Builds the schema from the definitions of every source, in order.
pub(crate) fn resolve(defs: Vec<Def>, locate: Locate<'_>) -> Result<Sproto, Problems> {
    let mut r = Resolver {
        locate,
        types: HashMap::new(),
        protocols: Vec::new(),
        protocol_names: HashMap::new(),
        problems: Vec::new(),
    };
    for def in defs {
        match def {
            Def::Type(t) => {
                if let Some(first) = r.types.get(&t.name.value) {
                    let first = (r.locate)(first.pos);
                    r.problem(
                        t.name.pos,
                        SchemaErrorKind::DuplicateType {
                            name: t.name.value.clone(),
                            first,
                        },
                    );
                    continue;
                }
                let entry = r.convert_type(&t.name.value, t.name.pos, t.items);
                r.types.insert(t.name.value, entry);
            }
            Def::Protocol(p) => r.convert_protocol(p),
        }
    }
    r.checkpoint()?;
    r.check_protocols();
    r.resolve_field_types();
    r.checkpoint()?;
    r.build()
}

impl<'a> Resolver<'a> {
    fn problem(&mut self, pos: Pos, kind: SchemaErrorKind) {
        self.problems.push((pos, kind));
    }

    fn checkpoint(&mut self) -> Result<(), Problems> {
        if self.problems.is_empty() {
            Ok(())
        } else {
            Err(std::mem::take(&mut self.problems))
        }
    }

    /// `convert.type`: fields with unique names and tags; nested types registered
    /// under `Outer.Inner` (a nested name must be new).
    fn convert_type(&mut self, full_name: &str, pos: Pos, items: Vec<Item>) -> TypeEntry {
        let mut fields: Vec<FieldEntry> = Vec::new();
        // Index of each name and tag in `fields`: duplicate checks in constant time
        // (a linear search made a struct of n fields cost n²).
        let mut by_name: HashMap<String, usize> = HashMap::new();
        let mut by_tag: HashMap<u64, usize> = HashMap::new();
        for item in items {
            match item {
                Item::Field(def) => {
                    if let Some(first) = by_name.get(&def.name.value).map(|&i| &fields[i]) {
                        let first = (self.locate)(first.def.name.pos);
                        self.problem(
                            def.name.pos,
                            SchemaErrorKind::DuplicateFieldName {
                                name: def.name.value.clone(),
                                type_name: full_name.to_string(),
                                first,
                            },
                        );
                        continue;
                    }
                    let tag = number(&def.tag.value);
                    if let Some(first) = tag.and_then(|t| by_tag.get(&t)).map(|&i| &fields[i]) {
                        let first_field = first.def.name.value.clone();
                        let first = (self.locate)(first.def.name.pos);
                        self.problem(
                            def.tag.pos,
                            SchemaErrorKind::DuplicateTag {
                                tag: tag.unwrap_or_default(),
                                type_name: full_name.to_string(),
                                first_field,
                                first,
                            },
                        );
                        continue;
                    }
                    by_name.insert(def.name.value.clone(), fields.len());
                    if let Some(t) = tag {
                        by_tag.insert(t, fields.len());
                    }
                    fields.push(FieldEntry {
                        def,
                        tag,
                        resolved: None,
                    });
                }
                Item::Type(nested) => {
                    let nested_name = format!("{full_name}.{}", nested.name.value);
                    if let Some(first) = self.types.get(&nested_name) {
                        let first = (self.locate)(first.pos);
                        self.problem(
                            nested.name.pos,
                            SchemaErrorKind::DuplicateType {
                                name: nested_name,
                                first,
                            },
                        );
                        continue;
                    }
                    let entry = self.convert_type(&nested_name, nested.name.pos, nested.items);
                    self.types.insert(nested_name, entry);
                }
            }
        }
        // Tags are unique (or unparsable, reported later), so this order is total.
        fields.sort_by_key(|f| f.tag.unwrap_or(u64::MAX));
        TypeEntry { pos, fields }
    }

    /// `convert.protocol`: one request and one response at most; inline structs become
    /// the types `name.request` / `name.response` (replacing any type of that name);
    /// `nil` means none, and `response nil` asks for a message-less response.
    fn convert_protocol(&mut self, p: ProtocolDef) {
        if let Some(first) = self
            .protocol_names
            .get(&p.name.value)
            .map(|&i| &self.protocols[i])
        {
            let first = (self.locate)(first.name.pos);
            self.problem(
                p.name.pos,
                SchemaErrorKind::DuplicateProtocol {
                    name: p.name.value.clone(),
                    first,
                },
            );
            return;
        }
        let mut entry = ProtocolEntry {
            tag_value: number(&p.tag.value),
            name: p.name,
            tag: p.tag,
            request: None,
            response: None,
            confirm: false,
        };
        let mut seen: [Option<Pos>; 2] = [None, None];
        for part in p.parts {
            let dir = part.direction.value;
            let slot = match dir {
                Direction::Request => 0,
                Direction::Response => 1,
            };
            let already = match dir {
                Direction::Request => entry.request.is_some(),
                Direction::Response => entry.response.is_some(),
            };
            if already {
                let first = (self.locate)(seen[slot].unwrap_or(part.direction.pos));
                self.problem(
                    part.direction.pos,
                    SchemaErrorKind::DuplicatePart {
                        protocol: entry.name.value.clone(),
                        part: dir.keyword(),
                        first,
                    },
                );
                continue;
            }
            seen[slot] = Some(part.direction.pos);
            let target = match part.target {
                SubTarget::Name(name) => name,
                SubTarget::Struct(items) => {
                    let full = format!("{}.{}", entry.name.value, dir.keyword());
                    let t = self.convert_type(&full, part.direction.pos, items);
                    self.types.insert(full.clone(), t);
                    Spanned {
                        value: full,
                        pos: part.direction.pos,
                    }
                }
            };
            if target.value == "nil" {
                if dir == Direction::Response {
                    entry.confirm = true;
                }
                continue;
            }
            match dir {
                Direction::Request => entry.request = Some(target),
                Direction::Response => entry.response = Some(target),
            }
        }
        self.protocol_names
            .insert(entry.name.value.clone(), self.protocols.len());
        self.protocols.push(entry);
    }

    /// `check_protocol`: unique tags, request/response types defined (by full name).
    fn check_protocols(&mut self) {
        let mut by_tag: HashMap<u64, usize> = HashMap::new();
        let mut problems = Vec::new();
        for (i, p) in self.protocols.iter().enumerate() {
            if let Some(tag) = p.tag_value {
                if let Some(&first) = by_tag.get(&tag) {
                    let other = &self.protocols[first];
                    problems.push((
                        p.tag.pos,
                        SchemaErrorKind::DuplicateProtocolTag {
                            tag,
                            name: p.name.value.clone(),
                            other: other.name.value.clone(),
                            first: (self.locate)(other.tag.pos),
                        },
                    ));
                } else {
                    by_tag.insert(tag, i);
                }
            }
            for (part, name) in [("request", &p.request), ("response", &p.response)] {
                if let Some(name) = name {
                    if !self.types.contains_key(&name.value) {
                        problems.push((
                            name.pos,
                            SchemaErrorKind::UndefinedProtocolType {
                                part,
                                name: name.value.clone(),
                                protocol: p.name.value.clone(),
                            },
                        ));
                    }
                }
            }
        }
        self.problems.extend(problems);
    }

    /// `flattypename`: a field type is a builtin, or the innermost visible type:
    /// inside `A.B`, the name `T` means `A.B.T`, else `A.T`, else `T`.
    fn resolve_field_types(&mut self) {
        let mut resolutions = Vec::new();
        let mut problems = Vec::new();
        for (type_name, entry) in &self.types {
            for (i, f) in entry.fields.iter().enumerate() {
                let name = &f.def.type_name.value;
                if let Some(b) = builtin(name) {
                    resolutions.push((type_name.clone(), i, Resolved::Builtin(b)));
                    continue;
                }
                let mut scope: &str = type_name;
                let mut searched = Vec::new();
                let found = loop {
                    let full = format!("{scope}.{name}");
                    if self.types.contains_key(&full) {
                        break Some(full);
                    }
                    searched.push(full);
                    match scope.rfind('.') {
                        Some(dot) if dot > 0 => scope = &scope[..dot],
                        _ => {
                            if self.types.contains_key(name.as_str()) {
                                break Some(name.clone());
                            }
                            searched.push(name.clone());
                            break None;
                        }
                    }
                };
                match found {
                    Some(full) => resolutions.push((type_name.clone(), i, Resolved::Struct(full))),
                    None => problems.push((
                        f.def.type_name.pos,
                        SchemaErrorKind::UndefinedType {
                            name: name.clone(),
                            in_type: type_name.clone(),
                            searched,
                        },
                    )),
                }
            }
        }
        for (type_name, i, resolved) in resolutions {
            if let Some(entry) = self.types.get_mut(&type_name) {
                entry.fields[i].resolved = Some(resolved);
            }
        }
        self.problems.extend(problems);
    }

    /// `packgroup`: number the types by sorted full name, check every value fits its
    /// bundle slot, and work out decimals and map keys.
    fn build(mut self) -> Result<Sproto, Problems> {
        let mut names: Vec<&String> = self.types.keys().collect();
        names.sort();
        if names.is_empty() && !self.protocols.is_empty() {
            let pos = self.protocols[0].name.pos;
            return Err(vec![(pos, SchemaErrorKind::ProtocolsWithoutTypes)]);
        }
        if names.len() > usize::from(MAX_INLINE) + 1 {
            let pos = self.types[names[0]].pos;
            return Err(vec![(pos, SchemaErrorKind::TooManyTypes(names.len()))]);
        }
        let ids: HashMap<&str, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.as_str(), i))
            .collect();
        let mut problems = Vec::new();
        let mut types = Vec::with_capacity(names.len());
        for name in &names {
            let entry = &self.types[*name];
            let mut fields = Vec::with_capacity(entry.fields.len());
            for f in &entry.fields {
                if let Some(field) = self.build_field(f, &ids, &mut problems) {
                    fields.push(field);
                }
            }
            types.push(Type {
                name: (*name).clone(),
                fields,
            });
        }
        let mut protocols = Vec::with_capacity(self.protocols.len());
        for p in &self.protocols {
            let Some(tag) = slot_number(&p.tag, "protocol tag", &mut problems) else {
                continue;
            };
            let id = |n: &Option<Spanned<String>>| {
                n.as_ref().and_then(|n| ids.get(n.value.as_str()).copied())
            };
            protocols.push(Protocol {
                name: p.name.value.clone(),
                tag,
                request: id(&p.request),
                response: id(&p.response),
                confirm: p.confirm && p.response.is_none(),
            });
        }
        protocols.sort_by_key(|p| p.tag);
        self.problems.extend(problems);
        self.checkpoint()?;
        // What the parser accepted follows every rule `Sproto::from_parts` checks.
        debug_assert_eq!(crate::schema::check_parts(&types, &protocols), Ok(()));
        Ok(Sproto::assemble(types, protocols))
    }

    fn build_field(
        &self,
        f: &FieldEntry,
        ids: &HashMap<&str, usize>,
        problems: &mut Problems,
    ) -> Option<Field> {
        let def = &f.def;
        let tag = slot_number(&def.tag, "tag", problems)?;
        let resolved = f.resolved.clone()?;
        let mut field = Field {
            name: def.name.value.as_str().into(),
            tag,
            ty: match &resolved {
                Resolved::Builtin("boolean") => FieldType::Boolean,
                Resolved::Builtin("string") => FieldType::String,
                Resolved::Builtin("binary") => FieldType::Binary,
                Resolved::Builtin("double") => FieldType::Double,
                Resolved::Builtin(_) => FieldType::Integer,
                Resolved::Struct(name) => FieldType::Struct(*ids.get(name.as_str())?),
            },
            shape: if def.array { Shape::Array } else { Shape::One },
        };
        // Only the first suffix counts; the reference ignores any further ones.
        let Some(suffix) = def.suffixes.first() else {
            return Some(field);
        };
        let field_name = || def.name.value.clone();
        match (&suffix.value, &resolved) {
            (Suffix::Number(n), Resolved::Builtin("integer")) => {
                let precision = slot_number(
                    &Spanned {
                        value: n.clone(),
                        pos: suffix.pos,
                    },
                    "precision",
                    problems,
                )?;
                field.ty = FieldType::Decimal(precision);
            }
            // A key on a single value means nothing; the reference ignores it.
            (Suffix::Key(_), _) if !def.array => {}
            (Suffix::Number(n), _) if !def.array => {
                problems.push((
                    suffix.pos,
                    SchemaErrorKind::PrecisionNotInteger {
                        field: field_name(),
                        type_name: def.type_name.value.clone(),
                        precision: n.clone(),
                    },
                ));
                return None;
            }
            (s, Resolved::Builtin(b)) => {
                let text = match s {
                    Suffix::Key(k) | Suffix::Number(k) => k.clone(),
                };
                problems.push((
                    suffix.pos,
                    SchemaErrorKind::MapOfBuiltin {
                        field: field_name(),
                        type_name: (*b).to_string(),
                        suffix: text,
                    },
                ));
                return None;
            }
            (s, Resolved::Struct(elem)) => {
                let key = match s {
                    Suffix::Key(k) | Suffix::Number(k) => k,
                };
                let elem_fields = &self.types[elem].fields;
                if key.is_empty() {
                    if elem_fields.len() != 2 {
                        problems.push((
                            suffix.pos,
                            SchemaErrorKind::MapPairFields {
                                field: field_name(),
                                type_name: elem.clone(),
                                count: elem_fields.len(),
                            },
                        ));
                        return None;
                    }
                    // Fields are sorted by tag: the key is the first.
                    let k = &elem_fields[0];
                    if !matches!(k.resolved, Some(Resolved::Builtin(_))) {
                        problems.push((
                            suffix.pos,
                            SchemaErrorKind::MapPairKeyStruct {
                                field: field_name(),
                                type_name: elem.clone(),
                                key: k.def.name.value.clone(),
                            },
                        ));
                        return None;
                    }
                    let key = k.tag.and_then(|t| u16::try_from(t).ok())?;
                    field.shape = Shape::PairMap { key };
                } else {
                    let k = elem_fields.iter().find(|k| {
                        k.def.name.value == *key && matches!(k.resolved, Some(Resolved::Builtin(_)))
                    });
                    match k {
                        Some(k) => {
                            let key = k.tag.and_then(|t| u16::try_from(t).ok())?;
                            field.shape = Shape::KeyedMap { key };
                        }
                        None => {
                            problems.push((
                                suffix.pos,
                                SchemaErrorKind::MapKeyNotFound {
                                    key: key.clone(),
                                    field: field_name(),
                                    type_name: elem.clone(),
                                },
                            ));
                            return None;
                        }
                    }
                }
            }
        }
        Some(field)
    }
}

/// A number stored in an inline bundle slot: at most [`MAX_INLINE`].
fn slot_number(
    digits: &Spanned<String>,
    what: &'static str,
    problems: &mut Problems,
) -> Option<u16> {
    match number(&digits.value) {
        Some(n) if n <= u64::from(MAX_INLINE) => Some(n as u16),
        _ => {
            problems.push((
                digits.pos,
                SchemaErrorKind::NumberTooLarge {
                    what,
                    value: digits.value.clone(),
                },
            ));
            None
        }
    }
}
