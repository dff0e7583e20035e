//! Property tests of the sans-IO cluster layer (bounded by `PROPTEST_CASES`): random
//! and mutated bytes never panic the decoders or the assemblers, limits hold after
//! any input, and every message survives encode → frames → reassembly.

use bytes::{Bytes, BytesMut};
use proptest::prelude::*;
use skynet_cluster::frame::{
    encode_error, encode_request, encode_response, encode_trace, take_frame, RequestFrame,
    ResponseFrame, WireAddress,
};
use skynet_cluster::reassembly::{
    Inbound, Outcome, RequestAssembler, ResponseAssembler, ResponseEvent,
};
use skynet_cluster::{AddrRef, ClusterConfig, Limits};

fn small_limits() -> Limits {
    Limits {
        max_message: 200_000,
        max_buffered: 300_000,
        max_pending: 8,
    }
}

/// Feeds a byte stream through the server side; returns how many events came out.
fn serve_bytes(stream: &[u8], limits: Limits) -> usize {
    let mut buf = BytesMut::from(stream);
    let mut asm = RequestAssembler::new(limits);
    let mut events = 0;
    while let Some(body) = take_frame(&mut buf) {
        match RequestFrame::decode(body.freeze()) {
            Ok(f) => match asm.handle(f) {
                Ok(Some(_)) => events += 1,
                Ok(None) => {}
                Err(_) => break,
            },
            Err(e) if e.is_droppable() => {}
            Err(_) => break,
        }
        assert!(asm.buffered() <= limits.max_buffered);
        assert!(asm.pending() <= limits.max_pending);
    }
    events
}

/// Feeds a byte stream through the client side.
fn read_bytes(stream: &[u8], limits: Limits) {
    let mut buf = BytesMut::from(stream);
    let mut asm = ResponseAssembler::new(limits);
    while let Some(body) = take_frame(&mut buf) {
        let Ok(f) = ResponseFrame::decode(body.freeze()) else {
            break;
        };
        if asm.handle(f, |s| s % 2 == 1).is_err() {
            break;
        }
        assert!(asm.buffered() <= limits.max_buffered);
    }
}

/// A payload of up to 100 000 bytes (cheap to generate: a length and a seed).
fn payload() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![0usize..300, 32760usize..32780, 0usize..100_000,]
        .prop_flat_map(|n| (Just(n), any::<u8>()))
        .prop_map(|(n, seed)| {
            (0..n)
                .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed))
                .collect()
        })
}

fn address() -> impl Strategy<Value = (bool, u32, Vec<u8>)> {
    (
        any::<bool>(),
        any::<u32>(),
        proptest::collection::vec(any::<u8>(), 1..=255),
    )
}

/// A valid request stream: several messages, their frames concatenated.
fn request_stream() -> impl Strategy<Value = Vec<u8>> {
    proptest::collection::vec(
        (
            address(),
            1u32..100,
            any::<bool>(),
            0usize..70_000,
            proptest::option::of("[a-z]{0,8}"),
        ),
        1..5,
    )
    .prop_map(|msgs| {
        let mut out = Vec::new();
        for ((named, h, name), session, push, len, trace) in msgs {
            if let Some(t) = trace {
                encode_trace(&mut out, t.as_bytes()).unwrap();
            }
            let payload = vec![b'p'; len];
            let addr = if named {
                AddrRef::Name(&name)
            } else {
                AddrRef::Handle(h)
            };
            encode_request(&mut out, addr, session, push, &payload).unwrap();
        }
        out
    })
}

