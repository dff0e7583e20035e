//! What the replays of recorded exchanges share, over sockets and in memory: the
//! requests and replies of a connection as the recording has them, and the
//! comparison of a Rust node's replies with skynet's.

use std::collections::HashMap;

use bytes::Bytes;
use skynet_cluster::frame::{RequestFrame, ResponseFrame, WireAddress};
use skynet_cluster::reassembly::{
    Inbound, Outcome, RequestAssembler, ResponseAssembler, ResponseEvent,
};
use skynet_cluster::{Address, INVALID_ADDRESS};

use super::{Event, Exchange, Failures};

/// One recorded request as a caller made it.
#[derive(Debug, Clone)]
pub struct Req {
    pub address: Address,
    pub session: u32,
    pub push: bool,
    pub payload: Bytes,
    pub trace: Option<Bytes>,
}

/// The requests skynet's caller wrote on connection `conn`, in order.
pub fn requests(x: &Exchange, conn: u64) -> Vec<Req> {
    let mut asm = RequestAssembler::default();
    let mut out = Vec::new();
    for f in x.frames().filter(|f| f.c2s && f.conn == conn) {
        let frame = RequestFrame::decode(Bytes::copy_from_slice(&f.bytes[2..])).expect("decodes");
        if let Ok(Some(Inbound::Request(r))) = asm.handle(frame) {
            let address = match &r.address {
                WireAddress::Handle(h) => Address::Handle(*h),
                WireAddress::Name(n) => {
                    Address::Name(String::from_utf8(n.to_vec()).expect("utf8 name"))
                }
            };
            out.push(Req {
                address,
                session: r.session,
                push: r.push,
                payload: r.payload,
                trace: r.trace,
            });
        }
    }
    out
}

/// The replies skynet's node sent on connection `conn`, by session.
pub fn replies(x: &Exchange, conn: u64) -> HashMap<u32, Outcome> {
    let mut asm = ResponseAssembler::default();
    let mut out = HashMap::new();
    for f in x.frames().filter(|f| !f.c2s && f.conn == conn) {
        let frame = ResponseFrame::decode(Bytes::copy_from_slice(&f.bytes[2..])).expect("decodes");
        if let Ok(Some(ResponseEvent::Complete { session, outcome })) = asm.handle(frame, |_| true)
        {
            out.insert(session, outcome);
        }
    }
    out
}

/// Every byte of one direction of connection `conn`, frames in recorded order.
pub fn stream(x: &Exchange, conn: u64, c2s: bool) -> Vec<u8> {
    x.events
        .iter()
        .filter_map(|e| match e {
            Event::Frame(f) if f.conn == conn && f.c2s == c2s => Some(f.bytes.as_slice()),
            _ => None,
        })
        .flatten()
        .copied()
        .collect()
}

/// Splits a byte stream into its frames (length prefix included).
pub fn frames_of(mut bytes: &[u8]) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Some((body, rest)) = skynet_cluster::frame::split_frame(bytes) {
        out.push(bytes[..2 + body.len()].to_vec());
        bytes = rest;
    }
    assert!(bytes.is_empty(), "a partial frame at the end");
    out
}

/// The Lua-location suffix of a skynet error text (`.../skynet.lua:747: X` → `X`).
fn lua_location_suffix(text: &str) -> Option<&str> {
    let i = text.find("skynet.lua:")?;
    let rest = &text[i + "skynet.lua:".len()..];
    let colon = rest.find(": ")?;
    rest[..colon]
        .bytes()
        .all(|b| b.is_ascii_digit())
        .then(|| &rest[colon + 2..])
}

fn by_session(frames: &[Vec<u8>]) -> HashMap<u32, Vec<Vec<u8>>> {
    let mut m: HashMap<u32, Vec<Vec<u8>>> = HashMap::new();
    for f in frames {
        let s = ResponseFrame::decode(Bytes::copy_from_slice(&f[2..]))
            .map(|r| r.session())
            .unwrap_or(u32::MAX);
        m.entry(s).or_default().push(f.clone());
    }
    m
}

/// Compares the reply frames a Rust node sent on one connection (`received`) with
/// the ones skynet sent (`expected`), per session. The documented differences
/// (error texts with a Lua location, skynet's `call failed`, the answer to an
/// unregistered plain name) go to `loose`, any other to `fails`.
pub fn compare_replies(
    x: &Exchange,
    conn: u64,
    expected: &[Vec<u8>],
    received: &[Vec<u8>],
    fails: &mut Failures,
    loose: &mut Vec<String>,
) {
    let want = by_session(expected);
    let got = by_session(received);
    for (session, frames) in &want {
        let Some(ours) = got.get(session) else {
            fails.0.push(format!(
                "{} conn {conn}: no reply for session {session}",
                x.id
            ));
            continue;
        };
        if ours == frames {
            continue;
        }
        let decode = |f: &Vec<u8>| ResponseFrame::decode(Bytes::copy_from_slice(&f[2..])).ok();
        match (frames.as_slice(), ours.as_slice()) {
            ([w], [o]) => match (decode(w), decode(o)) {
                (
                    Some(ResponseFrame::Error { text: wt, .. }),
                    Some(ResponseFrame::Error { text: ot, .. }),
                ) => {
                    let wt = String::from_utf8_lossy(&wt).into_owned();
                    let ot = String::from_utf8_lossy(&ot).into_owned();
                    match lua_location_suffix(&wt) {
                        Some("call to invalid address") if ot == INVALID_ADDRESS => {
                            loose.push(format!("{}: {wt:?} -> {ot:?}", x.id));
                        }
                        Some("call failed") => loose.push(format!("{}: {wt:?} -> {ot:?}", x.id)),
                        _ => fails.0.push(format!(
                            "{} conn {conn} session {session}: error {ot:?}, skynet said {wt:?}",
                            x.id
                        )),
                    }
                }
                (w, o) => fails.0.push(format!(
                    "{} conn {conn} session {session}: got {o:?}, skynet sent {w:?}",
                    x.id
                )),
            },
            _ => fails.0.push(format!(
                "{} conn {conn} session {session}: {} frames differ from skynet's {}",
                x.id,
                ours.len(),
                frames.len()
            )),
        }
    }
    for (session, frames) in &got {
        if want.contains_key(session) {
            continue;
        }
        let text = frames.first().and_then(|f| {
            match ResponseFrame::decode(Bytes::copy_from_slice(&f[2..])) {
                Ok(ResponseFrame::Error { text, .. }) => {
                    Some(String::from_utf8_lossy(&text).into_owned())
                }
                _ => None,
            }
        });
        if x.id == "call_unregistered_plain_name" && text.as_deref() == Some(INVALID_ADDRESS) {
            loose.push(format!(
                "{}: skynet never answers; we answer {INVALID_ADDRESS:?}",
                x.id
            ));
            continue;
        }
        fails.0.push(format!(
            "{} conn {conn}: unexpected reply on session {session}: {text:?}",
            x.id
        ));
    }
}

/// The check of one call's outcome against skynet's reply: the same payload, the
/// same error text, or no reply at all when skynet sent none (`pending`).
pub fn reply_matches(
    r: Option<&Result<Bytes, skynet_cluster::CallError>>,
    want: Option<&Outcome>,
) -> bool {
    use skynet_cluster::CallError;
    match (r, want) {
        (Some(Ok(p)), Some(Outcome::Ok(w))) => p == w,
        (Some(Err(CallError::Remote(t))), Some(Outcome::Error(w))) => t.as_bytes() == &w[..],
        (None | Some(Err(CallError::Timeout)), None) => true,
        _ => false,
    }
}
