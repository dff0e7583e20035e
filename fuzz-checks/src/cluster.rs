//! skynet cluster: frame bodies and the reassembly of multi-part messages.

use std::collections::HashMap;

use bytes::{Bytes, BytesMut};
use skynet_cluster::frame::{split_frame, take_frame, RequestFrame, ResponseFrame, WireAddress};
use skynet_cluster::reassembly::{
    Inbound, InboundRequest, Outcome, RequestAssembler, ResponseAssembler, ResponseEvent,
    INVALID_LARGE_REQ, INVALID_NAME,
};
use skynet_cluster::{FrameError, Limits};

/// `cluster_frame`: [`RequestFrame::decode`] (byte 0 even) or [`ResponseFrame::decode`]
/// (byte 0 odd) of the rest as one frame body, then the whole input as a stream of
/// length-prefixed frames through both decoders.
///
/// A decoded frame encodes back to the body it came from (a named multi-part header to
/// its first bytes: the reference ignores the rest), unless it cannot be encoded (an
/// empty name); `take_frame` and `split_frame` agree.
pub fn cluster_frame(data: &[u8]) {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    if selector & 1 == 0 {
        request_body(body);
    } else {
        response_body(body);
    }
    let mut rest = data;
    let mut buf = BytesMut::from(data);
    while let Some((body, next)) = split_frame(rest) {
        let taken = take_frame(&mut buf).expect("split_frame found a whole frame");
        assert_eq!(&taken[..], body, "take_frame ≠ split_frame");
        request_body(body);
        response_body(body);
        rest = next;
    }
    assert!(
        take_frame(&mut buf).is_none(),
        "take_frame found more frames"
    );
    assert_eq!(&buf[..], rest);
}

fn request_body(body: &[u8]) {
    let Ok(frame) = RequestFrame::decode(Bytes::copy_from_slice(body)) else {
        return;
    };
    let mut out = BytesMut::new();
    match frame.encode(&mut out) {
        Ok(()) => {}
        Err(FrameError::NameLength(0)) => return,
        Err(e) => panic!("a decoded request frame does not encode: {e}\n{frame:?}"),
    }
    let again = take_frame(&mut out).expect("encode writes a whole frame");
    assert!(out.is_empty(), "encode wrote more than one frame");
    let expected = match &frame {
        RequestFrame::MultiBegin {
            address: WireAddress::Name(name),
            ..
        } => &body[..name.len() + 10],
        _ => body,
    };
    assert_eq!(
        &again[..],
        expected,
        "request frame decode → encode differs"
    );
    let decoded = RequestFrame::decode(again.freeze()).expect("an encoded frame decodes");
    assert_eq!(decoded, frame);
}

fn response_body(body: &[u8]) {
    let Ok(frame) = ResponseFrame::decode(Bytes::copy_from_slice(body)) else {
        return;
    };
    let mut out = BytesMut::new();
    if let Err(e) = frame.encode(&mut out) {
        panic!("a decoded response frame does not encode: {e}\n{frame:?}");
    }
    let again = take_frame(&mut out).expect("encode writes a whole frame");
    assert!(out.is_empty(), "encode wrote more than one frame");
    assert_eq!(&again[..], body, "response frame decode → encode differs");
    let decoded = ResponseFrame::decode(again.freeze()).expect("an encoded frame decodes");
    assert_eq!(decoded, frame);
}

/// Small limits, so that fuzz inputs reach them. `max_message` stays under the 1 MiB
/// an assembler reserves ahead, so a message is counted at its announced size.
const LIMITS: Limits = Limits {
    max_message: 3000,
    max_buffered: 8000,
    max_pending: 6,
};

/// One unfinished multi-part message of the models.
#[derive(Debug)]
struct Partial<M> {
    meta: M,
    total: u32,
    data: Vec<u8>,
    got: u64,
    poisoned: bool,
}

/// The reassembly rules both assemblers share, written plainly.
#[derive(Debug)]
struct Model<M> {
    entries: HashMap<u32, Partial<M>>,
}

/// What the model expects a frame to do.
#[derive(Debug, PartialEq)]
enum Expect<T> {
    /// Complete this (or nothing).
    Out(Option<T>),
    /// Fail like this: the connection is closed.
    Fail(FrameError),
}

impl<M> Model<M> {
    fn new() -> Self {
        Self {
            entries: HashMap::new(),
        }
    }

    /// Bytes an assembler holds for the unfinished messages: the announced size of each
    /// consistent one.
    fn buffered(&self) -> usize {
        self.entries
            .values()
            .filter(|e| !e.poisoned)
            .map(|e| e.total as usize)
            .sum()
    }

