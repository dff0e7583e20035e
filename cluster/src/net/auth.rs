//! The I/O of the optional shared-secret handshake (feature `auth`; the messages and
//! checks are [`proto::ServerHandshake`](crate::proto) / `ClientHandshake`): the
//! client runs it right after connecting to a node configured with a secret, a
//! listener that requires it runs it on each accepted connection before reading a
//! single frame. Without the feature (or without a secret) both are plain TCP.

use std::io;
use std::net::SocketAddr;
#[cfg(feature = "auth")]
use std::sync::atomic::{AtomicU64, Ordering};
#[cfg(feature = "auth")]
use std::sync::Mutex;
use std::time::Duration;

use tokio::net::TcpStream;

use super::options::NodeOptions;
#[cfg(feature = "auth")]
use crate::proto::log_limit::LogLimit;
#[cfg(feature = "auth")]
use crate::proto::{
    AuthError, AuthSecret, ClientHandshake, ServerHandshake, ACCEPTED, CHALLENGE_LEN, HELLO_LEN,
    NONCE_LEN, PROOF_LEN,
};

/// The longest a peer may take over the server side of the handshake (less when
/// the node's frame timeout is shorter).
#[cfg(feature = "auth")]
pub(crate) const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);

/// Who must authenticate: the secret a listener requires, and the secret to prove
/// to each remote node.
#[cfg(feature = "auth")]
#[derive(Debug, Clone, Default)]
pub(crate) struct AuthOptions {
    pub(crate) listen: Option<AuthSecret>,
    pub(crate) nodes: std::collections::BTreeMap<String, AuthSecret>,
}

/// The listeners' side: the secret they require, and the refusals.
#[derive(Debug, Default)]
pub(crate) struct AuthGate {
    #[cfg(feature = "auth")]
    secret: Option<AuthSecret>,
    #[cfg(feature = "auth")]
    refused: AtomicU64,
    #[cfg(feature = "auth")]
    log: Mutex<LogLimit>,
}

impl AuthGate {
    pub(crate) fn new(opts: &NodeOptions) -> Self {
        #[cfg(feature = "auth")]
        {
            Self {
                secret: opts.auth.listen.clone(),
                ..Self::default()
            }
        }
        #[cfg(not(feature = "auth"))]
        {
            let _ = opts;
            Self::default()
        }
    }

    /// Connections refused for not authenticating.
    #[cfg(feature = "auth")]
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }

    /// Runs the server side of the handshake on an accepted connection when the node
    /// requires it; `None` when the peer is refused (counted, logged rate-limited;
    /// the connection is dropped before a single frame is read).
    pub(crate) async fn accept(
        &self,
        stream: TcpStream,
        peer: SocketAddr,
        frame_timeout: Duration,
    ) -> Option<TcpStream> {
        #[cfg(feature = "auth")]
        {
            let mut stream = stream;
            let Some(secret) = &self.secret else {
                return Some(stream);
            };
            let limit = HANDSHAKE_TIMEOUT.min(frame_timeout);
            let why = match tokio::time::timeout(limit, server_side(&mut stream, secret)).await {
                Ok(Ok(())) => return Some(stream),
                Ok(Err(why)) => why,
                Err(_) => format!("no handshake within {} ms", limit.as_millis()),
            };
            self.refused.fetch_add(1, Ordering::Relaxed);
            let now = tokio::time::Instant::now().into_std();
            let (log, earlier) = self
                .log
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .allow(now);
            if log || earlier > 0 {
                tracing::warn!(%peer, reason = %why, earlier, "connection refused: not authenticated");
            }
            None
        }
        #[cfg(not(feature = "auth"))]
        {
            let _ = (peer, frame_timeout);
            Some(stream)
        }
    }
}

#[cfg(feature = "auth")]
fn nonce() -> io::Result<[u8; NONCE_LEN]> {
    let mut n = [0; NONCE_LEN];
    getrandom::fill(&mut n).map_err(|e| io::Error::other(format!("no random nonce: {e}")))?;
    Ok(n)
}

#[cfg(feature = "auth")]
fn refused(e: AuthError) -> io::Error {
    io::Error::new(io::ErrorKind::PermissionDenied, e)
}

/// The server side: hello (refused on its first bytes unless they can be one),
/// challenge, proof, accept. Reads exactly the handshake's bytes, nothing after.
#[cfg(feature = "auth")]
async fn server_side(stream: &mut TcpStream, secret: &AuthSecret) -> Result<(), String> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let mut hello = [0u8; HELLO_LEN];
    let mut got = 0;
    while got < HELLO_LEN {
        let n = stream
            .read(&mut hello[got..])
            .await
            .map_err(|e| format!("read error: {e}"))?;
        if n == 0 {
            return Err("closed during the handshake".into());
        }
        got += n;
        if !ServerHandshake::may_be_hello(&hello[..got]) {
            return Err(AuthError::NotAHello.to_string());
        }
    }
    let mut hs = ServerHandshake::new(secret, nonce().map_err(|e| e.to_string())?);
    let challenge = hs.challenge(&hello).map_err(|e| e.to_string())?;
    stream
        .write_all(&challenge)
        .await
        .map_err(|e| format!("write error: {e}"))?;
    let mut proof = [0u8; PROOF_LEN];
    stream
        .read_exact(&mut proof)
        .await
        .map_err(|e| format!("no proof: {e}"))?;
    hs.verify(&proof).map_err(|e| e.to_string())?;
    stream
        .write_all(&[ACCEPTED])
        .await
        .map_err(|e| format!("write error: {e}"))
}

/// The client side: hello, check the server's proof, send ours, wait to be accepted.
#[cfg(feature = "auth")]
async fn client_side(stream: &mut TcpStream, secret: &AuthSecret) -> io::Result<()> {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};

    let hs = ClientHandshake::new(secret, nonce()?);
    stream.write_all(&hs.hello()).await?;
    let mut challenge = [0u8; CHALLENGE_LEN];
    stream.read_exact(&mut challenge).await.map_err(|e| {
        io::Error::new(
            e.kind(),
            format!(
                "authentication: no challenge from the node ({e}); does it require the handshake?"
            ),
        )
    })?;
    let proof = hs.answer(&challenge).map_err(refused)?;
    stream.write_all(&proof).await?;
    let mut accepted = [0u8; 1];
    match stream.read_exact(&mut accepted).await {
        Ok(_) if accepted[0] == ACCEPTED => Ok(()),
        _ => Err(refused(AuthError::BadClientProof)),
    }
}

/// Connects to a remote node's `address`, and authenticates when the node is
/// configured with a secret. The caller bounds it with the connect timeout.
pub(crate) async fn connect(
    address: &str,
    opts: &NodeOptions,
    node: &str,
) -> io::Result<TcpStream> {
    #[cfg(feature = "auth")]
    {
        let mut stream = TcpStream::connect(address).await?;
        if let Some(secret) = opts.auth.nodes.get(node) {
            client_side(&mut stream, secret).await?;
        }
        Ok(stream)
    }
    #[cfg(not(feature = "auth"))]
    {
        let _ = (opts, node);
        TcpStream::connect(address).await
    }
}
