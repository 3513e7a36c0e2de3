"""The conformance corpus through the Python module: every file's verdict, and
every accepted file rebuilt from its Python values equal to the library's own
canonical form of it."""

import json
import re

import pytest

import appc
from appc import _appc
from conftest import CORPUS, corpus_files, read_corpus

# Where libappc deliberately differs from the reference validator (the file
# name prefix). The same files, first paths and reasons as the kDeviations table
# of tests/unit/spec/conformance_test.cpp (and docs/conformance.md); keep them in
# step. Value: (first finding's path, its checklist rule, reason) for files libappc
# rejects; (None, None, reason) for files it accepts.
DEVIATIONS = {
    # Accepted here, rejected by the reference.
    "invalid-image-isolator-unknown-name.json": (None, None, "spec 22: unknown isolators may be ignored"),
    "invalid-image-isolator-apparmor-profile.json":
        (None, None, "spec 22: os/linux/apparmor-profile (post-0.8.11) is an unknown isolator"),
    "invalid-pod-app-override-unknown-isolator.json":
        (None, None, "spec 22: unknown isolators may be ignored, in a pod's app override too"),
    # Rejected here, accepted by the reference: the spec text requires it.
    "valid-image-acversion-future-major.json":
        ("acVersion", 4, "an AC Version must not exceed the implementation's (0.8.11)"),
    "valid-image-acversion-leading-zero.json": ("acVersion", 4, "SemVer 2.0.0 forbids leading zeros"),
    "valid-image-name-consecutive-separators.json":
        ("name", 1, "the AC Identifier regex rejects consecutive separators"),
    "valid-image-app-supplementary-gids-negative.json":
        ("app.supplementaryGIDs[0]", 13, "supplementaryGIDs are unsigned integers"),
    "valid-image-app-mountpoint-missing-path.json":
        ("app.mountPoints[0].path", 16, "a mount point has a path"),
    "valid-image-app-mountpoint-missing-name.json":
        ("app.mountPoints[0].name", 16, "a mount point has an AC Name"),
    "valid-image-app-port-missing-name.json": ("app.ports[0].name", 17, "port name is required"),
    "valid-image-isolator-caps-retain-and-remove.json":
        ("app.isolators[1]", 29, "retain and remove sets cannot be combined"),
    "valid-pod-missing-apps.json": ("apps", 72, "apps is required"),
    "valid-pod-app-name-missing.json": ("apps[0].name", 72, "app name is required"),
    "valid-pod-app-image-id-non-hex.json":
        ("apps[0].image.id", 5, "an image ID is sha512- and 128 hex digits ('sha512-...' is a placeholder)"),
    "valid-pod-app-mounts-missing-path.json": ("apps[0].mounts[0].path", 76, "mount path is required"),
    "valid-pod-app-mounts-missing-volume.json": ("apps[0].mounts[0].volume", 76, "mount volume is required"),
    "valid-pod-app-mounts-legacy-mountpoint.json":
        ("apps[0].mounts[0].path", 76, "mounts use {volume, path} since 0.7.0"),
    "valid-pod-volume-empty-mode-garbage.json": ("volumes[0].mode", 78, "mode is an octal permission string"),
    "valid-pod-annotations-identifier-name.json":
        ("annotations[0].name", 2, "pod annotation names are AC Names (spec 79)"),
    "valid-pod-ports-hostport-out-of-range.json": ("ports[0].hostPort", 79, "hostPort is a port number"),
    "valid-pod-ports-duplicate-names.json": ("ports[1].name", 79, "port names MUST be unique"),
    "valid-spec-aci-md-image-manifest.json":
        ("dependencies[0].imageID", 5, "the aci.md example's imageID 'sha512-...' is a placeholder"),
    "valid-spec-pods-md-pod-manifest.json":
        ("apps[0].image.id", 5, "the pods.md example's ids 'sha512-...' are placeholders"),
    "valid-spec052-example-pod-runtime.json":
        ("apps[0].mounts[0].path", 76, "the 0.5.2 example's mounts lack path (required since 0.7.0)"),
    "valid-spec-example-image.json":
        ("dependencies[0].imageID", 5, "examples/image.json's imageID 'sha512-...' is a placeholder"),
}

FILES = corpus_files()


def expected_valid(name: str) -> bool:
    reference = name.startswith("valid-")
    return not reference if name in DEVIATIONS else reference


def test_corpus_is_complete():
    # Every file is listed in the corpus README with its verdict, and every listed file is here.
    readme = (CORPUS / "README.md").read_text()
    listed = set(re.findall(r"^\| ((?:in)?valid-[^ |]+\.json) \|", readme, re.M))
    assert listed == set(FILES)
    assert len(FILES) > 200
    missing = set(DEVIATIONS) - set(FILES)
    assert not missing, f"deviation table names files not in the corpus: {missing}"


@pytest.mark.parametrize("name", FILES)
def test_verdict(name):
    data = read_corpus(name)
    if expected_valid(name):
        m = appc.parse_manifest(data)
        assert type(m).__name__ == appc.detect_kind(data)
        return
    with pytest.raises(appc.ValidationError) as ei:
        appc.parse_manifest(data)
    e = ei.value
    assert type(e) is appc.ValidationError
    assert e.code == -2 and appc.status_name(e.code) == "invalid"
    assert e.errors, "a rejected manifest names at least one finding"
    for d in e.errors:
        assert isinstance(d, appc.Diagnostic)
        assert d.message and d.rule >= 0
    first = e.errors[0]
    assert e.message.startswith(str(first))
    assert e.where == first.path
    if name in DEVIATIONS:
        path, rule, reason = DEVIATIONS[name]
        assert (first.path, first.rule) == (path, rule), reason


@pytest.mark.parametrize("name", FILES)
def test_kind_detected_from_ackind(name):
    kind = appc.detect_kind(read_corpus(name))
    no_kind = any(s in name for s in ("missing-ackind", "ackind-", "not-json", "top-level-array"))
    if no_kind:
        assert kind is None
    elif "-pod-" in name:
        assert kind == "PodManifest"
    elif "-image-" in name:
        assert kind == "ImageManifest"


VALID = [f for f in FILES if expected_valid(f)]


@pytest.mark.parametrize("name", VALID)
def test_python_values_rebuild_the_canonical_form(name):
    data = read_corpus(name)
    handle_cls = (_appc.PodManifestHandle if appc.detect_kind(data) == "PodManifest"
                  else _appc.ImageManifestHandle)
    canonical = handle_cls.parse(data).serialize()      # the library alone: parse + serialize
    m = appc.parse_manifest(data)                       # accessors -> Python values
    assert m.to_json() == canonical                     # Python values -> builders -> serialize
    again = appc.parse_manifest(canonical)
    assert again == m and again.to_json() == canonical
    assert eval(repr(m), vars(appc)) == m
    assert json.loads(m.to_json(pretty=True)) == json.loads(canonical)