    /// A header for a session not in progress: `Err` when a limit refuses it.
    fn begin(&mut self, session: u32, total: u32, meta: M) -> Result<(), FrameError> {
        let size = total as usize;
        if size > LIMITS.max_message {
            return Err(FrameError::MessageTooLarge {
                session,
                size: u64::from(total),
                limit: LIMITS.max_message,
            });
        }
        self.check_count()?;
        let after = self.buffered() + size;
        if after > LIMITS.max_buffered {
            return Err(FrameError::BufferLimit {
                size: after,
                limit: LIMITS.max_buffered,
            });
        }
        self.entries.insert(
            session,
            Partial {
                meta,
                total,
                data: Vec::new(),
                got: 0,
                poisoned: false,
            },
        );
        Ok(())
    }

    fn check_count(&self) -> Result<(), FrameError> {
        if self.entries.len() >= LIMITS.max_pending {
            return Err(FrameError::TooManyPending {
                limit: LIMITS.max_pending,
            });
        }
        Ok(())
    }

    /// A middle part: `false` when no message of that session is in progress.
    fn append(&mut self, session: u32, data: &[u8]) -> bool {
        let Some(e) = self.entries.get_mut(&session) else {
            return false;
        };
        e.got += data.len() as u64;
        if !e.poisoned {
            if e.data.len() + data.len() > e.total as usize {
                e.poisoned = true;
                e.data = Vec::new();
            } else {
                e.data.extend_from_slice(data);
            }
        }
        true
    }

    /// A last part: the message's metadata and its payload, or the mismatch.
    fn finish(&mut self, session: u32, data: &[u8]) -> Option<(M, Result<Bytes, FrameError>)> {
        let mut e = self.entries.remove(&session)?;
        let got = e.got + data.len() as u64;
        let payload = if e.poisoned || got != u64::from(e.total) {
            Err(FrameError::PartsMismatch {
                session,
                total: e.total,
                got,
            })
        } else {
            e.data.extend_from_slice(data);
            Ok(Bytes::from(e.data))
        };
        Some((e.meta, payload))
    }
}

/// Where a multi-part request goes, in the request model.
#[derive(Debug)]
struct RequestMeta {
    address: WireAddress,
    push: bool,
    trace: Option<Bytes>,
}

/// The request assembler's rules (`clusteragent`'s reassembly).
struct RequestModel {
    parts: Model<RequestMeta>,
    trace: Option<Bytes>,
}

impl RequestModel {
    fn step(&mut self, frame: &RequestFrame) -> Expect<Inbound> {
        let out = |x| Expect::Out(Some(x));
        match frame.clone() {
            RequestFrame::Trace { tag } => {
                self.trace = Some(tag);
                Expect::Out(None)
            }
            RequestFrame::Request {
                address,
                session,
                payload,
            } => out(Inbound::Request(InboundRequest {
                address,
                session,
                push: session == 0,
                payload,
                trace: self.trace.take(),
                multipart: false,
            })),
            RequestFrame::MultiBegin {
                address,
                session,
                total,
                push,
            } => {
                let trace = self.trace.take();
                if let Some(e) = self.parts.entries.get_mut(&session) {
                    e.poisoned = true;
                    e.data = Vec::new();
                    return Expect::Out(None);
                }
                let meta = RequestMeta {
                    address,
                    push,
                    trace,
                };
                match self.parts.begin(session, total, meta) {
                    Ok(()) => Expect::Out(None),
                    Err(e) => Expect::Fail(e),
                }
            }
            RequestFrame::Part {
                session,
                data,
                last: false,
            } => {
                if !self.parts.append(session, &data) {
                    if let Err(e) = self.parts.check_count() {
                        return Expect::Fail(e);
                    }
                    let orphan = Partial {
                        meta: RequestMeta {
                            address: WireAddress::Handle(0),
                            push: false,
                            trace: None,
                        },
                        total: 0,
                        data: Vec::new(),
                        got: data.len() as u64,
                        poisoned: true,
                    };
                    self.parts.entries.insert(session, orphan);
                }
                Expect::Out(None)
            }
            RequestFrame::Part {
                session,
                data,
                last: true,
            } => out(match self.parts.finish(session, &data) {
                None => Inbound::Reject {
                    session,
                    text: INVALID_NAME,
                },
                Some((meta, Ok(payload))) => Inbound::Request(InboundRequest {
                    address: meta.address,
                    session,
                    push: meta.push,
                    payload,
                    trace: meta.trace,
                    multipart: true,
                }),
                Some((_, Err(_))) => Inbound::Reject {
                    session,
                    text: INVALID_LARGE_REQ,
                },
            }),
        }
    }
}

