#!/usr/bin/env bash
# Installs icsim into a temporary prefix and builds and runs a consumer with find_package(icsim).
set -euo pipefail
build_dir=$1 source_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cmake -S "$source_dir/tests/install/consumer" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/build" >/dev/null
"$work/build/consumer"
"$work/prefix/bin/icsim" --version
# The Python package beside it: Debian's python3 imports it from the prefix.
site=$(find "$work/prefix" -path '*dist-packages/icsim/__init__.py' -printf '%h\n' | head -1)
[ -n "$site" ] || { echo "cmake --install did not install the icsim Python package" >&2; exit 1; }
PYTHONPATH=$(dirname "$site") /usr/bin/python3 -c \
  "import icsim, sys; assert icsim.__file__.startswith(sys.argv[1]), icsim.__file__; print('icsim', icsim.__version__)" "$work/prefix"
