#!/usr/bin/python3
"""`appc image import|list|cat-manifest|export|render|tree|rm|gc|check` against a store.

usage: cli_store_test.py APPC            outputs, JSON, exit codes, errors
       cli_store_test.py APPC --kill     importers of a ~30 MB ACI killed (SIGKILL) at random
                                         times; then `image check --hashes` passes and `image
                                         list` shows no half import
       cli_store_test.py APPC --stress   parallel import/tree/list/rm/gc processes for ~10 s;
                                         then `image check --hashes` passes

Images are built with `appc image build` from a directory holding /bin/busybox
(busybox-static). Scratch roots live under /dev/shm and are removed even on failure.
Exit codes under test: 0 success, 1 failure (one "appc: ..." line on stderr), 2 usage error.
"""
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

appc = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else ""
failures = []
checks = 0

ID_RE = re.compile(r"sha512-[0-9a-f]{128}")


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)


def run(*args, stdin=None, env=None, timeout=300):
    return subprocess.run([appc, *args], input=stdin, capture_output=True, timeout=timeout, env=env)


def out(r):
    return r.stdout.decode(errors="replace")


def err(r):
    return r.stderr.decode(errors="replace")


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, mode)


def manifest(name, labels=(), deps=None):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name}
    if labels:
        m["labels"] = [{"name": k, "value": v} for k, v in labels]
    if deps:
        m["dependencies"] = deps
    return json.dumps(m)


def build(S, tag, name, labels=(), busybox=True, extra=b"", deps=None):
    """An ACI at S/<tag>.aci with /bin/busybox and /etc/<tag>; returns (path, id)."""
    lay = f"{S}/layout-{tag}"
    write(f"{lay}/manifest", manifest(name, labels, deps))
    write(f"{lay}/rootfs/etc/{tag}", extra or tag.encode())
    if busybox:
        os.makedirs(f"{lay}/rootfs/bin", exist_ok=True)
        shutil.copy("/bin/busybox", f"{lay}/rootfs/bin/busybox")
    aci = f"{S}/{tag}.aci"
    r = run("image", "build", lay, aci)
    if r.returncode != 0:
        raise RuntimeError(f"image build {tag}: {err(r)}")
    shutil.rmtree(lay)
    return aci, out(r).strip()


def usage(args, needle):
    r = run(*args)
    check(r.returncode == 2, f"{args} exits 2 (got {r.returncode}; {err(r)!r})")
    check(err(r).startswith("appc: ") and needle in err(r), f"{args} message: {err(r)!r}")


def failure(r, needle, what):
    check(r.returncode == 1, f"{what}: exits 1 (got {r.returncode}; {err(r)!r})")
    lines = err(r).splitlines()
    check(len(lines) == 1 and lines[0].startswith("appc: ") and needle in lines[0],
          f"{what}: one line on stderr with {needle!r}: {err(r)!r}")


def listed(root):
    r = run("--root", root, "--format=json", "image", "list")
    check(r.returncode == 0, f"list --format=json: {r.returncode} {err(r)!r}")
    return json.loads(out(r))["images"] if r.returncode == 0 else []


def check_store(root, what):
    r = run("--root", root, "image", "check", "--hashes")
    check(r.returncode == 0 and out(r).startswith("ok: "),
          f"{what}: check --hashes passes (got {r.returncode}; {out(r)!r} {err(r)!r})")


# ---------------------------------------------------------------------------------------------

