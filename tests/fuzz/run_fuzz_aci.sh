#!/usr/bin/env bash
# run_fuzz_aci.sh FUZZER WORKDIR : the fuzz_aci test.
# Makes the seed archives (make_aci_seeds.py) and a scratch directory under
# /dev/shm for the fuzzer's extractions (APPC_FUZZ_SCRATCH: fuzz_aci's sandbox,
# whose path the absolute-escape seeds aim at), then runs run_fuzz.sh with the
# ACI dictionary, inputs up to 256 KiB and tests/fuzz/regressions-aci; the
# scratch directory is removed whatever happens.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
fuzzer=$(realpath "$1") work=$(realpath -m "$2")
python=/usr/bin/python3
[ -x "$python" ] || python=python3
scratch=$(mktemp -d /dev/shm/appc-fuzz-aci-XXXXXX) || { echo "FAIL: cannot make a scratch directory in /dev/shm"; exit 1; }
trap 'rm -rf "$scratch"' EXIT
export APPC_FUZZ_SCRATCH=$scratch
rm -rf "$work/seeds"
mkdir -p "$work/seeds"
"$python" "$here/make_aci_seeds.py" "$work/seeds" --sandbox "$scratch/sandbox" || { echo "FAIL: making the seeds"; exit 1; }
bash "$here/run_fuzz.sh" --seeds='*.aci' --dict="$here/aci.dict" --max-len=262144 \
  --regressions="$here/regressions-aci" "$fuzzer" "$work" "$work/seeds"
