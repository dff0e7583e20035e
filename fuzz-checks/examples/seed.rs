//! Writes the seed corpora `fuzz/seeds/<target>/` from the
//! golden vectors (`*/tests/vectors`, and a few synthesized inputs where the vectors have none):
//!
//! ```text
//! cargo run -p fuzz-checks --example seed
//! ```
//!
//! Each target directory is emptied and refilled; the selection is deterministic (a
//! spread of each vector list, capped per target), so re-running it gives the same
//! files. Inputs over 8 KiB are left out to keep the checked-in corpus small.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};

use bytes::BytesMut;
use fuzz_checks::seeds::{derived_selector, dynamic_selector, serde_samples};
use serde_json::Value;
use skynet_cluster::frame::{RequestFrame, ResponseFrame, WireAddress};

const MAX_SEED: usize = 8 << 10;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the workspace root")
        .to_path_buf()
}

fn json(rel: &str) -> Value {
    // Each vector set lives with the crate that owns it; the gate session with the root tests.
    let owner = match rel.split('/').next() {
        Some("sproto") => "sproto-rt/tests/vectors",
        Some("cluster") => "cluster/tests/vectors",
        Some("luaseri") => "luaseri/tests/vectors",
        _ => "tests/vectors",
    };
    let path = root().join(owner).join(rel);
    let text = fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    // Some vectors nest deeper than serde_json's default limit (main runs on a big stack).
    let mut de = serde_json::Deserializer::from_str(&text);
    de.disable_recursion_limit();
    serde::Deserialize::deserialize(&mut de).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len() / 2)
        .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).expect("hex"))
        .collect()
}

fn str_of<'a>(v: &'a Value, key: &str) -> &'a str {
    v[key].as_str().unwrap_or("")
}

/// Up to `n` items spread evenly over `items`.
fn spread<T: Clone>(items: &[T], n: usize) -> Vec<T> {
    if items.len() <= n {
        return items.to_vec();
    }
    (0..n).map(|i| items[i * items.len() / n].clone()).collect()
}

/// The seeds of one target: file name → bytes.
#[derive(Default)]
struct Seeds(BTreeMap<String, Vec<u8>>);

impl Seeds {
    fn add(&mut self, name: &str, bytes: Vec<u8>) {
        if bytes.len() > MAX_SEED || self.0.values().any(|b| *b == bytes) {
            return;
        }
        let clean: String = name
            .chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || "-_.".contains(c) {
                    c
                } else {
                    '_'
                }
            })
            .collect();
        let mut key = clean.clone();
        let mut n = 1;
        while self.0.contains_key(&key) {
            n += 1;
            key = format!("{clean}-{n}");
        }
        self.0.insert(key, bytes);
    }

    fn write(self, target: &str) -> usize {
        let check = fuzz_checks::target(target).expect("a known target");
        let dir = root().join("fuzz/seeds").join(target);
        if dir.exists() {
            fs::remove_dir_all(&dir).expect("clear the seed directory");
        }
        fs::create_dir_all(&dir).expect("create the seed directory");
        let count = self.0.len();
        for (name, bytes) in self.0 {
            check(&bytes);
            fs::write(dir.join(name), bytes).expect("write a seed");
        }
        println!("{target}: {count} seeds");
        count
    }
}

fn schema_text() -> Seeds {
    let mut s = Seeds::default();
    let bundles = json("sproto/bundles.json");
    for (name, schema) in bundles["schemas"].as_object().expect("schemas") {
        s.add(name, str_of(schema, "text").as_bytes().to_vec());
    }
    let invalid = json("sproto/invalid_schemas.json");
    let cases = invalid["cases"].as_array().expect("cases");
    for case in spread(cases, 10) {
        s.add(
            &format!("invalid-{}", str_of(&case, "id")),
            str_of(&case, "text").as_bytes().to_vec(),
        );
    }
    s
}

fn bundle() -> Seeds {
    let mut s = Seeds::default();
    let bundles = json("sproto/bundles.json");
    for (name, schema) in bundles["schemas"].as_object().expect("schemas") {
        s.add(name, unhex(str_of(schema, "bundle")));
    }
    let cases = bundles["load_cases"].as_array().expect("load_cases");
    for case in spread(cases, 10) {
        s.add(
            &format!("load-{}", str_of(&case, "id")),
            unhex(str_of(&case, "bundle")),
        );
    }
    s
}

