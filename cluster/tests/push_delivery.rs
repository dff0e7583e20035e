//! `Node::flush` is a delivery barrier: a fake remote that, like skynet's cluster
//! agent when its connection closes, drops the frames it had not dispatched yet. The
//! pushes sent before a successful flush all arrive, even when the node shuts down
//! right after.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use bytes::BytesMut;
use skynet_cluster::frame::{encode_error, take_frame, RequestFrame};
use skynet_cluster::{ClusterConfig, Node};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::sync::watch;

/// A remote that dispatches one frame per millisecond and stops dispatching (drops
/// the rest) once the peer has closed: what skynet's agent does when told to exit.
async fn slow_remote() -> (std::net::SocketAddr, Arc<AtomicUsize>) {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    let pushes = Arc::new(AtomicUsize::new(0));
    let count = pushes.clone();
    tokio::spawn(async move {
        let (s, _) = l.accept().await.expect("accept");
        let (mut rd, mut wr) = s.into_split();
        let (eof_tx, eof) = watch::channel(false);
        let (bytes_tx, mut bytes_rx) = tokio::sync::mpsc::unbounded_channel::<Vec<u8>>();
        tokio::spawn(async move {
            let mut buf = vec![0u8; 64 * 1024];
            loop {
                match rd.read(&mut buf).await {
                    Ok(0) | Err(_) => {
                        let _ = eof_tx.send(true);
                        return;
                    }
                    Ok(n) => {
                        let _ = bytes_tx.send(buf[..n].to_vec());
                    }
                }
            }
        });
        let mut pending = BytesMut::new();
        loop {
            while let Ok(b) = bytes_rx.try_recv() {
                pending.extend_from_slice(&b);
            }
            let Some(body) = take_frame(&mut pending) else {
                if *eof.borrow() {
                    return;
                }
                tokio::time::sleep(Duration::from_millis(1)).await;
                continue;
            };
            tokio::time::sleep(Duration::from_millis(1)).await;
            if *eof.borrow() {
                return; // the agent exits: undispatched frames are lost
            }
            match RequestFrame::decode(body.freeze()) {
                Ok(RequestFrame::Request { session: 0, .. }) => {
                    count.fetch_add(1, Ordering::SeqCst);
                }
                Ok(RequestFrame::Request { session, .. }) => {
                    // A name query (the barrier): "name not found", as skynet answers.
                    let mut out = Vec::new();
                    encode_error(&mut out, session, b"name not found");
                    let _ = wr.write_all(&out).await;
                }
                _ => {}
            }
        }
    });
    (addr, pushes)
}

#[tokio::test]
async fn pushes_before_a_flush_are_all_taken_even_when_the_node_closes_right_after() {
    let (addr, pushes) = slow_remote().await;
    let node = Node::new(ClusterConfig::new().with_node("remote", addr.to_string()));
    for i in 0..100i64 {
        node.send_lua("remote", "@counter", &("inc", i))
            .await
            .expect("queued");
    }
    tokio::time::timeout(Duration::from_secs(10), node.flush("remote"))
        .await
        .expect("in time")
        .expect("the barrier was answered");
    assert_eq!(
        pushes.load(Ordering::SeqCst),
        100,
        "every push was dispatched"
    );
    node.shutdown();
}

#[tokio::test]
async fn close_flushes_every_node_then_shuts_down() {
    let (addr, pushes) = slow_remote().await;
    let node = Node::new(ClusterConfig::new().with_node("remote", addr.to_string()));
    for i in 0..50i64 {
        node.send_lua("remote", "@counter", &("inc", i))
            .await
            .expect("queued");
    }
    let failed = node.close(Duration::from_secs(10)).await;
    assert!(failed.is_empty(), "{failed:?}");
    assert_eq!(pushes.load(Ordering::SeqCst), 50);
    assert!(
        node.send_lua("remote", "@counter", &("inc", 1))
            .await
            .is_err(),
        "shut down"
    );
}

#[tokio::test]
async fn flush_without_traffic_is_immediate() {
    let node = Node::new(ClusterConfig::new().with_node("nobody", "127.0.0.1:1"));
    assert!(node.flush("nobody").await.is_ok(), "nothing was sent");
    assert!(node.flush("unknown").await.is_ok());
}
