#!/usr/bin/env bash
# Issue 15: a full disk and a read-only directory under icsim run, sweep and merge. Each must exit
# with one line (code 1 for the full disk, 2 for the refused output), leave no temporary file,
# and a sweep must keep the runs it committed, intact and resumable.
#
# Needs a small tmpfs: as root (or where user namespaces allow mounting) it runs in a private
# mount namespace, so that its mounts vanish with it whatever happens; elsewhere it exits 77,
# which CTest reports as skipped, with the reason.
#   tests/disk_full/disk_full.sh ICSIM SCRATCH_DIR
set -u
icsim=$1
work=$2/disk-full

if [ -z "${ICSIM_DISK_FULL_NAMESPACE:-}" ]; then
  export ICSIM_DISK_FULL_NAMESPACE=1
  for namespace in "unshare --mount --propagation private" \
                   "unshare --user --map-root-user --mount --propagation private"; do
    if $namespace true 2>/dev/null; then exec $namespace "$0" "$@"; fi
  done
  echo "skipped: cannot make a private mount namespace here (unshare --mount needs root or" \
       "user namespaces), so no small tmpfs to fill"
  exit 77
fi

fail() {
  echo "FAILED: $*"
  exit 1
}
# $1 = the expected exit code, $2 = a word the one error line must hold; then the command.
expect() {
  local code=$1 words=$2
  shift 2
  "$@" >"$work/out.txt" 2>"$work/err.txt"
  local got=$?
  [ "$got" -eq "$code" ] || fail "$* exited $got, not $code: $(cat "$work/err.txt")"
  [ "$(wc -l <"$work/err.txt")" -eq 1 ] || fail "$* printed not one line: $(cat "$work/err.txt")"
  grep -q -- "$words" "$work/err.txt" || fail "$*: '$words' not in: $(cat "$work/err.txt")"
  echo "ok: $* -> $code: $(cat "$work/err.txt")"
}
# No temporary or working file of icsim's in the folder $1.
no_leftovers() {
  local left
  left=$(find "$1" \( -name '*.partial-*' -o -name '*.next' -o -name '*.new' -o -name '*.spare' \
    -o -name '*.lock' \) -print)
  [ -z "$left" ] || fail "left behind: $left"
}
small() {  # a fresh tmpfs of size $2 at $1
  mkdir -p "$1"
  mount -t tmpfs -o "size=$2" tmpfs "$1" || {
    echo "skipped: mount -t tmpfs failed here"
    exit 77
  }
}

rm -rf "$work"
mkdir -p "$work"
cat >"$work/sweep.toml" <<'EOF'
scenario = "england-2019"
years = 2
replications = 60
record = ["summary", "national", "system"]
[axes]
"policy.system_tied_share" = [0.0, 1.0]
EOF
"$icsim" sweep "$work/sweep.toml" -q -o "$work/reference.h5" || fail "the reference sweep"

# run: the static tables fit (1.6 MB), the years do not.
small "$work/run" 2M
expect 1 "No space left on device" "$icsim" run --years 30 -q -o "$work/run/out.h5"
[ -z "$(ls -A "$work/run")" ] || fail "run left: $(ls -A "$work/run")"

# sweep: the file and its working copy (1.6 MB each when empty) fit, with about half the runs;
# all 120 (2.3 MB each) do not.
small "$work/sweep" 4000K
expect 1 "No space left on device" \
  "$icsim" sweep "$work/sweep.toml" -q --commit-interval 0.05 -o "$work/sweep/out.h5"
no_leftovers "$work/sweep"
rows=$(h5ls "$work/sweep/out.h5/runs/run" | sed -n 's|.*Dataset {\([0-9]*\)/Inf}.*|\1|p')
[ -n "$rows" ] || fail "the sweep file does not open after the disk filled"
echo "ok: the sweep file opens after the disk filled, with $rows of 120 runs committed"
mount -o remount,size=64M "$work/sweep" || fail "remount"
"$icsim" sweep "$work/sweep.toml" -q --resume -o "$work/sweep/out.h5" || fail "the resume"
for group in /runs /summary /timeseries; do
  h5diff "$work/reference.h5" "$work/sweep/out.h5" "$group" "$group" ||
    fail "resumed sweep differs from the reference in $group"
done
no_leftovers "$work/sweep"
echo "ok: resumed with more room, the sweep equals the uninterrupted one"

# merge: two shards (2.0 MB merged) into 1.8 MB.
for shard in 1 2; do
  "$icsim" sweep "$work/sweep.toml" -q --shard "$shard/2" -o "$work/shard-$shard.h5" ||
    fail "shard $shard"
done
small "$work/merge" 1800K
expect 1 "No space left on device" \
  "$icsim" merge -q -o "$work/merge/all.h5" "$work/shard-1.h5" "$work/shard-2.h5"
[ -z "$(ls -A "$work/merge")" ] || fail "merge left: $(ls -A "$work/merge")"

# A read-only directory: refused before anything runs, naming the output (root writes anywhere
# else, but not on a read-only mount).
small "$work/read-only" 1M
mount -o remount,ro "$work/read-only" || fail "remount read-only"
expect 2 "read-only/all.h5: cannot write the output: directory .* is not writable" \
  "$icsim" merge -q -o "$work/read-only/all.h5" "$work/shard-1.h5" "$work/shard-2.h5"
expect 2 "read-only/sweep.h5: cannot write the output: directory .* is not writable" \
  "$icsim" sweep "$work/sweep.toml" -q -o "$work/read-only/sweep.h5"
expect 2 "read-only/run.h5: cannot write the output: directory .* is not writable" \
  "$icsim" run --years 1 -q -o "$work/read-only/run.h5"

rm -rf "$work/shard-"* "$work/reference.h5"
echo "disk full: every case passed"
