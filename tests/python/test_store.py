"""appc.Store: every method, over the C ABI, on scratch stores under /dev/shm."""

import datetime
import json
import os
import shutil
import tempfile
import threading

import pytest

import appc

BUSYBOX = "/bin/busybox"
pytestmark = pytest.mark.skipif(not os.path.exists(BUSYBOX), reason="busybox-static is not installed")


@pytest.fixture
def scratch():
    d = tempfile.mkdtemp(prefix="appc-py-store-", dir="/dev/shm")
    try:
        yield d
    finally:
        shutil.rmtree(d, ignore_errors=True)


def manifest(name, labels=(), deps=None):
    m = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": name}
    if labels:
        m["labels"] = [{"name": k, "value": v} for k, v in labels]
    if deps:
        m["dependencies"] = deps
    return json.dumps(m)


def build(d, tag, name, labels=(), busybox=True, deps=None, content=None):
    lay = os.path.join(d, "layout-" + tag)
    os.makedirs(os.path.join(lay, "rootfs", "etc"))
    with open(os.path.join(lay, "manifest"), "w") as f:
        f.write(manifest(name, labels, deps))
    with open(os.path.join(lay, "rootfs", "etc", tag), "w") as f:
        f.write(content or tag)
    if busybox:
        os.makedirs(os.path.join(lay, "rootfs", "bin"))
        shutil.copy(BUSYBOX, os.path.join(lay, "rootfs", "bin", "busybox"))
    aci = os.path.join(d, tag + ".aci")
    image_id = appc.build_image(lay, aci)
    shutil.rmtree(lay)
    return aci, image_id


@pytest.fixture
def store(scratch):
    with appc.Store(os.path.join(scratch, "root")) as s:
        yield s


def test_open_close_context_manager(scratch):
    root = os.path.join(scratch, "root")
    with appc.Store(root) as s:
        assert not s.closed
        assert s.root == root
        assert len(s) == 0
        assert list(s) == []
        assert repr(s) == f"<appc.Store {root!r}>"
    assert s.closed
    s.close()  # idempotent
    with pytest.raises(ValueError, match="closed"):
        len(s)
    assert repr(s) == "<appc.Store closed>"
    assert os.path.isdir(os.path.join(root, "store"))


def test_open_env_root_and_missing_and_newer_format(scratch, monkeypatch):
    monkeypatch.setenv("APPC_ROOT", os.path.join(scratch, "env"))
    with appc.Store() as s:
        assert s.root == os.path.join(scratch, "env")
    with pytest.raises(appc.NotFoundError):
        appc.Store(os.path.join(scratch, "missing"), create=False)
    assert not os.path.exists(os.path.join(scratch, "missing", "store"))
    future = os.path.join(scratch, "future", "store")
    os.makedirs(future)
    with open(os.path.join(future, "FORMAT"), "w") as f:
        f.write("appc-store 99\n")
    with pytest.raises(appc.Error) as e:
        appc.Store(os.path.join(scratch, "future"))
    assert e.value.code == -8 and "99" in str(e.value)
    assert os.listdir(future) == ["FORMAT"]
    with pytest.raises(TypeError):
        appc.Store(scratch, create="yes")
    with pytest.raises(ValueError):
        appc.Store(scratch, busy_timeout_ms=-1)


def test_import_file_fields_and_noop(scratch, store):
    aci, image_id = build(scratch, "app", "example.com/app", [("version", "1.0.0"), ("os", "linux")])
    img = store.import_file(aci, origin="https://example.com/app.aci")
    assert isinstance(img, appc.StoredImage)
    assert img.id == image_id
    assert img.name == "example.com/app"
    assert img.labels == {"version": "1.0.0", "os": "linux"}
    assert img.version == "1.0.0"
    assert isinstance(img.manifest, appc.ImageManifest) and img.manifest.name == "example.com/app"
    assert json.loads(img.raw_manifest) == json.loads(manifest("example.com/app", [("version", "1.0.0"),
                                                                                  ("os", "linux")]))
    assert img.size == os.path.getsize(aci)
    assert img.tar_size >= os.path.getsize(BUSYBOX)
    assert img.compression == "none"
    assert isinstance(img.imported, datetime.datetime) and img.imported.tzinfo is not None
    assert img.last_used_ns >= img.imported_ns > 0
    assert img.origin == "https://example.com/app.aci"
    with open(img.blob_path, "rb") as a, open(aci, "rb") as b:
        assert a.read() == b.read()
    again, already = store.import_file_ex(aci)
    assert already and again == img
    assert len(store) == 1
    with pytest.raises(TypeError):
        appc.StoredImage()


