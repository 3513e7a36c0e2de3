#!/usr/bin/python3
"""Benchmark: libappc manifest parse + validate + serialize vs the reference.

  bench_manifest.py --bench BUILD/tests/bench/bench_manifest [--copies N]
                    [--seconds S] [--repeat R] [--workdir DIR]

Two manifests: the spec's example image manifest (examples/image.json, with
its placeholder dependency imageID "sha512-..." replaced by a real 128-hex ID,
which libappc requires) and a large generated image manifest (thousands of
labels, environment entries, ports and isolators), both valid for libappc and
for the reference. For each:

- libappc in memory: parse (= decode + validate), and parse + serialize, per
  manifest, repeated for S seconds (bench_manifest);
- libappc over files: N copies of the file read, parsed and serialized in one
  process (bench_manifest f1 ... fN); and, separately, the reading alone and
  the parse + validate + serialize alone of the N contents read beforehand
  (each its own buffer, no system calls between them);
- the reference: `actool validate --type=manifest f1 ... fN`, one process over
  the same N copies (its start-up amortised), best of R runs; actool is checked
  to have accepted all N files (--debug prints one line per file).

Prints the cost per manifest of each and two ratios of throughputs against
the reference's cost per file: our parse + validate + serialize of the N
contents (in process), and the same counting our reading of each file
(actool's reading is ~2% of its cost, ours about half of our parsing on this
VM: docs/decisions.md). No assertions on times: this is a measurement. The reference is found through
APPC_REFKIT (default /tmp/refkit); without it only libappc's numbers print.
"""

import argparse
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def example_manifest(data_dir):
    path = os.path.join(data_dir, "conformance", "manifests", "valid-spec-example-image.json")
    text = open(path, encoding="utf-8").read()
    real_id = "sha512-" + hashlib.sha512(b"libappc benchmark dependency").hexdigest()
    assert '"sha512-..."' in text, "the example no longer has its placeholder image ID"
    return text.replace('"sha512-..."', '"%s"' % real_id)


