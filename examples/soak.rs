//! Soak run (not part of CI; `scripts/soak.sh` builds and starts it): `--nodes`
//! `skynet-cluster serve` processes on 127.0.0.1, `--calls` calls from `--workers`
//! concurrent callers of one [`Node`] (paced at `--rate` calls/s; 0: as fast as they
//! go), while a controller kills a random node with SIGKILL every `--kill-ms` (random
//! in the range, calls in flight) and restarts it on the same port after a random
//! `--down-ms` (callers keep calling it meanwhile: those calls fail) and once every
//! call made to the dead process has resolved.
//!
//! Calls alternate between `@echo (id)` or `@slow (cs, id)` (10 to 50 ms; the reply
//! must carry the call's own id) and `@counter "inc"` (the reply is the count after this call's increment, unique
//! per execution in one process). Before each kill and every 250 ms a control node
//! reads each live node's count (`"get"`): a snapshot.
//!
//! - **lost**: a call that returned `Ok` but whose effect is missing (an `inc` reply
//!   `v` above the count of a snapshot sent after that reply arrived), or a call that
//!   returned neither `Ok` nor an error (still pending `--timeout-ms` + 5 s after it
//!   started, or no outcome at all at the end);
//! - **duplicated**: a call with two outcomes, an answer with another call's id, two
//!   `inc` replies with the same count in one incarnation of a node, or a count above
//!   the number of `inc` calls that could have reached that incarnation (a request
//!   executed twice).
//!
//! Errors (connection lost, refused connects, timeouts) are expected while nodes die;
//! they are counted by kind. Each server's resident memory (VmRSS) is sampled every
//! second. Exit status 1 when anything was lost or duplicated.
//!
//! ```text
//! cargo run --release --example soak -- --serve target/release/skynet-cluster
//! ```

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use skynet_cluster::{CallError, ClusterConfig, Node};

struct Opts {
    serve: String,
    nodes: usize,
    calls: u64,
    workers: usize,
    timeout: Duration,
    kill: (u64, u64),
    down: (u64, u64),
    threads: usize,
    rate: u64,
    seed: u64,
}

fn parse() -> Opts {
    let mut o = Opts {
        serve: "target/release/skynet-cluster".into(),
        nodes: 4,
        calls: 100_000,
        workers: 32,
        timeout: Duration::from_millis(2000),
        kill: (300, 1500),
        down: (50, 500),
        threads: 1,
        rate: 2500,
        seed: 0,
    };
    let range = |v: &str| -> (u64, u64) {
        let (a, b) = v.split_once("..").unwrap_or((v, v));
        (
            a.parse().expect("a number"),
            b.parse::<u64>().expect("a number").max(1),
        )
    };
    let mut args = std::env::args().skip(1);
    while let Some(flag) = args.next() {
        let v = args
            .next()
            .unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--serve" => o.serve = v,
            "--nodes" => o.nodes = v.parse().expect("--nodes N"),
            "--calls" => o.calls = v.parse().expect("--calls N"),
            "--workers" => o.workers = v.parse().expect("--workers N"),
            "--timeout-ms" => o.timeout = Duration::from_millis(v.parse().expect("ms")),
            "--kill-ms" => o.kill = range(&v),
            "--down-ms" => o.down = range(&v),
            "--threads" => o.threads = v.parse().expect("--threads N"),
            "--rate" => o.rate = v.parse().expect("--rate CALLS_PER_S"),
            "--seed" => o.seed = v.parse().expect("--seed N"),
            _ => panic!(
                "unknown flag {flag}; flags: --serve PATH --nodes N --calls N --workers N \
                 --timeout-ms MS --kill-ms MIN..MAX --down-ms MIN..MAX --threads N --rate N --seed N"
            ),
        }
    }
    assert!(o.nodes >= 2, "--nodes: at least 2 (n0 is never killed)");
    o
}

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn range(&mut self, (lo, hi): (u64, u64)) -> u64 {
        lo + self.next() % (hi.saturating_sub(lo) + 1)
    }
}

/// One `serve` process; killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_serve(o: &Opts, name: &str, listen: &str) -> (Server, u16) {
    let mut child = Command::new(&o.serve)
        .args(["serve", "--name", name, "--listen", listen])
        .args(["--threads", &o.threads.to_string()])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", o.serve));
    let mut line = String::new();
    BufReader::new(child.stdout.take().expect("stdout"))
        .read_line(&mut line)
        .expect("listening line");
    let port = line
        .trim()
        .rsplit(':')
        .next()
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"));
    (Server(child), port)
}