def test_import_fd_progress_and_failures(scratch, store):
    aci, image_id = build(scratch, "app", "example.com/app")
    seen = []
    with open(aci, "rb") as f:
        img, already = store.import_fd(f, expect_id=image_id, progress=seen.append)
    assert img.id == image_id and not already
    assert seen and all(isinstance(p, appc.Progress) for p in seen)

    other, other_id = build(scratch, "other", "example.com/other")
    with pytest.raises(appc.VerificationError):
        store.import_file(other, expect_id=image_id)
    with pytest.raises(appc.CancelledError):
        store.import_file(other, progress=lambda p: False)

    class Boom(Exception):
        pass

    def explode(p):
        raise Boom()

    with pytest.raises(Boom):
        store.import_file(other, progress=explode)
    with pytest.raises(appc.LimitError):
        store.import_file(other, max_bytes=1000)
    bad = os.path.join(scratch, "bad.aci")
    with open(bad, "wb") as f:
        f.write(b"x" * 5000)
    with pytest.raises(appc.ValidationError):
        store.import_file(bad)
    with pytest.raises(appc.NotFoundError) as e:
        store.import_file(os.path.join(scratch, "absent.aci"))
    assert "absent.aci" in str(e.value)
    with pytest.raises(TypeError):
        store.import_file(other, origin=5)
    with pytest.raises(TypeError):
        store.import_fd("not a file")
    assert [i.id for i in store] == [image_id]
    assert store.check(hashes=True).ok


def test_get_find_resolve_and_lookup_rule(scratch, store):
    ids = {}
    for v in ("1.2.0", "1.10.0", "1.9.0", "latest"):
        aci, i = build(scratch, "v" + v, "example.com/app", [("version", v), ("os", "linux")], busybox=False)
        ids[v] = store.import_file(aci).id
    assert store.get(ids["1.9.0"]).id == ids["1.9.0"]
    assert store.get(ids["1.9.0"][:40]).id == ids["1.9.0"]
    assert store.get(ids["1.9.0"][7:40]).id == ids["1.9.0"]
    with pytest.raises(appc.NotFoundError):
        store.get("sha512-" + "f" * 128)
    assert store.find("example.com/app").version == "1.10.0"
    assert store.get("example.com/app", {"version": "1.2.0"}).id == ids["1.2.0"]
    assert store.find("example.com/app", [("version", "latest")]).id == ids["latest"]
    with pytest.raises(appc.NotFoundError):
        store.find("example.com/app", {"os": "freebsd"})
    assert store.resolve("example.com/app,version=1.9.0").id == ids["1.9.0"]
    assert store.resolve(ids["1.2.0"]).id == ids["1.2.0"]
    assert ids["1.2.0"] in store and "example.com/none" not in store
    # An ambiguous prefix: appc.Error with the conflict code, naming the candidates.
    all_ids = list(ids.values())
    n = 0
    while len({i[7] for i in all_ids}) == len(all_ids):
        aci, _ = build(scratch, f"x{n}", "example.com/x", busybox=False, content=f"x{n}")
        all_ids.append(store.import_file(aci).id)
        n += 1
    digit = next(d for d in {i[7] for i in all_ids} if sum(i[7] == d for i in all_ids) >= 2)
    with pytest.raises(appc.Error) as e:
        store.get("sha512-" + digit)
    assert e.value.code == -12
    for i in all_ids:
        if i[7] == digit:
            assert i[:19] in str(e.value)
    with pytest.raises(TypeError):
        store.get(5)
    with pytest.raises(TypeError):
        store.find("example.com/app", {"version": 1})


def test_iteration_order_and_len(scratch, store):
    a, ida = build(scratch, "old", "example.com/nv", busybox=False)
    b, idb = build(scratch, "new", "example.com/nv", busybox=False)
    c, idc = build(scratch, "aaa", "example.com/aaa", busybox=False)
    for p in (a, b, c):
        store.import_file(p)
    assert [i.id for i in store] == [idc, idb, ida]
    assert [i.id for i in store.images()] == [idc, idb, ida]
    assert len(store) == 3
    assert store.find("example.com/nv").id == idb  # no versions: the newest import


def test_export(scratch, store):
    aci, image_id = build(scratch, "app", "example.com/app")
    img = store.import_file(aci)
    out = os.path.join(scratch, "out.aci")
    store.export(img, out)
    assert appc.Image.open(out).id == image_id
    with pytest.raises(appc.Error) as e:
        store.export("example.com/app", out)
    assert e.value.code == -4
    store.export(image_id[:30], out, overwrite=True)
    with pytest.raises(appc.NotFoundError):
        store.export("example.com/none", os.path.join(scratch, "none.aci"))
    assert not os.path.exists(os.path.join(scratch, "none.aci"))


