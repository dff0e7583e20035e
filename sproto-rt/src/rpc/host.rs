//! `sproto:host(package)`: requests with a package header, dispatch of incoming
//! packets, responders, and the table of sessions waiting for a response.

use std::collections::HashMap;
use std::sync::Arc;

use super::{encode_response, ProtocolRef, ResponseKind, RpcError};
use crate::pack::{pack_into, unpack};
use crate::schema::{Sproto, TypeId};
use crate::value::{Struct, Value};

/// One side of a sproto RPC conversation: a schema with a package (header) type.
///
/// ```
/// use std::sync::Arc;
/// use sproto_rt::rpc::{Dispatch, Host};
/// use sproto_rt::{Sproto, Struct, Value};
///
/// let package = ".package { type 0 : integer  session 1 : integer }\n";
/// let server_schema = Arc::new(Sproto::parse(&format!(
///     "{package}get 1 {{ request {{ id 0 : integer }} response {{ name 0 : string }} }}"
/// )).unwrap());
/// let mut server = Host::new(server_schema.clone(), "package").unwrap();
/// let mut client = Host::new(Arc::new(Sproto::parse(package).unwrap()), "package").unwrap();
///
/// let packet = client.attach(&server_schema).request("get", Some(&Struct::new().with("id", 7)), Some(1), None).unwrap();
/// let Dispatch::Request { name, message, responder, .. } = server.dispatch(&packet).unwrap() else { panic!() };
/// assert_eq!((name.as_str(), message.unwrap().get("id")), ("get", Some(&Value::Integer(7))));
/// let reply = responder.unwrap().respond(Some(&Struct::new().with("name", "seven")), None).unwrap();
/// let Dispatch::Response { session, message, .. } = client.dispatch(&reply).unwrap() else { panic!() };
/// assert_eq!((session, message.unwrap().get("name")), (1, Some(&Value::from("seven"))));
/// ```
#[derive(Debug, Clone)]
pub struct Host {
    sp: Arc<Sproto>,
    package: TypeId,
    /// Sessions of requests sent and not yet answered, with what the answer carries.
    /// Keeps the remote schema the request was encoded with.
    sessions: HashMap<i64, (Arc<Sproto>, ResponseKind)>,
}

/// What [`Host::dispatch`] found in a packet.
#[derive(Debug)]
pub enum Dispatch {
    /// A request for one of this host's protocols.
    Request {
        /// The protocol's name.
        name: String,
        /// The protocol's tag.
        tag: u16,
        /// The request message (`None` when the protocol has no request type).
        message: Option<Struct>,
        /// The header's `ud`, if any.
        ud: Option<i64>,
        /// Present exactly when the request carries a session.
        responder: Option<Responder>,
    },
    /// A response to a request this host sent.
    Response {
        /// The request's session.
        session: i64,
        /// The response message (`None` for protocols without a response type).
        message: Option<Struct>,
        /// The header's `ud`, if any.
        ud: Option<i64>,
    },
}

/// Answers one request: builds the response packet for its session.
#[derive(Debug, Clone)]
pub struct Responder {
    sp: Arc<Sproto>,
    package: TypeId,
    protocol: usize,
    session: i64,
}

impl Responder {
    /// The session being answered.
    pub fn session(&self) -> i64 {
        self.session
    }

    /// The packed response: a header with the session (and `ud`), then the message
    /// when the protocol has a response type. `response nil` protocols take `None`.
    pub fn respond(&self, message: Option<&Struct>, ud: Option<i64>) -> Result<Vec<u8>, RpcError> {
        let p = &self.sp.protocols()[self.protocol];
        let mut header = Struct::with_capacity(2);
        header.insert("session", self.session);
        if let Some(ud) = ud {
            header.insert("ud", ud);
        }
        let body = encode_response(&self.sp, p, message)?;
        let mut plain = Vec::with_capacity(16 + body.len());
        self.sp
            .encode_type_into(self.package, &header, &mut plain)?;
        plain.extend_from_slice(&body);
        Ok(packed(&plain))
    }
}

fn packed(plain: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(plain.len() + plain.len() / 8 + 2);
    pack_into(plain, &mut out);
    out
}

