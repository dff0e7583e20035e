//! Shared helpers of the cluster tests: the recorded exchanges of
//! `cluster/tests/vectors/cluster`, hex, loopback helpers, and the harness of the
//! vector suites (one named trial per recorded exchange).
#![allow(dead_code)]

pub mod replay;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::Duration;

use libtest_mimic::{Arguments, Failed, Trial};
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

impl Failures {
    /// One trial's verdict: it passes without failures, and fails with all of them
    /// listed (as `finish` lists them).
    pub fn verdict(self, what: &str) -> Result<(), Failed> {
        if self.0.is_empty() {
            return Ok(());
        }
        Err(format!(
            "{what}: {} failure(s):\n{}",
            self.0.len(),
            self.0.join("\n")
        )
        .into())
    }
}

/// Runs the trials with libtest's command line (filters, `--list`, `--ignored`,
/// `--exact`, `--skip`) and exits with the conclusion. Trial names are unique, so a
/// failure names its exchange.
pub fn run(trials: Vec<Trial>) -> ! {
    let mut names: Vec<&str> = trials.iter().map(Trial::name).collect();
    names.sort_unstable();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        panic!("two trials named {}", w[0]);
    }
    libtest_mimic::run(&Arguments::from_args(), trials).exit()
}

/// A trial that is listed but ignored (it has nothing to check); run anyway
/// (`--ignored`), it fails with `why`.
pub fn not_checked(name: String, why: String) -> Trial {
    Trial::test(name, move || Err(why.into())).with_ignored_flag(true)
}

/// The result of a computation several trials share (a replay whose state carries
/// from one exchange to the next), computed once by the first trial that needs it.
/// A panic of the computation is kept and fails every trial that needs it.
pub fn shared<T>(
    cell: &OnceLock<Result<T, String>>,
    compute: impl FnOnce() -> T,
) -> Result<&T, Failed> {
    cell.get_or_init(|| {
        catch_unwind(AssertUnwindSafe(compute)).map_err(|e| {
            let text = e
                .downcast_ref::<String>()
                .map(String::as_str)
                .or_else(|| e.downcast_ref::<&str>().copied())
                .unwrap_or("a panic");
            format!("the shared replay panicked: {text}")
        })
    })
    .as_ref()
    .map_err(|e| e.as_str().into())
}
