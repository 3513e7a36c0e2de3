#!/usr/bin/env bash
# Run the benchmarks (tests/bench) from a release build (NDEBUG: RapidJSON's
# assertions off), each printing its ratio against the named peer measured in
# the same run. No timing assertions anywhere: these are measurements.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
export APPC_REFKIT=${APPC_REFKIT:-$PWD/build-refkit}
if [ ! -x "$APPC_REFKIT/bin/actool" ]; then
  REFKIT="$APPC_REFKIT" bash tests/refkit/build.sh > refkit-build.log 2>&1
fi
[ -d build-release ] || meson setup build-release --buildtype=release >/dev/null
ninja -C build-release
meson test -C build-release --benchmark --verbose "$@"
