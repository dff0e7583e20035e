//! `sproto bench`: a game load test — N client connections, each calling one
//! protocol in a loop — reporting calls/s and latency percentiles.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use sproto_cli::stats::{Summary, Tally};
use sproto_rt::net::Peer;
use sproto_rt::rpc::CallError;
use sproto_rt::Sproto;
use tokio::sync::Semaphore;
use tokio::task::JoinSet;
use tokio::time::Instant;

use super::{positive_secs, secs, Call, ConnectArgs, Incoming, Schemas};

/// Connections being opened at once.
const CONNECTING_AT_ONCE: usize = 64;

/// Runs at least this long (warm-up included) print progress on stderr.
const PROGRESS_FROM: Duration = Duration::from_secs(3);

/// `bench --connect HOST:PORT --schema C2S --clients N --duration SECS PROTO [JSON]`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    conn: ConnectArgs,
    /// Client connections, each making one call at a time in a loop; all are
    /// connected before the measured part starts.
    #[arg(long, value_name = "N", default_value_t = 1)]
    clients: usize,
    /// Seconds to measure.
    #[arg(long, value_name = "SECS", default_value = "5", value_parser = positive_secs)]
    duration: Duration,
    /// Seconds of calls before measuring (not counted).
    #[arg(long, value_name = "SECS", default_value = "1", value_parser = secs)]
    warmup: Duration,
    /// Tokio worker threads (0: one per core).
    #[arg(long, value_name = "N", default_value_t = 0)]
    threads: usize,
    /// Print one JSON object (calls_per_sec, p50_us, p99_us, p999_us, errors, calls,
    /// clients, duration_secs, ...) instead of text.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print one Markdown table row: | clients | calls/s | p50 | p99 | p999 | errors |
    #[arg(long)]
    markdown: bool,
    /// The protocol to call (a name in --schema).
    #[arg(value_name = "PROTO")]
    proto: String,
    /// The request message: one JSON value in the sproto JSON convention (default {}).
    #[arg(value_name = "JSON")]
    request: Option<String>,
}

/// Calls made and failed so far, for the progress lines.
#[derive(Default)]
struct Progress {
    calls: AtomicU64,
    errors: AtomicU64,
}

/// The measured window.
#[derive(Clone, Copy)]
struct Window {
    from: Instant,
    end: Instant,
}

impl BenchArgs {
    /// Runs the benchmark and prints the result.
    pub fn run(self) -> Result<(), String> {
        if self.clients == 0 {
            return Err("--clients must be at least 1".into());
        }
        let schemas = self.conn.schemas()?;
        let call = Arc::new(Call::new(
            &schemas.c2s,
            &self.proto,
            self.request.as_deref(),
        )?);
        let mut rt = tokio::runtime::Builder::new_multi_thread();
        if self.threads > 0 {
            rt.worker_threads(self.threads);
        }
        let rt = rt
            .enable_all()
            .build()
            .map_err(|e| format!("cannot start the tokio runtime: {e}"))?;
        let stats = rt.block_on(self.measure(&schemas, call))?;
        self.report(&stats);
        if let Some(e) = &stats.first_error {
            eprintln!("errors by kind: {}; first error: {e}", stats.errors_line());
        }
        if stats.errors > 0 && stats.calls() == 0 {
            return Err("every call failed".into());
        }
        Ok(())
    }

    /// Opens the connections, checks one call, then runs every client's loop.
    async fn measure(&self, schemas: &Schemas, call: Arc<Call>) -> Result<Summary, String> {
        let peers = self.connect_all(schemas).await?;
        one_call(&peers[0], &call, &schemas.c2s)
            .await
            .map_err(|e| format!("first call failed: {}: {e}", call.proto))?;

        let start = Instant::now();
        let window = Window {
            from: start + self.warmup,
            end: start + self.warmup + self.duration,
        };
        let progress = Arc::new(Progress::default());
        let mut clients = JoinSet::new();
        for peer in &peers {
            let (peer, call, progress) = (peer.clone(), call.clone(), progress.clone());
            let c2s = schemas.c2s.clone();
            clients.spawn(async move {
                let mut t = Tally::default();
                loop {
                    let t0 = Instant::now();
                    if t0 >= window.end {
                        break;
                    }
                    let r = one_call(&peer, &call, &c2s).await;
                    let t1 = Instant::now();
                    let counted = t0 >= window.from;
                    match r {
                        Ok(()) => {
                            progress.calls.fetch_add(1, Ordering::Relaxed);
                            if counted {
                                t.ok(t1 - t0);
                            }
                        }
                        Err(e) => {
                            progress.errors.fetch_add(1, Ordering::Relaxed);
                            // A lost connection (counted even in the warm-up) would
                            // fail every later call at once: that client stops.
                            let lost = matches!(e, CallError::Closed(_));
                            if counted || lost {
                                t.error(e.kind(), || e.to_string());
                            }
                            if lost {
                                break;
                            }
                        }
                    }
                }
                peer.close();
                t
            });
        }
        let reporter = (self.warmup + self.duration >= PROGRESS_FROM)
            .then(|| tokio::spawn(report_progress(progress, start, window)));
        let mut tallies = Vec::with_capacity(peers.len());
        while let Some(t) = clients.join_next().await {
            tallies.push(t.map_err(|e| format!("bench client failed: {e}"))?);
        }
        if let Some(r) = reporter {
            r.abort();
        }
        Ok(Summary::new(tallies))
    }

