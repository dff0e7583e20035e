//! Conformance of the dynamic codec and 0-packing against the reference's vectors:
//! `messages.json`, `compat.json`, `pack.json`. Every failing id is reported.

mod common;
use common::*;

use std::collections::HashMap;

use serde_json::Value as Json;
use sproto_rt::{json, pack, unpack, Sproto};

struct Schemas(HashMap<String, Sproto>);

impl Schemas {
    fn load() -> Self {
        let mut m = HashMap::new();
        for e in std::fs::read_dir(format!("{VECTORS}/schemas")).expect("schemas") {
            let path = e.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .to_string();
            let text = std::fs::read_to_string(&path).expect("text");
            if let Ok(sp) = Sproto::parse_named(&name, &text) {
                m.insert(name, sp);
            }
        }
        Schemas(m)
    }

    fn get(&self, name: &Json) -> &Sproto {
        &self.0[name.as_str().expect("schema name")]
    }
}

fn tags(v: &Json) -> Vec<&str> {
    v["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

/// Decodes `bytes` as JSON in the vectors' convention, with the bytes used.
fn decode_json(sp: &Sproto, ty: &str, bytes: &[u8]) -> Result<(Json, usize), String> {
    sp.decode_with_len(ty, bytes)
        .map(|(s, n)| (json::struct_to_json(&s), n))
        .map_err(|e| e.to_string())
}

/// Vectors a typed value model cannot express: Lua converting a numeral string to an
/// integer (`"12"` for an integer field), and the Lua number 12 given for a string
/// field (its JSON form is the string `"12"`, which is a valid string). Everything
/// else tagged `lua_specific` runs.
const LUA_ONLY: &[&str] = &[
    "builtins/Scalars/int_string_numeral",
    "builtins/Scalars/str_number",
];

#[test]
fn messages_encode_decode_pack() {
    let schemas = Schemas::load();
    let v = load("messages.json");
    let messages = v["messages"].as_array().expect("messages");
    let mut failures = Vec::new();
    for m in messages {
        let id = m["id"].as_str().expect("id");
        if LUA_ONLY.contains(&id) {
            continue;
        }
        let sp = schemas.get(&m["schema"]);
        let ty = m["type"].as_str().expect("type");
        let encoded = unhex(m["encoded"].as_str().expect("encoded"));
        let packed = unhex(m["packed"].as_str().expect("packed"));
        let want = &m["decoded"];
        match decode_json(sp, ty, &encoded) {
            Ok((got, n)) if &got == want && n == encoded.len() => {}
            other => failures.push(format!("{id}: decode gave {other:?}, want {want}")),
        }
        match unpack(&packed)
            .map_err(|e| e.to_string())
            .and_then(|b| decode_json(sp, ty, &b))
        {
            Ok((got, _)) if &got == want => {}
            other => failures.push(format!("{id}: unpack+decode gave {other:?}")),
        }
        let value = match json::struct_from_json(sp, ty, &m["value"]) {
            Ok(v) => v,
            Err(e) => {
                failures.push(format!("{id}: value not readable: {e}"));
                continue;
            }
        };
        let ours = match sp.encode(ty, &value) {
            Ok(b) => b,
            Err(e) => {
                failures.push(format!("{id}: encode failed: {e}"));
                continue;
            }
        };
        if m["direction"] == "both" {
            if ours != encoded {
                failures.push(format!(
                    "{id}: encoded {}, want {}",
                    hex(&ours),
                    hex(&encoded)
                ));
            }
            match sp.pencode(ty, &value) {
                Ok(p) if p == packed => {}
                other => failures.push(format!("{id}: pencode gave {other:?}")),
            }
        } else {
            // Multi-entry maps: entry order is free; compare by decoding.
            match decode_json(sp, ty, &ours) {
                Ok((got, _)) if &got == want && ours.len() == encoded.len() => {}
                other => failures.push(format!("{id}: our encoding decodes to {other:?}")),
            }
        }
    }
    report("messages", messages.len(), failures);
}

#[test]
fn encode_errors_are_errors() {
    let schemas = Schemas::load();
    let v = load("messages.json");
    let cases = v["encode_errors"].as_array().expect("encode_errors");
    let mut failures = Vec::new();
    for c in cases {
        if LUA_ONLY.contains(&c["id"].as_str().expect("id")) {
            continue;
        }
        let sp = schemas.get(&c["schema"]);
        let ty = c["type"].as_str().expect("type");
        let result = json::struct_from_json(sp, ty, &c["value"])
            .map_err(|e| e.to_string())
            .and_then(|value| sp.encode(ty, &value).map_err(|e| e.to_string()));
        if let Ok(bytes) = result {
            failures.push(format!(
                "{}: encoded {} but the reference fails: {}",
                c["id"],
                hex(&bytes),
                c["error"]
            ));
        }
    }
    report("encode_errors", cases.len(), failures);
}

#[test]
fn decode_vectors_as_the_reference() {
    let schemas = Schemas::load();
    let v = load("messages.json");
    let cases = v["decode_vectors"].as_array().expect("decode_vectors");
    let mut failures = Vec::new();
    for c in cases {
        let sp = schemas.get(&c["schema"]);
        let got = decode_json(
            sp,
            c["type"].as_str().expect("type"),
            &unhex(c["bytes"].as_str().expect("bytes")),
        );
        let quirk = tags(c).contains(&"quirk");
        let ok = match (&got, c.get("error")) {
            (Err(_), Some(_)) => true,
            (Ok(_), Some(_)) => false,
            (Err(_), None) => quirk,
            (Ok((value, n)), None) => {
                &c["decoded"] == value && Some(*n as u64) == c["consumed"].as_u64()
            }
        };
        if !ok {
            failures.push(format!(
                "{}: got {:?}, want {} / {}",
                c["id"], got, c["decoded"], c["error"]
            ));
        }
    }
    report("decode_vectors", cases.len(), failures);
}

#[test]
fn compat_cases_as_the_reference() {
    let schemas = Schemas::load();
    let v = load("compat.json");
    let cases = v["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for c in cases {
        let sp = schemas.get(&c["reader_schema"]);
        let ty = c["reader_type"].as_str().expect("type");
        let got = decode_json(sp, ty, &unhex(c["encoded"].as_str().expect("encoded")));
        let quirk = tags(c).contains(&"quirk");
        let ok = match (&got, c.get("error")) {
            (Err(_), Some(_)) => true,
            (Ok(_), Some(_)) => quirk,
            (Err(_), None) => false,
            (Ok((value, n)), None) => {
                &c["decoded"] == value && Some(*n as u64) == c["consumed"].as_u64()
            }
        };
        if !ok {
            failures.push(format!(
                "{}: got {:?}, want {} / {}",
                c["id"], got, c["decoded"], c["error"]
            ));
        }
    }
    report("compat", cases.len(), failures);
}

#[test]
fn pack_and_unpack_as_the_reference() {
    let v = load("pack.json");
    let mut failures = Vec::new();
    let packs = v["pack"].as_array().expect("pack");
    for c in packs {
        let src = unhex(c["unpacked"].as_str().expect("unpacked"));
        let packed = pack(&src);
        if hex(&packed) != c["packed"].as_str().expect("packed") {
            failures.push(format!(
                "{}: pack gave {}, want {}",
                c["id"],
                hex(&packed),
                c["packed"]
            ));
        }
        match unpack(&packed) {
            Ok(back) if hex(&back) == c["unpack_of_packed"].as_str().expect("uop") => {}
            other => failures.push(format!("{}: unpack gave {other:?}", c["id"])),
        }
    }
    let unpacks = v["unpack"].as_array().expect("unpack");
    for c in unpacks {
        let got = unpack(&unhex(c["packed"].as_str().expect("packed")));
        let ok = match (&got, c.get("unpacked").and_then(Json::as_str)) {
            (Ok(b), Some(want)) => hex(b) == want,
            (Err(_), None) => true,
            _ => false,
        };
        if !ok {
            failures.push(format!(
                "{}: unpack gave {got:?}, want {}",
                c["id"], c["unpacked"]
            ));
        }
    }
    report("pack", packs.len() + unpacks.len(), failures);
}
