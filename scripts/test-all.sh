#!/usr/bin/env bash
# Install, build from scratch and run every suite; the last line is
# "N passed, N failed[, N skipped]" summed over all suites, and the exit
# status is non-zero when anything failed. Run as root (CI does).
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=$PWD
step() { printf '\n=== %s\n' "$*"; }
fail=0

step "dependencies"
bash scripts/install-deps.sh || { echo "dependency install failed"; fail=1; }

step "reference toolkit (actool) for the differential tests"
export APPC_REFKIT=${APPC_REFKIT:-$SRC/build-refkit}
if [ ! -x "$APPC_REFKIT/bin/actool" ]; then
  REFKIT="$APPC_REFKIT" bash tests/refkit/build.sh > "$SRC/refkit-build.log" 2>&1 \
    || { echo "refkit build failed (see refkit-build.log)"; tail -20 "$SRC/refkit-build.log"; }
fi

step "build (debugoptimized)"
rm -rf build build-asan
meson setup build --buildtype=debugoptimized >/dev/null && ninja -C build || fail=1

step "test"
meson test -C build --no-rebuild --print-errorlogs --num-processes 2 || true

step "build (ASan + UBSan) and run the unit and C ABI tests under it"
meson setup build-asan -Db_sanitize=address,undefined -Db_lundef=false >/dev/null && ninja -C build-asan || fail=1
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
  meson test -C build-asan --no-rebuild --print-errorlogs --suite unit --suite capi || true

step "summary"
[ $fail -eq 0 ] || echo "a build or install step failed: counted as one failure"
exec /usr/bin/python3 scripts/summarize.py --extra-failed "$fail" build build-asan
