//! [`Config`]: the options of code generation, and the two entry points — files to a
//! file in `OUT_DIR` ([`Config::compile`], for `build.rs`) and texts to code in memory
//! ([`Config::generate`], for tools such as `sproto gen rust`).

use std::path::{Path, PathBuf};

use sproto_rt::Sproto;

use crate::emit;
use crate::error::Error;
use crate::names;
use crate::plan;

/// The runtime crate generated code refers to unless told otherwise.
const DEFAULT_RUNTIME: &str = "::sproto_rt";

/// Which Rust map a sproto map (`*T(key)`, `*T()`) becomes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MapType {
    /// `std::collections::BTreeMap` (the default): entries are encoded in key order,
    /// so a value always encodes to the same bytes.
    #[default]
    BTreeMap,
    /// `std::collections::HashMap`.
    HashMap,
}

/// Code generation options, in the manner of `prost_build::Config`.
///
/// Paths select schema elements by their sproto names: `"."` selects everything,
/// `"Person"` the type `Person` and everything inside it (its fields and nested
/// types, such as `Person.PhoneNumber`), `"Person.name"` one field, `"get"` the
/// protocol `get`'s inline types (`get.request`, `get.response`) and their fields. A
/// leading `.` is ignored (`".Person"` is `"Person"`), as in prost-build.
///
/// ```
/// let generated = sproto_build::Config::new()
///     .type_attribute(".", "#[derive(Eq)]")
///     .field_attribute("Point.x", "#[doc(alias = \"abscissa\")]")
///     .generate(&[("geo.sproto", ".Point { x 0 : integer  y 1 : integer }")])
///     .unwrap();
/// assert!(generated.code().contains("pub struct Point {"));
/// assert!(generated.code().contains("#[derive(Eq)]"));
/// assert!(generated.code().contains("#[doc(alias = \"abscissa\")]"));
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    out_dir: Option<PathBuf>,
    file_name: Option<String>,
    type_attributes: Vec<(String, String)>,
    field_attributes: Vec<(String, String)>,
    map_types: Vec<(String, MapType)>,
    bytes: Vec<String>,
    runtime_crate: Option<String>,
    pub(crate) trait_name: Option<String>,
    pub(crate) protocols: bool,
    disable_comments: Vec<String>,
    rerun_if_changed: bool,
    format: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            out_dir: None,
            file_name: None,
            type_attributes: Vec::new(),
            field_attributes: Vec::new(),
            map_types: Vec::new(),
            bytes: Vec::new(),
            runtime_crate: None,
            trait_name: None,
            protocols: true,
            disable_comments: Vec::new(),
            rerun_if_changed: true,
            format: true,
        }
    }
}

/// Whether `path` (a selector) selects the sproto element named `full`.
fn selects(path: &str, full: &str) -> bool {
    let path = path.strip_prefix('.').unwrap_or(path);
    path.is_empty()
        || full == path
        || (full.starts_with(path) && full.as_bytes().get(path.len()) == Some(&b'.'))
}

impl Config {
    /// The default options: `BTreeMap` maps, `Vec<u8>` binaries, `::sproto_rt`, comments
    /// as docs, a protocol trait for protocols, formatted output.
    pub fn new() -> Self {
        Self::default()
    }

    /// Where [`compile`](Self::compile) writes (default: the `OUT_DIR` cargo gives
    /// build scripts).
    pub fn out_dir(&mut self, dir: impl Into<PathBuf>) -> &mut Self {
        self.out_dir = Some(dir.into());
        self
    }

