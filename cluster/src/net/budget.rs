//! [`Budget`]: the node-wide bound on request bytes held in memory — multi-part
//! messages being reassembled and the payloads of requests whose service has not
//! answered yet, over every connection. A connection reserves budget before it reads
//! more (so an exhausted budget stops reading, not memory); a request that outlives
//! the read loop carries its share with it ([`Held::split`]) and gives it back when
//! it is done.

use std::sync::Arc;

use tokio::sync::Semaphore;

/// The node's request-byte budget.
#[derive(Debug, Clone)]
pub(crate) struct Budget {
    sem: Arc<Semaphore>,
    total: usize,
}

/// Bytes of the budget held by one connection or one request; given back on drop.
#[derive(Debug)]
pub(crate) struct Held {
    budget: Budget,
    bytes: usize,
}

impl Budget {
    pub(crate) fn new(total: usize) -> Budget {
        let total = total.clamp(1, Semaphore::MAX_PERMITS);
        Budget {
            sem: Arc::new(Semaphore::new(total)),
            total,
        }
    }

    /// Nothing held yet.
    pub(crate) fn hold(&self) -> Held {
        Held {
            budget: self.clone(),
            bytes: 0,
        }
    }

    /// Bytes not held by anyone.
    pub(crate) fn available(&self) -> usize {
        self.sem.available_permits()
    }
}

impl Held {
    /// Bytes held.
    pub(crate) fn bytes(&self) -> usize {
        self.bytes
    }

    /// Holds `want` bytes (at most the whole budget), waiting until they are free.
    pub(crate) async fn grow_to(&mut self, want: usize) {
        let want = want.min(self.budget.total);
        while self.bytes < want {
            let step = u32::try_from(want - self.bytes).unwrap_or(u32::MAX);
            match self.budget.sem.acquire_many(step).await {
                Ok(p) => {
                    p.forget();
                    self.bytes += step as usize;
                }
                // The semaphore is never closed.
                Err(_) => return,
            }
        }
    }

    /// Gives back what is held over `want`.
    pub(crate) fn shrink_to(&mut self, want: usize) {
        if self.bytes > want {
            self.budget.sem.add_permits(self.bytes - want);
            self.bytes = want;
        }
    }

    /// Moves up to `n` held bytes into a new `Held` (for a request that leaves).
    pub(crate) fn split(&mut self, n: usize) -> Held {
        let n = n.min(self.bytes);
        self.bytes -= n;
        Held {
            budget: self.budget.clone(),
            bytes: n,
        }
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        if self.bytes > 0 {
            self.budget.sem.add_permits(self.bytes);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn holds_split_and_give_back() {
        let b = Budget::new(100);
        let mut conn = b.hold();
        conn.grow_to(60).await;
        assert_eq!(b.available(), 40);
        let req = conn.split(50);
        conn.shrink_to(0);
        assert_eq!((b.available(), req.bytes()), (50, 50));
        drop(req);
        assert_eq!(b.available(), 100);
        // More than the whole budget is clamped, not a deadlock.
        conn.grow_to(1000).await;
        assert_eq!((b.available(), conn.bytes()), (0, 100));
        let waiting =
            tokio::time::timeout(std::time::Duration::from_millis(20), b.hold().grow_to(1)).await;
        assert!(waiting.is_err(), "an exhausted budget makes others wait");
    }
}
