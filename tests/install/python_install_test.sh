#!/usr/bin/env bash
# Installs icsim into a temporary prefix and checks that the Python package there imports the
# module installed beside it (not the build tree's) and runs the model.
set -euo pipefail
build_dir=$1 install_dir=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cmake --install "$build_dir" --prefix "$work/prefix" >/dev/null
cd "$work"
env -u ICSIM_CORE_DIR PYTHONPATH="$work/prefix/$install_dir" PYTHONDONTWRITEBYTECODE=1 \
  /usr/bin/python3 - "$work/prefix/$install_dir/icsim" <<'PY'
import sys
import icsim
from icsim import _loader

core = _loader.core()
assert core.__file__.startswith(sys.argv[1]), core.__file__
assert icsim.__file__.startswith(sys.argv[1]), icsim.__file__
m = icsim.Model(years=1, threads=1)
m.run()
print("installed module:", core.__file__, "ran", m.year)
PY