    /// Connects every client (a few at a time); the first failure ends the run.
    async fn connect_all(&self, schemas: &Schemas) -> Result<Vec<Peer>, String> {
        let gate = Arc::new(Semaphore::new(CONNECTING_AT_ONCE));
        let dialer = self.conn.dialer(schemas);
        let mut connecting = JoinSet::new();
        for i in 0..self.clients {
            let (gate, dialer, s2c) = (gate.clone(), dialer.clone(), schemas.s2c.clone());
            connecting.spawn(async move {
                let _permit = gate.acquire().await;
                (i, dialer.connect(Incoming::new(s2c, None)).await)
            });
        }
        let mut peers: Vec<Option<Peer>> = vec![None; self.clients];
        while let Some(joined) = connecting.join_next().await {
            let (i, peer) = joined.map_err(|e| format!("connecting failed: {e}"))?;
            match peer {
                Ok(p) => peers[i] = Some(p),
                Err(e) => {
                    for p in peers.iter().flatten() {
                        p.close();
                    }
                    return Err(format!("client {}: {e}", i + 1));
                }
            }
        }
        Ok(peers.into_iter().flatten().collect())
    }

    /// Prints the result as text, JSON or a Markdown row.
    fn report(&self, stats: &Summary) {
        let rate = stats.rate(self.duration);
        let pct = |p: f64| stats.percentile_us(p);
        let transport = if self.conn.ws { "websocket" } else { "tcp" };
        if self.json {
            let v = serde_json::json!({
                "connect": self.conn.connect, "transport": transport, "proto": self.proto,
                "clients": self.clients, "duration_secs": self.duration.as_secs_f64(),
                "calls": stats.calls(), "errors": stats.errors,
                "errors_by_kind": stats.errors_by_kind, "calls_per_sec": rate.round(),
                "mean_us": stats.mean_us(), "p50_us": pct(0.50), "p99_us": pct(0.99),
                "p999_us": pct(0.999), "max_us": stats.max_us(),
            });
            println!("{v}");
        } else if self.markdown {
            println!(
                "| {} | {:.0} | {:.0} µs | {:.0} µs | {:.0} µs | {} |",
                self.clients,
                rate,
                pct(0.50),
                pct(0.99),
                pct(0.999),
                stats.errors
            );
        } else {
            println!(
                "{} on {} ({transport}) with {} clients: {} calls in {:.1} s = {:.0} calls/s; latency mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs, p999 {:.1} µs; errors {}",
                self.proto,
                self.conn.connect,
                self.clients,
                stats.calls(),
                self.duration.as_secs_f64(),
                rate,
                stats.mean_us(),
                pct(0.50),
                pct(0.99),
                pct(0.999),
                stats.errors,
            );
        }
    }
}

/// One call; its answer must decode as the protocol's response type.
async fn one_call(peer: &Peer, call: &Call, c2s: &Sproto) -> Result<(), CallError> {
    let answer = peer.call_raw(call.tag, &call.body).await?;
    if let Some(ty) = call.response {
        c2s.decode_type(ty, &answer)?;
    }
    Ok(())
}

/// One line a second on stderr: calls and errors so far, the rate of the last second.
async fn report_progress(progress: Arc<Progress>, start: Instant, window: Window) {
    let mut tick = tokio::time::interval_at(start + Duration::from_secs(1), Duration::from_secs(1));
    let mut last = 0;
    loop {
        let now = tick.tick().await;
        if now >= window.end {
            return;
        }
        let calls = progress.calls.load(Ordering::Relaxed);
        let errors = progress.errors.load(Ordering::Relaxed);
        let phase = if now < window.from {
            "warm-up"
        } else {
            "measuring"
        };
        eprintln!(
            "{:>4.0} s {phase}: {calls} calls ({} calls/s), {errors} errors",
            (now - start).as_secs_f64(),
            calls - last
        );
        last = calls;
    }
}
