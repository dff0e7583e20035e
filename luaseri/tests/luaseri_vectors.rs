//! Conformance with the reference: every lua-seri vector recorded from skynet
//! (`tests/vectors/luaseri`), checked through `pack`/`unpack` and the JSON convention.
//! One named trial per vector, `<file>::<id>` (`integers::int_0`), reporting every
//! failed check of its vector; the vectors without a Rust counterpart are listed as
//! ignored, and `suite::vector_count` checks the index's count.

use std::fs;
use std::path::Path;
use std::sync::Arc;

use libtest_mimic::{Arguments, Failed, Trial};
use serde_json::Value;
use skynet_luaseri::json::{from_json, values_from_json};
use skynet_luaseri::{from_bytes, pack, to_bytes, unpack, LuaTable, LuaValue, PackError};

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/vectors/luaseri");

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("vector hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn lua_eq_all(a: &[LuaValue], b: &[LuaValue]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.lua_eq(y))
}

/// The values of the vectors' `nest(N[, leaf])` expression.
fn nest_values(lua: &str) -> Option<Vec<LuaValue>> {
    let inner = lua.trim().strip_prefix("nest(")?.strip_suffix(')')?;
    let (n, leaf) = match inner.split_once(", ") {
        Some((n, leaf)) => (n, Some(from_json(&serde_json::from_str(leaf).ok()?).ok()?)),
        None => (inner, None),
    };
    let mut v = leaf;
    for _ in 0..n.parse::<usize>().ok()? {
        v = Some(LuaValue::from(LuaTable::from_array(
            v.into_iter().collect(),
        )));
    }
    Some(vec![v.unwrap_or_default()])
}

/// The failed checks of one vector.
#[derive(Default)]
struct Tally {
    failures: Vec<String>,
}

impl Tally {
    fn check(&mut self, ok: bool, id: &str, what: impl FnOnce() -> String) {
        if !ok {
            self.failures.push(format!("{id}: {}", what()));
        }
    }
}

fn run_vector(v: &Value, t: &mut Tally) {
    let id = v["id"].as_str().unwrap_or("?").to_owned();
    match v["kind"].as_str() {
        Some("encode") => encode_vector(&id, v, t),
        Some("decode") => decode_vector(&id, v, t),
        Some("pack_error") => match nest_values(v["lua"].as_str().unwrap_or("")) {
            Some(values) => {
                let got = pack(&values);
                t.check(
                    matches!(got, Err(PackError::TooDeep { limit: 32 })),
                    &id,
                    || format!("expected the depth error, got {got:?}"),
                );
            }
            // Functions, threads and full userdata have no Rust counterpart (the
            // trial is ignored; run anyway, it fails).
            None => t.failures.push(format!(
                "{id}: no Rust counterpart of {}, nothing checked",
                v["lua"]
            )),
        },
        other => t.failures.push(format!("{id}: unknown kind {other:?}")),
    }
}

