//! sproto RPC over a skynet gate, without I/O: the stream framing (2-byte big-endian
//! length, then the 0-packed package), the package header, and [`Connection`], the
//! per-connection session state of one side.
//!
//! Both sides of a gate connection send requests: the game client calls the server's
//! `c2s` protocols, the server pushes `s2c` requests (a heartbeat). Each request that
//! carries a session is answered by a package whose header has that session and no
//! `type`. The tokio shell over this is `sproto_rt::net` (feature `net`).
//!
//! ```
//! use sproto_rt::gate::{write_frame, Connection, Event, FrameDecoder, PackageLayout};
//!
//! // The first package of skynet's example client: handshake (tag 1), session 1.
//! let mut client = Connection::new(PackageLayout::default());
//! client.request(1, &[], true).unwrap();
//! let mut wire = Vec::new();
//! write_frame(&client.poll_transmit().unwrap(), &mut wire).unwrap();
//! assert_eq!(wire, [0x00, 0x04, 0x15, 0x02, 0x04, 0x04]);
//!
//! let mut server = Connection::new(PackageLayout::default());
//! let mut frames = FrameDecoder::new();
//! frames.extend(&wire);
//! let event = server.handle_package(frames.next_package().unwrap()).unwrap();
//! assert!(matches!(event, Some(Event::Request { tag: 1, session: Some(1), .. })));
//! ```

mod conn;
mod frame;
mod header;

pub use conn::{Connection, Event, SendError, DEFAULT_MAX_PENDING};
pub use frame::{write_frame, FrameDecoder, PackageTooLarge, MAX_PACKAGE};
pub use header::{Header, PackageLayout};

use crate::error::DecodeError;

/// The peer broke the protocol; the connection is closed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ProtocolError {
    /// The package is not a valid 0-packed stream.
    #[error("invalid package: {0}")]
    Unpack(DecodeError),
    /// The package header does not decode.
    #[error("invalid package header: {0}")]
    Header(DecodeError),
    /// The header's `type` is not a protocol tag.
    #[error("invalid protocol tag {0} in package header")]
    BadType(i64),
    /// A response (no `type`) without a session.
    #[error("response package without a session")]
    NoSession,
    /// A request for a protocol this side does not serve.
    #[error("request for unknown protocol tag {0}")]
    UnknownProtocol(u16),
    /// A request whose message does not decode.
    #[error("request for protocol {tag}: {error}")]
    BadRequest {
        /// The protocol's tag.
        tag: u16,
        /// What went wrong.
        error: DecodeError,
    },
}
