#!/usr/bin/env bash
# Paired spawn runs only (issue 17's spawn target), alternating in each round:
#   tests/benchmarks/compare_spawn.sh BEFORE_BUILD AFTER_BUILD [ROUNDS] [TASKS]   (3 rounds, 2,000)
# Each build dir is a Release build with -DTASKCONDUCTOR_BUILD_BENCHMARKS=ON. TASKS x /bin/true at
# P = 1, 2, 8: bare QProcess, bare QProcess with what the library must do per process too
# (--environment: the merged environment is passed; --group: setpgid in the child), the
# library before and after. Prints medians of wall seconds, tasks/s, CPU seconds (user + system,
# children included) and, with perf, the host's own CPU time per task (task-clock, children
# excluded), which the children's exec does not blur.
set -euo pipefail
before=$1
after=$2
rounds=${3:-3}
tasks=${4:-2000}
samples=$(mktemp)
trap 'rm -f "$samples" "$samples.time"' EXIT
have_perf=$(command -v perf >/dev/null && perf stat -e task-clock true >/dev/null 2>&1 && echo 1 || echo 0)

variant() { # NAME -> command prefix
    case $1 in
    qprocess) echo "$after/tests/benchmarks/peer_qprocess" ;;
    qprocess-env-group) echo "$after/tests/benchmarks/peer_qprocess --environment --group" ;;
    before) echo "$before/tests/benchmarks/bench_host" ;;
    after) echo "$after/tests/benchmarks/bench_host" ;;
    esac
}
variants="qprocess qprocess-env-group before after"

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for round in $(seq "$rounds"); do
    for p in 1 2 8; do
        for v in $variants; do
            command="$(variant "$v") --tasks $tasks --concurrency $p -- /bin/true"
            start=$(date +%s%N)
            /usr/bin/time -f "%U %S" -o "$samples.time" $command >/dev/null
            end=$(date +%s%N)
            host=0
            if [ "$have_perf" = 1 ]; then
                host=$(perf stat -i -x, -e task-clock $command 2>&1 >/dev/null | awk -F, '/task-clock/ { print $1 }')
            fi
            echo "P$p-$v $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $(cat "$samples.time") $host" >>"$samples"
        done
    done
    echo "round $round, load $(cut -d' ' -f1-3 /proc/loadavg)"
done

median() { # LABEL EXPRESSION
    awk -v l="$1" "\$1 == l { print $2 }" "$samples" | sort -g \
        | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
echo
echo "| spawn, $tasks x /bin/true | wall s | tasks/s | CPU s | host CPU µs/task | / bare QProcess (wall) |"
echo "|---|---|---|---|---|---|"
for p in 1 2 8; do
    q=$(median "P$p-qprocess" '$2')
    for v in $variants; do
        w=$(median "P$p-$v" '$2')
        h=$(median "P$p-$v" '$5')
        echo "| P=$p $v | $w | $(awk -v w="$w" -v n="$tasks" 'BEGIN { printf "%.0f", n / w }') | $(median "P$p-$v" '$3 + $4') | $(awk -v h="$h" -v n="$tasks" 'BEGIN { printf "%.0f", h * 1000 / n }') | $(awk -v w="$w" -v q="$q" 'BEGIN { printf "%.2f", q / w }') |"
    done
done
