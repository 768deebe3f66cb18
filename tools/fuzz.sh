#!/usr/bin/env bash
# Builds the libFuzzer harnesses (tests/fuzz; the `fuzz` preset: Clang 14, ASan + UBSan) and runs
# each for SECONDS, JOBS harnesses at a time. The committed corpus (tests/fuzz/corpus/NAME) is
# read, never written: new inputs go to build/fuzz/corpus/NAME, findings to
# build/fuzz/findings/NAME. Each finding is run again and sorted: one inside Debian's libhdf5
# itself (a malformed file that HDF5 1.10 mishandles: tests/fuzz/README.md) is listed but is not
# a failure; any other is, and the script exits 1.
#   tools/fuzz.sh [--seconds N] [--jobs J] [--no-build] [NAME...]   (default: 300 s, 2 jobs, all)
# CI (tools/test.sh) runs `tools/fuzz.sh --seconds 30`.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=300
jobs=2
build=1
names=()
while (($#)); do
  case $1 in
    --seconds) seconds=$2; shift 2 ;;
    --jobs) jobs=$2; shift 2 ;;
    --no-build) build=0; shift ;;
    -h | --help) sed -n '2,9p' "$0"; exit 0 ;;
    *) names+=("$1"); shift ;;
  esac
done

if ((build)); then
  export CCACHE_BASEDIR="$root" CCACHE_NOHASHDIR=1
  cmake --preset fuzz >/dev/null || exit 1
  cmake --build --preset fuzz -j "$(nproc)" || exit 1
fi
bin=$root/build/fuzz/fuzz
if ((${#names[@]} == 0)); then
  for harness in "$bin"/*_fuzzer; do names+=("$(basename "$harness" _fuzzer)"); done
fi

export ASAN_OPTIONS="detect_leaks=1"
export UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1"
export LSAN_OPTIONS="suppressions=$root/tests/fuzz/lsan.supp"
# merge writes a file an input (each fuzzing process its own folder): in memory, removed at the end.
scratch=$(mktemp -d "$( [ -d /dev/shm ] && echo /dev/shm || echo "${TMPDIR:-/tmp}")/icsim-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
export TMPDIR=$scratch

fuzz() {  # one harness for $seconds; crashes, leaks, timeouts and OOMs are kept, not fatal
  local name=$1 found=$root/build/fuzz/findings/$1 corpus=$root/build/fuzz/corpus/$1
  mkdir -p "$found" "$corpus"
  local max_len=4096  # text: room for deep nesting and long keys
  [ "$name" = merge ] && max_len=0  # HDF5 files: as large as the corpus's
  (cd "$found" && "$bin/${name}_fuzzer" "$corpus" "$root/tests/fuzz/corpus/$name" \
    -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 -max_total_time="$seconds" \
    -timeout=5 -rss_limit_mb=2048 -max_len="$max_len" -artifact_prefix="$found/" \
    >"$found/log.txt" 2>&1)
  echo "fuzz: $name: $(grep -o 'DONE.*' "$found/log.txt" | tail -1 || true)$(
    grep -Eo '#[0-9]+: cov: [0-9]+ ft: [0-9]+ corp: [0-9]+' "$found/log.txt" | tail -1)"
}

# A report is libhdf5's when the first frame that is neither the sanitizers' nor the allocator's
# (nor libc's) lies in libhdf5 or in the zlib it inflates chunks with, and, for a buffer ASan can
# name, when libhdf5 allocated it; else icsim's.
classify() {
  local report=$1 skip='in (malloc|calloc|realloc|free|operator new|operator delete|__interceptor_|__asan|__sanitizer|__lsan|__ubsan|fuzzer::|std::__terminate|abort|raise)|/libc[.]so'
  grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:' "$report" || {
    echo none
    return
  }
  local frame
  frame=$(awk '/(allocated by thread|allocated from:)/{f=1; next} f && /#[0-9]+ /{print} f && /^$/{exit}' \
    "$report" | grep -vE "$skip" | head -1)
  [ -n "$frame" ] || frame=$(grep -E '^ +#[0-9]+ ' "$report" | grep -vE "$skip" | head -1)
  case $frame in
    *libhdf5* | *" in H5"* | *libz.so*) echo libhdf5 ;;  # zlib: HDF5's deflate filter
    *) echo icsim ;;
  esac
}

status=0
running=0
for name in "${names[@]}"; do
  [ -x "$bin/${name}_fuzzer" ] || { echo "fuzz: no harness $name"; status=1; continue; }
  rm -rf "$root/build/fuzz/findings/$name"
  fuzz "$name" &
  if ((++running >= jobs)); then
    wait -n
    ((running--))
  fi
done
wait

# Every finding run again alone, two at a time (a hang is known after 2 s: an input takes well
# under one), and sorted.
triage() {  # $1 harness, $2 artifact; prints one line
  local report=$2.txt kind what
  "$bin/${1}_fuzzer" -timeout=2 -rss_limit_mb=2048 "$2" >"$report" 2>&1
  kind=$(classify "$report")
  what=$(grep -m1 -E 'SUMMARY|ERROR: libFuzzer' "$report" | cut -c1-160)
  case $kind in
    icsim) echo "fuzz: FINDING in icsim: $2: $what" ;;
    libhdf5) echo "fuzz: inside libhdf5 (not icsim's; see tests/fuzz/README.md): $2: $what" ;;
    none) echo "fuzz: does not happen again alone: $2" ;;
  esac
}
sorted=$root/build/fuzz/findings/sorted.txt
: >"$sorted"
running=0
for name in "${names[@]}"; do
  for artifact in "$root/build/fuzz/findings/$name"/{crash,leak,timeout,oom}-*; do
    [[ -e $artifact && $artifact != *.txt ]] || continue
    triage "$name" "$artifact" >>"$sorted" &
    if ((++running >= jobs)); then
      wait -n
      ((running--))
    fi
  done
done
wait
sort "$sorted"
grep -q 'FINDING in icsim' "$sorted" && status=1
((status == 0)) && echo "fuzz: no finding in icsim (${#names[@]} harnesses, $seconds s each)"
exit $status
