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

say "appc image build: a busybox ACI from Debian's static busybox (reproducible: same tree, same ID)"
W=$(mktemp -d /dev/shm/appc-demo.XXXXXX); trap 'rm -rf "$W"' EXIT
mkdir -p "$W/layout/rootfs/bin"
cp /bin/busybox "$W/layout/rootfs/bin/busybox"; ln -s busybox "$W/layout/rootfs/bin/sh"
cat > "$W/layout/manifest" <<JSON
{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/busybox",
 "labels":[{"name":"version","value":"1.0.0"},{"name":"os","value":"linux"},{"name":"arch","value":"amd64"}],
 "app":{"exec":["/bin/sh","-c","echo hello from \$AC_APP_NAME"],"user":"0","group":"0"}}
JSON
$APPC image build --owner-root --compression=gzip "$W/layout" "$W/busybox.aci"
$APPC image build --owner-root --compression=xz "$W/layout" "$W/busybox-xz.aci"
say "appc image id (compression never changes the ID) and appc image validate"
$APPC image id "$W/busybox.aci"; $APPC image id "$W/busybox-xz.aci"
$APPC image validate "$W/busybox.aci"
say "appc image extract (safe: nothing can land outside the target)"
$APPC image extract "$W/busybox.aci" "$W/extracted" && ls -l "$W/extracted/rootfs/bin"

say "a pod: build the busybox image (with its applets), import it into a temporary root, run it, remove it"
if [ "$(id -u)" -ne 0 ]; then
  echo "(skipped: running a pod needs root)"
else
  export APPC_SUPERVISOR="$PWD/build/lib/executor/appc-supervisor"   # the build tree's (not installed)
  R="$W/root"
  stop_pods() { for u in $($APPC --root "$R" list --format=json 2>/dev/null | /usr/bin/python3 -c \
      'import json,sys; print(" ".join(p["uuid"] for p in json.load(sys.stdin)["pods"]))' 2>/dev/null); do
      $APPC --root "$R" stop --grace 0s "$u" >/dev/null 2>&1 || true; $APPC --root "$R" rm "$u" >/dev/null 2>&1 || true
    done; rm -rf "$W"; }
  trap stop_pods EXIT
  /usr/bin/python3 tests/workloads/make_image_dir.py "$W/bb" --preset busybox --name example.com/demo-busybox >/dev/null
  $APPC image build "$W/bb" "$W/demo-busybox.aci" >/dev/null
  say "appc --root \$R image import demo-busybox.aci"
  $APPC --root "$R" image import "$W/demo-busybox.aci"
  say "appc --root \$R run example.com/demo-busybox --exec /bin/sh -- -c '...'  (exits with the app's status)"
  $APPC --root "$R" run --uuid-file-save "$W/uuid" --set-env WHO=libappc example.com/demo-busybox --exec /bin/sh -- \
    -c 'echo "hello from $AC_APP_NAME in pod $(hostname), uid $(id -u), greetings from $WHO"; exit 3' \
    || echo "(exit status $?: the pod's status)"
  say "appc status; appc rm"
  $APPC --root "$R" status "$(cat "$W/uuid")"
  $APPC --root "$R" rm "$(cat "$W/uuid")"
  $APPC --root "$R" list
fi
