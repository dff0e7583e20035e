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