    /// The name of the file [`compile`](Self::compile) writes (default: the first
    /// input's stem with `.rs`, e.g. `game.rs` for `proto/game.sproto`).
    pub fn out_file_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.file_name = Some(name.into());
        self
    }

    /// Adds an attribute (e.g. `"#[derive(serde::Serialize)]"`) to the structs of the
    /// types `path` selects.
    pub fn type_attribute(
        &mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> &mut Self {
        self.type_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Adds an attribute (e.g. `"#[serde(default)]"`) to the fields `path` selects.
    pub fn field_attribute(
        &mut self,
        path: impl Into<String>,
        attribute: impl Into<String>,
    ) -> &mut Self {
        self.field_attributes.push((path.into(), attribute.into()));
        self
    }

    /// Makes the map fields `paths` select `BTreeMap`s (the default; a later rule wins).
    pub fn btree_map<I, S>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.map_types
            .extend(paths.into_iter().map(|p| (p.into(), MapType::BTreeMap)));
        self
    }

    /// Makes the map fields `paths` select `HashMap`s (a later rule wins).
    pub fn hash_map<I, S>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.map_types
            .extend(paths.into_iter().map(|p| (p.into(), MapType::HashMap)));
        self
    }

    /// Makes the `binary` fields `paths` select `bytes::Bytes` instead of `Vec<u8>`
    /// (the crate using the code then needs the `bytes` crate).
    pub fn bytes<I, S>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.bytes.extend(paths.into_iter().map(Into::into));
        self
    }

    /// The path of the runtime crate in generated code (default `::sproto_rt`), for
    /// crates that re-export it; passed to the macros as `crate = "..."`.
    pub fn runtime_crate(&mut self, path: impl Into<String>) -> &mut Self {
        self.runtime_crate = Some(path.into());
        self
    }

    /// The name of the protocol trait (default: the first input file's stem in
    /// `UpperCamelCase`, `c2s.sproto` → `C2s`; `Rpc` is appended when a generated type
    /// already has that name). A name that is taken is an error.
    pub fn protocol_trait_name(&mut self, name: impl Into<String>) -> &mut Self {
        self.trait_name = Some(name.into());
        self
    }

    /// Whether to generate the protocol trait (default `true`). Without it,
    /// `schema()` still describes the protocols.
    pub fn protocols(&mut self, enabled: bool) -> &mut Self {
        self.protocols = enabled;
        self
    }

    /// Leaves out the schema comments of what `paths` select (the docs then only say
    /// what the item is).
    pub fn disable_comments<I, S>(&mut self, paths: I) -> &mut Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.disable_comments
            .extend(paths.into_iter().map(Into::into));
        self
    }

    /// Whether [`compile`](Self::compile) prints `cargo:rerun-if-changed` for its
    /// inputs (default `true`).
    pub fn emit_rerun_if_changed(&mut self, enabled: bool) -> &mut Self {
        self.rerun_if_changed = enabled;
        self
    }

    /// Whether to format the code with `prettyplease` (default `true`); unformatted
    /// code is one long line.
    pub fn format(&mut self, enabled: bool) -> &mut Self {
        self.format = enabled;
        self
    }

    pub(crate) fn type_attributes_for(&self, type_name: &str) -> Vec<String> {
        self.type_attributes
            .iter()
            .filter(|(p, _)| selects(p, type_name))
            .map(|(_, a)| a.clone())
            .collect()
    }

    pub(crate) fn field_attributes_for(&self, field_path: &str) -> Vec<String> {
        self.field_attributes
            .iter()
            .filter(|(p, _)| selects(p, field_path))
            .map(|(_, a)| a.clone())
            .collect()
    }

    pub(crate) fn map_type_for(&self, field_path: &str) -> MapType {
        self.map_types
            .iter()
            .rev()
            .find(|(p, _)| selects(p, field_path))
            .map(|(_, t)| *t)
            .unwrap_or_default()
    }

    pub(crate) fn bytes_for(&self, field_path: &str) -> bool {
        self.bytes.iter().any(|p| selects(p, field_path))
    }

    pub(crate) fn comments_disabled(&self, path: &str) -> bool {
        self.disable_comments.iter().any(|p| selects(p, path))
    }

    /// Generates the code for schema texts given as `(file name, text)` pairs, parsed
    /// together as one schema (as `sproto compile` does). Schema errors are located
    /// in those file names.
    ///
    /// ```
    /// let g = sproto_build::Config::new()
    ///     .generate(&[("chat.sproto", ".Line { text 0 : string }\nsay 1 { request Line }")])
    ///     .unwrap();
    /// assert_eq!(g.protocol_trait(), Some("Chat"));
    /// assert_eq!(g.types().collect::<Vec<_>>(), [("Line", "Line")]);
    /// let err = sproto_build::Config::new()
    ///     .generate(&[("bad.sproto", ".A {\n    a 0 : Missing\n}")])
    ///     .unwrap_err();
    /// assert_eq!(err.to_string(), "bad.sproto:2:11: undefined type Missing in type A (searched A.Missing, Missing)");
    /// ```
    pub fn generate(&self, sources: &[(&str, &str)]) -> Result<Generated, Error> {
        let (sp, docs) = Sproto::parse_sources_with_docs(sources.iter().copied())?;
        let stem = sources
            .first()
            .map(|(name, _)| file_stem(name))
            .unwrap_or_default();
        let default_trait = names::upper_camel(&stem)
            .filter(|n| !n.starts_with("r#"))
            .unwrap_or_else(|| "Protocols".to_string());
        let label = sources
            .iter()
            .map(|(name, _)| file_name(name))
            .collect::<Vec<_>>()
            .join(", ");
        let plan = plan::plan(&sp, &docs, self, &default_trait, &label).map_err(Error::Config)?;
        let custom = self.runtime_crate.is_some();
        let krate = self.runtime_crate.as_deref().unwrap_or(DEFAULT_RUNTIME);
        let tokens = emit::emit(&plan, krate, custom).map_err(Error::Config)?;
        let body = if self.format {
            emit::format(&tokens).map_err(Error::Config)?
        } else {
            format!("{tokens}\n")
        };
        let code = format!(
            "// @generated by sproto-build from {label}: do not edit, change the schema instead.\n\n{body}"
        );
        Ok(Generated {
            code,
            types: plan::type_paths(&plan),
            protocol_trait: plan.protocol.map(|t| t.ident),
        })
    }

    /// Generates the code for `files` (parsed together as one schema) into
    /// `OUT_DIR/<out_file_name>`, for `build.rs`. A relative file that does not exist
    /// as given is looked up in each of `includes` in turn. Prints
    /// `cargo:rerun-if-changed` for every input; writes the output only when it changed.
    ///
    /// A schema error fails with the `file:line:column: message` lines of `sproto
    /// check` (also in the error's `Debug` form, which is what `fn main() ->
    /// Result<..>` prints).
    ///
    /// ```no_run
    /// // build.rs
    /// fn main() -> Result<(), sproto_build::Error> {
    ///     sproto_build::Config::new()
    ///         .type_attribute(".", "#[derive(serde::Serialize)]")
    ///         .compile(&["proto/game.sproto"], &["proto/"])
    /// }
    /// ```
    pub fn compile(
        &self,
        files: &[impl AsRef<Path>],
        includes: &[impl AsRef<Path>],
    ) -> Result<(), Error> {
        let Some(first) = files.first() else {
            return Err(Error::Config("no .sproto file to compile".to_string()));
        };
        let mut texts = Vec::with_capacity(files.len());
        for f in files {
            let f = f.as_ref();
            let path = find(f, includes)?;
            if self.rerun_if_changed {
                println!("cargo:rerun-if-changed={}", path.display());
            }
            let bytes = std::fs::read(&path).map_err(|source| Error::Io {
                path: path.clone(),
                source,
            })?;
            let text = String::from_utf8(bytes).map_err(|e| {
                Error::Config(format!(
                    "{}: not UTF-8 text (byte {})",
                    path.display(),
                    e.utf8_error().valid_up_to()
                ))
            })?;
            // Errors name the file as found (`proto/game.sproto`), like `sproto check`.
            texts.push((path.display().to_string(), text));
        }
        let sources: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let generated = self.generate(&sources)?;
        let out_dir = match &self.out_dir {
            Some(d) => d.clone(),
            None => std::env::var_os("OUT_DIR")
                .map(PathBuf::from)
                .ok_or_else(|| {
                    Error::Config(
                    "OUT_DIR is not set: call compile from a build script, or set Config::out_dir"
                        .to_string(),
                )
                })?,
        };
        let name = match &self.file_name {
            Some(n) => n.clone(),
            None => format!("{}.rs", file_stem(&first.as_ref().display().to_string())),
        };
        let out = out_dir.join(name);
        let unchanged = std::fs::read(&out).is_ok_and(|old| old == generated.code.as_bytes());
        if !unchanged {
            std::fs::write(&out, generated.code.as_bytes())
                .map_err(|source| Error::Io { path: out, source })?;
        }
        Ok(())
    }
}

