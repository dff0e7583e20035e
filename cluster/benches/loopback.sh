#!/usr/bin/env bash
# `skynet-cluster bench` against `skynet-cluster serve`, two processes on 127.0.0.1:
# 1 / 16 / 256 calls in flight x payloads of 10 B / 1 KiB / 64 KiB, one Markdown
# table row each (see BENCHMARKS.md, section "skynet cluster"), each with the raw
# loopback baseline of the same frame bytes measured right after it (`--baseline`).
#
#   cluster/benches/loopback.sh [ADDRESS] [SECONDS] [SERVE_THREADS] [BENCH_THREADS] [BENCH_ARGS...]
#
# ADDRESS defaults to @echo (unpacks and packs its arguments again, as a Lua echo
# service would); threads default to 0 = one tokio worker per core; BENCH_ARGS go to
# every `bench` (e.g. --busy-poll-us 50).
set -euo pipefail
cd "$(dirname "$0")/../.."
ADDRESS="${1:-@echo}"
SECS="${2:-5}"
SERVE_THREADS="${3:-0}"
BENCH_THREADS="${4:-0}"
shift $(( $# < 4 ? $# : 4 ))
cargo build --release -q -p sproto-cli --bin skynet-cluster
BIN=target/release/skynet-cluster
OUT="$(mktemp)"
"$BIN" serve --listen 127.0.0.1:0 --threads "$SERVE_THREADS" >"$OUT" &
SERVE=$!
trap 'kill "$SERVE" 2>/dev/null || true; rm -f "$OUT"' EXIT
for _ in $(seq 50); do grep -q listening "$OUT" && break; sleep 0.1; done
ADDR="$(sed -n 's/^listening on //p' "$OUT")"
echo "| in flight | payload | calls/s | p50 | p99 | p999 | errors | raw echo/s | raw p50 | calls/s vs raw | p50 vs raw |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |"
for c in 1 16 256; do
  for p in 10 1024 65536; do
    "$BIN" bench --cluster "s=$ADDR" s "$ADDRESS" --concurrency "$c" --payload "$p" \
      --duration "$SECS" --warmup 1 --threads "$BENCH_THREADS" --check --markdown --baseline "$@"
  done
done
