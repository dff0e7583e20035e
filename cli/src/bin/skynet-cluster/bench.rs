//! `skynet-cluster bench`: calls a service in a loop with N calls in flight and
//! reports calls/s and latency percentiles.

use std::time::{Duration, Instant};

use bytes::Bytes;
use clap::Args;
use skynet_cluster::frame::{encode_request, encode_response};
use skynet_cluster::luaseri::{pack, LuaValue};
use skynet_cluster::Address;
use sproto_cli::stats::{Summary, Tally, FAST_FAILURE};

use super::baseline;
use super::call::describe;
use super::node_args::{runtime, ClusterArgs};

/// `bench NODE ADDRESS --concurrency N --duration SECS --payload BYTES`.
#[derive(Args, Debug)]
pub struct BenchArgs {
    #[command(flatten)]
    cluster: ClusterArgs,
    /// The cluster node to call.
    node: String,
    /// The service to call (an echo: @echo, @rawecho; any service answering one string).
    address: String,
    /// Calls in flight at once.
    #[arg(long, default_value_t = 1)]
    concurrency: usize,
    /// Seconds to measure.
    #[arg(long, default_value_t = 5.0)]
    duration: f64,
    /// Seconds of calls before measuring.
    #[arg(long, default_value_t = 1.0)]
    warmup: f64,
    /// The argument: one Lua string of this many bytes (the request payload is that
    /// plus its 1 to 5 bytes of lua-seri header).
    #[arg(long, default_value_t = 10)]
    payload: usize,
    /// Check that each reply equals the request payload (an echo service).
    #[arg(long)]
    check: bool,
    /// Tokio worker threads (0: one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print one JSON object instead of text.
    #[arg(long, conflicts_with = "markdown")]
    json: bool,
    /// Print one Markdown table row: | concurrency | payload | calls/s | p50 | p99 | p999 | errors |
    /// (with --baseline also | raw calls/s | raw p50 | calls/s vs raw | p50 vs raw |).
    #[arg(long)]
    markdown: bool,
    /// Also measure the loopback's physical limit in the same run: the same request
    /// and reply frame bytes echoed by plain tokio TCP, same calls in flight on one
    /// connection (1 = ping-pong, more = pipelined), same warm-up and duration. The
    /// reply is taken to be the request payload (an echo service).
    #[arg(long)]
    baseline: bool,
}

