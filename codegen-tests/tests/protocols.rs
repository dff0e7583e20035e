//! The generated protocol traits: the captured gate session of skynet's example
//! (`tests/vectors/gate/`) decodes and re-encodes frame by frame through the generated
//! header and message types, and the generated `C2sClient` / `C2sServer` talk to each
//! other through an in-memory caller.

use std::sync::Mutex;

use serde_json::Value as Json;
use sproto_codegen_tests::{gate_c2s, gate_s2c, protocols, rpc};
use sproto_rt::gate::ProtocolError;
use sproto_rt::rpc::{CallError, Caller, CloseReason, Handler, Payload, ProtocolSet, Request};
use sproto_rt::{Message, Sproto};

const SESSION: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/../tests/vectors/gate/example_session.json"
);

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&s[i..i + 2], 16).expect("vector hex"))
        .collect()
}

/// Decodes a message body through the generated type and encodes it again.
fn again<T: Message + std::fmt::Debug>(body: &[u8]) -> (String, Vec<u8>) {
    let v = T::decode(body).expect("body decodes");
    (format!("{v:?}"), v.encode())
}

#[test]
fn the_captured_session_round_trips_through_the_generated_types() {
    let session: Json =
        serde_json::from_str(&std::fs::read_to_string(SESSION).expect("vector")).expect("json");
    let mut asked: Vec<(i64, String, i64)> = Vec::new(); // (session, dir, tag)
    let frames = session["frames"].as_array().expect("frames");
    for f in frames {
        let frame = unhex(f["hex"].as_str().expect("hex"));
        let dir = f["dir"].as_str().expect("dir");
        let len = usize::from(u16::from_be_bytes([frame[0], frame[1]]));
        assert_eq!(len, frame.len() - 2);
        let package = sproto_rt::unpack(&frame[2..]).expect("unpacks");
        // Both schemas' package types are the same; each side decodes with its own.
        let (header, used) = gate_c2s::Package::decode_with_len(&package).expect("header");
        let s2c_header = gate_s2c::Package::decode(&package).expect("header");
        assert_eq!(
            (header.r#type, header.session),
            (s2c_header.r#type, s2c_header.session)
        );
        let body = &package[used..];
        let (shown, body_again) = match (header.r#type, header.session) {
            (Some(tag), session) => {
                if let Some(s) = session {
                    asked.push((s, dir.to_string(), tag));
                }
                match (dir, tag) {
                    ("c2s", 2) => again::<gate_c2s::get::Request>(body),
                    ("c2s", 3) => again::<gate_c2s::set::Request>(body),
                    ("c2s", 1 | 4) | ("s2c", 1) => (String::new(), Vec::new()),
                    other => panic!("unexpected request {other:?}"),
                }
            }
            (None, Some(s)) => {
                let (_, asked_dir, tag) = asked
                    .iter()
                    .find(|(a, d, _)| *a == s && d != dir)
                    .cloned()
                    .expect("a response to a request");
                match (asked_dir.as_str(), tag) {
                    ("c2s", 1) => again::<gate_c2s::handshake::Response>(body),
                    ("c2s", 2) => again::<gate_c2s::get::Response>(body),
                    ("c2s", 3) => (String::new(), Vec::new()),
                    other => panic!("unexpected response {other:?}"),
                }
            }
            (None, None) => panic!("a package without type and session"),
        };
        if let Some(args) = f["args"].as_object() {
            for (k, v) in args {
                assert!(
                    shown.contains(&format!("{k}: Some({v})")),
                    "{shown} lacks {k}: {v}"
                );
            }
        }
        let mut plain = header.encode();
        plain.extend(body_again);
        let mut out = Vec::new();
        let packed = sproto_rt::pack(&plain);
        out.extend((packed.len() as u16).to_be_bytes());
        out.extend(packed);
        assert_eq!(out, frame, "frame {f}");
    }
}

#[test]
fn generated_protocol_sets_are_the_schemas_protocols() {
    for (set_schema, text) in [
        (<gate_c2s::C2sProtocol as ProtocolSet>::schema(), "c2s"),
        (<gate_s2c::S2cProtocol as ProtocolSet>::schema(), "s2c"),
    ] {
        let session: Json =
            serde_json::from_str(&std::fs::read_to_string(SESSION).expect("vector")).expect("json");
        let parsed =
            Sproto::parse(session["schemas"][text].as_str().expect("text")).expect("parses");
        // The package type and the protocols' types are the whole schema here.
        assert_eq!(
            set_schema.expect("builds").to_bundle().unwrap(),
            parsed.to_bundle().unwrap()
        );
    }
    // rpc.sproto declares `.package` with a `ud`: it is the trait's package type.
    let layout = <rpc::RpcProtocol as ProtocolSet>::layout();
    assert_eq!(
        format!("{layout:?}"),
        format!(
            "{:?}",
            sproto_rt::gate::PackageLayout::from_schema(&rpc::schema().expect("builds"), "package")
                .expect("layout")
        )
    );
    assert_eq!(
        <protocols::ProtocolsProtocol as ProtocolSet>::protocols().len(),
        11
    );
}

/// skynet's example agent, on the generated trait.
#[derive(Default)]
struct Agent {
    db: Mutex<Vec<(String, String)>>,
    quit: Mutex<bool>,
}

impl gate_c2s::C2s for Agent {
    async fn handshake(&self) -> gate_c2s::handshake::Response {
        gate_c2s::handshake::Response {
            msg: Some("Welcome to skynet".to_string()),
        }
    }

    async fn get(&self, request: gate_c2s::get::Request) -> gate_c2s::get::Response {
        let db = self.db.lock().expect("lock");
        gate_c2s::get::Response {
            result: db
                .iter()
                .find(|(k, _)| Some(k) == request.what.as_ref())
                .map(|(_, v)| v.clone()),
        }
    }

    async fn set(&self, request: gate_c2s::set::Request) {
        if let (Some(k), Some(v)) = (request.what, request.value) {
            self.db.lock().expect("lock").push((k, v));
        }
    }

    async fn quit(&self) {
        *self.quit.lock().expect("lock") = true;
    }
}

/// A caller that hands each request straight to a handler.
struct Loopback<H>(H);

impl<H: Handler> Caller for Loopback<H> {
    async fn call(&self, tag: u16, body: Vec<u8>) -> Result<Payload, CallError> {
        let answer = self
            .0
            .handle(Request {
                tag,
                session: Some(1),
                ud: None,
                body: body.into(),
            })
            .await
            .map_err(|e: ProtocolError| CallError::Closed(CloseReason::Protocol(e)))?;
        Ok(Payload::from(answer.unwrap_or_default()))
    }

    async fn push(&self, tag: u16, body: Vec<u8>) -> Result<(), CallError> {
        self.0
            .handle(Request {
                tag,
                session: None,
                ud: None,
                body: body.into(),
            })
            .await
            .map(|_| ())
            .map_err(|e| CallError::Closed(CloseReason::Protocol(e)))
    }
}

#[tokio::test]
async fn the_generated_client_calls_the_generated_server() {
    let client = gate_c2s::C2sClient::new(Loopback(gate_c2s::C2sServer::new(Agent::default())));
    let hello = client.handshake().await.expect("handshake");
    assert_eq!(hello.msg.as_deref(), Some("Welcome to skynet"));
    client
        .set(gate_c2s::set::Request {
            what: Some("hello".into()),
            value: Some("world".into()),
        })
        .await
        .expect("set");
    let got = client
        .get(gate_c2s::get::Request {
            what: Some("hello".into()),
        })
        .await
        .expect("get");
    assert_eq!(got.result.as_deref(), Some("world"));
    let none = client
        .get(gate_c2s::get::Request {
            what: Some("nosuch".into()),
        })
        .await
        .expect("get");
    assert_eq!(none, gate_c2s::get::Response::default());
    client.push_quit().await.expect("quit");
    assert!(*client.caller().0.get_ref().quit.lock().expect("lock"));
}
