//! Generates the code of every sproto vector schema and of the gate session's two
//! schemas into `OUT_DIR`, plus `all.rs` (one module per schema) and `registry.rs`
//! (per schema and type name, the generated type's codec and the schema function),
//! so the tests can reach every generated type by its sproto name.

use std::error::Error;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

fn main() -> Result<(), Box<dyn Error>> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    // The sproto vectors belong to sproto-rt; the captured gate session to the root tests.
    let vectors = root.join("sproto-rt/tests/vectors");
    let out = PathBuf::from(std::env::var("OUT_DIR")?);
    let schemas_dir = vectors.join("sproto/schemas");
    println!("cargo:rerun-if-changed={}", schemas_dir.display());
    let mut inputs: Vec<(String, String, String)> = Vec::new(); // (module, file name, text)
    let mut files: Vec<PathBuf> = std::fs::read_dir(&schemas_dir)?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    files.sort();
    for path in files
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "sproto"))
    {
        println!("cargo:rerun-if-changed={}", path.display());
        let file = path
            .file_name()
            .ok_or("no file name")?
            .to_string_lossy()
            .into_owned();
        let module = file.trim_end_matches(".sproto").to_string();
        inputs.push((module, file, std::fs::read_to_string(path)?));
    }
    let gate = root.join("tests/vectors/gate/example_session.json");
    println!("cargo:rerun-if-changed={}", gate.display());
    let session: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&gate)?)?;
    for side in ["c2s", "s2c"] {
        let text = session["schemas"][side].as_str().ok_or("gate schema")?;
        inputs.push((
            format!("gate_{side}"),
            format!("{side}.sproto"),
            text.to_string(),
        ));
    }

    // Names that collide with Rust in every way we could think of.
    let hostile = Path::new(env!("CARGO_MANIFEST_DIR")).join("schemas/hostile_names.sproto");
    println!("cargo:rerun-if-changed={}", hostile.display());
    inputs.push((
        "hostile_names".to_string(),
        "hostile_names.sproto".to_string(),
        std::fs::read_to_string(&hostile)?,
    ));

    let mut all = String::new();
    let mut schemas = String::new();
    let mut arms = String::new();
    for (module, file, text) in &inputs {
        let mut config = sproto_build::Config::new();
        if module == "hostile_names" {
            config.bytes(["Entry.Price.name"]);
        }
        let generated = config.generate(&[(file.as_str(), text.as_str())])?;
        std::fs::write(out.join(format!("{module}.rs")), generated.code())?;
        writeln!(
            all,
            "/// The code generated for `{file}`.\npub mod {module} {{ include!(concat!(env!(\"OUT_DIR\"), \"/{module}.rs\")); }}"
        )?;
        writeln!(
            schemas,
            "    (\"{module}\", \"{file}\", crate::{module}::schema),"
        )?;
        for (name, path) in generated.types() {
            writeln!(
                arms,
                "        (\"{module}\", \"{name}\") => Some(codec::<crate::{module}::{path}>()),"
            )?;
        }
    }
    std::fs::write(out.join("all.rs"), all)?;
    let registry = format!(
        "/// Every generated schema: (module, file name, schema function).
pub const SCHEMAS: &[(&str, &str, SchemaFn)] = &[
{schemas}];

/// The codec of the generated type for sproto type `ty` of schema module `module`.
pub fn codec_of(module: &str, ty: &str) -> Option<Codec> {{
    match (module, ty) {{
{arms}        _ => None,
    }}
}}
"
    );
    std::fs::write(out.join("registry.rs"), registry)?;

    // One schema through Config::compile too (the build.rs entry point), with options.
    let mut config = sproto_build::Config::new();
    config
        .out_file_name("addressbook_options.rs")
        .bytes(["Person.data"])
        .hash_map(["."])
        .protocol_trait_name("AddressBookRpc")
        .type_attribute("Person", "#[derive(PartialOrd)]");
    config.compile(&["addressbook.sproto"], &[&schemas_dir])?;

    // The runtime crate through a re-export (`crate::rt`), protocols included.
    sproto_build::Config::new()
        .out_file_name("custom_runtime.rs")
        .runtime_crate("crate::rt")
        .compile(&[schemas_dir.join("rpc.sproto")], &[] as &[&Path])?;
    Ok(())
}
