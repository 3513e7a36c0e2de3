#!/usr/bin/python3
"""Seed corpus for fuzz_aci: small ACIs, made at test time.

  make_aci_seeds.py OUTDIR [--sandbox DIR]

Valid images (ustar, GNU and pax tar; uncompressed, gzip, bzip2, xz, and zstd
when the zstd tool exists; sparse files when GNU tar exists) with a manifest,
directories with setuid/setgid/sticky modes, files, symlinks, hardlinks, a
FIFO, a device node, xattrs and long names; and hostile ones: absolute and
".." names, symlinks (planted earlier, chained, absolute, magic) that lead
out, hardlinks to outside, a symlink replacing a directory, layout
violations, truncation and trailing junk, a decompression bomb and too many
entries (over the fuzzer's limits).

The escapes aim at fuzz_aci's sentinel directory: relative ones reach it from
the extraction's temporary directory (`sandbox/.out.tmp-XXXXXX/rootfs/x` +
`../../sentinel`); absolute ones need the sandbox's path (--sandbox, the
directory fuzz_aci uses as APPC_FUZZ_SCRATCH/sandbox).
"""

import argparse
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

MANIFEST = json.dumps({
    "acKind": "ImageManifest",
    "acVersion": "0.8.11",
    "name": "example.com/fuzz/seed",
    "labels": [{"name": "version", "value": "1.0.0"}, {"name": "os", "value": "linux"},
               {"name": "arch", "value": "amd64"}],
    "app": {"exec": ["/bin/sh", "-c", "true"], "user": "0", "group": "0"},
    "pathWhitelist": ["/etc/hosts"],
}).encode()


def ti(name, kind=tarfile.REGTYPE, data=b"", mode=None, link="", uid=0, gid=0, pax=None, dev=(0, 0)):
    t = tarfile.TarInfo(name)
    t.type = kind
    t.size = len(data) if kind in (tarfile.REGTYPE, tarfile.CONTTYPE) else 0
    t.mode = mode if mode is not None else (0o755 if kind == tarfile.DIRTYPE else 0o644)
    t.linkname = link
    t.uid, t.gid = uid, gid
    t.mtime = 1500000000
    t.devmajor, t.devminor = dev
    if pax:
        t.pax_headers = dict(pax)
    return (t, data)


def d(name, **kw):
    return ti(name, tarfile.DIRTYPE, **kw)


def f(name, data=b"", **kw):
    return ti(name, tarfile.REGTYPE, data, **kw)


def sym(name, target, **kw):
    return ti(name, tarfile.SYMTYPE, link=target, **kw)


def hard(name, target, **kw):
    return ti(name, tarfile.LNKTYPE, link=target, **kw)


def base(manifest=MANIFEST):
    return [f("manifest", manifest), d("rootfs")]


def tar_bytes(entries, fmt=tarfile.PAX_FORMAT):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=fmt) as tf:
        for t, data in entries:
            tf.addfile(t, io.BytesIO(data) if t.size else None)
    return buf.getvalue()


def rich_image():
    """Everything a root filesystem holds, in a small image."""
    return base() + [
        d("rootfs/etc"), d("rootfs/tmp", mode=0o1777), d("rootfs/usr/bin", mode=0o755),
        f("rootfs/etc/hosts", b"127.0.0.1 localhost\n"),
        f("rootfs/etc/shadow", b"root:*:19000:0:99999:7:::\n", mode=0o640, gid=42),
        f("rootfs/usr/bin/su", b"\x7fELF" + b"\0" * 60, mode=0o4755),
        f("rootfs/usr/bin/wall", b"\x7fELF" + b"\1" * 60, mode=0o2755, gid=5),
        f("rootfs/usr/bin/ping", b"\x7fELF" + b"\2" * 60, mode=0o755,
          pax={"SCHILY.xattr.security.capability": "\x01\x00\x00\x02\x00\x20\x00\x00" + "\x00" * 12,
               "SCHILY.xattr.user.note": "hello"}),
        hard("rootfs/usr/bin/su-link", "rootfs/usr/bin/su"),
        sym("rootfs/bin", "usr/bin"), sym("rootfs/etc/localtime", "/usr/share/zoneinfo/UTC"),
        sym("rootfs/usr/bin/up", "../../etc/hosts"),
        ti("rootfs/dev-null", tarfile.CHRTYPE, mode=0o666, dev=(1, 3)),
        ti("rootfs/initctl", tarfile.FIFOTYPE, mode=0o600),
        f("rootfs/" + "long-directory-name/" * 6 + "file-with-a-long-name", b"deep\n"),
        f("rootfs/empty"),
        f("rootfs/uid", b"x", uid=1000, gid=1000),
    ]