def test_tree_render_and_dependencies(scratch, store):
    base, base_id = build(scratch, "base", "example.com/base", [("version", "1")])
    dep = [{"imageName": "example.com/base", "imageID": base_id}]
    app, app_id = build(scratch, "app", "example.com/app", busybox=False, deps=dep)
    store.import_file(base)
    store.import_file(app)
    t = store.tree("example.com/app", progress=lambda p: None)
    assert isinstance(t, appc.Tree)
    assert t.image_id == app_id and t.layers == [base_id, app_id]
    assert t.rootfs == t.path + "/rootfs" and t.path.startswith(os.path.join(store.root, "store", "trees"))
    assert t.verified and len(t.key) == 64 and t.size >= os.path.getsize(BUSYBOX) and t.files > 3
    assert os.path.exists(os.path.join(t.rootfs, "etc", "base"))
    assert os.path.exists(os.path.join(t.rootfs, "etc", "app"))
    again = store.tree(app_id)
    assert (again.key, again.rootfs, again.created_ns) == (t.key, t.rootfs, t.created_ns)
    out = os.path.join(scratch, "rendered")
    store.render("example.com/app", out)
    assert os.path.exists(os.path.join(out, "bin", "busybox"))
    with pytest.raises(appc.NotFoundError):
        store.render("example.com/none", os.path.join(scratch, "r2"))
    orphan, orphan_id = build(scratch, "orphan", "example.com/orphan", busybox=False,
                              deps=[{"imageName": "example.com/missing"}])
    store.import_file(orphan)
    with pytest.raises(appc.NotFoundError, match="example.com/missing"):
        store.tree(orphan_id)


def test_refs_rm_gc_check(scratch, store):
    a, ida = build(scratch, "a", "example.com/a")
    b, idb = build(scratch, "b", "example.com/b", busybox=False)
    store.import_file(a)
    store.import_file(b)
    t = store.tree(ida, holder="pod-1")
    with pytest.raises(appc.Error) as e:
        store.rm(ida)
    assert e.value.code == -12 and "pod-1" in str(e.value)
    r = store.gc(grace=0, tree_grace=0, dry_run=True)
    assert isinstance(r, appc.GcResult) and r.dry_run
    assert r.images_removed == [idb] and r.trees_removed == [] and r.bytes_freed >= os.path.getsize(b)
    assert len(store) == 2
    store.drop_refs("pod-1")
    store.add_ref("pod-2", ida)
    with pytest.raises(appc.NotFoundError):
        store.add_ref("pod-2", "sha512-" + "e" * 128)
    r = store.gc(tree_grace=datetime.timedelta(0))
    assert r.trees_removed == [t.key] and r.images_removed == [] and not r.dry_run
    assert not os.path.exists(t.path)
    removed, freed = store.rm(ida, force=True)
    assert removed == ida and freed >= os.path.getsize(a)
    with pytest.raises(appc.NotFoundError):
        store.get(ida)
    r = store.gc(grace=0)
    assert r.images_removed == [idb] and r.bytes_freed >= os.path.getsize(b)
    assert len(store) == 0
    report = store.check(hashes=True)
    assert isinstance(report, appc.CheckReport) and report.ok and report.problems == []
    with pytest.raises(ValueError):
        store.gc(grace=-1)
    with pytest.raises(TypeError):
        store.gc(grace="1h")
    with pytest.raises(TypeError):
        store.rm(5)


def test_check_finds_corruption(scratch, store):
    aci, image_id = build(scratch, "app", "example.com/app")
    img = store.import_file(aci)
    report = store.check()
    assert report.ok and report.images == 1 and report.blobs == 1
    os.chmod(img.blob_path, 0o644)
    with open(img.blob_path, "r+b") as f:
        f.seek(img.size // 2)
        c = f.read(1)
        f.seek(img.size // 2)
        f.write(bytes([c[0] ^ 0xFF]))
    report = store.check(hashes=True)
    assert not report.ok and len(report.problems) == 1 and image_id[7:19] in report.problems[0]


def test_threads_share_a_store(scratch, store):
    acis = [build(scratch, f"t{n}", f"example.com/t{n}", busybox=False) for n in range(4)]
    errors = []

    def work(built):
        path, image_id = built
        try:
            for _ in range(3):
                store.import_file(path)
                store.tree(image_id)
                list(store)
        except Exception as e:  # reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(a,)) for a in acis]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(i.id for i in store) == sorted(i for _, i in acis)
    assert store.check(hashes=True).ok
