#!/usr/bin/env bash
# run_fuzz.sh FUZZER WORKDIR SEED_DIR... : the 'fuzz' test.
# Replays the regression inputs (tests/fuzz/regressions), then fuzzes for
# APPC_FUZZ_SECONDS (default 60) starting from a copy of the seed corpora;
# fails on any crash, sanitizer report, broken invariant, timeout or OOM and
# prints the input that caused it.
set -uo pipefail
fuzzer=$(realpath "$1") work=$(realpath -m "$2")
shift 2
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
seconds=${APPC_FUZZ_SECONDS:-60}
rm -rf "$work/corpus" "$work/artifacts"
mkdir -p "$work/corpus" "$work/artifacts"
for d in "$@"; do
  [ -d "$d" ] && find "$d" -maxdepth 1 -type f -name '*.json' -exec cp {} "$work/corpus/" \;
done
nseeds=$(find "$work/corpus" -type f | wc -l)
[ "$nseeds" -gt 0 ] || { echo "FAIL: no seed documents in $*"; exit 1; }

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

regs=$(find "$here/regressions" -maxdepth 1 -type f ! -name README.md 2>/dev/null | sort)
if [ -n "$regs" ]; then
  echo "== replaying $(echo "$regs" | wc -l) regression inputs"
  # shellcheck disable=SC2086
  if ! "$fuzzer" -artifact_prefix="$work/artifacts/" $regs; then
    echo "FAIL: a regression input fails again"; show_artifacts; exit 1
  fi
fi

echo "== fuzzing for ${seconds}s from $nseeds seed documents"
# Fork mode keeps fuzzing after a failure, so one run reports every distinct
# failing input it finds (each saved under artifacts/), not just the first.
"$fuzzer" -fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1 \
  -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
  -dict="$here/manifest.dict" -artifact_prefix="$work/artifacts/" \
  "$work/corpus"
rc=$?
nart=$(find "$work/artifacts" -type f | wc -l)
if [ $rc -ne 0 ] || [ "$nart" -gt 0 ]; then
  echo "FAIL: the fuzzer found $nart failing input(s) (exit $rc)"
  show_artifacts
  exit 1
fi
echo "PASS: no failure in ${seconds}s; corpus grew to $(find "$work/corpus" -type f | wc -l) inputs"
