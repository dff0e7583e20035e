//! [`Config`]: the bounds and defaults of one gate connection.

use std::time::Duration;

use crate::gate::{PackageLayout, DEFAULT_MAX_PENDING};
use crate::rpc::ProtocolSet;

/// How long a connection may receive nothing before it is closed, by default.
pub const DEFAULT_IDLE_TIMEOUT: Duration = Duration::from_secs(300);
/// How long a package may stay half received, by default.
pub const DEFAULT_FRAME_TIMEOUT: Duration = Duration::from_secs(30);

/// Settings of a gate connection (both sides).
///
/// Every resource a peer could make us hold is bounded here: calls waiting for an
/// answer (`max_pending`), requests from the peer being handled at once
/// (`max_in_flight`: the connection stops reading while that many run), and bytes
/// queued for sending (`write_high_water`: senders wait, and so, in turn, does the
/// reading of requests, when the peer does not read), and time: a peer that sends
/// nothing for `idle_timeout`, or leaves a package half sent for `frame_timeout`, is
/// closed. A package is at most 65 535 bytes, so the read side holds at most one
/// partial frame.
///
/// ```
/// use std::time::Duration;
/// use sproto_rt::net::Config;
///
/// let config = Config::default().call_timeout(Some(Duration::from_secs(5))).max_in_flight(64);
/// # let _ = config;
/// ```
#[derive(Debug, Clone)]
pub struct Config {
    pub(crate) layout: PackageLayout,
    pub(crate) call_timeout: Option<Duration>,
    pub(crate) max_pending: usize,
    pub(crate) max_in_flight: usize,
    pub(crate) write_high_water: usize,
    pub(crate) idle_timeout: Option<Duration>,
    pub(crate) frame_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            layout: PackageLayout::default(),
            call_timeout: Some(Duration::from_secs(30)),
            max_pending: DEFAULT_MAX_PENDING,
            max_in_flight: 256,
            write_high_water: 1 << 20,
            idle_timeout: Some(DEFAULT_IDLE_TIMEOUT),
            frame_timeout: DEFAULT_FRAME_TIMEOUT,
        }
    }
}

impl Config {
    /// The package header layout (default `.package { type 0 : integer  session 1 : integer }`).
    pub fn layout(mut self, layout: PackageLayout) -> Self {
        self.layout = layout;
        self
    }

    /// The header layout of a protocol trait's package type.
    pub fn layout_of<P: ProtocolSet>(self) -> Self {
        self.layout(P::layout())
    }

    /// How long a call waits for its answer (default 30 s; `None`: forever).
    pub fn call_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.call_timeout = timeout;
        self
    }

    /// Calls that may wait for an answer at once (default 65 536); more fail with
    /// `CallError::TooManyPending`.
    pub fn max_pending(mut self, limit: usize) -> Self {
        self.max_pending = limit.max(1);
        self
    }

    /// Requests from the peer handled at once (default 256); the connection reads no
    /// further while that many run.
    pub fn max_in_flight(mut self, limit: usize) -> Self {
        self.max_in_flight = limit.max(1);
        self
    }

    /// Bytes queued for sending before senders wait (default 1 MiB).
    pub fn write_high_water(mut self, bytes: usize) -> Self {
        self.write_high_water = bytes.max(1);
        self
    }

    /// Closes the connection ([`CloseReason::Idle`](crate::rpc::CloseReason::Idle))
    /// when nothing arrives for this long (default [`DEFAULT_IDLE_TIMEOUT`], 5 min;
    /// `None`: never). Game clients keep a connection alive with a heartbeat, as
    /// skynet's example client does; a server that only pushes now and then should be
    /// watched with `None`.
    pub fn idle_timeout(mut self, timeout: Option<Duration>) -> Self {
        self.idle_timeout = timeout;
        self
    }

    /// Closes the connection ([`CloseReason::Stalled`](crate::rpc::CloseReason::Stalled))
    /// when a package stays half received for this long (default
    /// [`DEFAULT_FRAME_TIMEOUT`], 30 s): a peer cannot hold a connection by sending a
    /// package a byte at a time.
    pub fn frame_timeout(mut self, timeout: Duration) -> Self {
        self.frame_timeout = timeout;
        self
    }
}
