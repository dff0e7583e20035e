//! Conformance of schema text, bundles and dumps against the reference's vectors
//! (`sproto-rt/tests/vectors/sproto/bundles.json`, `invalid_schemas.json`). One named
//! trial per vector: `bundles::<schema>`, `load_cases::<id>`, `invalid_schemas::<id>`,
//! `rendered::<schema>`.

mod common;
use common::*;

use std::sync::Arc;

use libtest_mimic::Trial;
use serde_json::Value as Json;
use sproto_rt::Sproto;

/// The vector files, loaded once and shared by the trials.
struct Vectors {
    bundles: Json,
    invalid: Json,
}

fn main() {
    let v = Arc::new(Vectors {
        bundles: load("bundles.json"),
        invalid: load("invalid_schemas.json"),
    });
    let mut trials = Vec::new();
    for name in v.bundles["schemas"].as_object().expect("schemas").keys() {
        for (group, check) in [
            ("bundles", bundle as fn(&str, &Json) -> Vec<String>),
            ("rendered", rendered),
        ] {
            let (v, name) = (Arc::clone(&v), name.clone());
            trials.push(Trial::test(format!("{group}::{name}"), move || {
                verdict(check(&name, &v.bundles["schemas"][&name]))
            }));
        }
    }
    let load_cases = v.bundles["load_cases"].as_array().expect("load_cases");
    for (i, c) in load_cases.iter().enumerate() {
        let v = Arc::clone(&v);
        let id = c["id"].as_str().expect("id");
        trials.push(Trial::test(format!("load_cases::{id}"), move || {
            verdict(load_case(&v.bundles["load_cases"][i]))
        }));
    }
    let invalid = v.invalid["cases"].as_array().expect("cases");
    for (i, c) in invalid.iter().enumerate() {
        let v = Arc::clone(&v);
        let id = c["id"].as_str().expect("id");
        trials.push(Trial::test(format!("invalid_schemas::{id}"), move || {
            verdict(invalid_schema(&v.invalid["cases"][i]))
        }));
    }
    run(trials)
}

/// A schema's bundle is the reference's byte for byte, loads (or not) as it does,
/// and dumps identically.
fn bundle(name: &str, s: &Json) -> Vec<String> {
    let mut failures = Vec::new();
    let text = s["text"].as_str().expect("text");
    let file = std::fs::read(format!("{VECTORS}/schemas/{name}")).expect("schema file");
    if file != text.as_bytes() {
        failures.push(format!(
            "{name}: schemas/{name} differs from its text in bundles.json"
        ));
    }
    let sp = match Sproto::parse_named(name, text) {
        Ok(sp) => sp,
        Err(e) => {
            failures.push(format!("{name}: parse failed: {e}"));
            return failures;
        }
    };
    let bundle = match sp.to_bundle() {
        Ok(b) => b,
        Err(e) => {
            failures.push(format!("{name}: does not write a bundle: {e}"));
            return failures;
        }
    };
    if hex(&bundle) != s["bundle"].as_str().expect("bundle") {
        failures.push(format!(
            "{name}: bundle differs\n  ours {}\n  want {}",
            hex(&bundle),
            s["bundle"]
        ));
        return failures;
    }
    let loaded = Sproto::from_bundle(&bundle);
    if s["loads"].as_bool() != Some(loaded.is_ok()) {
        failures.push(format!(
            "{name}: loads {:?}, want {}",
            loaded.err(),
            s["loads"]
        ));
        return failures;
    }
    if let Ok(loaded) = loaded {
        if loaded != sp {
            failures.push(format!(
                "{name}: the loaded bundle differs from the parsed schema"
            ));
        }
        let want = s["dump"].as_str().expect("dump");
        if loaded.dump() != want {
            failures.push(format!(
                "{name}: dump differs\n--- ours\n{}--- want\n{want}",
                loaded.dump()
            ));
        }
    }
    failures
}

/// A bundle is accepted or refused as the reference does.
fn load_case(c: &Json) -> Vec<String> {
    let bytes = unhex(c["bundle"].as_str().expect("bundle"));
    let got = Sproto::from_bundle(&bytes);
    if c["accepted"].as_bool() == Some(got.is_ok()) {
        return Vec::new();
    }
    vec![format!(
        "{}: got {:?}, accepted = {}",
        c["id"],
        got.err(),
        c["accepted"]
    )]
}

/// An invalid schema is rejected, with a plausible location.
fn invalid_schema(c: &Json) -> Vec<String> {
    let id = c["id"].as_str().expect("id");
    let text = c["text"].as_str().expect("text");
    match Sproto::parse(text) {
        Ok(_) => vec![format!("{id}: accepted, the reference says {}", c["error"])],
        Err(e) => {
            let mut failures = Vec::new();
            let d = e.first();
            let lines = text.lines().count().max(1) + 1;
            if d.location.line == 0 || d.location.line > lines || d.location.column == 0 {
                failures.push(format!("{id}: implausible location {}", d.location));
            }
            if std::env::var_os("SHOW_SCHEMA_ERRORS").is_some() {
                println!("{id:36} {e}   [reference: {}]", c["error"]);
            }
            failures
        }
    }
}

/// A schema's rendered text parses back to the same bundle.
fn rendered(name: &str, s: &Json) -> Vec<String> {
    let sp = Sproto::parse(s["text"].as_str().expect("text")).expect("vector schema parses");
    let text = sp.to_text();
    match Sproto::parse(&text) {
        Ok(again) if again.to_bundle().ok() == sp.to_bundle().ok() => Vec::new(),
        Ok(_) => vec![format!(
            "{name}: rendered text gives another bundle:\n{text}"
        )],
        Err(e) => vec![format!("{name}: rendered text does not parse: {e}\n{text}")],
    }
}
