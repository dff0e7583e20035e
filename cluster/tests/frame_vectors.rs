//! Every frame of every recorded skynet exchange through the sans-IO frame layer:
//! decoding matches the recorded decoding, encoding gives back the same bytes, the
//! assemblers rebuild the recorded logical messages, the split encoders produce each
//! message's frames byte for byte, and the session numbers follow the counter rules.
//! One named trial per recorded exchange and check: `frames::<exchange>`,
//! `sessions::<exchange>`, and `suite::` trials for the counts over all of them.

mod common;

use std::sync::Arc;

use bytes::Bytes;
use common::{exchanges, not_checked, run, Exchange, Failures, Frame};
use libtest_mimic::Trial;
use serde_json::Value;
use skynet_cluster::frame::{
    encode_error, encode_request, encode_response, encode_trace, RequestFrame, ResponseFrame,
    WireAddress,
};
use skynet_cluster::luaseri::json::values_to_json;
use skynet_cluster::luaseri::unpack;
use skynet_cluster::reassembly::{
    Inbound, Outcome, RequestAssembler, ResponseAssembler, ResponseEvent, INVALID_LARGE_REQ,
    INVALID_NAME,
};
use skynet_cluster::{FrameError, SessionCounter};

fn body(f: &Frame) -> Bytes {
    Bytes::copy_from_slice(&f.bytes[2..])
}

fn check_request_frame(id: &str, i: usize, f: &Frame, fails: &mut Failures) {
    let d = &f.decoded;
    let at = || format!("{id} frame {i} (c2s {})", d["kind"]);
    fails.check(
        d["length"].as_u64() == Some((f.bytes.len() - 2) as u64),
        || format!("{}: length prefix", at()),
    );
    let decoded = RequestFrame::decode(body(f));
    let kind = d["kind"].as_str().unwrap_or_default();
    match (kind, &decoded) {
        ("empty", Err(FrameError::Empty)) => return,
        ("unknown", Err(FrameError::UnknownType(t))) => {
            fails.check(d["type"].as_u64() == Some(u64::from(*t)), || {
                format!("{}: type", at())
            });
            return;
        }
        (_, Err(e)) => {
            fails.0.push(format!("{}: decode error {e}", at()));
            return;
        }
        _ => {}
    }
    let Ok(frame) = decoded else { return };
    let session = d["session"].as_u64();
    let addr_ok = |a: &WireAddress| match a {
        WireAddress::Handle(h) => d["addr"].as_u64() == Some(u64::from(*h)),
        WireAddress::Name(n) => d["name"].as_str().map(str::as_bytes) == Some(&n[..]),
    };
    let ok = match (&frame, kind) {
        (
            RequestFrame::Request {
                address,
                session: s,
                payload,
            },
            "request" | "push",
        ) => {
            addr_ok(address)
                && session == Some(u64::from(*s))
                && (kind == "push") == (*s == 0)
                && d["payload_size"].as_u64() == Some(payload.len() as u64)
        }
        (
            RequestFrame::MultiBegin {
                address,
                session: s,
                total,
                push,
            },
            "multi_request_begin" | "multi_push_begin",
        ) => {
            addr_ok(address)
                && session == Some(u64::from(*s))
                && d["total_size"].as_u64() == Some(u64::from(*total))
                && *push == (kind == "multi_push_begin")
        }
        (
            RequestFrame::Part {
                session: s,
                data,
                last,
            },
            "part" | "last_part",
        ) => {
            session == Some(u64::from(*s))
                && d["part_size"].as_u64() == Some(data.len() as u64)
                && *last == (kind == "last_part")
        }
        (RequestFrame::Trace { tag }, "trace") => {
            d["tag"].as_str().map(str::as_bytes) == Some(&tag[..])
        }
        _ => false,
    };
    fails.check(ok, || {
        format!("{}: decoded {frame:?} vs recorded {d}", at())
    });
    let mut out = Vec::new();
    match frame.encode(&mut out) {
        Ok(()) => fails.check(out == f.bytes, || format!("{}: re-encoding differs", at())),
        Err(e) => fails.0.push(format!("{}: re-encode error {e}", at())),
    }
}

