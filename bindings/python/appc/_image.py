"""ACI images: open, validate, extract, build, render (appc_image_* of the C ABI).

    >>> img = appc.Image.open("app.aci")
    >>> img.id, img.compression, img.manifest.name
    >>> img.extract("/tmp/app")                      # safe, atomic, verifies img.id on the way
    >>> appc.build_image("layout", "app.aci", compression="gzip")   # -> "sha512-..."

Every call reads or writes files and runs without the GIL. A `progress`
callback, when given, is called as progress(appc.Progress) on the calling
thread every megabyte or so; returning False cancels the operation
(appc.CancelledError), and an exception raised by the callback cancels it and
is raised again once the library has cleaned up. Ctrl-C (KeyboardInterrupt)
cancels the same way. A cancelled or failed extract, build or render leaves
nothing behind.

Paths are str, bytes or os.PathLike. Limits (max_bytes: uncompressed tar bytes,
max_entries, max_manifest_bytes) bound what a hostile archive can make the
library do; None means the library's default (64 GiB, 4,000,000, 16 MiB).
"""

import os
from typing import Any, Callable, NamedTuple, Optional, Tuple, Union

from . import _appc
from ._manifest import ImageManifest

__all__ = [
    "Image", "Progress", "ExtractStats", "COMPRESSIONS",
    "build_image", "validate_image", "extract_image", "render_image",
]

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]

#: The compression names libappc reads and writes ("none", "gzip", "bzip2", "xz", "zstd").
COMPRESSIONS: Tuple[str, ...] = tuple(_appc.compression_names())


class Progress(NamedTuple):
    """Where a long operation stands.

    phase     -- "hash" (open, validate), "extract", "build" or "render"
    bytes_in  -- archive bytes consumed so far (compressed); build: tree bytes read
    bytes_out -- uncompressed tar bytes processed so far
    entries   -- archive entries processed so far
    """

    phase: str
    bytes_in: int
    bytes_out: int
    entries: int


class ExtractStats(NamedTuple):
    """What an extraction did: the image's ID and sizes, and what was created by type.
    skipped_devices counts device nodes not created for lack of CAP_MKNOD."""

    id: str
    compression: str
    archive_size: int
    tar_size: int
    entries: int
    files: int
    dirs: int
    symlinks: int
    hardlinks: int
    devices: int
    fifos: int
    skipped_devices: int


ProgressFn = Optional[Callable[[Progress], Any]]

for _cls in (Progress, ExtractStats):
    _cls.__module__ = "appc"
del _cls


def _path(p: Any, what: str) -> bytes:
    try:
        return os.fsencode(p)
    except TypeError:
        raise TypeError(f"{what}: expected str, bytes or os.PathLike, got {type(p).__name__}") from None


def _limit(v: Optional[int], what: str) -> int:
    if v is None:
        return 0
    if isinstance(v, bool) or not isinstance(v, int):
        raise TypeError(f"{what}: expected int or None, got {type(v).__name__}")
    if not 0 < v < (1 << 64):
        raise ValueError(f"{what} must be in 1..2**64-1")
    return v


def _limits(max_bytes: Optional[int], max_entries: Optional[int],
            max_manifest_bytes: Optional[int]) -> dict:
    return {
        "max_bytes": _limit(max_bytes, "max_bytes"),
        "max_entries": _limit(max_entries, "max_entries"),
        "max_manifest_bytes": _limit(max_manifest_bytes, "max_manifest_bytes"),
    }


def _progress(fn: ProgressFn) -> Any:
    if fn is None:
        return None
    if not callable(fn):
        raise TypeError(f"progress: expected a callable or None, got {type(fn).__name__}")

    def report(phase: str, bytes_in: int, bytes_out: int, entries: int) -> Any:
        return fn(Progress(phase, bytes_in, bytes_out, entries))
    return report


def _bool(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"{what}: expected bool, got {type(v).__name__}")
    return v


class Image:
    """An ACI read once from start to end (Image.open): its ID, compression,
    sizes and manifest. The values are those of the file when it was read;
    the object holds no open file."""

    __slots__ = ("path", "id", "compression", "tar_size", "archive_size", "entries",
                 "raw_manifest", "manifest")

    path: PathArg            #: the path as given to open()
    id: str                  #: "sha512-" + SHA-512 of the uncompressed tar stream
    compression: str         #: one of COMPRESSIONS, detected from the first bytes
    tar_size: int            #: bytes of the uncompressed tar stream
    archive_size: int        #: bytes of the file
    entries: int             #: number of archive entries
    raw_manifest: bytes      #: the `manifest` entry exactly as stored
    manifest: ImageManifest  #: the parsed, valid manifest (a mutable copy)

    def __init__(self) -> None:
        raise TypeError("use appc.Image.open(path)")

    @classmethod
    def open(cls, path: PathArg, *, max_bytes: Optional[int] = None,
             max_entries: Optional[int] = None, max_manifest_bytes: Optional[int] = None,
             progress: ProgressFn = None) -> "Image":
        """Read and validate the ACI at `path` in one pass.

        Raises ValidationError listing every violation (Diagnostic.path is the
        archive entry, or "manifest: <JSON path>"), LimitError, CancelledError,
        or OSError (FileNotFoundError, ...)."""
        d = _appc.image_open(_path(path, "path"), progress=_progress(progress),
                             **_limits(max_bytes, max_entries, max_manifest_bytes))
        self = object.__new__(cls)
        self.path = path
        self.id = d["id"]
        self.compression = d["compression"]
        self.tar_size = d["tar_size"]
        self.archive_size = d["archive_size"]
        self.entries = d["entries"]
        self.raw_manifest = d["raw_manifest"]
        self.manifest = ImageManifest._from_handle(d["manifest"])
        return self

    @property
    def name(self) -> str:
        """The image's name (manifest.name)."""
        return self.manifest.name

    def extract(self, dir: PathArg, *, rootfs_only: bool = False, preserve_owners: bool = True,
                progress: ProgressFn = None, max_bytes: Optional[int] = None,
                max_entries: Optional[int] = None,
                max_manifest_bytes: Optional[int] = None) -> ExtractStats:
        """Extract this image into `dir` (absent or empty), as extract_image(). The file
        is read again and must still have this image's ID (VerificationError otherwise,
        and nothing stays behind)."""
        return extract_image(self.path, dir, rootfs_only=rootfs_only, preserve_owners=preserve_owners,
                             expect_id=self.id, progress=progress, max_bytes=max_bytes,
                             max_entries=max_entries, max_manifest_bytes=max_manifest_bytes)

    def __repr__(self) -> str:
        return f"<appc.Image {self.manifest.name!r} {self.id[:19]}... {self.compression}>"


