//! Multi-host: three cluster hosts in three network namespaces joined by a switch,
//! with 20 ms ± 5 ms of one-way delay and 1 % loss on every link; one link is cut,
//! then healed.
//!
//! Needs root and iproute2 (`ip`); without them it prints why and passes as skipped.
//! Everything it makes — the namespaces `skc<pid>{a,b,c,h}`, the veth pairs inside
//! them, the processes — is removed at the end, on failure too. Traffic stays inside
//! those namespaces (addresses in 10.77.0.0/24 exist only there).
//!
//! - `a` runs the driver: this test binary again (`ip netns exec` of
//!   [`netns_helper`] with `SKYNET_NETNS_ROLE=driver`), a [`Node`] calling `@echo`
//!   on `b` and `c` with an id in each payload (4 callers per node), and a second
//!   [`Node`] pushing to `@counter` on both, each push followed by a `flush`.
//! - `b` and `c` run `skynet-cluster serve`.
//! - `h` is the switch: a bridge with `tc netem delay 20ms 5ms loss 1%` on each port
//!   when the kernel has netem; otherwise (`CONFIG_NET_SCH_NETEM` unset, as on the
//!   CI machines) this binary again as a user-space switch (`SKYNET_NETNS_ROLE=hub`)
//!   that forwards frames between the ports through packet sockets with the same
//!   delay, jitter and loss. `SKYNET_NETNS_SWITCH=netem|hub` forces one.
//!
//! After a warm-up the link of `b` is set down on the switch for 3 s (a silent
//! black hole: no reset reaches either end), then set up again. The test checks
//! that every call got exactly one outcome, that no reply carries another call's
//! id, that every failure is a typed transient error (`timeout`, `connection_lost`,
//! `connect`) within the call timeout plus slack, that every call to `b` made during
//! the cut failed while `c` kept answering, that calls to `b` succeed again soon
//! after the heal, and that each push confirmed by a successful flush was counted
//! by `@counter` (and none counted twice).

use std::collections::{HashMap, HashSet};
use std::io::{BufRead, BufReader, Read, Write};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{json, Value};
use skynet_cluster::{CallError, ClusterConfig, Node};

const BIN: &str = env!("CARGO_BIN_EXE_skynet-cluster");
const ROLE: &str = "SKYNET_NETNS_ROLE";
/// The prefix of the driver's and the hub's protocol lines on stdout (the test
/// harness prints its own lines there too).
const TAG: &str = "NETNS>";
/// The name of the helper test the children run.
const HELPER: &str = "netns_helper";

const CALL_TIMEOUT: Duration = Duration::from_millis(1000);
const BACKOFF_MIN: Duration = Duration::from_millis(100);
const BACKOFF_MAX: Duration = Duration::from_millis(1000);
const WARM_UP: Duration = Duration::from_secs(3);
const CUT: Duration = Duration::from_secs(3);
/// Time given after the heal before the driver is told to stop.
const AFTER_HEAL: Duration = Duration::from_secs(7);
/// Slack on every timing bound: CI runs this on 2 cores beside other tests.
const SLACK: Duration = Duration::from_millis(1500);
/// One-way delay, jitter and loss of each link.
const DELAY_MS: u64 = 20;
const JITTER_MS: u64 = 5;
const LOSS_PERCENT: u32 = 1;

const NET: &str = "10.77.0";
const PORT: u16 = 7001;

fn now_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs_f64()
        * 1000.0
}

// ---------------------------------------------------------------------------------
// The test (root namespace).

