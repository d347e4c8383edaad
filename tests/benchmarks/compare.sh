#!/usr/bin/env bash
# Paired before/after runs of the library's spawn and streaming workloads, for a change that
# must not make them slower. On a machine that others load too, only alternating runs of the
# two builds in the same minutes compare fairly:
#   tests/benchmarks/compare.sh BEFORE_BUILD AFTER_BUILD [ROUNDS]     (default 5 rounds)
# Each build dir is a Release build with -DTASKCONDUCTOR_BUILD_BENCHMARKS=ON (targets bench_host,
# peer_qprocess, tc_helper). Prints medians of wall and CPU (user + system) seconds and the
# after/before ratios, with the load average at each round.
default_rounds=5
run_stderr=/dev/stderr
source "$(dirname "$0")/pairing.sh" "$@"
long_lines 99999 2000

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for variant in before after; do
        bin=${!variant}/tests/benchmarks
        for p in 1 2 8; do
            run "spawn-P$p-$variant" "$bin/bench_host --tasks 2000 --concurrency $p -- /bin/true"
        done
        run "stream-short-none-$variant" "$bin/bench_host -- cat $data/short.txt"
        run "stream-short-json-$variant" "$bin/bench_host --events json -- cat $data/short.txt"
        run "stream-long-none-$variant" "$bin/bench_host -- cat $data/long.txt"
    done
    for p in 1 2 8; do
        run "spawn-P$p-qprocess" "$after/tests/benchmarks/peer_qprocess --tasks 2000 --concurrency $p -- /bin/true"
    done
    echo "round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
echo
echo "| workload | wall s before | wall s after | after / before | CPU s before | CPU s after | after / before |"
echo "|---|---|---|---|---|---|---|"
for w in spawn-P1 spawn-P2 spawn-P8 stream-short-none stream-short-json stream-long-none; do
    wb=$(median "$w-before" '$2')
    wa=$(median "$w-after" '$2')
    cb=$(median "$w-before" '$3 + $4')
    ca=$(median "$w-after" '$3 + $4')
    echo "| $w | $wb | $wa | $(ratio "$wa" "$wb") | $cb | $ca | $(ratio "$ca" "$cb") |"
done
for p in 1 2 8; do
    echo "| spawn-P$p, bare QProcess (reference) | | $(median "spawn-P$p-qprocess" '$2') | | | $(median "spawn-P$p-qprocess" '$3 + $4') | |"
done
