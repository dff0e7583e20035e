//! Properties of the shared-secret handshake's message handling (`proto::ClientHandshake`
//! / `ServerHandshake`) on arbitrary bytes: nothing panics, nothing but the right
//! secret's messages is accepted, and two sides with the same secret always agree.

use proptest::prelude::*;
use skynet_cluster::proto::{
    AuthSecret, ClientHandshake, ServerHandshake, AUTH_MAGIC, CHALLENGE_LEN, HELLO_LEN, NONCE_LEN,
    PROOF_LEN,
};

fn array<const N: usize>(v: &[u8]) -> [u8; N] {
    let mut a = [0; N];
    a.copy_from_slice(&v[..N]);
    a
}

proptest! {
    #[test]
    fn same_secret_always_completes(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        cn in any::<[u8; NONCE_LEN]>(),
        sn in any::<[u8; NONCE_LEN]>(),
    ) {
        let secret = AuthSecret::new(&secret).expect("non-empty secret");
        let client = ClientHandshake::new(&secret, cn);
        let mut server = ServerHandshake::new(&secret, sn);
        let hello = client.hello();
        prop_assert!(ServerHandshake::may_be_hello(&hello[..3]));
        let challenge = server.challenge(&hello).expect("a client hello");
        let proof = client.answer(&challenge).expect("the server knows the secret");
        prop_assert!(server.verify(&proof).is_ok());
    }

    #[test]
    fn arbitrary_bytes_never_pass(
        secret in proptest::collection::vec(any::<u8>(), 1..64),
        hello in proptest::collection::vec(any::<u8>(), HELLO_LEN),
        challenge in proptest::collection::vec(any::<u8>(), CHALLENGE_LEN),
        proof in proptest::collection::vec(any::<u8>(), PROOF_LEN),
        sn in any::<[u8; NONCE_LEN]>(),
        cn in any::<[u8; NONCE_LEN]>(),
        prefix in proptest::collection::vec(any::<u8>(), 0..8),
    ) {
        let secret = AuthSecret::new(&secret).expect("non-empty secret");
        // A prefix may start a hello only if it agrees with the magic.
        let n = prefix.len().min(AUTH_MAGIC.len());
        prop_assert_eq!(
            ServerHandshake::may_be_hello(&prefix),
            prefix[..n] == AUTH_MAGIC[..n]
        );
        // The server: any hello with the magic gets a challenge, but a random proof is
        // refused (a 2^-256 chance aside).
        let mut server = ServerHandshake::new(&secret, sn);
        if let Ok(_challenge) = server.challenge(&array::<HELLO_LEN>(&hello)) {
            prop_assert!(hello[..AUTH_MAGIC.len()] == AUTH_MAGIC);
            prop_assert!(server.verify(&array::<PROOF_LEN>(&proof)).is_err());
        }
        // The client: a random challenge does not prove the server knows the secret.
        let client = ClientHandshake::new(&secret, cn);
        prop_assert!(client.answer(&array::<CHALLENGE_LEN>(&challenge)).is_err());
    }

    #[test]
    fn another_secret_is_refused_both_ways(
        a in proptest::collection::vec(any::<u8>(), 1..64),
        b in proptest::collection::vec(any::<u8>(), 1..64),
        cn in any::<[u8; NONCE_LEN]>(),
        sn in any::<[u8; NONCE_LEN]>(),
    ) {
        // HMAC pads short keys with zero bytes, so "k" and "k\0" are the same key.
        let key = |k: &[u8]| k.iter().rposition(|&x| x != 0).map_or(0, |i| i + 1);
        prop_assume!(a[..key(&a)] != b[..key(&b)]);
        let (sa, sb) = (
            AuthSecret::new(&a).expect("non-empty"),
            AuthSecret::new(&b).expect("non-empty"),
        );
        let client = ClientHandshake::new(&sa, cn);
        let mut server = ServerHandshake::new(&sb, sn);
        let challenge = server.challenge(&client.hello()).expect("a client hello");
        // The client refuses a server without its secret ...
        prop_assert!(client.answer(&challenge).is_err());
        // ... and a proof made with the wrong secret for this challenge is refused.
        let honest = ClientHandshake::new(&sa, cn);
        let mut other = ServerHandshake::new(&sa, sn);
        let good = other.challenge(&honest.hello()).expect("hello");
        let proof = honest.answer(&good).expect("same secret");
        prop_assert!(server.verify(&proof).is_err());
    }
}
