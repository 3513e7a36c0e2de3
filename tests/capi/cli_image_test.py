#!/usr/bin/python3
"""`appc image ...` against real archives: outputs, exit codes, files made, cancellation.

usage: cli_image_test.py APPC            the CLI on archives built here (tar, gzip, ..., and appc)
       cli_image_test.py APPC --refkit   compare with the reference actool: `actool validate`
                                         accepts what `appc image build` makes; the recorded IDs
                                         of the refkit ACIs. Exit 77 (skipped) when no actool.

Scratch trees live under /dev/shm and are removed even on failure.
Exit codes under test: 0 success, 1 failure (one "appc: ..." line on stderr), 2 usage error.
"""
import json
import os
import re
import shutil
import signal
import stat
import subprocess
import sys
import tempfile

appc = sys.argv[1]
refkit_mode = "--refkit" in sys.argv[2:]
failures = []
checks = 0

ID_RE = re.compile(r"sha512-[0-9a-f]{128}")
DECOMPRESS = {"none": ["cat"], "gzip": ["gzip", "-dc"], "bzip2": ["bzip2", "-dc"], "xz": ["xz", "-dc"],
              "zstd": ["zstd", "-qdc"]}


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, stdin=None):
    return subprocess.run([appc, *args], input=stdin, capture_output=True, text=True, timeout=120)


def tar_id(path, compression):
    """sha512sum of the uncompressed tar stream, as the command-line tools see it."""
    with open(path, "rb") as f:
        dec = subprocess.run(DECOMPRESS[compression], stdin=f, capture_output=True, check=True).stdout
    out = subprocess.run(["sha512sum"], input=dec, capture_output=True, check=True).stdout.decode()
    return "sha512-" + out.split()[0]


def write(path, data, mode=0o644):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)
    os.chmod(path, mode)


def manifest(name, **extra):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name}
    m.update(extra)
    return json.dumps(m)


def layout(root, name="example.com/cli", special=True):
    """manifest + rootfs with a file, an executable, a symlink, a hardlink and a FIFO."""
    write(f"{root}/manifest", manifest(name))
    write(f"{root}/rootfs/etc/motd", "hello from the cli test\n")
    write(f"{root}/rootfs/bin/tool", "#!/bin/sh\necho tool\n", 0o755)
    if special:
        os.symlink("bin/tool", f"{root}/rootfs/tool-link")
        os.link(f"{root}/rootfs/bin/tool", f"{root}/rootfs/bin/tool2")
        os.mkfifo(f"{root}/rootfs/fifo")
    return root


def usage(args, needle):
    r = run(*args)
    check(r.returncode == 2, f"{args} exits 2 (got {r.returncode}; {r.stderr!r})")
    check(r.stderr.startswith("appc: ") and needle in r.stderr, f"{args} message: {r.stderr!r}")
    check(r.stdout == "", f"{args} prints nothing on stdout: {r.stdout!r}")


def failure(r, needle, what):
    check(r.returncode == 1, f"{what}: exits 1 (got {r.returncode}; {r.stderr!r})")
    lines = r.stderr.splitlines()
    check(len(lines) == 1 and lines[0].startswith("appc: ") and needle in lines[0],
          f"{what}: one line on stderr with {needle!r}: {r.stderr!r}")


