#!/bin/bash
# Submits a sweep as a job array of N shards, and the merge to run after it succeeds.
#   experiments/cluster/submit.sh SWEEP.toml N [OUT]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
sweep=$(realpath "${1:?usage: submit.sh SWEEP.toml N [OUT]}")
shards=${2:?usage: submit.sh SWEEP.toml N [OUT]}
out=$(realpath -m "${3:-results}")
icsim sample "$sweep" --shard "1/${shards}" > /dev/null  # a bad sweep file fails here, once
mkdir -p logs "$out"
array=$(sbatch --parsable --array="1-${shards}" --export="ALL,SWEEP=${sweep},OUT=${out}" \
  "$here/sweep-array.sbatch")
merge=$(sbatch --parsable --dependency="afterok:${array}" --export="ALL,OUT=${out}" \
  "$here/merge.sbatch")
echo "sweep: job array ${array} (${shards} shards into ${out}); merge: job ${merge} -> ${out}/all.h5"
