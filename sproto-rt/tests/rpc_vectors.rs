//! Conformance of the RPC layer against the reference's `rpc.json`: hosts, attach,
//! dispatch, responders, sessions, and the request/response encode/decode API. One
//! named trial per vector: `steps::<id>` (a step's trial replays its context's steps
//! up to it, since hosts keep sessions, and checks that one), `api::<id>`.

mod common;
use common::*;

use std::sync::Arc;

use libtest_mimic::Trial;
use serde_json::{json, Value as Json};
use sproto_rt::rpc::{Dispatch, Host, ProtocolRef};
use sproto_rt::{json as sjson, Sproto, Struct, TypeId};

fn schema(name: &str) -> Arc<Sproto> {
    let text = std::fs::read_to_string(format!("{VECTORS}/schemas/{name}")).expect("schema");
    Arc::new(Sproto::parse_named(name, &text).expect("parses"))
}

/// A JSON message as a struct of type `ty` (`None` for JSON null).
fn message(sp: &Sproto, ty: Option<TypeId>, v: &Json) -> Option<Struct> {
    if v.is_null() {
        return None;
    }
    Some(match ty {
        Some(ty) => sjson::struct_from_json(sp, &sp.types()[ty].name, v).expect("vector value"),
        None => Struct::new(),
    })
}

fn opt_int(v: &Json) -> Option<i64> {
    v.as_i64()
}

fn dispatch_json(d: &Result<Dispatch, sproto_rt::rpc::RpcError>) -> Json {
    match d {
        Err(e) => json!({ "error": e.to_string() }),
        Ok(Dispatch::Request {
            name,
            message,
            ud,
            responder,
            ..
        }) => json!({
            "kind": "REQUEST",
            "name": name,
            "message": message.as_ref().map(sjson::struct_to_json),
            "has_responder": responder.is_some(),
            "ud": ud,
        }),
        Ok(Dispatch::Response {
            session,
            message,
            ud,
        }) => json!({
            "kind": "RESPONSE",
            "session": session,
            "message": message.as_ref().map(sjson::struct_to_json),
            "ud": ud,
        }),
    }
}

fn main() {
    let text = std::fs::read_to_string(format!("{VECTORS}/rpc.json")).expect("rpc.json");
    let v: Arc<Json> = Arc::new(serde_json::from_str(&text).expect("json"));
    let mut trials = Vec::new();
    for (c, ctx) in v["contexts"]
        .as_array()
        .expect("contexts")
        .iter()
        .enumerate()
    {
        for (k, step) in ctx["steps"].as_array().expect("steps").iter().enumerate() {
            let v = Arc::clone(&v);
            let id = step["id"].as_str().expect("id");
            trials.push(Trial::test(format!("steps::{id}"), move || {
                verdict(context_step(&v["contexts"][c], k))
            }));
        }
    }
    for (i, c) in v["api"].as_array().expect("api").iter().enumerate() {
        let v = Arc::clone(&v);
        let id = c["id"].as_str().expect("id");
        trials.push(Trial::test(format!("api::{id}"), move || {
            verdict(api_case(&v["api"][i]))
        }));
    }
    run(trials)
}