def large_manifest(n=2000):
    """A valid image manifest with n labels, environment entries, ports and
    isolators (plus mount points, event handlers, dependencies, annotations).
    Only isolators that may repeat, for libappc and the reference alike."""
    labels = [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"},
              {"name": "arch", "value": "amd64"}]
    labels += [{"name": "example.com/label-%d" % i, "value": "value %d" % i} for i in range(n)]
    env = [{"name": "VARIABLE_%d" % i, "value": "some value with spaces %d" % i} for i in range(n)]
    ports = [{"name": "port-%d" % i, "protocol": "tcp" if i % 2 else "udp", "port": 1 + i, "count": 1,
              "socketActivated": i % 3 == 0} for i in range(n)]
    kinds = [
        ("resource/cpu", lambda i: {"request": "%dm" % (100 + i), "limit": "%dm" % (200 + i)}),
        ("resource/memory", lambda i: {"request": "%dMi" % (1 + i), "limit": "%dGi" % (1 + i)}),
        ("resource/block-bandwidth", lambda i: {"default": True, "limit": "%dM" % (1 + i)}),
        ("resource/block-iops", lambda i: {"default": True, "limit": "%d" % (100 + i)}),
        ("resource/network-bandwidth", lambda i: {"default": True, "limit": "%dk" % (1 + i)}),
        ("os/linux/no-new-privileges", lambda i: i % 2 == 0),
    ]
    isolators = [{"name": kinds[i % len(kinds)][0], "value": kinds[i % len(kinds)][1](i)} for i in range(n)]
    manifest = {
        "acKind": "ImageManifest",
        "acVersion": "0.8.11",
        "name": "example.com/bench/large",
        "labels": labels,
        "app": {
            "exec": ["/usr/bin/large", "--flag"] + ["arg-%d" % i for i in range(50)],
            "user": "1000",
            "group": "1000",
            "supplementaryGIDs": list(range(100, 150)),
            "workingDirectory": "/srv",
            "eventHandlers": [{"name": "pre-start", "exec": ["/bin/prepare"]},
                              {"name": "post-stop", "exec": ["/bin/cleanup", "--all"]}],
            "environment": env,
            "mountPoints": [{"name": "mount-%d" % i, "path": "/mnt/%d" % i, "readOnly": i % 2 == 0}
                            for i in range(n // 4)],
            "ports": ports,
            "isolators": isolators,
            "userAnnotations": {"key-%d" % i: "value %d" % i for i in range(n // 4)},
            "userLabels": {"label-%d" % i: "v%d" % i for i in range(n // 4)},
        },
        "dependencies": [{"imageName": "example.com/dep-%d" % i,
                          "imageID": "sha512-" + hashlib.sha512(b"%d" % i).hexdigest(),
                          "labels": [{"name": "os", "value": "linux"}], "size": 1024 * i}
                         for i in range(n // 20)],
        "pathWhitelist": ["/usr/lib/file-%d" % i for i in range(n // 4)],
        "annotations": [{"name": "created", "value": "2015-05-18T13:49:28.351729952-04:00"},
                        {"name": "homepage", "value": "https://example.com/large"}] +
                       [{"name": "example.com/annotation-%d" % i, "value": "text %d" % i} for i in range(n // 4)],
    }
    return json.dumps(manifest, indent=4)


def find_actool():
    refkit = os.environ.get("APPC_REFKIT") or "/tmp/refkit"
    actool = os.path.join(refkit, "bin", "actool")
    return actool if os.access(actool, os.X_OK) else None


def make_copies(folder, name, text, copies):
    paths = []
    for i in range(copies):
        p = os.path.join(folder, "%s-%04d.json" % (name, i))
        with open(p, "w", encoding="utf-8") as f:
            f.write(text)
        paths.append(p)
    return paths


def run_ours(bench, paths, seconds):
    p = subprocess.run([bench, "--seconds", str(seconds)] + paths, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE, check=False)
    if p.returncode != 0:
        raise SystemExit("bench_manifest failed (exit %d): %s" % (p.returncode, p.stderr.decode(errors="replace")))
    rows = [json.loads(line) for line in p.stdout.decode().splitlines() if line.strip()]
    memory = next(r for r in rows if r["mode"] == "memory")
    files = next(r for r in rows if r["mode"] == "files")
    return memory, files


def run_reference(actool, paths, repeat):
    # Every file must be accepted, and actool must go through all of them in
    # one run: --debug prints one "valid ImageManifest" line per file.
    p = subprocess.run([actool, "--debug", "validate", "--type=manifest"] + paths, stdout=subprocess.PIPE,
                       stderr=subprocess.PIPE)
    accepted = p.stderr.decode(errors="replace").count(": valid ImageManifest")
    if p.returncode != 0 or accepted != len(paths):
        raise SystemExit("actool did not accept all %d files in one run (exit %d, %d accepted): %s" % (
            len(paths), p.returncode, accepted, p.stderr.decode(errors="replace")[-500:]))
    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        p = subprocess.run([actool, "validate", "--type=manifest"] + paths, stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)
        dt = time.perf_counter() - t0
        if p.returncode != 0:
            raise SystemExit("actool failed (exit %d)" % p.returncode)
        best = dt if best is None else min(best, dt)
    return best * 1e9 / len(paths)


def fmt_ns(ns):
    if ns >= 1e6:
        return "%.2f ms" % (ns / 1e6)
    if ns >= 1e3:
        return "%.1f us" % (ns / 1e3)
    return "%.0f ns" % ns


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--bench", required=True, help="the bench_manifest executable")
    ap.add_argument("--copies", type=int, default=1000, help="copies of the example per run (default 1000)")
    ap.add_argument("--seconds", type=float, default=1.0, help="in-memory time per measurement (default 1)")
    ap.add_argument("--repeat", type=int, default=3, help="reference runs; the best counts (default 3)")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    data_dir = os.environ.get("APPC_TEST_DATA") or os.path.join(HERE, "..", "data")
    base = os.path.abspath(args.workdir) if args.workdir else None
    if base:
        os.makedirs(base, exist_ok=True)
    work = tempfile.mkdtemp(prefix="bench-", dir=base)
    actool = find_actool()
    results = []
    try:
        cases = [("example", example_manifest(data_dir), args.copies)]
        large = large_manifest()
        # Keep the large manifest's copies to about 100 MB on disk.
        cases.append(("large", large, max(10, min(args.copies, (100 << 20) // len(large)))))
        print("libappc vs reference (%s); load average %s" % (actool or "not found: set APPC_REFKIT",
                                                               " ".join("%.2f" % x for x in os.getloadavg())))
        for name, text, copies in cases:
            paths = make_copies(work, name, text, copies)
            memory, files = run_ours(args.bench, paths, args.seconds)
            row = {
                "manifest": name,
                "bytes": len(text.encode()),
                "copies": copies,
                "ours_parse_validate_ns": memory["parse_validate_ns"],
                "ours_parse_validate_serialize_ns": memory["parse_validate_serialize_ns"],
                "ours_files_ns": files["read_parse_validate_serialize_ns"],
                "ours_read_only_ns": files["read_only_ns"],
                "ours_buffers_ns": files["parse_validate_serialize_only_ns"],
            }
            if actool:
                row["reference_ns"] = run_reference(actool, paths, args.repeat)
                row["ratio"] = row["reference_ns"] / row["ours_buffers_ns"]
                row["ratio_files"] = row["reference_ns"] / row["ours_files_ns"]
                row["ratio_parse_validate"] = row["reference_ns"] / row["ours_parse_validate_ns"]
            results.append(row)
            for p in paths:
                os.unlink(p)

            row["assertions"] = memory.get("assertions")
            print("\n%s manifest (%d bytes, %d copies; libappc built with assertions %s):" % (
                name, row["bytes"], copies, "on" if row["assertions"] else "off"))
            print("  libappc parse+validate (memory)            %10s/manifest" % fmt_ns(row["ours_parse_validate_ns"]))
            print("  libappc parse+validate+serialize (memory)  %10s/manifest" %
                  fmt_ns(row["ours_parse_validate_serialize_ns"]))
            print("  libappc parse+validate+serialize            %10s/manifest  (the %d files' contents, read "
                  "beforehand, each its own buffer)" % (fmt_ns(row["ours_buffers_ns"]), copies))
            print("  libappc read+parse+validate+serialize       %10s/manifest  (%d files, one process; reading "
                  "alone %s)" % (fmt_ns(row["ours_files_ns"]), copies, fmt_ns(row["ours_read_only_ns"])))
            if actool:
                print("  reference actool validate                   %10s/manifest  (%d files, one process, "
                      "best of %d)" % (fmt_ns(row["reference_ns"]), copies, args.repeat))
                print("  libappc is %.1fx the reference's throughput for parse+validate+serialize, %.1fx counting "
                      "our reading of each file too (target 20x); %.0fx for parse+validate of one document in "
                      "memory" % (row["ratio"], row["ratio_files"], row["ratio_parse_validate"]))
        print("\nJSON: " + json.dumps(results))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