impl BenchArgs {
    /// Runs the benchmark and prints the result.
    pub fn run(self) -> Result<(), String> {
        self.cluster.check_node(&self.node)?;
        let address: Address = self.address.parse().map_err(|e| format!("address: {e}"))?;
        let secs = |v: f64, what: &str| {
            Duration::try_from_secs_f64(v).map_err(|_| format!("--{what} {v}: expected seconds"))
        };
        let duration = secs(self.duration, "duration")?;
        let warmup = secs(self.warmup, "warmup")?;
        if self.concurrency == 0 {
            return Err("--concurrency must be at least 1".into());
        }
        let payload = Bytes::from(
            pack(&[LuaValue::String(vec![b'x'; self.payload])])
                .map_err(|e| format!("cannot pack the payload: {e}"))?,
        );
        let node = self.cluster.node()?;
        let rt = runtime(self.threads)?;
        let (tallies, elapsed) = rt.block_on(async {
            // One call first: connect, and fail early on a bad address.
            node.call(&self.node, address.clone(), payload.clone())
                .await
                .map_err(|e| format!("first call failed: {}", describe(e)))?;
            let start = Instant::now();
            let measure_from = start + warmup;
            let end = measure_from + duration;
            let tasks: Vec<_> = (0..self.concurrency)
                .map(|_| {
                    let node = node.clone();
                    let name = self.node.clone();
                    let address = address.clone();
                    let payload = payload.clone();
                    let check = self.check;
                    tokio::spawn(async move {
                        let mut t = Tally::default();
                        loop {
                            let t0 = Instant::now();
                            if t0 >= end {
                                break;
                            }
                            let r = node.call(&name, address.clone(), payload.clone()).await;
                            let t1 = Instant::now();
                            if r.is_err() && t1 - t0 < FAST_FAILURE {
                                // No busy loop during an outage (instant back-off failures).
                                tokio::time::sleep(FAST_FAILURE).await;
                            }
                            if t0 < measure_from {
                                continue;
                            }
                            match r {
                                Ok(reply) if !check || reply == payload => t.ok(t1 - t0),
                                Ok(_) => {
                                    t.error("mismatch", || "reply differs from the request".into())
                                }
                                Err(e) => t.error(e.kind(), || describe(e)),
                            }
                        }
                        t
                    })
                })
                .collect();
            let mut all = Vec::new();
            for task in tasks {
                all.push(task.await.map_err(|e| format!("bench task failed: {e}"))?);
            }
            Ok::<_, String>((all, duration))
        })?;
        let stats = Summary::new(tallies);
        let baseline = if self.baseline {
            let exchange = exchange(&address, &payload)?;
            let server = baseline::spawn_server(&exchange)?;
            // A spawned task, as the node's callers are: run in `block_on` on this
            // thread instead, a reply's wake-up would be overlapped by the extra hop
            // from a worker to the main thread, which flatters the raw latency.
            let concurrency = self.concurrency;
            let client = rt.spawn(async move {
                baseline::run_client(server, &exchange, concurrency, warmup, duration).await
            });
            Some(
                rt.block_on(client)
                    .map_err(|e| format!("baseline client task: {e}"))??,
            )
        } else {
            None
        };
        let (calls, errors) = (stats.calls(), stats.errors);
        let rate = stats.rate(elapsed);
        let pct = |p: f64| stats.percentile_us(p);
        let mean = stats.mean_us();
        if self.json {
            let mut v = serde_json::json!({
                "node": self.node, "address": self.address, "concurrency": self.concurrency,
                "payload": self.payload, "seconds": elapsed.as_secs_f64(), "calls": calls,
                "errors": errors, "errors_by_kind": stats.errors_by_kind, "calls_per_sec": rate.round(),
                "mean_us": mean, "p50_us": pct(0.50), "p99_us": pct(0.99), "p999_us": pct(0.999),
                "max_us": stats.max_us(),
            });
            if let Some(raw) = &baseline {
                v["baseline"] = serde_json::json!({
                    "calls_per_sec": raw.rate(elapsed).round(), "p50_us": raw.percentile_us(0.50),
                    "p99_us": raw.percentile_us(0.99),
                    "rate_vs_raw": rate / raw.rate(elapsed), "p50_vs_raw": pct(0.50) / raw.percentile_us(0.50),
                });
            }
            println!("{v}");
        } else if self.markdown {
            let raw = baseline.as_ref().map_or_else(String::new, |raw| {
                let (raw_rate, raw_p50) = (raw.rate(elapsed), raw.percentile_us(0.50));
                format!(
                    " {raw_rate:.0} | {raw_p50:.0} µs | {:.1} % | {:.2}× |",
                    100.0 * rate / raw_rate,
                    pct(0.50) / raw_p50
                )
            });
            println!(
                "| {} | {} B | {:.0} | {:.0} µs | {:.0} µs | {:.0} µs | {errors} |{raw}",
                self.concurrency,
                self.payload,
                rate,
                pct(0.50),
                pct(0.99),
                pct(0.999)
            );
        } else {
            println!(
                "{} {} concurrency {} payload {} B: {calls} calls in {:.1} s = {:.0} calls/s; latency mean {:.1} µs, p50 {:.1} µs, p99 {:.1} µs, p999 {:.1} µs; errors {errors}",
                self.node,
                self.address,
                self.concurrency,
                self.payload,
                elapsed.as_secs_f64(),
                rate,
                mean,
                pct(0.50),
                pct(0.99),
                pct(0.999),
            );
            if let Some(raw) = &baseline {
                let (raw_rate, raw_p50) = (raw.rate(elapsed), raw.percentile_us(0.50));
                println!(
                    "raw loopback echo of the same frames: {raw_rate:.0} exchanges/s, p50 {raw_p50:.1} µs, p99 {:.1} µs; the node reaches {:.1} % of its rate, p50 {:.2}× its p50",
                    raw.percentile_us(0.99),
                    100.0 * rate / raw_rate,
                    pct(0.50) / raw_p50
                );
            }
        }
        if let Some(e) = &stats.first_error {
            eprintln!("errors by kind: {}; first error: {e}", stats.errors_line());
        }
        if errors > 0 && calls == 0 {
            return Err("every call failed".into());
        }
        Ok(())
    }
}

/// The frame bytes of one call to `address` with `payload` and of an echo's reply.
fn exchange(address: &Address, payload: &[u8]) -> Result<baseline::Exchange, String> {
    let mut request = Vec::new();
    encode_request(&mut request, address.as_wire(), 1, false, payload)
        .map_err(|e| format!("baseline request: {e}"))?;
    let mut reply = Vec::new();
    encode_response(&mut reply, 1, payload).map_err(|e| format!("baseline reply: {e}"))?;
    Ok(baseline::Exchange { request, reply })
}
