#!/bin/bash
# Submits a sweep as a job array of N shards, and the merge to run once every shard succeeded.
#
#   experiments/cluster/submit.sh SWEEP.toml N [OUT] [--only I[,J...]] [-- SBATCH_OPTION...]
#
# OUT: the directory for the shards (OUT/shard-I.h5) and the merged file (OUT/all.h5), default
# results. --only I: submit shard I alone (1 <= I <= N; or I,J,... for several), and the merge
# after it, e.g. after that task failed or was cancelled; the other shards must have finished.
# Options after -- go to every sbatch call, so the scripts fit a cluster without editing them:
#   experiments/cluster/submit.sh sweep.toml 16 results -- --cpus-per-task=2 --partition=short
# Logs go to logs/ under the current directory. Prints the job ids on its last line.
set -euo pipefail
usage="usage: submit.sh SWEEP.toml N [OUT] [--only I[,J...]] [-- SBATCH_OPTION...]"
here=$(cd "$(dirname "$0")" && pwd)
ICSIM=${ICSIM:-icsim}
(($# >= 2)) || { echo "$usage" >&2; exit 2; }
sweep=$(realpath "$1") shards=$2
shift 2
out=results only=""
if (($#)) && [[ $1 != -* ]]; then out=$1; shift; fi
while (($#)); do
  case $1 in
    --only) only=${2:?$usage}; shift 2 ;;
    --) shift; break ;;
    *) echo "submit.sh: unknown argument '$1'; $usage" >&2; exit 2 ;;
  esac
done
sbatch_options=("$@")
[[ $shards =~ ^[1-9][0-9]*$ ]] || { echo "submit.sh: N must be a positive number, not '$shards'" >&2; exit 2; }
if [ -n "$only" ]; then
  bad=yes
  if [[ $only =~ ^[0-9]+(,[0-9]+)*$ ]]; then
    bad=no
    for i in ${only//,/ }; do ((10#$i >= 1 && 10#$i <= shards)) || bad=yes; done
  fi
  [ $bad = no ] || { echo "submit.sh: --only takes shards from 1 to $shards (I or I,J,...), not '$only'" >&2; exit 2; }
fi
out=$(realpath -m "$out")
"$ICSIM" sample "$sweep" --shard "1/${shards}" > /dev/null  # a bad sweep file fails here, once
mkdir -p logs "$out"

# SHARDS names the shard count: with --array=I alone, SLURM's own array variables would say 1/1.
array=$(sbatch --parsable --array="${only:-1-${shards}}" \
  --export="ALL,SWEEP=${sweep},OUT=${out},SHARDS=${shards}" "${sbatch_options[@]}" \
  "$here/sweep-array.sbatch")
array=${array%%;*}  # --parsable prints "id;cluster" on multi-cluster setups
merge=$(sbatch --parsable --dependency="afterok:${array}" --export="ALL,OUT=${out}" \
  "${sbatch_options[@]}" "$here/merge.sbatch")
merge=${merge%%;*}
echo "sweep: job array ${array} (shards ${only:-1-${shards}} of ${shards} into ${out});" \
  "merge: job ${merge} -> ${out}/all.h5"
