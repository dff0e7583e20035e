//! The recorded exchanges replayed in memory against `proto::NodeLink` and
//! `proto::ClientConn`, no sockets (`client_vectors.rs` is the same replay through
//! a `Node` over TCP): the recorded requests are issued in order, and the bytes the
//! client writes must be, byte for byte, what skynet's caller wrote (frames, split,
//! session numbers, trace frames); the s2c bytes skynet's node wrote go back in (in
//! several chunkings) and every call must get its recorded reply (multi-part
//! reassembly, error replies), a call skynet got no reply for stays waiting, and
//! replies for sessions nobody waits for are ignored. `reload_changenode` and
//! `node_down_false` run through `NodeLink::retarget`.
//!
//! One named trial per chunking and recorded exchange, `chunks_<size>::<exchange>`
//! (`chunks_whole` for whole frames); the exchanges not driven this way are listed
//! as ignored.

mod common;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use common::replay::{replies, reply_matches, requests, stream, Req};
use common::{exchanges, not_checked, run, to_hex, Exchange, Failures};
use libtest_mimic::Trial;
use skynet_cluster::proto::{Backoff, Check, ClientConn, CloseReason, NodeLink, Target};
use skynet_cluster::{AddrRef, CallError, Limits};

/// A link whose connection to `address` is up.
fn connected_link(address: &str) -> NodeLink {
    let mut link = NodeLink::new("n", Target::Up(address.into()), 1, Backoff::default());
    connect(&mut link, address);
    link
}

/// The link asks for a connection to `address`; it is made.
fn connect(link: &mut NodeLink, address: &str) {
    match link.check(Instant::now(), false) {
        Check::Connect {
            generation,
            address: a,
        } => {
            assert_eq!(a, address);
            assert!(link.connected(generation));
        }
        other => panic!("expected a connect, got {other:?}"),
    }
}

/// Issues `req` as the recording did (the session the link gives must be the
/// recorded one); the waiter is the session.
fn issue(
    link: &mut NodeLink,
    conn: &mut ClientConn<u32>,
    out: &mut BytesMut,
    req: &Req,
) -> Result<u32, CallError> {
    let trace = req.trace.as_deref();
    let address = req.address.as_wire();
    if req.push {
        let session = link.begin_push(&req.payload, trace)?;
        conn.push(out, address, session, &req.payload, trace)?;
        Ok(session)
    } else {
        let session = link.begin_call(&req.payload, trace)?;
        assert!(matches!(link.check(Instant::now(), true), Check::Ready));
        conn.call(out, address, session, &req.payload, trace, session)?;
        Ok(session)
    }
}

/// Feeds `input` in pieces of `chunk` bytes; returns every delivered reply by
/// session.
fn deliver(
    conn: &mut ClientConn<u32>,
    input: &[u8],
    chunk: usize,
) -> Result<HashMap<u32, Result<Bytes, CallError>>, String> {
    let mut got = HashMap::new();
    let mut buf = BytesMut::new();
    for piece in input.chunks(chunk) {
        buf.extend_from_slice(piece);
        while let Some(d) = conn.poll_input(&mut buf).map_err(|e| e.to_string())? {
            assert_eq!(d.waiter, d.session, "the waiter registered for the session");
            if got.insert(d.session, d.result).is_some() {
                return Err(format!("session {} answered twice", d.session));
            }
        }
    }
    Ok(got)
}

fn drive(x: &Exchange, chunk: usize, fails: &mut Failures) {
    let mut link = connected_link("recorded");
    let mut conn = ClientConn::<u32>::new("n", Limits::default());
    let mut out = BytesMut::new();
    let reqs = requests(x, 1);
    for r in &reqs {
        match issue(&mut link, &mut conn, &mut out, r) {
            Ok(s) => fails.check(s == r.session, || {
                format!("{}: session {s}, skynet used {}", x.id, r.session)
            }),
            Err(e) => fails.0.push(format!("{}: request failed: {e}", x.id)),
        }
    }
    let want = stream(x, 1, true);
    fails.check(out[..] == want[..], || {
        let at = out.iter().zip(&want).position(|(a, b)| a != b);
        format!(
            "{}: wrote {} bytes, skynet wrote {} (first difference at {at:?}): {}",
            x.id,
            out.len(),
            want.len(),
            to_hex(&out[..out.len().min(40)])
        )
    });
    let recorded = replies(x, 1);
    let got = match deliver(&mut conn, &stream(x, 1, false), chunk) {
        Ok(got) => got,
        Err(e) => {
            fails.0.push(format!("{}: connection closed: {e}", x.id));
            return;
        }
    };
    for r in reqs.iter().filter(|r| !r.push) {
        let mine = got.get(&r.session);
        let want = recorded.get(&r.session);
        fails.check(reply_matches(mine, want), || {
            format!(
                "{} session {}: got {mine:?}, skynet's reply was {want:?}",
                x.id, r.session
            )
        });
        fails.check(conn.is_waiting(r.session) == mine.is_none(), || {
            format!("{} session {}: waiting state", x.id, r.session)
        });
    }
    // Only calls are answered; replies to pushes (an error on session 0) are ignored.
    for s in got.keys() {
        fails.check(reqs.iter().any(|r| !r.push && r.session == *s), || {
            format!("{}: delivery for session {s}, which no call used", x.id)
        });
    }
}

