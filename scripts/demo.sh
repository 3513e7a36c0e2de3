#!/usr/bin/env bash
# The demo: install what is needed, build, and show libappc at work.
# Today: validate the appc spec's example manifests and print their
# canonical form; it grows into "fetch an image and run it in a pod".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
[ -d build ] || meson setup build --buildtype=debugoptimized >/dev/null
ninja -C build >/dev/null
APPC=build/examples/cli/appc
M=tests/data/conformance/manifests
say() { printf '\n\033[1m$ %s\033[0m\n' "$*"; }

say "appc version"; $APPC version
say "appc manifest validate (the spec's pod examples and the ACE validator's image manifests)"
$APPC manifest validate $M/valid-spec-example-pod-runtime.json $M/valid-spec-example-pod-template.json \
  tests/data/conformance/ace/image-manifest-main.json tests/data/conformance/ace/image-manifest-sidekick.json
say "appc manifest cat --pretty (canonical form of the spec's pod runtime example)"
$APPC manifest cat --pretty $M/valid-spec-example-pod-runtime.json
say "appc manifest cat (canonical, compact: the ACE validator's main image manifest)"
$APPC manifest cat tests/data/conformance/ace/image-manifest-main.json; echo
say "appc manifest validate on bad input: every finding, with its JSON path and checklist item"
$APPC manifest validate $M/valid-spec-example-image.json $M/invalid-image-app-port-range-overflow.json \
  $M/invalid-image-isolator-cpu-shares-262145.json || echo "(exit status $?: invalid input, as expected)"