#[test]
fn cut_and_heal_a_link_between_namespaced_hosts() {
    if let Err(why) = prerequisites() {
        eprintln!("SKIPPED cut_and_heal_a_link_between_namespaced_hosts: {why}");
        return;
    }
    let started = Instant::now();
    let net = match Topology::create() {
        Ok(t) => t,
        Err(why) => {
            eprintln!("SKIPPED cut_and_heal_a_link_between_namespaced_hosts: {why}");
            return;
        }
    };
    let switch = net.switch_up();
    eprintln!("switch: {switch:?}");
    let b = Proc::serve(&net.ns("b"), "b");
    let c = Proc::serve(&net.ns("c"), "c");
    let mut driver = Proc::driver(&net.ns("a"));
    let ready = driver.line(Duration::from_secs(10));
    assert_eq!(ready.as_deref(), Some("ready"), "driver: {}", driver.log());

    std::thread::sleep(WARM_UP);
    net.link("b", false);
    let cut_at = now_ms();
    std::thread::sleep(CUT);
    net.link("b", true);
    let heal_at = now_ms();
    std::thread::sleep(AFTER_HEAL);
    driver.say("stop");
    let result = driver
        .line(Duration::from_secs(30))
        .unwrap_or_else(|| panic!("no driver result; its log:\n{}", driver.log()));
    let result: Value = serde_json::from_str(&result).expect("driver JSON");
    drop(driver);
    drop((b, c, switch));

    let (summary, failed) = check(&result, cut_at, heal_at);
    eprintln!("{summary}");
    drop(net);
    let took = started.elapsed();
    eprintln!("whole test: {:.1} s", took.as_secs_f64());
    assert!(failed.is_empty(), "{}", failed.join("\n"));
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

/// Why the test cannot run here, if it cannot.
fn prerequisites() -> Result<(), String> {
    let status = std::fs::read_to_string("/proc/self/status").map_err(|e| e.to_string())?;
    let euid = status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|v| v.split_whitespace().nth(1))
        .unwrap_or("?");
    if euid != "0" {
        return Err(format!(
            "needs root to make network namespaces (effective uid {euid})"
        ));
    }
    match Command::new("ip").arg("-V").output() {
        Ok(o) if o.status.success() => Ok(()),
        _ => Err("needs `ip` (iproute2) on PATH".into()),
    }
}

/// Runs `ip`/`tc`/... and returns its error output when it fails.
fn sh(cmd: &str, args: &[&str]) -> Result<(), String> {
    let out = Command::new(cmd)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("{cmd}: {e}"))?;
    if out.status.success() {
        Ok(())
    } else {
        Err(format!(
            "`{cmd} {}` failed: {}",
            args.join(" "),
            String::from_utf8_lossy(&out.stderr).trim()
        ))
    }
}

/// The namespaces and links; all deleted on drop (deleting a namespace deletes the
/// veth ends in it, and with them their peers).
struct Topology {
    prefix: String,
    made: Vec<String>,
}

/// How the switch delays and drops.
#[derive(Debug)]
enum Switch {
    /// A bridge with netem on its ports (kernel).
    Netem,
    /// The user-space switch process (killed on drop).
    Hub { _process: Proc },
}

