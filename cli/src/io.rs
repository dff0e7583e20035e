//! Input and output helpers: files or stdin, hex text, and error exits.

use std::io::{Read, Write};
use std::path::Path;
use std::process::ExitCode;

/// Reads a whole file, or stdin when `path` is `None` or `-`.
pub fn read_input(path: Option<&Path>) -> Result<Vec<u8>, String> {
    match path {
        Some(p) if p.as_os_str() != "-" => {
            std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()))
        }
        _ => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map_err(|e| format!("stdin: {e}"))?;
            Ok(buf)
        }
    }
}

/// Decodes hex text (either case); whitespace anywhere is ignored.
///
/// ```
/// assert_eq!(sproto_cli::io::decode_hex(" 0a FF\n").unwrap(), vec![10, 255]);
/// assert!(sproto_cli::io::decode_hex("abc").is_err());
/// ```
pub fn decode_hex(text: &str) -> Result<Vec<u8>, String> {
    let digits: Vec<u8> = text.bytes().filter(|c| !c.is_ascii_whitespace()).collect();
    if digits.len() % 2 != 0 {
        return Err(format!(
            "hex text has an odd number of digits ({})",
            digits.len()
        ));
    }
    digits
        .chunks(2)
        .enumerate()
        .map(|(i, pair)| {
            let hi = (pair[0] as char).to_digit(16);
            let lo = (pair[1] as char).to_digit(16);
            match (hi, lo) {
                (Some(h), Some(l)) => Ok((h * 16 + l) as u8),
                _ => Err(format!(
                    "invalid hex digit near digit {} ({:?})",
                    i * 2,
                    String::from_utf8_lossy(pair)
                )),
            }
        })
        .collect()
}

/// Lowercase hex of `bytes`, no separators.
///
/// ```
/// assert_eq!(sproto_cli::io::encode_hex(&[0, 0xab]), "00ab");
/// ```
pub fn encode_hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[usize::from(b >> 4)] as char);
        s.push(DIGITS[usize::from(b & 15)] as char);
    }
    s
}

/// Reads binary input, or hex text when `hex` is set.
pub fn read_bytes(path: Option<&Path>, hex: bool) -> Result<Vec<u8>, String> {
    let raw = read_input(path)?;
    if hex {
        let text = String::from_utf8(raw).map_err(|_| "hex input is not text".to_string())?;
        decode_hex(&text)
    } else {
        Ok(raw)
    }
}

/// Writes bytes to stdout, or their hex text and a newline when `hex` is set.
pub fn write_bytes(bytes: &[u8], hex: bool) -> Result<(), String> {
    let mut out = std::io::stdout().lock();
    let r = if hex {
        writeln!(out, "{}", encode_hex(bytes))
    } else {
        out.write_all(bytes)
    };
    r.and_then(|_| out.flush())
        .map_err(|e| format!("stdout: {e}"))
}

/// Prints `message` on stderr and returns the failure exit code (1).
pub fn fail(message: impl std::fmt::Display) -> ExitCode {
    eprintln!("{message}");
    ExitCode::FAILURE
}

/// Deepest nesting the CLIs accept in JSON input. serde_json's own limit (128) is too
/// low for the reference's depth vectors (64 nested structs), and no limit at all
/// would let hostile input overflow the stack.
pub const MAX_JSON_DEPTH: usize = 1000;

/// Parses JSON text, allowing nesting up to [`MAX_JSON_DEPTH`].
///
/// ```
/// let v = sproto_cli::io::parse_json(r#"{"a": [1, {"b": "]"}]}"#).unwrap();
/// assert_eq!(v["a"][1]["b"], "]");
/// assert!(sproto_cli::io::parse_json(&"[".repeat(2000)).is_err());
/// ```
pub fn parse_json(text: &str) -> Result<serde_json::Value, String> {
    let depth = json_depth(text);
    if depth > MAX_JSON_DEPTH {
        return Err(format!(
            "JSON nests {depth} levels deep (at most {MAX_JSON_DEPTH})"
        ));
    }
    let mut de = serde_json::Deserializer::from_str(text);
    de.disable_recursion_limit();
    let v: serde_json::Value =
        serde::Deserialize::deserialize(&mut de).map_err(|e| format!("invalid JSON: {e}"))?;
    de.end().map_err(|e| format!("invalid JSON: {e}"))?;
    Ok(v)
}

/// The deepest `[`/`{` nesting in JSON text (strings skipped).
fn json_depth(text: &str) -> usize {
    let (mut depth, mut max, mut in_string, mut escaped) = (0usize, 0usize, false, false);
    for b in text.bytes() {
        if in_string {
            match b {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match b {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                max = max.max(depth);
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    max
}

/// Reads all of stdin as UTF-8 text.
pub fn read_stdin_text() -> Result<String, String> {
    String::from_utf8(read_input(None)?).map_err(|_| "stdin is not UTF-8 text".to_string())
}