/// Why an exchange is not driven from its recorded requests, if it is not: the
/// `raw_` exchanges are hand-made frames, not a sender's; `reload_changenode` and
/// `node_down_false` have their own trials.
fn not_driven(x: &Exchange) -> Option<&'static str> {
    if x.id.starts_with("raw_") {
        Some("hand-made frames, not a sender's")
    } else if x.id == "reload_changenode" {
        Some("driven by reload_to_a_new_address_in_memory")
    } else if x.id == "node_down_false" {
        Some("driven by node_down_and_back_in_memory")
    } else {
        None
    }
}

fn main() {
    let all = Arc::new(exchanges());
    let mut trials = Vec::new();
    for (chunk, group) in [
        (usize::MAX, "chunks_whole"),
        (1, "chunks_1"),
        (5, "chunks_5"),
        (1000, "chunks_1000"),
    ] {
        for (i, x) in all.iter().enumerate() {
            let name = format!("{group}::{}", x.id);
            if let Some(why) = not_driven(x) {
                trials.push(not_checked(name, format!("{}: {why}", x.id)));
                continue;
            }
            let xs = Arc::clone(&all);
            trials.push(Trial::test(name, move || {
                let x = &xs[i];
                assert_eq!(x.conns(), vec![1], "{}", x.id);
                let mut fails = Failures::default();
                drive(x, chunk, &mut fails);
                fails.verdict(&format!("in-memory client replay, chunks of {chunk}"))
            }));
        }
    }
    let xs = Arc::clone(&all);
    trials.push(Trial::test("suite::driven_exchanges", move || {
        let driven = xs.iter().filter(|x| not_driven(x).is_none()).count();
        assert_eq!(driven, 38);
        Ok(())
    }));
    let tests: [(&str, fn()); 4] = [
        (
            "reload_to_a_new_address_in_memory",
            reload_to_a_new_address_in_memory,
        ),
        ("node_down_and_back_in_memory", node_down_and_back_in_memory),
        (
            "a_bad_response_closes_and_fails_every_waiting_call",
            a_bad_response_closes_and_fails_every_waiting_call,
        ),
        (
            "a_forgotten_call_ignores_its_late_reply",
            a_forgotten_call_ignores_its_late_reply,
        ),
    ];
    for (name, test) in tests {
        trials.push(Trial::test(name, move || {
            test();
            Ok(())
        }));
    }
    run(trials)
}

fn find(id: &str) -> Exchange {
    exchanges()
        .into_iter()
        .find(|x| x.id == id)
        .expect("exchange")
}

/// One recorded call on a fresh connection of `link`: the bytes and the reply.
fn one_call(x: &Exchange, conn_id: u64, link: &mut NodeLink, fails: &mut Failures) {
    let mut conn = ClientConn::<u32>::new("n", Limits::default());
    let mut out = BytesMut::new();
    let r = &requests(x, conn_id)[0];
    let session = issue(link, &mut conn, &mut out, r).expect("issued");
    fails.check(session == r.session, || {
        format!("{} conn {conn_id}: session {session}", x.id)
    });
    fails.check(out[..] == stream(x, conn_id, true)[..], || {
        format!("{} conn {conn_id}: bytes differ", x.id)
    });
    let got = deliver(&mut conn, &stream(x, conn_id, false), 3).expect("kept");
    fails.check(
        reply_matches(got.get(&session), replies(x, conn_id).get(&session)),
        || format!("{} conn {conn_id}: reply {got:?}", x.id),
    );
}