impl Topology {
    const HOSTS: [(&'static str, u8); 3] = [("a", 1), ("b", 2), ("c", 3)];

    fn ns(&self, host: &str) -> String {
        format!("{}{host}", self.prefix)
    }

    fn create() -> Result<Topology, String> {
        let mut t = Topology {
            prefix: format!("skc{}", std::process::id()),
            made: Vec::new(),
        };
        let hub = t.ns("h");
        for host in ["a", "b", "c", "h"] {
            let ns = t.ns(host);
            sh("ip", &["netns", "add", &ns])
                .map_err(|e| format!("cannot make a network namespace: {e}"))?;
            t.made.push(ns.clone());
            sh("ip", &["-n", &ns, "link", "set", "lo", "up"])?;
        }
        for (host, n) in Self::HOSTS {
            let ns = t.ns(host);
            let port = format!("h{host}");
            sh(
                "ip",
                &[
                    "link", "add", "eth0", "netns", &ns, "type", "veth", "peer", "name", &port,
                    "netns", &hub,
                ],
            )?;
            let addr = format!("{NET}.{n}/24");
            sh("ip", &["-n", &ns, "addr", "add", &addr, "dev", "eth0"])?;
            sh("ip", &["-n", &ns, "link", "set", "eth0", "up"])?;
            sh("ip", &["-n", &hub, "link", "set", &port, "up"])?;
        }
        Ok(t)
    }

    /// Joins the ports: a bridge with netem when the kernel has it, else the
    /// user-space switch.
    fn switch_up(&self) -> Switch {
        let hub = self.ns("h");
        let want = std::env::var("SKYNET_NETNS_SWITCH").unwrap_or_default();
        if want != "hub" {
            let netem = (|| {
                for (host, _) in Self::HOSTS {
                    let port = format!("h{host}");
                    sh(
                        "ip",
                        &[
                            "netns",
                            "exec",
                            &hub,
                            "tc",
                            "qdisc",
                            "add",
                            "dev",
                            &port,
                            "root",
                            "netem",
                            "delay",
                            &format!("{DELAY_MS}ms"),
                            &format!("{JITTER_MS}ms"),
                            "loss",
                            &format!("{LOSS_PERCENT}%"),
                        ],
                    )?;
                }
                Ok::<(), String>(())
            })();
            match netem {
                Ok(()) => {
                    let run = |args: &[&str]| sh("ip", args).expect("bridge");
                    run(&["-n", &hub, "link", "add", "br0", "type", "bridge"]);
                    for (host, _) in Self::HOSTS {
                        run(&[
                            "-n",
                            &hub,
                            "link",
                            "set",
                            &format!("h{host}"),
                            "master",
                            "br0",
                        ]);
                    }
                    run(&["-n", &hub, "link", "set", "br0", "up"]);
                    return Switch::Netem;
                }
                Err(e) if want == "netem" => panic!("SKYNET_NETNS_SWITCH=netem: {e}"),
                Err(e) => eprintln!("no netem here ({e}): using the user-space switch"),
            }
        }
        let mut p = Proc::helper(&hub, "hub", &[]);
        let ready = p.line(Duration::from_secs(10));
        assert_eq!(ready.as_deref(), Some("ready"), "hub: {}", p.log());
        Switch::Hub { _process: p }
    }

    /// Sets the switch port of `host` up or down.
    fn link(&self, host: &str, up: bool) {
        let port = format!("h{host}");
        let state = if up { "up" } else { "down" };
        sh("ip", &["-n", &self.ns("h"), "link", "set", &port, state]).expect("link state");
    }
}

impl Drop for Topology {
    fn drop(&mut self) {
        for ns in self.made.drain(..).rev() {
            if let Err(e) = sh("ip", &["netns", "del", &ns]) {
                eprintln!("cleanup: {e}");
            }
        }
    }
}

/// A child process in a namespace, killed on drop. Its stdout lines tagged [`TAG`]
/// come through a channel; its stderr is kept for failure messages.
struct Proc {
    what: String,
    child: Child,
    stdin: Option<ChildStdin>,
    lines: mpsc::Receiver<String>,
    stderr: std::sync::Arc<std::sync::Mutex<String>>,
}

impl std::fmt::Debug for Proc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} (pid {})", self.what, self.child.id())
    }
}

