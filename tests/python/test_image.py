"""ACI images from Python: appc.Image, build_image, validate_image, extract_image, render_image.

Archives are built in the tests (by appc.build_image, or by Python's tarfile
and the compressors), in scratch directories under /dev/shm. IDs are checked
against hashlib's SHA-512 of the uncompressed tar stream.
"""

import bz2
import errno
import gzip
import hashlib
import io
import json
import lzma
import os
import pathlib
import re
import shutil
import signal
import stat
import subprocess
import tarfile
import tempfile
import threading

import pytest

import appc


@pytest.fixture
def scratch():
    d = tempfile.mkdtemp(prefix="appc-py-image-", dir="/dev/shm")
    try:
        yield pathlib.Path(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)


def manifest(name, **extra):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name}
    m.update(extra)
    return json.dumps(m)


def write(path, data, mode=0o644):
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data if isinstance(data, bytes) else data.encode())
    path.chmod(mode)


def make_layout(root, name="example.com/py"):
    write(root / "manifest", manifest(name))
    write(root / "rootfs/etc/motd", "hello from python\n")
    write(root / "rootfs/bin/tool", "#!/bin/sh\n", 0o755)
    os.symlink("bin/tool", root / "rootfs/tool-link")
    os.link(root / "rootfs/bin/tool", root / "rootfs/bin/tool2")
    return root


def make_big_layout(root):
    write(root / "manifest", manifest("example.com/big"))
    for i in range(4):
        write(root / f"rootfs/f{i}", os.urandom(3 << 20))
    return root


def uncompressed(path):
    data = pathlib.Path(path).read_bytes()
    if data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    if data[:3] == b"BZh":
        return bz2.decompress(data)
    if data[:6] == b"\xfd7zXZ\x00":
        return lzma.decompress(data)
    if data[:4] == b"\x28\xb5\x2f\xfd":
        return subprocess.run(["zstd", "-qdc"], input=data, capture_output=True, check=True).stdout
    return data


def tar_id(path):
    return "sha512-" + hashlib.sha512(uncompressed(path)).hexdigest()


def test_compressions_are_the_library_list():
    assert appc.COMPRESSIONS == ("none", "gzip", "bzip2", "xz", "zstd")


@pytest.mark.parametrize("compression", ["none", "gzip", "bzip2", "xz", "zstd"])
def test_spec_45_build_is_reproducible_and_the_id_hashes_the_uncompressed_tar(scratch, compression):
    lay = make_layout(scratch / "layout")
    a, b = scratch / "a.aci", scratch / "b.aci"
    id_a = appc.build_image(lay, a, compression)
    id_b = appc.build_image(str(lay), str(b), compression=compression)
    assert id_a == id_b
    assert a.read_bytes() == b.read_bytes()
    assert id_a == tar_id(a)

    img = appc.Image.open(a)
    assert img.id == id_a
    assert img.compression == compression
    assert img.archive_size == a.stat().st_size
    assert img.tar_size == len(uncompressed(a))
    assert img.entries == 8   # manifest rootfs/ bin/ bin/tool bin/tool2 etc/ etc/motd tool-link
    assert img.path == a
    assert img.name == "example.com/py"
    assert isinstance(img.manifest, appc.ImageManifest)
    assert img.manifest == appc.ImageManifest.parse((lay / "manifest").read_bytes())
    assert img.raw_manifest == (lay / "manifest").read_bytes()
    assert "example.com/py" in repr(img)


def test_spec_45_an_archive_made_by_pythons_tarfile_has_the_id_of_its_tar(scratch):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for name, data in (("manifest", manifest("example.com/tarfile").encode()),):
            info = tarfile.TarInfo(name)
            info.size = len(data)
            t.addfile(info, io.BytesIO(data))
        d = tarfile.TarInfo("rootfs")
        d.type = tarfile.DIRTYPE
        d.mode = 0o755
        t.addfile(d)
        data = b"x" * 5000
        f = tarfile.TarInfo("rootfs/x")
        f.size = len(data)
        t.addfile(f, io.BytesIO(data))
    raw = buf.getvalue()
    want = "sha512-" + hashlib.sha512(raw).hexdigest()
    for name, blob in (("plain.aci", raw), ("gz.aci", gzip.compress(raw)), ("xz.aci", lzma.compress(raw)),
                       ("bz2.aci", bz2.compress(raw))):
        (scratch / name).write_bytes(blob)
        img = appc.Image.open(scratch / name)
        assert img.id == want, name
        assert img.tar_size == len(raw)
        assert img.entries == 3


