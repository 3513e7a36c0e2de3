#!/usr/bin/python3
"""Run the C examples (examples/c) and check their output and exit codes.

usage: examples_test.py VALIDATE_MANIFEST BUILD_MANIFEST IMAGE_INFO APPC_CLI   (APPC_TEST_DATA set by meson)
"""
import json
import os
import subprocess
import sys
import tempfile

validate, build, image_info, appc_cli = sys.argv[1:5]
corpus = os.path.join(os.environ["APPC_TEST_DATA"], "conformance", "manifests")
failures = []


def check(cond, what):
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run(list(args), capture_output=True, text=True, timeout=30)


# Valid files: one "valid (Kind)" line each, exit 0.
pod = os.path.join(corpus, "valid-spec-example-pod-runtime.json")
img = os.path.join(corpus, "valid-image-dependencies-full.json")
r = run(validate, pod, img)
check(r.returncode == 0, f"valid files exit 0 (got {r.returncode}: {r.stdout}{r.stderr})")
check(r.stdout.splitlines() == [f"{pod}: valid (PodManifest)", f"{img}: valid (ImageManifest)"],
      f"valid output: {r.stdout!r}")

# An invalid file: a finding with path and checklist item, exit 1.
bad = os.path.join(corpus, "invalid-image-app-port-zero.json")
r = run(validate, bad)
check(r.returncode == 1, f"invalid file exits 1 (got {r.returncode})")
lines = r.stdout.splitlines()
check(len(lines) >= 1 and all(l.startswith(bad + ": ") for l in lines), f"finding lines: {lines}")
check(any(l.startswith(f"{bad}: app.ports[0].port: ") and l.endswith("(spec 17)") for l in lines),
      f"port finding: {lines}")

# Mixed: still exit 1; a missing file is reported, not fatal.
missing = os.path.join(corpus, "no-such-file.json")
r = run(validate, img, missing)
check(r.returncode == 1, f"missing file exits 1 (got {r.returncode})")
check(r.stdout.splitlines() == [f"{img}: valid (ImageManifest)",
                                f"{missing}: cannot read: No such file or directory"],
      f"missing file output: {r.stdout!r}")

# Usage error.
r = run(validate)
check(r.returncode == 2 and "usage:" in r.stderr, f"usage exits 2 (got {r.returncode})")

# build_manifest: two canonical documents, each valid again.
r = run(build)
check(r.returncode == 0, f"build_manifest exits 0 (got {r.returncode}: {r.stderr})")
docs = r.stdout.splitlines()
check(len(docs) == 2, f"two documents: {docs}")
if len(docs) == 2:
    image, podm = json.loads(docs[0]), json.loads(docs[1])
    check(image["acKind"] == "ImageManifest" and image["name"] == "example.com/webserver", "image name")
    check(image["app"]["exec"] == ["/usr/bin/webserver", "--port", "8080"], "image exec")
    check([i["name"] for i in image["app"]["isolators"]] ==
          ["resource/memory", "os/linux/no-new-privileges"], "image isolators")
    check(podm["acKind"] == "PodManifest" and podm["apps"][0]["name"] == "web", "pod app")
    check(podm["apps"][0]["app"] == image["app"], "pod override == image app")
    check(podm["volumes"][0] == {"name": "content", "kind": "host", "source": "/var/www", "readOnly": True},
          f"pod volume: {podm.get('volumes')}")
    with tempfile.TemporaryDirectory() as d:
        paths = []
        for name, text in (("image.json", docs[0]), ("pod.json", docs[1])):
            p = os.path.join(d, name)
            with open(p, "w") as f:
                f.write(text)
            paths.append(p)
        r = run(validate, *paths)
        check(r.returncode == 0, f"built documents validate (got {r.stdout})")

# image_info: an ACI built with the CLI, read and extracted by the C example.
with tempfile.TemporaryDirectory(dir="/dev/shm" if os.path.isdir("/dev/shm") else None) as d:
    src = os.path.join(d, "src")
    os.makedirs(os.path.join(src, "rootfs", "etc"))
    with open(os.path.join(src, "rootfs", "etc", "hello"), "w") as f:
        f.write("hello\n")
    os.symlink("hello", os.path.join(src, "rootfs", "etc", "hi"))
    with open(os.path.join(src, "manifest"), "w") as f:
        json.dump({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/hello",
                   "labels": [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"}]}, f)
    aci = os.path.join(d, "hello.aci")
    r = run(appc_cli, "image", "build", "--compression=gzip", src, aci)
    check(r.returncode == 0, f"appc image build (got {r.returncode}: {r.stderr})")
    image_id = run(appc_cli, "image", "id", aci).stdout.strip()
    out = os.path.join(d, "out")
    r = run(image_info, aci, out)
    check(r.returncode == 0, f"image_info exits 0 (got {r.returncode}: {r.stderr})")
    lines = r.stdout.splitlines()
    check(f"id: {image_id}" in lines, f"image_info id equals appc image id: {lines}")
    check("name: example.com/hello" in lines and "label: version=1.0.0" in lines and
          "compression: gzip" in lines, f"image_info fields: {lines}")
    # rootfs/ itself and rootfs/etc
    check("extracted: 1 files, 2 dirs, 1 symlinks" in lines, f"image_info extraction: {lines}")
    check(open(os.path.join(out, "etc", "hello")).read() == "hello\n" and
          os.readlink(os.path.join(out, "etc", "hi")) == "hello", "extracted tree")
    # A broken archive: exit 1 with the error named.
    bad = os.path.join(d, "bad.aci")
    with open(aci, "rb") as f:
        data = f.read()
    with open(bad, "wb") as f:
        f.write(data[: len(data) // 2])
    r = run(image_info, bad)
    check(r.returncode == 1 and r.stderr.startswith(bad + ": "), f"truncated ACI: {r.returncode} {r.stderr!r}")
    r = run(image_info)
    check(r.returncode == 2 and "usage:" in r.stderr, "image_info usage exits 2")

print(f"{len(failures)} failure(s)")
sys.exit(1 if failures else 0)
