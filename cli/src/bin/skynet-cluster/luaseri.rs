//! `skynet-cluster pack` / `unpack`: lua-seri bytes ⇄ a JSON array of Lua values in
//! the convention of `skynet_cluster::luaseri::json` (`{"$int": "1"}`, `{"$table": ...}`).

use clap::Args;
use skynet_cluster::luaseri::json::{values_from_json, values_to_json};
use skynet_cluster::luaseri::{pack, unpack};
use sproto_cli::io::{read_bytes, read_input, write_bytes};

/// `pack [--hex]`.
#[derive(Args)]
pub struct PackArgs {
    /// Write lowercase hex text (and a newline) instead of raw bytes.
    #[arg(long)]
    hex: bool,
}

impl PackArgs {
    /// Reads the JSON array from stdin and writes `skynet.pack(...)` of its values.
    pub fn run(self) -> Result<(), String> {
        let input = read_input(None)?;
        let doc: serde_json::Value =
            serde_json::from_slice(&input).map_err(|e| format!("invalid JSON on stdin: {e}"))?;
        let values = values_from_json(&doc).map_err(|e| format!("invalid values: {e}"))?;
        let bytes = pack(&values).map_err(|e| format!("cannot pack: {e}"))?;
        write_bytes(&bytes, self.hex)
    }
}

/// `unpack [--hex]`.
#[derive(Args)]
pub struct UnpackArgs {
    /// Read hex text (whitespace ignored) instead of raw bytes.
    #[arg(long)]
    hex: bool,
}

impl UnpackArgs {
    /// Reads the bytes from stdin and prints their values as one JSON array.
    pub fn run(self) -> Result<(), String> {
        let bytes = read_bytes(None, self.hex)?;
        let values = unpack(&bytes).map_err(|e| format!("cannot unpack: {e}"))?;
        let text = serde_json::to_string(&values_to_json(&values))
            .map_err(|e| format!("cannot write JSON: {e}"))?;
        println!("{text}");
        Ok(())
    }
}
