#!/usr/bin/env bash
# Soak run (not part of CI): builds the release binaries, then runs examples/soak.rs:
# 4 `skynet-cluster serve` nodes on 127.0.0.1, 10^5 calls (paced at 2,500/s) while
# nodes are killed with SIGKILL and restarted at random; reports lost and duplicated
# calls (must be 0: exit status 1 otherwise), errors by kind, latency, and the
# servers' RSS over time. See the example's header for the precise definitions.
#
#   scripts/soak.sh [--nodes N] [--calls N] [--rate N] [--kill-ms MIN..MAX] ...
#
# Extra flags go to the example (--nodes --calls --workers --timeout-ms --kill-ms
# --down-ms --threads --rate --seed).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release -p sproto-cli --bin skynet-cluster
cargo build --release --example soak
target_dir="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')"
exec "$target_dir/release/examples/soak" --serve "$target_dir/release/skynet-cluster" "$@"