def hostile(sandbox):
    """(name, entries) of archives that try to write outside the target."""
    abs_sentinel = os.path.join(sandbox, "sentinel") if sandbox else "/nonexistent-fuzz-sandbox/sentinel"
    out = [
        ("abs-name", base() + [f("/rootfs/x", b"x"), f(abs_sentinel + "/pwned", b"x")]),
        ("dotdot-name", base() + [f("rootfs/../../sentinel/pwned", b"x"), f("../sentinel/pwned", b"x")]),
        ("dotdot-inner", base() + [d("rootfs/a"), f("rootfs/a/../../x", b"x")]),
        ("symlink-planted", base() + [sym("rootfs/esc", "../../sentinel"), f("rootfs/esc/pwned", b"x")]),
        ("symlink-deeper", base() + [d("rootfs/a"), sym("rootfs/a/esc", "../../../sentinel"),
                                     f("rootfs/a/esc/pwned", b"x")]),
        ("symlink-absolute", base() + [sym("rootfs/esc", abs_sentinel), f("rootfs/esc/pwned", b"x")]),
        ("symlink-chain", base() + [sym("rootfs/a", "b"), sym("rootfs/b", "c/../../../sentinel"), d("rootfs/c"),
                                    f("rootfs/a/pwned", b"x")]),
        ("symlink-magic", base() + [sym("rootfs/p", "/proc/self/cwd"), f("rootfs/p/pwned", b"x"),
                                    sym("rootfs/r", "/proc/self/root" + abs_sentinel), f("rootfs/r/pwned", b"x")]),
        ("symlink-replaces-dir", base() + [d("rootfs/d"), sym("rootfs/d", "../../sentinel"),
                                           f("rootfs/d/pwned", b"x")]),
        ("symlink-then-file", base() + [sym("rootfs/f", "../../sentinel/pwned"), f("rootfs/f", b"x")]),
        ("symlink-dangling-write", base() + [sym("rootfs/f", "../../sentinel/new"), f("rootfs/f/", b"x")]),
        ("hardlink-outside", base() + [hard("rootfs/h", "../sentinel/x"), hard("rootfs/i", abs_sentinel),
                                       hard("rootfs/j", "rootfs/../../x")]),
        ("hardlink-to-symlink", base() + [sym("rootfs/l", "../../sentinel/t"), hard("rootfs/h", "rootfs/l"),
                                          f("rootfs/h", b"x")]),
        ("hardlink-manifest", base() + [hard("rootfs/m", "manifest"), hard("rootfs/n", "rootfs")]),
        ("hardlink-forward", base() + [hard("rootfs/h", "rootfs/later"), f("rootfs/later", b"x")]),
        ("rootfs-symlink", [f("manifest", MANIFEST), sym("rootfs", "sandbox/sentinel"), f("rootfs/pwned", b"x")]),
        ("rootfs-symlink-up", [f("manifest", MANIFEST), sym("rootfs", "../sentinel"), f("rootfs/pwned", b"x")]),
        ("manifest-symlink", [sym("manifest", "../sentinel/m"), d("rootfs")]),
        ("manifest-dir", [d("manifest"), f("manifest/x", MANIFEST), d("rootfs")]),
        ("parent-is-file", base() + [f("rootfs/f", b"x"), f("rootfs/f/x", b"y")]),
        ("parent-is-fifo", base() + [ti("rootfs/p", tarfile.FIFOTYPE), f("rootfs/p/x", b"y")]),
        ("device-over-dir", base() + [d("rootfs/d"), ti("rootfs/d", tarfile.CHRTYPE, dev=(1, 3))]),
        ("dir-over-symlink", base() + [sym("rootfs/d", "../../sentinel"), d("rootfs/d"), f("rootfs/d/x", b"x")]),
        ("duplicate", base() + [f("rootfs/a", b"1"), f("rootfs/a", b"2"), f("manifest", MANIFEST)]),
        ("extra-top", base() + [f("README", b"x"), d("other")]),
        ("no-manifest", [d("rootfs"), f("rootfs/a", b"x")]),
        ("no-rootfs", [f("manifest", MANIFEST)]),
        ("bad-manifest", base(b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"BAD NAME"}')),
        ("manifest-not-json", base(b"\x00\xff not json")),
        ("dot-prefix", [d("./"), f("./manifest", MANIFEST), d("./rootfs/"), f("./rootfs//a//b", b"x")]),
        ("root-not-dir", [f(".", b"x")] + base()),
        ("pax-path-escape", base() + [f("rootfs/innocent", b"x", pax={"path": "rootfs/../../sentinel/pwned"}),
                                      sym("rootfs/l", "x", pax={"linkpath": abs_sentinel})]),
        ("nul-in-name", base() + [f("rootfs/a", b"x", pax={"path": "rootfs/a\u0000/../../x"})]),
        ("big-xattr", base() + [f("rootfs/x", b"x", pax={"SCHILY.xattr.user.big": "v" * 70000,
                                                        "SCHILY.xattr.trusted.t": "t",
                                                        "SCHILY.xattr.bogus": "b"})]),
    ]
    return out


def compressions():
    c = [("gz", lambda b: gzip.compress(b, 6, mtime=0)), ("bz2", lambda b: bz2.compress(b, 9)),
         ("xz", lambda b: lzma.compress(b, format=lzma.FORMAT_XZ))]
    if shutil.which("zstd"):
        c.append(("zst", lambda b: subprocess.run(["zstd", "-q", "-c", "-3"], input=b, stdout=subprocess.PIPE,
                                                  check=True).stdout))
    return c


def sparse_seeds(tmp):
    """GNU tar's sparse formats (old GNU, pax 0.0, 0.1, 1.0)."""
    if not shutil.which("tar"):
        return []
    root = os.path.join(tmp, "sparse")
    os.makedirs(os.path.join(root, "rootfs"))
    with open(os.path.join(root, "manifest"), "wb") as fh:
        fh.write(MANIFEST)
    with open(os.path.join(root, "rootfs", "sparse"), "wb") as fh:
        fh.seek(256 << 10)
        fh.write(b"data in the middle")
        fh.truncate(1 << 20)
    seeds = []
    for fmt, extra in (("gnu", []), ("posix", ["--sparse-version=0.0"]), ("posix", ["--sparse-version=0.1"]),
                       ("posix", ["--sparse-version=1.0"])):
        p = subprocess.run(["tar", "-c", "--sparse", "--format=" + fmt] + extra +
                           ["--owner=0", "--group=0", "--mtime=@0", "-C", root, "manifest", "rootfs"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        if p.returncode == 0:
            seeds.append(("sparse-%s%s" % (fmt, extra[0].split("=")[1] if extra else ""), p.stdout))
    return seeds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("outdir")
    ap.add_argument("--sandbox", default="", help="fuzz_aci's sandbox directory (for absolute escapes)")
    args = ap.parse_args()
    os.makedirs(args.outdir, exist_ok=True)
    seeds = []

    rich = rich_image()
    for fmt, fname in ((tarfile.USTAR_FORMAT, "ustar"), (tarfile.GNU_FORMAT, "gnu"), (tarfile.PAX_FORMAT, "pax")):
        entries = rich
        if fmt == tarfile.USTAR_FORMAT:   # no xattrs, no names over 100 bytes
            entries = [(t, b) for t, b in rich if not t.pax_headers and len(t.name) <= 100]
        seeds.append(("valid-" + fname, tar_bytes(entries, fmt)))
    seeds.append(("valid-minimal", tar_bytes(base())))
    seeds.append(("valid-root-dot", tar_bytes([d("."), f("manifest", MANIFEST), d("rootfs", mode=0o700)])))
    seeds.append(("valid-rootfs-only-dir", tar_bytes([d("rootfs"), f("manifest", MANIFEST), d("rootfs/a")])))
    for name, entries in hostile(args.sandbox):
        seeds.append(("hostile-" + name, tar_bytes(entries)))
    seeds.append(("hostile-gnu-longname", tar_bytes(base() + [f("rootfs/" + "../" * 40 + "sentinel/pwned", b"x")],
                                                    tarfile.GNU_FORMAT)))

    pax = dict(seeds)["valid-pax"]
    seeds += [
        ("broken-truncated-header", pax[:700]),
        ("broken-truncated-data", tar_bytes(base() + [f("rootfs/big", bytes(range(256)) * 20)])[:3000]),
        ("broken-no-end-blocks", pax.rstrip(b"\0")),
        ("broken-trailing-junk", pax + b"junk after the end of the archive" * 20),
        ("broken-empty", b""),
        ("broken-one-byte", b"\x1f"),
        ("broken-gzip-magic-only", b"\x1f\x8b\x08\x00" + b"\0" * 20),
        ("broken-xz-magic-only", b"\xfd7zXZ\x00" + b"\0" * 20),
        ("broken-zstd-magic-only", b"\x28\xb5\x2f\xfd" + b"\0" * 20),
        ("broken-bzip2-magic-only", b"BZh9" + b"\0" * 20),
        ("broken-zeros", b"\0" * 2048),
    ]
    # Over the fuzzer's limits (4 MiB uncompressed, 4096 entries, 64 KiB manifest), small once compressed.
    bomb = tar_bytes(base() + [f("rootfs/zeros", b"\0" * (6 << 20))])
    many = tar_bytes(base() + [f("rootfs/f%05d" % i) for i in range(4200)])
    huge_manifest = tar_bytes(base(MANIFEST[:-1] + b', "annotations": [' +
                                   b",".join(b'{"name":"a%d","value":"%s"}' % (i, b"v" * 40)
                                             for i in range(2000)) + b"]}"))

    tmp = tempfile.mkdtemp(prefix="aci-seeds-")
    try:
        sparse = sparse_seeds(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    seeds += sparse

    for cname, comp in compressions():
        for name in ("valid-pax", "valid-gnu", "valid-minimal", "hostile-symlink-planted", "hostile-dotdot-name"):
            seeds.append(("%s.%s" % (name, cname), comp(dict(seeds)[name])))
        seeds.append(("limit-bomb." + cname, comp(bomb)))
        seeds.append(("limit-entries." + cname, comp(many)))
        seeds.append(("limit-manifest." + cname, comp(huge_manifest)))
        seeds.append(("broken-truncated." + cname, comp(pax)[:200]))
    gz = gzip.compress(pax, 6, mtime=0)
    seeds.append(("broken-gzip-trailing-junk.gz", gz + b"junk" * 10))
    seeds.append(("broken-gzip-two-members.gz", gz + gzip.compress(b"\0" * 1024, mtime=0)))
    seeds.append(("broken-gzip-bad-crc.gz", gz[:-8] + b"\0\0\0\0" + gz[-4:]))
    if sparse:
        seeds.append((sparse[0][0] + ".gz", gzip.compress(sparse[0][1], 6, mtime=0)))

    for name, data in seeds:
        with open(os.path.join(args.outdir, name + ".aci"), "wb") as fh:
            fh.write(data)
    print("%d seed archives in %s (largest %d bytes)" % (len(seeds), args.outdir, max(len(b) for _, b in seeds)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
