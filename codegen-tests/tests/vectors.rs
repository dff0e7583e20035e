//! The generated code against the reference vectors: every schema's `schema()` (built
//! from the generated types) gives the reference parser's bundle byte for byte, and
//! every message vector decodes through the generated types and re-encodes to the
//! vector's bytes. One named trial per schema and vector: `bundles::<module>`,
//! `messages::<id>`, `decode::<id>`, with `suite::` trials for the counts.

use std::path::Path;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value as Json;
use sproto_codegen_tests::{codec_of, SchemaFn, SCHEMAS};
use sproto_rt::{DecodeErrorKind, FieldProblem, Sproto};

/// The sproto vectors (owned by sproto-rt).
const VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../sproto-rt/tests/vectors");
/// The captured gate session (owned by the root package's tests).
const ROOT_VECTORS: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors");

fn load(name: &str) -> Json {
    let dir = if name.starts_with("gate/") {
        ROOT_VECTORS
    } else {
        VECTORS
    };
    let path = format!("{dir}/{name}");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut de).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("vector hex"))
        .collect()
}

/// One vector's verdict: it passes when its check pushed no failure, and fails with
/// every message the check pushed.
fn verdict(failures: Vec<String>) -> Result<(), Failed> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(failures.join("\n").into())
    }
}

/// The vector files, loaded once and shared by the trials.
struct Vectors {
    bundles: Json,
    session: Json,
    messages: Json,
}

fn main() {
    let v = Arc::new(Vectors {
        bundles: load("sproto/bundles.json"),
        session: load("gate/example_session.json"),
        messages: load("sproto/messages.json"),
    });
    let mut trials = Vec::new();
    let tests: [(&str, fn()); 3] = [
        ("every_schema_is_generated", every_schema_is_generated),
        (
            "the_compile_entry_point_with_options_builds_the_same_bundle",
            the_compile_entry_point_with_options_builds_the_same_bundle,
        ),
        (
            "a_runtime_crate_reexport_works",
            a_runtime_crate_reexport_works,
        ),
    ];
    for (name, test) in tests {
        trials.push(Trial::test(name, move || {
            test();
            Ok(())
        }));
    }
    for (i, (module, _, _)) in SCHEMAS.iter().enumerate() {
        let v = Arc::clone(&v);
        trials.push(Trial::test(format!("bundles::{module}"), move || {
            verdict(bundle(&v, &SCHEMAS[i]))
        }));
    }
    for (i, m) in v.messages["messages"]
        .as_array()
        .expect("messages")
        .iter()
        .enumerate()
    {
        let v = Arc::clone(&v);
        let id = m["id"].as_str().unwrap_or("?");
        trials.push(Trial::test(format!("messages::{id}"), move || {
            verdict(message_vector(&v.messages["messages"][i]))
        }));
    }
    let list = v.messages["decode_vectors"]
        .as_array()
        .expect("decode_vectors");
    for (i, d) in list.iter().enumerate() {
        let v = Arc::clone(&v);
        let id = d["id"].as_str().unwrap_or("?");
        trials.push(Trial::test(format!("decode::{id}"), move || {
            verdict(decode_vector(&v.messages["decode_vectors"][i]))
        }));
    }
    let vs = Arc::clone(&v);
    trials.push(Trial::test("suite::messages_checked", move || {
        // The message vectors with a generated type.
        let checked = vs.messages["messages"]
            .as_array()
            .expect("messages")
            .iter()
            .filter(|m| {
                let file = m["schema"].as_str().expect("schema");
                codec_of(module(file), m["type"].as_str().expect("type")).is_some()
            })
            .count();
        assert!(checked > 500, "{checked} vectors");
        Ok(())
    }));
    let ids: Vec<String> = list
        .iter()
        .map(|d| d["id"].as_str().unwrap_or("?").to_owned())
        .collect();
    trials.push(Trial::test(
        "suite::differences_are_decode_vectors",
        move || {
            let failures = DIFFERENCES
                .iter()
                .filter(|(id, _)| !ids.iter().any(|i| i == id))
                .map(|(id, why)| {
                    format!("{id}: listed as a difference ({why}) but behaves as the reference")
                })
                .collect();
            verdict(failures)
        },
    ));
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

fn tags(v: &Json) -> Vec<&str> {
    v["tags"]
        .as_array()
        .map(|t| t.iter().filter_map(Json::as_str).collect())
        .unwrap_or_default()
}

/// The module of the vector schema `file` (`addressbook.sproto` → `addressbook`).
fn module(file: &str) -> &str {
    file.trim_end_matches(".sproto")
}

fn every_schema_is_generated() {
    let dir = format!("{VECTORS}/sproto/schemas");
    let files = std::fs::read_dir(&dir)
        .expect("schemas")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sproto"))
        })
        .count();
    assert_eq!(files, 25);
    assert_eq!(
        SCHEMAS.len(),
        files + 3,
        "every vector schema, the gate's two and hostile_names.sproto"
    );
}

