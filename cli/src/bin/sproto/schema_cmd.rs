//! `sproto compile`, `sproto dump`, `sproto check`, and loading a schema from either
//! form (text or bundle) for the other commands.

use std::io::Write;
use std::path::{Path, PathBuf};

use sproto_cli::io::read_input;
use sproto_rt::Sproto;

/// Parses schema text files together into one schema; errors as `file:line:col: msg`.
pub fn parse_files(files: &[PathBuf]) -> Result<Sproto, String> {
    let mut texts = Vec::with_capacity(files.len());
    for f in files {
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
    Sproto::parse_sources(texts.iter().map(|(n, t)| (n.as_str(), t.as_str())))
        .map_err(|e| e.to_string())
}

/// Whether `bytes` read from `path` are schema text rather than a bundle: `.sproto`
/// files are text; otherwise non-empty UTF-8 without NUL bytes (a bundle always has
/// some) is text.
fn looks_like_text(path: &Path, bytes: &[u8]) -> bool {
    if path.extension().is_some_and(|e| e == "sproto") {
        return true;
    }
    !bytes.is_empty() && !bytes.contains(&0) && std::str::from_utf8(bytes).is_ok()
}

/// Loads a schema from a `.sproto` text or a binary bundle.
pub fn load_schema(path: &Path, force_bundle: bool, force_text: bool) -> Result<Sproto, String> {
    let bytes = read_input(Some(path))?;
    let text = force_text || (!force_bundle && looks_like_text(path, &bytes));
    if text {
        parse_files(&[path.to_path_buf()])
    } else {
        Sproto::from_bundle(&bytes).map_err(|e| format!("{}: {e}", path.display()))
    }
}

pub fn compile(files: &[PathBuf], output: Option<&Path>) -> Result<(), String> {
    let bundle = parse_files(files)?.to_bundle().map_err(|e| e.to_string())?;
    match output {
        Some(out) => std::fs::write(out, &bundle).map_err(|e| format!("{}: {e}", out.display())),
        None => {
            let mut stdout = std::io::stdout().lock();
            stdout
                .write_all(&bundle)
                .and_then(|_| stdout.flush())
                .map_err(|e| format!("stdout: {e}"))
        }
    }
}

pub fn dump(file: &Path, bundle: bool, text: bool) -> Result<(), String> {
    let sp = load_schema(file, bundle, text)?;
    print!("{}", sp.dump());
    Ok(())
}

pub fn check(files: &[PathBuf]) -> Result<(), String> {
    let sp = parse_files(files)?;
    println!(
        "ok: {} types, {} protocols",
        sp.types().len(),
        sp.protocols().len()
    );
    Ok(())
}
