//! `sproto call` and `sproto bench`: a game client of a skynet gate (TCP with 2-byte
//! length frames, or WebSocket), speaking the server's protocols with a loaded schema
//! and values in the sproto JSON convention.
//!
//! What both share is here: the connection flags, the schemas and the package
//! header, the request message read from JSON, and the handler of the requests the
//! server sends (a heartbeat): answered with an empty response when they carry a
//! session, and shown as JSON lines by `call --watch`.

pub mod bench;
pub mod call;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use serde_json::{json, Value as Json};
use sproto_cli::io::{encode_hex, parse_json};
use sproto_rt::gate::{PackageLayout, ProtocolError};
use sproto_rt::net::{connect_tcp, connect_ws, Config, Peer};
use sproto_rt::rpc::{Handler, Request};
use sproto_rt::schema::TypeId;
use sproto_rt::{json, Sproto, Struct};

use crate::schema_cmd::load_schema;

/// Parses a positive number of seconds (a clap value parser).
pub fn positive_secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .filter(|d| !d.is_zero())
        .ok_or_else(|| format!("{text:?}: expected a positive number of seconds"))
}

/// Parses a number of seconds, zero allowed (a clap value parser).
pub fn secs(text: &str) -> Result<Duration, String> {
    text.parse::<f64>()
        .ok()
        .and_then(|v| Duration::try_from_secs_f64(v).ok())
        .ok_or_else(|| format!("{text:?}: expected a number of seconds"))
}

/// Where the gate is, how to speak to it, and the schemas of both sides.
#[derive(Args, Debug)]
pub struct ConnectArgs {
    /// The gate server to connect to: HOST:PORT (with --ws, a ws:// URL also works).
    #[arg(long, value_name = "HOST:PORT")]
    pub connect: String,
    /// The server's protocols (its c2s schema: what this client may call), as a
    /// .sproto text or a binary bundle (detected as `sproto dump` does).
    #[arg(long, value_name = "C2S")]
    pub schema: PathBuf,
    /// This client's own protocols (the s2c schema: the requests the server may send
    /// us, such as a heartbeat), as a .sproto text or a bundle. Without it, the
    /// server's requests are answered with a header-only package (and --watch shows
    /// them by tag).
    #[arg(long, value_name = "S2C")]
    pub s2c: Option<PathBuf>,
    /// The package (header) type with the `type` and `session` fields: taken from
    /// --s2c when it declares it (as skynet's client host does), else from --schema.
    #[arg(long, value_name = "NAME", default_value = "package")]
    pub package: String,
    /// Connect with WebSocket (ws://HOST:PORT/, one binary message per package)
    /// instead of TCP with 2-byte length frames.
    #[arg(long)]
    pub ws: bool,
    /// Seconds a call waits for its answer (and connecting may take).
    #[arg(long, value_name = "SECS", default_value = "10", value_parser = positive_secs)]
    pub timeout: Duration,
}

/// The schemas of both sides and the package header.
pub struct Schemas {
    /// The server's protocols.
    pub c2s: Arc<Sproto>,
    /// Ours, when given.
    pub s2c: Option<Arc<Sproto>>,
    /// The header fields' tags.
    pub layout: PackageLayout,
}

impl ConnectArgs {
    /// Loads the schemas and finds the package type.
    pub fn schemas(&self) -> Result<Schemas, String> {
        let c2s = load_schema(&self.schema, false, false)?;
        let s2c = match &self.s2c {
            Some(p) => Some(load_schema(p, false, false)?),
            None => None,
        };
        let (sp, path) = match (&s2c, &self.s2c) {
            (Some(sp), Some(path)) if sp.type_by_name(&self.package).is_some() => (sp, path),
            _ => (&c2s, &self.schema),
        };
        let layout = PackageLayout::from_schema(sp, &self.package).map_err(|e| {
            format!(
                "{}: {e} (the package header type; name it with --package NAME)",
                path.display()
            )
        })?;
        Ok(Schemas {
            c2s: Arc::new(c2s),
            s2c: s2c.map(Arc::new),
            layout,
        })
    }

    /// How to open connections to the gate with the header layout of `schemas`.
    pub fn dialer(&self, schemas: &Schemas) -> Dialer {
        let target = if self.ws && !self.connect.contains("://") {
            format!("ws://{}/", self.connect)
        } else {
            self.connect.clone()
        };
        Dialer {
            target,
            ws: self.ws,
            // The tool's own flags bound how long it waits (--timeout, --watch), so a
            // quiet server is not an idle connection to close.
            config: Config::default()
                .layout(schemas.layout)
                .call_timeout(Some(self.timeout))
                .idle_timeout(None),
            timeout: self.timeout,
        }
    }
}

/// Opens connections to the gate.
#[derive(Clone)]
pub struct Dialer {
    /// The WebSocket URL, or the TCP address.
    target: String,
    ws: bool,
    config: Config,
    /// How long connecting may take.
    timeout: Duration,
}

