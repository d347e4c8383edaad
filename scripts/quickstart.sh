#!/usr/bin/env bash
# One entry point for a fresh Debian 12 machine (run as root, or it uses sudo):
#   scripts/quickstart.sh run    install what is missing, build, run the main job
#   scripts/quickstart.sh test   install what is missing, build, run every test (ctest)
#   scripts/quickstart.sh qml    install what is missing, build, start the QML demo (needs a display)
# BUILD_DIR (default: build) and BUILD_TYPE (default: RelWithDebInfo) may be set.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
build_dir=${BUILD_DIR:-build}
build_type=${BUILD_TYPE:-RelWithDebInfo}

packages=(
    cmake ninja-build g++ pkg-config
    qt6-base-dev libgl-dev
    qt6-declarative-dev qt6-declarative-dev-tools libqt6sql6-sqlite
    qml6-module-qtquick qml6-module-qtquick-controls qml6-module-qtquick-layouts
    qml6-module-qtquick-window qml6-module-qtquick-templates qml6-module-qtqml-workerscript
    qml6-module-qttest qml6-module-qtqml-models
    # the QML demo and its offscreen rendering test draw text
    fonts-dejavu-core
    # the man page check renders docs/taskconductor.1
    groff-base
)

install_missing() {
    local missing=()
    for p in "${packages[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    echo "installing: ${missing[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

build() {
    cmake -S . -B "$build_dir" -G Ninja -DCMAKE_BUILD_TYPE="$build_type"
    cmake --build "$build_dir" --parallel "$(nproc)"
}

case "$mode" in
run)
    install_missing
    build
    # The main job: the headless tool on the sample task file shipped in examples/, recorded in
    # the embedded SQLite store. A fresh store each time, so that every run runs the whole list
    # (keep the file and run the same command again to see a resume instead).
    rm -f "$build_dir/examples-tasks.db" "$build_dir/examples-tasks.db-wal" "$build_dir/examples-tasks.db-shm"
    "$build_dir/src/cli/taskconductor" run --jobs 4 --store "$build_dir/examples-tasks.db" examples/tasks.jsonl
    ;;
test)
    install_missing
    build
    ctest --test-dir "$build_dir" --output-on-failure --parallel "$(nproc)"
    ;;
qml)
    install_missing
    build
    "$build_dir/bin/TaskConductorQmlDemo"
    ;;
*)
    echo "usage: $0 run|test|qml" >&2
    exit 2
    ;;
esac
