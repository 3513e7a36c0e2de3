#!/usr/bin/env bash
# run_fuzz.sh [OPTION...] FUZZER WORKDIR SEED_DIR... : a 'fuzz' test.
# Replays the regression inputs (tests/fuzz/regressions), then fuzzes for
# APPC_FUZZ_SECONDS (default 60) starting from a copy of the seed corpora;
# fails on any crash, sanitizer report, broken invariant, timeout or OOM and
# prints the input that caused it. The defaults suit fuzz_manifest; options:
#   --seeds=GLOB        seed files to copy from each SEED_DIR (default *.json)
#   --dict=FILE         libFuzzer dictionary (default manifest.dict beside this script)
#   --max-len=N         largest input libFuzzer makes (default 65536)
#   --regressions=DIR   inputs to replay first (default regressions/ beside this script)
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seed_glob='*.json' dict="$here/manifest.dict" max_len=65536 regressions="$here/regressions"
while [ $# -gt 0 ]; do
  case $1 in
  --seeds=*) seed_glob=${1#*=} ;;
  --dict=*) dict=${1#*=} ;;
  --max-len=*) max_len=${1#*=} ;;
  --regressions=*) regressions=${1#*=} ;;
  --*) echo "run_fuzz.sh: unknown option $1"; exit 2 ;;
  *) break ;;
  esac
  shift
done
fuzzer=$(realpath "$1") work=$(realpath -m "$2")
shift 2
seconds=${APPC_FUZZ_SECONDS:-60}
rm -rf "$work/corpus" "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"
for d in "$@"; do
  [ -d "$d" ] && find "$d" -maxdepth 1 -type f -name "$seed_glob" -exec cp {} "$work/corpus/" \;
done
nseeds=$(find "$work/corpus" -type f | wc -l)
[ "$nseeds" -gt 0 ] || { echo "FAIL: no seed inputs ($seed_glob) in $*"; exit 1; }

export ASAN_OPTIONS=${ASAN_OPTIONS:-abort_on_error=1:detect_leaks=1:symbolize=1}
# UBSan reports are fatal (halt_on_error) except the suppressed RapidJSON one.
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1:suppressions=$here/ubsan.supp}

show_artifacts() {
  for a in $(ls "$work"/artifacts/* 2>/dev/null | head -20); do
    [ -f "$a" ] || continue
    echo "--- reproducer $a ($(stat -c %s "$a") bytes; rerun: $fuzzer $a)"
    head -c 3000 "$a" | cat -v; echo
  done
}

regs=$(find "$regressions" -maxdepth 1 -type f ! -name README.md 2>/dev/null | sort)
if [ -n "$regs" ]; then
  echo "== replaying $(echo "$regs" | wc -l) regression inputs"
  # shellcheck disable=SC2086
  if ! "$fuzzer" -artifact_prefix="$work/artifacts/" $regs; then
    echo "FAIL: a regression input fails again"; show_artifacts; exit 1
  fi
fi

echo "== fuzzing for ${seconds}s from $nseeds seed inputs"
# Fork mode keeps fuzzing after a failure, so one run reports every distinct
# failing input it finds (each saved under artifacts/), not just the first.
"$fuzzer" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
  -dict="$dict" -artifact_prefix="$work/artifacts/" \
  "$work/corpus"
rc=$?
nart=$(find "$work/artifacts" -type f | wc -l)
if [ $rc -ne 0 ] || [ "$nart" -gt 0 ]; then
  echo "FAIL: the fuzzer found $nart failing input(s) (exit $rc)"
  show_artifacts
  exit 1
fi
echo "PASS: no failure in ${seconds}s; corpus grew to $(find "$work/corpus" -type f | wc -l) inputs"