def test_paths_may_be_str_bytes_or_pathlike(scratch):
    lay = make_layout(scratch / "layout")
    i1 = appc.build_image(os.fsencode(lay), os.fsencode(scratch / "a.aci"))
    assert appc.Image.open(os.fsencode(scratch / "a.aci")).id == i1
    with pytest.raises(TypeError, match="path"):
        appc.Image.open(42)
    with pytest.raises(ValueError, match="null"):
        appc.Image.open("a\0b")


def test_spec_40_validate_image_lists_every_violation(scratch):
    bad = scratch / "bad"
    write(bad / "manifest", manifest("Not An Identifier"))
    write(bad / "rootfs/a", "a\n")
    write(bad / "extra", "x\n")
    with tarfile.open(scratch / "bad.aci", "w") as t:
        for n in ("manifest", "rootfs", "extra"):
            t.add(bad / n, arcname=n)
    with pytest.raises(appc.ValidationError) as ei:
        appc.validate_image(scratch / "bad.aci")
    found = {(d.path, d.rule) for d in ei.value.errors}
    assert found == {("extra", 40), ("manifest: name", 1)}
    assert all(isinstance(d, appc.Diagnostic) for d in ei.value.errors)
    with pytest.raises(appc.ValidationError):
        appc.Image.open(scratch / "bad.aci")

    good = make_layout(scratch / "good")
    appc.build_image(good, scratch / "good.aci", "gzip")
    assert appc.validate_image(scratch / "good.aci") is None

    (scratch / "garbage.aci").write_bytes(b"not an archive\n")
    with pytest.raises(appc.ValidationError, match="not a tar archive"):
        appc.validate_image(scratch / "garbage.aci")


def test_a_missing_file_is_not_found_with_its_errno(scratch):
    with pytest.raises(appc.NotFoundError) as ei:
        appc.Image.open(scratch / "missing.aci")
    assert ei.value.sys_errno == errno.ENOENT


def test_spec_41_extract_recreates_the_tree(scratch):
    lay = make_layout(scratch / "layout")
    os.mkfifo(lay / "rootfs/fifo")
    appc.build_image(lay, scratch / "img.aci", "xz")
    img = appc.Image.open(scratch / "img.aci")
    st = img.extract(scratch / "out")
    assert isinstance(st, appc.ExtractStats)
    assert st.id == img.id and st.compression == "xz" and st.entries == 9
    assert (st.files, st.dirs, st.symlinks, st.hardlinks, st.fifos, st.devices) == (3, 3, 1, 1, 1, 0)
    out = scratch / "out"
    assert sorted(os.listdir(out)) == ["manifest", "rootfs"]
    assert (out / "rootfs/etc/motd").read_text() == "hello from python\n"
    assert stat.S_IMODE((out / "rootfs/bin/tool").stat().st_mode) == 0o755
    assert (out / "rootfs/bin/tool").stat().st_ino == (out / "rootfs/bin/tool2").stat().st_ino
    assert os.readlink(out / "rootfs/tool-link") == "bin/tool"
    assert stat.S_ISFIFO(os.lstat(out / "rootfs/fifo").st_mode)

    img.extract(scratch / "rootfs-only", rootfs_only=True, preserve_owners=False)
    assert sorted(os.listdir(scratch / "rootfs-only")) == ["bin", "etc", "fifo", "tool-link"]

    with pytest.raises(appc.Error) as ei:
        img.extract(out)
    assert ei.value.code == -4 and "not empty" in str(ei.value)   # APPC_EEXISTS