fn check_response_frame(id: &str, i: usize, f: &Frame, fails: &mut Failures) {
    let d = &f.decoded;
    let at = || format!("{id} frame {i} (s2c {})", d["kind"]);
    let frame = match ResponseFrame::decode(body(f)) {
        Ok(fr) => fr,
        Err(e) => {
            fails.0.push(format!("{}: decode error {e}", at()));
            return;
        }
    };
    let kind = d["kind"].as_str().unwrap_or_default();
    let ok = d["session"].as_u64() == Some(u64::from(frame.session()))
        && match (&frame, kind) {
            (ResponseFrame::Error { text, .. }, "error") => {
                d["error_text"].as_str().map(str::as_bytes) == Some(&text[..])
            }
            (ResponseFrame::Ok { payload, .. }, "ok") => {
                d["payload_size"].as_u64() == Some(payload.len() as u64)
            }
            (ResponseFrame::MultiBegin { total, .. }, "multi_begin") => {
                d["total_size"].as_u64() == Some(u64::from(*total))
            }
            (ResponseFrame::Part { data, last, .. }, "multi_part" | "multi_end") => {
                d["part_size"].as_u64() == Some(data.len() as u64) && *last == (kind == "multi_end")
            }
            _ => false,
        };
    fails.check(ok, || {
        format!("{}: decoded {frame:?} vs recorded {d}", at())
    });
    let mut out = Vec::new();
    match frame.encode(&mut out) {
        Ok(()) => fails.check(out == f.bytes, || format!("{}: re-encoding differs", at())),
        Err(e) => fails.0.push(format!("{}: re-encode error {e}", at())),
    }
}

/// A logical message we rebuilt, with the indices (into the conn's frames of that
/// direction) of the frames it came from.
#[derive(Debug)]
struct Rebuilt {
    json: Value,
    frames: Vec<usize>,
    /// For an encodable request: (address, session, push, payload, trace).
    request: Option<(WireAddress, u32, bool, Bytes, Option<Bytes>)>,
    /// For a response: (session, Ok payload / Err text).
    response: Option<(u32, Result<Bytes, Bytes>)>,
}

fn payload_json(p: &[u8]) -> Value {
    match unpack(p) {
        Ok(v) => values_to_json(&v),
        Err(e) => Value::String(format!("unpack error: {e}")),
    }
}

fn rebuild_requests(frames: &[&Frame]) -> Vec<Rebuilt> {
    let mut asm = RequestAssembler::default();
    let mut out = Vec::new();
    // Frames seen per session since its header, and the last trace frame.
    let mut by_session: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    let mut trace_frame: Option<usize> = None;
    for (i, f) in frames.iter().enumerate() {
        let frame = match RequestFrame::decode(body(f)) {
            Ok(fr) => fr,
            Err(e) => {
                let kind = if e == FrameError::Empty {
                    "empty"
                } else {
                    "unknown"
                };
                out.push(Rebuilt {
                    json: serde_json::json!({"kind": kind}),
                    frames: vec![i],
                    request: None,
                    response: None,
                });
                continue;
            }
        };
        let mut own = Vec::new();
        match &frame {
            RequestFrame::Trace { .. } => trace_frame = Some(i),
            RequestFrame::MultiBegin { session, .. } => {
                let mut v: Vec<usize> = trace_frame.take().into_iter().collect();
                v.push(i);
                by_session.insert(*session, v);
            }
            RequestFrame::Part { session, .. } => {
                by_session.entry(*session).or_default().push(i);
                own = by_session.get(session).cloned().unwrap_or_default();
            }
            RequestFrame::Request { .. } => {
                own = trace_frame.take().into_iter().collect();
                own.push(i);
            }
        }
        match asm.handle(frame) {
            Ok(None) => {}
            Ok(Some(Inbound::Request(r))) => {
                let mut json = serde_json::json!({
                    "kind": if r.push { "push" } else { "request" },
                    "session": r.session,
                    "payload": payload_json(&r.payload),
                });
                match &r.address {
                    WireAddress::Handle(h) => json["addr"] = (*h).into(),
                    WireAddress::Name(n) => json["name"] = String::from_utf8_lossy(n).into(),
                }
                if let Some(t) = &r.trace {
                    json["trace"] = String::from_utf8_lossy(t).into();
                }
                if r.multipart {
                    json["multipart"] = true.into();
                    json["total_size"] = r.payload.len().into();
                }
                by_session.remove(&r.session);
                out.push(Rebuilt {
                    json,
                    frames: own,
                    request: Some((r.address, r.session, r.push, r.payload, r.trace)),
                    response: None,
                });
            }
            Ok(Some(Inbound::Reject { session, text })) => {
                let kind = if text == INVALID_NAME {
                    "orphan_part"
                } else {
                    "rejected"
                };
                assert!(text == INVALID_NAME || text == INVALID_LARGE_REQ);
                by_session.remove(&session);
                out.push(Rebuilt {
                    json: serde_json::json!({"kind": kind, "session": session}),
                    frames: own,
                    request: None,
                    response: None,
                });
            }
            Err(e) => panic!("assembler error {e}"),
        }
    }
    out
}