struct Slot {
    name: String,
    port: u16,
    server: Option<Server>,
    /// Its process runs.
    up: bool,
    /// Workers may call it (up, or killed and not yet being restarted: those calls
    /// fail).
    callable: bool,
    incarnation: u32,
    inflight: usize,
}

#[derive(Clone, Copy)]
enum Outcome {
    Echo,
    Inc(i64),
    Mismatch,
    Hung,
    Error(&'static str),
}

struct Record {
    id: u64,
    node: usize,
    incarnation: u32,
    start: Instant,
    end: Instant,
    outcome: Outcome,
}

struct Snapshot {
    node: usize,
    incarnation: u32,
    count: i64,
    sent: Instant,
    replied: Instant,
}

fn rss_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
}

/// VmRSS of every server (`None`: down), then of this process.
fn rss_sample(slots: &Mutex<Vec<Slot>>) -> Vec<Option<u64>> {
    let s = slots.lock().unwrap_or_else(|e| e.into_inner());
    let mut v: Vec<Option<u64>> = s
        .iter()
        .map(|n| n.server.as_ref().and_then(|c| rss_kib(c.0.id())))
        .collect();
    v.push(rss_kib(std::process::id()));
    v
}

fn main() {
    let o = Arc::new(parse());
    let seed = if o.seed == 0 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("clock")
            .as_nanos() as u64
            | 1
    } else {
        o.seed
    };
    let t0 = Instant::now();
    let mut config = ClusterConfig::new();
    let mut slots = Vec::new();
    for i in 0..o.nodes {
        let name = format!("n{i}");
        let (server, port) = spawn_serve(&o, &name, "127.0.0.1:0");
        config = config.with_node(&name, format!("127.0.0.1:{port}"));
        slots.push(Slot {
            name,
            port,
            server: Some(server),
            up: true,
            callable: true,
            incarnation: 0,
            inflight: 0,
        });
    }
    let slots = Arc::new(Mutex::new(slots));

    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let build = |timeout: Duration| {
        Node::builder()
            .config(config.clone())
            .call_timeout(Some(timeout))
            .connect_timeout(timeout)
            .reconnect_backoff(Duration::from_millis(20), Duration::from_millis(200))
            .build()
    };
    let caller = build(o.timeout);
    let control = build(Duration::from_millis(500));
    let next_id = Arc::new(AtomicU64::new(0));
    let records: Arc<Mutex<Vec<Record>>> = Arc::default();
    let snapshots: Arc<Mutex<Vec<Snapshot>>> = Arc::default();
    let done = Arc::new(AtomicBool::new(false));
    let kills = Arc::new(AtomicU64::new(0));
    let mut rss: Vec<(f64, Vec<Option<u64>>)> = Vec::new();

    let paced_from = Instant::now();
    rt.block_on(async {
        let mut workers = Vec::new();
        for w in 0..o.workers {
            let (o, caller, next_id, records, slots) = (
                o.clone(),
                caller.clone(),
                next_id.clone(),
                records.clone(),
                slots.clone(),
            );
            let mut rng = Rng(seed ^ ((w as u64 + 1) * 0x9e37_79b9_7f4a_7c15) | 1);
            workers.push(tokio::spawn(async move {
                loop {
                    let id = next_id.fetch_add(1, Ordering::SeqCst);
                    if id >= o.calls {
                        break;
                    }
                    if o.rate > 0 {
                        // Paced: call `id` starts no earlier than id / rate.
                        let at = paced_from + Duration::from_secs_f64(id as f64 / o.rate as f64);
                        tokio::time::sleep_until(at.into()).await;
                    }
                    // A live node; its in-flight count keeps it from being restarted
                    // before this call has an outcome.
                    let (node, name, incarnation) = loop {
                        let pick = {
                            let mut s = slots.lock().unwrap_or_else(|e| e.into_inner());
                            let up: Vec<usize> = (0..s.len()).filter(|&i| s[i].callable).collect();
                            (!up.is_empty()).then(|| {
                                let i = up[(rng.next() % up.len() as u64) as usize];
                                s[i].inflight += 1;
                                (i, s[i].name.clone(), s[i].incarnation)
                            })
                        };
                        match pick {
                            Some(p) => break p,
                            None => tokio::time::sleep(Duration::from_millis(1)).await,
                        }
                    };
                    let start = Instant::now();
                    let call = async {
                        if id % 2 == 0 {
                            // Half of them through `@slow` (10..50 ms), so that kills
                            // find calls in flight.
                            let r = if id % 4 == 0 {
                                caller.call_lua::<_, (u64,)>(&name, "@echo", &(id,)).await
                            } else {
                                let cs = 1 + id % 5;
                                caller
                                    .call_lua::<_, (u64,)>(&name, "@slow", &(cs, id))
                                    .await
                            };
                            match r {
                                Ok((r,)) if r == id => Outcome::Echo,
                                Ok(_) => Outcome::Mismatch,
                                Err(e) => Outcome::Error(e.kind()),
                            }
                        } else {
                            let r: Result<(i64,), CallError> =
                                caller.call_lua(&name, "@counter", &("inc",)).await;
                            match r {
                                Ok((v,)) => Outcome::Inc(v),
                                Err(e) => Outcome::Error(e.kind()),
                            }
                        }
                    };
                    let outcome = tokio::time::timeout(o.timeout + Duration::from_secs(5), call)
                        .await
                        .unwrap_or(Outcome::Hung);
                    let end = Instant::now();
                    slots.lock().unwrap_or_else(|e| e.into_inner())[node].inflight -= 1;
                    records
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(Record {
                            id,
                            node,
                            incarnation,
                            start,
                            end,
                            outcome,
                        });
                    if matches!(outcome, Outcome::Error(_)) {
                        // Failures during the back-off are instant: do not spin.
                        tokio::time::sleep(Duration::from_millis(5)).await;
                    }
                }
            }));
        }

        // Snapshots of every live node's count, every 250 ms.
        let snap = {
            let (control, slots, snapshots) = (control.clone(), slots.clone(), snapshots.clone());
            move |node: usize| {
                let (control, slots, snapshots) =
                    (control.clone(), slots.clone(), snapshots.clone());
                async move {
                    let (name, incarnation) = {
                        let s = slots.lock().unwrap_or_else(|e| e.into_inner());
                        if !s[node].up {
                            return false;
                        }
                        (s[node].name.clone(), s[node].incarnation)
                    };
                    let sent = Instant::now();
                    let r: Result<(i64,), CallError> =
                        control.call_lua(&name, "@counter", &("get",)).await;
                    let replied = Instant::now();
                    let still = {
                        let s = slots.lock().unwrap_or_else(|e| e.into_inner());
                        s[node].up && s[node].incarnation == incarnation
                    };
                    match r {
                        Ok((count,)) if still => {
                            snapshots
                                .lock()
                                .unwrap_or_else(|e| e.into_inner())
                                .push(Snapshot {
                                    node,
                                    incarnation,
                                    count,
                                    sent,
                                    replied,
                                });
                            true
                        }
                        _ => false,
                    }
                }
            }
        };
        let snapper = {
            let (done, snap, n) = (done.clone(), snap.clone(), o.nodes);
            tokio::spawn(async move {
                while !done.load(Ordering::SeqCst) {
                    for i in 0..n {
                        snap(i).await;
                    }
                    tokio::time::sleep(Duration::from_millis(250)).await;
                }
            })
        };

        // The killer.
        let killer = {
            let (o, slots, done, kills, snap) = (
                o.clone(),
                slots.clone(),
                done.clone(),
                kills.clone(),
                snap.clone(),
            );
            let mut rng = Rng(seed.rotate_left(17) | 1);
            tokio::spawn(async move {
                let mut restarts = Vec::new();
                loop {
                    tokio::time::sleep(Duration::from_millis(rng.range(o.kill))).await;
                    if done.load(Ordering::SeqCst) {
                        break;
                    }
                    let victim = {
                        let s = slots.lock().unwrap_or_else(|e| e.into_inner());
                        // n0 is never killed: its RSS spans the whole run.
                        let up: Vec<usize> = (1..s.len()).filter(|&i| s[i].up).collect();
                        if up.is_empty() {
                            continue;
                        }
                        up[(rng.next() % up.len() as u64) as usize]
                    };
                    snap(victim).await;
                    let server = {
                        let mut s = slots.lock().unwrap_or_else(|e| e.into_inner());
                        s[victim].up = false;
                        s[victim].server.take()
                    };
                    drop(server); // SIGKILL, calls in flight
                    kills.fetch_add(1, Ordering::SeqCst);
                    let (o, slots) = (o.clone(), slots.clone());
                    let downtime = Duration::from_millis(rng.range(o.down));
                    restarts.push(tokio::spawn(async move {
                        // Calls to the dead node fail meanwhile.
                        tokio::time::sleep(downtime).await;
                        // Every call made to the dead incarnation resolves first.
                        slots.lock().unwrap_or_else(|e| e.into_inner())[victim].callable = false;
                        loop {
                            let n =
                                slots.lock().unwrap_or_else(|e| e.into_inner())[victim].inflight;
                            if n == 0 {
                                break;
                            }
                            tokio::time::sleep(Duration::from_millis(2)).await;
                        }
                        let (name, port) = {
                            let s = slots.lock().unwrap_or_else(|e| e.into_inner());
                            (s[victim].name.clone(), s[victim].port)
                        };
                        let o2 = o.clone();
                        let (server, _) = tokio::task::spawn_blocking(move || {
                            spawn_serve(&o2, &name, &format!("127.0.0.1:{port}"))
                        })
                        .await
                        .expect("restart");
                        let mut s = slots.lock().unwrap_or_else(|e| e.into_inner());
                        s[victim].server = Some(server);
                        s[victim].incarnation += 1;
                        s[victim].up = true;
                        s[victim].callable = true;
                    }));
                }
                for r in restarts {
                    r.await.expect("restart task");
                }
            })
        };

        // RSS of every server, every second, until the calls are done.
        let all_done = async {
            for w in workers {
                w.await.expect("worker");
            }
        };
        tokio::pin!(all_done);
        loop {
            let sample = rss_sample(&slots);
            rss.push((t0.elapsed().as_secs_f64(), sample));
            tokio::select! {
                () = &mut all_done => break,
                () = tokio::time::sleep(Duration::from_secs(1)) => {}
            }
        }
        done.store(true, Ordering::SeqCst);
        killer.await.expect("killer");
        snapper.await.expect("snapper");
        // Final snapshots of every node (all up again now).
        for i in 0..o.nodes {
            for _ in 0..20 {
                if snap(i).await {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(100)).await;
            }
        }
    });
    let elapsed = t0.elapsed();
    rss.push((elapsed.as_secs_f64(), rss_sample(&slots)));
    slots
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .iter_mut()
        .for_each(|s| drop(s.server.take()));

    let records = std::mem::take(&mut *records.lock().unwrap_or_else(|e| e.into_inner()));
    let snapshots = std::mem::take(&mut *snapshots.lock().unwrap_or_else(|e| e.into_inner()));
    let report = analyse(&o, &records, &snapshots);
    println!(
        "soak: {} nodes, {} workers, {} calls in {:.1} s ({:.0} calls/s), {} kills (SIGKILL) \
         with restarts, seed {seed}",
        o.nodes,
        o.workers,
        records.len(),
        elapsed.as_secs_f64(),
        records.len() as f64 / elapsed.as_secs_f64(),
        kills.load(Ordering::SeqCst),
    );
    println!("{}", report.text);
    let names: Vec<String> = (0..o.nodes).map(|i| format!("n{i}")).collect();
    println!(
        "RSS (MiB) over time: the servers {} (- = down; n0 is never killed), then this client \
         (which keeps a record of every call):",
        names.join(" ")
    );
    let every = rss.len().div_ceil(20).max(1);
    for (k, (t, sample)) in rss.iter().enumerate() {
        if k % every != 0 && k + 1 != rss.len() {
            continue;
        }
        let cols: Vec<String> = sample
            .iter()
            .map(|v| v.map_or("-".to_owned(), |k| format!("{:.1}", k as f64 / 1024.0)))
            .collect();
        println!("  t={t:5.1}s  {}", cols.join("  "));
    }
    let all: Vec<u64> = rss
        .iter()
        .flat_map(|(_, s)| s[..o.nodes].iter().flatten().copied())
        .collect();
    if let (Some(lo), Some(hi)) = (all.iter().min(), all.iter().max()) {
        println!(
            "server RSS range: {:.1} .. {:.1} MiB",
            *lo as f64 / 1024.0,
            *hi as f64 / 1024.0
        );
    }
    if report.lost + report.duplicated > 0 {
        std::process::exit(1);
    }
}

