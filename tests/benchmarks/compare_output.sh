#!/usr/bin/env bash
# Paired runs of the output path (issue 17) against its peers, alternating in each round, so
# that the load of a shared machine falls on all variants alike:
#   tests/benchmarks/compare_output.sh BEFORE_BUILD AFTER_BUILD [ROUNDS]   (default 3 rounds)
# Each build dir is a Release build with -DTASKCONDUCTOR_BUILD_BENCHMARKS=ON (targets
# taskconductor, bench_host, peer_qprocess, tc_helper). Workloads: one `cat` of 5,000,000 short
# lines, and of 200,000 lines of 1 KiB; 2,000 x /bin/true at P = 1, 2, 8 (library before and
# after, bare QProcess, xargs -P). Prints medians of wall seconds and of CPU seconds (user +
# system, children included) per variant, and M lines/s, MB/s or tasks/s; for bench_host and
# peer_qprocess also the steady state ("run": from the first started to the last end, as they
# print it), without the start-up of the program, Qt and the first process, which weighs on a
# 90 ms run.
default_rounds=3
source "$(dirname "$0")/pairing.sh" "$@"
long_lines 1023 200000

variants() { # FILE -> lines "LABEL<TAB>COMMAND"
    local f=$1
    printf '%s\t%s\n' \
        "cat-pipe" "cat $f | cat > /dev/null" \
        "qprocess-split" "$after/tests/benchmarks/peer_qprocess --split -- cat $f" \
        "library-before" "$before/tests/benchmarks/bench_host -- cat $f" \
        "library-after" "$after/tests/benchmarks/bench_host -- cat $f" \
        "library-batched" "$after/tests/benchmarks/bench_host --batched -- cat $f" \
        "cli-none-before" "$before/src/cli/taskconductor run --events none --progress never -- cat $f" \
        "cli-none-after" "$after/src/cli/taskconductor run --events none --progress never -- cat $f" \
        "cli-text-before" "$before/src/cli/taskconductor run --events text --progress never -- cat $f > /dev/null" \
        "cli-text-after" "$after/src/cli/taskconductor run --events text --progress never -- cat $f > /dev/null" \
        "cli-json-before" "$before/src/cli/taskconductor run --events json --progress never -- cat $f > /dev/null" \
        "cli-json-after" "$after/src/cli/taskconductor run --events json --progress never -- cat $f > /dev/null"
    if command -v parallel >/dev/null; then
        printf '%s\t%s\n' \
            "parallel-line-buffer" "parallel --line-buffer cat ::: $f > /dev/null" \
            "parallel-tag-line-buffer" "parallel --tag --line-buffer cat ::: $f > /dev/null"
    fi
}

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for w in short long; do
        while IFS=$'\t' read -r label command; do
            run "$w-$label" "$command"
        done < <(variants "$data/$w.txt")
    done
    for p in 1 2 8; do
        run "spawn-P$p-qprocess" "$after/tests/benchmarks/peer_qprocess --tasks 2000 --concurrency $p -- /bin/true"
        run "spawn-P$p-before" "$before/tests/benchmarks/bench_host --tasks 2000 --concurrency $p -- /bin/true"
        run "spawn-P$p-after" "$after/tests/benchmarks/bench_host --tasks 2000 --concurrency $p -- /bin/true"
        run "spawn-P$p-xargs" "seq 2000 | xargs -n 1 -P $p /bin/true"
    done
    echo "round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

echo
echo "| variant | short: wall s | short: M lines/s | short: CPU s | short: run M lines/s | long: wall s | long: MB/s | long: CPU s | long: run MB/s |"
echo "|---|---|---|---|---|---|---|---|---|"
long_mb=$(awk -v b="$(stat -c %s "$data/long.txt")" 'BEGIN { print b / 1e6 }')
while IFS=$'\t' read -r label _; do
    ws=$(median "short-$label" '$2')
    wl=$(median "long-$label" '$2')
    rs=$(median "short-$label" '$5')
    rl=$(median "long-$label" '$5')
    echo "| $label | $ws | $(awk -v w="$ws" 'BEGIN { printf "%.1f", 5 / w }') | $(median "short-$label" '$3 + $4') | ${rs:+$(awk -v w="$rs" 'BEGIN { printf "%.1f", 5 / w }')} | $wl | $(awk -v w="$wl" -v m="$long_mb" 'BEGIN { printf "%.0f", m / w }') | $(median "long-$label" '$3 + $4') | ${rl:+$(awk -v w="$rl" -v m="$long_mb" 'BEGIN { printf "%.0f", m / w }')} |"
done < <(variants x)
echo
echo "| spawn, 2,000 x /bin/true | wall s | tasks/s | CPU s | / bare QProcess (wall) |"
echo "|---|---|---|---|---|"
for p in 1 2 8; do
    q=$(median "spawn-P$p-qprocess" '$2')
    for v in qprocess before after xargs; do
        w=$(median "spawn-P$p-$v" '$2')
        echo "| P=$p $v | $w | $(awk -v w="$w" 'BEGIN { printf "%.0f", 2000 / w }') | $(median "spawn-P$p-$v" '$3 + $4') | $(awk -v w="$w" -v q="$q" 'BEGIN { printf "%.2f", q / w }') |"
    done
done
