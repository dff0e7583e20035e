//! skynet's `examples/proto.lua` as typed protocols: `c2s` (what the game client calls
//! on the server) and `s2c` (what the server pushes to the client), with the same
//! schema bytes as `sprotoparser` makes from the Lua file's text.

use sproto_rt::{protocol, Sproto};

/// `handshake 1 { response { msg 0 : string } }`
#[derive(Sproto, Debug, Clone, Default, PartialEq)]
#[sproto(name = "handshake.response")]
pub struct HandshakeResponse {
    /// The greeting.
    #[sproto(tag = 0)]
    pub msg: Option<String>,
}

/// `get 2 { request { what 0 : string } ... }`
#[derive(Sproto, Debug, Clone, Default, PartialEq)]
#[sproto(name = "get.request")]
pub struct GetRequest {
    /// The key.
    #[sproto(tag = 0)]
    pub what: Option<String>,
}

/// `get 2 { ... response { result 0 : string } }`
#[derive(Sproto, Debug, Clone, Default, PartialEq)]
#[sproto(name = "get.response")]
pub struct GetResponse {
    /// The value, absent for an unknown key.
    #[sproto(tag = 0)]
    pub result: Option<String>,
}

/// `set 3 { request { what 0 : string  value 1 : string } }`
#[derive(Sproto, Debug, Clone, Default, PartialEq)]
#[sproto(name = "set.request")]
pub struct SetRequest {
    /// The key.
    #[sproto(tag = 0)]
    pub what: Option<String>,
    /// The value.
    #[sproto(tag = 1)]
    pub value: Option<String>,
}

/// What the game client calls on the server (`proto.c2s`).
#[protocol]
pub trait C2s {
    /// The greeting.
    #[sproto(tag = 1)]
    async fn handshake(&self) -> HandshakeResponse;
    /// Reads a key.
    #[sproto(tag = 2)]
    async fn get(&self, request: GetRequest) -> GetResponse;
    /// Writes a key (answered with a header-only package).
    #[sproto(tag = 3)]
    async fn set(&self, request: SetRequest);
    /// Ends the session: the server closes the connection without answering.
    #[sproto(tag = 4)]
    async fn quit(&self);
}

/// What the server pushes to the game client (`proto.s2c`).
#[protocol]
pub trait S2c {
    /// Sent every 5 seconds, without a session.
    #[sproto(tag = 1)]
    async fn heartbeat(&self);
}