fn rebuild_responses(frames: &[&Frame]) -> Vec<Rebuilt> {
    let mut asm = ResponseAssembler::default();
    let mut out = Vec::new();
    let mut by_session: std::collections::HashMap<u32, Vec<usize>> = Default::default();
    for (i, f) in frames.iter().enumerate() {
        let frame = ResponseFrame::decode(body(f)).expect("recorded responses decode");
        let session = frame.session();
        by_session.entry(session).or_default().push(i);
        match asm.handle(frame, |_| true).expect("no limit broken") {
            None => {}
            Some(ResponseEvent::Complete { session, outcome }) => {
                let own = by_session.remove(&session).unwrap_or_default();
                let (mut json, resp) = match outcome {
                    Outcome::Ok(p) => (
                        serde_json::json!({"kind": "response", "session": session, "payload": payload_json(&p)}),
                        Ok(p),
                    ),
                    Outcome::Error(t) => (
                        serde_json::json!({"kind": "error_response", "session": session,
                            "error_text": String::from_utf8_lossy(&t)}),
                        Err(t),
                    ),
                };
                if own.len() > 1 {
                    json["multipart"] = true.into();
                    json["total_size"] = resp.as_ref().map_or(0, |p| p.len()).into();
                }
                out.push(Rebuilt {
                    json,
                    frames: own,
                    request: None,
                    response: Some((session, resp)),
                });
            }
            Some(ResponseEvent::Failed { session, error }) => {
                panic!("recorded response of session {session} failed: {error}")
            }
        }
    }
    out
}

/// Compares a rebuilt message with the recorded one (the fields both have).
fn same_message(ours: &Value, rec: &Value) -> bool {
    let rec_kind = rec["kind"].as_str().unwrap_or_default();
    if rec_kind == "request" && rec["size_matches"] == false {
        return ours["kind"] == "rejected" && ours["session"] == rec["session"];
    }
    if ours["kind"] != rec["kind"] {
        return false;
    }
    for key in [
        "session",
        "addr",
        "name",
        "payload",
        "trace",
        "multipart",
        "total_size",
        "error_text",
    ] {
        if !rec[key].is_null() && ours[key] != rec[key] {
            return false;
        }
    }
    true
}

fn check_exchange(x: &Exchange, fails: &mut Failures) {
    for (i, f) in x.frames().enumerate() {
        if f.c2s {
            check_request_frame(&x.id, i, f, fails);
        } else {
            check_response_frame(&x.id, i, f, fails);
        }
    }
    for conn in x.conns() {
        for c2s in [true, false] {
            let frames: Vec<&Frame> = x
                .frames()
                .filter(|f| f.conn == conn && f.c2s == c2s)
                .collect();
            let rebuilt = if c2s {
                rebuild_requests(&frames)
            } else {
                rebuild_responses(&frames)
            };
            let dir = if c2s { "c2s" } else { "s2c" };
            let recorded: Vec<&Value> = x
                .messages()
                .iter()
                .filter(|m| m["conn"].as_u64() == Some(conn) && m["dir"] == dir)
                .collect();
            fails.check(rebuilt.len() == recorded.len(), || {
                format!(
                    "{} conn {conn} {dir}: {} messages rebuilt, {} recorded",
                    x.id,
                    rebuilt.len(),
                    recorded.len()
                )
            });
            for (ours, rec) in rebuilt.iter().zip(&recorded) {
                fails.check(same_message(&ours.json, rec), || {
                    format!(
                        "{} conn {conn} {dir}: rebuilt {} vs recorded {}",
                        x.id, ours.json, rec
                    )
                });
                // The split encoders write exactly the recorded frames.
                let recorded_bytes: Vec<u8> = ours
                    .frames
                    .iter()
                    .flat_map(|&i| frames[i].bytes.clone())
                    .collect();
                let mut mine = Vec::new();
                if let Some((address, session, push, payload, trace)) = &ours.request {
                    if let Some(t) = trace {
                        encode_trace(&mut mine, t).expect("trace");
                    }
                    encode_request(&mut mine, address.as_wire(), *session, *push, payload)
                        .expect("encode");
                } else if let Some((session, r)) = &ours.response {
                    match r {
                        Ok(p) => encode_response(&mut mine, *session, p).expect("encode"),
                        Err(t) => encode_error(&mut mine, *session, t),
                    }
                } else {
                    continue;
                }
                fails.check(mine == recorded_bytes, || {
                    format!("{} conn {conn} {dir} session {}: encoder output differs from the recorded frames", x.id, ours.json["session"])
                });
            }
        }
    }
}