impl Dialer {
    /// Opens one connection whose server requests go to `handler`.
    pub async fn connect(&self, handler: Incoming) -> Result<Peer, String> {
        let (target, config) = (self.target.as_str(), self.config.clone());
        let connecting = async {
            if self.ws {
                connect_ws(target, config, |_| handler)
                    .await
                    .map_err(|e| e.to_string())
            } else {
                connect_tcp(target, config, |_| handler)
                    .await
                    .map_err(|e| e.to_string())
            }
        };
        match tokio::time::timeout(self.timeout, connecting).await {
            Ok(Ok(peer)) => Ok(peer),
            Ok(Err(e)) => Err(format!("cannot connect to {target}: {e}")),
            Err(_) => Err(format!(
                "cannot connect to {target}: no connection within {:?}",
                self.timeout
            )),
        }
    }
}

/// A request of a protocol of the server, read from the command line.
pub struct Call {
    /// The protocol's name.
    pub proto: String,
    /// Its tag.
    pub tag: u16,
    /// The request message (`None` when the protocol takes none).
    pub args: Option<Struct>,
    /// The encoded request message.
    pub body: Vec<u8>,
    /// The response type, when the protocol answers with a message.
    pub response: Option<TypeId>,
}

impl Call {
    /// Reads `request` (one JSON value; none: `{}`) as the request message of
    /// `proto`, and encodes it.
    pub fn new(sp: &Sproto, proto: &str, request: Option<&str>) -> Result<Call, String> {
        let p = sp.protocol_by_name(proto).ok_or_else(|| {
            let known: Vec<&str> = sp.protocols().iter().map(|p| p.name.as_str()).collect();
            format!(
                "unknown protocol {proto:?}; the schema has: {}",
                if known.is_empty() {
                    "no protocols".to_string()
                } else {
                    known.join(", ")
                }
            )
        })?;
        let json = match request {
            Some(text) => {
                Some(parse_json(text).map_err(|e| format!("{proto} request {text:?}: {e}"))?)
            }
            None => None,
        };
        let (args, body) = match (p.request, json) {
            (None, None | Some(Json::Null)) => (None, Vec::new()),
            (None, Some(_)) => {
                return Err(format!(
                    "protocol {proto} takes no request message, but one was given"
                ))
            }
            (Some(ty), json) => {
                let name = &sp.types()[ty].name;
                let json = json.unwrap_or_else(|| json!({}));
                let args = json::struct_from_json(sp, name, &json)
                    .map_err(|e| format!("{proto} request ({name}): {e}"))?;
                let mut body = Vec::new();
                sp.encode_type_into(ty, &args, &mut body)
                    .map_err(|e| format!("{proto} request ({name}): {e}"))?;
                (Some(args), body)
            }
        };
        Ok(Call {
            proto: proto.to_string(),
            tag: p.tag,
            args,
            body,
            response: p.response,
        })
    }
}

/// Where [`Incoming`] sends the JSON line of each request of the server.
pub type Show = Box<dyn Fn(Json) + Send + Sync>;

/// The handler of the server's requests: each one with a session gets an empty
/// response (`{}` when its protocol has a response type, else the header alone);
/// `show`, when set, gets `{"request":NAME,"session":N|null,"args":JSON|null}`.
pub struct Incoming {
    s2c: Option<Arc<Sproto>>,
    show: Option<Show>,
    warned: AtomicBool,
}

impl Incoming {
    /// Answers requests of the `s2c` protocols, showing them to `show`.
    pub fn new(s2c: Option<Arc<Sproto>>, show: Option<Show>) -> Self {
        Incoming {
            s2c,
            show,
            warned: AtomicBool::new(false),
        }
    }

    /// The JSON line of a request: by name when --s2c knows its tag, else by tag;
    /// a message that does not decode (or of an unknown protocol) as `{"$bin":HEX}`.
    fn describe(&self, request: &Request) -> Json {
        // 0-packing pads a package with zeros: a body of zeros alone carries nothing.
        let raw = || match request.body.iter().all(|&b| b == 0) {
            true => Json::Null,
            false => json!({ "$bin": encode_hex(&request.body) }),
        };
        let Some((sp, p)) = self
            .s2c
            .as_ref()
            .and_then(|sp| Some((sp, sp.protocol_by_tag(request.tag)?)))
        else {
            if !self.warned.swap(true, Ordering::Relaxed) {
                let why = match self.s2c {
                    Some(_) => "which is not in the --s2c schema",
                    None => "and no --s2c schema names it",
                };
                eprintln!("note: the server sent protocol tag {}, {why}", request.tag);
            }
            return json!({ "request": request.tag, "session": request.session, "args": raw() });
        };
        let args = match p.request {
            None => Json::Null,
            Some(ty) => match sp.decode_type(ty, &request.body) {
                Ok((s, _)) => json::struct_to_json(&s),
                Err(e) => {
                    eprintln!("note: the server's {} request does not decode: {e}", p.name);
                    raw()
                }
            },
        };
        json!({ "request": p.name, "session": request.session, "args": args })
    }
}

impl Handler for Incoming {
    async fn handle(&self, request: Request) -> Result<Option<Vec<u8>>, ProtocolError> {
        if let Some(show) = &self.show {
            show(self.describe(&request));
        }
        let response = self.s2c.as_ref().and_then(|sp| {
            let ty = sp.protocol_by_tag(request.tag)?.response?;
            let mut empty = Vec::new();
            sp.encode_type_into(ty, &Struct::new(), &mut empty).ok()?;
            Some(empty)
        });
        Ok(response)
    }
}
