#!/usr/bin/env bash
# Builds the libFuzzer targets with clang and runs each for FUZZ_SECONDS (default 60) on its
# committed seed corpus (fuzz/corpus/<name>). A crash, a sanitizer report or a broken invariant
# makes the fuzzer exit non-zero, and this script with it. New inputs go to a scratch directory,
# so the committed corpus changes only when someone copies a finding in on purpose.
set -euo pipefail
cd "$(dirname "$0")/.."

build_dir=${FUZZ_BUILD_DIR:-build-fuzz}
seconds=${FUZZ_SECONDS:-60}

packages=(clang libclang-rt-14-dev)
missing=()
for p in "${packages[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

CC=clang CXX=clang++ cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DTASKCONDUCTOR_BUILD_FUZZERS=ON -DTASKCONDUCTOR_BUILD_TESTS=OFF -DTASKCONDUCTOR_BUILD_DEMO=OFF \
    "-DCMAKE_CXX_FLAGS=-fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer"
cmake --build "$build_dir" --parallel "$(nproc)"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
status=0
for corpus in fuzz/corpus/*/; do
    name=$(basename "$corpus")
    fuzzer="$build_dir/fuzz/fuzz_$name"
    [ -x "$fuzzer" ] || { echo "no fuzzer for corpus $name" >&2; status=1; continue; }
    mkdir -p "$scratch/$name"
    echo "== fuzz_$name for ${seconds}s"
    if ! (cd "$scratch" && "$OLDPWD/$fuzzer" -max_total_time="$seconds" -max_len=65536 \
              -print_final_stats=1 "$scratch/$name" "$OLDPWD/$corpus"); then
        echo "fuzz_$name FAILED; the input is in the log above (and artifact files)" >&2
        status=1
    fi
done
exit $status
