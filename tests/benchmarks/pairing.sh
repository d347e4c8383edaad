#!/usr/bin/env bash
# The paired-runs harness that compare.sh and compare_output.sh source: alternating runs of the
# variants in each round, so that the load of a shared machine falls on all of them alike.
#   source "$(dirname "$0")/pairing.sh" BEFORE_BUILD AFTER_BUILD [ROUNDS]
# Sets before, after, rounds (default $default_rounds), data (a temporary directory, removed at
# exit) holding short.txt (5,000,000 short lines), and samples; defines long_lines, run and
# median. run's stderr goes to $run_stderr (default /dev/null).
set -euo pipefail
before=$1
after=$2
rounds=${3:-${default_rounds:-3}}
data=$(mktemp -d)
trap 'rm -rf "$data"' EXIT
samples=$data/samples

"$after/tests/tc_helper" lines 5000000 x >"$data/short.txt"

long_lines() { # LENGTH COUNT: $data/long.txt, COUNT lines of LENGTH bytes
    local line
    line=$(head -c "$1" /dev/zero | tr '\0' x)
    yes "$line" | head -n "$2" >"$data/long.txt" || true
}

run() { # LABEL COMMAND
    local label=$1
    shift
    local start end
    start=$(date +%s%N)
    /usr/bin/time -f "%U %S" -o "$data/time" bash -c "$*" >"$data/out" 2>"${run_stderr:-/dev/null}"
    end=$(date +%s%N)
    # wall in ns resolution (time's %e has 10 ms), user and system seconds, then the steady
    # state's seconds where the program prints them (bench_host, peer_qprocess: run_seconds=)
    echo "$label $(awk -v a="$start" -v b="$end" 'BEGIN { printf "%.4f", (b - a) / 1e9 }') $(cat "$data/time") $(grep -o 'run_seconds=[0-9.]*' "$data/out" | cut -d= -f2)" >>"$samples"
}

median() { # LABEL EXPRESSION-OF-$2-$3-$4-$5 ($5, the run seconds: only the rows that have it)
    local need=4
    [[ $2 == *'$5'* ]] && need=5
    awk -v l="$1" -v need="$need" "\$1 == l && NF >= need { print $2 }" "$samples" | sort -g \
        | awk '{ v[NR] = $1 } END { if (NR) print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}
