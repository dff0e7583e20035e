//! `serve --metrics HOST:PORT`: the node's metrics (`skynet_cluster::telemetry`) in
//! the Prometheus text format on `GET /metrics`, and `GET /health`: 200 while the
//! node serves, 503 before it listens and once it is shutting down (for
//! `--shutdown-grace` seconds before the listeners close, so that a load balancer
//! sees it first).
//!
//! The recorder is `metrics-exporter-prometheus`'s; the HTTP side is a small
//! HTTP/1.1 responder on tokio (one request per connection, bounded in time, size
//! and connections), so no HTTP stack is linked in.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use clap::Args;
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{watch, Semaphore};

/// The latency histograms' bucket bounds, in seconds (50 µs to 30 s).
const BUCKETS: &[f64] = &[
    0.000_05, 0.000_1, 0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5,
    1.0, 2.5, 5.0, 10.0, 30.0,
];
/// The longest request head read.
const MAX_HEAD: usize = 8 << 10;
/// How long a client has to send its request and take the answer.
const IO_TIMEOUT: Duration = Duration::from_secs(5);
/// HTTP connections served at once; more wait in the accept queue.
const MAX_CONNECTIONS: usize = 64;
/// How often the recorder's histograms are folded (also done at each scrape).
const UPKEEP: Duration = Duration::from_secs(5);

/// `--metrics`, `--shutdown-grace`.
#[derive(Args, Debug, Clone)]
pub struct MetricsArgs {
    /// Serve Prometheus metrics on http://HOST:PORT/metrics and the node's health on
    /// /health (200 serving, 503 starting or shutting down). Port 0 picks one; the
    /// address is printed as `metrics on ADDR` after `listening on ADDR`.
    #[arg(long, value_name = "HOST:PORT")]
    pub metrics: Option<String>,
    /// Seconds /health answers 503 before the node stops listening, once it is told
    /// to shut down (with --metrics).
    #[arg(long, default_value_t = 0.1, value_name = "SECS")]
    pub shutdown_grace: f64,
}

/// The installed recorder and the health flag.
pub struct Exporter {
    handle: PrometheusHandle,
    health: watch::Sender<bool>,
    grace: Duration,
}

impl MetricsArgs {
    /// Installs the Prometheus recorder when `--metrics` is given: to be called before
    /// the node is built (a node takes its metric handles as it registers services and
    /// first calls a node).
    pub fn install(&self) -> Result<Option<Exporter>, String> {
        let grace = Duration::try_from_secs_f64(self.shutdown_grace)
            .map_err(|_| format!("--shutdown-grace {}: expected seconds", self.shutdown_grace))?;
        if self.metrics.is_none() {
            return Ok(None);
        }
        let handle = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), BUCKETS)
            .and_then(|b| b.install_recorder())
            .map_err(|e| format!("cannot set up metrics: {e}"))?;
        skynet_cluster::telemetry::describe();
        Ok(Some(Exporter {
            handle,
            health: watch::channel(false).0,
            grace,
        }))
    }
}

impl Exporter {
    /// Listens on `--metrics` and serves `/metrics` and `/health` until the process
    /// ends; returns the bound address.
    pub async fn start(&self, args: &MetricsArgs) -> Result<SocketAddr, String> {
        let target = args.metrics.as_deref().unwrap_or("127.0.0.1:0");
        let listener = TcpListener::bind(target)
            .await
            .map_err(|e| format!("--metrics {target}: {e}"))?;
        let addr = listener
            .local_addr()
            .map_err(|e| format!("--metrics {target}: {e}"))?;
        let handle = self.handle.clone();
        tokio::spawn(async move {
            loop {
                tokio::time::sleep(UPKEEP).await;
                handle.run_upkeep();
            }
        });
        tokio::spawn(serve_http(
            listener,
            self.handle.clone(),
            self.health.subscribe(),
        ));
        Ok(addr)
    }

    /// The node serves: /health answers 200.
    pub fn serving(&self) {
        let _ = self.health.send(true);
    }

    /// The node is shutting down: /health answers 503 from now on; returns after the
    /// grace period (at least `at_least`).
    pub async fn drain(&self, at_least: Duration) {
        let _ = self.health.send(false);
        tokio::time::sleep(self.grace.max(at_least)).await;
    }
}

