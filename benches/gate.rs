//! sproto RPC over the gate on loopback: the `gate_server` example's `get` called
//! through the typed stub, against a raw ping-pong of the same frame bytes over plain
//! tokio TCP (the physical limit of this machine's loopback), in the same run.
//!
//! The server runs on a one-worker runtime, the clients on another (2 cores). Each
//! iteration: every one of N connections makes one call, all N concurrently (N = 1,
//! 64, 512); the sequential group makes 20 calls in a row on one connection.

#[allow(dead_code)]
#[path = "../examples/gate_server.rs"]
mod gate_server;

use std::time::Duration;

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use gate_server::gate_proto::{C2sClient, GetRequest, SetRequest};
use sproto_rt::gate::{write_frame, FrameDecoder};
use sproto_rt::net::{connect_tcp, Config, Peer};
use sproto_rt::Message;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::runtime::Runtime;

const SEQUENTIAL: u64 = 20;

fn runtime() -> Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .expect("runtime")
}

/// The framed `get` request and its answer, as the typed stub writes and the example
/// answers them (session 1).
fn frames() -> (Vec<u8>, Vec<u8>) {
    let mut c = sproto_rt::gate::Connection::new(Default::default());
    let body = GetRequest {
        what: Some("k".into()),
    }
    .encode();
    c.request(2, &body, true).expect("queued");
    let mut req = Vec::new();
    write_frame(&c.poll_transmit().expect("package"), &mut req).expect("fits");
    let mut s = sproto_rt::gate::Connection::new(Default::default());
    let answer = gate_server::gate_proto::GetResponse {
        result: Some("v".into()),
    }
    .encode();
    s.respond(1, Some(&answer), None).expect("queued");
    let mut resp = Vec::new();
    write_frame(&s.poll_transmit().expect("package"), &mut resp).expect("fits");
    (req, resp)
}

/// A server that answers every frame with `answer`, and nothing else.
async fn raw_echo(answer: Vec<u8>) -> std::net::SocketAddr {
    let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = l.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((mut s, _)) = l.accept().await {
            let _ = s.set_nodelay(true);
            let answer = answer.clone();
            tokio::spawn(async move {
                let mut dec = FrameDecoder::new();
                let mut buf = vec![0u8; 16 * 1024];
                let mut out = Vec::new();
                loop {
                    let n = match s.read(&mut buf).await {
                        Ok(0) | Err(_) => return,
                        Ok(n) => n,
                    };
                    dec.extend(&buf[..n]);
                    out.clear();
                    while dec.next_package().is_some() {
                        out.extend_from_slice(&answer);
                    }
                    if s.write_all(&out).await.is_err() {
                        return;
                    }
                }
            });
        }
    });
    addr
}

async fn raw_call(s: &mut TcpStream, req: &[u8], answer_len: usize, buf: &mut [u8]) {
    s.write_all(req).await.expect("write");
    let mut got = 0;
    while got < answer_len {
        got += s.read(&mut buf[got..answer_len]).await.expect("read");
    }
}

fn bench(c: &mut Criterion) {
    let server_rt = runtime();
    let client_rt = runtime();
    let (req, resp) = frames();
    let (gate_addr, raw_addr) = server_rt.block_on(async {
        let l = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = l.local_addr().expect("addr");
        // No heartbeat during the run.
        let server = gate_server::start(Some(l), None, Duration::from_secs(3600));
        std::mem::forget(server);
        (addr, raw_echo(resp.clone()).await)
    });

    let mut g = c.benchmark_group("gate_sequential");
    g.throughput(Throughput::Elements(SEQUENTIAL));
    let stub = client_rt.block_on(async {
        let peer = connect_tcp(gate_addr, Config::default(), |_| ())
            .await
            .expect("connect");
        let stub = C2sClient::new(peer);
        stub.set(SetRequest {
            what: Some("k".into()),
            value: Some("v".into()),
        })
        .await
        .expect("set");
        stub
    });
    g.bench_function("typed_get", |b| {
        b.iter(|| {
            client_rt.block_on(async {
                for _ in 0..SEQUENTIAL {
                    stub.get(GetRequest {
                        what: Some("k".into()),
                    })
                    .await
                    .expect("get");
                }
            })
        })
    });
    let mut raw = client_rt.block_on(async {
        let s = TcpStream::connect(raw_addr).await.expect("connect");
        s.set_nodelay(true).expect("nodelay");
        s
    });
    let mut buf = vec![0u8; resp.len()];
    g.bench_function("raw_ping_pong", |b| {
        b.iter(|| {
            client_rt.block_on(async {
                for _ in 0..SEQUENTIAL {
                    raw_call(&mut raw, &req, resp.len(), &mut buf).await;
                }
            })
        })
    });
    g.finish();

    let mut g = c.benchmark_group("gate_clients");
    for n in [1usize, 64, 512] {
        g.throughput(Throughput::Elements(n as u64));
        let stubs: Vec<C2sClient<Peer>> = client_rt.block_on(async {
            let mut v = Vec::new();
            for _ in 0..n {
                let peer = connect_tcp(gate_addr, Config::default(), |_| ())
                    .await
                    .expect("connect");
                v.push(C2sClient::new(peer));
            }
            v
        });
        g.bench_with_input(BenchmarkId::new("typed_get", n), &n, |b, _| {
            b.iter(|| {
                client_rt.block_on(async {
                    let calls = stubs.iter().map(|s| {
                        let s = s.clone();
                        tokio::spawn(async move {
                            s.get(GetRequest {
                                what: Some("k".into()),
                            })
                            .await
                            .expect("get")
                        })
                    });
                    for t in calls.collect::<Vec<_>>() {
                        t.await.expect("task");
                    }
                })
            })
        });
        for s in &stubs {
            s.caller().close();
        }
        let raws: Vec<TcpStream> = client_rt.block_on(async {
            let mut v = Vec::new();
            for _ in 0..n {
                let s = TcpStream::connect(raw_addr).await.expect("connect");
                s.set_nodelay(true).expect("nodelay");
                v.push(s);
            }
            v
        });
        let mut raws: Vec<Option<TcpStream>> = raws.into_iter().map(Some).collect();
        g.bench_with_input(BenchmarkId::new("raw_ping_pong", n), &n, |b, _| {
            b.iter(|| {
                client_rt.block_on(async {
                    let tasks: Vec<_> = raws
                        .iter_mut()
                        .map(|slot| {
                            let mut s = slot.take().expect("stream");
                            let (req, len) = (req.clone(), resp.len());
                            tokio::spawn(async move {
                                let mut buf = vec![0u8; len];
                                raw_call(&mut s, &req, len, &mut buf).await;
                                s
                            })
                        })
                        .collect();
                    for (slot, t) in raws.iter_mut().zip(tasks) {
                        *slot = Some(t.await.expect("task"));
                    }
                })
            })
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
