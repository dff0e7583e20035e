//! From a parsed schema to a plan of Rust items: which module each type lives in,
//! every identifier (collisions resolved, see `names`), each field's Rust type and
//! derive attributes, and the protocol trait's methods. `emit` turns the plan into
//! code.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use sproto_rt::text::SchemaDocs;
use sproto_rt::{Field, FieldType, Shape, Sproto, TypeId};

use crate::config::{Config, MapType};
use crate::names::{self, Case, Scope, Wanted};

/// The plan of one generated file.
pub(crate) struct Plan {
    /// Modules by the sproto name prefix they hold types of (`""`: the file root).
    pub modules: BTreeMap<String, ModulePlan>,
    /// One struct per schema type, by type id.
    pub structs: Vec<StructPlan>,
    /// The protocol trait, when the schema has protocols and the config wants it.
    pub protocol: Option<TraitPlan>,
    /// Every protocol, in tag order, for `schema()` when there is no trait.
    pub protocols: Vec<ProtocolPlan>,
}

pub(crate) struct ModulePlan {
    /// The module's identifier (empty for the root).
    pub ident: String,
    /// Identifiers from the root down to this module.
    pub path: Vec<String>,
    /// Child module prefixes.
    pub children: Vec<String>,
    /// Struct type ids declared here.
    pub structs: Vec<TypeId>,
    pub doc: String,
    /// Whether the parent module has the same identifier (`clippy::module_inception`).
    pub same_as_parent: bool,
}

pub(crate) struct StructPlan {
    /// The full sproto name.
    pub name: String,
    pub ident: String,
    /// The module prefix it is declared in.
    pub module: String,
    /// The schema comment (plain text).
    pub comment: Option<String>,
    /// Generated documentation (Markdown).
    pub doc: String,
    pub fields: Vec<FieldPlan>,
    /// `type_attribute`s that apply.
    pub attributes: Vec<String>,
}

pub(crate) struct FieldPlan {
    pub ident: String,
    /// The wire name.
    pub name: String,
    pub tag: u16,
    /// The Rust type, as code relative to the struct's module.
    pub ty: String,
    pub decimal: Option<u16>,
    /// `key = "..."`: the key field's wire name.
    pub key: Option<String>,
    /// `entry = ...`: the entry type's path.
    pub entry: Option<String>,
    /// The schema comment (plain text).
    pub comment: Option<String>,
    /// Generated documentation (Markdown).
    pub doc: String,
    pub attributes: Vec<String>,
}

pub(crate) struct TraitPlan {
    pub ident: String,
    /// The `package` type's path, when the schema has one.
    pub package: Option<String>,
    pub doc: String,
    pub methods: Vec<MethodPlan>,
}

pub(crate) struct MethodPlan {
    pub ident: String,
    pub proto: ProtocolPlan,
    /// The schema comment (plain text).
    pub comment: Option<String>,
    /// Generated documentation (Markdown).
    pub doc: String,
}

/// A protocol with its message types' paths from the root.
#[derive(Clone)]
pub(crate) struct ProtocolPlan {
    pub name: String,
    pub tag: u16,
    pub request: Option<String>,
    pub response: Option<String>,
    /// `response nil`.
    pub confirm: bool,
}

/// Identifiers a trait's methods must not take: the client stub's own methods.
const STUB_METHODS: &[&str] = &["new", "caller"];

/// The type-namespace identifiers the protocol trait adds to the root.
pub(crate) fn trait_idents(ident: &str) -> [String; 4] {
    [
        ident.to_string(),
        format!("{ident}Client"),
        format!("{ident}Server"),
        format!("{ident}Protocol"),
    ]
}

struct Ctx<'a> {
    sp: &'a Sproto,
    docs: &'a SchemaDocs,
    config: &'a Config,
    /// Module prefix of each type.
    module_of: Vec<String>,
    /// Struct identifier of each type.
    ident_of: Vec<String>,
    /// Module plans (paths known once `plan_modules` ran).
    modules: BTreeMap<String, ModulePlan>,
    /// For each type, the types reachable through non-array struct fields.
    reach: Vec<BTreeSet<TypeId>>,
    /// The source file names, for docs.
    label: &'a str,
}

