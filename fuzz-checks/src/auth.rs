//! `auth_handshake`: the shared-secret handshake's message handling on hostile bytes,
//! both sides. The input is what the peer sends: as a client's bytes to a server (a
//! hello, then a proof) and as a server's bytes to a client (a challenge). Nothing may
//! panic, and a message is accepted exactly when it is the one the secret's holder
//! would have sent (recomputed here by an honest peer with the input's nonce).

use skynet_cluster::proto::{
    AuthSecret, ClientHandshake, ServerHandshake, AUTH_MAGIC, CHALLENGE_LEN, HELLO_LEN, NONCE_LEN,
    PROOF_LEN,
};

const SECRET: &[u8] = b"fuzz secret";
const SERVER_NONCE: [u8; NONCE_LEN] = [7; NONCE_LEN];
const CLIENT_NONCE: [u8; NONCE_LEN] = [9; NONCE_LEN];

/// The first `N` bytes of `data` as an array, if there are that many.
fn head<const N: usize>(data: &[u8]) -> Option<[u8; N]> {
    data.get(..N).and_then(|b| b.try_into().ok())
}

/// `auth_handshake`: see the module.
pub fn auth_handshake(data: &[u8]) {
    let Ok(secret) = AuthSecret::new(SECRET) else {
        panic!("the fixed secret is valid");
    };
    // Server side: every prefix is judged by the magic alone.
    for n in 0..=data.len().min(HELLO_LEN) {
        let k = n.min(AUTH_MAGIC.len());
        assert_eq!(
            ServerHandshake::may_be_hello(&data[..n]),
            data[..k] == AUTH_MAGIC[..k],
            "may_be_hello of {:?}",
            &data[..n]
        );
    }
    if let Some(hello) = head::<HELLO_LEN>(data) {
        let mut server = ServerHandshake::new(&secret, SERVER_NONCE);
        let challenge = server.challenge(&hello);
        assert_eq!(challenge.is_ok(), hello[..AUTH_MAGIC.len()] == AUTH_MAGIC);
        if let (Ok(challenge), Some(proof)) = (challenge, head::<PROOF_LEN>(&data[HELLO_LEN..])) {
            // The honest client with this hello's nonce.
            let nonce = head::<NONCE_LEN>(&hello[AUTH_MAGIC.len()..]);
            let honest =
                nonce.and_then(|n| ClientHandshake::new(&secret, n).answer(&challenge).ok());
            let Some(honest) = honest else {
                panic!("an honest client accepts the server's challenge");
            };
            assert_eq!(server.verify(&proof).is_ok(), proof == honest);
        }
    }
    // Client side: the input's first bytes as the server's challenge.
    if let Some(challenge) = head::<CHALLENGE_LEN>(data) {
        let client = ClientHandshake::new(&secret, CLIENT_NONCE);
        let server_nonce = head::<NONCE_LEN>(&challenge);
        let honest = server_nonce.and_then(|n| {
            ServerHandshake::new(&secret, n)
                .challenge(&client.hello())
                .ok()
        });
        let Some(honest) = honest else {
            panic!("an honest server answers a client hello");
        };
        assert_eq!(client.answer(&challenge).is_ok(), challenge == honest);
    }
}

/// Seeds: an honest client's hello and proof, an honest server's challenge, a hello
/// with the wrong magic, and a hello with a wrong proof.
pub fn auth_seeds() -> Vec<(&'static str, Vec<u8>)> {
    let Ok(secret) = AuthSecret::new(SECRET) else {
        return Vec::new();
    };
    let client = ClientHandshake::new(&secret, CLIENT_NONCE);
    let hello = client.hello().to_vec();
    let mut server = ServerHandshake::new(&secret, SERVER_NONCE);
    let mut out = Vec::new();
    if let Ok(challenge) = server.challenge(&client.hello()) {
        out.push(("server-challenge", challenge.to_vec()));
        if let Ok(proof) = client.answer(&challenge) {
            out.push((
                "client-hello-and-proof",
                [hello.clone(), proof.to_vec()].concat(),
            ));
        }
    }
    let mut wrong_magic = hello.clone();
    wrong_magic[0] ^= 1;
    out.push(("wrong-magic", wrong_magic));
    out.push(("wrong-proof", [hello, vec![0; PROOF_LEN]].concat()));
    out
}
