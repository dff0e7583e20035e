//! Properties of the sans-IO gate core: framing survives any chunking, hostile bytes
//! never panic or grow memory past their bound, and requests, answers and sessions
//! round-trip between two in-memory connections.

use proptest::prelude::*;
use sproto_rt::gate::{
    write_frame, Connection, Event, FrameDecoder, PackageLayout, SendError, MAX_PACKAGE,
};

fn frame_all(packages: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for p in packages {
        write_frame(p, &mut out).expect("fits");
    }
    out
}

proptest! {
    #[test]
    fn framing_survives_any_chunking(
        packages in prop::collection::vec(prop::collection::vec(any::<u8>(), 0..300), 0..20),
        cuts in prop::collection::vec(1usize..64, 0..64),
    ) {
        let stream = frame_all(&packages);
        let mut dec = FrameDecoder::new();
        let mut got = Vec::new();
        let mut at = 0;
        let mut cuts = cuts.into_iter().cycle();
        while at < stream.len() {
            let n = cuts.next().unwrap_or(stream.len()).min(stream.len() - at);
            dec.extend(&stream[at..at + n]);
            at += n;
            while let Some(p) = dec.next_package() {
                got.push(p.to_vec());
            }
        }
        prop_assert_eq!(got, packages);
        prop_assert_eq!(dec.buffered(), 0);
    }

    #[test]
    fn hostile_streams_never_panic_and_stay_bounded(bytes in prop::collection::vec(any::<u8>(), 0..4096)) {
        let mut dec = FrameDecoder::new();
        let mut out = 0;
        for chunk in bytes.chunks(97) {
            dec.extend(chunk);
            while let Some(p) = dec.next_package() {
                out += 2 + p.len();
                prop_assert!(p.len() <= MAX_PACKAGE);
            }
            prop_assert!(dec.buffered() <= bytes.len());
        }
        prop_assert_eq!(out + dec.buffered(), bytes.len());
    }

    #[test]
    fn hostile_packages_never_panic(package in prop::collection::vec(any::<u8>(), 0..512)) {
        let mut conn = Connection::new(PackageLayout::default());
        conn.request(1, &[], true).expect("queued");
        if let Ok(Some(Event::Request { body, .. } | Event::Response { body, .. })) = conn.handle_package(&package) {
            // A package unpacks to at most 8 bytes per input byte.
            prop_assert!(body.len() <= package.len() * 8 + 8);
        }
    }

    #[test]
    fn requests_and_answers_round_trip(
        calls in prop::collection::vec((0u16..=32766, prop::collection::vec(any::<u8>(), 0..200), any::<bool>()), 1..30),
        ud in prop::option::of(any::<i64>()),
    ) {
        let layout = PackageLayout { ud: Some(2), ..PackageLayout::default() };
        let (mut client, mut server) = (Connection::new(layout), Connection::new(layout));
        let mut sessions = Vec::new();
        for (tag, body, expect) in &calls {
            let s = client.request_with_ud(*tag, body, *expect, ud).expect("queued");
            prop_assert_eq!(s.is_some(), *expect);
            let package = client.poll_transmit().expect("a package");
            let Some(Event::Request { tag: t, session, ud: u, body: b }) = server.handle_package(&package).expect("reads") else {
                return Err(TestCaseError::fail("not a request"));
            };
            prop_assert_eq!((t, session, u), (*tag, s, ud));
            // The unpacked body may carry the packing's zero padding.
            prop_assert_eq!(&b[..body.len()], &body[..]);
            prop_assert!(b[body.len()..].iter().all(|&x| x == 0));
            if let Some(s) = session {
                server.respond(s, Some(body), None).expect("answered");
                sessions.push((s, *tag));
            }
        }
        prop_assert_eq!(client.pending(), sessions.len());
        for (s, tag) in sessions {
            let package = server.poll_transmit().expect("an answer");
            let Some(Event::Response { session, tag: t, .. }) = client.handle_package(&package).expect("reads") else {
                return Err(TestCaseError::fail("not a response"));
            };
            prop_assert_eq!((session, t), (s, tag));
        }
        prop_assert_eq!(client.pending(), 0);
    }
}

#[test]
fn sessions_wrap_to_one_and_skip_the_ones_still_waiting() {
    let mut c = Connection::new(PackageLayout::default()).with_next_session(i32::MAX as i64 - 1);
    let a = c.request(1, &[], true).expect("queued");
    let b = c.request(1, &[], true).expect("queued");
    assert_eq!((a, b), (Some(i32::MAX as i64 - 1), Some(i32::MAX as i64)));
    assert_eq!(c.request(1, &[], true).expect("queued"), Some(1));
    let mut c = Connection::new(PackageLayout::default()).with_next_session(i32::MAX as i64);
    assert_eq!(
        c.request(1, &[], true).expect("queued"),
        Some(i32::MAX as i64)
    );
    c = c.with_next_session(i32::MAX as i64);
    assert_eq!(
        c.request(1, &[], true).expect("queued"),
        Some(1),
        "the waiting one is skipped"
    );
}

#[test]
fn pending_calls_are_bounded_and_oversize_packages_refused() {
    let mut c = Connection::new(PackageLayout::default()).with_max_pending(3);
    for _ in 0..3 {
        c.request(1, &[], true).expect("queued");
    }
    assert_eq!(
        c.request(1, &[], true),
        Err(SendError::TooManyPending { limit: 3 })
    );
    assert!(c.request(1, &[], false).is_ok(), "pushes need no session");
    let queued = c.queued_bytes();
    let big: Vec<u8> = (0..70_000u32).map(|i| (i % 251) as u8 | 1).collect();
    assert!(matches!(
        c.request(1, &big, false),
        Err(SendError::TooLarge(_))
    ));
    assert_eq!(c.queued_bytes(), queued, "nothing queued");
    assert_eq!(c.close().len(), 3);
    assert_eq!(c.request(1, &[], false), Err(SendError::Closed));
}

#[test]
fn late_and_unknown_answers_are_dropped_and_counted() {
    let (mut client, mut server) = (
        Connection::new(PackageLayout::default()),
        Connection::new(PackageLayout::default()),
    );
    let s = client
        .request(1, &[], true)
        .expect("queued")
        .expect("session");
    assert!(client.cancel(s));
    server.respond(s, None, None).expect("queued");
    server.respond(999, None, None).expect("queued");
    for _ in 0..2 {
        let p = server.poll_transmit().expect("a package");
        assert_eq!(client.handle_package(&p), Ok(None));
    }
    assert_eq!(client.orphan_responses(), 2);
}
