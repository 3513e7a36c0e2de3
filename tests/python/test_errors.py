"""Errors: ValidationError contents (paths, rules, order, text), the status ->
exception mapping, limits, and findings of isolator values refused while building."""

import errno
import json
import pickle

import pytest

import appc
from appc import _appc

APPC_ERROR, APPC_EINVALID, APPC_ENOTFOUND, APPC_EEXISTS, APPC_EVERIFY, APPC_ENETWORK = \
    -1, -2, -3, -4, -5, -6
APPC_ECANCELLED, APPC_ENOTSUPPORTED, APPC_EOS, APPC_EPERM, APPC_ECONFLICT, APPC_ELIMIT = \
    -7, -8, -9, -11, -12, -13
APPC_EINTERNAL, APPC_ENOMEM = -14, -15


def image(**fields):
    doc = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/app"}
    doc.update(fields)
    return json.dumps(doc)


def test_one_finding():
    with pytest.raises(appc.ValidationError) as ei:
        appc.ImageManifest.parse(image(app={"user": "0", "group": "0", "ports": [
            {"name": "a", "protocol": "tcp", "port": 80},
            {"name": "b", "protocol": "tcp", "port": 70000}]}))
    e = ei.value
    assert e.errors == [appc.Diagnostic("app.ports[1].port", "70000 is outside 1..65535", 17)]
    d = e.errors[0]
    assert (d.path, d.message, d.rule) == ("app.ports[1].port", "70000 is outside 1..65535", 17)
    assert str(d) == "app.ports[1].port: 70000 is outside 1..65535 (spec 17)"
    assert str(e) == e.message == "app.ports[1].port: 70000 is outside 1..65535 (spec 17)"
    assert e.where == "app.ports[1].port"
    assert e.code == APPC_EINVALID and e.sys_errno == 0


def test_several_findings_in_document_order():
    text = image(
        name="Example.com/App",
        labels=[{"name": "os", "value": "plan9"}],
        app={"user": "", "group": "0", "workingDirectory": "rel",
             "ports": [{"name": "p", "protocol": "tcp", "port": 0}],
             "isolators": [{"name": "resource/memory", "value": {"limit": "lots"}}]},
        annotations=[{"name": "homepage", "value": "ftp://example.com"}],
    )
    with pytest.raises(appc.ValidationError) as ei:
        appc.ImageManifest.parse(text)
    e = ei.value
    got = [(d.path, d.rule) for d in e.errors]
    assert got == [
        ("name", 1),
        ("labels[0].value", 8),
        ("app.user", 13),
        ("app.workingDirectory", 14),
        ("app.ports[0].port", 17),
        ("app.isolators[0].value.limit", 27),
        ("annotations[0].value", 9),
    ]
    assert e.message == str(e.errors[0]) + f" (and {len(e.errors) - 1} more)"
    lines = str(e).split("\n")
    assert lines[0] == e.message
    assert lines[1:] == ["  " + str(d) for d in e.errors]


def test_findings_of_a_built_manifest_match_parse():
    # A built manifest is judged in canonical key order (eventHandlers before mountPoints);
    # the document here is written in that order, so parse reports the same list.
    text = image(app={"user": "0", "group": "0",
                      "eventHandlers": [{"name": "pre-start", "exec": ["/a"]},
                                        {"name": "pre-start", "exec": ["/b"]}],
                      "mountPoints": [{"name": "Bad.Name", "path": "/x"}]})
    with pytest.raises(appc.ValidationError) as parsed:
        appc.ImageManifest.parse(text)
    built = appc.ImageManifest(
        "example.com/app",
        app=appc.App(user="0", group="0", mount_points=[appc.MountPoint("Bad.Name", "/x")],
                     event_handlers=[appc.EventHandler("pre-start", ["/a"]),
                                     appc.EventHandler("pre-start", ["/b"])]))
    with pytest.raises(appc.ValidationError) as validated:
        built.validate()
    assert validated.value.errors == parsed.value.errors
    assert [(d.path, d.rule) for d in parsed.value.errors] == [
        ("app.eventHandlers[1].name", 15), ("app.mountPoints[0].name", 2)]


def test_refused_isolator_values_while_building_carry_full_paths():
    m = appc.ImageManifest("example.com/app", app=appc.App(user="0", group="0", isolators=[
        appc.Isolator("resource/memory", {"limit": "lots"}),
        appc.Isolator("resource/cpu", {"limit": "1"}),
        appc.Isolator("os/linux/cpu-shares", 1)]))
    with pytest.raises(appc.ValidationError) as ei:
        m.to_json()
    e = ei.value
    assert [(d.path, d.rule) for d in e.errors] == [("app.isolators[0].value.limit", 27),
                                                    ("app.isolators[2].value", 36)]
    assert e.where == "app.isolators[0].value.limit"
    assert e.message.endswith("(and 1 more)")
    # The same findings as parsing the same document.
    with pytest.raises(appc.ValidationError) as parsed:
        appc.ImageManifest.parse(image(app={"user": "0", "group": "0", "isolators": [
            {"name": "resource/memory", "value": {"limit": "lots"}},
            {"name": "resource/cpu", "value": {"limit": "1"}},
            {"name": "os/linux/cpu-shares", "value": 1}]}))
    assert parsed.value.errors == e.errors

    pod = appc.PodManifest(isolators=[appc.Isolator("resource/memory", {"request": []})],
                           apps=[appc.RuntimeApp("a", appc.RuntimeImage("example.com/a"), app=appc.App(
                               user="0", group="0",
                               isolators=[appc.Isolator("os/linux/no-new-privileges", "yes")]))])
    with pytest.raises(appc.ValidationError) as ei:
        pod.validate()
    assert [d.path for d in ei.value.errors] == ["apps[0].app.isolators[0].value",
                                                 "isolators[0].value.request"]