/// Accepts HTTP connections and answers each one's request.
async fn serve_http(
    listener: TcpListener,
    handle: PrometheusHandle,
    health: watch::Receiver<bool>,
) {
    let slots = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = slots.clone().acquire_owned().await else {
            return;
        };
        let stream = match listener.accept().await {
            Ok((s, _)) => s,
            Err(e) => {
                tracing::warn!(error = %e, "metrics: accept failed");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let handle = handle.clone();
        let healthy = *health.borrow();
        tokio::spawn(async move {
            let _ = tokio::time::timeout(IO_TIMEOUT, answer(stream, &handle, healthy)).await;
            drop(permit);
        });
    }
}

/// Reads one request head and writes the answer.
async fn answer(mut stream: TcpStream, handle: &PrometheusHandle, healthy: bool) {
    let mut head = Vec::with_capacity(1024);
    let mut buf = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buf).await {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buf[..n]),
        }
        if head.len() > MAX_HEAD {
            let _ = respond(
                &mut stream,
                "431 Request Header Fields Too Large",
                "text/plain",
                b"",
                true,
            )
            .await;
            return;
        }
    }
    let line = head
        .split(|&b| b == b'\r')
        .next()
        .and_then(|l| std::str::from_utf8(l).ok())
        .unwrap_or("");
    let mut parts = line.split(' ');
    let (method, target) = (parts.next().unwrap_or(""), parts.next().unwrap_or(""));
    let path = target.split('?').next().unwrap_or("");
    let with_body = method != "HEAD";
    if method != "GET" && method != "HEAD" {
        let _ = respond(
            &mut stream,
            "405 Method Not Allowed",
            "text/plain",
            b"GET or HEAD\n",
            with_body,
        )
        .await;
        return;
    }
    let _ = match path {
        "/metrics" => {
            let text = handle.render();
            respond(
                &mut stream,
                "200 OK",
                "text/plain; version=0.0.4; charset=utf-8",
                text.as_bytes(),
                with_body,
            )
            .await
        }
        "/health" if healthy => {
            respond(&mut stream, "200 OK", "text/plain", b"ok\n", with_body).await
        }
        "/health" => {
            respond(
                &mut stream,
                "503 Service Unavailable",
                "text/plain",
                b"not serving\n",
                with_body,
            )
            .await
        }
        _ => {
            respond(
                &mut stream,
                "404 Not Found",
                "text/plain",
                b"/metrics or /health\n",
                with_body,
            )
            .await
        }
    };
}

async fn respond(
    stream: &mut TcpStream,
    status: &str,
    content_type: &str,
    body: &[u8],
    with_body: bool,
) -> std::io::Result<()> {
    let head = format!(
        "HTTP/1.1 {status}\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).await?;
    if with_body {
        stream.write_all(body).await?;
    }
    stream.shutdown().await
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One GET; returns the status line and the body.
    async fn get(addr: SocketAddr, request: &str) -> (String, String) {
        let mut s = TcpStream::connect(addr).await.expect("connect");
        s.write_all(request.as_bytes()).await.expect("write");
        let mut out = String::new();
        s.read_to_string(&mut out).await.expect("read");
        let (head, body) = out.split_once("\r\n\r\n").expect("a head");
        (
            head.lines().next().unwrap_or("").to_owned(),
            body.to_owned(),
        )
    }

    #[tokio::test]
    async fn health_follows_the_flag_and_other_paths_are_refused() {
        // A recorder of its own (not installed globally).
        let recorder = PrometheusBuilder::new().build_recorder();
        let handle = recorder.handle();
        metrics::with_local_recorder(&recorder, || {
            metrics::counter!("skynet_cluster_test_total").increment(3);
        });
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        let (health, rx) = watch::channel(false);
        let server = tokio::spawn(serve_http(listener, handle, rx));
        let run = async {
            let (status, _) = get(addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
            assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
            health.send(true).expect("flag");
            let (status, body) = get(addr, "GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
            assert_eq!(
                (status.as_str(), body.as_str()),
                ("HTTP/1.1 200 OK", "ok\n")
            );
            let (status, body) = get(addr, "GET /metrics HTTP/1.0\r\n\r\n").await;
            assert_eq!(status, "HTTP/1.1 200 OK");
            assert!(body.contains("skynet_cluster_test_total 3\n"), "{body}");
            let (status, body) = get(addr, "HEAD /metrics HTTP/1.1\r\n\r\n").await;
            assert_eq!((status.as_str(), body.as_str()), ("HTTP/1.1 200 OK", ""));
            let (status, _) = get(addr, "GET /other HTTP/1.1\r\n\r\n").await;
            assert_eq!(status, "HTTP/1.1 404 Not Found");
            let (status, _) = get(addr, "POST /metrics HTTP/1.1\r\n\r\n").await;
            assert_eq!(status, "HTTP/1.1 405 Method Not Allowed");
            let huge = format!(
                "GET /metrics HTTP/1.1\r\nX: {}\r\n\r\n",
                "a".repeat(MAX_HEAD)
            );
            let (status, _) = get(addr, &huge).await;
            assert_eq!(status, "HTTP/1.1 431 Request Header Fields Too Large");
            health.send(false).expect("flag");
            let (status, _) = get(addr, "GET /health HTTP/1.1\r\n\r\n").await;
            assert_eq!(status, "HTTP/1.1 503 Service Unavailable");
        };
        tokio::time::timeout(Duration::from_secs(30), run)
            .await
            .expect("bounded");
        server.abort();
    }
}