impl Proc {
    fn spawn(what: String, mut cmd: Command, tagged: bool) -> Proc {
        let mut child = cmd
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap_or_else(|e| panic!("spawn {what}: {e}"));
        let (tx, lines) = mpsc::channel();
        let out = child.stdout.take().expect("stdout");
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                let line = if tagged {
                    match line.strip_prefix(TAG) {
                        Some(l) => l.trim().to_owned(),
                        None => continue,
                    }
                } else {
                    line
                };
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let stderr = std::sync::Arc::new(std::sync::Mutex::new(String::new()));
        let mut err = child.stderr.take().expect("stderr");
        let keep = stderr.clone();
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n @ 1..) = err.read(&mut buf) {
                let mut k = keep.lock().unwrap_or_else(|e| e.into_inner());
                if k.len() < 64 << 10 {
                    k.push_str(&String::from_utf8_lossy(&buf[..n]));
                }
            }
        });
        let stdin = child.stdin.take();
        Proc {
            what,
            child,
            stdin,
            lines,
            stderr,
        }
    }

    /// `skynet-cluster serve` on `NET.n:PORT` in namespace `ns`.
    fn serve(ns: &str, host: &str) -> Proc {
        let n = Topology::HOSTS
            .iter()
            .find(|(h, _)| *h == host)
            .expect("host")
            .1;
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns, BIN, "serve", "--name", host])
            .args(["--listen", &format!("{NET}.{n}:{PORT}"), "--threads", "1"]);
        let mut p = Proc::spawn(format!("serve {host}"), cmd, false);
        let line = p.line(Duration::from_secs(10)).unwrap_or_default();
        assert!(
            line.starts_with("listening on "),
            "serve {host}: {line:?} {}",
            p.log()
        );
        p
    }

    /// This test binary, running [`netns_helper`] as `role` inside `ns`.
    fn helper(ns: &str, role: &str, env: &[(&str, String)]) -> Proc {
        let exe = std::env::current_exe().expect("test binary");
        let mut cmd = Command::new("ip");
        cmd.args(["netns", "exec", ns])
            .arg(exe)
            .args([HELPER, "--exact", "--ignored", "--nocapture", "--quiet"])
            .args(["--test-threads", "1"])
            .env(ROLE, role);
        for (k, v) in env {
            cmd.env(k, v);
        }
        Proc::spawn(role.to_owned(), cmd, true)
    }

    fn driver(ns: &str) -> Proc {
        Proc::helper(
            ns,
            "driver",
            &[
                ("SKYNET_NETNS_B", format!("{NET}.2:{PORT}")),
                ("SKYNET_NETNS_C", format!("{NET}.3:{PORT}")),
            ],
        )
    }

    /// The next line within `within`.
    fn line(&mut self, within: Duration) -> Option<String> {
        self.lines.recv_timeout(within).ok()
    }

    fn say(&mut self, line: &str) {
        if let Some(s) = &mut self.stdin {
            let _ = writeln!(s, "{line}");
            let _ = s.flush();
        }
    }

    fn log(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl Drop for Proc {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Checks the driver's records against the cut and heal times: a summary, and what
/// failed (empty when all holds).
fn check(result: &Value, cut_at: f64, heal_at: f64) -> (String, Vec<String>) {
    let calls = result["calls"].as_array().expect("calls");
    let timeout_ms = CALL_TIMEOUT.as_secs_f64() * 1000.0;
    let slack_ms = SLACK.as_secs_f64() * 1000.0;
    let mut failed = Vec::new();
    let mut ids = HashSet::new();
    let mut kinds: HashMap<(String, String), usize> = HashMap::new();
    let mut longest_fail = 0f64;
    let mut cut_calls_b = 0;
    let mut cut_ok_c = 0;
    let mut first_ok_b_after_heal: Option<f64> = None;
    let mut ok_ms = Vec::new();
    let mut notes = Vec::new();
    for c in calls {
        let id = c["id"].as_u64().expect("id");
        let node = c["node"].as_str().expect("node");
        let start = c["start"].as_f64().expect("start");
        let end = c["end"].as_f64().expect("end");
        let kind = c["kind"].as_str().expect("kind");
        let took = end - start;
        let during_cut = start >= cut_at && end <= heal_at;
        *kinds.entry((node.into(), kind.into())).or_default() += 1;
        if !ids.insert(id) {
            failed.push(format!("call {id} has two outcomes"));
        }
        match kind {
            "ok" => {
                ok_ms.push(took);
                if node == "b" && during_cut {
                    failed.push(format!("call {id} to b was answered during the cut: {c}"));
                }
                if node == "c" && during_cut {
                    cut_ok_c += 1;
                }
                if node == "b" && start >= heal_at {
                    first_ok_b_after_heal =
                        Some(first_ok_b_after_heal.map_or(end, |f: f64| f.min(end)));
                }
            }
            "mismatch" => failed.push(format!("a reply carries another call's id: {c}")),
            "timeout" | "connection_lost" | "connect" => {
                longest_fail = longest_fail.max(took);
                if took > timeout_ms + slack_ms {
                    failed.push(format!(
                        "call {id} failed after {took:.0} ms, over the {timeout_ms} ms timeout: {c}"
                    ));
                }
                if node == "b" && during_cut {
                    cut_calls_b += 1;
                }
                if kind != "timeout" && notes.len() < 6 {
                    notes.push(format!(
                        "{node} {kind} {:+.0} ms from the cut: {}",
                        start - cut_at,
                        c["error"].as_str().unwrap_or("")
                    ));
                }
            }
            other => failed.push(format!(
                "call {id} failed with an unexpected kind {other}: {c}"
            )),
        }
    }
    if ok_ms.is_empty() {
        failed.push("no call succeeded".into());
        ok_ms.push(0.0);
    }
    // The links do delay: a round trip crosses the switch twice.
    ok_ms.sort_by(f64::total_cmp);
    let p50 = ok_ms[ok_ms.len() / 2];
    let slowest_ok = ok_ms[ok_ms.len() - 1];
    if p50 < 2.0 * (DELAY_MS - JITTER_MS) as f64 {
        failed.push(format!("median call {p50:.1} ms: the links add no delay"));
    }
    if cut_calls_b == 0 {
        failed.push("no call to b was made during the cut".into());
    }
    if cut_ok_c == 0 {
        failed.push("c stopped answering while only b's link was cut".into());
    }
    // No reset crosses the cut: the client declares the connection dead when a call
    // gives up after a second of total silence on it (DEAD_AFTER_SILENCE), and then
    // reconnects within its back-off maximum once the link is back.
    let bound = BACKOFF_MAX + SLACK;
    let recovered = first_ok_b_after_heal.map_or(f64::INFINITY, |t| t - heal_at);
    if recovered > bound.as_secs_f64() * 1000.0 {
        failed.push(format!(
            "first success on b came {recovered:.0} ms after the heal (bound {bound:?})"
        ));
    }
    let mut pushes = String::new();
    for node in ["b", "c"] {
        let p = &result["pushes"][node];
        let confirmed = p["confirmed"].as_u64().expect("confirmed");
        let attempted = p["attempted"].as_u64().expect("attempted");
        let counted = p["counted"].as_u64().expect("counted");
        if confirmed == 0 {
            failed.push(format!("no push to {node} was confirmed: {p}"));
        }
        if counted < confirmed {
            failed.push(format!(
                "{node}: {counted} pushes counted, {confirmed} were confirmed by a flush: lost"
            ));
        }
        if counted > attempted {
            failed.push(format!(
                "{node}: {counted} pushes counted, only {attempted} sent: duplicated"
            ));
        }
        pushes += &format!("{node}: {attempted} sent, {confirmed} confirmed, {counted} counted; ");
    }
    let mut kinds: Vec<_> = kinds.into_iter().collect();
    kinds.sort();
    let summary = format!(
        "{} calls, outcomes by (node, kind): {kinds:?}\n\
         median success {p50:.1} ms, slowest {slowest_ok:.0} ms, longest failure \
         {longest_fail:.0} ms (timeout {timeout_ms:.0} ms); {cut_calls_b} calls to b failed \
         during the cut, {cut_ok_c} to c succeeded; first success on b {recovered:.0} ms \
         after the heal\n\
         pushes: {pushes}\n\
         other errors than timeouts (first 6): {notes:?}",
        calls.len()
    );
    (summary, failed)
}

// ---------------------------------------------------------------------------------
// The children.

/// The entry point of the driver and the switch: this binary run again inside a
/// namespace with `SKYNET_NETNS_ROLE` set. Does nothing otherwise.
#[test]
#[ignore = "a helper process of cut_and_heal_a_link_between_namespaced_hosts"]
fn netns_helper() {
    match std::env::var(ROLE).as_deref() {
        Ok("driver") => driver::run(),
        Ok("hub") => hub::run(),
        _ => {}
    }
}

fn say(v: impl std::fmt::Display) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{TAG} {v}");
    let _ = out.flush();
}

mod driver {
    use super::*;
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};

    const CALLERS_PER_NODE: usize = 4;

    fn kind(r: &Result<(u64, String), CallError>, id: u64, node: &str) -> &'static str {
        match r {
            Ok((rid, rnode)) if *rid == id && rnode == node => "ok",
            Ok(_) => "mismatch",
            Err(e) => e.kind(),
        }
    }

    pub fn run() {
        let b = std::env::var("SKYNET_NETNS_B").expect("SKYNET_NETNS_B");
        let c = std::env::var("SKYNET_NETNS_C").expect("SKYNET_NETNS_C");
        let config = ClusterConfig::new().with_node("b", &b).with_node("c", &c);
        let build = || {
            Node::builder()
                .config(config.clone())
                .call_timeout(Some(CALL_TIMEOUT))
                .connect_timeout(CALL_TIMEOUT)
                .reconnect_backoff(BACKOFF_MIN, BACKOFF_MAX)
                .build()
        };
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let stop = Arc::new(AtomicBool::new(false));
        {
            let stop = stop.clone();
            std::thread::spawn(move || {
                let mut line = String::new();
                while std::io::stdin().read_line(&mut line).unwrap_or(0) > 0 {
                    if line.trim() == "stop" {
                        break;
                    }
                    line.clear();
                }
                stop.store(true, Ordering::SeqCst);
            });
        }
        let result = rt.block_on(async move {
            let caller = build();
            let pusher = build();
            let next_id = Arc::new(AtomicU64::new(1));
            let records = Arc::new(Mutex::new(Vec::new()));
            let mut tasks = Vec::new();
            for node in ["b", "c"] {
                for _ in 0..CALLERS_PER_NODE {
                    let (caller, stop, next_id, records) = (
                        caller.clone(),
                        stop.clone(),
                        next_id.clone(),
                        records.clone(),
                    );
                    tasks.push(tokio::spawn(async move {
                        while !stop.load(Ordering::SeqCst) {
                            let id = next_id.fetch_add(1, Ordering::SeqCst);
                            let start = now_ms();
                            let r: Result<(u64, String), CallError> =
                                caller.call_lua(node, "@echo", &(id, node)).await;
                            let end = now_ms();
                            let k = kind(&r, id, node);
                            records.lock().unwrap().push(json!({
                                "id": id, "node": node, "start": start, "end": end, "kind": k,
                                "error": r.as_ref().err().map(|e| e.to_string()),
                            }));
                            // Fast failures (back-off) must not spin.
                            let pause = if k == "ok" { 10 } else { 50 };
                            tokio::time::sleep(Duration::from_millis(pause)).await;
                        }
                    }));
                }
            }
            let mut pushers = Vec::new();
            for node in ["b", "c"] {
                let (pusher, stop) = (pusher.clone(), stop.clone());
                pushers.push(tokio::spawn(async move {
                    // One push, then its flush: a flush covers the pushes of its own
                    // connection only, so a push is counted as confirmed only when the
                    // flush right after it succeeded (nothing else uses this channel).
                    let (mut attempted, mut sent, mut confirmed) = (0u64, 0u64, 0u64);
                    while !stop.load(Ordering::SeqCst) {
                        attempted += 1;
                        match pusher.send_lua(node, "@counter", &("inc", 1)).await {
                            Ok(()) => {
                                sent += 1;
                                if pusher.flush(node).await.is_ok() {
                                    confirmed += 1;
                                }
                            }
                            Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                        }
                        tokio::time::sleep(Duration::from_millis(10)).await;
                    }
                    (node, attempted, sent, confirmed)
                }));
            }
            say("ready");
            for t in tasks {
                t.await.expect("caller task");
            }
            let mut pushes = serde_json::Map::new();
            for p in pushers {
                let (node, attempted, sent, confirmed) = p.await.expect("pusher task");
                // Everything sent is either taken by the remote or its connection was
                // lost; then the count.
                let deadline = Instant::now() + Duration::from_secs(15);
                let mut flushed = false;
                let mut counted = None;
                while Instant::now() < deadline && counted.is_none() {
                    if !flushed {
                        flushed = pusher.flush(node).await.is_ok();
                        continue;
                    }
                    match caller
                        .call_lua::<_, (u64,)>(node, "@counter", &("get",))
                        .await
                    {
                        Ok((n,)) => counted = Some(n),
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                }
                pushes.insert(
                    node.to_owned(),
                    json!({
                        "attempted": attempted, "sent": sent, "confirmed": confirmed,
                        "counted": counted.expect("the final count"),
                    }),
                );
            }
            let calls = std::mem::take(&mut *records.lock().unwrap());
            json!({ "calls": calls, "pushes": pushes })
        });
        say(result);
    }
}

