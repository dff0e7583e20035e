//! The optional shared-secret handshake between Rust nodes (feature `auth`), sans IO:
//! the messages and their checks; the node's shell reads and writes them, with a
//! deadline, before the first frame of a connection.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// The first bytes of a hello (an authenticating client's first bytes).
pub const AUTH_MAGIC: [u8; 4] = *b"SKA1";
/// Bytes of a nonce.
pub const NONCE_LEN: usize = 32;
/// Bytes of a MAC (HMAC-SHA256).
pub const MAC_LEN: usize = 32;
/// Bytes of the client's hello: the magic and its nonce.
pub const HELLO_LEN: usize = AUTH_MAGIC.len() + NONCE_LEN;
/// Bytes of the server's challenge: its nonce and its MAC.
pub const CHALLENGE_LEN: usize = NONCE_LEN + MAC_LEN;
/// Bytes of the client's proof: its MAC.
pub const PROOF_LEN: usize = MAC_LEN;
/// The server's last message: the client is accepted.
pub const ACCEPTED: u8 = 0x01;

const SERVER_LABEL: &[u8] = b"skynet-cluster auth v1 server";
const CLIENT_LABEL: &[u8] = b"skynet-cluster auth v1 client";

/// Why a handshake failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum AuthError {
    /// An empty secret.
    #[error("the shared secret is empty")]
    EmptySecret,
    /// The peer's first bytes are not a hello (a plain skynet peer, or garbage).
    #[error("the peer did not start the authentication handshake")]
    NotAHello,
    /// The server's MAC is wrong: it does not know the secret.
    #[error("the node did not prove it knows the shared secret")]
    BadServerProof,
    /// The client's MAC is wrong: it does not know the secret.
    #[error("the peer did not prove it knows the shared secret")]
    BadClientProof,
    /// [`ServerHandshake::verify`] before [`ServerHandshake::challenge`].
    #[error("handshake messages out of order")]
    OutOfOrder,
}

/// A shared secret (the bytes of a key file, for instance), kept as its keyed HMAC
/// state. Its `Debug` shows nothing of it.
///
/// ```
/// use skynet_cluster::proto::AuthSecret;
///
/// let s = AuthSecret::new("s3cret")?;
/// assert_eq!(format!("{s:?}"), "AuthSecret(..)");
/// assert!(AuthSecret::new("").is_err());
/// # Ok::<(), skynet_cluster::proto::AuthError>(())
/// ```
#[derive(Clone)]
pub struct AuthSecret(Arc<Hmac<Sha256>>);

impl AuthSecret {
    /// A secret of these bytes (at least one; use 32 random bytes).
    ///
    /// # Errors
    ///
    /// [`AuthError::EmptySecret`].
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, AuthError> {
        let b = bytes.as_ref();
        if b.is_empty() {
            return Err(AuthError::EmptySecret);
        }
        // The keyed HMAC state, kept instead of the bytes (HMAC takes any key length).
        let keyed = <Hmac<Sha256> as Mac>::new_from_slice(b).map_err(|_| AuthError::EmptySecret)?;
        Ok(Self(Arc::new(keyed)))
    }

    fn mac(
        &self,
        label: &[u8],
        client: &[u8; NONCE_LEN],
        server: &[u8; NONCE_LEN],
    ) -> Hmac<Sha256> {
        let mut mac = (*self.0).clone();
        mac.update(label);
        mac.update(client);
        mac.update(server);
        mac
    }

    fn tag(
        &self,
        label: &[u8],
        client: &[u8; NONCE_LEN],
        server: &[u8; NONCE_LEN],
    ) -> [u8; MAC_LEN] {
        self.mac(label, client, server)
            .finalize()
            .into_bytes()
            .into()
    }

    /// Constant-time check of `tag`.
    fn check(
        &self,
        label: &[u8],
        client: &[u8; NONCE_LEN],
        server: &[u8; NONCE_LEN],
        tag: &[u8],
    ) -> bool {
        self.mac(label, client, server).verify_slice(tag).is_ok()
    }
}

impl fmt::Debug for AuthSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("AuthSecret(..)")
    }
}

fn split_nonce(bytes: &[u8]) -> [u8; NONCE_LEN] {
    let mut n = [0; NONCE_LEN];
    n.copy_from_slice(&bytes[..NONCE_LEN]);
    n
}

/// The client's side of the handshake, with its fresh random `nonce`.
#[derive(Debug, Clone)]
pub struct ClientHandshake {
    secret: AuthSecret,
    nonce: [u8; NONCE_LEN],
}

impl ClientHandshake {
    /// A handshake with `secret` and this connection's `nonce` (random; never reuse).
    pub fn new(secret: &AuthSecret, nonce: [u8; NONCE_LEN]) -> Self {
        Self {
            secret: secret.clone(),
            nonce,
        }
    }

