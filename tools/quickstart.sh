#!/usr/bin/env bash
# First command of the README: install what is missing, build Release, run the default scenario.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
cmake --preset release >/dev/null
cmake --build --preset release
./build/release/icsim run "$@"