fn encode_vector(id: &str, v: &Value, t: &mut Tally) {
    let values = match values_from_json(&v["values"]) {
        Ok(values) => values,
        Err(e) => return t.failures.push(format!("{id}: bad values: {e}")),
    };
    let want = v["hex"].as_str().unwrap_or_default();
    // Packing the values with hash pairs in the listed order gives `hex` exactly,
    // also for hash-order-dependent tables (we keep wire order).
    match pack(&values) {
        Ok(bytes) => {
            t.check(hex(&bytes) == want, id, || {
                format!("pack gave {}, want {want}", hex(&bytes))
            });
            let back = unpack(&bytes);
            t.check(
                back.as_ref().is_ok_and(|b| lua_eq_all(b, &values)),
                id,
                || format!("unpack(pack(values)) not Lua-equal: {back:?}"),
            );
        }
        Err(e) => t.failures.push(format!("{id}: pack failed: {e}")),
    }
    match unpack(&unhex(want)) {
        Ok(got) => {
            t.check(got == values, id, || {
                format!("unpack(hex) wire structure differs: {got:?}")
            });
            t.check(lua_eq_all(&got, &values), id, || {
                "unpack(hex) not Lua-equal".into()
            });
        }
        Err(e) => t.failures.push(format!("{id}: unpack failed: {e}")),
    }
    // The serde path: one value read as `LuaValue` is exact; written back through
    // serde it is Lua-equal.
    if let [only] = values.as_slice() {
        let bytes = unhex(want);
        let got = from_bytes::<LuaValue>(&bytes);
        t.check(got.as_ref() == Ok(only), id, || {
            format!("from_bytes::<LuaValue> gave {got:?}")
        });
        let again =
            to_bytes(only).and_then(|b| unpack(&b).map_err(|e| PackError::Message(e.to_string())));
        t.check(
            again.as_ref().is_ok_and(|a| lua_eq_all(a, &values)),
            id,
            || format!("to_bytes(LuaValue) gave {again:?}"),
        );
    }
    for other in v["other_hex_seen"].as_array().into_iter().flatten() {
        let other = other.as_str().unwrap_or_default();
        let got = unpack(&unhex(other));
        t.check(
            got.as_ref().is_ok_and(|g| lua_eq_all(g, &values)),
            id,
            || format!("other_hex_seen {other} gave {got:?}"),
        );
    }
}

fn decode_vector(id: &str, v: &Value, t: &mut Tally) {
    let bytes = unhex(v["hex"].as_str().unwrap_or_default());
    let got = unpack(&bytes);
    if v.get("error").is_some() {
        t.check(got.is_err(), id, || {
            format!("expected an error, got {got:?}")
        });
        return;
    }
    let (values, lua_values) = match (
        values_from_json(&v["values"]),
        values_from_json(&v["lua_values"]),
    ) {
        (Ok(a), Ok(b)) => (a, b),
        (Err(e), _) | (_, Err(e)) => return t.failures.push(format!("{id}: bad values: {e}")),
    };
    match got {
        Ok(got) => {
            t.check(got == values, id, || {
                format!("wire structure {got:?}, want {values:?}")
            });
            t.check(lua_eq_all(&got, &values), id, || {
                "not Lua-equal to values".into()
            });
            t.check(lua_eq_all(&got, &lua_values), id, || {
                "not Lua-equal to lua_values".into()
            });
        }
        Err(e) => t.failures.push(format!("{id}: unpack failed: {e}")),
    }
}

/// A vector without a Rust counterpart: a `pack_error` of a value that is not
/// nested tables (functions, threads, full userdata).
fn no_rust_counterpart(v: &Value) -> bool {
    v["kind"] == "pack_error" && nest_values(v["lua"].as_str().unwrap_or("")).is_none()
}

fn main() {
    let mut files: Vec<_> = fs::read_dir(Path::new(DIR))
        .expect("vector folder")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .filter(|p| p.file_name().is_some_and(|n| n != "index.json"))
        .collect();
    files.sort();
    let mut trials = Vec::new();
    let mut vectors = 0;
    for f in &files {
        let group = f.file_stem().expect("file name").to_string_lossy();
        let doc: Arc<Value> = Arc::new(
            serde_json::from_str(&fs::read_to_string(f).expect("read vector file"))
                .expect("vector JSON"),
        );
        for (i, v) in doc["vectors"]
            .as_array()
            .expect("vectors array")
            .iter()
            .enumerate()
        {
            vectors += 1;
            let id = v["id"].as_str().unwrap_or("?");
            let doc = Arc::clone(&doc);
            trials.push(
                Trial::test(format!("{group}::{id}"), move || {
                    let mut tally = Tally::default();
                    run_vector(&doc["vectors"][i], &mut tally);
                    verdict(tally.failures)
                })
                .with_ignored_flag(no_rust_counterpart(v)),
            );
        }
    }
    trials.push(Trial::test("suite::vector_count", move || {
        assert_eq!(vectors, 195, "the index announces 195 vectors");
        Ok(())
    }));
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// One vector's verdict: every failed check of it.
fn verdict(failures: Vec<String>) -> Result<(), Failed> {
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!("{} failures:\n{}", failures.len(), failures.join("\n")).into())
    }
}
