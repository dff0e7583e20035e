//! Shared helpers of the cluster tests: the recorded exchanges of
//! `cluster/tests/vectors/cluster`, hex, and loopback helpers.
#![allow(dead_code)]

pub mod replay;

use std::path::PathBuf;
use std::time::Duration;

use serde_json::Value;

/// The whole-test time bound of network tests.
pub const TEST_LIMIT: Duration = Duration::from_secs(60);

pub fn vectors_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/vectors/cluster")
}

pub fn hex(s: &str) -> Vec<u8> {
    assert!(s.len() % 2 == 0, "odd hex");
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex digit"))
        .collect()
}

pub fn to_hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

/// One recorded frame.
#[derive(Debug, Clone)]
pub struct Frame {
    pub conn: u64,
    pub c2s: bool,
    /// Length prefix + body.
    pub bytes: Vec<u8>,
    pub decoded: Value,
}

/// One event of an exchange, in recorded order.
#[derive(Debug, Clone)]
pub enum Event {
    Connect(u64),
    Frame(Frame),
    Close(u64),
}

/// One recorded exchange.
#[derive(Debug, Clone)]
pub struct Exchange {
    pub id: String,
    pub doc: Value,
    pub events: Vec<Event>,
}

impl Exchange {
    pub fn frames(&self) -> impl Iterator<Item = &Frame> {
        self.events.iter().filter_map(|e| match e {
            Event::Frame(f) => Some(f),
            _ => None,
        })
    }

    pub fn messages(&self) -> &[Value] {
        self.doc["messages"].as_array().map_or(&[], Vec::as_slice)
    }

    pub fn conns(&self) -> Vec<u64> {
        let mut v: Vec<u64> = self
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Connect(c) => Some(*c),
                _ => None,
            })
            .collect();
        v.dedup();
        v
    }
}

/// Every exchange, in the order of `index.json` (the order they were recorded in).
pub fn exchanges() -> Vec<Exchange> {
    let dir = vectors_dir();
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.join("index.json")).expect("index.json"))
            .expect("index JSON");
    let list = index["exchanges"].as_array().expect("exchanges");
    assert_eq!(list.len(), 50, "the README announces 50 exchanges");
    list.iter()
        .map(|e| {
            let file = e["file"].as_str().expect("file");
            let doc: Value =
                serde_json::from_slice(&std::fs::read(dir.join(file)).expect("exchange file"))
                    .expect("exchange JSON");
            let events = doc["events"]
                .as_array()
                .expect("events")
                .iter()
                .map(|ev| {
                    let conn = ev["conn"].as_u64().expect("conn");
                    match ev["ev"].as_str() {
                        Some("connect") => Event::Connect(conn),
                        Some("close") => Event::Close(conn),
                        Some("frame") => Event::Frame(Frame {
                            conn,
                            c2s: ev["dir"] == "c2s",
                            bytes: hex(ev["hex"].as_str().expect("hex")),
                            decoded: ev["decoded"].clone(),
                        }),
                        other => panic!("unknown event {other:?}"),
                    }
                })
                .collect();
            Exchange {
                id: doc["id"].as_str().expect("id").to_owned(),
                doc,
                events,
            }
        })
        .collect()
}

/// Collects failures and reports them all at the end.
#[derive(Default)]
pub struct Failures(pub Vec<String>);

impl Failures {
    pub fn check(&mut self, ok: bool, msg: impl FnOnce() -> String) {
        if !ok {
            let mut m = msg();
            if m.len() > 400 {
                let mut cut = 400;
                while !m.is_char_boundary(cut) {
                    cut -= 1;
                }
                m.truncate(cut);
                m.push_str("...");
            }
            self.0.push(m);
        }
    }

    pub fn finish(self, what: &str) {
        if !self.0.is_empty() {
            panic!(
                "{what}: {} failure(s):\n{}",
                self.0.len(),
                self.0.join("\n")
            );
        }
    }
}