def test_spec_56_image_extract_checks_the_id_it_was_opened_with(scratch):
    appc.build_image(make_layout(scratch / "one"), scratch / "img.aci")
    img = appc.Image.open(scratch / "img.aci")
    # The file changes after open(): extracting it as `img` is refused, nothing stays.
    two = make_layout(scratch / "two", name="example.com/other")
    appc.build_image(two, scratch / "img.aci", overwrite=True)
    before = sorted(os.listdir(scratch))
    with pytest.raises(appc.VerificationError, match=img.id):
        img.extract(scratch / "out")
    assert sorted(os.listdir(scratch)) == before
    st = appc.extract_image(scratch / "img.aci", scratch / "out")
    assert st.id != img.id
    with pytest.raises(TypeError):
        appc.extract_image(scratch / "img.aci", scratch / "x", expect_id=b"sha512-")


def test_build_options(scratch):
    lay = make_layout(scratch / "layout")
    out = scratch / "o.aci"
    first = appc.build_image(lay, out)
    with pytest.raises(appc.Error) as ei:
        appc.build_image(lay, out)
    assert ei.value.code == -4   # APPC_EEXISTS
    assert appc.build_image(lay, out, overwrite=True) == first
    pinned = appc.build_image(lay, out, overwrite=True, owner_root=True, mtime=1234567890)
    with tarfile.open(out) as t:
        members = t.getmembers()
    assert len(members) == 8
    assert all(m.uid == 0 and m.gid == 0 and m.mtime == 1234567890 for m in members)
    assert pinned == tar_id(out)
    with pytest.raises(ValueError, match="compression"):
        appc.build_image(lay, out, "lz4")
    with pytest.raises(TypeError):
        appc.build_image(lay, out, overwrite=1)
    with pytest.raises(TypeError):
        appc.build_image(lay, out, mtime=1.5)


class Recorder:
    def __init__(self, cancel_at=None, raise_at=None, exc=None):
        self.seen = []
        self.cancel_at, self.raise_at, self.exc = cancel_at, raise_at, exc

    def __call__(self, p):
        self.seen.append(p)
        n = len(self.seen) - 1
        if self.raise_at is not None and n >= self.raise_at:
            raise self.exc
        if self.cancel_at is not None and n >= self.cancel_at:
            return False
        return None


def test_progress_reports_phases_and_counts(scratch):
    lay = make_big_layout(scratch / "big")
    r = Recorder()
    image_id = appc.build_image(lay, scratch / "big.aci", "gzip", progress=r)
    assert len(r.seen) >= 2 and {p.phase for p in r.seen} == {"build"}
    r = Recorder()
    img = appc.Image.open(scratch / "big.aci", progress=r)
    assert img.id == image_id
    assert {p.phase for p in r.seen} == {"hash"}
    assert all(isinstance(p, appc.Progress) for p in r.seen)
    assert r.seen[-1].bytes_out == img.tar_size
    assert r.seen[-1].bytes_in == img.archive_size
    assert r.seen[-1].entries == img.entries
    assert [p.bytes_out for p in r.seen] == sorted(p.bytes_out for p in r.seen)
    r = Recorder()
    img.extract(scratch / "out", progress=r)
    assert {p.phase for p in r.seen} == {"extract"} and r.seen[-1].bytes_out == img.tar_size
    r = Recorder()
    appc.validate_image(scratch / "big.aci", progress=r)
    assert len(r.seen) >= 3
    with pytest.raises(TypeError, match="progress"):
        appc.validate_image(scratch / "big.aci", progress="no")


def test_returning_false_cancels_and_nothing_stays(scratch):
    lay = make_big_layout(scratch / "big")
    appc.build_image(lay, scratch / "big.aci")
    before = sorted(os.listdir(scratch))
    for at in (0, 2):
        r = Recorder(cancel_at=at)
        with pytest.raises(appc.CancelledError):
            appc.extract_image(scratch / "big.aci", scratch / "out", progress=r)
        assert len(r.seen) == at + 1
        assert sorted(os.listdir(scratch)) == before
    with pytest.raises(appc.CancelledError):
        appc.build_image(lay, scratch / "new.aci", "xz", progress=Recorder(cancel_at=1))
    with pytest.raises(appc.CancelledError):
        appc.render_image(scratch / "big.aci", None, scratch / "r", progress=Recorder(cancel_at=1))
    with pytest.raises(appc.CancelledError):
        appc.Image.open(scratch / "big.aci", progress=Recorder(cancel_at=0))
    assert sorted(os.listdir(scratch)) == before