/// Plans the file for `sp` (from the sources named `label`). `default_trait` is the
/// trait name derived from the file name, used unless the config names one.
pub(crate) fn plan(
    sp: &Sproto,
    docs: &SchemaDocs,
    config: &Config,
    default_trait: &str,
    label: &str,
) -> Result<Plan, String> {
    let n = sp.types().len();
    let mut cx = Ctx {
        sp,
        docs,
        config,
        module_of: vec![String::new(); n],
        ident_of: vec![String::new(); n],
        modules: BTreeMap::new(),
        reach: reachability(sp),
        label,
    };
    cx.plan_modules();
    let structs = (0..n).map(|id| cx.plan_struct(id)).collect();
    let protocols: Vec<ProtocolPlan> = sp
        .protocols()
        .iter()
        .map(|p| ProtocolPlan {
            name: p.name.clone(),
            tag: p.tag,
            // `self::`: the protocol macro's generic parameters (`C`, `T`) would
            // shadow a root type of that name written alone.
            request: p
                .request
                .map(|id| format!("self::{}", cx.path_from(&[], id))),
            response: p
                .response
                .map(|id| format!("self::{}", cx.path_from(&[], id))),
            confirm: p.confirm && p.response.is_none(),
        })
        .collect();
    let protocol = if config.protocols && !protocols.is_empty() {
        Some(cx.plan_trait(&protocols, default_trait)?)
    } else {
        None
    };
    Ok(Plan {
        modules: cx.modules,
        structs,
        protocol,
        protocols,
    })
}

/// `reach[t]`: the types a value of `t` contains directly (non-array struct fields),
/// transitively. A field of type `u` in `t` needs a `Box` when `t ∈ reach[u] ∪ {u}`.
fn reachability(sp: &Sproto) -> Vec<BTreeSet<TypeId>> {
    let edges: Vec<Vec<TypeId>> = sp
        .types()
        .iter()
        .map(|t| {
            t.fields
                .iter()
                .filter_map(|f| match f.ty {
                    FieldType::Struct(id) if !f.shape.is_array() => Some(id),
                    _ => None,
                })
                .collect()
        })
        .collect();
    (0..edges.len())
        .map(|start| {
            let mut seen = BTreeSet::new();
            let mut stack = edges[start].clone();
            while let Some(t) = stack.pop() {
                if seen.insert(t) {
                    stack.extend(edges.get(t).into_iter().flatten().copied());
                }
            }
            seen
        })
        .collect()
}

/// The prefix (`Outer` of `Outer.Inner`) and last segment of a full name.
fn split_name(name: &str) -> (&str, &str) {
    match name.rfind('.') {
        Some(i) => (&name[..i], &name[i + 1..]),
        None => ("", name),
    }
}

