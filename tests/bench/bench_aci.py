#!/usr/bin/python3
"""Benchmark: libappc's ACI reading, extraction and building against the
standard tools doing the same work.

  bench_aci.py --appc BUILD/examples/cli/appc [--runs N] [--cache DIR]
               [--persist DIR] [--workdir DIR] [--keep] [--only WORDS]

The subject is a realistic root filesystem: Debian bookworm from
`debootstrap --variant=minbase` (apt's package cache and lists removed, as in
container images: about 125 MB in 6,700 entries). It is made once and cached
under --cache (default /dev/shm/appc-bench; a tarball of it is also kept under
--persist, default /var/cache/appc-bench, so that a reboot does not need the
network again). Without a cache and without debootstrap (or as non-root) the
benchmark is skipped (exit 77).

Its ACI is built with `appc image build`, uncompressed and gzip. Then, each
pair measured --runs times (default 5) in alternation, the median counts:

- `appc image id` vs `openssl dgst -sha512` of the uncompressed ACI
  (target >= 0.95x); informative: the gzip ACI vs `gzip -dc | openssl dgst`;
- `appc image extract` vs GNU `tar -x` with `sha512sum` of the same stream
  running in parallel (`tee FIFO | tar -x`, `sha512sum < FIFO`; for gzip
  `gzip -dc | tee FIFO | tar -x`), for the uncompressed and the gzip ACI
  (target >= 1.0x);
- `appc image build` vs GNU `tar -c` of the same tree (target >= 0.9x);
  informative: `tar -c --sort=name` (what a reproducible build must do), and
  gzip builds (`appc image build --compression=gzip` vs `tar -cz`).

A ratio is the reference's median wall-clock time over libappc's: above 1
libappc is faster. The CPU time (user + system, all processes of a command)
prints beside it: on a busy machine a two-thread pipeline loses its second
core first, and the CPU times show how much work each side did. Every output goes to /dev/shm; extracted trees are removed between
runs, outside the timed region. The results are checked for agreement (the
image ID equals openssl's and sha512sum's digest, both ACIs have the same ID)
but there are no assertions on times: this is a measurement.
"""

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

SKIP = 77
MANIFEST = {
    "acKind": "ImageManifest",
    "acVersion": "0.8.11",
    "name": "example.com/bench/debian-bookworm-minbase",
    "labels": [{"name": "version", "value": "12"}, {"name": "os", "value": "linux"},
               {"name": "arch", "value": "amd64"}],
    "app": {"exec": ["/bin/bash"], "user": "0", "group": "0"},
}
MIRROR = "http://deb.debian.org/debian"
KEYS = ("id", "id-gzip", "extract", "extract-gzip", "build", "build-sorted", "build-gzip")


def log(msg):
    print(msg, flush=True)


def run(cmd, **kw):
    """Runs cmd (a list, or a string for bash); fails loudly."""
    shell = isinstance(cmd, str)
    p = subprocess.run(["bash", "-c", cmd] if shell else cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)
    if p.returncode != 0:
        raise SystemExit("FAIL: %s (exit %d)\n%s%s" % (cmd if shell else " ".join(cmd), p.returncode,
                                                      p.stdout.decode(errors="replace")[-2000:],
                                                      p.stderr.decode(errors="replace")[-2000:]))
    return p.stdout.decode(errors="replace")


def tree_stats(root):
    n = size = 0
    for dirpath, dirnames, filenames in os.walk(root):
        n += len(dirnames) + len(filenames)
        for f in filenames:
            st = os.lstat(os.path.join(dirpath, f))
            size += st.st_blocks * 512
    return n, size


# ------------------------------------------------------------------ the rootfs

