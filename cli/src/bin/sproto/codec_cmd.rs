//! `sproto encode`, `sproto decode`, `sproto pack`, `sproto unpack`: messages in the
//! JSON value convention of the reference vectors.

use std::path::Path;

use sproto_cli::io::{parse_json, read_bytes, read_stdin_text, write_bytes};
use sproto_rt::json;

use crate::schema_cmd::load_schema;

pub fn encode(schema: &Path, ty: &str, pack: bool, hex: bool) -> Result<(), String> {
    let sp = load_schema(schema, false, false)?;
    let input = parse_json(&read_stdin_text()?)?;
    let value = json::struct_from_json(&sp, ty, &input).map_err(|e| e.to_string())?;
    let bytes = if pack {
        sp.pencode(ty, &value)
    } else {
        sp.encode(ty, &value)
    }
    .map_err(|e| format!("{ty}: {e}"))?;
    write_bytes(&bytes, hex)
}

pub fn decode(schema: &Path, ty: &str, unpack: bool, hex: bool) -> Result<(), String> {
    let sp = load_schema(schema, false, false)?;
    let input = read_bytes(None, hex)?;
    let bytes = if unpack {
        sproto_rt::unpack(&input).map_err(|e| e.to_string())?
    } else {
        input
    };
    let value = sp.decode(ty, &bytes).map_err(|e| format!("{ty}: {e}"))?;
    println!("{}", json::struct_to_json(&value));
    Ok(())
}

pub fn pack(hex: bool) -> Result<(), String> {
    write_bytes(&sproto_rt::pack(&read_bytes(None, hex)?), hex)
}

pub fn unpack(hex: bool) -> Result<(), String> {
    let bytes = sproto_rt::unpack(&read_bytes(None, hex)?).map_err(|e| e.to_string())?;
    write_bytes(&bytes, hex)
}