class Boom(Exception):
    pass


def test_an_exception_in_the_callback_cancels_and_is_raised_after_cleanup(scratch):
    lay = make_big_layout(scratch / "big")
    appc.build_image(lay, scratch / "big.aci")
    before = sorted(os.listdir(scratch))
    r = Recorder(raise_at=1, exc=Boom("stop here"))
    with pytest.raises(Boom, match="stop here"):
        appc.extract_image(scratch / "big.aci", scratch / "out", progress=r)
    assert len(r.seen) == 2    # never called again once it raised
    with pytest.raises(Boom):
        appc.build_image(lay, scratch / "new.aci", progress=Recorder(raise_at=0, exc=Boom()))
    with pytest.raises(KeyboardInterrupt):
        appc.extract_image(scratch / "big.aci", scratch / "out",
                           progress=Recorder(raise_at=0, exc=KeyboardInterrupt()))
    assert sorted(os.listdir(scratch)) == before


def test_ctrl_c_cancels_an_extraction_without_a_callback(scratch):
    # SIGINT arrives while the extraction runs without the GIL: the library's next
    # progress report runs Python's signal handler, KeyboardInterrupt cancels the
    # extraction and is raised once it is cleaned up. The archive comes through a
    # FIFO, so the signal certainly lands mid-extraction.
    lay = make_big_layout(scratch / "big")
    appc.build_image(lay, scratch / "big.aci")
    data = (scratch / "big.aci").read_bytes()
    fifo = scratch / "big.fifo"
    os.mkfifo(fifo)
    (scratch / "cancel").mkdir()

    def feed():
        try:
            with open(fifo, "wb") as w:
                w.write(data[: 4 << 20])
                w.flush()
                os.kill(os.getpid(), signal.SIGINT)
                w.write(data[4 << 20:])
        except BrokenPipeError:
            pass

    t = threading.Thread(target=feed)
    t.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            appc.extract_image(fifo, scratch / "cancel/target")
    finally:
        t.join()
    assert os.listdir(scratch / "cancel") == []


def test_spec_51_render_with_a_dependency(scratch):
    base = scratch / "base"
    write(base / "manifest", manifest("example.com/base", labels=[{"name": "version", "value": "1.0.0"}]))
    write(base / "rootfs/base.txt", "base\n")
    write(base / "rootfs/shared", "from base\n")
    (scratch / "deps").mkdir()
    base_id = appc.build_image(base, scratch / "deps/base.aci", "gzip")
    app = scratch / "app"
    write(app / "manifest", manifest("example.com/app",
                                     dependencies=[{"imageName": "example.com/base", "imageID": base_id}]))
    write(app / "rootfs/shared", "from app\n")
    appc.build_image(app, scratch / "app.aci")
    r = Recorder()
    assert appc.render_image(scratch / "app.aci", scratch / "deps", scratch / "r", progress=r) is None
    assert sorted(os.listdir(scratch / "r")) == ["base.txt", "shared"]
    assert (scratch / "r/shared").read_text() == "from app\n"
    assert {p.phase for p in r.seen} == {"render"}
    with pytest.raises(appc.NotFoundError, match="example.com/base"):
        appc.render_image(scratch / "app.aci", None, scratch / "r2")
    assert not (scratch / "r2").exists()


def test_limits(scratch):
    lay = make_big_layout(scratch / "big")
    appc.build_image(lay, scratch / "big.aci")
    with pytest.raises(appc.LimitError):
        appc.validate_image(scratch / "big.aci", max_bytes=1 << 20)
    with pytest.raises(appc.LimitError):
        appc.Image.open(scratch / "big.aci", max_entries=2)
    with pytest.raises(appc.LimitError):
        appc.extract_image(scratch / "big.aci", scratch / "out", max_bytes=1 << 20)
    assert not (scratch / "out").exists()
    with pytest.raises(ValueError):
        appc.validate_image(scratch / "big.aci", max_bytes=0)
    with pytest.raises(TypeError):
        appc.validate_image(scratch / "big.aci", max_entries="10")


