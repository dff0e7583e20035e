//! Conformance of the dynamic codec and 0-packing against the reference's vectors:
//! `messages.json`, `compat.json`, `pack.json`. One named trial per vector
//! (`messages::<id>`, `encode_errors::<id>`, `decode::<id>`, `compat::<id>`,
//! `pack::<id>`, `unpack::<id>`), so a failure names its vector and a filter picks
//! some (`-- messages::addressbook/`); the `LUA_ONLY` vectors are listed as ignored.

mod common;
use common::*;

use std::collections::HashMap;
use std::sync::Arc;

use libtest_mimic::Trial;
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
/// else tagged `lua_specific` runs. Their trials are listed as ignored (`-- --ignored`
/// runs them, and they fail).
const LUA_ONLY: &[&str] = &[
    "builtins/Scalars/int_string_numeral",
    "builtins/Scalars/str_number",
];

/// Every vector file, loaded once and shared by the trials.
struct Vectors {
    schemas: Schemas,
    messages: Json,
    compat: Json,
    pack: Json,
}

/// One group of vectors: its name, where its list is (objects with an `id`), the
/// check of one vector (its failures), and the ids whose trials are ignored.
type Group = (
    &'static str,
    fn(&Vectors) -> &Json,
    fn(&Vectors, &Json) -> Vec<String>,
    &'static [&'static str],
);

const GROUPS: [Group; 6] = [
    ("messages", |v| &v.messages["messages"], message, LUA_ONLY),
    (
        "encode_errors",
        |v| &v.messages["encode_errors"],
        encode_error,
        LUA_ONLY,
    ),
    (
        "decode",
        |v| &v.messages["decode_vectors"],
        decode_vector,
        &[],
    ),
    ("compat", |v| &v.compat["cases"], compat_case, &[]),
    ("pack", |v| &v.pack["pack"], pack_case, &[]),
    ("unpack", |v| &v.pack["unpack"], unpack_case, &[]),
];

/// One trial per vector, named `<group>::<id>`.
fn main() {
    let v = Arc::new(Vectors {
        schemas: Schemas::load(),
        messages: load("messages.json"),
        compat: load("compat.json"),
        pack: load("pack.json"),
    });
    let mut trials = Vec::new();
    for (group, list, check, skip) in GROUPS {
        for (i, c) in list(&v).as_array().expect(group).iter().enumerate() {
            let id = c["id"].as_str().expect("id");
            let v = Arc::clone(&v);
            trials.push(
                Trial::test(format!("{group}::{id}"), move || {
                    verdict(check(&v, &list(&v)[i]))
                })
                .with_ignored_flag(skip.contains(&id)),
            );
        }
    }
    run(trials)
}

/// A message vector: decodes (plain and packed) to its value, and its value encodes
/// and packs to its bytes (or, for multi-entry maps, to bytes that decode the same).
fn message(v: &Vectors, m: &Json) -> Vec<String> {
    let mut failures = Vec::new();
    let id = m["id"].as_str().expect("id");
    let sp = v.schemas.get(&m["schema"]);
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
            return failures;
        }
    };
    let ours = match sp.encode(ty, &value) {
        Ok(b) => b,
        Err(e) => {
            failures.push(format!("{id}: encode failed: {e}"));
            return failures;
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
    failures
}

/// A value the reference refuses to encode is refused.
fn encode_error(v: &Vectors, c: &Json) -> Vec<String> {
    let sp = v.schemas.get(&c["schema"]);
    let ty = c["type"].as_str().expect("type");
    let result = json::struct_from_json(sp, ty, &c["value"])
        .map_err(|e| e.to_string())
        .and_then(|value| sp.encode(ty, &value).map_err(|e| e.to_string()));
    match result {
        Ok(bytes) => vec![format!(
            "{}: encoded {} but the reference fails: {}",
            c["id"],
            hex(&bytes),
            c["error"]
        )],
        Err(_) => Vec::new(),
    }
}

/// Bytes decode as the reference decodes them (value and bytes used), or fail where
/// it fails; a `quirk` of the reference's decoding may be refused.
fn decode_vector(v: &Vectors, c: &Json) -> Vec<String> {
    let sp = v.schemas.get(&c["schema"]);
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
    if ok {
        return Vec::new();
    }
    vec![format!(
        "{}: got {:?}, want {} / {}",
        c["id"], got, c["decoded"], c["error"]
    )]
}

/// A writer's bytes read with another version of the schema as the reference reads
/// them; a `quirk` error of the reference's may be read.
fn compat_case(v: &Vectors, c: &Json) -> Vec<String> {
    let sp = v.schemas.get(&c["reader_schema"]);
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
    if ok {
        return Vec::new();
    }
    vec![format!(
        "{}: got {:?}, want {} / {}",
        c["id"], got, c["decoded"], c["error"]
    )]
}

/// Packing gives the reference's bytes, and unpacking them its unpacked form.
fn pack_case(_: &Vectors, c: &Json) -> Vec<String> {
    let mut failures = Vec::new();
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
    failures
}

/// Packed bytes unpack as the reference unpacks them, or fail where it fails.
fn unpack_case(_: &Vectors, c: &Json) -> Vec<String> {
    let got = unpack(&unhex(c["packed"].as_str().expect("packed")));
    let ok = match (&got, c.get("unpacked").and_then(Json::as_str)) {
        (Ok(b), Some(want)) => hex(b) == want,
        (Err(_), None) => true,
        _ => false,
    };
    if ok {
        return Vec::new();
    }
    vec![format!(
        "{}: unpack gave {got:?}, want {}",
        c["id"], c["unpacked"]
    )]
}
