//! A client core and a server core talking in memory, as quinn-proto's tests drive
//! two endpoints: `NodeLink` + `ClientConn` on one side, `ServerConn` over a node's
//! conformance services on the other, bytes handed across by the test.

use std::collections::HashMap;
use std::time::Instant;

use bytes::{Bytes, BytesMut};
use skynet_cluster::proto::{
    encode_reply, Backoff, Check, ClientConn, NodeLink, ServerConfig, ServerConn, ServerEvent,
    Target,
};
use skynet_cluster::{conformance, from_args, to_args, Address, CallError, Limits, Node, Service};

struct Pair {
    node: Node,
    link: NodeLink,
    client: ClientConn<u32>,
    server: ServerConn,
    /// Client → server bytes not yet delivered.
    c2s: BytesMut,
    /// Server → client bytes not yet delivered.
    s2c: BytesMut,
    replies: HashMap<u32, Result<Bytes, CallError>>,
}

impl Pair {
    fn new() -> Pair {
        let node = Node::default();
        conformance::register(&node).expect("conformance");
        let mut link = NodeLink::new("db", Target::Up("mem".into()), 1, Backoff::default());
        let Check::Connect { generation, .. } = link.check(Instant::now(), false) else {
            panic!("connect")
        };
        assert!(link.connected(generation));
        Pair {
            node,
            link,
            client: ClientConn::new("db", Limits::default()),
            server: ServerConn::new(ServerConfig::default(), None),
            c2s: BytesMut::new(),
            s2c: BytesMut::new(),
            replies: HashMap::new(),
        }
    }

    fn call(&mut self, address: impl Into<Address>, payload: &[u8]) -> u32 {
        let address = address.into();
        let s = self.link.begin_call(payload, None).expect("checked");
        self.client
            .call(&mut self.c2s, address.as_wire(), s, payload, None, s)
            .expect("written");
        s
    }

    fn push(&mut self, address: impl Into<Address>, payload: &[u8]) {
        let address = address.into();
        let s = self.link.begin_push(payload, None).expect("checked");
        self.client
            .push(&mut self.c2s, address.as_wire(), s, payload, None)
            .expect("written");
    }

    /// Moves the bytes both ways until nothing is left.
    async fn run(&mut self) {
        let now = Instant::now();
        while !self.c2s.is_empty() || !self.s2c.is_empty() {
            let bytes = self.c2s.split();
            self.server.receive(&bytes);
            while let Some(event) = self.server.poll_event(now, &self.node).expect("kept") {
                match event {
                    ServerEvent::Reply { session, reply } => {
                        encode_reply(&mut self.s2c, session, &reply)
                    }
                    ServerEvent::Dispatch(d) => {
                        let (session, push) = (d.request.session, d.request.push);
                        let reply = d.service.call(d.request).await;
                        if !push {
                            encode_reply(&mut self.s2c, session, &reply);
                        }
                    }
                }
            }
            while let Some(d) = self.client.poll_input(&mut self.s2c).expect("kept") {
                self.replies.insert(d.session, d.result);
            }
        }
    }
}

#[tokio::test(flavor = "current_thread", start_paused = true)]
async fn calls_pushes_queries_and_large_messages_in_memory() {
    let mut p = Pair::new();
    let set = p.call("@sdb", &to_args(&("SET", "a", "1")).unwrap());
    p.push("@sdb", &to_args(&("PING", "x")).unwrap());
    let get = p.call(".sdb", &to_args(&("GET", "a")).unwrap());
    let pings = p.call(10u32, &to_args(&("PINGS",)).unwrap());
    let query = p.call(0u32, &to_args(&"echo").unwrap());
    let missing = p.call("@nobody", &to_args(&("x",)).unwrap());
    // 100 KB each way: a multi-part request and a multi-part reply.
    let big_arg = "y".repeat(100_000);
    let echo = p.call("@echo", &to_args(&(&big_arg,)).unwrap());
    let big = p.call("@big", &to_args(&(70_000,)).unwrap());
    assert_eq!(p.client.pending(), 7);
    p.run().await;
    assert_eq!(p.client.pending(), 0);
    let mut reply = |s: u32| p.replies.remove(&s).expect("answered");
    let (old,): (Option<String>,) = from_args(&reply(set).unwrap()).unwrap();
    assert_eq!(old, None);
    let (v,): (String,) = from_args(&reply(get).unwrap()).unwrap();
    assert_eq!(v, "1");
    let (n,): (i64,) = from_args(&reply(pings).unwrap()).unwrap();
    assert_eq!(n, 1, "the push was served before the next call");
    let (h,): (u32,) = from_args(&reply(query).unwrap()).unwrap();
    assert_eq!(h, 11);
    assert!(matches!(reply(missing), Err(CallError::Remote(t)) if t == "Invalid name"));
    let (e,): (String,) = from_args(&reply(echo).unwrap()).unwrap();
    assert_eq!(e, big_arg);
    let (b,): (String,) = from_args(&reply(big).unwrap()).unwrap();
    assert_eq!(b.len(), 70_000);
    assert!(p.replies.is_empty());
}
