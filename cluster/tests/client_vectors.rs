//! The Rust client against recorded skynet servers: a stand-in server plays back
//! what skynet's node sent, and checks that the Rust node writes, byte for byte, what
//! skynet's caller wrote (frames, split, session numbers, trace frame), and gets the
//! recorded replies (multi-part reassembly, error replies, replies for sessions
//! nobody waits for ignored).
//!
//! Each exchange made by `cluster.call` / `cluster.send` / `cluster.query` is driven
//! from its recorded requests (address, payload, push or call, trace tag), issued in
//! order without waiting, as the recorded coroutines did. The `raw_` exchanges are
//! hand-made frames, not a sender's (the listener replay covers them);
//! `reload_changenode` and `node_down_false` are driven by hand.
//!
//! One named trial per recorded exchange, `client::<exchange>`, each on its own
//! runtime and bounded by `EXCHANGE_LIMIT`; the exchanges not driven from their
//! requests are listed as ignored.

mod common;

use std::future::Future;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use common::replay::{replies, reply_matches, requests, Req};
use common::{exchanges, not_checked, run, to_hex, Event, Exchange, Failures};
use libtest_mimic::{Failed, Trial};
use skynet_cluster::reassembly::Outcome;
use skynet_cluster::{CallError, CallOptions, ClusterConfig, Node};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;
use tokio::time::timeout;

/// What the stand-in does on one connection.
#[derive(Clone, Debug)]
enum Step {
    Expect(Vec<u8>),
    Send(Vec<u8>),
}

fn script(x: &Exchange, conn: u64) -> Vec<Step> {
    x.events
        .iter()
        .filter_map(|e| match e {
            Event::Frame(f) if f.conn == conn && f.c2s => Some(Step::Expect(f.bytes.clone())),
            Event::Frame(f) if f.conn == conn => Some(Step::Send(f.bytes.clone())),
            _ => None,
        })
        .collect()
}

/// A listener that runs `scripts[i]` on its i-th accepted connection; mismatches go
/// to the returned log.
async fn stand_in(id: String, scripts: Vec<Vec<Step>>) -> (String, Arc<Mutex<Vec<String>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr").to_string();
    let log = Arc::new(Mutex::new(Vec::new()));
    let l = log.clone();
    tokio::spawn(async move {
        for (n, steps) in scripts.into_iter().enumerate() {
            let Ok((mut s, _)) = listener.accept().await else {
                return;
            };
            let l = l.clone();
            let id = id.clone();
            tokio::spawn(async move {
                for (i, step) in steps.iter().enumerate() {
                    match step {
                        Step::Expect(want) => {
                            let mut got = vec![0u8; want.len()];
                            match timeout(Duration::from_secs(3), s.read_exact(&mut got)).await {
                                Ok(Ok(_)) if &got == want => {}
                                Ok(Ok(_)) => {
                                    let at =
                                        got.iter().zip(want).position(|(a, b)| a != b).unwrap_or(0);
                                    let show = |b: &[u8]| to_hex(&b[..b.len().min(40)]);
                                    l.lock().unwrap().push(format!(
                                        "{id} conn {} step {i}: wrote {}, skynet wrote {} (first difference at byte {at})",
                                        n + 1,
                                        show(&got),
                                        show(want)
                                    ));
                                    return;
                                }
                                _ => {
                                    l.lock().unwrap().push(format!(
                                        "{id} conn {} step {i}: expected frame never came",
                                        n + 1
                                    ));
                                    return;
                                }
                            }
                        }
                        Step::Send(bytes) => {
                            if s.write_all(bytes).await.is_err() {
                                return;
                            }
                        }
                    }
                }
                // Nothing more may come; the connection stays open until the client
                // goes (or a second passes).
                let mut extra = [0u8; 64];
                if let Ok(Ok(k)) = timeout(Duration::from_secs(1), s.read(&mut extra)).await {
                    if k > 0 {
                        l.lock().unwrap().push(format!(
                            "{id} conn {}: unexpected bytes {}",
                            n + 1,
                            to_hex(&extra[..k])
                        ));
                    }
                }
            });
        }
    });
    (addr, log)
}

fn check_reply(
    id: &str,
    req: &Req,
    r: &Result<Bytes, CallError>,
    want: Option<&Outcome>,
    fails: &mut Failures,
) {
    fails.check(reply_matches(Some(r), want), || {
        format!(
            "{id} session {}: got {r:?}, skynet's reply was {want:?}",
            req.session
        )
    });
}

async fn drive(x: &Exchange, fails: &mut Failures) {
    let (addr, log) = stand_in(x.id.clone(), vec![script(x, 1)]).await;
    let node = Node::new(ClusterConfig::new().with_node("n", addr));
    let reqs = requests(x, 1);
    let want = replies(x, 1);
    // Issue every request in recorded order without waiting (current-thread runtime:
    // tasks start in spawn order, so sessions are taken in that order).
    let mut tasks = Vec::new();
    for r in reqs {
        let node = node.clone();
        let waits = r.push || want.contains_key(&r.session);
        let mut opts = CallOptions::new().timeout(if waits {
            Duration::from_secs(5)
        } else {
            Duration::from_millis(300)
        });
        opts.trace = r.trace.clone();
        tasks.push(tokio::spawn(async move {
            let res = if r.push {
                node.send_with("n", r.address.clone(), r.payload.clone(), &opts)
                    .await
                    .map(|()| Bytes::new())
            } else {
                node.call_with("n", r.address.clone(), r.payload.clone(), &opts)
                    .await
            };
            (r, res)
        }));
        tokio::task::yield_now().await;
    }
    for t in tasks {
        let (r, res) = t.await.expect("task");
        if r.push {
            fails.check(res.is_ok(), || format!("{}: push failed: {res:?}", x.id));
        } else {
            check_reply(&x.id, &r, &res, want.get(&r.session), fails);
        }
    }
    // Let the stand-in check for stray bytes, then close.
    tokio::time::sleep(Duration::from_millis(30)).await;
    node.shutdown();
    tokio::time::sleep(Duration::from_millis(5)).await;
    fails.0.extend(log.lock().unwrap().drain(..));
}