/// (schema, type, id, bytes, packed) of messages.json: messages both plain and packed,
/// and the decode vectors.
fn sproto_messages() -> Vec<(String, String, String, Vec<u8>, bool)> {
    let m = json("sproto/messages.json");
    let mut out = Vec::new();
    for msg in m["messages"].as_array().expect("messages") {
        let (schema, ty, id) = (
            str_of(msg, "schema"),
            str_of(msg, "type"),
            str_of(msg, "id"),
        );
        out.push((
            schema.into(),
            ty.into(),
            id.into(),
            unhex(str_of(msg, "encoded")),
            false,
        ));
        out.push((
            schema.into(),
            ty.into(),
            format!("{id}-packed"),
            unhex(str_of(msg, "packed")),
            true,
        ));
    }
    for v in m["decode_vectors"].as_array().expect("decode_vectors") {
        out.push((
            str_of(v, "schema").into(),
            str_of(v, "type").into(),
            format!("decode-{}", str_of(v, "id")),
            unhex(str_of(v, "bytes")),
            false,
        ));
    }
    out
}

/// Seeds for a type-selecting target: at most `per_type` inputs per selector byte.
fn typed(selector: impl Fn(&str, &str, bool) -> Option<u8>, per_type: usize) -> Seeds {
    let mut by_selector: BTreeMap<u8, Vec<(String, Vec<u8>)>> = BTreeMap::new();
    for (schema, ty, id, bytes, packed) in sproto_messages() {
        if let Some(sel) = selector(&schema, &ty, packed) {
            let mut input = vec![sel];
            input.extend(bytes);
            by_selector.entry(sel).or_default().push((id, input));
        }
    }
    let mut s = Seeds::default();
    for items in by_selector.values() {
        for (id, input) in spread(items, per_type) {
            s.add(&id, input);
        }
    }
    s
}

fn sproto_unpack() -> Seeds {
    let mut s = Seeds::default();
    let p = json("sproto/pack.json");
    for v in p["unpack"].as_array().expect("unpack") {
        s.add(
            &format!("unpack-{}", str_of(v, "id")),
            unhex(str_of(v, "packed")),
        );
    }
    for v in spread(p["pack"].as_array().expect("pack"), 20) {
        s.add(
            &format!("pack-{}", str_of(&v, "id")),
            unhex(str_of(&v, "packed")),
        );
    }
    s
}

fn pack_simd() -> Seeds {
    let mut s = Seeds::default();
    let p = json("sproto/pack.json");
    // Byte 0: the output prefix length (mod 4); byte 1: the size limit / 64 (0xff: none).
    for (i, v) in spread(p["pack"].as_array().expect("pack"), 20)
        .iter()
        .enumerate()
    {
        let mut input = vec![i as u8 % 4, if i % 3 == 0 { 1 } else { 0xff }];
        input.extend(unhex(str_of(v, "unpacked")));
        s.add(&format!("pack-{}", str_of(v, "id")), input);
    }
    for (i, v) in spread(p["unpack"].as_array().expect("unpack"), 10)
        .iter()
        .enumerate()
    {
        let mut input = vec![i as u8 % 4, if i % 2 == 0 { 0 } else { 0xff }];
        input.extend(unhex(str_of(v, "packed")));
        s.add(&format!("unpack-{}", str_of(v, "id")), input);
    }
    // Long enough for the vector kernels: words of every density, runs included.
    let mixed: Vec<u8> = (0u32..2048)
        .map(|i| {
            if (i / 8) % 3 == 0 || i % 5 == 0 {
                0
            } else {
                (i * 37) as u8 | 1
            }
        })
        .collect();
    s.add("mixed-2k", [vec![1, 0xff], mixed.clone()].concat());
    s.add("mixed-2k-limit", [vec![3, 20], mixed].concat());
    s
}

