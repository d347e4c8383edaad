#!/usr/bin/env bash
# Runs the benchmarks of issue 6 side by side with their peers, on this machine, in one run:
#   tests/benchmarks/run.sh [ROUNDS]        (default 5; from anywhere in the repository)
#   WORKLOADS="stream queue" tests/benchmarks/run.sh 3     (a subset: spawn stream queue latency logging micro)
# Builds in Release (BENCH_BUILD_DIR, default build-bench), installs GNU parallel if missing,
# runs every variant of a workload once per round, alternating, and prints medians, ratios and
# the exact command lines. Raw samples go to tests/benchmarks/results/ (not committed).
set -euo pipefail
cd "$(dirname "$0")/../.."

rounds=${1:-5}
build_dir=${BENCH_BUILD_DIR:-build-bench}
spawn_tasks=${SPAWN_TASKS:-2000}
parallel_tasks=${PARALLEL_TASKS:-500} # GNU parallel runs ~100 tasks/s: fewer, same rate
workloads=${WORKLOADS:-spawn stream queue latency logging micro}
want() { [[ " $workloads " == *" $1 "* ]]; }

if ! command -v parallel >/dev/null; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends parallel
fi

cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DTASKCONDUCTOR_BUILD_BENCHMARKS=ON -DTASKCONDUCTOR_BUILD_DEMO=OFF >/dev/null
cmake --build "$build_dir" --parallel 2 >/dev/null
bin="$build_dir/tests/benchmarks"
helper="$bin/tc_helper"
[ -x "$build_dir/tests/tc_helper" ] && helper="$build_dir/tests/tc_helper"
cli=""
for candidate in "$build_dir/src/cli/taskconductor" "$build_dir/bin/taskconductor"; do
    [ -x "$candidate" ] && cli="$candidate"
done

data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
results=tests/benchmarks/results
mkdir -p "$results"
samples="$results/samples-$(date -u +%Y%m%dT%H%M%SZ).txt"

"$helper" lines 5000000 x >"$data/short.txt"
long_line=$(head -c 99999 /dev/zero | tr '\0' x)
yes "$long_line" | head -n 2000 >"$data/long.txt" || true
short_bytes=$(stat -c %s "$data/short.txt")
long_bytes=$(stat -c %s "$data/long.txt")

