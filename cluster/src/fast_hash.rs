//! A fast hasher for the maps of the hot path whose keys are the node's own: the
//! sessions of its calls, its service names and handles, its remote node names.
//! A peer only ever *looks up* in them (a session in a reply, an address in a
//! request), and a lookup cannot make a table's probe sequences long — only keys
//! inserted to collide can, and a peer inserts none. std's SipHash costs several
//! times as much for these short keys.

use std::collections::HashMap;
use std::hash::{BuildHasher, Hasher};

/// A map with [`FastHash`].
pub(crate) type FastMap<K, V> = HashMap<K, V, FastHash>;

/// Builds [`FastHasher`]s (the multiply-rotate scheme of rustc's FxHasher).
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct FastHash;

impl BuildHasher for FastHash {
    type Hasher = FastHasher;

    fn build_hasher(&self) -> FastHasher {
        FastHasher(0)
    }
}

/// The hasher: each word is mixed in with a rotation, an xor and a multiplication by
/// an odd constant (so sequential integers spread over the table).
#[derive(Debug)]
pub(crate) struct FastHasher(u64);

const SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

impl FastHasher {
    #[inline]
    fn add(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(SEED);
    }
}

impl Hasher for FastHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        self.add(bytes.len() as u64);
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    #[inline]
    fn finish(&self) -> u64 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_of_different_lengths_and_sequential_keys_differ() {
        let h = |b: &[u8]| {
            let mut s = FastHash.build_hasher();
            s.write(b);
            s.finish()
        };
        assert_ne!(h(b"echo"), h(b"echo\0"));
        assert_ne!(h(b"abcdefgh"), h(b"abcdefgi"));
        let mut m: FastMap<u32, u32> = FastMap::default();
        for i in 0..10_000 {
            m.insert(i, i * 2);
        }
        assert!((0..10_000).all(|i| m.get(&i) == Some(&(i * 2))));
    }
}
