#!/usr/bin/python3
"""Hostile archives through `appc image validate|extract|import|check|render`.

usage: cli_hostile_test.py APPC

Each archive is built here with Python's tarfile (and the compressors), then:
- `validate` gives the expected verdict, naming the entry;
- `extract` into DIR either succeeds or fails naming the entry, and then leaves
  neither DIR nor a temporary directory; a sentinel directory beside it, which
  the archive aims at, is never touched;
- `import` into a fresh store either stores the image or leaves no row, no
  blob and nothing in tmp/ (`image check` passes, `image list` is empty);
- `render` (one layer, symlinks resolved as in a chroot) never writes outside.

Cases cite checklist items: 37 layout, 39 duplicates, 40 top-level names and
paths, 41 fidelity, 42 compression, 53 later layers never write through a
symlink. Scratch trees live under /dev/shm and are removed even on failure.
"""
import bz2
import gzip
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile

appc = sys.argv[1]
failures = []
checks = 0

MAN = json.dumps({"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/hostile"}).encode()


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args):
    return subprocess.run([appc, *args], capture_output=True, text=True, timeout=120)


def T(name, typ=tarfile.REGTYPE, data=b"", **kw):
    t = tarfile.TarInfo(name)
    t.type = typ
    t.mode = kw.pop("mode", 0o755 if typ == tarfile.DIRTYPE else 0o644)
    for k, v in kw.items():
        setattr(t, k, v)
    if typ == tarfile.REGTYPE:
        t.size = len(data)
    return (t, data)


def F(name, data=b"x", **kw):
    return T(name, data=data, **kw)


def D(name, **kw):
    return T(name, tarfile.DIRTYPE, **kw)


def L(name, target):
    return T(name, tarfile.SYMTYPE, linkname=target)


def H(name, target):
    return T(name, tarfile.LNKTYPE, linkname=target)


def BASE():
    return [F("manifest", MAN), D("rootfs")]


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=fmt) as tf:
        for t, d in entries:
            tf.addfile(t, io.BytesIO(d) if t.type == tarfile.REGTYPE else None)
    return bio.getvalue()


def zstd(b):
    return subprocess.run(["zstd", "-q", "-c"], input=b, capture_output=True, check=True).stdout


