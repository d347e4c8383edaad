#!/usr/bin/env bash
# The sanitizer builds of the reliability gate:
#   asan   the whole suite under AddressSanitizer + UndefinedBehaviorSanitizer (build-asan)
#   tsan   the tests labelled "threads" under ThreadSanitizer (build-tsan)
# Flags go on the cmake command line; no CMakeLists sets them. Any report fails: halt_on_error=1
# stops at the first one (rather than -fno-sanitize-recover, which would ignore suppressions).
# Usage: scripts/sanitizers.sh [asan|tsan|all] (default all). Expects scripts/quickstart.sh to
# have installed the build dependencies.
set -euo pipefail
cd "$(dirname "$0")/.."

which=${1:-all}
jobs=$(nproc)

configure_and_build() { # dir flags [targets...]
    local dir=$1 flags=$2
    shift 2
    cmake -S . -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
        -DTASKCONDUCTOR_BUILD_DEMO=OFF "-DCMAKE_CXX_FLAGS=$flags" \
        "-DCMAKE_EXE_LINKER_FLAGS=$flags" "-DCMAKE_SHARED_LINKER_FLAGS=$flags"
    if [ $# -gt 0 ]; then
        cmake --build "$dir" --parallel "$jobs" --target "$@"
    else
        cmake --build "$dir" --parallel "$jobs"
    fi
}

run_asan() {
    # No vptr check: it probes the object's memory through a pipe, so at the fd limit that
    # tst_fdpressure reaches on purpose it reports valid objects as "invalid vptr", and such a
    # report cannot be suppressed (suppressions match the dynamic type it could not read).
    # ASan still catches calls on freed objects.
    configure_and_build build-asan \
        "-fsanitize=address,undefined -fno-sanitize=vptr -fno-omit-frame-pointer"
    # The install_* tests build an unsanitized program against the sanitized library: the ASan
    # runtime would not come first in it, so it is left to the plain build.
    ASAN_OPTIONS=halt_on_error=1:abort_on_error=1:detect_leaks=1:strict_string_checks=1 \
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
        ctest --test-dir build-asan --output-on-failure --parallel "$jobs" -E '^install_'
}

run_tsan() {
    configure_and_build build-tsan "-fsanitize=thread -fno-omit-frame-pointer"
    # Without a fixed address space layout, TSan fails on hosts with high mmap randomisation.
    # QProcess forks from a multi-threaded host; the child only execs, so that is safe here.
    TSAN_OPTIONS=halt_on_error=1:second_deadlock_stack=1:die_after_fork=0 \
        setarch "$(uname -m)" -R \
        ctest --test-dir build-tsan --output-on-failure --parallel "$jobs" -L '^threads$'
}

case "$which" in
asan) run_asan ;;
tsan) run_tsan ;;
all)
    run_asan
    run_tsan
    ;;
*)
    echo "usage: $0 [asan|tsan|all]" >&2
    exit 2
    ;;
esac
