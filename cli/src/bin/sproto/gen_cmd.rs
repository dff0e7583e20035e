//! `sproto gen rust FILE... [-o OUT.rs]`: the Rust code `sproto-build` generates for
//! a schema, printed or written, with the main `sproto_build::Config` options.

use std::io::Write;
use std::path::PathBuf;

use sproto_cli::io::read_input;

/// Generate code from .sproto files.
#[derive(clap::Args)]
pub struct GenArgs {
    #[command(subcommand)]
    lang: Lang,
}

#[derive(clap::Subcommand)]
enum Lang {
    /// Rust: #[derive(Sproto)] structs, a #[sproto_rt::protocol] trait for the
    /// protocols, and schema() (what sproto-build writes from build.rs).
    Rust(RustArgs),
}

#[derive(clap::Args)]
struct RustArgs {
    /// Schema text files, parsed together as one schema.
    #[arg(required = true)]
    files: Vec<PathBuf>,
    /// Write the code here instead of stdout.
    #[arg(short, long)]
    output: Option<PathBuf>,
    /// The protocol trait's name (default: the first file's stem in UpperCamelCase).
    #[arg(long)]
    trait_name: Option<String>,
    /// Do not generate the protocol trait (schema() still describes the protocols).
    #[arg(long)]
    no_protocols: bool,
    /// The runtime crate's path in the code (default ::sproto_rt).
    #[arg(long)]
    runtime_crate: Option<String>,
    /// binary fields as bytes::Bytes: a path such as `.` (all), `Person` or
    /// `Person.data` (repeatable).
    #[arg(long, value_name = "PATH")]
    bytes: Vec<String>,
    /// Maps as HashMap instead of BTreeMap, for the fields PATH selects (repeatable).
    #[arg(long, value_name = "PATH")]
    hash_map: Vec<String>,
    /// An attribute for the types PATH selects: `PATH=#[derive(Eq)]` (repeatable).
    #[arg(long, value_name = "PATH=ATTR")]
    type_attribute: Vec<String>,
    /// An attribute for the fields PATH selects: `PATH=#[serde(default)]` (repeatable).
    #[arg(long, value_name = "PATH=ATTR")]
    field_attribute: Vec<String>,
    /// Leave the schema's comments out of the docs.
    #[arg(long)]
    no_comments: bool,
}

/// `PATH=ATTR` split at the first `=` followed by `#`.
fn path_and_attribute(arg: &str) -> Result<(String, String), String> {
    arg.find("=#")
        .map(|i| (arg[..i].to_string(), arg[i + 1..].to_string()))
        .ok_or_else(|| format!("`{arg}`: expected PATH=#[attribute]"))
}

impl GenArgs {
    pub fn run(self) -> Result<(), String> {
        let Lang::Rust(args) = self.lang;
        let mut config = sproto_build::Config::new();
        config
            .protocols(!args.no_protocols)
            .bytes(args.bytes)
            .hash_map(args.hash_map);
        if let Some(name) = args.trait_name {
            config.protocol_trait_name(name);
        }
        if let Some(path) = args.runtime_crate {
            config.runtime_crate(path);
        }
        for a in &args.type_attribute {
            let (path, attr) = path_and_attribute(a)?;
            config.type_attribute(path, attr);
        }
        for a in &args.field_attribute {
            let (path, attr) = path_and_attribute(a)?;
            config.field_attribute(path, attr);
        }
        if args.no_comments {
            config.disable_comments(["."]);
        }
        let mut texts = Vec::with_capacity(args.files.len());
        for f in &args.files {
            let bytes = read_input(Some(f))?;
            let text = String::from_utf8(bytes).map_err(|e| {
                format!(
                    "{}: not UTF-8 text (byte {})",
                    f.display(),
                    e.utf8_error().valid_up_to()
                )
            })?;
            texts.push((f.display().to_string(), text));
        }
        let sources: Vec<(&str, &str)> = texts
            .iter()
            .map(|(n, t)| (n.as_str(), t.as_str()))
            .collect();
        let code = config
            .generate(&sources)
            .map_err(|e| e.to_string())?
            .into_code();
        match args.output {
            Some(out) => std::fs::write(&out, code).map_err(|e| format!("{}: {e}", out.display())),
            None => {
                let mut stdout = std::io::stdout().lock();
                stdout
                    .write_all(code.as_bytes())
                    .and_then(|_| stdout.flush())
                    .map_err(|e| format!("stdout: {e}"))
            }
        }
    }
}