def validate_image(path: PathArg, *, max_bytes: Optional[int] = None,
                   max_entries: Optional[int] = None, max_manifest_bytes: Optional[int] = None,
                   progress: ProgressFn = None) -> None:
    """Check the ACI at `path` (layout and manifest, one pass). Returns None when it is
    valid; raises ValidationError with every finding in .errors otherwise (other errors
    as Image.open)."""
    _appc.image_validate(_path(path, "path"), progress=_progress(progress),
                         **_limits(max_bytes, max_entries, max_manifest_bytes))


def extract_image(path: PathArg, dir: PathArg, *, rootfs_only: bool = False,
                  preserve_owners: bool = True, expect_id: Optional[str] = None,
                  progress: ProgressFn = None, max_bytes: Optional[int] = None,
                  max_entries: Optional[int] = None,
                  max_manifest_bytes: Optional[int] = None) -> ExtractStats:
    """Extract the ACI at `path` into `dir` (absent or empty) in one pass, safely:
    nothing is written outside `dir`, and on any error or cancellation nothing stays
    behind. rootfs_only: the contents of rootfs/ only; preserve_owners: chown to the
    archive's owners (skipped without CAP_CHOWN); expect_id: the image ID the archive
    must have (VerificationError otherwise)."""
    if expect_id is not None and not isinstance(expect_id, str):
        raise TypeError(f"expect_id: expected str or None, got {type(expect_id).__name__}")
    d = _appc.image_extract(_path(path, "path"), _path(dir, "dir"),
                            rootfs_only=_bool(rootfs_only, "rootfs_only"),
                            preserve_owners=_bool(preserve_owners, "preserve_owners"),
                            expect_id=expect_id, progress=_progress(progress),
                            **_limits(max_bytes, max_entries, max_manifest_bytes))
    return ExtractStats(**d)


def build_image(dir: PathArg, out: PathArg, compression: str = "none", *, overwrite: bool = False,
                owner_root: bool = False, mtime: Optional[int] = None,
                progress: ProgressFn = None) -> str:
    """Build an ACI at `out` from `dir` (a `manifest` and `rootfs/`); returns its image ID.

    Reproducible: the same tree gives the same ID. compression: one of COMPRESSIONS;
    overwrite: replace an existing `out`; owner_root: store every entry as 0:0; mtime:
    store this modification time (seconds since the epoch) on every entry."""
    if compression not in COMPRESSIONS:
        raise ValueError(f"compression: {compression!r} is not one of {', '.join(COMPRESSIONS)}")
    if mtime is not None and (isinstance(mtime, bool) or not isinstance(mtime, int)):
        raise TypeError(f"mtime: expected int or None, got {type(mtime).__name__}")
    if mtime is not None and not -(1 << 63) <= mtime < (1 << 63):
        raise OverflowError(f"mtime: {mtime} does not fit in 64 bits")
    return _appc.image_build(_path(dir, "dir"), _path(out, "out"), compression,
                             overwrite=_bool(overwrite, "overwrite"),
                             owner_root=_bool(owner_root, "owner_root"), mtime=mtime,
                             progress=_progress(progress))


def render_image(path: PathArg, deps_dir: Optional[PathArg], dir: PathArg, *,
                 preserve_owners: bool = True, progress: ProgressFn = None,
                 max_bytes: Optional[int] = None, max_entries: Optional[int] = None,
                 max_manifest_bytes: Optional[int] = None) -> None:
    """Render the ACI at `path` with its dependencies into `dir` (absent or empty):
    dependencies are found among the ACI files of `deps_dir` (None: the image must have
    none), applied in the spec's order with every pathWhitelist honoured. Errors:
    NotFoundError (a missing dependency), VerificationError (a dependency's ID or size
    does not match), ValidationError (a cycle, an invalid image), as extract_image()."""
    _appc.image_render(_path(path, "path"), None if deps_dir is None else _path(deps_dir, "deps_dir"),
                       _path(dir, "dir"), preserve_owners=_bool(preserve_owners, "preserve_owners"),
                       progress=_progress(progress),
                       **_limits(max_bytes, max_entries, max_manifest_bytes))
