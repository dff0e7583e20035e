//! Client side: response frames in, whole replies out.

use bytes::Bytes;

use super::{Appended, Limits, Parts};
use crate::error::FrameError;
use crate::frame::ResponseFrame;

/// A whole reply.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// An ok reply: the lua-seri payload.
    Ok(Bytes),
    /// An error reply: its text.
    Error(Bytes),
}

/// What one response frame completed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResponseEvent {
    /// The reply of `session`.
    Complete {
        /// The session answered.
        session: u32,
        /// The reply.
        outcome: Outcome,
    },
    /// The multi-part reply of `session` broke a rule (announced over the message
    /// limit, parts not adding up); that call fails, the connection is fine.
    Failed {
        /// The session answered.
        session: u32,
        /// What was wrong.
        error: FrameError,
    },
}

/// The client-side state of one connection: multi-part replies in progress.
///
/// ```
/// use bytes::Bytes;
/// use skynet_cluster::frame::ResponseFrame;
/// use skynet_cluster::reassembly::{Outcome, ResponseAssembler, ResponseEvent};
///
/// let mut asm = ResponseAssembler::default();
/// let all = |_| true;
/// assert_eq!(asm.handle(ResponseFrame::MultiBegin { session: 1, total: 3 }, all)?, None);
/// let end = ResponseFrame::Part { session: 1, data: Bytes::from_static(b"abc"), last: true };
/// assert_eq!(
///     asm.handle(end, all)?,
///     Some(ResponseEvent::Complete { session: 1, outcome: Outcome::Ok(Bytes::from_static(b"abc")) })
/// );
/// # Ok::<(), skynet_cluster::FrameError>(())
/// ```
#[derive(Debug)]
pub struct ResponseAssembler {
    parts: Parts<()>,
}

impl Default for ResponseAssembler {
    fn default() -> Self {
        Self::new(Limits::default())
    }
}

impl ResponseAssembler {
    /// An assembler bounded by `limits`.
    pub fn new(limits: Limits) -> Self {
        Self {
            parts: Parts::new(limits),
        }
    }

    /// Takes one frame; returns the reply it completed, if any. `wanted(session)` says
    /// whether anyone waits for that session: a multi-part reply nobody waits for is
    /// not buffered (its parts are skipped). Parts of a session with no multi-part
    /// reply in progress are ignored.
    ///
    /// # Errors
    ///
    /// [`FrameError::TooManyPending`] or [`FrameError::BufferLimit`]: the connection
    /// should be closed.
    pub fn handle(
        &mut self,
        frame: ResponseFrame,
        wanted: impl FnOnce(u32) -> bool,
    ) -> Result<Option<ResponseEvent>, FrameError> {
        match frame {
            ResponseFrame::Ok { session, payload } => {
                self.parts.remove(session);
                Ok(Some(ResponseEvent::Complete {
                    session,
                    outcome: Outcome::Ok(payload),
                }))
            }
            ResponseFrame::Error { session, text } => {
                self.parts.remove(session);
                Ok(Some(ResponseEvent::Complete {
                    session,
                    outcome: Outcome::Error(text),
                }))
            }
            ResponseFrame::MultiBegin { session, total } => {
                if self.parts.contains(session) {
                    // A second begin: the message can only fail.
                    self.parts.remove(session);
                    return Ok(Some(ResponseEvent::Failed {
                        session,
                        error: FrameError::PartsMismatch {
                            session,
                            total,
                            got: 0,
                        },
                    }));
                }
                if !wanted(session) {
                    return Ok(None);
                }
                match self.parts.begin(session, total, ()) {
                    Ok(()) => Ok(None),
                    Err(error @ FrameError::MessageTooLarge { .. }) => {
                        Ok(Some(ResponseEvent::Failed { session, error }))
                    }
                    Err(e) => Err(e),
                }
            }
            ResponseFrame::Part {
                session,
                data,
                last: false,
            } => {
                // Parts of a reply nobody assembles are skipped.
                let _: Appended = self.parts.append(session, &data)?;
                Ok(None)
            }
            ResponseFrame::Part {
                session,
                data,
                last: true,
            } => Ok(self
                .parts
                .finish(session, data)
                .map(|done| match done.payload {
                    Ok(payload) => ResponseEvent::Complete {
                        session,
                        outcome: Outcome::Ok(payload),
                    },
                    Err(error) => ResponseEvent::Failed { session, error },
                })),
        }
    }

    /// Bytes held for unfinished multi-part replies.
    pub fn buffered(&self) -> usize {
        self.parts.buffered()
    }

    /// Forgets the reply of `session` (its caller gave up).
    pub fn forget(&mut self, session: u32) {
        self.parts.remove(session);
    }
}