    /// The first message.
    pub fn hello(&self) -> [u8; HELLO_LEN] {
        let mut m = [0; HELLO_LEN];
        m[..AUTH_MAGIC.len()].copy_from_slice(&AUTH_MAGIC);
        m[AUTH_MAGIC.len()..].copy_from_slice(&self.nonce);
        m
    }

    /// Checks the server's challenge and returns the proof to send.
    ///
    /// # Errors
    ///
    /// [`AuthError::BadServerProof`]: close the connection, send nothing.
    pub fn answer(&self, challenge: &[u8; CHALLENGE_LEN]) -> Result<[u8; PROOF_LEN], AuthError> {
        let server = split_nonce(challenge);
        if !self
            .secret
            .check(SERVER_LABEL, &self.nonce, &server, &challenge[NONCE_LEN..])
        {
            return Err(AuthError::BadServerProof);
        }
        Ok(self.secret.tag(CLIENT_LABEL, &self.nonce, &server))
    }
}

/// The server's side of the handshake, with its fresh random `nonce`.
///
/// # The exchange
///
/// ```text
/// client → server   hello:     "SKA1" ‖ client nonce (32 random bytes)
/// server → client   challenge: server nonce (32 random bytes) ‖ HMAC(secret, "skynet-cluster auth v1 server" ‖ cn ‖ sn)
/// client → server   proof:     HMAC(secret, "skynet-cluster auth v1 client" ‖ cn ‖ sn)
/// server → client   accept:    0x01
/// ```
///
/// HMAC is HMAC-SHA256 keyed with the secret; `cn` / `sn` are the two nonces. Both
/// sides prove they know the secret (mutual): the client checks the server's MAC
/// before it sends anything else, the server checks the client's before it reads a
/// single frame. Every MAC covers both fresh nonces, so a recorded exchange proves
/// nothing on another connection (replay-safe); the role labels differ, so a MAC
/// cannot be reflected back to its sender. MACs are compared in constant time. The
/// messages have fixed sizes (36, 64, 32, 1 bytes): a peer cannot make a node buffer
/// more, and the shell bounds the whole exchange in time.
///
/// # What it protects, and what not
///
/// It decides **who may open a connection**: a node requiring it serves only peers
/// that know the secret, and a client using it talks only to nodes that know it.
/// It is **not a substitute for TLS**: what follows on the connection is plain skynet
/// frames — not encrypted (anyone on the path reads it), not integrity-protected
/// (anyone on the path can change or inject frames), and an attacker who can take
/// over the TCP connection after the handshake (a man in the middle) gets an
/// authenticated connection. Use it on a network you trust against active attackers,
/// or under TLS / a VPN / WireGuard. A skynet node never speaks it: use it only
/// between Rust nodes that are both configured with the same secret.
///
/// ```
/// use skynet_cluster::proto::{AuthSecret, ClientHandshake, ServerHandshake};
///
/// let secret = AuthSecret::new(b"correct horse battery staple")?;
/// let client = ClientHandshake::new(&secret, [1; 32]);
/// let mut server = ServerHandshake::new(&secret, [2; 32]);
/// let challenge = server.challenge(&client.hello())?;   // the server's proof inside
/// let proof = client.answer(&challenge)?;               // checks it, proves its own
/// server.verify(&proof)?;                               // now frames may be read
///
/// // A client with another secret is refused, and learns nothing useful.
/// let intruder = ClientHandshake::new(&AuthSecret::new(b"guess")?, [3; 32]);
/// let mut server = ServerHandshake::new(&secret, [4; 32]);
/// let challenge = server.challenge(&intruder.hello())?;
/// assert!(intruder.answer(&challenge).is_err());        // the server's MAC is not for its secret
/// # Ok::<(), skynet_cluster::proto::AuthError>(())
/// ```
#[derive(Debug, Clone)]
pub struct ServerHandshake {
    secret: AuthSecret,
    nonce: [u8; NONCE_LEN],
    client: Option<[u8; NONCE_LEN]>,
}

impl ServerHandshake {
    /// A handshake with `secret` and this connection's `nonce` (random; never reuse).
    pub fn new(secret: &AuthSecret, nonce: [u8; NONCE_LEN]) -> Self {
        Self {
            secret: secret.clone(),
            nonce,
            client: None,
        }
    }

    /// Whether the first bytes received so far (any prefix of a hello) can still be
    /// a hello: a plain skynet peer is refused on its first bytes.
    pub fn may_be_hello(prefix: &[u8]) -> bool {
        let n = prefix.len().min(AUTH_MAGIC.len());
        prefix[..n] == AUTH_MAGIC[..n]
    }

    /// Takes the client's hello; returns the challenge to send.
    ///
    /// # Errors
    ///
    /// [`AuthError::NotAHello`]: refuse the connection.
    pub fn challenge(&mut self, hello: &[u8; HELLO_LEN]) -> Result<[u8; CHALLENGE_LEN], AuthError> {
        if hello[..AUTH_MAGIC.len()] != AUTH_MAGIC {
            return Err(AuthError::NotAHello);
        }
        let client = split_nonce(&hello[AUTH_MAGIC.len()..]);
        self.client = Some(client);
        let mut m = [0; CHALLENGE_LEN];
        m[..NONCE_LEN].copy_from_slice(&self.nonce);
        m[NONCE_LEN..].copy_from_slice(&self.secret.tag(SERVER_LABEL, &client, &self.nonce));
        Ok(m)
    }