/// (group-id, bytes) of every lua-seri vector.
fn luaseri_vectors() -> Vec<(String, Vec<u8>)> {
    let index = json("luaseri/index.json");
    let mut out = Vec::new();
    for g in index["groups"].as_array().expect("groups") {
        let file = json(&format!("luaseri/{}", str_of(g, "file")));
        for v in file["vectors"].as_array().expect("vectors") {
            if let Some(hex) = v["hex"].as_str() {
                out.push((
                    format!("{}-{}", str_of(g, "group"), str_of(v, "id")),
                    unhex(hex),
                ));
            }
        }
    }
    out
}

fn luaseri_unpack() -> Seeds {
    let mut s = Seeds::default();
    for (id, bytes) in spread(&luaseri_vectors(), 50) {
        s.add(&id, bytes);
    }
    s
}

fn luaseri_serde() -> Seeds {
    let mut s = Seeds::default();
    for (i, input) in serde_samples().into_iter().enumerate() {
        s.add(&format!("sample-{i}"), input);
    }
    let n = fuzz_checks::seeds::SERDE_TYPES;
    for (k, (id, bytes)) in spread(&luaseri_vectors(), 25).into_iter().enumerate() {
        let mut input = vec![(k % n) as u8];
        input.extend(bytes);
        s.add(&id, input);
    }
    s
}

/// The frames of the cluster vectors: (exchange id, connection, c2s?, frame with its
/// length prefix).
fn cluster_frames() -> Vec<(String, u64, bool, Vec<u8>)> {
    let index = json("cluster/index.json");
    let mut out = Vec::new();
    for x in index["exchanges"].as_array().expect("exchanges") {
        let file = json(&format!("cluster/{}", str_of(x, "file")));
        for ev in file["events"].as_array().into_iter().flatten() {
            if str_of(ev, "ev") == "frame" {
                out.push((
                    str_of(x, "id").to_string(),
                    ev["conn"].as_u64().unwrap_or(0),
                    str_of(ev, "dir") == "c2s",
                    unhex(str_of(ev, "hex")),
                ));
            }
        }
    }
    out
}

fn cluster_frame() -> Seeds {
    let mut s = Seeds::default();
    let frames = cluster_frames();
    for (id, _, c2s, frame) in spread(&frames, 40) {
        let mut input = vec![u8::from(!c2s)];
        input.extend_from_slice(&frame[2..]);
        s.add(&format!("{id}-{}", if c2s { "req" } else { "resp" }), input);
    }
    s
}

fn encoded(frames: &[RequestFrame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for f in frames {
        f.encode(&mut out).expect("encodes");
    }
    out.to_vec()
}

fn encoded_responses(frames: &[ResponseFrame]) -> Vec<u8> {
    let mut out = BytesMut::new();
    for f in frames {
        f.encode(&mut out).expect("encodes");
    }
    out.to_vec()
}

/// Each connection's stream in one direction, from the cluster vectors.
fn streams(c2s: bool) -> Vec<(String, Vec<u8>)> {
    let mut by_conn: BTreeMap<(String, u64), Vec<u8>> = BTreeMap::new();
    for (id, conn, dir, frame) in cluster_frames() {
        if dir == c2s && frame.len() <= 4096 {
            by_conn.entry((id, conn)).or_default().extend(frame);
        }
    }
    by_conn
        .into_iter()
        .map(|((id, conn), bytes)| (format!("{id}-conn{conn}"), bytes))
        .collect()
}

fn request_assembler() -> Seeds {
    use bytes::Bytes;
    let mut s = Seeds::default();
    for (id, bytes) in spread(&streams(true), 30) {
        s.add(&id, bytes);
    }
    let name = || WireAddress::Name(Bytes::from_static(b"@echo"));
    let part = |session, data: &'static [u8], last| RequestFrame::Part {
        session,
        data: Bytes::from_static(data),
        last,
    };
    let begin = |address, session, total, push| RequestFrame::MultiBegin {
        address,
        session,
        total,
        push,
    };
    s.add(
        "synth-interleaved",
        encoded(&[
            RequestFrame::Trace {
                tag: Bytes::from_static(b"t1"),
            },
            begin(name(), 1, 6, false),
            begin(WireAddress::Handle(9), 2, 4, true),
            part(1, b"abc", false),
            part(2, b"wxyz", true),
            part(1, b"def", true),
        ]),
    );
    s.add(
        "synth-mismatch-and-orphans",
        encoded(&[
            begin(name(), 3, 5, false),
            part(3, b"too long", false),
            part(3, b"", true),
            part(4, b"orphan", false),
            part(4, b"x", true),
            part(5, b"no header", true),
            begin(WireAddress::Handle(1), 6, 2, false),
            begin(WireAddress::Handle(1), 6, 2, false),
            part(6, b"ab", true),
        ]),
    );
    s.add(
        "synth-limits",
        encoded(&[
            begin(name(), 10, 3000, false),
            begin(name(), 11, 3000, false),
            begin(name(), 12, 3000, false),
            begin(name(), 13, 3001, false),
        ]),
    );
    s
}