fn reload_to_a_new_address_in_memory() {
    let x = find("reload_changenode");
    let mut fails = Failures::default();
    let mut link = connected_link("a");
    one_call(&x, 1, &mut link, &mut fails);
    // A call still waiting on the old connection fails when the address changes.
    let mut old = ClientConn::<u32>::new("n", Limits::default());
    old.call(&mut BytesMut::new(), AddrRef::Handle(10), 99, b"", None, 99)
        .expect("written");
    let why = link.retarget(Target::Up("b".into())).expect("changed");
    assert_eq!(why, CloseReason::Lost);
    let failed = old.close(why).expect("was open");
    assert!(matches!(
        failed.as_slice(),
        [(99, CallError::ConnectionLost)]
    ));
    connect(&mut link, "b");
    // The sessions go on: session 2 on the new connection, as skynet.
    one_call(&x, 2, &mut link, &mut fails);
    // The same target again changes nothing.
    assert_eq!(link.retarget(Target::Up("b".into())), None);
    fails.finish("reload_changenode in memory");
}

fn node_down_and_back_in_memory() {
    let x = find("node_down_false");
    let mut fails = Failures::default();
    let mut link = connected_link("a");
    one_call(&x, 1, &mut link, &mut fails);
    let mut conn = ClientConn::<u32>::new("n", Limits::default());
    conn.call(&mut BytesMut::new(), AddrRef::Handle(10), 77, b"", None, 77)
        .expect("written");
    let why = link.retarget(Target::Down).expect("changed");
    assert_eq!(why, CloseReason::Down);
    let failed = conn.close(why).expect("was open");
    assert!(matches!(failed.as_slice(), [(77, CallError::NodeDown(n))] if n == "n"));
    // Later calls on the closed connection fail the same way.
    let again = conn.call(&mut BytesMut::new(), AddrRef::Handle(10), 78, b"", None, 78);
    assert!(matches!(again, Err(CallError::NodeDown(_))));
    // A call while down consumes session 2 and fails at once.
    assert_eq!(link.begin_call(b"", None).expect("checked"), 2);
    assert!(matches!(
        link.check(Instant::now(), false),
        Check::Fail(CallError::NodeDown(_))
    ));
    assert_eq!(
        link.retarget(Target::Up("a".into())),
        Some(CloseReason::Lost)
    );
    connect(&mut link, "a");
    // Session 3 on the new connection, as skynet.
    one_call(&x, 2, &mut link, &mut fails);
    assert_eq!(link.retarget(Target::Absent), Some(CloseReason::Lost));
    assert!(matches!(
        link.check(Instant::now(), false),
        Check::Fail(CallError::UnknownNode(_))
    ));
    fails.finish("node_down_false in memory");
}

/// A bad response closes the connection; every waiting call fails with the reason
/// the shell closes it with.
fn a_bad_response_closes_and_fails_every_waiting_call() {
    let mut conn = ClientConn::<u32>::new("n", Limits::default());
    let mut out = BytesMut::new();
    for s in 1..=3 {
        conn.call(&mut out, AddrRef::Handle(10), s, b"", None, s)
            .expect("written");
    }
    // A reply for session 2, then a frame too short to be a response.
    let mut input = BytesMut::from(&b"\x00\x05\x02\x00\x00\x00\x01\x00\x02\x00\x00"[..]);
    let d = conn.poll_input(&mut input).expect("fine").expect("a reply");
    assert_eq!((d.session, d.result.expect("ok").len()), (2, 0));
    let e = conn.poll_input(&mut input).expect_err("bad response");
    assert!(e.to_string().starts_with("bad response"), "{e}");
    let mut failed = conn.close(CloseReason::Lost).expect("was open");
    failed.sort_by_key(|(s, _)| *s);
    assert!(matches!(
        failed.as_slice(),
        [
            (1, CallError::ConnectionLost),
            (3, CallError::ConnectionLost)
        ]
    ));
    assert!(conn.close(CloseReason::Lost).is_none(), "closes once");
}

/// A caller that gives up is forgotten: its late reply (even a multi-part one in
/// progress) is dropped.
fn a_forgotten_call_ignores_its_late_reply() {
    let mut conn = ClientConn::<u32>::new("n", Limits::default());
    conn.call(&mut BytesMut::new(), AddrRef::Handle(10), 5, b"", None, 5)
        .expect("written");
    // Multi-part begin of 40000 bytes for session 5, then the caller gives up.
    let mut input = BytesMut::from(&b"\x00\x09\x05\x00\x00\x00\x02\x40\x9c\x00\x00"[..]);
    assert!(conn.poll_input(&mut input).expect("fine").is_none());
    assert_eq!(conn.forget(5), Some(5));
    // The last part of the reply: nothing to deliver, nothing kept.
    let mut end = BytesMut::from(&b"\x00\x07\x05\x00\x00\x00\x04ab"[..]);
    assert!(conn.poll_input(&mut end).expect("fine").is_none());
    assert_eq!(conn.pending(), 0);
}