// The user-space switch needs packet sockets, which std does not offer: the only
// `unsafe` outside sproto-rt's `unchecked` module, in a test, with its SAFETY note.
#[allow(unsafe_code)]
mod hub {
    //! A user-space Ethernet switch with netem's delay, jitter and loss, for kernels
    //! without netem: one packet socket per port (`PACKET_VNET_HDR`, so offloaded
    //! checksums and segmentation pass through), MAC learning, and one sender thread
    //! per port that releases each frame after its delay (in order per port).

    use super::*;
    use std::collections::VecDeque;
    use std::fs::File;
    use std::os::fd::FromRawFd;
    use std::os::raw::{c_char, c_int, c_uint, c_void};
    use std::sync::{Arc, Condvar, Mutex};

    const AF_PACKET: c_int = 17;
    const SOCK_RAW: c_int = 3;
    const ETH_P_ALL: u16 = 0x0003;
    const SOL_PACKET: c_int = 263;
    const PACKET_VNET_HDR: c_int = 15;
    const PACKET_IGNORE_OUTGOING: c_int = 23;
    const VNET_HDR_LEN: usize = 10;

    #[repr(C)]
    struct SockaddrLl {
        family: u16,
        protocol: u16,
        ifindex: c_int,
        hatype: u16,
        pkttype: u8,
        halen: u8,
        addr: [u8; 8],
    }

