"""appc._appc, the handle layer: borrowed views stay safe (they keep their
manifest alive, refuse builder calls, and refuse to be read after the
manifest changed), and the module is the one compiled for this library."""

import gc

import pytest

import appc
from appc import _appc

TEXT = (b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x",'
        b'"app":{"exec":["/bin/x"],"user":"0","group":"0"}}')


def test_compiled_against_the_running_library():
    assert _appc.compiled_version() == _appc.version() == appc.__version__
    assert ".".join(map(str, _appc.version_numbers())) == appc.__version__


def test_borrowed_app_keeps_its_manifest_alive():
    h = _appc.ImageManifestHandle.parse(TEXT)
    app = h.app()
    del h
    gc.collect()
    assert app.fields()["exec"] == ["/bin/x"]
    assert app.owned is False


def test_borrowed_app_is_read_only_and_clone_is_not():
    h = _appc.ImageManifestHandle.parse(TEXT)
    app = h.app()
    with pytest.raises(ValueError, match="read-only"):
        app.set_user("1")
    own = app.clone()
    assert own.owned is True
    own.set_user("1")
    assert own.fields()["user"] == "1" and app.fields()["user"] == "0"


def test_borrowed_view_refuses_reads_after_a_builder_call():
    h = _appc.ImageManifestHandle.parse(TEXT)
    app = h.app()
    h.set_name("example.com/y")
    with pytest.raises(ValueError, match="modified"):
        app.fields()
    assert h.app().fields()["user"] == "0"             # a fresh view works


def test_borrowed_volume_views():
    p = _appc.PodManifestHandle.parse(
        b'{"acVersion":"0.8.11","acKind":"PodManifest","apps":[],'
        b'"volumes":[{"name":"v","kind":"empty","mode":"0700"}]}')
    (v,) = p.volumes()
    assert v.fields()["mode"] == "0700" and v.owned is False
    with pytest.raises(ValueError):
        v.set_mode("0755")
    p.add_annotation("a", "b")
    with pytest.raises(ValueError):
        v.fields()


def test_no_app():
    h = _appc.ImageManifestHandle.new("example.com/x")
    assert h.app() is None
    h.set_app(None)
    assert h.serialize() == '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x"}'


def test_out_of_range_index_is_a_not_found_error():
    h = _appc.ImageManifestHandle.new("example.com/x")
    with pytest.raises(appc.NotFoundError):
        h.dependency_add_label(3, "os", "linux")
    p = _appc.PodManifestHandle.new()
    with pytest.raises(appc.NotFoundError):
        p.app_set_read_only_root_fs(0, True)