def main_tests(S):
    root = f"{S}/root"
    A = ["--root", root]

    # ---- usage errors ----
    usage(["image", "import"], "exactly one FILE.aci")
    usage(["image", "import", "a", "b"], "exactly one FILE.aci")
    usage(["image", "import", "a.aci", "--origin"], "--origin needs a value")
    usage(["image", "list", "extra"], "no arguments expected")
    usage(["image", "export", "x"], "expected IMAGE and OUT.aci")
    usage(["image", "rm"], "no IMAGE given")
    usage(["image", "rm", "x", "--forced"], "unknown flag '--forced'")
    usage(["image", "gc", "--grace", "soon"], "'soon' is not a duration")
    usage(["image", "gc", "--tree-grace=1h30"], "not a duration")
    usage(["image", "tree"], "exactly one IMAGE")
    usage(["image", "check", "now"], "no arguments expected")
    r = run("image", "--help")
    check(r.returncode == 0 and "appc image import FILE.aci|-" in out(r) and "appc image gc" in out(r),
          "image --help lists the store commands")

    # ---- read-only commands do not create a store ----
    failure(run("--root", f"{S}/nowhere", "image", "list"), "", "list of a missing store")
    check(not os.path.exists(f"{S}/nowhere"), "list does not create the store")

    # ---- import ----
    app, app_id = build(S, "app", "example.com/app", [("version", "1.0.0"), ("os", "linux")])
    r = run(*A, "image", "import", app)
    check(r.returncode == 0 and out(r) == app_id + "\n" and err(r) == "",
          f"import prints the ID: {r.returncode} {out(r)!r} {err(r)!r}")
    r = run(*A, "image", "import", app)
    check(r.returncode == 0 and out(r) == app_id + "\n", f"second import: {out(r)!r}")
    check("already present" in err(r) and len(err(r).splitlines()) == 1, f"already present on stderr: {err(r)!r}")
    app2, app2_id = build(S, "app2", "example.com/app", [("version", "1.10.0"), ("os", "linux")])
    with open(app2, "rb") as f:
        r = run(*A, "--format=json", "image", "import", "-", "--origin", "https://example.com/app2.aci",
                stdin=f.read())
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(r.returncode == 0 and j.get("id") == app2_id and j.get("already_present") is False
          and j.get("origin") == "https://example.com/app2.aci" and j.get("name") == "example.com/app"
          and j.get("labels") == {"version": "1.10.0", "os": "linux"} and j.get("size") == os.path.getsize(app2),
          f"import - --format=json: {out(r)!r} {err(r)!r}")
    write(f"{S}/garbage.aci", b"not an archive" * 100)
    r = run(*A, "image", "import", f"{S}/garbage.aci")
    check(r.returncode == 1 and err(r).startswith("appc: ") and len(err(r).splitlines()) == 1,
          f"import of garbage: {r.returncode} {err(r)!r}")
    failure(run(*A, "image", "import", f"{S}/absent.aci"), "absent.aci", "import of a missing file")
    # APPC_ROOT stands for --root.
    env = dict(os.environ, APPC_ROOT=root)
    r = run("--format=json", "image", "list", env=env)
    images = json.loads(out(r))["images"] if r.returncode == 0 else []
    check(sorted(i["id"] for i in images) == sorted([app_id, app2_id]), f"APPC_ROOT: {out(r)!r} {err(r)!r}")

    # ---- list ----
    r = run(*A, "image", "list")
    lines = out(r).splitlines()
    check(r.returncode == 0 and len(lines) == 3, f"list: header + 2 rows: {out(r)!r}")
    if lines:
        check(re.match(r"ID\s+NAME\s+LABELS\s+SIZE\s+IMPORTED\s+LAST USED$", lines[0]) is not None,
              f"list header: {lines[0]!r}")
    short = {app_id[:19], app2_id[:19]}
    rows = {line.split()[0] for line in lines[1:]}
    check(rows == short, f"list shows sha512- + 12 hex: {rows} vs {short}")
    check(all("example.com/app" in line and "MiB" in line for line in lines[1:]), f"list rows: {lines[1:]}")
    check(lines[1:] and "version=1.10.0" in lines[1], f"newest import first: {lines[1:]}")
    images = listed(root)
    check([i["id"] for i in images] == [app2_id, app_id], f"list --format=json: full IDs, newest first")
    for i in images:
        check(set(i) >= {"id", "name", "labels", "size", "tar_size", "compression", "imported", "imported_ns",
                         "last_used", "last_used_ns", "origin", "blob"}, f"list json fields: {sorted(i)}")
        check(i["origin"] in (app, "https://example.com/app2.aci"), f"origin recorded: {i['origin']!r}")

    # ---- lookup rule: highest version, labels, prefixes ----
    r = run(*A, "image", "tree", "example.com/app", "--format=json")
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(j.get("image_id") == app2_id, f"name alone: highest version (1.10.0 > 1.0.0): {out(r)!r} {err(r)!r}")
    r = run(*A, "image", "cat-manifest", "example.com/app,version=1.0.0")
    check(r.returncode == 0 and json.loads(out(r))["labels"][0]["value"] == "1.0.0", f"name,label: {out(r)!r}")
    failure(run(*A, "image", "cat-manifest", "example.com/app,version=9"), "example.com/app",
            "no image matches the labels")
    # Two IDs sharing a first hex digit: "sha512-<digit>" is ambiguous and the error lists both.
    ids = [app_id, app2_id]
    n = 0
    while len({i[7] for i in ids}) == len(ids):
        aci, i = build(S, f"x{n}", "example.com/x", busybox=False, extra=f"x{n}".encode())
        check(run(*A, "image", "import", aci).returncode == 0, f"import x{n}")
        ids.append(i)
        n += 1
    digit = next(d for d in {i[7] for i in ids} if sum(1 for i in ids if i[7] == d) >= 2)
    same = [i for i in ids if i[7] == digit]
    r = run(*A, "image", "cat-manifest", f"sha512-{digit}")
    failure(r, "sha512-", "ambiguous prefix")
    check(all(i[:19] in err(r) for i in same), f"ambiguous prefix lists the candidates {same}: {err(r)!r}")
    r = run(*A, "image", "cat-manifest", app_id[:25])
    check(r.returncode == 0 and json.loads(out(r))["name"] == "example.com/app", "unique prefix")

    # ---- cat-manifest: stored (canonical) and files (as before) ----
    r = run(*A, "image", "cat-manifest", app_id)
    canon = run("manifest", "cat", "-", stdin=manifest("example.com/app", [("version", "1.0.0"), ("os", "linux")])
                .encode())
    check(r.returncode == 0 and out(r) == out(canon), f"stored cat-manifest is canonical: {out(r)!r} vs {out(canon)!r}")
    r = run(*A, "image", "cat-manifest", "--pretty", app_id)
    check(r.returncode == 0 and "\n    " in out(r), "cat-manifest --pretty indents")
    r = run(*A, "image", "cat-manifest", app)
    check(r.returncode == 0 and json.loads(out(r))["name"] == "example.com/app", "cat-manifest FILE still works")

    # ---- export ----
    r = run(*A, "image", "export", "example.com/app,version=1.0.0", f"{S}/out.aci")
    check(r.returncode == 0 and out(r) == "", f"export: {r.returncode} {err(r)!r}")
    r = run("image", "id", f"{S}/out.aci")
    check(out(r).strip() == app_id, "exported file has the imported ID")
    failure(run(*A, "image", "export", app_id, f"{S}/out.aci"), "", "export onto an existing file")
    r = run(*A, "image", "export", app_id[:30], f"{S}/out.aci", "--overwrite")
    check(r.returncode == 0, f"export --overwrite: {err(r)!r}")
    failure(run(*A, "image", "export", "example.com/none", f"{S}/none.aci"), "example.com/none", "export unknown")
    check(not os.path.exists(f"{S}/none.aci"), "failed export leaves no file")

    # ---- tree and render ----
    r = run(*A, "image", "tree", app_id)
    rootfs = out(r).strip()
    check(r.returncode == 0 and rootfs.startswith(f"{root}/store/trees/") and rootfs.endswith("/rootfs"),
          f"tree prints the rootfs: {out(r)!r} {err(r)!r}")
    check(os.path.getsize(f"{rootfs}/bin/busybox") == os.path.getsize("/bin/busybox"), "tree has busybox")
    r2 = run(*A, "image", "tree", app_id[:20])
    check(out(r2).strip() == rootfs, "tree again: the same tree")
    r = run(*A, "--format=json", "image", "tree", app_id)
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(j.get("rootfs") == rootfs and j.get("layers") == [app_id] and j.get("verified") is True
          and len(j.get("key", "")) == 64, f"tree json: {out(r)!r}")
    r = run(*A, "image", "render", "example.com/app,version=1.0.0", f"{S}/rendered")
    check(r.returncode == 0 and os.path.exists(f"{S}/rendered/bin/busybox")
          and os.path.exists(f"{S}/rendered/etc/app"), f"render a stored image: {err(r)!r}")
    r = run(*A, "image", "render", app, f"{S}/rendered-file")
    check(r.returncode == 0 and os.path.exists(f"{S}/rendered-file/etc/app"), "render FILE still works")
    usage([*A, "image", "render", app_id, f"{S}/r3", "--deps", S], "--deps is for an ACI file")
    failure(run(*A, "image", "render", "example.com/none", f"{S}/r4"), "example.com/none", "render unknown")
    check(not os.path.exists(f"{S}/r4"), "failed render leaves nothing")
    # Dependencies come from the store.
    dep = [{"imageName": "example.com/app", "labels": [{"name": "version", "value": "1.0.0"}]}]
    child, child_id = build(S, "child", "example.com/child", busybox=False, deps=dep)
    check(run(*A, "image", "import", child).returncode == 0, "import child")
    r = run(*A, "--format=json", "image", "tree", "example.com/child")
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(j.get("layers") == [app_id, child_id], f"tree with a dependency: {out(r)!r} {err(r)!r}")
    if j:
        check(os.path.exists(f"{j['rootfs']}/etc/app") and os.path.exists(f"{j['rootfs']}/etc/child"),
              "both layers in the tree")

    # ---- check ----
    check_store(root, "after the above")
    r = run(*A, "--format=json", "image", "check")
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(j.get("ok") is True and j.get("problems") == [] and j.get("images") == len(ids) + 1,
          f"check json: {out(r)!r}")

    # ---- gc ----
    r = run(*A, "--format=json", "image", "gc", "--dry-run", "--grace", "0")
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(j.get("dry_run") is True and len(j.get("images", [])) == len(ids) + 1 and len(j.get("trees", [])) == 3
          and j.get("bytes_freed", 0) > 0, f"gc --dry-run: {out(r)!r} {err(r)!r}")
    check(len(listed(root)) == len(ids) + 1, "dry run removes nothing")
    r = run(*A, "image", "gc")
    check(r.returncode == 0 and out(r).count("removed tree ") == 3 and "removed 0 images, 3 trees" in out(r),
          f"gc: trees at once, images kept for a day: {out(r)!r} {err(r)!r}")
    check(not os.path.exists(rootfs), "gc removed the tree")
    check(len(listed(root)) == len(ids) + 1, "gc kept the images")
    r = run(*A, "--format=json", "image", "gc", "--grace=1d")
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(j.get("images") == [] and j.get("trees") == [] and j.get("bytes_freed") == 0, f"gc nothing: {out(r)!r}")

    # ---- rm ----
    r = run(*A, "image", "rm", app_id, "example.com/none", app2_id[:30])
    check(r.returncode == 1, f"rm with one failure exits 1: {r.returncode}")
    removed = [line for line in out(r).splitlines() if line.startswith("removed ")]
    check(len(removed) == 2 and app_id in removed[0] and app2_id in removed[1], f"rm per-image lines: {out(r)!r}")
    check("example.com/none" in err(r) and "1 of 3 images were not removed" in err(r), f"rm errors: {err(r)!r}")
    r = run(*A, "--format=json", "image", "rm", child_id, "sha512-" + "0" * 128)
    j = json.loads(out(r)) if out(r) else {}
    res = j.get("results", [])
    check(r.returncode == 1 and len(res) == 2 and res[0]["removed"] is True and res[0]["id"] == child_id
          and res[0]["bytes_freed"] > 0 and res[1]["removed"] is False and res[1]["error"],
          f"rm json: {out(r)!r}")
    r = run(*A, "--format=json", "image", "gc", "--grace", "0")
    j = json.loads(out(r)) if r.returncode == 0 else {}
    check(sorted(j.get("images", [])) == sorted(ids[2:]), f"gc --grace 0: the rest: {out(r)!r}")
    check(listed(root) == [], "store empty")
    check_store(root, "after rm and gc")

    # ---- a corrupted blob and a newer format ----
    aci, i = build(S, "victim", "example.com/victim")
    run(*A, "image", "import", aci)
    blob = listed(root)[0]["blob"]
    os.chmod(blob, 0o644)
    with open(blob, "r+b") as f:
        f.seek(os.path.getsize(blob) // 2)
        b = f.read(1)
        f.seek(os.path.getsize(blob) // 2)
        f.write(bytes([b[0] ^ 0xFF]))
    r = run(*A, "image", "check")
    check(r.returncode == 0, "check without hashes does not read the blobs")
    r = run(*A, "image", "check", "--hashes")
    check(r.returncode == 1 and i[7:19] in out(r) and "1 problem" in err(r),
          f"check --hashes finds the corrupt blob: {out(r)!r} {err(r)!r}")
    future = f"{S}/future"
    write(f"{future}/store/FORMAT", "appc-store 99\n")
    failure(run("--root", future, "image", "list"), "99", "a newer store format")
    check(os.listdir(f"{future}/store") == ["FORMAT"], "newer store untouched")


# ---------------------------------------------------------------------------------------------

def big_aci(S, megabytes=30):
    """A ~30 MB ACI: busybox and incompressible data, uncompressed."""
    lay = f"{S}/layout-big"
    write(f"{lay}/manifest", manifest("example.com/big"))
    os.makedirs(f"{lay}/rootfs/bin")
    shutil.copy("/bin/busybox", f"{lay}/rootfs/bin/busybox")
    for n in range(megabytes // 2):
        write(f"{lay}/rootfs/data/{n:02d}.bin", os.urandom(2 << 20))
    aci = f"{S}/big.aci"
    r = run("image", "build", lay, aci)
    if r.returncode != 0:
        raise RuntimeError(f"build big: {err(r)}")
    shutil.rmtree(lay)
    return aci, out(r).strip()


def kill_tests(S):
    root = f"{S}/root"
    aci, big_id = big_aci(S)
    rng = random.Random(os.environ.get("APPC_TEST_SEED", str(time.time())))
    # How long one import takes here, to spread the kills over it.
    t0 = time.monotonic()
    r = run("--root", f"{S}/probe", "image", "import", aci)
    span = max(time.monotonic() - t0, 0.05)
    check(r.returncode == 0, f"probe import: {err(r)!r}")
    shutil.rmtree(f"{S}/probe")
    # The store exists before the first kill (list and check never create one).
    small, small_id = build(S, "small", "example.com/small", busybox=False)
    r1 = run("--root", root, "image", "import", small)
    r2 = run("--root", root, "image", "rm", small_id)
    check(r1.returncode == 0 and r2.returncode == 0, f"store created: {err(r1)!r} {err(r2)!r}")
    killed = completed = 0
    # A probe slowed by a stall of the machine would put every kill after the end of its import:
    # a round without a kill halves the window, and rounds go on (up to 40) until one.
    window = span * 2.0
    round_ = 0
    while round_ < 12 or (killed == 0 and round_ < 40):
        killed_before = killed
        procs = [subprocess.Popen([appc, "--root", root, "image", "import", aci], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE) for _ in range(3)]
        for p in procs:
            time.sleep(rng.uniform(0, window / len(procs)))
            p.send_signal(signal.SIGKILL)
        for p in procs:
            p.communicate()
            if p.returncode == -signal.SIGKILL:
                killed += 1
            else:
                completed += 1
                check(p.returncode == 0, f"round {round_}: an import that was not killed succeeded "
                      f"({p.returncode})")
        images = listed(root)
        check(all(i["id"] == big_id for i in images) and len(images) <= 1,
              f"round {round_}: only the whole image can be listed: {[i['id'][:19] for i in images]}")
        check_store(root, f"round {round_}")
        if images:
            r = run("--root", root, "image", "rm", big_id)
            check(r.returncode == 0, f"round {round_}: rm: {err(r)!r}")
        if killed == killed_before:
            window = max(window / 2, 0.001)
        round_ += 1
    print(f"{killed} importers killed, {completed} completed", flush=True)
    check(killed > 0, "at least one importer was killed mid-way")
    # The store still works: a clean import, then a tree, then check.
    r = run("--root", root, "image", "import", aci)
    check(r.returncode == 0 and out(r).strip() == big_id, f"import after the kills: {err(r)!r}")
    r = run("--root", root, "image", "tree", big_id)
    check(r.returncode == 0, f"tree after the kills: {err(r)!r}")
    # Kill renderers too: the next tree call finds a whole tree or renders it again.
    run("--root", root, "image", "gc")
    for round_ in range(4):
        p = subprocess.Popen([appc, "--root", root, "image", "tree", big_id], stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        time.sleep(rng.uniform(0, span))
        p.send_signal(signal.SIGKILL)
        p.communicate()
        r = run("--root", root, "image", "tree", big_id)
        rootfs = out(r).strip()
        check(r.returncode == 0 and os.path.getsize(f"{rootfs}/bin/busybox") == os.path.getsize("/bin/busybox"),
              f"tree after a killed renderer: {err(r)!r}")
        check_store(root, f"killed renderer {round_}")
        run("--root", root, "image", "gc")


# ---------------------------------------------------------------------------------------------

def stress_tests(S, seconds=10.0):
    root = f"{S}/root"
    acis = []
    for n in range(5):
        aci, i = build(S, f"s{n}", f"example.com/s{n}", [("version", f"1.{n}.0")], extra=os.urandom(200000))
        acis.append((aci, i, f"example.com/s{n}"))
    # The store exists before the workers start (list, rm and gc never create one).
    r = run("--root", root, "image", "import", acis[0][0])
    check(r.returncode == 0, f"first import: {err(r)!r}")
    deadline = time.monotonic() + seconds
    problems = []
    counts = {}
    lock = threading.Lock()

    def record(kind, r, allowed_fail):
        with lock:
            counts[kind] = counts.get(kind, 0) + 1
            if r.returncode == 0:
                return
            lines = err(r).splitlines()
            if r.returncode != 1 or not allowed_fail or len(lines) != 1 or not lines[0].startswith("appc: "):
                problems.append(f"{kind}: exit {r.returncode}: {err(r)!r}")

    def worker(kind, seed):
        rng = random.Random(seed)
        while time.monotonic() < deadline:
            aci, i, name = rng.choice(acis)
            if kind == "import":
                record(kind, run("--root", root, "image", "import", aci), False)
            elif kind == "tree":
                # The image may be removed by rm/gc at any moment: "not found" is a clean failure.
                record(kind, run("--root", root, "image", "tree", rng.choice([i, name])), True)
            elif kind == "list":
                r = run("--root", root, "--format=json", "image", "list")
                record(kind, r, False)
                if r.returncode == 0:
                    for img in json.loads(out(r))["images"]:
                        if img["id"] not in {a[1] for a in acis}:
                            with lock:
                                problems.append(f"list shows an unknown image {img['id'][:19]}")
            elif kind == "rm":
                record(kind, run("--root", root, "image", "rm", i), True)
                time.sleep(0.05)
            elif kind == "gc":
                record(kind, run("--root", root, "image", "gc", "--grace", "0", "--tree-grace", "0"), False)
                time.sleep(0.1)

    kinds = ["import", "import", "import", "tree", "tree", "list", "rm", "gc"]
    threads = [threading.Thread(target=worker, args=(k, n)) for n, k in enumerate(kinds)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    print(f"operations: {counts}", flush=True)
    for p in problems[:20]:
        print("  ", p)
    check(not problems, f"{len(problems)} unexpected results under concurrency")
    check(all(counts.get(k, 0) > 0 for k in set(kinds)), f"every kind of operation ran: {counts}")
    check_store(root, "after the stress run")
    # Every listed image still renders and exports with its ID.
    for img in listed(root):
        r = run("--root", root, "image", "export", img["id"], f"{S}/check.aci", "--overwrite")
        r2 = run("image", "id", f"{S}/check.aci")
        check(r.returncode == 0 and out(r2).strip() == img["id"], f"export {img['id'][:19]} after the run")


def main():
    if not os.path.exists("/bin/busybox"):
        print("SKIP: /bin/busybox (busybox-static) is not installed")
        return 77
    S = tempfile.mkdtemp(prefix="appc-cli-store-", dir="/dev/shm")
    try:
        if mode == "--kill":
            kill_tests(S)
        elif mode == "--stress":
            stress_tests(S)
        else:
            main_tests(S)
    finally:
        shutil.rmtree(S, ignore_errors=True)
    print(f"{checks - len(failures)} of {checks} checks passed")
    return 1 if failures else 0


sys.exit(main())