/// Replays the steps of `ctx` up to step `upto` on a fresh server and client host,
/// and gives the failures of step `upto` (the earlier steps only build the hosts'
/// state, as they did for it in the recording).
fn context_step(ctx: &Json, upto: usize) -> Vec<String> {
    let mut failures = Vec::new();
    let server_sp = schema(ctx["server_schema"].as_str().expect("server"));
    let client_sp = schema(ctx["client_schema"].as_str().expect("client"));
    let package = ctx["package"].as_str().expect("package");
    let mut server = Host::new(server_sp.clone(), package).expect("server host");
    let mut client = Host::new(client_sp, package).expect("client host");
    let steps = ctx["steps"].as_array().expect("steps");
    for (k, step) in steps[..=upto].iter().enumerate() {
        let id = step["id"].as_str().expect("id");
        let mut fail = |msg: String| {
            if k == upto {
                failures.push(format!("{id}: {msg}"));
            }
        };
        if step["kind"] == "dispatch" {
            let host = if step["side"] == "server" {
                &mut server
            } else {
                &mut client
            };
            let got =
                dispatch_json(&host.dispatch(&unhex(step["packed"].as_str().expect("packed"))));
            let want = &step["result"];
            let same = if want.get("error").is_some() {
                got.get("error").is_some()
            } else {
                &got == want
            };
            if !same {
                fail(format!("dispatch gave {got}, want {want}"));
            }
            continue;
        }
        let proto = step["proto"].as_str().expect("proto");
        let args_ty = server_sp.protocol_by_name(proto).and_then(|p| p.request);
        let args = message(&server_sp, args_ty, &step["args"]);
        let request = client.attach(&server_sp).request(
            proto,
            args.as_ref(),
            opt_int(&step["session"]),
            opt_int(&step["ud"]),
        );
        let request = match (request, step.get("request_error")) {
            (Err(_), Some(_)) => continue,
            (Ok(r), None) => r,
            (r, want) => {
                fail(format!("request gave {r:?}, want error {want:?}"));
                continue;
            }
        };
        if hex(&request) != step["request_packed"].as_str().expect("request_packed") {
            fail(format!(
                "request {} want {}",
                hex(&request),
                step["request_packed"]
            ));
        }
        let d = server.dispatch(&request);
        if dispatch_json(&d) != step["server_dispatch"] {
            fail(format!(
                "server dispatch {} want {}",
                dispatch_json(&d),
                step["server_dispatch"]
            ));
        }
        let Some(response_args) = step.get("response_args") else {
            continue;
        };
        let Ok(Dispatch::Request {
            responder: Some(responder),
            ..
        }) = d
        else {
            fail("no responder".to_string());
            continue;
        };
        let resp_ty = server_sp.protocol_by_name(proto).and_then(|p| p.response);
        let resp = message(&server_sp, resp_ty, response_args);
        let reply = match (
            responder.respond(resp.as_ref(), opt_int(&step["response_ud"])),
            step.get("response_error"),
        ) {
            (Err(_), Some(_)) => continue,
            (Ok(r), None) => r,
            (r, want) => {
                fail(format!("respond gave {r:?}, want error {want:?}"));
                continue;
            }
        };
        if hex(&reply) != step["response_packed"].as_str().expect("response_packed") {
            fail(format!(
                "response {} want {}",
                hex(&reply),
                step["response_packed"]
            ));
        }
        let got = dispatch_json(&client.dispatch(&reply));
        if got != step["client_dispatch"] {
            fail(format!(
                "client dispatch {got} want {}",
                step["client_dispatch"]
            ));
        }
    }
    failures
}

/// One call of the request/response encode/decode API gives the reference's result
/// (or fails where it fails).
fn api_case(c: &Json) -> Vec<String> {
    let sp = schema(c["schema"].as_str().expect("schema"));
    let proto = match &c["proto"] {
        Json::String(s) => ProtocolRef::Name(s),
        n => ProtocolRef::Tag(n.as_u64().expect("tag") as u16),
    };
    let p = sp.protocol(proto).ok();
    let got: Result<Json, String> = match c["fn"].as_str().expect("fn") {
        "request_encode" => {
            let arg = message(&sp, p.and_then(|p| p.request), &c["arg"]).unwrap_or_default();
            sp.request_encode(proto, &arg)
                .map(|(b, tag)| json!({"result": hex(&b), "tag": tag}))
                .map_err(|e| e.to_string())
        }
        "response_encode" => {
            let arg = message(&sp, p.and_then(|p| p.response), &c["arg"]);
            sp.response_encode(proto, arg.as_ref())
                .map(|b| json!({"result": hex(&b)}))
                .map_err(|e| e.to_string())
        }
        "request_decode" => sp
            .request_decode(proto, &unhex(c["arg"].as_str().expect("arg")))
            .map(|(m, name)| json!({"result": m.as_ref().map(sjson::struct_to_json), "name": name}))
            .map_err(|e| e.to_string()),
        "response_decode" => sp
            .response_decode(proto, &unhex(c["arg"].as_str().expect("arg")))
            .map(|m| json!({"result": m.as_ref().map(sjson::struct_to_json)}))
            .map_err(|e| e.to_string()),
        other => panic!("unknown fn {other}"),
    };
    let ok = match (&got, c.get("error")) {
        (Err(_), Some(_)) => true,
        (Ok(g), None) => {
            g["result"] == c["result"]
                && c.get("tag").map_or(true, |t| &g["tag"] == t)
                && c.get("name").map_or(true, |n| &g["name"] == n)
        }
        _ => false,
    };
    if ok {
        return Vec::new();
    }
    vec![format!("{}: got {got:?}", c["id"])]
}