fn main() {
    let all = Arc::new(exchanges());
    let mut trials = Vec::new();
    for (i, x) in all.iter().enumerate() {
        let xs = Arc::clone(&all);
        trials.push(Trial::test(format!("frames::{}", x.id), move || {
            let mut fails = Failures::default();
            check_exchange(&xs[i], &mut fails);
            fails.verdict("frame-layer replay")
        }));
        if sender_made(x) {
            let xs = Arc::clone(&all);
            trials.push(Trial::test(format!("sessions::{}", x.id), move || {
                check_sessions(&xs[i]).1.verdict("session numbering")
            }));
        } else {
            trials.push(not_checked(
                format!("sessions::{}", x.id),
                format!(
                    "{}: hand-made frames, not a sender's: no counter to follow",
                    x.id
                ),
            ));
        }
    }
    let xs = Arc::clone(&all);
    trials.push(Trial::test("suite::frame_count", move || {
        let frames: usize = xs.iter().map(|x| x.frames().count()).sum();
        assert!(frames > 150, "only {frames} frames");
        Ok(())
    }));
    let xs = Arc::clone(&all);
    trials.push(Trial::test("suite::sessions_checked", move || {
        let checked: usize = xs.iter().map(|x| check_sessions(x).0).sum();
        assert!(checked > 60, "only {checked} requests checked");
        Ok(())
    }));
    run(trials)
}

/// The exchange's requests come from `cluster.call` / `send` / `query` (the `raw_`
/// exchanges are hand-made frames, but for `raw_name_push_session0`'s first
/// connection).
fn sender_made(x: &Exchange) -> bool {
    !x.id.starts_with("raw_") || x.id == "raw_name_push_session0"
}

/// Session numbers of an exchange made by `cluster.call` / `send` / `query`
/// follow the counter: from 1, calls and multi-part pushes consume, single pushes
/// carry 0, reconnects do not reset. `node_down_false`'s failed call consumed a
/// number without a frame. Hand-made (`raw_`) frames are not from a sender. Gives
/// the number of requests checked, and the failures.
fn check_sessions(x: &Exchange) -> (usize, Failures) {
    let mut fails = Failures::default();
    let mut checked = 0;
    let mut counter = SessionCounter::new();
    // All requests from the node's sender, in wire order (first frame).
    let mut seen_conn = None;
    for f in x.frames().filter(|f| f.c2s) {
        if x.id.starts_with("raw_") && f.conn != 1 {
            continue;
        }
        if x.id == "raw_pipelined" || x.id.starts_with("raw_") && x.id != "raw_name_push_session0" {
            continue;
        }
        if seen_conn != Some(f.conn) {
            if seen_conn.is_some() && x.id == "node_down_false" {
                // The call made while the node was down consumed a session.
                counter.consume();
            }
            seen_conn = Some(f.conn);
        }
        let d = &f.decoded;
        let (push, len) = match d["kind"].as_str() {
            Some("request") => (false, 0),
            Some("push") => (true, d["payload_size"].as_u64().unwrap_or(0) as usize),
            Some("multi_request_begin") => (false, 0),
            Some("multi_push_begin") => (true, d["total_size"].as_u64().unwrap_or(0) as usize),
            _ => continue,
        };
        let expected = counter.next_for(push, len);
        checked += 1;
        fails.check(d["session"].as_u64() == Some(u64::from(expected)), || {
            format!(
                "{}: session {} where the counter gives {expected}",
                x.id, d["session"]
            )
        });
    }
    (checked, fails)
}
