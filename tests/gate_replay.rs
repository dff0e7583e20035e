//! The captured session of skynet's sproto example (`tests/vectors/gate/`), replayed
//! in memory against the sans-IO gate core and the typed protocols of
//! `sproto_skynet::gate_proto`: as the client (every request frame byte-exact,
//! every server frame read back to the recorded values) and as the server (every
//! answer and the heartbeat push byte-exact). Also: the typed protocols' schemas are
//! byte-identical to `sprotoparser`'s for the recorded `c2s` / `s2c` text.

#![allow(dead_code)]

use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::Value as Json;
use sproto_rt::gate::{write_frame, Connection, Event, FrameDecoder, PackageLayout};
use sproto_rt::rpc::{Handler, ProtocolSet, Request};
use sproto_rt::{Message, Sproto};
use sproto_skynet::gate_proto::*;

fn session() -> Json {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/vectors/gate/example_session.json"
    ))
    .expect("example_session.json");
    serde_json::from_str(&text).expect("json")
}

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("hex"))
        .collect()
}

fn hex(b: &[u8]) -> String {
    b.iter().map(|x| format!("{x:02x}")).collect()
}

fn framed(package: &[u8]) -> String {
    let mut out = Vec::new();
    write_frame(package, &mut out).expect("fits");
    hex(&out)
}

/// The package inside one recorded frame (checked to be exactly one frame).
fn package_of(frame: &Json) -> Vec<u8> {
    let mut dec = FrameDecoder::new();
    dec.extend(&unhex(frame["hex"].as_str().expect("hex")));
    let p = dec.next_package().expect("a whole frame").to_vec();
    assert_eq!(dec.buffered(), 0, "one frame per record");
    p
}

fn text(v: &Json, key: &str) -> Option<String> {
    v.get(key).and_then(|x| x.as_str()).map(str::to_string)
}

/// The typed request body of a recorded c2s request.
fn request_body(proto: &str, args: &Json) -> Vec<u8> {
    match proto {
        "get" => GetRequest {
            what: text(args, "what"),
        }
        .encode(),
        "set" => SetRequest {
            what: text(args, "what"),
            value: text(args, "value"),
        }
        .encode(),
        "handshake" | "quit" => Vec::new(),
        other => panic!("unexpected protocol {other}"),
    }
}

#[test]
fn typed_schemas_equal_the_parsed_ones() {
    let s = session();
    for (name, built) in [
        ("c2s", C2sProtocol::schema().expect("c2s builds")),
        ("s2c", S2cProtocol::schema().expect("s2c builds")),
    ] {
        let parsed = Sproto::parse(s["schemas"][name].as_str().expect("text")).expect("parses");
        assert_eq!(
            hex(&built.to_bundle().unwrap()),
            hex(&parsed.to_bundle().unwrap()),
            "{name}"
        );
        let again = Sproto::parse(&built.to_text()).expect("rendered text parses");
        assert_eq!(
            again.to_bundle().unwrap(),
            parsed.to_bundle().unwrap(),
            "{name} text"
        );
    }
}

