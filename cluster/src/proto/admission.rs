//! [`Admission`]: which accepted connections a listener serves — at most
//! `max_connections` in all and `max_per_address` from one peer address, so one
//! address cannot take every slot. A refused connection is closed at once (the peer
//! sees the close instead of a handshake that is never served) and counted.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

/// The connection counts of one node's listeners.
#[derive(Debug)]
pub(crate) struct Admission {
    max_total: usize,
    max_per_address: usize,
    counts: Mutex<Counts>,
    refused: AtomicU64,
}

#[derive(Debug, Default)]
struct Counts {
    total: usize,
    by_address: HashMap<IpAddr, usize>,
}

/// Why a connection was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Refusal {
    /// `max_connections` are open.
    Full,
    /// `max_per_address` are open from this address.
    AddressFull,
}

/// A served connection's slot; freed on drop.
#[derive(Debug)]
pub(crate) struct Slot {
    admission: Arc<Admission>,
    ip: IpAddr,
}

impl Admission {
    pub(crate) fn new(max_total: usize, max_per_address: usize) -> Arc<Admission> {
        Arc::new(Admission {
            max_total: max_total.max(1),
            max_per_address: max_per_address.max(1),
            counts: Mutex::new(Counts::default()),
            refused: AtomicU64::new(0),
        })
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.counts.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A slot for a connection from `ip`, if one is free.
    pub(crate) fn admit(self: &Arc<Self>, ip: IpAddr) -> Result<Slot, Refusal> {
        let mut c = self.lock();
        let refusal = if c.total >= self.max_total {
            Some(Refusal::Full)
        } else if c.by_address.get(&ip).copied().unwrap_or(0) >= self.max_per_address {
            Some(Refusal::AddressFull)
        } else {
            None
        };
        if let Some(r) = refusal {
            self.refused.fetch_add(1, Ordering::Relaxed);
            return Err(r);
        }
        c.total += 1;
        *c.by_address.entry(ip).or_default() += 1;
        Ok(Slot {
            admission: self.clone(),
            ip,
        })
    }

    /// Connections open now.
    pub(crate) fn open(&self) -> usize {
        self.lock().total
    }

    /// Connections refused so far.
    pub(crate) fn refused(&self) -> u64 {
        self.refused.load(Ordering::Relaxed)
    }
}

impl Drop for Slot {
    fn drop(&mut self) {
        let mut c = self.admission.lock();
        c.total -= 1;
        if let Some(n) = c.by_address.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                c.by_address.remove(&self.ip);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_address_cannot_take_every_slot() {
        let a = Admission::new(4, 2);
        let (x, y): (IpAddr, IpAddr) = ("10.0.0.1".parse().unwrap(), "10.0.0.2".parse().unwrap());
        let s1 = a.admit(x).expect("first");
        let _s2 = a.admit(x).expect("second");
        assert_eq!(a.admit(x).unwrap_err(), Refusal::AddressFull);
        let _s3 = a.admit(y).expect("other address");
        let _s4 = a.admit(y).expect("other address");
        assert_eq!(
            a.admit("10.0.0.3".parse().unwrap()).unwrap_err(),
            Refusal::Full
        );
        drop(s1);
        assert!(a.admit(x).is_ok());
        assert_eq!(a.refused(), 2);
    }
}