# CPU seconds (user + system) of everything this shell has waited for so far. `times` must
# run in this shell, not in a $(...) subshell, whose children are its own.
children_cpu() {
    times >"$data/times"
    tail -n 1 "$data/times" | awk '{ split($1, u, /[ms]/); split($2, s, /[ms]/); printf "%.3f", u[1] * 60 + u[2] + s[1] * 60 + s[2] }'
}
# wall LABEL COMMAND: runs COMMAND through bash, appends "LABEL seconds cpu_seconds" to the
# samples. On a machine that others load too, CPU time per task is the steadier figure.
declare -A commandOf
wall() {
    local label=$1 cmd=$2
    commandOf[$label]=$cmd
    local cpu0 cpu1 start end
    children_cpu >"$data/cpu0"
    cpu0=$(<"$data/cpu0")
    start=$EPOCHREALTIME
    if ! bash -c "$cmd" >/dev/null 2>"$data/stderr"; then
        echo "FAILED: $label: $cmd" >&2
        cat "$data/stderr" >&2
        return 1
    fi
    end=$EPOCHREALTIME
    children_cpu >"$data/cpu1"
    cpu1=$(<"$data/cpu1")
    echo "$label $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f", b - a }') $(awk -v a="$cpu0" -v b="$cpu1" 'BEGIN { printf "%.3f", b - a }')" >>"$samples"
}
median() { # median of column COLUMN (default 2: wall seconds; 3: CPU seconds) of LABEL
    awk -v l="$1" -v c="${2:-2}" '$1 == l { print $c }' "$samples" | sort -g \
        | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
per_task_us() { awk -v s="$1" -v n="$2" 'BEGIN { printf "%.0f", s * 1e6 / n }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / s }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

echo "# TaskConductor benchmarks, $(date -u '+%Y-%m-%d %H:%M UTC'), $rounds rounds, medians"
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)," \
    "$(awk '/MemTotal/ { printf "%.0f GB", $2 / 1048576 }' /proc/meminfo), load before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo

# --- 1. Spawn -----------------------------------------------------------------------------
if want spawn; then
echo "## 1. Spawn: $spawn_tasks x /bin/true (GNU parallel: $parallel_tasks), tasks/s"
# The CLI's input: one JSON Lines task per /bin/true.
for _ in $(seq "$spawn_tasks"); do echo '{"command":["/bin/true"]}'; done >"$data/true.jsonl"

for round in $(seq "$rounds"); do
    for p in 1 2 8; do
        wall "spawn-posix-P$p" "$bin/peer_spawn $spawn_tasks $p /bin/true"
        wall "spawn-qprocess-P$p" "$bin/peer_qprocess --tasks $spawn_tasks --concurrency $p -- /bin/true"
        wall "spawn-library-P$p" "$bin/bench_host --tasks $spawn_tasks --concurrency $p -- /bin/true"
        if [ -n "$cli" ]; then
            wall "spawn-cli-P$p" "$cli run --jobs $p --events none --progress never $data/true.jsonl"
        fi
        wall "spawn-xargs-P$p" "seq $spawn_tasks | xargs -n 1 -P $p /bin/true"
        wall "spawn-parallel-P$p" "seq $parallel_tasks | parallel -j $p /bin/true"
    done
done
echo "| P | posix_spawn | bare QProcess | library | ${cli:+CLI |} xargs -P | GNU parallel | library / QProcess | library / xargs | library / parallel |"
echo "|---|---|---|---|---|---|---|---|---|${cli:+---|}"
for p in 1 2 8; do
    r_posix=$(rate "$spawn_tasks" "$(median spawn-posix-P$p)")
    r_qp=$(rate "$spawn_tasks" "$(median spawn-qprocess-P$p)")
    r_lib=$(rate "$spawn_tasks" "$(median spawn-library-P$p)")
    r_cli=""
    [ -n "$cli" ] && r_cli="$(rate "$spawn_tasks" "$(median spawn-cli-P$p)") |"
    r_x=$(rate "$spawn_tasks" "$(median spawn-xargs-P$p)")
    r_par=$(rate "$parallel_tasks" "$(median spawn-parallel-P$p)")
    echo "| $p | $r_posix | $r_qp | $r_lib | $r_cli $r_x | $r_par | $(ratio "$r_lib" "$r_qp") | $(ratio "$r_lib" "$r_x") | $(ratio "$r_lib" "$r_par") |"
done
echo
echo "CPU time (user + system, parent and children) per task, µs:"
echo "| P | posix_spawn | bare QProcess | library | ${cli:+CLI |} xargs -P | GNU parallel | library / QProcess |"
echo "|---|---|---|---|---|---|---|${cli:+---|}"
for p in 1 2 8; do
    c_qp=$(per_task_us "$(median spawn-qprocess-P$p 3)" "$spawn_tasks")
    c_lib=$(per_task_us "$(median spawn-library-P$p 3)" "$spawn_tasks")
    c_cli=""
    [ -n "$cli" ] && c_cli="$(per_task_us "$(median spawn-cli-P$p 3)" "$spawn_tasks") |"
    echo "| $p | $(per_task_us "$(median spawn-posix-P$p 3)" "$spawn_tasks") | $c_qp | $c_lib | $c_cli $(per_task_us "$(median spawn-xargs-P$p 3)" "$spawn_tasks") | $(per_task_us "$(median spawn-parallel-P$p 3)" "$parallel_tasks") | $(ratio "$c_lib" "$c_qp") |"
done
echo

fi

# --- 2. Streaming -------------------------------------------------------------------------
if want stream; then
echo "## 2. Streaming: 5,000,000 short lines ($short_bytes B) and 2,000 lines of 100 KB ($long_bytes B)"
for round in $(seq "$rounds"); do
    for f in short long; do
        file="$data/$f.txt"
        wall "stream-$f-cat" "cat $file | cat > /dev/null"
        wall "stream-$f-qprocess" "$bin/peer_qprocess -- cat $file"
        wall "stream-$f-qprocess-split" "$bin/peer_qprocess --split -- cat $file"
        wall "stream-$f-library-none" "$bin/bench_host -- cat $file"
        wall "stream-$f-library-json" "$bin/bench_host --events json -- cat $file"
        if [ -n "$cli" ]; then
            wall "stream-$f-cli-none" "$cli run --events none --progress never -- cat $file"
            wall "stream-$f-cli-json" "$cli run --events json --progress never -- cat $file > /dev/null"
        fi
        wall "stream-$f-parallel" "parallel --line-buffer cat ::: $file > /dev/null"
    done
done
echo "| variant | short: M lines/s | short: MB/s | short: CPU s | long: MB/s | long / cat | long: CPU s |"
echo "|---|---|---|---|---|---|---|"
variants="cat qprocess qprocess-split library-none library-json ${cli:+cli-none cli-json} parallel"
long_cat=$(median stream-long-cat)
for v in $variants; do
    s=$(median "stream-short-$v")
    l=$(median "stream-long-$v")
    echo "| $v | $(awk -v s="$s" 'BEGIN { printf "%.1f", 5 / s }') | $(rate "$((short_bytes / 1000000))" "$s") | $(median "stream-short-$v" 3) | $(rate "$((long_bytes / 1000000))" "$l") | $(ratio "$long_cat" "$l") | $(median "stream-long-$v" 3) |"
done
echo

fi

# --- 3, 4. Pending memory, enqueue and cancel (library level) ------------------------------
if want queue; then
echo "## 3. Pending memory (heap bytes per pending /bin/true task)"
echo "command: $bin/bench_queue memory"
"$bin/bench_queue" memory | tee -a "$samples"
echo
echo "## 4. Enqueue and cancel, ns per call (median of $rounds runs)"
echo "command: $bin/bench_queue ops"
for round in $(seq "$rounds"); do "$bin/bench_queue" ops >>"$samples"; done
for n in 10000 100000 1000000; do
    e=$(grep "^ops tasks=$n " "$samples" | sed 's/.*enqueue_ns=\([0-9]*\).*/\1/' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    c=$(grep "^ops tasks=$n " "$samples" | sed 's/.*cancel_ns=\([0-9]*\).*/\1/' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    f=$(grep "^floor tasks=$n " "$samples" | sed 's/.*touch_ns=\([0-9]*\).*/\1/' | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
    echo "pending=$n enqueue_ns=$e cancel_ns=$c floor_dependent_touch_ns=$f"
done
echo
echo "## 4b. Scheduling (issue 14): 8 priorities x 4 lanes against FIFO; a chain of dependents"
echo "command: $bin/bench_queue sched $rounds; $bin/bench_queue chain $rounds"
"$bin/bench_queue" sched "$rounds" | tee -a "$samples"
"$bin/bench_queue" chain "$rounds" | tee -a "$samples"
echo

fi

# --- 5. Latency ---------------------------------------------------------------------------
if want latency; then
echo "## 5. Timeout and cancel latency (timeout 200 ms, grace 500 ms)"
echo "command: $bin/bench_latency $helper 7"
"$bin/bench_latency" "$helper" 7 | tee -a "$samples"
for round in $(seq "$rounds"); do
    wall "latency-parallel-timeout" "parallel --timeout 0.2 $helper hang ::: 1 || true"
done
echo "GNU parallel --timeout 0.2, ms after the deadline (wall - 200 ms, includes its startup):" \
    "$(awk -v s="$(median latency-parallel-timeout)" 'BEGIN { printf "%.0f", s * 1000 - 200 }')"
echo

fi

# --- 6. Logging, micro ---------------------------------------------------------------------
echo "## 6. Logging: measured by tests/benchmarks/logging/ (issue 3), run here as it is"
if want logging && [ -x "$bin/logging/tc_logbench" ]; then
    echo "command: $bin/logging/tc_logbench"
    "$bin/logging/tc_logbench" || true
fi
echo
if want micro; then
echo "## Microbenchmarks (QBENCHMARK, walltime)"
echo "command: $bin/bench_micro"
"$bin/bench_micro" | grep -E '^(RESULT|     [0-9])' | paste - - | sed 's/ \+/ /g' || true
echo
fi
echo "## Commands"
for label in $(printf '%s\n' "${!commandOf[@]}" | sort); do
    echo "- $label: \`${commandOf[$label]//$data/DATA}\`"
done
echo
echo "raw samples: $samples; load after: $(cut -d' ' -f1-3 /proc/loadavg)"
