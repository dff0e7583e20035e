//! Conformance of schema text, bundles and dumps against the reference's vectors
//! (`sproto-rt/tests/vectors/sproto/bundles.json`, `invalid_schemas.json`). Every failing vector
//! id is reported, not just the first.

mod common;
use common::*;

use sproto_rt::Sproto;

#[test]
fn bundles_are_byte_exact_and_dumps_identical() {
    let v = load("bundles.json");
    let schemas = v["schemas"].as_object().expect("schemas");
    let mut failures = Vec::new();
    for (name, s) in schemas {
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
                continue;
            }
        };
        let bundle = sp.to_bundle();
        if hex(&bundle) != s["bundle"].as_str().expect("bundle") {
            failures.push(format!(
                "{name}: bundle differs\n  ours {}\n  want {}",
                hex(&bundle),
                s["bundle"]
            ));
            continue;
        }
        let loaded = Sproto::from_bundle(&bundle);
        if s["loads"].as_bool() != Some(loaded.is_ok()) {
            failures.push(format!(
                "{name}: loads {:?}, want {}",
                loaded.err(),
                s["loads"]
            ));
            continue;
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
    }
    report("bundles", schemas.len(), failures);
}

#[test]
fn load_cases_accepted_and_refused_as_the_reference() {
    let v = load("bundles.json");
    let cases = v["load_cases"].as_array().expect("load_cases");
    let mut failures = Vec::new();
    for c in cases {
        let bytes = unhex(c["bundle"].as_str().expect("bundle"));
        let got = Sproto::from_bundle(&bytes);
        if c["accepted"].as_bool() != Some(got.is_ok()) {
            failures.push(format!(
                "{}: got {:?}, accepted = {}",
                c["id"],
                got.err(),
                c["accepted"]
            ));
        }
    }
    report("load_cases", cases.len(), failures);
}

#[test]
fn invalid_schemas_are_rejected_with_a_located_message() {
    let v = load("invalid_schemas.json");
    let cases = v["cases"].as_array().expect("cases");
    let mut failures = Vec::new();
    for c in cases {
        let id = c["id"].as_str().expect("id");
        let text = c["text"].as_str().expect("text");
        match Sproto::parse(text) {
            Ok(_) => failures.push(format!("{id}: accepted, the reference says {}", c["error"])),
            Err(e) => {
                let d = e.first();
                let lines = text.lines().count().max(1) + 1;
                if d.location.line == 0 || d.location.line > lines || d.location.column == 0 {
                    failures.push(format!("{id}: implausible location {}", d.location));
                }
                if std::env::var_os("SHOW_SCHEMA_ERRORS").is_some() {
                    println!("{id:36} {e}   [reference: {}]", c["error"]);
                }
            }
        }
    }
    report("invalid_schemas", cases.len(), failures);
}

#[test]
fn rendered_text_parses_back_to_the_same_bundle() {
    let v = load("bundles.json");
    let schemas = v["schemas"].as_object().expect("schemas");
    let mut failures = Vec::new();
    for (name, s) in schemas {
        let sp = Sproto::parse(s["text"].as_str().expect("text")).expect("vector schema parses");
        let text = sp.to_text();
        match Sproto::parse(&text) {
            Ok(again) if again.to_bundle() == sp.to_bundle() => {}
            Ok(_) => failures.push(format!(
                "{name}: rendered text gives another bundle:\n{text}"
            )),
            Err(e) => failures.push(format!("{name}: rendered text does not parse: {e}\n{text}")),
        }
    }
    report("rendered schemas", schemas.len(), failures);
}