    /// Checks the client's proof (constant time): `Ok` means the client knows the
    /// secret, and the connection may be served (send [`ACCEPTED`]).
    ///
    /// # Errors
    ///
    /// [`AuthError::BadClientProof`] (refuse the connection) or
    /// [`AuthError::OutOfOrder`].
    pub fn verify(&self, proof: &[u8; PROOF_LEN]) -> Result<(), AuthError> {
        let client = self.client.as_ref().ok_or(AuthError::OutOfOrder)?;
        if self.secret.check(CLIENT_LABEL, client, &self.nonce, proof) {
            Ok(())
        } else {
            Err(AuthError::BadClientProof)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn hex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    /// The MACs of fixed nonces, computed independently (Python's `hmac` module:
    /// `hmac.new(b"k", b"skynet-cluster auth v1 server" + bytes([1]*32) + bytes([2]*32), "sha256")`).
    #[test]
    fn fixed_vectors() {
        let secret = AuthSecret::new(b"k").unwrap();
        let client = ClientHandshake::new(&secret, [1; 32]);
        let mut server = ServerHandshake::new(&secret, [2; 32]);
        let hello = client.hello();
        assert_eq!(&hello[..4], b"SKA1");
        let challenge = server.challenge(&hello).unwrap();
        assert_eq!(challenge[..32], [2; 32]);
        assert_eq!(challenge[32..], hex(SERVER_MAC)[..]);
        let proof = client.answer(&challenge).unwrap();
        assert_eq!(proof[..], hex(CLIENT_MAC)[..]);
        server.verify(&proof).unwrap();
    }

    const SERVER_MAC: &str = "36142c2276dff066a2e4fe82cdfde05f685ac1e12c6622a5d922738c1105232d";
    const CLIENT_MAC: &str = "3f9ac294b2aa25464e0fa3ed9f5baad08dc99a046d929246a096982af632b64c";

    #[test]
    fn replayed_and_reflected_proofs_fail() {
        let secret = AuthSecret::new(b"s").unwrap();
        let client = ClientHandshake::new(&secret, [7; 32]);
        let mut s1 = ServerHandshake::new(&secret, [8; 32]);
        let proof = client
            .answer(&s1.challenge(&client.hello()).unwrap())
            .unwrap();
        s1.verify(&proof).unwrap();
        // The same client nonce and proof on a connection with another server nonce.
        let mut s2 = ServerHandshake::new(&secret, [9; 32]);
        s2.challenge(&client.hello()).unwrap();
        assert_eq!(s2.verify(&proof), Err(AuthError::BadClientProof));
        // The server's own MAC sent back as the client's proof.
        let mut s3 = ServerHandshake::new(&secret, [10; 32]);
        let ch = s3.challenge(&client.hello()).unwrap();
        let mut reflected = [0; 32];
        reflected.copy_from_slice(&ch[32..]);
        assert_eq!(s3.verify(&reflected), Err(AuthError::BadClientProof));
        // A recorded challenge replayed to a client with a fresh nonce.
        let fresh = ClientHandshake::new(&secret, [11; 32]);
        assert_eq!(fresh.answer(&ch), Err(AuthError::BadServerProof));
    }

    #[test]
    fn wrong_secret_and_plain_peers_are_refused() {
        let a = AuthSecret::new(b"a").unwrap();
        let b = AuthSecret::new(b"b").unwrap();
        let client = ClientHandshake::new(&b, [1; 32]);
        let mut server = ServerHandshake::new(&a, [2; 32]);
        let ch = server.challenge(&client.hello()).unwrap();
        assert_eq!(client.answer(&ch), Err(AuthError::BadServerProof));
        // A client that ignores the server's proof still cannot make its own.
        let forged = b.tag(CLIENT_LABEL, &[1; 32], &[2; 32]);
        assert_eq!(server.verify(&forged), Err(AuthError::BadClientProof));
        assert_eq!(
            ServerHandshake::new(&a, [0; 32]).verify(&[0; 32]),
            Err(AuthError::OutOfOrder)
        );
        // A skynet request frame (length 0x0011, then 0x80...) is no hello.
        assert!(!ServerHandshake::may_be_hello(b"\x00\x11\x80"));
        assert!(ServerHandshake::may_be_hello(b"SK"));
        assert!(ServerHandshake::may_be_hello(b"SKA1xyz"));
        let mut plain = [0u8; HELLO_LEN];
        plain[..4].copy_from_slice(b"\x00\x11\x80\x04");
        assert_eq!(server.challenge(&plain), Err(AuthError::NotAHello));
    }
}
