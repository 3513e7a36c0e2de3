#!/usr/bin/python3
"""Pod start and pod memory (issue 5), side by side in one run, medians and ratios.

  bench_pod.py --appc BUILD/examples/cli/appc [--runs N] [--cache DIR] [--workdir DIR]

Runs, each many times, alternating:
  - `appc run --net=host BUSYBOX --exec /bin/true` (a stored, already rendered
    busybox image; pod dirs under a tmpfs root as crun keeps its state in /run)
  - `crun run` of an OCI bundle with the same rootfs (pid, mount, ipc, uts
    namespaces; host network), Debian's crun
  - the floor: `unshare --fork --pid --mount --uts --ipc chroot ROOTFS /bin/true`
  - the same pod from the Debian minbase image (bench_aci.py's rootfs): the
    ratio against busybox should be about 1 (pod start independent of size)
and then the resident memory of what stays on the host for a running pod
(`sleep`) against crun's attached process for the same workload.

This machine's cgroups are a hybrid layout that crun refuses, so the whole
measurement runs inside `unshare -m --propagation private` with
/sys/fs/cgroup/unified unmounted there, libappc included, for fairness.
Needs root. Asserts nothing about times.
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
import bench_aci  # noqa: E402

run, log = bench_aci.run, bench_aci.log


def busybox_dir(work):
    src = os.path.join(work, "busybox-src")
    subprocess.run([sys.executable, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "workloads",
                                                 "make_image_dir.py"), src, "--preset", "busybox",
                    "--name", "bench.example/busybox"], check=True)
    return src


def minbase_dir(work, cache_image):
    """The cached minbase rootfs with a manifest whose app exists there."""
    return cache_image


def median_ms(ts):
    return statistics.median(ts) * 1e3


def timed(cmd, runs, after=None):
    ts = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        ts.append(time.perf_counter() - t0)
        if p.returncode != 0:
            raise SystemExit("FAIL: %s exited %d: %s" % (" ".join(cmd), p.returncode,
                                                          p.stderr.decode(errors="replace")[-1500:]))
        if after:
            after()
    return ts


def rss_kb(pid):
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


def inner(args):
    appc = args.appc
    work = tempfile.mkdtemp(prefix="appc-bench-pod-", dir=args.workdir)
    root = os.path.join(work, "root")
    try:
        bb_src = busybox_dir(work)
        bb_aci = os.path.join(work, "busybox.aci")
        run([appc, "image", "build", bb_src, bb_aci])
        mb_aci = os.path.join(work, "minbase.aci")
        image = bench_aci.prepare_image_dir(os.path.abspath(args.cache), args.persist)
        run([appc, "image", "build", image, mb_aci])
        bb_id = run([appc, "--root", root, "image", "import", bb_aci]).strip()
        mb_id = run([appc, "--root", root, "image", "import", mb_aci]).strip()
        bb_rootfs = run([appc, "--root", root, "image", "tree", bb_id]).strip()
        mb_rootfs = run([appc, "--root", root, "image", "tree", mb_id]).strip()

        # The OCI bundle: same rootfs (a copy: crun may not share the store's read-only tree).
        bundle = os.path.join(work, "bundle")
        os.makedirs(bundle)
        shutil.copytree(bb_rootfs, os.path.join(bundle, "rootfs"), symlinks=True)
        run(["crun", "spec"], cwd=bundle)
        with open(os.path.join(bundle, "config.json")) as f:
            cfg = json.load(f)
        cfg["process"]["terminal"] = False
        cfg["process"]["args"] = ["/bin/true"]
        cfg["linux"]["namespaces"] = [n for n in cfg["linux"]["namespaces"] if n["type"] != "network"]
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(cfg, f)
        floor_root = os.path.join(work, "floor")
        shutil.copytree(bb_rootfs, floor_root, symlinks=True)

        def pod_gc():
            subprocess.run([appc, "--root", root, "gc", "--grace=0s"], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL)

        n = [0]

        def crun_cmd():
            n[0] += 1
            return ["crun", "run", "--bundle", bundle, "bench-%d-%d" % (os.getpid(), n[0])]

        ours_bb = [appc, "--root", root, "run", "--net=host", bb_id, "--exec", "/bin/true"]
        ours_mb = [appc, "--root", root, "run", "--net=host", mb_id, "--exec", "/bin/true"]
        floor = ["unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "chroot", floor_root, "/bin/true"]
        # The two images' /bin/true differ (busybox's is static, Debian's is
        # dynamically linked): the floor of each tells that apart from pod start.
        floor_mb = ["unshare", "--fork", "--pid", "--mount", "--uts", "--ipc", "chroot", mb_rootfs, "/bin/true"]
        # warm up every path once
        for cmd in (ours_bb, ours_mb, crun_cmd(), floor, floor_mb):
            timed(cmd, 1)
        pod_gc()
        t = {"appc busybox": [], "crun busybox": [], "floor": [], "appc minbase": [], "floor minbase": []}
        for i in range(args.runs):
            t["appc busybox"] += timed(ours_bb, 1)
            t["crun busybox"] += timed(crun_cmd(), 1)
            t["floor"] += timed(floor, 1)
            t["appc minbase"] += timed(ours_mb, 1)
            t["floor minbase"] += timed(floor_mb, 1)
            if i % 20 == 19:
                pod_gc()   # untimed: keep the pods dir small
        pod_gc()

        # Memory of what stays on the host for a sleeping pod.
        out = run([appc, "--root", root, "--format=json", "run", "--detach", "--net=host", bb_id,
                   "--exec", "/bin/sleep", "--", "1000"])
        info = json.loads(out)
        uuid = info["uuid"]
        time.sleep(0.3)
        st = json.loads(run([appc, "--root", root, "--format=json", "status", uuid]))
        sup = int(st["supervisor_pid"])
        ours_rss = rss_kb(sup)
        run([appc, "--root", root, "stop", uuid])
        run([appc, "--root", root, "rm", uuid])
        cfg["process"]["args"] = ["/bin/sleep", "1000"]
        with open(os.path.join(bundle, "config.json"), "w") as f:
            json.dump(cfg, f)
        name = "bench-mem-%d" % os.getpid()
        p = subprocess.Popen(["crun", "run", "--bundle", bundle, name], stdout=subprocess.DEVNULL)
        time.sleep(0.3)
        crun_rss = rss_kb(p.pid)
        subprocess.run(["crun", "kill", name, "KILL"], stderr=subprocess.DEVNULL)
        p.wait()
        subprocess.run(["crun", "delete", "-f", name], stderr=subprocess.DEVNULL)

        m = {k: median_ms(v) for k, v in t.items()}
        log("")
        log("%d runs each, alternating, median wall time (load %s)" % (
            args.runs, " ".join("%.2f" % x for x in os.getloadavg())))
        log("  appc run busybox /bin/true   %7.1f ms" % m["appc busybox"])
        log("  crun run busybox /bin/true   %7.1f ms   crun/appc = %.2fx (target >= 1.00: no slower than crun)"
            % (m["crun busybox"], m["crun busybox"] / m["appc busybox"]))
        log("  floor (unshare + chroot)     %7.1f ms   floor/appc = %.2fx" % (m["floor"], m["floor"] / m["appc busybox"]))
        log("  appc run minbase /bin/true   %7.1f ms   minbase/busybox = %.2fx (target about 1)"
            % (m["appc minbase"], m["appc minbase"] / m["appc busybox"]))
        log("  floor minbase /bin/true      %7.1f ms   the programs themselves: minbase/busybox floor = %.2fx;"
            " pod overhead (appc - floor) minbase/busybox = %.2fx"
            % (m["floor minbase"], m["floor minbase"] / m["floor"],
               (m["appc minbase"] - m["floor minbase"]) / (m["appc busybox"] - m["floor"])))
        log("  resident memory on the host for a sleeping pod: libappc %.2f MB (supervisor), crun %.2f MB "
            "(target <= 1.5 MB)" % (ours_rss / 1024, crun_rss / 1024))
        log("JSON: " + json.dumps({"median_ms": m, "runs": {k: v for k, v in t.items()},
                                   "rss_kb": {"libappc": ours_rss, "crun": crun_rss}}))
        return 0
    finally:
        subprocess.run([appc, "--root", root, "gc", "--grace=0s"], stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        shutil.rmtree(work, ignore_errors=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--appc", default=None)
    ap.add_argument("--runs", type=int, default=50)
    ap.add_argument("--cache", default="/dev/shm/appc-bench")
    ap.add_argument("--persist", default="/var/cache/appc-bench")
    ap.add_argument("--workdir", default="/dev/shm")
    ap.add_argument("--inner", action="store_true", help=argparse.SUPPRESS)
    args = ap.parse_args()
    args.appc = os.path.abspath(args.appc or os.path.join(os.environ.get("APPC_BUILD_ROOT", "build"),
                                                          "examples", "cli", "appc"))
    if "APPC_SUPERVISOR" not in os.environ:   # the build tree's, beside the CLI's build
        sup = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(args.appc))), "lib", "executor",
                           "appc-supervisor")
        if os.access(sup, os.X_OK):
            os.environ["APPC_SUPERVISOR"] = sup
    if os.geteuid() != 0:
        log("SKIP: pods need root")
        return bench_aci.SKIP
    for tool in ("crun", "unshare", "chroot"):
        if not shutil.which(tool):
            raise SystemExit("FAIL: %s not found (scripts/install-deps.sh installs it)" % tool)
    if args.inner:
        return inner(args)
    # Re-run inside a private mount namespace without the cgroup2 mount of the hybrid layout.
    script = ("mountpoint -q /sys/fs/cgroup/unified && umount /sys/fs/cgroup/unified; exec %s %s --inner %s" % (
        sys.executable, bench_aci.shq(os.path.abspath(__file__)),
        " ".join(bench_aci.shq(a) for a in sys.argv[1:])))
    return subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script]).returncode


if __name__ == "__main__":
    sys.exit(main())