/// A schema's `schema()`, built from the generated types, gives the reference
/// parser's bundle.
fn bundle(v: &Vectors, (module, file, schema): &(&str, &str, SchemaFn)) -> Vec<String> {
    let built = match schema() {
        Ok(sp) => sp,
        Err(e) => return vec![format!("{module}: schema() failed: {e}")],
    };
    let vector = v.bundles["schemas"][file].as_object();
    let want = match (module.strip_prefix("gate_"), vector) {
        (Some(side), _) => {
            let text = v.session["schemas"][side].as_str().expect("gate schema");
            hex(&Sproto::parse(text)
                .expect("gate schema parses")
                .to_bundle()
                .expect("writes"))
        }
        (None, Some(vector)) => vector["bundle"].as_str().expect("bundle").to_string(),
        // This crate's own schemas: the parser's bundle.
        (None, None) => {
            let path = format!("{}/schemas/{file}", env!("CARGO_MANIFEST_DIR"));
            let text = std::fs::read_to_string(&path).expect("schema");
            hex(&Sproto::parse(&text)
                .expect("parses")
                .to_bundle()
                .expect("writes"))
        }
    };
    if hex(&built.to_bundle().expect("writes")) != want {
        return vec![format!(
            "{module}: the bundle built from the generated types differs\n{}",
            built.to_text()
        )];
    }
    Vec::new()
}

fn the_compile_entry_point_with_options_builds_the_same_bundle() {
    let built = sproto_codegen_tests::addressbook_options::schema().expect("builds");
    let bundles = load("sproto/bundles.json");
    let want = bundles["schemas"]["addressbook.sproto"]["bundle"]
        .as_str()
        .expect("bundle");
    assert_eq!(hex(&built.to_bundle().expect("writes")), want);
    // The options took effect.
    use sproto_codegen_tests::addressbook_options::*;
    let person = Person {
        data: Some(bytes::Bytes::from_static(b"\x00\x01")),
        ..Person::default()
    };
    let book = AddressBook {
        person: Some(std::collections::HashMap::from([(7, person.clone())])),
    };
    assert!(person.partial_cmp(&person).is_some());
    assert_eq!(
        <AddressBookRpcProtocol as sproto_rt::rpc::ProtocolSet>::protocols().len(),
        1
    );
    let _ = book;
}

fn a_runtime_crate_reexport_works() {
    let built = sproto_codegen_tests::custom_runtime::schema().expect("builds");
    let bundles = load("sproto/bundles.json");
    let want = bundles["schemas"]["rpc.sproto"]["bundle"]
        .as_str()
        .expect("bundle");
    assert_eq!(hex(&built.to_bundle().expect("writes")), want);
}

/// Decodes `bytes` with the reference's dynamic codec, as the vectors' JSON.
fn dynamic_json(sp: &Sproto, ty: &str, bytes: &[u8]) -> Result<Json, String> {
    sp.decode(ty, bytes)
        .map(|s| sproto_rt::json::struct_to_json(&s))
        .map_err(|e| e.to_string())
}

fn schema_text(file: &str) -> Sproto {
    let path = Path::new(VECTORS).join("sproto/schemas").join(file);
    let text = std::fs::read_to_string(&path).expect("schema");
    Sproto::parse(&text).expect("parses")
}