/// The time bound of one exchange's trial.
const EXCHANGE_LIMIT: Duration = Duration::from_secs(20);

/// Runs `test` on a current-thread runtime of its own, within `limit`.
fn on_runtime<F: Future<Output = Result<(), Failed>>>(
    limit: Duration,
    test: F,
) -> Result<(), Failed> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(async { timeout(limit, test).await.expect("test took too long") })
}

/// Why an exchange is not driven from its recorded requests, if it is not.
fn not_driven(x: &Exchange) -> Option<&'static str> {
    if x.id.starts_with("raw_") {
        Some("hand-made frames, not a sender's (the listener replay covers them)")
    } else if x.id == "reload_changenode" {
        Some("driven by hand in reload_to_a_new_address_as_skynet_does")
    } else if x.id == "node_down_false" {
        Some("driven by hand in node_down_and_back_as_skynet_does")
    } else {
        None
    }
}

fn main() {
    let all = Arc::new(exchanges());
    let mut trials = Vec::new();
    for (i, x) in all.iter().enumerate() {
        let name = format!("client::{}", x.id);
        if let Some(why) = not_driven(x) {
            trials.push(not_checked(name, format!("{}: {why}", x.id)));
            continue;
        }
        let xs = Arc::clone(&all);
        trials.push(Trial::test(name, move || {
            on_runtime(EXCHANGE_LIMIT, async move {
                let x = &xs[i];
                assert_eq!(x.conns(), vec![1], "{}", x.id);
                let mut fails = Failures::default();
                drive(x, &mut fails).await;
                fails.verdict("client replay")
            })
        }));
    }
    let xs = Arc::clone(&all);
    trials.push(Trial::test("suite::driven_exchanges", move || {
        let driven = xs.iter().filter(|x| not_driven(x).is_none()).count();
        assert_eq!(driven, 38);
        Ok(())
    }));
    trials.push(Trial::test(
        "reload_to_a_new_address_as_skynet_does",
        || on_runtime(common::TEST_LIMIT, reload_to_a_new_address_as_skynet_does()),
    ));
    trials.push(Trial::test("node_down_and_back_as_skynet_does", || {
        on_runtime(common::TEST_LIMIT, node_down_and_back_as_skynet_does())
    }));
    run(trials)
}

fn find(id: &str) -> Exchange {
    exchanges()
        .into_iter()
        .find(|x| x.id == id)
        .expect("exchange")
}

async fn call(node: &Node, payload: &Req) -> Result<Bytes, CallError> {
    node.call("n", payload.address.clone(), payload.payload.clone())
        .await
}

async fn reload_to_a_new_address_as_skynet_does() -> Result<(), Failed> {
    let x = find("reload_changenode");
    let (a, log_a) = stand_in(x.id.clone(), vec![script(&x, 1)]).await;
    let (b, log_b) = stand_in(x.id.clone(), vec![script(&x, 2)]).await;
    let node = Node::new(ClusterConfig::new().with_node("n", a));
    let r1 = &requests(&x, 1)[0];
    let r2 = &requests(&x, 2)[0];
    let mut fails = Failures::default();
    check_reply(
        &x.id,
        r1,
        &call(&node, r1).await,
        replies(&x, 1).get(&1),
        &mut fails,
    );
    node.reload(ClusterConfig::new().with_node("n", b));
    check_reply(
        &x.id,
        r2,
        &call(&node, r2).await,
        replies(&x, 2).get(&2),
        &mut fails,
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    fails.0.extend(log_a.lock().unwrap().drain(..));
    fails.0.extend(log_b.lock().unwrap().drain(..));
    fails.verdict("reload_changenode")
}

async fn node_down_and_back_as_skynet_does() -> Result<(), Failed> {
    let x = find("node_down_false");
    let (a, log) = stand_in(x.id.clone(), vec![script(&x, 1), script(&x, 2)]).await;
    let node = Node::new(ClusterConfig::new().with_node("n", a.clone()));
    let r1 = &requests(&x, 1)[0];
    let r3 = &requests(&x, 2)[0];
    let mut fails = Failures::default();
    check_reply(
        &x.id,
        r1,
        &call(&node, r1).await,
        replies(&x, 1).get(&1),
        &mut fails,
    );
    node.reload(ClusterConfig::new().with_down("n"));
    let down = node.call_lua::<_, String>("n", "@echo", &"down").await;
    fails.check(matches!(down, Err(CallError::NodeDown(_))), || {
        format!("down call: {down:?}")
    });
    node.reload(ClusterConfig::new().with_node("n", a));
    // Session 3: the failed call consumed 2, as in skynet.
    check_reply(
        &x.id,
        r3,
        &call(&node, r3).await,
        replies(&x, 2).get(&3),
        &mut fails,
    );
    tokio::time::sleep(Duration::from_millis(50)).await;
    fails.0.extend(log.lock().unwrap().drain(..));
    fails.verdict("node_down_false")
}
