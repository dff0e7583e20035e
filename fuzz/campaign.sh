#!/bin/sh
# A fuzzing campaign: every target in turn, one libFuzzer process with one job at a
# time, each for SECONDS (default 90), starting from its working corpus
# (corpus/<target>/, grown and kept) and the checked-in seeds (seeds/<target>/).
# Crashes and timeouts go to artifacts/<target>/. Prints a Markdown table line per
# target: executions, seconds, corpus size (inputs/bytes), findings.
#
#   fuzz/campaign.sh [SECONDS] [TARGET...]
#
# Needs the nightly toolchain and cargo-fuzz (cargo install cargo-fuzz).
set -u
cd "$(dirname "$0")"
secs=${1:-90}
[ $# -gt 0 ] && shift
targets=${*:-$(cargo +nightly fuzz list)}
cargo +nightly fuzz build || exit 1
mkdir -p logs
echo "| target | executions | seconds | corpus (inputs / bytes) | findings |"
echo "| --- | ---: | ---: | ---: | --- |"
for t in $targets; do
    mkdir -p "corpus/$t" "artifacts/$t"
    log="logs/$t.log"
    cargo +nightly fuzz run "$t" "corpus/$t" "seeds/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
        -artifact_prefix="artifacts/$t/" >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    took=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -1)
    corp=$(grep -o 'corp: [0-9]*/[0-9a-zA-Z]*' "$log" | tail -1 | sed 's/corp: //')
    found=$(ls "artifacts/$t" 2>/dev/null | tr '\n' ' ')
    [ $rc -ne 0 ] && [ -z "$found" ] && found="exit $rc (see fuzz/$log)"
    echo "| $t | ${runs:-?} | ${took:-?} | ${corp:-?} | ${found:-none} |"
done
