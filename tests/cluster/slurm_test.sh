#!/usr/bin/env bash
# The SLURM scripts of experiments/cluster on a real SLURM (issue 17). Starts a single-node SLURM
# from Debian's packages (munged, slurmctld, slurmd; a generated slurm.conf on 127.0.0.1, free
# ports, proctrack/linuxproc, no cgroups) in a temporary directory, waits for the node to be idle,
# then does what a user does, with the shipped scripts unmodified:
#   1. submit.sh SWEEP 3 OUT: a job array of 3 shards and the merge after it; one task is
#      requeued (scontrol requeue) once its shard file holds a committed run, and resumes from its
#      commits; the merged file equals a plain `icsim sweep` of the same file;
#   2. submit.sh again, scancel one running task: the merge is cancelled, not run
#      (kill_invalid_depend); submit.sh --only I then gives the same file again;
#   3. sweep-mpi.sbatch on 2 tasks (mpirun inside the allocation), where the MPI build exists:
#      the same file again.
# Every daemon is stopped by its process id, also on failure, and nothing of the test may be left
# running. Exits 77 (CTest: skipped) with the reason when this machine cannot run SLURM.
#
#   tests/cluster/slurm_test.sh BUILD/icsim [MPI_BUILD/icsim]
# ICSIM_CLUSTER_MPI_BINARY, when set (even empty: no MPI job), replaces the second argument.
set -euo pipefail
skip() { echo "SKIPPED: $*"; exit 77; }
(($# >= 1)) || { echo "usage: $0 ICSIM [MPI_ICSIM]" >&2; exit 2; }
icsim=$(realpath "$1")
mpi_icsim=${ICSIM_CLUSTER_MPI_BINARY-${2:-}}
mpi_icsim=${mpi_icsim:+$(realpath -m "$mpi_icsim")}
here=$(cd "$(dirname "$0")" && pwd)
source_dir=$(cd "$here/../.." && pwd)
scripts=$source_dir/experiments/cluster
compare=("/usr/bin/python3" "$source_dir/tests/h5_compare.py")

# --- can this machine run it? --------------------------------------------------------------------
export PATH=$PATH:/usr/sbin:/sbin  # the daemons, where a PATH leaves them out
[ "$(id -u)" -eq 0 ] || skip "slurmd must run as root (it starts each job as its user); run the test as root"
missing=()
for c in munged mungekey slurmctld slurmd sbatch squeue scontrol scancel h5ls; do
  command -v "$c" > /dev/null || missing+=("$c")
done
((${#missing[@]} == 0)) || skip "not installed: ${missing[*]} (tools/install-cluster-deps.sh installs them)"
/usr/bin/python3 -c "import h5py" 2> /dev/null || skip "h5py missing for /usr/bin/python3 (tools/install-deps.sh)"
[ -x "$icsim" ] || { echo "no icsim at $icsim"; exit 1; }

# Nothing of an enclosing SLURM job (CI may itself run in one) may reach the clients or icsim.
while read -r name; do unset "$name"; done < <(env | sed -n 's/^\(SLURM_[A-Za-z0-9_]*\)=.*/\1/p')

work=$(mktemp -d /tmp/icsim-cluster.XXXXXX)
chmod 755 "$work"  # munged wants every directory above its socket searchable by all
# Every process of this test's cluster (daemons, slurmstepd, jobs) inherits this marker: at the end
# a process carrying it that is not this script or its child was left running.
export ICSIM_CLUSTER_TEST=$work
export SLURM_CONF=$work/slurm.conf
pids=()  # daemons, in start order

# --- stopping everything, also on failure --------------------------------------------------------
# Polls CONDITION (a command) every 0.2 s until it succeeds or SECONDS pass; no fixed waits. The
# whole test also stops at ICSIM_CLUSTER_TIMEOUT seconds (under CTest's TIMEOUT, which would kill
# it without cleaning up).
limit=${ICSIM_CLUSTER_TIMEOUT:-900}  # CTest's TIMEOUT: 1200
poll() {
  local seconds=$1 deadline
  shift
  deadline=$((SECONDS + seconds < limit ? SECONDS + seconds : limit))
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.2
  done
}
alive() { kill -0 "$1" 2> /dev/null; }
gone() { ! alive "$1"; }
ours() {  # pid $1 carries the marker and is neither this script nor one of its children
  local pid=$1 parent
  grep -qzxF "ICSIM_CLUSTER_TEST=$work" "/proc/$pid/environ" 2> /dev/null || return 1
  while [ "$pid" -gt 1 ]; do
    [ "$pid" -eq $$ ] && return 1
    parent=$(awk '/^PPid:/ { print $2 }' "/proc/$pid/status" 2> /dev/null) || return 1  # gone
    pid=${parent:-1}
  done
}
leftovers() {
  local p
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    ours "$p" && echo "$p"
  done
  return 0
}
no_jobs() { [ -z "$(squeue -h -o %A 2> /dev/null)" ]; }
cleanup() {
  local status=$? p left
  set +e
  trap - EXIT
  limit=$((SECONDS + 120))  # cleanup has its own time
  if ((status != 0 && status != 77)); then
    echo "--- failed; logs:"
    for f in "$work"/log/*.log "$work"/user/logs/*; do
      [ -f "$f" ] && { echo "--- $f"; tail -n 25 "$f"; }
    done
  fi
  if ((${#pids[@]} >= 2)) && alive "${pids[1]}"; then  # slurmctld: cancel what is left
    squeue -h -o %A | sort -u | xargs -r scancel
    poll 60 no_jobs || echo "jobs still there after scancel: $(squeue -h)"
  fi
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do  # slurmd, slurmctld, munged
    kill -TERM "${pids[i]}" 2> /dev/null
    poll 30 gone "${pids[i]}" || { echo "daemon ${pids[i]} ignored SIGTERM: killed"; kill -KILL "${pids[i]}"; }
    wait "${pids[i]}" 2> /dev/null
  done
  left=$(leftovers)
  if [ -n "$left" ]; then
    echo "FAILED: left running after the test:"
    for p in $left; do ps -o pid=,args= -p "$p"; done
    kill -KILL $left 2> /dev/null
    ((status == 0 || status == 77)) && status=1
  fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# --- a single-node SLURM ---------------------------------------------------------------------------
mkdir -p "$work"/{munge,state,spool,log,user}
mungekey --create --keyfile="$work/munge/munge.key"
munged -F --socket="$work/munge/socket" --key-file="$work/munge/munge.key" \
  --pid-file="$work/munge/munged.pid" --seed-file="$work/munge/seed" \
  --log-file="$work/log/munged.log" > "$work/log/munged.out" 2>&1 &
pids+=($!)
munge_up() { [ -S "$work/munge/socket" ] || gone "${pids[0]}"; }
poll 30 munge_up && alive "${pids[0]}" ||
  skip "munged did not start here: $(tail -n 3 "$work/log/munged.out")"

read -r controller_port node_port < <(/usr/bin/python3 -c '
import socket
sockets = [socket.socket() for _ in range(2)]
for s in sockets: s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in sockets))')
host=$(hostname -s)
# The node as slurmd sees it (CPUs, sockets, memory), so that it registers as configured.
node=$(slurmd -C | sed -n 's/^NodeName=[^ ]* //p')
cpus=$(sed -nE 's/.*CPUs=([0-9]+).*/\1/p' <<< "$node")
((cpus >= 2)) || skip "this machine has ${cpus:-no} CPU(s) for jobs; the 2-task MPI job needs 2"
cat > "$SLURM_CONF" << EOF
# Generated by tests/cluster/slurm_test.sh: one node on 127.0.0.1, nothing outside $work.
ClusterName=icsim-test
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$controller_port
SlurmdPort=$node_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
# cred_expire also sets how long a requeued job waits before it may start again (default 120 s).
AuthInfo=socket=$work/munge/socket,cred_expire=10
StateSaveLocation=$work/state
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/slurmctld.pid
SlurmdPidFile=$work/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/affinity
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
# Finished jobs stay visible to scontrol for the whole test.
MinJobAge=3600
# A job whose dependency can never be met (afterok on a failed task) is cancelled, not left pending
# (22.05 reads this here only; SchedulerParameters=kill_invalid_depend leaves the job pending).
DependencyParameters=kill_invalid_depend
# A request beyond the partition's limits is refused at submission instead of pending for ever.
EnforcePartLimits=ALL
NodeName=$host NodeAddr=127.0.0.1 $node State=UNKNOWN
# Not the default partition, and shorter than the scripts' --time: every sbatch call must be
# given --partition and --time, which proves that submit.sh passes options after -- to each.
PartitionName=icsim-ci Nodes=$host MaxTime=30 State=UP
EOF
slurmctld -D -f "$SLURM_CONF" > "$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" > "$work/log/slurmd.out" 2>&1 &
pids+=($!)
node_idle() {
  gone "${pids[1]}" || gone "${pids[2]}" && return 0
  scontrol show node "$host" 2> /dev/null | grep -q "State=IDLE "
}
if ! poll 60 node_idle || gone "${pids[1]}" || gone "${pids[2]}"; then
  skip "SLURM did not come up here (node: $(scontrol show node "$host" 2>&1 | grep -o 'State=[^ ]*')):" \
    "$(grep -h -E 'fatal|error' "$work"/log/slurm*.out | tail -n 5)"
fi
echo "SLURM up: node $host idle ($(scontrol show node "$host" | grep -o 'CPUTot=[0-9]*')), controller port $controller_port"

# --- the user's side ------------------------------------------------------------------------------
cd "$work/user"
PATH=$(dirname "$icsim"):$PATH  # the scripts call icsim from PATH, as on a cluster
options=(--partition=icsim-ci --time=10 --cpus-per-task=1)
# The sweep: 12 runs of a synthetic population, about 2 s of CPU each (the cost grows with
# organisations x years), so that a shard of 4 runs commits (every 2 s) a few times before it ends
# and can be requeued in the middle of its run, while the whole test stays within a few minutes.
cat > sweep.toml << 'EOF'
description = "cluster CI sweep (tests/cluster/slurm_test.sh)"
scenario = "england-2020"
years = 500
replications = 4
seed = 17
design = "full_factorial"
record = ["summary", "national", "system"]

[set]
"population.source" = "synthetic"
"population.organisations" = 20000

[axes]
"policy.system_tied_share" = { values = [0.0, 0.5, 1.0] }
EOF
sweep=$PWD/sweep.toml  # the path as submit.sh gives it: it is recorded (sweep_source)
shard_runs=4
icsim sweep "$sweep" -o plain.h5 --threads 2 --quiet

# `scontrol show job` of an array job lists every task; prints "TASK STATE" lines ("-" for a job
# that is not an array).
states() {
  scontrol -o show job "$1" 2> /dev/null |
    sed -E 's/.*ArrayTaskId=([0-9]+).*JobState=([A-Z_]+).*/\1 \2/; s/^JobId=.*JobState=([A-Z_]+).*/- \1/'
}
state_of() { states "$1" | awk -v t="${2:--}" '$1 == t { print $2 }'; }
is_state() { [ "$(state_of "$1" "$2")" = "$3" ]; }
finished() {  # job $1 (task $2, or - ) reached a final state
  case $(state_of "$1" "$2") in
    COMPLETED | FAILED | CANCELLED | TIMEOUT | NODE_FAIL | OUT_OF_MEMORY | PREEMPTED | BOOT_FAIL | DEADLINE) ;;
    *) return 1 ;;
  esac
}
# wait_for JOB TASK STATE SECONDS: waits until the job (array task, or -) ends, then checks how.
wait_for() {
  poll "$4" finished "$1" "$2" || { echo "job $1 task $2 not finished in $4 s: $(states "$1")"; exit 1; }
  is_state "$1" "$2" "$3" || { echo "job $1 task $2 ended $(state_of "$1" "$2"), expected $3"; exit 1; }
}
committed() { h5ls "$1/runs/run" 2> /dev/null | sed -nE 's/.*\{([0-9]+)\/.*/\1/p'; }
submit() {  # submit.sh ARGS...; sets array and merge to the job ids it printed
  local line
  line=$("$scripts/submit.sh" "$@" | tail -n 1)
  echo "$line"
  array=$(sed -nE 's/.*job array ([0-9]+).*/\1/p' <<< "$line")
  merge=$(sed -nE 's/.*merge: job ([0-9]+).*/\1/p' <<< "$line")
  [ -n "$array" ] && [ -n "$merge" ] || { echo "submit.sh printed no job ids"; exit 1; }
}
same_as_plain() { "${compare[@]}" plain.h5 "$1"; }
lap_start=0
lap() { echo "(${SECONDS} s; this part $((SECONDS - lap_start)) s)"; lap_start=$SECONDS; }

lap
echo "=== 1. submit.sh: a 3-shard array and the merge; task 2 requeued in the middle of its run"
submit "$sweep" 3 run1 -- "${options[@]}"
mid_run() {  # task 2 runs and its shard file holds at least one committed run
  local n
  is_state "$array" 2 RUNNING || return 1
  n=$(committed run1/shard-2.h5)
  [ -n "$n" ] && ((n >= 1))
}
poll 300 mid_run || { echo "task 2 never ran with a committed run: $(states "$array")"; exit 1; }
before=$(committed run1/shard-2.h5)
((before < shard_runs)) || { echo "shard 2 finished before it could be requeued: make the sweep larger"; exit 1; }
scontrol requeue "${array}_2"
echo "requeued task 2 with $before of $shard_runs runs committed"
wait_for "$merge" - COMPLETED 600
for t in 1 2 3; do wait_for "$array" "$t" COMPLETED 10; done
scontrol -o show job "${array}_2" | grep -q "Restarts=1 " || { echo "task 2 was not restarted"; exit 1; }
# icsim's last line: "wrote ...: 6/6 runs (K from before, M now) ..."
resumed=$(sed -nE 's/.*runs \(([0-9]+) from before.*/\1/p' "logs/icsim-sweep-${array}_2.out" | tail -n 1)
[ -n "$resumed" ] && ((resumed >= before && resumed < shard_runs)) ||
  { echo "task 2 did not resume from its $before committed runs"; cat "logs/icsim-sweep-${array}_2.out"; exit 1; }
echo "task 2 resumed with $resumed runs from before the requeue"
same_as_plain run1/all.h5

lap
echo "=== 2. scancel one task: the merge is cancelled; submit.sh --only gives the same file"
submit "$sweep" 3 run2 -- "${options[@]}"
poll 300 is_state "$array" 1 RUNNING || { echo "task 1 never ran: $(states "$array")"; exit 1; }
scancel "${array}_1"
wait_for "$merge" - CANCELLED 120
for t in 2 3; do wait_for "$array" "$t" COMPLETED 600; done
[ ! -e run2/all.h5 ] || { echo "the merge ran although a task was cancelled"; exit 1; }
echo "merge job $merge cancelled: $(scontrol -o show job "$merge" | grep -o 'Reason=[^ ]*')"
submit "$sweep" 3 run2 --only 1 -- "${options[@]}"
wait_for "$merge" - COMPLETED 600
same_as_plain run2/all.h5

lap
echo "=== 3. sweep-mpi.sbatch on 2 tasks"
if [ -z "$mpi_icsim" ] || [ ! -x "$mpi_icsim" ] || ! command -v mpirun > /dev/null; then
  echo "not run: no MPI build${mpi_icsim:+ at $mpi_icsim} or no mpirun (tools/test.sh builds one)"
else
  # Open MPI refuses root unless told; jobs here run as root.
  export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
  job=$(sbatch --parsable "${options[@]}" --nodes=1 --ntasks-per-node=2 \
    --export="ALL,SWEEP=$sweep,OUT=$PWD/mpi/sweep.h5,ICSIM=$mpi_icsim" "$scripts/sweep-mpi.sbatch")
  job=${job%%;*}
  wait_for "$job" - COMPLETED 600
  grep -q "; 2 workers" "logs/icsim-mpi-sweep-$job.out" ||
    { echo "the MPI job did not run 2 workers"; cat "logs/icsim-mpi-sweep-$job.out"; exit 1; }
  same_as_plain mpi/sweep.h5
fi
lap
echo "cluster test passed in $SECONDS s"