def prepare_image_dir(cache, persist):
    """<cache>/bookworm-minbase/{manifest,rootfs/}, made once."""
    image = os.path.join(cache, "bookworm-minbase")
    marker = image + ".complete"
    if os.path.exists(marker):
        return image
    if os.geteuid() != 0:
        log("SKIP: no cached rootfs in %s, and making one (debootstrap, device nodes, owners) needs root" % cache)
        raise SystemExit(SKIP)
    os.makedirs(cache, exist_ok=True)
    shutil.rmtree(image, ignore_errors=True)
    tarball = os.path.join(persist, "bookworm-minbase.tar") if persist else None
    rootfs = os.path.join(image, "rootfs")
    os.makedirs(rootfs)
    if tarball and os.path.exists(tarball):
        log("restoring the rootfs from %s" % tarball)
        run(["tar", "-x", "--numeric-owner", "-p", "--xattrs", "-f", tarball, "-C", rootfs])
    else:
        if not shutil.which("debootstrap"):
            shutil.rmtree(image, ignore_errors=True)
            log("SKIP: no cached rootfs and no debootstrap (apt-get install debootstrap)")
            raise SystemExit(SKIP)
        log("debootstrap --variant=minbase bookworm (once; cached in %s) ..." % cache)
        t0 = time.perf_counter()
        p = subprocess.run(["debootstrap", "--variant=minbase", "bookworm", rootfs, MIRROR],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        if p.returncode != 0:
            out = p.stdout.decode(errors="replace")[-3000:]
            shutil.rmtree(image, ignore_errors=True)
            log("SKIP: debootstrap failed (exit %d; no network?):\n%s" % (p.returncode, out))
            raise SystemExit(SKIP)
        log("  done in %.0f s" % (time.perf_counter() - t0))
        # As in container images: no package cache, no package lists.
        run("cd %s && rm -f var/cache/apt/archives/*.deb var/cache/apt/*.bin && "
            "find var/lib/apt/lists -maxdepth 1 -type f ! -name lock -delete" % shq(rootfs))
        if tarball:
            try:
                os.makedirs(persist, exist_ok=True)
                run(["tar", "-c", "--numeric-owner", "--xattrs", "-f", tarball + ".tmp", "-C", rootfs, "."])
                os.rename(tarball + ".tmp", tarball)
            except (OSError, SystemExit) as e:   # only a convenience for the next boot
                log("note: could not keep a copy in %s: %s" % (persist, e))
    with open(os.path.join(image, "manifest"), "w", encoding="utf-8") as f:
        json.dump(MANIFEST, f, indent=2)
    open(marker, "w").close()
    return image


def shq(s):
    return "'" + s.replace("'", "'\\''") + "'"


# ------------------------------------------------------------------ timing

class Pair:
    """libappc's command against the reference's, run alternately."""

    def __init__(self, key, title, ours, ref, target=None, setup=None, after=None):
        self.key, self.title, self.ours, self.ref, self.target = key, title, ours, ref, target
        self.setup, self.after = setup, after   # untimed, before/after every run
        self.t_ours, self.t_ref = [], []        # wall-clock seconds
        self.c_ours, self.c_ref = [], []        # CPU seconds (user + system) of the processes

    def measure(self, runs):
        for _ in range(runs):
            for fn, wall, cpu in ((self.ours, self.t_ours, self.c_ours), (self.ref, self.t_ref, self.c_ref)):
                if self.setup:
                    self.setup()
                r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
                t0 = time.perf_counter()
                result = fn()
                wall.append(time.perf_counter() - t0)
                r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
                cpu.append(r1.ru_utime - r0.ru_utime + r1.ru_stime - r0.ru_stime)
                if self.after:
                    self.after(result)

    def row(self):
        mo, mr = statistics.median(self.t_ours), statistics.median(self.t_ref)
        return {"key": self.key, "benchmark": self.title, "libappc_s": mo, "reference_s": mr, "ratio": mr / mo,
                "target": self.target, "libappc_runs": self.t_ours, "reference_runs": self.t_ref,
                "libappc_cpu_s": statistics.median(self.c_ours), "reference_cpu_s": statistics.median(self.c_ref)}


def fmt_row(r, width):
    target = ""
    if r["target"] is not None:
        target = "%.2fx %s" % (r["target"], "met" if r["ratio"] >= r["target"] else "MISSED")
    spread = lambda ts: "%.0f-%.0f" % (min(ts) * 1e3, max(ts) * 1e3)
    return "%-*s %7.0f ms %7.0f ms %6.2fx  %-12s cpu %4.0f | %4.0f ms   range %s | %s ms" % (
        width, r["benchmark"], r["libappc_s"] * 1e3, r["reference_s"] * 1e3, r["ratio"], target,
        r["libappc_cpu_s"] * 1e3, r["reference_cpu_s"] * 1e3, spread(r["libappc_runs"]), spread(r["reference_runs"]))


# ------------------------------------------------------------------ main

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appc", default=None, help="the appc CLI (default $APPC_BUILD_ROOT/examples/cli/appc)")
    ap.add_argument("--runs", type=int, default=5, help="runs of each command; the median counts (default 5)")
    ap.add_argument("--cache", default="/dev/shm/appc-bench", help="where the rootfs is kept (tmpfs)")
    ap.add_argument("--persist", default="/var/cache/appc-bench",
                    help="a tarball of the rootfs survives reboots here ('' for none)")
    ap.add_argument("--workdir", default="/dev/shm", help="scratch space, on tmpfs (default /dev/shm)")
    ap.add_argument("--keep", action="store_true", help="keep the built ACIs (prints where)")
    ap.add_argument("--only", default="", help="comma-separated keys of the benchmarks to run: %s "
                    "(default all)" % ", ".join(KEYS))
    args = ap.parse_args()

    unknown = {k.strip() for k in args.only.split(",") if k.strip()} - set(KEYS)
    if unknown:
        raise SystemExit("FAIL: --only: unknown benchmark(s) %s (known: %s)" % (", ".join(sorted(unknown)),
                                                                               ", ".join(KEYS)))
    appc = args.appc or os.path.join(os.environ.get("APPC_BUILD_ROOT", "build"), "examples", "cli", "appc")
    appc = os.path.abspath(appc)
    if not os.access(appc, os.X_OK):
        raise SystemExit("FAIL: no appc CLI at %s (--appc)" % appc)
    for tool in ("tar", "gzip", "openssl", "sha512sum", "tee"):
        if not shutil.which(tool):
            raise SystemExit("FAIL: %s not found" % tool)

    image = prepare_image_dir(os.path.abspath(args.cache), args.persist)
    os.makedirs(args.workdir, exist_ok=True)
    work = tempfile.mkdtemp(prefix="appc-bench-aci-", dir=args.workdir)
    try:
        return bench(appc, image, work, args)
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def bench(appc, image, work, args):
    aci = os.path.join(work, "image.aci")
    aci_gz = os.path.join(work, "image-gzip.aci")
    out_dir = os.path.join(work, "out")
    fifo = os.path.join(work, "stream.fifo")
    digest = os.path.join(work, "stream.sha512")
    os.mkfifo(fifo)

    run([appc, "image", "build", image, aci])
    run([appc, "image", "build", "--compression=gzip", image, aci_gz])
    entries, disk = tree_stats(os.path.join(image, "rootfs"))
    ver = run(["tar", "--version"]).splitlines()[0]
    log("rootfs: %s (%d entries, %.0f MB on disk)" % (os.path.join(image, "rootfs"), entries, disk / 1e6))
    log("ACI: %.1f MB uncompressed, %.1f MB gzip; %s; %s; %d runs each, median; load average %s" % (
        os.path.getsize(aci) / 1e6, os.path.getsize(aci_gz) / 1e6, ver,
        run(["openssl", "version"]).strip(), args.runs, " ".join("%.2f" % x for x in os.getloadavg())))

    # Agreement (not timing): one image ID for both ACIs, equal to the digests of the tools.
    image_id = run([appc, "image", "id", aci]).strip()
    if run([appc, "image", "id", aci_gz]).strip() != image_id:
        raise SystemExit("FAIL: the gzip ACI of the same tree has another image ID")
    ossl = run(["openssl", "dgst", "-sha512", "-r", aci]).split()[0]
    if image_id != "sha512-" + ossl:
        raise SystemExit("FAIL: appc image id %s != openssl's sha512-%s" % (image_id, ossl))
    log("image ID %s...%s (= openssl dgst -sha512; same for the gzip ACI)" % (image_id[:19], image_id[-8:]))

    def clear_out(_=None):
        if os.path.lexists(out_dir):
            shutil.rmtree(out_dir)

    def appc_id(path):
        return lambda: check_equal(run([appc, "image", "id", path]).strip(), image_id, "appc image id")

    def appc_extract(path):
        def f():
            out = json.loads(run([appc, "--format=json", "image", "extract", path, out_dir]))
            check_equal(out["id"], image_id, "appc image extract")
        return f

    def tar_extract(path, gz):
        # tee reads the uncompressed file itself (no `cat` in the pipeline).
        feed = ("gzip -dc %s | tee %s" % (shq(path), shq(fifo)) if gz else
                "tee %s < %s" % (shq(fifo), shq(path)))
        cmd = "sha512sum < %s > %s & mkdir %s && %s | tar -x -f - -C %s; rc=$?; wait $! && exit $rc" % (
            shq(fifo), shq(digest), shq(out_dir), feed, shq(out_dir))

        def f():
            run(cmd)
            check_equal("sha512-" + open(digest).read().split()[0], image_id, "tee | sha512sum")
        return f

    def appc_build(extra, out):
        return lambda: run([appc, "image", "build", "--overwrite"] + extra + [image, out])

    def tar_create(extra, out):
        return lambda: run(["tar", "-c"] + extra + ["-f", out, "-C", image, "manifest", "rootfs"])

    built = os.path.join(work, "built.aci")
    built_tar = os.path.join(work, "built.tar")

    def clear_built(_=None):
        for p in (built, built_tar):
            if os.path.exists(p):
                os.unlink(p)

    pairs = [
        Pair("id", "id, uncompressed: appc image id | openssl dgst -sha512", appc_id(aci),
             lambda: run(["openssl", "dgst", "-sha512", aci]), 0.95),
        Pair("id-gzip", "id, gzip: appc image id | gzip -dc | openssl dgst", appc_id(aci_gz),
             lambda: run("gzip -dc %s | openssl dgst -sha512" % shq(aci_gz))),
        Pair("extract", "extract+hash, uncompressed: appc | tee+sha512sum+tar -x", appc_extract(aci),
             tar_extract(aci, False), 1.0, setup=clear_out, after=clear_out),
        Pair("extract-gzip", "extract+hash, gzip: appc | gzip -dc+tee+sha512sum+tar -x", appc_extract(aci_gz),
             tar_extract(aci_gz, True), 1.0, setup=clear_out, after=clear_out),
        Pair("build", "build, uncompressed: appc image build | tar -c", appc_build([], built),
             tar_create([], built_tar), 0.9, setup=clear_built, after=clear_built),
        Pair("build-sorted", "build, uncompressed: appc image build | tar -c --sort=name", appc_build([], built),
             tar_create(["--sort=name"], built_tar), setup=clear_built, after=clear_built),
        Pair("build-gzip", "build, gzip: appc --compression=gzip | tar -cz", appc_build(["--compression=gzip"], built),
             tar_create(["-z"], built_tar), setup=clear_built, after=clear_built),
    ]
    if args.only:
        keys = [k.strip() for k in args.only.split(",")]
        pairs = [p for p in pairs if p.key in keys]
    width = max(len(p.title) for p in pairs)
    log("\n%-*s %10s %10s %7s  %-12s %s" % (width, "benchmark: libappc | reference", "libappc", "reference", "ratio",
                                              "target", "CPU time (user+sys), medians; wall ranges"))
    rows = []
    for p in pairs:
        p.measure(args.runs)
        rows.append(p.row())
        log(fmt_row(rows[-1], width))
    missed = [r["benchmark"] for r in rows if r["target"] is not None and r["ratio"] < r["target"]]
    log("\nratio = reference median / libappc median of wall-clock time (above 1: libappc is faster). "
        "Targets %s. Load average now %s (%d CPUs): on a busy machine the two-thread pipelines lose "
        "their second core first." % ("all met" if not missed else "missed: " + "; ".join(missed),
                                      " ".join("%.2f" % x for x in os.getloadavg()), os.cpu_count()))
    if args.keep:
        log("ACIs kept: %s %s" % (aci, aci_gz))
    log("JSON: " + json.dumps({"entries": entries, "aci_bytes": os.path.getsize(aci),
                               "aci_gzip_bytes": os.path.getsize(aci_gz), "results": rows}))
    return 0


def check_equal(got, want, what):
    if got != want:
        raise SystemExit("FAIL: %s gave %s, expected %s" % (what, got, want))


if __name__ == "__main__":
    sys.exit(main())