def cases(sentinel):
    """(name, archive bytes, validate ok?, extract ok?, needle in the extract error)."""
    out = []

    def add(name, data, valid, extracts, needle=""):
        out.append((name, data, valid, extracts, needle))

    S = sentinel
    # spec 40: names
    add("absolute", tar_bytes(BASE() + [F(S + "/pwned")]), False, False, S + "/pwned: name is absolute")
    add("double-slash absolute", tar_bytes(BASE() + [F("/" + S + "/pwned")]), False, False, "name is absolute")
    add("rootfs/../x", tar_bytes(BASE() + [F("rootfs/../x")]), False, False, 'rootfs/../x: name has a ".." component')
    add("./rootfs/a/../../x", tar_bytes(BASE() + [D("rootfs/a"), F("./rootfs/a/../../x")]), False, False,
        './rootfs/a/../../x: name has a ".." component')
    add("empty name", tar_bytes(BASE() + [F("")]), False, False, "name is empty")
    add("outside rootfs/", tar_bytes(BASE() + [F("etc/passwd")]), False, False, "etc/passwd: not allowed at the top level")
    add("rootfsx", tar_bytes(BASE() + [F("rootfsx")]), False, False, "rootfsx: not allowed at the top level")
    # spec 40: manifest and rootfs themselves
    add("manifest a directory", tar_bytes([D("manifest"), D("rootfs")]), False, False, "manifest must be a regular file")
    add("manifest a symlink", tar_bytes([L("manifest", "/etc/passwd"), D("rootfs")]), False, False,
        "manifest must be a regular file, found a symlink")
    add("manifest a hardlink", tar_bytes([D("rootfs"), F("rootfs/m", MAN), H("manifest", "rootfs/m")]), False, False,
        "manifest must be a regular file, found a hardlink")
    add("rootfs a symlink", tar_bytes([F("manifest", MAN), L("rootfs", S), F("rootfs/pwned")]), False, False,
        "rootfs must be a directory, found a symlink")
    add("rootfs a file", tar_bytes([F("manifest", MAN), F("rootfs")]), False, False, "rootfs must be a directory")
    add("archive root a file", tar_bytes([F(".")] + BASE()), False, False, "the archive root must be a directory")
    add("archive root . and ./", tar_bytes([D("./")] + BASE()), True, True)
    # spec 39: duplicates, whatever their types
    add("duplicate manifest", tar_bytes(BASE() + [F("manifest", MAN)]), False, False, 'duplicate entry: "manifest"')
    add("file then directory", tar_bytes(BASE() + [F("rootfs/a"), D("rootfs/a")]), False, False, 'duplicate entry: "rootfs/a"')
    add("directory then file", tar_bytes(BASE() + [D("rootfs/a"), F("rootfs/a")]), False, False, 'duplicate entry: "rootfs/a"')
    add("symlink then directory", tar_bytes(BASE() + [L("rootfs/s", S), D("rootfs/s"), F("rootfs/s/pwned")]), False,
        False, 'duplicate entry: "rootfs/s"')
    # writes through symlinks planted by earlier entries: extraction refuses, naming the entry, and
    # validation (so import) refuses the same archives with the same words (it models the namespace)
    add("symlink to / then a file through it", tar_bytes(BASE() + [L("rootfs/s", "/"), F("rootfs/s" + S + "/pwned")]),
        False, False, "parent goes through a symlink that leads outside the target")
    add("symlink chain a -> b -> ../..", tar_bytes(BASE() + [L("rootfs/a", "b"), L("rootfs/b", "../.."), F("rootfs/a/pwned")]),
        False, False, "rootfs/a/pwned: parent goes through a symlink that leads outside the target")
    add("symlink out of rootfs/ (..)", tar_bytes(BASE() + [L("rootfs/up", ".."), F("rootfs/up/manifest2")]), False, False,
        "rootfs/up/manifest2: parent goes through a symlink that leads outside the target")
    add("symlink, then a directory below it", tar_bytes(BASE() + [L("rootfs/s", S), D("rootfs/s/sub")]), False, False,
        "rootfs/s/sub/: parent goes through a symlink that leads outside the target")
    add("a directory replaced by a symlink through an alias",
        tar_bytes(BASE() + [D("rootfs/a"), L("rootfs/al", "."), L("rootfs/al/a", S), F("rootfs/a/pwned")]), False, False,
        "rootfs/al/a: refusing to replace a directory with a symlink")
    add("symlink .. inside rootfs/", tar_bytes(BASE() + [D("rootfs/a"), L("rootfs/a/up", ".."), F("rootfs/a/up/ok")]),
        True, True)
    # hardlinks (spec 40 and the extraction rules)
    add("hardlink to /etc/passwd", tar_bytes(BASE() + [H("rootfs/p", "/etc/passwd")]), False, False,
        'hardlink target "/etc/passwd" is absolute')
    add("hardlink to ../outside", tar_bytes(BASE() + [H("rootfs/p", "../outside")]), False, False,
        'hardlink target "../outside" has a ".." component')
    add("hardlink through a symlink", tar_bytes(BASE() + [L("rootfs/s", "/etc"), H("rootfs/p", "rootfs/s/passwd")]),
        False, False, "is not an earlier entry of this archive")
    add("hardlink to a later entry", tar_bytes(BASE() + [H("rootfs/p", "rootfs/later"), F("rootfs/later")]), False, False,
        'hardlink target "rootfs/later" is not an earlier entry')
    add("hardlink to itself", tar_bytes(BASE() + [H("rootfs/p", "rootfs/p")]), False, False, "is not an earlier entry")
    add("hardlink to a directory", tar_bytes(BASE() + [D("rootfs/d"), H("rootfs/p", "rootfs/d")]), False, False,
        'hardlink target "rootfs/d" is a directory')
    add("hardlink to manifest", tar_bytes(BASE() + [H("rootfs/p", "manifest")]), False, False, "is outside rootfs/")
    add("hardlink to rootfs", tar_bytes(BASE() + [H("rootfs/p", "rootfs")]), False, False, "is outside rootfs/")
    add("hardlink to a symlink that points out (links the symlink)",
        tar_bytes(BASE() + [L("rootfs/s", "/etc/passwd"), H("rootfs/p", "rootfs/s")]), True, True)
    # spec 41: devices, FIFOs, setuid come out (confined to the target)
    add("devices, FIFO, setuid", tar_bytes(BASE() + [
        T("rootfs/null", tarfile.CHRTYPE, devmajor=1, devminor=3), T("rootfs/sda", tarfile.BLKTYPE, devmajor=8),
        T("rootfs/fifo", tarfile.FIFOTYPE), F("rootfs/su", b"#!/bin/sh\n", mode=0o6755)]), True, True)
    # names: long (pax and GNU), odd bytes, not UTF-8
    add("pax name of 300 bytes", tar_bytes(BASE() + [F("rootfs/" + "x" * 250 + "/" + "y" * 40)]), True, True)
    add("GNU long name", tar_bytes(BASE() + [F("rootfs/" + "x" * 250)], tarfile.GNU_FORMAT), True, True)
    add("odd bytes in a name", tar_bytes(BASE() + [F("rootfs/a\x01\x7f\n\t b")]), True, True)
    add("a name that is not UTF-8", tar_bytes(BASE() + [F(b"rootfs/\xff\xfe".decode("utf-8", "surrogateescape"))],
                                              tarfile.GNU_FORMAT), True, True)
    add("a name over PATH_MAX", tar_bytes(BASE() + [F("rootfs/" + "/".join(["d" * 200] * 25))]), False, False,
        "over Linux's limit of 4095 (PATH_MAX)")
    add("a component over NAME_MAX", tar_bytes(BASE() + [F("rootfs/" + "n" * 256)]), False, False,
        "is 256 bytes long, over Linux's limit of 255 (NAME_MAX)")
    add("a directory whose own path is over PATH_MAX (its parent's is not)",
        tar_bytes(BASE() + [D("rootfs/" + "/".join(["d" * 255] * 16) + "/x")]), True, True)
    add("a symlink target over PATH_MAX", tar_bytes(BASE() + [L("rootfs/l", "t" * 4096)]), False, False,
        "the symlink target is 4096 bytes long")
    # the manifest anywhere, and its size
    add("manifest after rootfs/", tar_bytes([D("rootfs"), F("rootfs/a"), F("manifest", MAN)]), True, True)
    add("manifest over 16 MiB", tar_bytes([F("manifest", b" " * (17 << 20) + MAN), D("rootfs")]), False, False,
        "limits.max_manifest_bytes")
    add("no manifest", tar_bytes([D("rootfs"), F("rootfs/a")]), False, False, "manifest: missing")
    add("empty symlink target", tar_bytes(BASE() + [L("rootfs/l", "")]), False, False, "a symlink with an empty")
    # more of what extraction refuses and validation now finds without touching the disk
    add("symlink loop in the parent chain", tar_bytes(BASE() + [L("rootfs/a", "b"), L("rootfs/b", "a"), F("rootfs/a/x")]),
        False, False, "rootfs/a/x: parent goes through a symlink loop")
    add("41 symlinks to follow", tar_bytes(BASE() + [D("rootfs/d")] + [L(f"rootfs/l{i}", f"l{i + 1}" if i < 40 else "d")
                                                                        for i in range(41)] + [F("rootfs/l0/x")]),
        False, False, "rootfs/l0/x: parent goes through a symlink loop")
    add("40 symlinks to follow", tar_bytes(BASE() + [D("rootfs/d")] + [L(f"rootfs/l{i}", f"l{i + 1}" if i < 39 else "d")
                                                                        for i in range(40)] + [F("rootfs/l0/x")]),
        True, True)
    add("a parent that is a symlink to nothing", tar_bytes(BASE() + [L("rootfs/s", "nowhere"), F("rootfs/s/f")]),
        False, False, "rootfs/s/f: the parent s is a symlink to something that does not exist")
    add("a parent that is a file, through a symlink", tar_bytes(BASE() + [F("rootfs/f"), L("rootfs/a", "f"), F("rootfs/a/x")]),
        False, False, "rootfs/a/x: a parent is not a directory")
    add("a hardlink to itself through an alias", tar_bytes(BASE() + [F("rootfs/f"), L("rootfs/al", "."),
                                                                     H("rootfs/al/f", "rootfs/f")]),
        False, False, 'rootfs/al/f: hardlink target "rootfs/f" is this entry itself')
    add("a hardlink whose target became a directory", tar_bytes(BASE() + [F("rootfs/f"), L("rootfs/al", "."),
                                                                          D("rootfs/al/f"), H("rootfs/h", "rootfs/f")]),
        False, False, 'rootfs/h: hardlink target "rootfs/f" is now a directory')
    add("lib -> usr/lib, then entries through it", tar_bytes(BASE() + [D("rootfs/usr"), D("rootfs/usr/lib"),
                                                                     L("rootfs/lib", "usr/lib"), F("rootfs/lib/x"),
                                                                     L("rootfs/lib/out", "/etc")]), True, True)
    add("an owner beyond uid_t (spec 41)", tar_bytes(BASE() + [F("rootfs/f", uid=1 << 32)]), False, False,
        "rootfs/f: owner 4294967296:0 is out of range")
    # streams (spec 42): corrupt, truncated, trailing data
    good = tar_bytes(BASE() + [F("rootfs/a", b"A" * 100000)])
    for cname, comp in (("gzip", gzip.compress), ("bzip2", bz2.compress), ("xz", lzma.compress), ("zstd", zstd)):
        z = comp(good)
        add(f"{cname} cut in half", z[:len(z) // 2], False, False, f"corrupt or truncated {cname} stream")
        add(f"{cname} without its last 4 bytes", z[:-4], False, False, f"corrupt or truncated {cname} stream")
        bad = bytearray(z)
        bad[len(z) // 2] ^= 0xFF
        add(f"{cname} with a flipped byte", bytes(bad), False, False, "corrupt or truncated")   # the stream or the tar in it
        add(f"{cname} twice, concatenated", z + z, True, True)
    add("gzip then xz concatenated (the rest is not gzip: ignored, as gzip -d does)",
        gzip.compress(good) + lzma.compress(good), True, True)
    add("xz with trailing garbage", lzma.compress(good) + b"GARBAGE" * 100, False, False, "corrupt or truncated xz stream")
    add("tar with trailing garbage", good + b"\x01GARBAGE" * 1000, True, True)
    big = tarfile.TarInfo("rootfs/big")
    big.size = 1 << 32
    add("a header declaring 4 GiB, then 1 KiB of data", tar_bytes(BASE())[:1536] + big.tobuf(tarfile.USTAR_FORMAT) +
        b"x" * 1024, False, False, "rootfs/big: corrupt or truncated archive")
    # sparse files (GNU sparse 1.0 in pax): the map must stay within the real size,
    # and the real size counts against limits.max_bytes (64 GiB by default)
    add("sparse map within the size", sparse10(8192, 4096, 512), True, True)
    add("sparse map placing data at 1 PiB", sparse10(8192, 1 << 50, 512), False, False,
        "rootfs/huge: data at offset 1125899906842624 lies beyond the file's size of 8192")
    add("sparse file claiming 1 TiB", sparse10(1 << 40, 4096, 512), False, False,
        "rootfs/huge: the archive's files add up to more than 68719476736 bytes (limits.max_bytes")
    return out


def sparse10(realsize, off, length):
    """manifest + rootfs/ + rootfs/huge, a GNU sparse 1.0 file with one region."""
    bio = io.BytesIO()
    with tarfile.open(fileobj=bio, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for t, d in BASE():
            tf.addfile(t, io.BytesIO(d) if t.type == tarfile.REGTYPE else None)
        m = b"1\n%d\n%d\n" % (off, length)
        data = m + b"\0" * (-len(m) % 512) + b"D" * length
        t = tarfile.TarInfo("rootfs/GNUSparseFile.0/huge")
        t.size = len(data)
        t.pax_headers = {"GNU.sparse.major": "1", "GNU.sparse.minor": "0", "GNU.sparse.name": "rootfs/huge",
                         "GNU.sparse.realsize": str(realsize)}
        tf.addfile(t, io.BytesIO(data))
    return bio.getvalue()


def tree(path):
    out = []
    for dp, dns, fns in os.walk(path):
        for n in dns + fns:
            out.append(os.path.relpath(os.path.join(dp, n), path))
    return sorted(out)


def one(S, name, data, valid, extracts, needle):
    work = os.path.join(S, "work")
    sentinel = os.path.join(S, "sentinel")
    shutil.rmtree(work, ignore_errors=True)
    shutil.rmtree(sentinel, ignore_errors=True)
    os.makedirs(work)
    os.makedirs(sentinel)
    with open(os.path.join(sentinel, "keep"), "w") as f:
        f.write("keep")
    aci = os.path.join(S, "h.aci")
    with open(aci, "wb") as f:
        f.write(data)

    # Validation (and import, which reads through it) says yes exactly when extraction can.
    check(valid == extracts, f"{name}: the case expects validate {valid} but extract {extracts}")
    r = run("image", "validate", aci)
    check((r.returncode == 0) == valid, f"{name}: validate exits {r.returncode}: {r.stdout}{r.stderr}")
    if not valid:
        check(r.returncode == 1 and needle in r.stdout + r.stderr,
              f"{name}: validate names {needle!r}: {r.stdout!r} {r.stderr!r}")

    out = os.path.join(work, "out")
    r = run("image", "extract", aci, out)
    check((r.returncode == 0) == extracts, f"{name}: extract exits {r.returncode}: {r.stderr}")
    if not extracts:
        check(r.returncode == 1 and needle in r.stderr, f"{name}: extract names {needle!r}: {r.stderr!r}")
        check(os.listdir(work) == [], f"{name}: extract left {os.listdir(work)}")
    else:
        check(os.path.isdir(out + "/rootfs"), f"{name}: extracted rootfs/")

    root = os.path.join(S, "store")
    shutil.rmtree(root, ignore_errors=True)
    r = run("image", "import", "--root", root, aci)
    check((r.returncode == 0) == valid, f"{name}: import exits {r.returncode}: {r.stderr}")
    c = run("image", "check", "--root", root)
    check(c.returncode == 0, f"{name}: store check after import: {c.stdout}{c.stderr}")
    if not valid:
        blobs = [f for _, _, fs in os.walk(os.path.join(root, "store", "blobs")) for f in fs]
        check(blobs == [], f"{name}: a failed import left blobs {blobs}")
        check(os.listdir(os.path.join(root, "store", "tmp")) == [], f"{name}: a failed import left tmp/ entries")
        lst = run("image", "list", "--root", root)
        check(lst.returncode == 0 and "example.com/hostile" not in lst.stdout, f"{name}: list shows {lst.stdout!r}")

    if valid:
        rendered = os.path.join(work, "rendered")
        r = run("image", "render", aci, rendered)
        check(r.returncode == 0, f"{name}: a valid image renders: {r.stderr}")
    check(tree(sentinel) == ["keep"], f"{name}: the sentinel changed: {tree(sentinel)}")
    with open(os.path.join(sentinel, "keep")) as f:
        check(f.read() == "keep", f"{name}: sentinel/keep was written")
    leftovers = [n for n in os.listdir(work) if n not in ("out", "rendered")]
    check(leftovers == [], f"{name}: temporary directories left: {leftovers}")


def long_name_bomb(S, n=30000, name_len=3000):
    """n directory entries, each named by a pax header of name_len bytes, gzip'ed
    (~1 MB): validation must not hold the names (it keeps a 16-byte digest each).
    Holding them took more than n x name_len bytes (~110 MB here); the bound is half of that."""
    def hdr(name, typ, size):
        h = bytearray(512)
        h[0:len(name)] = name
        h[100:108] = b"0000755\0"
        h[108:116] = h[116:124] = b"0000000\0"
        h[124:136] = b"%011o\0" % size
        h[136:148] = b"00000000000\0"
        h[156:157] = typ
        h[257:265] = b"ustar\x0000"
        h[148:156] = b" " * 8
        h[148:155] = b"%06o\0" % sum(h)
        return bytes(h)

    def record(key, value):
        body = b" " + key + b"=" + value + b"\n"
        length = len(body) + 1
        while len(str(length)) + len(body) != length:
            length += 1
        return str(length).encode() + body

    z = gzip.GzipFile(os.path.join(S, "bomb.aci"), "wb", compresslevel=1)
    z.write(hdr(b"manifest", b"0", len(MAN)) + MAN + b"\0" * (-len(MAN) % 512) + hdr(b"rootfs", b"5", 0))
    # Components within Linux's NAME_MAX (255 bytes), else the names are invalid on their own.
    prefix = b"rootfs/" + b"/".join([b"d" * 249] * (name_len // 250)) + b"/"
    for i in range(n):
        p = record(b"path", prefix + b"%d" % i)
        z.write(hdr(b"PaxHeader", b"x", len(p)) + p + b"\0" * (-len(p) % 512) + hdr(b"x", b"5", 0))
    z.write(b"\0" * 1024)
    z.close()
    # Measured by /usr/bin/time: the child of this (large) Python process would
    # count the pages it shared with it before exec in its maximum RSS.
    if not os.path.exists("/usr/bin/time"):
        print("long-name bomb: no /usr/bin/time, memory not measured")
        return
    r = subprocess.run(["/usr/bin/time", "-f", "maxrss %M", appc, "image", "validate", os.path.join(S, "bomb.aci")],
                       capture_output=True, text=True, timeout=300)
    check(r.returncode == 0 and "valid (sha512-" in r.stdout, f"long-name bomb validates: {r.stdout!r} {r.stderr!r}")
    rss = [int(line.split()[1]) for line in r.stderr.splitlines() if line.startswith("maxrss ")]
    limit_kb = n * name_len // 2 // 1024
    check(rss and rss[0] < limit_kb, f"long-name bomb: validation used {rss} KB, bound {limit_kb} KB")


def main():
    S = tempfile.mkdtemp(prefix="appc-cli-hostile-", dir="/dev/shm")
    try:
        for case in cases(os.path.join(S, "sentinel")):
            one(S, *case)
        long_name_bomb(S)
    finally:
        shutil.rmtree(S, ignore_errors=True)
    print(f"{checks} checks, {len(failures)} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
