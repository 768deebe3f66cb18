#!/usr/bin/env bash
# The MPI sweep equals the sweep without MPI (issue 8): runs tiny.toml under
# `mpirun -n 3` (rank 0 hands out runs, two workers) and without MPI, then compares every
# dataset and attribute of the two files but the provenance (tests/h5_compare.py).
# Usage: tests/mpi/compare.sh BUILD/icsim [WORKDIR]
set -euo pipefail
icsim=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
same() { /usr/bin/python3 "$here/../h5_compare.py" "$@"; }
work=${2:-$(mktemp -d)}
mkdir -p "$work" && cd "$work"
rm -f A*.h5* B.h5
mpirun --allow-run-as-root --oversubscribe -n 3 "$icsim" sweep "$here/tiny.toml" -o A.h5
"$icsim" sweep "$here/tiny.toml" -o B.h5 --threads 2
same B.h5 A.h5 || { echo "MPI sweep differs from the sweep without MPI"; exit 1; }
# Resume: drop the merged file and the worker shard holding the most runs (rank 0 hands runs
# out as workers ask, so one worker may have run all 12); --resume reruns only that shard's runs.
runs_in() { h5ls "$1/runs/run" | sed -E 's/.*\{([0-9]+)\/.*/\1/'; }
dropped=$(for f in A.mpi-*.h5; do echo "$(runs_in "$f") $f"; done | sort -rn | head -n 1)
rm -f A.h5 "${dropped#* }"
kept=$((12 - ${dropped%% *}))
mpirun --allow-run-as-root --oversubscribe -n 3 "$icsim" sweep "$here/tiny.toml" -o A.h5 --resume | tee resume.log
grep -q "12 runs, $kept already recorded" resume.log || { echo "resume did not keep $kept runs"; exit 1; }
grep -q "(${dropped%% *} now)" resume.log || { echo "resume did not rerun ${dropped%% *} runs"; exit 1; }
same B.h5 A.h5 || { echo "resumed MPI sweep differs"; exit 1; }
echo "MPI sweep equals the sweep without MPI, resume too"