/// A [`Host`] attached to a remote schema: makes request packets for its protocols.
#[derive(Debug)]
pub struct Attached<'h> {
    host: &'h mut Host,
    remote: Arc<Sproto>,
}

impl Attached<'_> {
    /// A packed request (`request(name, args, session, ud)` of `host:attach`): the
    /// header (`type` = the protocol's tag, `session`, `ud` if the package type has a
    /// `ud` field) followed by the request message when the protocol has a request
    /// type. With a session, the host then waits for its response.
    pub fn request<'p>(
        &mut self,
        proto: impl Into<ProtocolRef<'p>>,
        args: Option<&Struct>,
        session: Option<i64>,
        ud: Option<i64>,
    ) -> Result<Vec<u8>, RpcError> {
        let p = self.remote.protocol(proto)?;
        let mut header = Struct::with_capacity(3);
        header.insert("type", i64::from(p.tag));
        if let Some(s) = session {
            header.insert("session", s);
        }
        if let Some(ud) = ud {
            header.insert("ud", ud);
        }
        let mut plain = Vec::new();
        self.host
            .sp
            .encode_type_into(self.host.package, &header, &mut plain)?;
        if let Some(ty) = p.request {
            let empty = Struct::new();
            self.remote
                .encode_type_into(ty, args.unwrap_or(&empty), &mut plain)?;
        }
        if let Some(s) = session {
            self.host
                .sessions
                .insert(s, (self.remote.clone(), ResponseKind::of(p)));
        }
        Ok(packed(&plain))
    }
}

impl Host {
    /// A host for schema `sp` whose header type is `package` (usually `"package"`).
    pub fn new(sp: Arc<Sproto>, package: &str) -> Result<Host, RpcError> {
        let package = sp
            .type_id(package)
            .ok_or_else(|| RpcError::UnknownPackage(package.to_string()))?;
        Ok(Host {
            sp,
            package,
            sessions: HashMap::new(),
        })
    }

    /// This host's schema.
    pub fn schema(&self) -> &Arc<Sproto> {
        &self.sp
    }

    /// Attaches to the schema of the other side, to send it requests.
    pub fn attach(&mut self, remote: &Arc<Sproto>) -> Attached<'_> {
        Attached {
            host: self,
            remote: remote.clone(),
        }
    }

    /// Sessions waiting for a response.
    pub fn pending_sessions(&self) -> impl Iterator<Item = i64> + '_ {
        self.sessions.keys().copied()
    }

    /// Reads one packet: a request for this host's protocols (when the header has a
    /// `type`) or a response to one of its pending sessions.
    pub fn dispatch(&mut self, packet: &[u8]) -> Result<Dispatch, RpcError> {
        let plain = unpack(packet)?;
        let (header, used) = self.sp.decode_type(self.package, &plain)?;
        let content = &plain[used..];
        let field = |name: &'static str| match header.get(name) {
            None => Ok(None),
            Some(Value::Integer(i)) => Ok(Some(*i)),
            Some(_) => Err(RpcError::BadHeader(name)),
        };
        let (ty, session, ud) = (field("type")?, field("session")?, field("ud")?);
        match ty {
            Some(tag) => {
                let p = u16::try_from(tag)
                    .ok()
                    .and_then(|t| self.sp.protocols().iter().position(|p| p.tag == t))
                    .ok_or_else(|| RpcError::UnknownProtocol(tag.to_string()))?;
                let proto = &self.sp.protocols()[p];
                let message = match proto.request {
                    Some(req) => Some(self.sp.decode_type(req, content)?.0),
                    None => None,
                };
                Ok(Dispatch::Request {
                    name: proto.name.clone(),
                    tag: proto.tag,
                    message,
                    ud,
                    responder: session.map(|session| Responder {
                        sp: self.sp.clone(),
                        package: self.package,
                        protocol: p,
                        session,
                    }),
                })
            }
            None => {
                let session = session.ok_or(RpcError::SessionNotFound)?;
                let (remote, kind) = self
                    .sessions
                    .remove(&session)
                    .ok_or(RpcError::UnknownSession(session))?;
                let message = match kind {
                    ResponseKind::Message(ty) => Some(remote.decode_type(ty, content)?.0),
                    _ => None,
                };
                Ok(Dispatch::Response {
                    session,
                    message,
                    ud,
                })
            }
        }
    }
}