    extern "C" {
        fn socket(domain: c_int, ty: c_int, protocol: c_int) -> c_int;
        fn bind(fd: c_int, addr: *const SockaddrLl, len: u32) -> c_int;
        fn setsockopt(
            fd: c_int,
            level: c_int,
            name: c_int,
            value: *const c_void,
            len: u32,
        ) -> c_int;
        fn if_nametoindex(name: *const c_char) -> c_uint;
    }

    /// A packet socket bound to interface `name`, reading and writing frames with a
    /// virtio-net header in front, not seeing its own transmissions.
    fn port(name: &str) -> std::io::Result<File> {
        let last = std::io::Error::last_os_error;
        let cname = std::ffi::CString::new(name).expect("name");
        // SAFETY: plain system calls on a socket this function owns; every pointer
        // passed points to a live value of the size given.
        unsafe {
            let ifindex = if_nametoindex(cname.as_ptr());
            if ifindex == 0 {
                return Err(last());
            }
            let fd = socket(AF_PACKET, SOCK_RAW, c_int::from(ETH_P_ALL.to_be()));
            if fd < 0 {
                return Err(last());
            }
            let file = File::from_raw_fd(fd);
            let one: c_int = 1;
            for opt in [PACKET_VNET_HDR, PACKET_IGNORE_OUTGOING] {
                let p = std::ptr::from_ref(&one).cast::<c_void>();
                if setsockopt(fd, SOL_PACKET, opt, p, 4) != 0 {
                    return Err(last());
                }
            }
            let sa = SockaddrLl {
                family: AF_PACKET as u16,
                protocol: ETH_P_ALL.to_be(),
                ifindex: ifindex as c_int,
                hatype: 0,
                pkttype: 0,
                halen: 0,
                addr: [0; 8],
            };
            if bind(fd, &sa, std::mem::size_of::<SockaddrLl>() as u32) != 0 {
                return Err(last());
            }
            Ok(file)
        }
    }