impl Ctx<'_> {
    fn plan_modules(&mut self) {
        let types = self.sp.types();
        // Every prefix of a type name is a module.
        let mut prefixes: BTreeSet<String> = BTreeSet::new();
        prefixes.insert(String::new());
        for t in types {
            let mut prefix = split_name(&t.name).0;
            while !prefix.is_empty() {
                prefixes.insert(prefix.to_string());
                prefix = split_name(prefix).0;
            }
        }
        for p in &prefixes {
            self.modules.insert(
                p.clone(),
                ModulePlan {
                    ident: String::new(),
                    path: Vec::new(),
                    children: Vec::new(),
                    structs: Vec::new(),
                    doc: self.module_doc(p),
                    same_as_parent: false,
                },
            );
        }
        for p in prefixes.iter().filter(|p| !p.is_empty()) {
            let parent = split_name(p).0.to_string();
            if let Some(m) = self.modules.get_mut(&parent) {
                m.children.push(p.clone());
            }
        }
        for (id, t) in types.iter().enumerate() {
            let parent = split_name(&t.name).0.to_string();
            self.module_of[id] = parent.clone();
            if let Some(m) = self.modules.get_mut(&parent) {
                m.structs.push(id);
            }
        }
        // Name each scope's modules and structs, parents before children (a prefix
        // sorts before its extensions).
        for p in &prefixes {
            let (children, structs) = match self.modules.get(p) {
                Some(m) => (m.children.clone(), m.structs.clone()),
                None => continue,
            };
            let mut wanted = Vec::new();
            for c in &children {
                wanted.push(Wanted {
                    name: split_name(c).1,
                    case: Case::Snake,
                });
            }
            for &id in &structs {
                wanted.push(Wanted {
                    name: split_name(&types[id].name).1,
                    case: Case::Type,
                });
            }
            let idents = Scope::with_reserved(names::PRIMITIVES).place(&wanted);
            let (parent_path, parent_ident) = match self.modules.get(p) {
                Some(m) => (m.path.clone(), m.ident.clone()),
                None => continue,
            };
            for (c, ident) in children.iter().zip(&idents) {
                if let Some(m) = self.modules.get_mut(c) {
                    m.path = parent_path.iter().cloned().chain([ident.clone()]).collect();
                    m.same_as_parent = !p.is_empty() && *ident == parent_ident;
                    m.ident = ident.clone();
                }
            }
            for (&id, ident) in structs.iter().zip(&idents[children.len()..]) {
                self.ident_of[id] = ident.clone();
            }
        }
    }

    fn module_doc(&self, prefix: &str) -> String {
        let is_type = self.sp.type_id(prefix).is_some();
        let is_protocol = self.sp.protocol_by_name(prefix).is_some();
        match (is_type, is_protocol) {
            (true, true) => format!(
                "Types nested in the sproto type `{prefix}`, and the message types of the protocol `{prefix}`."
            ),
            (false, true) => format!("The message types of the protocol `{prefix}`."),
            _ => format!("Types nested in the sproto type `{prefix}`."),
        }
    }

    /// The path of type `id` as written in module `from` (identifiers from the root).
    fn path_from(&self, from: &[String], id: TypeId) -> String {
        let to = self
            .modules
            .get(&self.module_of[id])
            .map(|m| m.path.as_slice())
            .unwrap_or(&[]);
        let common = from.iter().zip(to).take_while(|(a, b)| a == b).count();
        let mut parts: Vec<&str> = vec!["super"; from.len() - common];
        parts.extend(to[common..].iter().map(String::as_str));
        parts.push(&self.ident_of[id]);
        parts.join("::")
    }

    fn plan_struct(&self, id: TypeId) -> StructPlan {
        let t = &self.sp.types()[id];
        let from = self
            .modules
            .get(&self.module_of[id])
            .map(|m| m.path.clone())
            .unwrap_or_default();
        let wanted: Vec<Wanted<'_>> = t
            .fields
            .iter()
            .map(|f| Wanted {
                name: &f.name,
                case: Case::Snake,
            })
            .collect();
        let idents = Scope::default().place(&wanted);
        let fields = t
            .fields
            .iter()
            .zip(idents)
            .map(|(f, ident)| self.plan_field(id, f, ident, &from))
            .collect();
        let comment = self.comment(self.docs.type_doc(&t.name), &t.name);
        StructPlan {
            name: t.name.clone(),
            ident: self.ident_of[id].clone(),
            module: self.module_of[id].clone(),
            doc: self.default_type_doc(&t.name),
            comment,
            fields,
            attributes: self.config.type_attributes_for(&t.name),
        }
    }

    fn default_type_doc(&self, name: &str) -> String {
        let (prefix, last) = split_name(name);
        let inline = (last == "request" || last == "response")
            && self
                .sp
                .protocol_by_name(prefix)
                .is_some_and(|p| p.request.or(p.response).is_some());
        if inline {
            format!("The {last} of the protocol `{prefix}` (the sproto type `{name}`).")
        } else {
            format!("The sproto type `{name}`.")
        }
    }

    /// A schema comment, unless comments are disabled for `path`.
    fn comment(&self, doc: Option<&str>, path: &str) -> Option<String> {
        doc.filter(|_| !self.config.comments_disabled(path))
            .map(str::to_string)
    }

    /// The Rust type of a value of `f` without the `Option` (the part an entry's
    /// field contributes to a map), as written in module `from`.
    fn value_type(&self, in_type: TypeId, f: &Field, from: &[String]) -> String {
        let tname = &self.sp.types()[in_type].name;
        let path = format!("{tname}.{}", f.name);
        let elem = match f.ty {
            FieldType::Integer => "i64".to_string(),
            FieldType::Decimal(_) | FieldType::Double => "f64".to_string(),
            FieldType::Boolean => "bool".to_string(),
            FieldType::String => "::std::string::String".to_string(),
            FieldType::Binary => {
                if self.config.bytes_for(&path) {
                    "::bytes::Bytes".to_string()
                } else {
                    "::std::vec::Vec<u8>".to_string()
                }
            }
            FieldType::Struct(id) => {
                let p = self.path_from(from, id);
                let boxed =
                    !f.shape.is_array() && (id == in_type || self.reach[id].contains(&in_type));
                if boxed {
                    format!("::std::boxed::Box<{p}>")
                } else {
                    p
                }
            }
        };
        if f.shape.is_array() {
            format!("::std::vec::Vec<{elem}>")
        } else {
            elem
        }
    }

    /// How a map's key field keys a Rust map: its type, or `None` when it cannot
    /// (f64 and arrays cannot be `Ord`/`Hash` keys).
    fn key_type(&self, entry: TypeId, key: &Field, from: &[String]) -> Option<String> {
        match key.ty {
            FieldType::Integer | FieldType::Boolean | FieldType::String | FieldType::Binary
                if key.shape == Shape::One =>
            {
                Some(self.value_type(entry, key, from))
            }
            _ => None,
        }
    }

    fn plan_field(&self, in_type: TypeId, f: &Field, ident: String, from: &[String]) -> FieldPlan {
        let tname = &self.sp.types()[in_type].name;
        let path = format!("{tname}.{}", f.name);
        let map_type = match self.config.map_type_for(&path) {
            MapType::BTreeMap => "::std::collections::BTreeMap",
            MapType::HashMap => "::std::collections::HashMap",
        };
        let mut key = None;
        let mut entry = None;
        let ty = match (f.ty, f.shape) {
            (
                FieldType::Struct(elem),
                Shape::KeyedMap { key: key_tag } | Shape::PairMap { key: key_tag },
            ) => {
                let et = &self.sp.types()[elem];
                let elem_path = self.path_from(from, elem);
                if let Shape::PairMap { .. } = f.shape {
                    entry = Some(elem_path.clone());
                    let (k, v) = (et.fields.first(), et.fields.get(1));
                    match (k, v) {
                        (Some(k), Some(v)) if v.shape.map_key().is_none() => {
                            match self.key_type(elem, k, from) {
                                Some(kt) => {
                                    let vt = self.value_type(elem, v, from);
                                    format!("{map_type}<{kt}, {vt}>")
                                }
                                None => format!("::std::vec::Vec<{elem_path}>"),
                            }
                        }
                        _ => format!("::std::vec::Vec<{elem_path}>"),
                    }
                } else {
                    let kf = et.fields.iter().find(|k| k.tag == key_tag);
                    key = kf.map(|k| k.name.to_string());
                    match kf.and_then(|k| self.key_type(elem, k, from)) {
                        Some(kt) => format!("{map_type}<{kt}, {elem_path}>"),
                        None => format!("::std::vec::Vec<{elem_path}>"),
                    }
                }
            }
            _ => self.value_type(in_type, f, from),
        };
        let comment = self.comment(self.docs.field_doc(tname, &f.name), &path);
        let doc = format!("`{}`", self.declaration(f));
        FieldPlan {
            comment,
            ident,
            name: f.name.to_string(),
            tag: f.tag,
            ty: format!("::core::option::Option<{ty}>"),
            decimal: f.decimal_precision(),
            key,
            entry,
            doc,
            attributes: self.config.field_attributes_for(&path),
        }
    }

    /// The field as schema text: `phone 3 : *Person.PhoneNumber`.
    fn declaration(&self, f: &Field) -> String {
        let ty = match f.ty {
            FieldType::Struct(id) => self.sp.types()[id].name.clone(),
            other => other.builtin_name().unwrap_or("integer").to_string(),
        };
        let suffix = match (f.ty, f.shape) {
            (FieldType::Decimal(n), _) => format!("({n})"),
            (_, Shape::PairMap { .. }) => "()".to_string(),
            (FieldType::Struct(id), Shape::KeyedMap { key: k }) => {
                let key = self.sp.types()[id].field_by_tag(u32::from(k));
                format!("({})", key.map_or("", |k| &*k.name))
            }
            _ => String::new(),
        };
        let star = if f.shape.is_array() { "*" } else { "" };
        format!("{} {} : {star}{ty}{suffix}", f.name, f.tag)
    }

    fn plan_trait(&self, protocols: &[ProtocolPlan], default: &str) -> Result<TraitPlan, String> {
        // The trait and its companions share the root's type namespace with the
        // root's types and modules.
        let mut root = Scope::with_reserved(names::PRIMITIVES);
        if let Some(m) = self.modules.get("") {
            for c in &m.children {
                if let Some(cm) = self.modules.get(c) {
                    root.take(&cm.ident);
                }
            }
            for &id in &m.structs {
                root.take(&self.ident_of[id]);
            }
        }
        let free = |ident: &str| trait_idents(ident).iter().all(|i| root.is_free(i));
        let ident = match &self.config.trait_name {
            Some(name) => {
                if !free(name) {
                    return Err(format!(
                        "the protocol trait name `{name}` (or {name}Client, {name}Server, {name}Protocol) is taken by a generated type or module"
                    ));
                }
                name.clone()
            }
            None => {
                let mut ident = default.to_string();
                if !free(&ident) {
                    ident = format!("{default}Rpc");
                    let mut n = 2;
                    while !free(&ident) {
                        ident = format!("{default}Rpc{n}");
                        n += 1;
                    }
                }
                ident
            }
        };
        let wanted: Vec<Wanted<'_>> = protocols
            .iter()
            .map(|p| Wanted {
                name: &p.name,
                case: Case::Snake,
            })
            .collect();
        let mut scope = Scope::with_reserved(STUB_METHODS);
        let mut idents = scope.place(&wanted);
        // The stub adds `push_<method>` for protocols without a response type: such a
        // method is renamed until its push name is free.
        let mut pushes: BTreeSet<String> = BTreeSet::new();
        for (i, p) in protocols.iter().enumerate() {
            if p.response.is_some() {
                continue;
            }
            loop {
                let push = format!("push_{}", names::unraw(&idents[i]));
                let clashes = idents.iter().any(|m| names::unraw(m) == push)
                    || pushes.contains(&push)
                    || STUB_METHODS.contains(&push.as_str());
                if !clashes {
                    pushes.insert(push);
                    break;
                }
                let mut renamed = format!("{}_", names::unraw(&idents[i]));
                while !scope.take(&renamed) {
                    renamed.push('_');
                }
                idents[i] = renamed;
            }
        }
        let methods = protocols
            .iter()
            .zip(idents)
            .map(|(p, ident)| MethodPlan {
                ident,
                proto: p.clone(),
                comment: self.comment(self.docs.protocol_doc(&p.name), &p.name),
                doc: format!("`{}`", self.protocol_declaration(p)),
            })
            .collect();
        let package = self
            .sp
            .type_id("package")
            .map(|id| format!("self::{}", self.path_from(&[], id)));
        Ok(TraitPlan {
            doc: format!(
                "The protocols of `{}`: implement it to serve them (`{ident}Server`), or call them through `{ident}Client`.",
                self.label
            ),
            ident,
            package,
            methods,
        })
    }

    /// The protocol as schema text: `get 2 { request get.request response Result }`.
    fn protocol_declaration(&self, p: &ProtocolPlan) -> String {
        let proto = self.sp.protocol_by_name(&p.name);
        let name_of = |id: Option<TypeId>| id.map(|id| self.sp.types()[id].name.clone());
        let mut parts = Vec::new();
        if let Some(r) = name_of(proto.and_then(|p| p.request)) {
            parts.push(format!("request {r}"));
        }
        if let Some(r) = name_of(proto.and_then(|p| p.response)) {
            parts.push(format!("response {r}"));
        } else if p.confirm {
            parts.push("response nil".to_string());
        }
        if parts.is_empty() {
            format!("{} {} {{}}", p.name, p.tag)
        } else {
            format!("{} {} {{ {} }}", p.name, p.tag, parts.join(" "))
        }
    }
}

/// The sproto names of the schema's types by the Rust path of their struct (from the
/// file root), in type id order.
pub(crate) fn type_paths(plan: &Plan) -> Vec<(String, String)> {
    let mut by_module: HashMap<&str, &[String]> = HashMap::new();
    for (prefix, m) in &plan.modules {
        by_module.insert(prefix.as_str(), &m.path);
    }
    plan.structs
        .iter()
        .map(|s| {
            let mut parts: Vec<&str> = by_module
                .get(s.module.as_str())
                .map(|p| p.iter().map(String::as_str).collect())
                .unwrap_or_default();
            parts.push(&s.ident);
            (s.name.clone(), parts.join("::"))
        })
        .collect()
}