def test_the_gil_is_released_during_io(scratch):
    # The archive is written into a FIFO by another Python thread while the main
    # thread reads it in Image.open(): that only finishes if the read runs
    # without the GIL (holding it would leave the writer, and so the reader, stuck).
    lay = make_big_layout(scratch / "big")
    want = appc.build_image(lay, scratch / "big.aci", "gzip")
    data = (scratch / "big.aci").read_bytes()
    fifo = scratch / "big.fifo"
    os.mkfifo(fifo)

    def feed():
        with open(fifo, "wb") as w:
            for i in range(0, len(data), 65536):
                w.write(data[i:i + 65536])

    t = threading.Thread(target=feed, daemon=True)
    t.start()
    img = appc.Image.open(fifo)
    t.join()
    assert img.id == want


def test_images_api_md_python_examples_run(scratch, monkeypatch):
    root = pathlib.Path(os.environ.get("APPC_SOURCE_ROOT", pathlib.Path(__file__).resolve().parents[2]))
    doc = root / "docs" / "images-api.md"
    blocks = re.findall(r"^```python\n(.*?)^```", doc.read_text(), re.M | re.S)
    assert len(blocks) >= 2
    monkeypatch.chdir(scratch)
    namespace: dict = {}
    for i, block in enumerate(blocks):
        exec(compile(block, f"{doc}:block{i}", "exec"), namespace)
    assert (scratch / "hello.aci").exists() and not (scratch / "out2").exists()


def _tar(path, entries):
    """entries: (name, kind, arg): kind "file" (data), "dir", "symlink" (target)."""
    with tarfile.open(path, "w", format=tarfile.PAX_FORMAT) as t:
        for name, kind, arg in entries:
            ti = tarfile.TarInfo(name)
            if kind == "dir":
                ti.type, ti.mode = tarfile.DIRTYPE, 0o755
                t.addfile(ti)
            elif kind == "symlink":
                ti.type, ti.linkname = tarfile.SYMTYPE, arg
                t.addfile(ti)
            else:
                data = arg.encode()
                ti.size = len(data)
                t.addfile(ti, io.BytesIO(data))


def test_validate_refuses_what_extract_refuses_and_accepts_what_it_accepts(scratch):
    man = manifest("example.com/consist")
    base = [("manifest", "file", man), ("rootfs", "dir", None)]
    # A write through a symlink leading outside: validate, extract and store import all refuse it.
    _tar(scratch / "out.aci", base + [("rootfs/a", "symlink", "/etc"), ("rootfs/a/b", "file", "x")])
    with pytest.raises(appc.ValidationError) as ei:
        appc.validate_image(scratch / "out.aci")
    assert [(d.path, d.rule) for d in ei.value.errors] == [("rootfs/a/b", 0)]
    assert "parent goes through a symlink that leads outside the target (rootfs/a -> /etc: absolute)" in \
        ei.value.errors[0].message
    with pytest.raises(appc.ValidationError, match="rootfs/a/b: parent goes through a symlink"):
        appc.extract_image(scratch / "out.aci", scratch / "x1")
    assert not (scratch / "x1").exists()
    with appc.Store(os.fsencode(scratch / "store")) as st:
        with pytest.raises(appc.ValidationError, match="rootfs/a/b: parent goes through a symlink"):
            st.import_file(scratch / "out.aci")
        assert st.images() == []
    # The near miss: lib -> usr/lib, written through, is fine for both.
    _tar(scratch / "in.aci", base + [("rootfs/usr", "dir", None), ("rootfs/usr/lib", "dir", None),
                                     ("rootfs/lib", "symlink", "usr/lib"), ("rootfs/lib/x", "file", "x")])
    assert appc.validate_image(scratch / "in.aci") is None
    appc.extract_image(scratch / "in.aci", scratch / "x2")
    assert (scratch / "x2/rootfs/usr/lib/x").read_text() == "x"