proptest! {
    #[test]
    fn random_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..4096)) {
        let _ = RequestFrame::decode(Bytes::from(bytes.clone()));
        let _ = ResponseFrame::decode(Bytes::from(bytes.clone()));
        serve_bytes(&bytes, small_limits());
        read_bytes(&bytes, small_limits());
        let _ = ClusterConfig::parse_lua(&String::from_utf8_lossy(&bytes));
    }

    #[test]
    fn random_frames_never_panic(
        frames in proptest::collection::vec(
            (prop::sample::select(vec![0u8, 1, 2, 3, 4, 5, 0x41, 0x80, 0x81, 0xc1, 0xff]),
             proptest::collection::vec(any::<u8>(), 0..80)),
            0..40),
    ) {
        // Bodies whose type bytes are known but whose contents are random: sizes and
        // sessions announce anything.
        let mut stream = Vec::new();
        for (t, rest) in &frames {
            stream.extend_from_slice(&u16::try_from(rest.len() + 1).unwrap().to_be_bytes());
            stream.push(*t);
            stream.extend_from_slice(rest);
        }
        serve_bytes(&stream, small_limits());
        serve_bytes(&stream, Limits::default());
        read_bytes(&stream, small_limits());
    }

    #[test]
    fn mutated_streams_never_panic(
        stream in request_stream(),
        flips in proptest::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..8),
        cut in any::<prop::sample::Index>(),
    ) {
        let mut s = stream.clone();
        for (at, v) in flips {
            let i = at.index(s.len());
            s[i] = v;
        }
        serve_bytes(&s, small_limits());
        read_bytes(&s, small_limits());
        let end = cut.index(stream.len() + 1);
        serve_bytes(&stream[..end], small_limits());
    }

    #[test]
    fn requests_survive_frames_and_reassembly(
        (named, h, name) in address(),
        session in 1u32..=i32::MAX as u32,
        push in any::<bool>(),
        payload in payload(),
    ) {
        let addr = if named { AddrRef::Name(&name) } else { AddrRef::Handle(h) };
        let mut out = Vec::new();
        encode_request(&mut out, addr, session, push, &payload).unwrap();
        let mut buf = BytesMut::from(&out[..]);
        let mut asm = RequestAssembler::default();
        let mut got = None;
        while let Some(body) = take_frame(&mut buf) {
            if let Some(ev) = asm.handle(RequestFrame::decode(body.freeze()).unwrap()).unwrap() {
                prop_assert!(got.is_none());
                got = Some(ev);
            }
        }
        prop_assert!(buf.is_empty());
        let Some(Inbound::Request(r)) = got else { panic!("no request: {got:?}") };
        let multipart = payload.len() >= 32768;
        prop_assert_eq!(r.multipart, multipart);
        prop_assert_eq!(r.push, push);
        prop_assert_eq!(r.session, if push && !multipart { 0 } else { session });
        prop_assert_eq!(&r.payload[..], &payload[..]);
        match (r.address, addr) {
            (WireAddress::Handle(a), AddrRef::Handle(b)) => prop_assert_eq!(a, b),
            (WireAddress::Name(a), AddrRef::Name(b)) => prop_assert_eq!(&a[..], b),
            other => panic!("address {other:?}"),
        }
        prop_assert_eq!(asm.buffered(), 0);
    }

    #[test]
    fn responses_survive_frames_and_reassembly(
        session in any::<u32>(),
        ok in any::<bool>(),
        payload in payload(),
    ) {
        let mut out = Vec::new();
        if ok {
            encode_response(&mut out, session, &payload).unwrap();
        } else {
            encode_error(&mut out, session, &payload);
        }
        let mut buf = BytesMut::from(&out[..]);
        let mut asm = ResponseAssembler::default();
        let mut got = None;
        while let Some(body) = take_frame(&mut buf) {
            if let Some(ev) = asm.handle(ResponseFrame::decode(body.freeze()).unwrap(), |_| true).unwrap() {
                got = Some(ev);
            }
        }
        let Some(ResponseEvent::Complete { session: s, outcome }) = got else { panic!("{got:?}") };
        prop_assert_eq!(s, session);
        match outcome {
            Outcome::Ok(p) => { prop_assert!(ok); prop_assert_eq!(&p[..], &payload[..]); }
            Outcome::Error(t) => {
                prop_assert!(!ok);
                prop_assert_eq!(&t[..], &payload[..payload.len().min(32768)]);
            }
        }
    }
}