struct Report {
    lost: u64,
    duplicated: u64,
    text: String,
}

fn analyse(o: &Opts, records: &[Record], snapshots: &[Snapshot]) -> Report {
    let mut text = String::new();
    let mut lost = 0u64;
    let mut duplicated = 0u64;
    let mut problems = Vec::new();
    // Each id exactly once.
    let mut seen = HashSet::new();
    for r in records {
        if !seen.insert(r.id) {
            duplicated += 1;
            problems.push(format!("call {} has two outcomes", r.id));
        }
    }
    let missing = (0..o.calls).filter(|id| !seen.contains(id)).count() as u64;
    lost += missing;
    // Outcomes by kind; latency of successes.
    let mut kinds: BTreeMap<&str, u64> = BTreeMap::new();
    let mut ok_us = Vec::new();
    for r in records {
        let k = match r.outcome {
            Outcome::Echo | Outcome::Inc(_) => {
                ok_us.push((r.end - r.start).as_micros() as u64);
                "ok"
            }
            Outcome::Mismatch => {
                duplicated += 1;
                problems.push(format!("call {} got another call's answer", r.id));
                "mismatch"
            }
            Outcome::Hung => {
                lost += 1;
                problems.push(format!("call {} neither returned nor failed", r.id));
                "hung"
            }
            Outcome::Error(k) => k,
        };
        *kinds.entry(k).or_default() += 1;
    }
    // Per incarnation: inc replies against snapshots.
    let mut incs: HashMap<(usize, u32), Vec<&Record>> = HashMap::new();
    let mut inc_calls: HashMap<(usize, u32), Vec<Instant>> = HashMap::new();
    for r in records {
        if r.id % 2 == 1 {
            inc_calls
                .entry((r.node, r.incarnation))
                .or_default()
                .push(r.start);
            if let Outcome::Inc(_) = r.outcome {
                incs.entry((r.node, r.incarnation)).or_default().push(r);
            }
        }
    }
    let mut snaps: HashMap<(usize, u32), Vec<&Snapshot>> = HashMap::new();
    for s in snapshots {
        snaps.entry((s.node, s.incarnation)).or_default().push(s);
    }
    let mut verified = 0u64;
    let mut ok_incs = 0u64;
    for (key, replies) in &incs {
        let mut values = HashSet::new();
        let ss = snaps.get(key).map(Vec::as_slice).unwrap_or(&[]);
        for r in replies {
            ok_incs += 1;
            let Outcome::Inc(v) = r.outcome else { continue };
            if !values.insert(v) {
                duplicated += 1;
                problems.push(format!(
                    "node {} #{}: count {v} answered twice",
                    key.0, key.1
                ));
            }
            // The first snapshot sent after this reply arrived must include it.
            if let Some(s) = ss.iter().filter(|s| s.sent >= r.end).min_by_key(|s| s.sent) {
                verified += 1;
                if v > s.count {
                    lost += 1;
                    problems.push(format!(
                        "node {} #{}: call {} returned count {v}, a later snapshot saw {}",
                        key.0, key.1, r.id, s.count
                    ));
                }
            }
        }
    }
    for (key, ss) in &snaps {
        let starts = inc_calls.get(key).map(Vec::as_slice).unwrap_or(&[]);
        for s in ss {
            let could = starts.iter().filter(|t| **t < s.replied).count() as i64;
            if s.count > could {
                duplicated += 1;
                problems.push(format!(
                    "node {} #{}: count {} but only {could} inc calls could have reached it",
                    key.0, key.1, s.count
                ));
            }
        }
    }
    ok_us.sort_unstable();
    let pct = |p: f64| {
        ok_us
            .get(((ok_us.len() as f64 - 1.0) * p) as usize)
            .copied()
    };
    text += &format!("outcomes: {kinds:?}\n");
    if let (Some(p50), Some(p99), Some(max)) = (pct(0.5), pct(0.99), ok_us.last()) {
        text += &format!("successful call latency: p50 {p50} us, p99 {p99} us, max {max} us\n");
    }
    text += &format!(
        "inc calls answered: {ok_incs}, of which {verified} checked against a later count \
         snapshot ({} snapshots)\n",
        snapshots.len()
    );
    text += &format!("lost: {lost} (missing outcomes {missing}), duplicated: {duplicated}");
    for p in problems.iter().take(20) {
        text += &format!("\n  {p}");
    }
    Report {
        lost,
        duplicated,
        text,
    }
}