def main_tests(S):
    # ---- usage errors ----
    usage(["image"], "missing subcommand")
    usage(["image", "frobnicate"], "unknown subcommand 'frobnicate'")
    usage(["image", "build", "dir"], "expected DIR and OUT.aci")
    usage(["image", "build", "d", "o", "--compression=lz4"], 'unknown compression "lz4"')
    usage(["image", "build", "d", "o", "--compression"], "--compression needs a value")
    usage(["image", "build", "d", "o", "--mtime=yesterday"], "'yesterday' is not a number")
    usage(["image", "build", "d", "o", "--overwrite=yes"], "--overwrite takes no value")
    usage(["image", "build", "d", "o", "--bogus"], "unknown flag '--bogus'")
    usage(["image", "validate"], "no FILE given")
    usage(["image", "id"], "exactly one FILE.aci")
    usage(["image", "id", "a", "b"], "exactly one FILE.aci")
    usage(["image", "extract", "a.aci"], "expected FILE.aci and DIR")
    usage(["image", "render", "a.aci"], "expected IMAGE and DIR")
    usage(["image", "render", "a.aci", "d", "--deps"], "--deps needs a value")
    usage(["image", "cat-manifest", "--ugly", "a.aci"], "unknown flag '--ugly'")
    r = run("image", "--help")
    check(r.returncode == 0 and "appc image build DIR OUT.aci" in r.stdout, "image --help")
    r = run("--help")
    check(r.returncode == 0 and re.search(r"^  image ", r.stdout, re.M) is not None, "image in the command list")

    # ---- build: the ID printed is sha512sum of the tar, for every compression; reproducible ----
    lay = layout(f"{S}/layout")
    ids = {}
    for comp in DECOMPRESS:
        out = f"{S}/img-{comp}.aci"
        r = run("image", "build", lay, out, f"--compression={comp}")
        check(r.returncode == 0 and r.stderr == "", f"build {comp}: {r.returncode} {r.stderr!r}")
        printed = r.stdout.strip()
        check(ID_RE.fullmatch(printed) is not None, f"build {comp} prints an ID: {r.stdout!r}")
        check(printed == tar_id(out, comp), f"build {comp}: ID = sha512sum of the uncompressed tar")
        ids[comp] = printed
        again = run("image", "build", lay, f"{S}/again-{comp}.aci", "--compression", comp)
        check(again.stdout.strip() == printed, f"build {comp} twice: same ID")
        with open(out, "rb") as a, open(f"{S}/again-{comp}.aci", "rb") as b:
            check(a.read() == b.read(), f"build {comp} twice: same bytes")
        r = run("image", "id", out)
        check(r.returncode == 0 and r.stdout == printed + "\n", f"id {comp}: {r.stdout!r} {r.stderr!r}")
    check(len(set(ids.values())) == 1, f"one tar stream, one ID, whatever the compression: {ids}")
    gz = f"{S}/img-gzip.aci"

    r = run("image", "build", lay, gz)
    failure(r, "already exists", "build onto an existing file")
    r = run("image", "build", lay, gz, "--overwrite", "--compression=gzip")
    check(r.returncode == 0 and r.stdout.strip() == ids["gzip"], "--overwrite")
    r = run("--format=json", "image", "build", lay, f"{S}/j.aci", "--owner-root", "--mtime=0")
    j = json.loads(r.stdout)
    check(r.returncode == 0 and j["file"] == f"{S}/j.aci" and j["id"] == tar_id(f"{S}/j.aci", "none"),
          f"build json: {r.stdout!r}")
    listing = subprocess.run(["tar", "--numeric-owner", "--full-time", "-tvf", f"{S}/j.aci"], env={"TZ": "UTC"},
                             capture_output=True, text=True, check=True).stdout.splitlines()
    check(len(listing) == 9 and all(" 0/0 " in l and "1970-01-01 00:00:00" in l for l in listing),
          f"--owner-root --mtime=0 in every header: {listing}")
    r = run("image", "build", f"{S}/nothing-here", f"{S}/n.aci")
    failure(r, "appc: build: opening layout " + f"{S}/nothing-here", "build from a directory that does not exist")
    os.makedirs(f"{S}/empty-layout")
    r = run("image", "build", f"{S}/empty-layout", f"{S}/n.aci")
    failure(r, "no manifest in the layout (spec 37)", "build from a directory without a manifest")
    check(not os.path.exists(f"{S}/n.aci"), "no output from a failed build")

    # ---- id --format=json ----
    r = run("--format=json", "image", "id", gz)
    j = json.loads(r.stdout)
    check(j == {"file": gz, "id": ids["gzip"], "compression": "gzip", "archive_size": os.path.getsize(gz),
                "tar_size": os.path.getsize(f"{S}/img-none.aci"), "entries": 9}, f"id json: {j}")

    # ---- validate ----
    bad = f"{S}/bad"
    write(f"{bad}/manifest", manifest("Not An Identifier"))
    write(f"{bad}/rootfs/a", "a\n")
    write(f"{bad}/extra", "x\n")
    subprocess.run(["tar", "-C", bad, "-cf", f"{S}/bad.aci", "manifest", "rootfs", "extra"], check=True)
    subprocess.run(["tar", "-C", bad, "-cf", f"{S}/dotdot.aci", "--transform", "s,^rootfs/a,rootfs/../../evil,",
                    "manifest", "rootfs"], check=True)
    missing = f"{S}/missing.aci"

    r = run("image", "validate", gz, f"{S}/img-xz.aci")
    check(r.returncode == 0 and r.stderr == "", f"valid images exit 0: {r.returncode} {r.stderr!r}")
    check(r.stdout.splitlines() == [f"{gz}: valid ({ids['gzip']})", f"{S}/img-xz.aci: valid ({ids['xz']})"],
          f"valid lines: {r.stdout!r}")

    r = run("image", "validate", f"{S}/bad.aci")
    check(r.returncode == 1, "invalid exits 1")
    lines = r.stdout.splitlines()
    check(f"{S}/bad.aci: extra: not allowed at the top level: an ACI holds only manifest and rootfs/ (spec 40)"
          in lines, f"the extra entry is named: {lines}")
    check(any(re.fullmatch(re.escape(f"{S}/bad.aci: manifest: name: ") + r".+ \(spec 1\)", l) for l in lines),
          f"the manifest finding, with its JSON path: {lines}")
    check(len(lines) == 2, f"every violation, one line each: {lines}")
    check(r.stderr == "appc: 1 of 1 file is not valid\n", f"summary: {r.stderr!r}")

    r = run("image", "validate", gz, missing, f"{S}/dotdot.aci")
    check(r.returncode == 1 and r.stderr == "appc: 2 of 3 files are not valid\n", f"mixed: {r.stderr!r}")
    lines = r.stdout.splitlines()
    check(lines[0] == f"{gz}: valid ({ids['gzip']})", f"mixed first: {lines}")
    check(lines[1] == f"{missing}: open {missing}: No such file or directory", f"missing file: {lines}")
    check(any(l.startswith(f"{S}/dotdot.aci: rootfs/../../evil: ") and l.endswith("(spec 40)") for l in lines),
          f"'..' entry named: {lines}")

    r = run("--format=json", "image", "validate", gz, f"{S}/bad.aci")
    check(r.returncode == 1, "json invalid exits 1")
    rep = json.loads(r.stdout)
    check([f["file"] for f in rep["files"]] == [gz, f"{S}/bad.aci"], f"json files: {rep}")
    ok, badrep = rep["files"]
    check(ok == {"file": gz, "valid": True, "id": ids["gzip"], "name": "example.com/cli", "errors": []},
          f"json valid entry: {ok}")
    check(badrep["valid"] is False and badrep["id"] is None and badrep["name"] is None, f"json invalid: {badrep}")
    check({(e["path"], e["rule"]) for e in badrep["errors"]} == {("extra", 40), ("manifest: name", 1)},
          f"json findings: {badrep['errors']}")

    # ---- cat-manifest ----
    r = run("image", "cat-manifest", gz)
    with open(f"{lay}/manifest") as f:
        stored = f.read()
    check(r.returncode == 0 and r.stdout == stored + "\n", f"cat-manifest prints the stored bytes: {r.stdout!r}")
    r = run("image", "cat-manifest", "--pretty", gz)
    ref = run("manifest", "cat", "--pretty", f"{lay}/manifest")
    check(r.returncode == 0 and r.stdout == ref.stdout and r.stdout.startswith("{\n    "),
          f"cat-manifest --pretty = manifest cat --pretty: {r.stdout!r}")
    failure(run("image", "cat-manifest", f"{S}/bad.aci"), "spec", "cat-manifest of an invalid image")

    # ---- extract ----
    out = f"{S}/out"
    r = run("image", "extract", gz, out)
    check(r.returncode == 0 and r.stdout == "" and r.stderr == "", f"extract: {r.returncode} {r.stderr!r}")
    check(sorted(os.listdir(out)) == ["manifest", "rootfs"], f"extract: top level {os.listdir(out)}")
    with open(f"{out}/rootfs/etc/motd") as f:
        check(f.read() == "hello from the cli test\n", "extracted file content")
    st_tool = os.stat(f"{out}/rootfs/bin/tool")
    check(stat.S_IMODE(st_tool.st_mode) == 0o755, "mode kept")
    check(os.stat(f"{out}/rootfs/bin/tool2").st_ino == st_tool.st_ino, "hardlink kept")
    check(os.readlink(f"{out}/rootfs/tool-link") == "bin/tool", "symlink kept")
    check(stat.S_ISFIFO(os.lstat(f"{out}/rootfs/fifo").st_mode), "FIFO kept")
    before = sorted(os.listdir(out))
    failure(run("image", "extract", gz, out), "not empty", "extract into a non-empty directory")
    check(sorted(os.listdir(out)) == before, "a refused target is left as it was")

    r = run("image", "extract", "--rootfs-only", gz, f"{S}/rootfs-only")
    check(r.returncode == 0 and sorted(os.listdir(f"{S}/rootfs-only")) == ["bin", "etc", "fifo", "tool-link"],
          f"--rootfs-only: {r.stderr!r}")

    r = run("--format=json", "image", "extract", gz, f"{S}/out-json")
    j = json.loads(r.stdout)
    check(r.returncode == 0 and j["id"] == ids["gzip"] and j["entries"] == 9 and j["files"] == 3
          and j["dirs"] == 3 and j["symlinks"] == 1 and j["hardlinks"] == 1 and j["fifos"] == 1,
          f"extract json: {j}")

    if os.geteuid() == 0:
        own = f"{S}/owned"
        layout(own, special=False)
        os.chown(f"{own}/rootfs/etc/motd", 4321, 8765)
        run("image", "build", own, f"{S}/owned.aci")
        r = run("image", "extract", f"{S}/owned.aci", f"{S}/owned-same")
        st = os.stat(f"{S}/owned-same/rootfs/etc/motd")
        check(r.returncode == 0 and (st.st_uid, st.st_gid) == (4321, 8765), "owners restored as root")
        r = run("image", "extract", "--no-same-owner", f"{S}/owned.aci", f"{S}/owned-not")
        st = os.stat(f"{S}/owned-not/rootfs/etc/motd")
        check(r.returncode == 0 and (st.st_uid, st.st_gid) == (0, 0), "--no-same-owner: owned by the caller")

    escape = f"{S}/escape"
    os.makedirs(f"{escape}/l1/rootfs")
    os.makedirs(f"{escape}/outside")
    write(f"{escape}/l1/manifest", manifest("example.com/escape"))
    os.symlink(f"{escape}/outside", f"{escape}/l1/rootfs/esc")
    write(f"{escape}/l2/rootfs/esc/pwned", "pwned\n")
    subprocess.run(["tar", "-C", f"{escape}/l1", "-cf", f"{escape}/esc.aci", "manifest", "rootfs"], check=True)
    subprocess.run(["tar", "-C", f"{escape}/l2", "-rf", f"{escape}/esc.aci", "rootfs/esc/pwned"], check=True)
    r = run("image", "extract", f"{escape}/esc.aci", f"{escape}/target")
    failure(r, "rootfs/esc/pwned", "a write through a planted symlink")
    check(os.listdir(f"{escape}/outside") == [], "nothing written outside")
    check(sorted(os.listdir(escape)) == ["esc.aci", "l1", "l2", "outside"], "nothing half-extracted stays")

    # ---- render ----
    base = f"{S}/base"
    write(f"{base}/manifest", manifest("example.com/base", labels=[{"name": "version", "value": "1.0.0"}]))
    write(f"{base}/rootfs/base.txt", "base\n")
    write(f"{base}/rootfs/shared", "from base\n")
    os.makedirs(f"{S}/deps")
    base_id = run("image", "build", base, f"{S}/deps/base.aci", "--compression=xz").stdout.strip()
    app = f"{S}/app"
    write(f"{app}/manifest", manifest("example.com/app",
                                      dependencies=[{"imageName": "example.com/base", "imageID": base_id}]))
    write(f"{app}/rootfs/shared", "from app\n")
    write(f"{app}/rootfs/app.txt", "app\n")
    run("image", "build", app, f"{S}/app.aci")
    r = run("image", "render", f"{S}/app.aci", f"{S}/rendered", "--deps", f"{S}/deps")
    check(r.returncode == 0 and r.stdout == "" and r.stderr == "", f"render: {r.returncode} {r.stderr!r}")
    check(sorted(os.listdir(f"{S}/rendered")) == ["app.txt", "base.txt", "shared"], "render: both layers")
    with open(f"{S}/rendered/shared") as f:
        check(f.read() == "from app\n", "render: the image's own layer wins")
    r = run("image", "render", f"{S}/app.aci", f"{S}/rendered-2")
    failure(r, 'dependency "example.com/base" not found', "render without --deps")
    check(not os.path.exists(f"{S}/rendered-2"), "a failed render leaves nothing")
    r = run("image", "render", f"{S}/app.aci", f"{S}/rendered-3", f"--deps={S}/layout")
    failure(r, "example.com/base", "render with a directory that lacks the dependency")

    # ---- progress on stderr: with --debug (not a terminal here), not without ----
    big = f"{S}/big"
    write(f"{big}/manifest", manifest("example.com/big"))
    for i in range(4):
        write(f"{big}/rootfs/f{i}", os.urandom(3 << 20))
    big_id = run("image", "build", big, f"{S}/big.aci").stdout.strip()
    r = run("image", "extract", f"{S}/big.aci", f"{S}/big-quiet")
    check(r.returncode == 0 and r.stderr == "", f"no progress on a pipe without --debug: {r.stderr!r}")
    r = run("--debug", "image", "extract", f"{S}/big.aci", f"{S}/big-debug")
    progress = [l for l in r.stderr.splitlines() if l.startswith("extract: ")]
    check(r.returncode == 0 and len(progress) >= 1, f"--debug shows progress: {r.stderr!r}")
    check(progress and re.fullmatch(r"extract: .* of .* \(100%\), 12\.0 MiB tar, 6 entries", progress[-1]),
          f"the last progress line is complete: {progress}")
    check(not any("\r" in l for l in r.stderr.splitlines()), "no carriage returns when not on a terminal")
    r = run("--debug", "image", "id", f"{S}/big.aci")
    check(r.stdout.strip() == big_id and any(l.startswith("hash: ") for l in r.stderr.splitlines()),
          f"id --debug: progress phase 'hash': {r.stderr!r}")

    # ---- Ctrl-C cancels cleanly: the archive arrives through a FIFO, so that the
    # signal lands while the extraction is certainly running ----
    with open(f"{S}/big.aci", "rb") as f:
        data = f.read()
    fifo = f"{S}/big.fifo"
    os.mkfifo(fifo)
    os.makedirs(f"{S}/cancel")
    p = subprocess.Popen([appc, "--debug", "image", "extract", fifo, f"{S}/cancel/target"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        with open(fifo, "wb") as w:
            w.write(data[: 4 << 20])
            w.flush()
            first = p.stderr.readline()       # the first progress report: extraction is under way
            p.send_signal(signal.SIGINT)
            try:
                w.write(data[4 << 20:])       # more data: the next report sees the cancellation
            except BrokenPipeError:
                pass
        err = p.stderr.read()
        rc = p.wait(timeout=60)
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
    check(first.startswith("extract: "), f"progress before the signal: {first!r}")
    check(rc == 1, f"cancelled extract exits 1: {rc}")
    check(re.search(r"^appc: extract: .*extract cancelled$", err, re.M) is not None, f"cancel message: {err!r}")
    check(os.listdir(f"{S}/cancel") == [], f"nothing left after Ctrl-C: {os.listdir(f'{S}/cancel')}")


def find_actool():
    for base in (os.environ.get("APPC_REFKIT"), "/tmp/refkit"):
        if base and os.access(os.path.join(base, "bin", "actool"), os.X_OK):
            return base, os.path.join(base, "bin", "actool")
    return None, None


def refkit_tests(S, refkit, actool):
    # actool validate accepts every ACI appc builds, in every compression the spec has (zstd is beyond it).
    lay = layout(f"{S}/layout")
    os.chmod(f"{lay}/rootfs/bin/tool", 0o4755)          # setuid
    os.makedirs(f"{lay}/rootfs/tmp")
    os.chmod(f"{lay}/rootfs/tmp", 0o1777)               # sticky
    os.makedirs(f"{lay}/rootfs/empty-dir")
    write(f"{lay}/rootfs/sparse", b"")
    with open(f"{lay}/rootfs/sparse", "r+b") as f:
        f.seek(8 << 20)
        f.write(b"end")
    if os.geteuid() == 0:
        os.mknod(f"{lay}/rootfs/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chown(f"{lay}/rootfs/etc/motd", 1000, 1000)
    for comp in ("none", "gzip", "bzip2", "xz"):
        out = f"{S}/ours-{comp}.aci"
        r = run("image", "build", lay, out, f"--compression={comp}")
        check(r.returncode == 0, f"build {comp}: {r.stderr!r}")
        a = subprocess.run([actool, "validate", out], capture_output=True, text=True)
        check(a.returncode == 0, f"actool validate accepts our {comp} build: {a.stdout!r} {a.stderr!r}")

    # The recorded IDs of the refkit's ACIs (tests/refkit/build.sh).
    tiny = os.path.join(refkit, "demo", "tiny.aci")
    expected_tiny = ("sha512-9222b8a1cf8793a785cce09f05e65a88f953fefb18fe555fda24a0224c5f66821de78cd152fe"
                     "fe2cd8401463f24e18c3c70e27b05ef55e1f8668d71e86db6bee")
    if os.path.exists(tiny):
        r = run("image", "id", tiny)
        check(r.returncode == 0 and r.stdout.strip() == expected_tiny, f"tiny.aci ID: {r.stdout!r}")
        r = run("image", "id", os.path.join(refkit, "demo", "tiny-uncompressed.aci"))
        check(r.stdout.strip() == expected_tiny, "tiny-uncompressed.aci: the same ID")
    else:
        check(False, f"{tiny} missing from the refkit")
    for idfile in sorted(f for f in os.listdir(os.path.join(refkit, "aci")) if f.endswith(".aci.id")):
        aci = os.path.join(refkit, "aci", idfile[:-3])
        with open(os.path.join(refkit, "aci", idfile)) as f:
            want = f.read().strip()
        r = run("image", "id", aci)
        check(r.returncode == 0 and r.stdout.strip() == want, f"{aci}: ID {r.stdout.strip()} != recorded {want}")
    # actool's own (non-reproducible) builds are valid for us, with the ID of their tar.
    for name in ("tiny-actool-1.aci", "busybox.aci"):
        aci = os.path.join(refkit, "demo", name)
        if not os.path.exists(aci):
            continue
        r = run("--format=json", "image", "id", aci)
        j = json.loads(r.stdout) if r.returncode == 0 else {}
        check(r.returncode == 0 and j["id"] == tar_id(aci, j["compression"]), f"{name}: {r.stdout!r} {r.stderr!r}")


def main():
    S = tempfile.mkdtemp(prefix="appc-cli-image-", dir="/dev/shm")
    try:
        if refkit_mode:
            refkit, actool = find_actool()
            if actool is None:
                print("SKIP: no actool in $APPC_REFKIT/bin or /tmp/refkit/bin")
                return 77
            refkit_tests(S, refkit, actool)
        else:
            main_tests(S)
    finally:
        shutil.rmtree(S, ignore_errors=True)
    print(f"{checks - len(failures)} of {checks} checks passed")
    return 1 if failures else 0


sys.exit(main())