/// Frame bodies of a stream of length-prefixed frames (an incomplete tail is dropped).
fn frames(mut data: &[u8]) -> impl Iterator<Item = &[u8]> {
    std::iter::from_fn(move || {
        let (body, rest) = split_frame(data)?;
        data = rest;
        Some(body)
    })
}

/// `request_assembler`: the input as a stream of length-prefixed request frames into a
/// [`RequestAssembler`] with small limits, checked frame by frame against a plain model
/// of the reference's reassembly: the same completed requests (payload, address,
/// session, push, trace tag), the same rejections, the same limit errors, the same
/// bytes held. Undecodable frames are skipped; a limit error ends the connection.
pub fn request_assembler(data: &[u8]) {
    let mut asm = RequestAssembler::new(LIMITS);
    let mut model = RequestModel {
        parts: Model::new(),
        trace: None,
    };
    for body in frames(data) {
        let Ok(frame) = RequestFrame::decode(Bytes::copy_from_slice(body)) else {
            continue;
        };
        let expect = model.step(&frame);
        let got = match asm.handle(frame.clone()) {
            Ok(out) => Expect::Out(out),
            Err(e) => Expect::Fail(e),
        };
        assert_eq!(got, expect, "request assembler ≠ model for {frame:?}");
        if let Expect::Fail(_) = got {
            return;
        }
        assert_eq!(asm.buffered(), model.parts.buffered(), "buffered bytes");
        assert_eq!(asm.pending(), model.parts.entries.len(), "pending messages");
        assert!(asm.buffered() <= LIMITS.max_buffered);
    }
}

/// Whether the response model's caller waits for `session`.
fn wanted(session: u32) -> bool {
    session % 4 != 3
}

/// `response_assembler`: the input as a stream of length-prefixed response frames into
/// a [`ResponseAssembler`] with small limits (sessions ≡ 3 mod 4 are not waited for),
/// checked frame by frame against a plain model: the same replies and failures, the
/// same limit errors, the same bytes held. A frame with type byte `0xff` (no response
/// type) is not decoded but makes the caller forget its session
/// ([`ResponseAssembler::forget`]).
pub fn response_assembler(data: &[u8]) {
    let mut asm = ResponseAssembler::new(LIMITS);
    let mut model: Model<()> = Model::new();
    for body in frames(data) {
        if let [a, b, c, d, 0xff, ..] = *body {
            let session = u32::from_le_bytes([a, b, c, d]);
            asm.forget(session);
            model.entries.remove(&session);
            continue;
        }
        let Ok(frame) = ResponseFrame::decode(Bytes::copy_from_slice(body)) else {
            continue;
        };
        let expect = response_step(&mut model, &frame);
        let got = match asm.handle(frame.clone(), wanted) {
            Ok(out) => Expect::Out(out),
            Err(e) => Expect::Fail(e),
        };
        assert_eq!(got, expect, "response assembler ≠ model for {frame:?}");
        if let Expect::Fail(_) = got {
            return;
        }
        assert_eq!(asm.buffered(), model.buffered(), "buffered bytes");
        assert!(asm.buffered() <= LIMITS.max_buffered);
    }
}

fn response_step(model: &mut Model<()>, frame: &ResponseFrame) -> Expect<ResponseEvent> {
    let complete =
        |session, outcome| Expect::Out(Some(ResponseEvent::Complete { session, outcome }));
    match frame.clone() {
        ResponseFrame::Ok { session, payload } => {
            model.entries.remove(&session);
            complete(session, Outcome::Ok(payload))
        }
        ResponseFrame::Error { session, text } => {
            model.entries.remove(&session);
            complete(session, Outcome::Error(text))
        }
        ResponseFrame::MultiBegin { session, total } => {
            if model.entries.remove(&session).is_some() {
                return Expect::Out(Some(ResponseEvent::Failed {
                    session,
                    error: FrameError::PartsMismatch {
                        session,
                        total,
                        got: 0,
                    },
                }));
            }
            if !wanted(session) {
                return Expect::Out(None);
            }
            match model.begin(session, total, ()) {
                Ok(()) => Expect::Out(None),
                Err(error @ FrameError::MessageTooLarge { .. }) => {
                    Expect::Out(Some(ResponseEvent::Failed { session, error }))
                }
                Err(e) => Expect::Fail(e),
            }
        }
        ResponseFrame::Part {
            session,
            data,
            last: false,
        } => {
            model.append(session, &data);
            Expect::Out(None)
        }
        ResponseFrame::Part {
            session,
            data,
            last: true,
        } => Expect::Out(
            model
                .finish(session, &data)
                .map(|(_, payload)| match payload {
                    Ok(payload) => ResponseEvent::Complete {
                        session,
                        outcome: Outcome::Ok(payload),
                    },
                    Err(error) => ResponseEvent::Failed { session, error },
                }),
        ),
    }
}
