//! Optional busy-polling of the calling side
//! ([`NodeBuilder::busy_poll`](crate::NodeBuilder::busy_poll)): for a short window, a
//! caller waiting alone for its reply keeps asking the socket (a non-blocking `peek`
//! on a second handle of it) whether bytes arrived, yielding to the other tasks in
//! between, instead of letting its thread sleep. A reply arriving within the window
//! finds the thread awake: no wake-up of an idle CPU (tens of microseconds on a
//! virtual machine) on the round trip.
//!
//! (Tokio's own `try_read` cannot do this: it trusts the readiness the IO driver last
//! saw, which is only refreshed when the thread polls the driver.)

use std::io;
use std::net::TcpStream as StdStream;
use std::time::{Duration, Instant};

use tokio::net::TcpStream;

/// Splits off a second, non-blocking handle of `stream` to peek with (`None` when
/// busy-polling is off, or the socket cannot be duplicated).
///
/// # Errors
///
/// The socket could not be moved out of and back into the runtime.
pub(crate) fn split_peeker(
    stream: TcpStream,
    window: Duration,
) -> io::Result<(TcpStream, Option<StdStream>)> {
    if window.is_zero() {
        return Ok((stream, None));
    }
    let std = stream.into_std()?;
    // A duplicate shares the file status flags: it is non-blocking too.
    let peek = std.try_clone().ok();
    Ok((TcpStream::from_std(std)?, peek))
}

/// Waits until `peek` sees bytes (or EOF, or an error), `done()` says so, or `window`
/// passes, yielding to the runtime between checks.
pub(crate) async fn spin_until_readable(
    peek: &StdStream,
    window: Duration,
    mut done: impl FnMut() -> bool,
) {
    let deadline = Instant::now() + window;
    let mut byte = [0u8; 1];
    loop {
        match peek.peek(&mut byte) {
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            _ => return,
        }
        if done() || Instant::now() >= deadline {
            return;
        }
        tokio::task::yield_now().await;
    }
}
