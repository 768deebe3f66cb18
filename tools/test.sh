#!/usr/bin/env bash
# Second command of the README (and CI): build and run every test, in Release and under
# AddressSanitizer + UndefinedBehaviourSanitizer, and the threaded tests under ThreadSanitizer.
# Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
tools/install-deps.sh
jobs=$(nproc)
# ccache keys on paths relative to the checkout, so a fresh clone elsewhere reuses the cache.
export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1 CCACHE_MAXSIZE="${CCACHE_MAXSIZE:-5G}"
for preset in release asan tsan; do
  echo "=== ${preset}: configure and build"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "=== ${preset}: test"
  ctest --preset "$preset" -j "$jobs"
done

# Fuzzing (issue 15), unless ICSIM_SKIP_FUZZ is set: the libFuzzer harnesses (tests/fuzz; Clang
# 14, ASan + UBSan) built in build/fuzz and each run for 30 s, two at a time. Any finding in icsim
# fails; one inside libhdf5 itself is listed (tests/fuzz/README.md).
if [ -z "${ICSIM_SKIP_FUZZ:-}" ]; then
  echo "=== fuzz: build the harnesses and run each for 30 s"
  tools/fuzz.sh --seconds 30
fi

# MPI sweeps (issue 8), unless ICSIM_SKIP_MPI is set: the optional -DICSIM_MPI=ON build (icsim
# only), a 12-run sweep and a small calibration under `mpirun -n 3`, each compared with the same
# without MPI.
if [ -z "${ICSIM_SKIP_MPI:-}" ]; then
  echo "=== mpi: configure and build"
  tools/install-mpi-deps.sh
  cmake -S . -B build/mpi -DCMAKE_BUILD_TYPE=Release -DICSIM_MPI=ON \
    -DICSIM_BUILD_TESTS=OFF -DICSIM_BUILD_BENCH=OFF >/dev/null
  cmake --build build/mpi --target icsim -j "$jobs"
  echo "=== mpi: test"
  mpi_work=$(mktemp -d)
  tests/mpi/compare.sh build/mpi/icsim "$mpi_work"
  tests/mpi/calibrate.sh build/mpi/icsim "$mpi_work"
  rm -rf "$mpi_work"
fi

# The SLURM scripts on a real single-node SLURM (issue 17), unless ICSIM_SKIP_CLUSTER is set:
# Debian's slurm-wlm and munge, then the cluster test (skipped, with its reason, where SLURM's
# daemons cannot run). Its MPI job uses build/mpi/icsim, built above unless ICSIM_SKIP_MPI is set.
if [ -z "${ICSIM_SKIP_CLUSTER:-}" ]; then
  echo "=== cluster: SLURM"
  tools/install-cluster-deps.sh
  if [ -n "${ICSIM_SKIP_MPI:-}" ]; then export ICSIM_CLUSTER_MPI_BINARY=""; fi
  ctest --preset cluster
fi
