#!/usr/bin/python3
"""Store benchmarks (issue 4), side by side in one run, medians and ratios.

  bench_store.py --appc BUILD/examples/cli/appc [--runs N] [--tree-runs N]
                 [--cache DIR] [--persist DIR] [--workdir DIR]

1. Import of the realistic rootfs ACI (Debian bookworm minbase, the one of
   bench_aci.py) into a fresh store against `appc image extract` of the same
   file (extract + hash: the figure of the ACI benchmark). The store's
   overhead -- copying the archive into place, fsync, the index row -- should
   stay within 10% (target ratio >= 0.91). Uncompressed and gzip.
2. Import + first tree (render into the store, digest, verify) against the
   same extract, for information: what a first pod start costs.
3. Obtaining the tree of an already rendered image (`appc image tree`), for a
   ~1 MB busybox image and for the minbase image: the ratio between them
   should be about 1 -- the cost must not grow with the image.

Scratch stores live under --workdir (tmpfs by default): the machine's ext4
root is slow at re-creating files just deleted, and that is not what is
measured. Nothing here asserts a time; a failing command fails the run.
"""
import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_aci  # noqa: E402  (the rootfs cache, run(), Pair, fmt_row)

run, log, Pair, fmt_row = bench_aci.run, bench_aci.log, bench_aci.Pair, bench_aci.fmt_row


def make_busybox_image(work):
    src = os.path.join(work, "busybox-src")
    rootfs = os.path.join(src, "rootfs")
    os.makedirs(os.path.join(rootfs, "bin"))
    shutil.copy2("/bin/busybox", os.path.join(rootfs, "bin", "busybox"))
    for name in ("sh", "true", "ls", "cat", "sleep"):
        os.symlink("busybox", os.path.join(rootfs, "bin", name))
    with open(os.path.join(src, "manifest"), "w") as f:
        json.dump({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "bench.example/busybox",
                   "labels": [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"},
                              {"name": "arch", "value": "amd64"}],
                   "app": {"exec": ["/bin/true"], "user": "0", "group": "0"}}, f)
    return src


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appc", default=None)
    ap.add_argument("--runs", type=int, default=5, help="runs of each import/extract (default 5)")
    ap.add_argument("--tree-runs", type=int, default=30, help="runs of each tree lookup (default 30)")
    ap.add_argument("--cache", default="/dev/shm/appc-bench")
    ap.add_argument("--persist", default="/var/cache/appc-bench")
    ap.add_argument("--workdir", default="/dev/shm")
    args = ap.parse_args()

    appc = os.path.abspath(args.appc or os.path.join(os.environ.get("APPC_BUILD_ROOT", "build"),
                                                     "examples", "cli", "appc"))
    if not os.access(appc, os.X_OK):
        raise SystemExit("FAIL: no appc CLI at %s (--appc)" % appc)
    if not os.path.exists("/bin/busybox"):
        raise SystemExit("FAIL: /bin/busybox missing (apt-get install busybox-static)")
    image = bench_aci.prepare_image_dir(os.path.abspath(args.cache), args.persist)
    os.makedirs(args.workdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="appc-bench-store-", dir=args.workdir)
    try:
        return bench(appc, image, work, args)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def bench(appc, image, work, args):
    aci = os.path.join(work, "minbase.aci")
    aci_gz = os.path.join(work, "minbase-gzip.aci")
    bb_aci = os.path.join(work, "busybox.aci")
    run([appc, "image", "build", image, aci])
    run([appc, "image", "build", "--compression=gzip", image, aci_gz])
    run([appc, "image", "build", make_busybox_image(work), bb_aci])
    image_id = run([appc, "image", "id", aci]).strip()
    bb_id = run([appc, "image", "id", bb_aci]).strip()
    log("minbase ACI %.1f MB (gzip %.1f MB), busybox ACI %.1f MB; %d runs (trees: %d), median; load %s" % (
        os.path.getsize(aci) / 1e6, os.path.getsize(aci_gz) / 1e6, os.path.getsize(bb_aci) / 1e6,
        args.runs, args.tree_runs, " ".join("%.2f" % x for x in os.getloadavg())))

    out_dir = os.path.join(work, "out")
    root = os.path.join(work, "root")

    def fresh(_=None):
        for p in (out_dir, root):
            if os.path.lexists(p):
                shutil.rmtree(p)

    def extract(path):
        def f():
            out = json.loads(run([appc, "--format=json", "image", "extract", path, out_dir]))
            if out["id"] != image_id:
                raise SystemExit("FAIL: extract gave %s" % out["id"])
        return f

    def do_import(path, tree=False):
        def f():
            got = run([appc, "--root", root, "image", "import", path]).strip()
            if got != image_id:
                raise SystemExit("FAIL: import printed %r, expected %s" % (got, image_id))
            if tree:
                rootfs = run([appc, "--root", root, "image", "tree", image_id]).strip()
                if not os.path.isfile(os.path.join(rootfs, "etc", "debian_version")):
                    raise SystemExit("FAIL: the tree %s lacks etc/debian_version" % rootfs)
        return f

    pairs = [
        Pair("import", "import, uncompressed: appc image import | appc image extract", do_import(aci),
             extract(aci), 0.91, setup=fresh, after=fresh),
        Pair("import-gzip", "import, gzip: appc image import | appc image extract", do_import(aci_gz),
             extract(aci_gz), 0.91, setup=fresh, after=fresh),
        Pair("import-tree", "import + first tree: appc image import+tree | appc image extract",
             do_import(aci, tree=True), extract(aci), setup=fresh, after=fresh),
    ]
    for p in pairs:
        log("measuring: %s" % p.title)
        p.measure(args.runs)

    # Already rendered trees: one store holding both images, each tree made once.
    tree_root = os.path.join(work, "trees")
    for path in (aci, bb_aci):
        run([appc, "--root", tree_root, "image", "import", path])
    paths = {}
    for iid in (image_id, bb_id):
        paths[iid] = run([appc, "--root", tree_root, "image", "tree", iid]).strip()

    def tree_of(iid):
        def f():
            got = run([appc, "--root", tree_root, "image", "tree", iid]).strip()
            if got != paths[iid]:
                raise SystemExit("FAIL: the tree moved: %s != %s" % (got, paths[iid]))
        return f

    tree_pair = Pair("tree", "tree, already rendered: minbase (130 MB) | busybox (1 MB)",
                     tree_of(image_id), tree_of(bb_id), None)
    log("measuring: %s" % tree_pair.title)
    tree_pair.measure(args.tree_runs)

    rows = [p.row() for p in pairs] + [tree_pair.row()]
    width = max(len(r["benchmark"]) for r in rows)
    log("")
    log("%-*s %10s %10s %7s  %-12s" % (width, "benchmark: libappc | reference", "libappc", "reference", "ratio",
                                       "target"))
    for r in rows:
        log(fmt_row(r, width))
    tr = rows[-1]
    log("")
    log("ratio = reference median / libappc median (above 1: libappc is faster). Import targets: >= 0.91 "
        "(store overhead within 10%% of extract+hash). Tree lookup: minbase costs %.2fx busybox's "
        "(about 1: independent of image size)." % (tr["libappc_s"] / tr["reference_s"]))
    log("JSON: " + json.dumps({"results": rows}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