fn response_assembler() -> Seeds {
    use bytes::Bytes;
    let mut s = Seeds::default();
    for (id, bytes) in spread(&streams(false), 30) {
        s.add(&id, bytes);
    }
    let part = |session, data: &'static [u8], last| ResponseFrame::Part {
        session,
        data: Bytes::from_static(data),
        last,
    };
    let begin = |session, total| ResponseFrame::MultiBegin { session, total };
    s.add(
        "synth-interleaved",
        encoded_responses(&[
            begin(1, 6),
            begin(2, 4),
            ResponseFrame::Ok {
                session: 5,
                payload: Bytes::from_static(b"\x0a\x01"),
            },
            part(1, b"abc", false),
            part(2, b"wxyz", true),
            part(1, b"def", true),
            ResponseFrame::Error {
                session: 6,
                text: Bytes::from_static(b"oops"),
            },
        ]),
    );
    s.add(
        "synth-unwanted-and-mismatch",
        encoded_responses(&[
            begin(3, 2),
            part(3, b"ab", true),
            begin(4, 5),
            begin(4, 5),
            begin(8, 2),
            part(8, b"abc", false),
            part(8, b"", true),
            begin(9, 3001),
        ]),
    );
    s.add(
        "synth-forget",
        [
            encoded_responses(&[begin(12, 4), part(12, b"ab", false)]),
            // A frame with type byte 0xff: the target's "forget session 12".
            vec![0, 5, 12, 0, 0, 0, 0xff],
            encoded_responses(&[part(12, b"cd", true)]),
        ]
        .concat(),
    );
    s
}

fn gate_stream() -> Seeds {
    let mut s = Seeds::default();
    let session = json("gate/example_session.json");
    let frames = session["frames"].as_array().expect("frames");
    let mut both = Vec::new();
    for (dir, name) in [("c2s", "client-to-server"), ("s2c", "server-to-client")] {
        let stream: Vec<u8> = frames
            .iter()
            .filter(|f| str_of(f, "dir") == dir)
            .flat_map(|f| unhex(str_of(f, "hex")))
            .collect();
        s.add(name, stream);
    }
    for f in frames {
        both.extend(unhex(str_of(f, "hex")));
    }
    s.add("whole-session", both);
    for (i, f) in frames.iter().enumerate() {
        s.add(&format!("frame-{i}"), unhex(str_of(f, "hex")));
    }
    s
}

fn auth_handshake() -> Seeds {
    let mut s = Seeds::default();
    for (name, bytes) in fuzz_checks::auth_seeds() {
        s.add(name, bytes);
    }
    s
}

fn main() {
    std::thread::Builder::new()
        .stack_size(256 << 20)
        .spawn(generate)
        .expect("spawn")
        .join()
        .expect("the generator panicked");
}

fn generate() {
    let mut total = 0;
    total += schema_text().write("schema_text");
    total += bundle().write("bundle");
    total += typed(dynamic_selector, 2).write("dynamic_decode");
    total += typed(derived_selector, 2).write("derived_decode");
    total += sproto_unpack().write("sproto_unpack");
    total += pack_simd().write("pack_simd");
    total += luaseri_unpack().write("luaseri_unpack");
    total += luaseri_serde().write("luaseri_serde");
    total += cluster_frame().write("cluster_frame");
    total += request_assembler().write("request_assembler");
    total += response_assembler().write("response_assembler");
    total += gate_stream().write("gate_stream");
    total += auth_handshake().write("auth_handshake");
    println!("{total} seeds in fuzz/seeds/");
}
