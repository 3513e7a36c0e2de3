"""appc: the App Container (appc 0.8.11) library for Python.

A thin layer over libappc's stable C ABI (appc.h): the C extension appc._appc
wraps its handles, and this package offers plain Python value classes for
every schema type. Parsing, validation and serialization are libappc's; the
Python objects only hold the values.

    >>> import appc
    >>> m = appc.ImageManifest.parse(open("manifest", "rb").read())
    >>> m.name, m.labels["version"], m.app.exec
    >>> m.app.user = "1000"
    >>> m.to_json()                   # canonical JSON, through the C builders
    >>> img = appc.Image.open("app.aci")  # ACI images: .id, .manifest, .extract(dir)
    >>> appc.build_image("layout", "app.aci", compression="gzip")
    >>> with appc.Store("/var/lib/appc") as store:   # the image store
    ...     img = store.import_file("app.aci"); store.tree(img).rootfs
    >>> pod = appc.Pod.run("example.com/app", root="/var/lib/appc")   # pods
    >>> pod.exit_code, pod.logs(); pod.rm()

Errors: appc.Error and its subclasses (ValidationError with .errors, one
appc.Diagnostic(path, message, rule) per finding), OSError for system errors.
See docs/python.md and docs/images-api.md.
"""

from . import _appc
from ._errors import (
    CancelledError, Diagnostic, Error, LimitError, NetworkError, NotFoundError,
    ValidationError, VerificationError,
)
from ._image import (
    COMPRESSIONS, ExtractStats, Image, Progress, build_image, extract_image, render_image,
    validate_image,
)
from ._manifest import ImageManifest, PodManifest, detect_kind, parse_manifest
from ._store import CheckReport, GcResult, Store, StoredImage, Tree
from ._pod import AppStatus, Executor, LogEntry, Pod, PodApp, PodStatus, gc_pods, pods
from ._model import (
    Annotation, App, Dependency, EnvVar, EventHandler, ExposedPort, Isolator, Label, Mount,
    MountPoint, NameValueList, Port, Quantity, RuntimeApp, RuntimeImage, Volume,
)

_appc._set_error_classes({
    "Error": Error, "ValidationError": ValidationError, "NotFoundError": NotFoundError,
    "VerificationError": VerificationError, "NetworkError": NetworkError,
    "CancelledError": CancelledError, "LimitError": LimitError,
})

#: Version of the libappc shared library in use (appc_version()).
__version__: str = _appc.version()
#: The appc specification version libappc implements (appc_spec_version()).
spec_version: str = _appc.spec_version()


def status_name(code: int) -> str:
    """The C library's name of a status code (Error.code): "invalid", "not found", ..."""
    return _appc.status_name(code)


__all__ = [
    "__version__", "spec_version", "status_name",
    "ImageManifest", "PodManifest", "detect_kind", "parse_manifest",
    "App", "Label", "Annotation", "EnvVar", "NameValueList", "EventHandler", "MountPoint",
    "Port", "Isolator", "Quantity", "Dependency", "Volume", "Mount", "RuntimeImage",
    "RuntimeApp", "ExposedPort",
    "Error", "ValidationError", "NotFoundError", "VerificationError", "NetworkError",
    "CancelledError", "LimitError", "Diagnostic",
    "Image", "Progress", "ExtractStats", "COMPRESSIONS", "build_image", "validate_image",
    "extract_image", "render_image",
    "Store", "StoredImage", "Tree", "GcResult", "CheckReport",
    "Executor", "Pod", "PodApp", "PodStatus", "AppStatus", "LogEntry", "pods", "gc_pods",
]