def test_limits():
    deep = '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"x","a":' + "[" * 70 + "]" * 70 + "}"
    with pytest.raises(appc.LimitError) as ei:
        appc.ImageManifest.parse(deep)
    assert ei.value.code == APPC_ELIMIT
    assert not isinstance(ei.value, appc.ValidationError)
    # Within the default but over a lower bound; and a higher bound admits it.
    text = image(x=[[[[1]]]])
    appc.ImageManifest.parse(text)
    with pytest.raises(appc.LimitError):
        appc.ImageManifest.parse(text, max_depth=3)
    appc.ImageManifest.parse(deep, max_depth=100)
    with pytest.raises(appc.LimitError) as ei:
        appc.PodManifest.parse(b" " * 100 + b"{}", max_bytes=64)
    assert "64" in str(ei.value)
    with pytest.raises(ValueError):
        appc.ImageManifest.parse(text, max_bytes=0)
    with pytest.raises(TypeError):
        appc.ImageManifest.parse(text, max_depth="3")


@pytest.mark.parametrize("code, cls", [
    (APPC_EINVALID, appc.ValidationError),
    (APPC_ENOTFOUND, appc.NotFoundError),
    (APPC_EVERIFY, appc.VerificationError),
    (APPC_ENETWORK, appc.NetworkError),
    (APPC_ECANCELLED, appc.CancelledError),
    (APPC_ELIMIT, appc.LimitError),
    (APPC_ERROR, appc.Error),
    (APPC_EEXISTS, appc.Error),
    (APPC_ENOTSUPPORTED, appc.Error),
    (APPC_ECONFLICT, appc.Error),
    (APPC_EINTERNAL, appc.Error),
])
def test_status_to_exception(code, cls):
    # _raise_error raises exactly as a failed C call does (same code path, after the copy).
    with pytest.raises(appc.Error) as ei:
        _appc._raise_error(code, 0, "what failed", "where")
    assert type(ei.value) is cls
    assert (ei.value.code, ei.value.message, ei.value.where) == (code, "what failed", "where")
    assert str(ei.value) == "what failed"
    assert appc.status_name(code) not in ("", "unknown status")


def test_os_errors_become_oserror():
    with pytest.raises(FileNotFoundError) as ei:
        _appc._raise_error(APPC_EOS, errno.ENOENT, "open /x: No such file or directory")
    assert ei.value.errno == errno.ENOENT
    assert ei.value.strerror == "open /x: No such file or directory"
    with pytest.raises(OSError) as ei:
        _appc._raise_error(APPC_EOS, errno.EIO, "read: I/O error")
    assert ei.value.errno == errno.EIO
    with pytest.raises(PermissionError) as ei:
        _appc._raise_error(APPC_EPERM, errno.EACCES, "mkdir /root/x: Permission denied")
    assert ei.value.errno == errno.EACCES
    with pytest.raises(PermissionError):
        _appc._raise_error(APPC_EPERM, 0, "not allowed")
    with pytest.raises(MemoryError):
        _appc._raise_error(APPC_ENOMEM, 0, "out of memory")


def test_validation_error_from_status_carries_diagnostics():
    with pytest.raises(appc.ValidationError) as ei:
        _appc._raise_error(APPC_EINVALID, 0, "a: x (spec 1) (and 1 more)", "a",
                           [("a", "x", 1), ("b", "y", 0)])
    assert ei.value.errors == [appc.Diagnostic("a", "x", 1), appc.Diagnostic("b", "y", 0)]
    assert str(ei.value.errors[1]) == "b: y"


def test_errors_pickle():
    with pytest.raises(appc.ValidationError) as ei:
        appc.ImageManifest.parse(image(name="UPPER"))
    e = pickle.loads(pickle.dumps(ei.value))
    assert type(e) is appc.ValidationError
    assert (e.message, e.code, e.where, e.errors) == \
        (ei.value.message, ei.value.code, ei.value.where, ei.value.errors)
    n = pickle.loads(pickle.dumps(appc.NotFoundError("gone", APPC_ENOTFOUND, "x")))
    assert (type(n), n.message, n.code, n.where) == (appc.NotFoundError, "gone", APPC_ENOTFOUND, "x")


def test_exception_names():
    assert appc.ValidationError.__module__ == "appc"
    assert repr(appc.Diagnostic("p", "m", 1)) == "Diagnostic(path='p', message='m', rule=1)"


def test_error_state_does_not_leak_between_calls():
    # A failed call followed by a successful one: the success reports nothing stale.
    with pytest.raises(appc.ValidationError):
        appc.ImageManifest.parse("{")
    m = appc.ImageManifest.parse(image())
    assert m.name == "example.com/app"
    with pytest.raises(appc.ValidationError) as ei:
        appc.ImageManifest.parse(image(name=""))
    assert [d.path for d in ei.value.errors] == ["name"]
