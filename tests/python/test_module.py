"""The module surface: versions and the exception hierarchy."""

import re

import pytest

import appc


def test_version_is_the_library_version():
    # appc.__version__ comes from appc_version() of libappc.so; the project is 0.x.y SemVer.
    assert re.fullmatch(r"\d+\.\d+\.\d+", appc.__version__)


def test_spec_version():
    assert appc.spec_version == "0.8.11"


def test_built_over_the_shared_library():
    # The extension must be linked to libappc.so (the C ABI), not to the static core.
    with open("/proc/self/maps") as maps:
        mapped = maps.read()
    assert "libappc.so" in mapped


@pytest.mark.parametrize("cls", [
    appc.ValidationError, appc.NotFoundError, appc.VerificationError, appc.NetworkError,
    appc.CancelledError, appc.LimitError,
])
def test_error_hierarchy(cls):
    assert issubclass(cls, appc.Error)
    assert issubclass(appc.Error, Exception)
    assert not issubclass(cls, OSError)


def test_errors_are_distinct():
    classes = {appc.ValidationError, appc.NotFoundError, appc.VerificationError,
               appc.NetworkError, appc.CancelledError, appc.LimitError}
    assert len(classes) == 6
    for a in classes:
        for b in classes - {a}:
            assert not issubclass(a, b)


def test_diagnostic_format_matches_the_c_library():
    d = appc.Diagnostic("app.ports[1].port", "70000 is outside 1..65535", 17)
    assert str(d) == "app.ports[1].port: 70000 is outside 1..65535 (spec 17)"
    assert str(appc.Diagnostic("", "not JSON", 0)) == "not JSON"
    path, message, rule = d
    assert (path, message, rule) == ("app.ports[1].port", "70000 is outside 1..65535", 17)


def test_public_names():
    for name in ["ImageManifest", "PodManifest", "App", "Label", "Annotation", "EnvVar",
                 "EventHandler", "MountPoint", "Port", "Isolator", "Dependency", "Volume",
                 "Mount", "RuntimeImage", "RuntimeApp", "ExposedPort", "detect_kind",
                 "parse_manifest", "Error", "ValidationError", "Diagnostic"]:
        assert name in appc.__all__, name
        assert hasattr(appc, name), name