/// A message vector decodes through its generated type and re-encodes to its bytes
/// (or, for multi-entry maps, to bytes that decode the same).
fn message_vector(m: &Json) -> Vec<String> {
    let mut failures = Vec::new();
    let id = m["id"].as_str().unwrap_or("?");
    let file = m["schema"].as_str().expect("schema");
    let ty = m["type"].as_str().expect("type");
    let Some(codec) = codec_of(module(file), ty) else {
        failures.push(format!("{id}: no generated type for {file} {ty}"));
        return failures;
    };
    let encoded = unhex(m["encoded"].as_str().expect("encoded"));
    let tags = tags(m);
    if tags.contains(&"non_utf8_string") {
        // A `string` that is not UTF-8 does not fit a Rust String: a typed error.
        match codec(&encoded) {
            Err(e)
                if matches!(
                    e.kind(),
                    DecodeErrorKind::Field {
                        problem: FieldProblem::NotUtf8,
                        ..
                    }
                ) => {}
            other => failures.push(format!("{id}: expected a NotUtf8 error, got {other:?}")),
        }
        return failures;
    }
    let (again, used) = match codec(&encoded) {
        Ok(r) => r,
        Err(e) => {
            failures.push(format!("{id}: decode failed: {e}"));
            return failures;
        }
    };
    if used != encoded.len() {
        failures.push(format!("{id}: used {used} of {} bytes", encoded.len()));
    }
    if m["direction"] == "both" {
        if again != encoded {
            failures.push(format!(
                "{id}: re-encoded\n  {}\nwant\n  {}",
                hex(&again),
                hex(&encoded)
            ));
        }
        let packed = m["packed"].as_str().expect("packed");
        if hex(&sproto_rt::pack(&again)) != packed {
            failures.push(format!("{id}: packed form differs"));
        }
    } else {
        // Multi-entry maps: the reference's entry order is Lua's; compare the
        // values (and the typed encoding is deterministic: a second pass is equal).
        let sp = schema_text(file);
        let got = dynamic_json(&sp, ty, &again);
        if got.as_ref() != Ok(&m["decoded"]) {
            failures.push(format!("{id}: re-encoding decodes to {got:?}"));
        }
        if codec(&again).map(|(b, _)| b).as_ref() != Ok(&again) {
            failures.push(format!("{id}: re-encoding is not stable"));
        }
    }
    failures
}

/// Decode vectors where the generated types knowingly differ from the reference.
const DIFFERENCES: &[(&str, &str)] = &[
    (
        "maps/Bag/crafted_i2s_stale_value",
        "quirk: the reference reuses the previous *T() entry's value; a typed map entry needs both fields",
    ),
    (
        "accepted_oddities/Odd/crafted_by_ratio_nan",
        "a double-keyed map is a list of its entries: a NaN key is kept, Lua refuses it",
    ),
    (
        "accepted_oddities/Odd/crafted_by_list",
        "an array-keyed map is a list of its entries: kept, the reference cannot key them",
    ),
];

/// A decode vector through its generated type: the reference's bytes used and
/// value, or an error where the reference fails (or a `String` is not UTF-8); a
/// listed difference must differ.
fn decode_vector(v: &Json) -> Vec<String> {
    let mut failures = Vec::new();
    let mut differs = false;
    let id = v["id"].as_str().unwrap_or("?");
    let file = v["schema"].as_str().expect("schema");
    let ty = v["type"].as_str().expect("type");
    let Some(codec) = codec_of(module(file), ty) else {
        failures.push(format!("{id}: no generated type for {file} {ty}"));
        return failures;
    };
    let bytes = unhex(v["bytes"].as_str().expect("bytes"));
    let result = codec(&bytes);
    let known = DIFFERENCES.iter().find(|(d, _)| *d == id);
    match (&v["decoded"], result) {
        (Json::Null, Ok(_)) if known.is_some() => differs = true,
        (Json::Null, Ok((again, _))) => {
            failures.push(format!(
                "{id}: the reference fails ({}), the generated type decodes (re-encoded {})",
                v["error"],
                hex(&again)
            ));
        }
        (Json::Null, Err(_)) => {}
        (want, Ok((again, used))) => {
            let consumed = v["consumed"].as_u64().unwrap_or(0) as usize;
            if used != consumed {
                failures.push(format!("{id}: used {used}, the reference {consumed}"));
            }
            let got = dynamic_json(&schema_text(file), ty, &again);
            if got.as_ref() != Ok(want) {
                failures.push(format!("{id}: re-encoding decodes to {got:?}, want {want}"));
            }
        }
        // The reference does not check UTF-8; a Rust String must hold UTF-8.
        (_, Err(e))
            if matches!(
                e.kind(),
                DecodeErrorKind::Field {
                    problem: FieldProblem::NotUtf8,
                    ..
                }
            ) => {}
        (_, Err(_)) if known.is_some() => differs = true,
        (_, Err(e)) => failures.push(format!("{id}: decode failed: {e}")),
    }
    if let Some((id, why)) = known {
        if !differs {
            failures.push(format!(
                "{id}: listed as a difference ({why}) but behaves as the reference"
            ));
        }
    }
    failures
}