/// `file` as given if it exists (or is absolute), else the first `include/file` that
/// exists.
fn find(file: &Path, includes: &[impl AsRef<Path>]) -> Result<PathBuf, Error> {
    if file.is_absolute() || file.exists() {
        return Ok(file.to_path_buf());
    }
    includes
        .iter()
        .map(|dir| dir.as_ref().join(file))
        .find(|p| p.exists())
        .ok_or_else(|| Error::Io {
            path: file.to_path_buf(),
            source: std::io::Error::new(
                std::io::ErrorKind::NotFound,
                "not found (nor in any include directory)",
            ),
        })
}

fn file_name(name: &str) -> String {
    Path::new(name)
        .file_name()
        .map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned())
}

fn file_stem(name: &str) -> String {
    Path::new(name)
        .file_stem()
        .map_or_else(|| name.to_string(), |n| n.to_string_lossy().into_owned())
}

/// The code generated for one schema, and what it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Generated {
    code: String,
    types: Vec<(String, String)>,
    protocol_trait: Option<String>,
}

impl Generated {
    /// The Rust code.
    pub fn code(&self) -> &str {
        &self.code
    }

    /// The Rust code, owned.
    pub fn into_code(self) -> String {
        self.code
    }

    /// Each schema type's full sproto name and the path of its struct from the
    /// generated file's root (`("Person.PhoneNumber", "person::PhoneNumber")`), in
    /// bundle order.
    pub fn types(&self) -> impl Iterator<Item = (&str, &str)> {
        self.types.iter().map(|(s, r)| (s.as_str(), r.as_str()))
    }

    /// The protocol trait's name, when one was generated.
    pub fn protocol_trait(&self) -> Option<&str> {
        self.protocol_trait.as_deref()
    }
}

#[cfg(test)]
mod tests {
    use super::selects;

    #[test]
    fn selectors() {
        assert!(selects(".", "Person.name"));
        assert!(selects("", "A"));
        assert!(selects("Person", "Person"));
        assert!(selects(".Person", "Person.PhoneNumber.number"));
        assert!(!selects("Person", "PersonList"));
        assert!(selects("Person.name", "Person.name"));
        assert!(!selects("Person.name", "Person.names"));
    }
}