#[test]
fn replays_as_the_client() {
    let s = session();
    let layout = PackageLayout::from_schema(
        &Sproto::parse(s["schemas"]["s2c"].as_str().expect("text")).expect("s2c"),
        "package",
    )
    .expect("layout");
    assert_eq!(layout, PackageLayout::default());
    let mut client = Connection::new(layout);
    let mut failures = Vec::new();
    for (i, f) in s["frames"].as_array().expect("frames").iter().enumerate() {
        let dir = f["dir"].as_str().expect("dir");
        let kind = f["kind"].as_str().expect("kind");
        match (dir, kind) {
            ("c2s", "request") => {
                let tag = f["tag"].as_u64().expect("tag") as u16;
                let body = request_body(f["proto"].as_str().expect("proto"), &f["args"]);
                let session = client
                    .request(tag, &body, !f["session"].is_null())
                    .expect("queued");
                assert_eq!(session, f["session"].as_i64(), "frame {i}: session");
                let got = framed(&client.poll_transmit().expect("a package"));
                if got != f["hex"].as_str().expect("hex") {
                    failures.push(format!("frame {i}: wrote {got}, recorded {}", f["hex"]));
                }
            }
            ("s2c", "response") => {
                let Some(Event::Response {
                    session, tag, body, ..
                }) = client.handle_package(&package_of(f)).expect("reads")
                else {
                    panic!("frame {i}: not a response")
                };
                assert_eq!(Some(session), f["session"].as_i64(), "frame {i}");
                let args = &f["args"];
                match tag {
                    1 => assert_eq!(
                        HandshakeResponse::decode(&body).expect("decodes").msg,
                        text(args, "msg"),
                        "frame {i}"
                    ),
                    2 => assert_eq!(
                        GetResponse::decode(&body).expect("decodes").result,
                        text(args, "result"),
                        "frame {i}"
                    ),
                    // Header only: what follows is the packing's zero padding.
                    _ => assert!(
                        body.iter().all(|&b| b == 0) && args.is_null(),
                        "frame {i}: header only"
                    ),
                }
            }
            ("s2c", "request") => {
                let event = client.handle_package(&package_of(f)).expect("reads");
                let Some(Event::Request {
                    tag, session, body, ..
                }) = event
                else {
                    panic!("frame {i}: not a request")
                };
                assert_eq!((tag, session), (1, None), "frame {i}: heartbeat push");
                assert!(body.iter().all(|&b| b == 0), "frame {i}: no message");
            }
            other => panic!("frame {i}: unexpected {other:?}"),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert_eq!(client.pending(), 1, "quit is never answered");
}

/// The example agent's behaviour, without a socket (`quit` only records the close).
#[derive(Default)]
struct MemAgent {
    db: std::sync::Mutex<std::collections::HashMap<String, String>>,
    quit: AtomicBool,
}

impl C2s for MemAgent {
    async fn handshake(&self) -> HandshakeResponse {
        HandshakeResponse {
            msg: Some("Welcome to skynet, I will send heartbeat every 5 sec.".into()),
        }
    }
    async fn get(&self, request: GetRequest) -> GetResponse {
        let db = self.db.lock().expect("lock");
        GetResponse {
            result: request.what.and_then(|k| db.get(&k).cloned()),
        }
    }
    async fn set(&self, request: SetRequest) {
        if let (Some(k), Some(v)) = (request.what, request.value) {
            self.db.lock().expect("lock").insert(k, v);
        }
    }
    async fn quit(&self) {
        self.quit.store(true, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn replays_as_the_server() {
    let s = session();
    let mut server = Connection::new(C2sProtocol::layout());
    let handler = C2sServer::new(MemAgent::default());
    let mut failures = Vec::new();
    for (i, f) in s["frames"].as_array().expect("frames").iter().enumerate() {
        let recorded = f["hex"].as_str().expect("hex");
        match (f["dir"].as_str(), f["kind"].as_str()) {
            (Some("c2s"), _) => {
                let Some(Event::Request {
                    tag,
                    session,
                    ud,
                    body,
                }) = server.handle_package(&package_of(f)).expect("reads")
                else {
                    panic!("frame {i}: not a request")
                };
                assert_eq!(session, f["session"].as_i64(), "frame {i}");
                let answer = handler
                    .handle(Request {
                        tag,
                        session,
                        ud,
                        body,
                    })
                    .await
                    .expect("handled");
                if handler.get_ref().quit.load(Ordering::SeqCst) {
                    server.close();
                } else if let Some(session) = session {
                    server
                        .respond(session, answer.as_deref(), None)
                        .expect("queued");
                }
            }
            (Some("s2c"), Some("request")) => {
                server.request(1, &[], false).expect("heartbeat queued");
                let got = framed(&server.poll_transmit().expect("a package"));
                if got != recorded {
                    failures.push(format!("frame {i}: pushed {got}, recorded {recorded}"));
                }
            }
            (Some("s2c"), Some("response")) => {
                let got = server.poll_transmit().map(|p| framed(&p));
                if got.as_deref() != Some(recorded) {
                    failures.push(format!("frame {i}: answered {got:?}, recorded {recorded}"));
                }
            }
            other => panic!("frame {i}: unexpected {other:?}"),
        }
    }
    assert!(failures.is_empty(), "{failures:#?}");
    assert!(server.is_closed(), "quit closed the connection");
    assert_eq!(server.poll_transmit(), None, "quit is not answered");
}
