#!/usr/bin/env bash
# An MPI calibration equals the calibration without MPI (issue 13): tiny-calibration.toml under
# `mpirun -n 3` (rank 0 proposes and records, two workers simulate) and with 2 threads, then
# every dataset of the two posterior files compared (h5dump without attributes: the root's
# created, command_line and seconds differ). Then --resume of the complete posterior under MPI
# runs nothing and leaves it as it was.
# Usage: tests/mpi/calibrate.sh BUILD/icsim [WORKDIR]
set -euo pipefail
icsim=$(realpath "$1")
here=$(cd "$(dirname "$0")" && pwd)
work=${2:-$(mktemp -d)}
mkdir -p "$work" && cd "$work"
rm -f C.h5* C.attempts.h5* D.h5*
mpirun --allow-run-as-root --oversubscribe -n 3 "$icsim" calibrate "$here/tiny-calibration.toml" -o C.h5 -q
"$icsim" calibrate "$here/tiny-calibration.toml" -o D.h5 -q --threads 2
h5dump -A 0 C.h5 | tail -n +2 > C.txt
h5dump -A 0 D.h5 | tail -n +2 > D.txt
if ! cmp -s C.txt D.txt; then
  echo "MPI calibration differs from the calibration without MPI:"; diff C.txt D.txt | head -40; exit 1
fi
mpirun --allow-run-as-root --oversubscribe -n 3 "$icsim" calibrate "$here/tiny-calibration.toml" -o C.h5 --resume | tee resume.log
grep -q "is complete already" resume.log || { echo "resume of a complete calibration ran"; exit 1; }
h5dump -A 0 C.h5 | tail -n +2 > C.txt
cmp -s C.txt D.txt || { echo "resumed MPI calibration differs"; exit 1; }
echo "MPI calibration equals the calibration without MPI ($(grep -c . D.txt) dump lines), resume too"
