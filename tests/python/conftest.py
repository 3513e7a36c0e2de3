"""Shared fixtures of the Python binding tests.

Run by `meson test --suite python`, which puts the built `appc` package on
PYTHONPATH, libappc.so on LD_LIBRARY_PATH and sets APPC_TEST_DATA to tests/data.
"""

import os
import pathlib

import pytest

HERE = pathlib.Path(__file__).resolve().parent
DATA = pathlib.Path(os.environ.get("APPC_TEST_DATA", HERE.parent / "data"))
CORPUS = DATA / "conformance" / "manifests"


def corpus_files():
    """Every manifest of the conformance corpus, sorted by name."""
    return sorted(p.name for p in CORPUS.glob("*.json"))


def read_corpus(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


@pytest.fixture
def corpus():
    """corpus("valid-spec-example-image.json") -> the file's bytes."""
    return read_corpus


@pytest.fixture
def spec_image(corpus):
    import appc
    return appc.ImageManifest.parse(corpus("valid-spec-example-image.json"))


@pytest.fixture
def spec_pod(corpus):
    import appc
    return appc.PodManifest.parse(corpus("valid-spec-example-pod-runtime.json"))