    /// Frames waiting for their release time, and the last release time given (so
    /// that a port keeps the order frames came in).
    struct Queue {
        frames: VecDeque<(Instant, Vec<u8>)>,
        last: Instant,
    }

    struct Out {
        queue: Mutex<Queue>,
        ready: Condvar,
    }

    /// xorshift64*: enough randomness for delays and drops.
    struct Rng(u64);

    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
    }

    pub fn run() {
        let names = ["ha", "hb", "hc"];
        let socks: Vec<File> = names
            .iter()
            .map(|n| port(n).unwrap_or_else(|e| panic!("packet socket on {n}: {e}")))
            .collect();
        let outs: Arc<Vec<Out>> = Arc::new(
            names
                .iter()
                .map(|_| Out {
                    queue: Mutex::new(Queue {
                        frames: VecDeque::new(),
                        last: Instant::now(),
                    }),
                    ready: Condvar::new(),
                })
                .collect(),
        );
        let macs: Arc<Mutex<HashMap<[u8; 6], usize>>> = Arc::default();
        let mut threads = Vec::new();
        for (i, sock) in socks.iter().enumerate() {
            // Sender: releases frames in order once their time has come.
            let (mut tx, outs2) = (sock.try_clone().expect("dup"), outs.clone());
            threads.push(std::thread::spawn(move || loop {
                let frame = {
                    let out = &outs2[i];
                    let mut q = out.queue.lock().unwrap();
                    loop {
                        match q.frames.front() {
                            None => q = out.ready.wait(q).unwrap(),
                            Some((at, _)) => {
                                let now = Instant::now();
                                if *at <= now {
                                    break q.frames.pop_front().expect("front").1;
                                }
                                let wait = *at - now;
                                q = out.ready.wait_timeout(q, wait).unwrap().0;
                            }
                        }
                    }
                };
                // A port that is down drops what it is given.
                let _ = tx.write(&frame);
            }));
            // Receiver: learns the source, picks the ports, queues with a delay.
            let (mut rx, outs, macs) = (sock.try_clone().expect("dup"), outs.clone(), macs.clone());
            let seed = now_ms().to_bits() ^ ((i as u64 + 1) << 32);
            threads.push(std::thread::spawn(move || {
                let mut rng = Rng(seed | 1);
                let mut buf = vec![0u8; 70_000];
                loop {
                    let n = match rx.read(&mut buf) {
                        Ok(n) => n,
                        Err(_) => {
                            // The port is down (ENETDOWN) or going away.
                            std::thread::sleep(Duration::from_millis(5));
                            continue;
                        }
                    };
                    if n < VNET_HDR_LEN + 14 {
                        continue;
                    }
                    let frame = &buf[..n];
                    let eth = &frame[VNET_HDR_LEN..];
                    let dst: [u8; 6] = eth[0..6].try_into().expect("6");
                    let src: [u8; 6] = eth[6..12].try_into().expect("6");
                    let to: Vec<usize> = {
                        let mut m = macs.lock().unwrap();
                        m.insert(src, i);
                        match m.get(&dst) {
                            Some(&j) if dst[0] & 1 == 0 => vec![j],
                            _ => (0..3).filter(|&j| j != i).collect(),
                        }
                    };
                    for j in to {
                        if j == i {
                            continue;
                        }
                        if rng.next() % 10_000 < u64::from(LOSS_PERCENT) * 100 {
                            continue;
                        }
                        let jitter = rng.next() % (2 * JITTER_MS * 1000 + 1);
                        let delay =
                            Duration::from_micros(DELAY_MS * 1000 - JITTER_MS * 1000 + jitter);
                        let out = &outs[j];
                        let mut q = out.queue.lock().unwrap();
                        // In order per port, as netem without reordering.
                        let at = (Instant::now() + delay).max(q.last);
                        q.last = at;
                        q.frames.push_back((at, frame.to_vec()));
                        out.ready.notify_one();
                    }
                }
            }));
        }
        say("ready");
        for t in threads {
            let _ = t.join();
        }
    }
}
