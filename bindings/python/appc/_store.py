"""The image store (appc_store_* of the C ABI); docs/store.md has the on-disk format.

    >>> with appc.Store("/var/lib/appc") as store:
    ...     img = store.import_file("app.aci")         # -> StoredImage (a no-op when present)
    ...     for i in store: print(i.id, i.name, i.labels.get("version"))
    ...     store.get("sha512-1a2b")                   # an ID or a unique prefix of one
    ...     store.find("example.com/app", {"version": "1.0"})
    ...     store.tree(img).rootfs                     # rendered once, read-only, shared
    ...     store.gc(grace=3600)                       # -> GcResult(images_removed, ..., bytes_freed)

Every call runs without the GIL; any number of threads and processes may use
one store. IMAGE arguments (`image`) are a StoredImage, an image ID or a unique
prefix of one ("sha512-" + hex digits), or "name[,label=value...]": among
several images of a name the highest `version` label (SemVer) wins, then the
newest import. Errors are the appc exception classes: NotFoundError,
VerificationError, ValidationError, CancelledError, LimitError, appc.Error with
code APPC_ECONFLICT (-12) for an ambiguous prefix or an image in use, with
APPC_ENOTSUPPORTED (-8) for a store of a newer format, OSError for system errors.
"""

import datetime
import os
from typing import Any, Dict, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple, Union

from . import _appc
from ._errors import NotFoundError
from ._image import PathArg, ProgressFn, _bool, _limits, _path, _progress
from ._manifest import ImageManifest

__all__ = ["Store", "StoredImage", "Tree", "GcResult", "CheckReport"]

#: The status code of conflicts (an ambiguous prefix, an image in use): appc.Error.code.
CONFLICT = -12
#: The status code of a store written by a newer format: appc.Error.code.
NOT_SUPPORTED = -8


def _time(ns: int) -> Optional[datetime.datetime]:
    if ns <= 0:
        return None
    return datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc)


class StoredImage:
    """One image of the store's index, as it was when read (the object does not follow
    later changes). blob_path is the stored ACI: read it, never write to it."""

    __slots__ = ("id", "name", "labels", "manifest", "raw_manifest", "size", "tar_size",
                 "compression", "imported_ns", "last_used_ns", "origin", "blob_path")

    id: str                  #: "sha512-" + 128 hex
    name: str                #: the manifest's name
    labels: Dict[str, str]   #: the manifest's labels, in document order
    manifest: ImageManifest  #: the parsed manifest (a mutable copy)
    raw_manifest: bytes      #: the manifest bytes as found in the archive
    size: int                #: bytes of the stored blob (as imported)
    tar_size: int            #: bytes of the uncompressed tar stream
    compression: str         #: the blob's compression (appc.COMPRESSIONS)
    imported_ns: int         #: import time, ns since the epoch
    last_used_ns: int        #: last import, tree hand-out or export, ns since the epoch
    origin: str              #: where it came from ("" when unknown)
    blob_path: bytes         #: absolute path of the stored ACI

    def __init__(self) -> None:
        raise TypeError("StoredImage objects come from an appc.Store")

    @classmethod
    def _from_dict(cls, d: Mapping[str, Any]) -> "StoredImage":
        self = object.__new__(cls)
        for k in ("id", "name", "raw_manifest", "size", "tar_size", "compression", "imported_ns",
                  "last_used_ns", "origin", "blob_path"):
            setattr(self, k, d[k])
        self.labels = dict(d["labels"])
        self.manifest = ImageManifest._from_handle(d["manifest"])
        return self

    @property
    def imported(self) -> Optional[datetime.datetime]:
        """Import time (UTC)."""
        return _time(self.imported_ns)

    @property
    def last_used(self) -> Optional[datetime.datetime]:
        """Last use (UTC)."""
        return _time(self.last_used_ns)

    @property
    def version(self) -> Optional[str]:
        """The `version` label, or None."""
        return self.labels.get("version")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, StoredImage) and other.id == self.id

    def __hash__(self) -> int:
        return hash(self.id)

    def __repr__(self) -> str:
        return f"<appc.StoredImage {self.name!r} {self.id[:19]}... {self.size} bytes>"


class Tree(NamedTuple):
    """A rendered tree (Store.tree): read-only, shared by every user; rootfs is the
    directory to use (an overlay lower dir)."""

    key: str             #: 64 hex digits
    image_id: str        #: the image rendered (the top layer)
    path: str            #: <root>/store/trees/<key>
    rootfs: str          #: path + "/rootfs"
    layers: List[str]    #: image IDs in application order, the top image last
    size: int            #: bytes of regular file data
    files: int           #: entries in the tree
    digest: str          #: digest over paths, metadata and contents
    verified: bool       #: the digest was checked since rendering
    created_ns: int
    last_used_ns: int


class GcResult(NamedTuple):
    """What Store.gc() removed (with dry_run: would remove)."""

    images_removed: List[str]
    trees_removed: List[str]
    debris_removed: int
    bytes_freed: int
    dry_run: bool


class CheckReport(NamedTuple):
    """Store.check(): counts and every problem found (empty: consistent)."""

    images: int
    trees: int
    blobs: int
    problems: List[str]

    @property
    def ok(self) -> bool:
        return not self.problems


for _cls in (StoredImage, Tree, GcResult, CheckReport):
    _cls.__module__ = "appc"
del _cls


ImageArg = Union[str, StoredImage]
Labels = Union[None, Mapping[str, str], Sequence[Tuple[str, str]]]


def _image(image: Any) -> str:
    if isinstance(image, StoredImage):
        return image.id
    if isinstance(image, str):
        return image
    raise TypeError(f"image: expected str or appc.StoredImage, got {type(image).__name__}")


def _opt_str(v: Any, what: str) -> Optional[str]:
    if v is None or isinstance(v, str):
        return v
    raise TypeError(f"{what}: expected str or None, got {type(v).__name__}")


def _seconds(v: Any, what: str) -> int:
    if isinstance(v, datetime.timedelta):
        v = v.total_seconds()
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise TypeError(f"{what}: expected seconds (int, float) or datetime.timedelta, got {type(v).__name__}")
    if v < 0:
        raise ValueError(f"{what}: {v} is negative")
    return int(v)


def _labels(labels: Labels) -> List[Tuple[str, str]]:
    if labels is None:
        return []
    items = labels.items() if isinstance(labels, Mapping) else labels
    out = []
    for item in items:
        name, value = item
        if not isinstance(name, str) or not isinstance(value, str):
            raise TypeError("labels: names and values must be str")
        out.append((name, value))
    return out


class Store:
    """An open image store under `<root>/store`. A context manager (closed on exit);
    iterating gives every StoredImage (ordered by name, newest import first)."""

    def __init__(self, root: Optional[PathArg] = None, *, create: bool = True, durable: bool = True,
                 busy_timeout_ms: int = 0) -> None:
        """Open (creating when `create`) the store under `root` (None: $APPC_ROOT, else
        /var/lib/appc). A store written by a newer format raises appc.Error with code -8
        (APPC_ENOTSUPPORTED) and is left untouched; create=False on a missing store
        raises NotFoundError. busy_timeout_ms: how long to wait for another process's
        lock (0: the default, two minutes)."""
        if isinstance(busy_timeout_ms, bool) or not isinstance(busy_timeout_ms, int):
            raise TypeError("busy_timeout_ms: expected int")
        if not 0 <= busy_timeout_ms < (1 << 31):
            raise ValueError("busy_timeout_ms must be in 0..2**31-1")
        self._h = _appc.StoreHandle.open(None if root is None else _path(root, "root"),
                                         create=_bool(create, "create"), durable=_bool(durable, "durable"),
                                         busy_timeout_ms=busy_timeout_ms)

    # -- life ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Close the store (waits for calls of other threads to end). Idempotent."""
        self._h.close()

    @property
    def closed(self) -> bool:
        return self._h.closed

    def __enter__(self) -> "Store":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    @property
    def root(self) -> str:
        """The root directory, as given (or found in $APPC_ROOT / the default)."""
        return os.fsdecode(self._h.root())

    # -- import and lookup --------------------------------------------------------------------

    def import_file(self, path: PathArg, *, origin: Optional[str] = None, expect_id: Optional[str] = None,
                    progress: ProgressFn = None, max_bytes: Optional[int] = None,
                    max_entries: Optional[int] = None, max_manifest_bytes: Optional[int] = None) -> StoredImage:
        """Import the ACI at `path` (validated and hashed in one pass, committed
        atomically) and return it. An image already stored is a cheap no-op (see
        import_file_ex for the flag). expect_id: VerificationError unless the archive
        has this ID. A failure or cancellation leaves nothing behind."""
        return self.import_file_ex(path, origin=origin, expect_id=expect_id, progress=progress,
                                   max_bytes=max_bytes, max_entries=max_entries,
                                   max_manifest_bytes=max_manifest_bytes)[0]

    def import_file_ex(self, path: PathArg, *, origin: Optional[str] = None,
                       expect_id: Optional[str] = None, progress: ProgressFn = None,
                       max_bytes: Optional[int] = None, max_entries: Optional[int] = None,
                       max_manifest_bytes: Optional[int] = None) -> Tuple[StoredImage, bool]:
        """As import_file(); returns (image, already_present)."""
        d, already = self._h.import_(_path(path, "path"), origin=_opt_str(origin, "origin"),
                                     expect_id=_opt_str(expect_id, "expect_id"), progress=_progress(progress),
                                     **_limits(max_bytes, max_entries, max_manifest_bytes))
        return StoredImage._from_dict(d), already

    def import_fd(self, fd: int, *, origin: Optional[str] = None, expect_id: Optional[str] = None,
                  progress: ProgressFn = None, max_bytes: Optional[int] = None,
                  max_entries: Optional[int] = None,
                  max_manifest_bytes: Optional[int] = None) -> Tuple[StoredImage, bool]:
        """Import an ACI read from descriptor `fd` (or a file object's fileno()) until
        its end; the descriptor is not closed. Returns (image, already_present)."""
        if hasattr(fd, "fileno"):
            fd = fd.fileno()
        if isinstance(fd, bool) or not isinstance(fd, int) or fd < 0:
            raise TypeError("fd: expected a file descriptor (int >= 0) or an object with fileno()")
        d, already = self._h.import_(None, fd=fd, origin=_opt_str(origin, "origin"),
                                     expect_id=_opt_str(expect_id, "expect_id"), progress=_progress(progress),
                                     **_limits(max_bytes, max_entries, max_manifest_bytes))
        return StoredImage._from_dict(d), already

    def get(self, id_or_name: str, labels: Labels = None) -> StoredImage:
        """get(id_or_prefix): the image with that ID or unique ID prefix ("sha512-" +
        hex digits, or the hex digits alone); an ambiguous prefix raises appc.Error
        (code -12) listing the candidates. get(name, labels): as find()."""
        if not isinstance(id_or_name, str):
            raise TypeError(f"get: expected str, got {type(id_or_name).__name__}")
        if labels is not None:
            return self.find(id_or_name, labels)
        return StoredImage._from_dict(self._h.get(id_or_name))

    def find(self, name: str, labels: Labels = None) -> StoredImage:
        """The image called `name` having every label of `labels` (a dict or pairs);
        among several, the highest `version` label (SemVer), then the newest import."""
        if not isinstance(name, str):
            raise TypeError(f"name: expected str, got {type(name).__name__}")
        return StoredImage._from_dict(self._h.find(name, _labels(labels)))

    def resolve(self, ref: str) -> StoredImage:
        """An IMAGE as the CLI takes it: "sha512-..." (ID or prefix) or
        "name[,label=value...]"."""
        if not isinstance(ref, str):
            raise TypeError(f"ref: expected str, got {type(ref).__name__}")
        return StoredImage._from_dict(self._h.resolve(ref))

    def images(self) -> List[StoredImage]:
        """Every image, ordered by name, then newest import first."""
        return [StoredImage._from_dict(d) for d in self._h.list()]

    def __iter__(self) -> Iterator[StoredImage]:
        return iter(self.images())

    def __len__(self) -> int:
        return len(self._h.list())

    def __contains__(self, image: Any) -> bool:
        try:
            self.resolve(_image(image))
        except NotFoundError:
            return False
        return True

    # -- use ----------------------------------------------------------------------------------

    def export(self, image: ImageArg, path: PathArg, *, overwrite: bool = False) -> None:
        """Write the stored ACI of `image` to `path` (it has the image's ID).
        FileExistsError-like appc.Error (code -4) when `path` exists unless overwrite."""
        self._h.export(_image(image), _path(path, "path"), overwrite=_bool(overwrite, "overwrite"))

    def tree(self, image: ImageArg, *, holder: Optional[str] = None, preserve_owners: bool = True,
             progress: ProgressFn = None) -> Tree:
        """The image rendered with its dependencies into the store, once, read-only, and
        verified before its first use; later calls return the same tree. holder: a
        pod UUID whose reference keeps the tree and its images from rm and gc until
        drop_refs(holder)."""
        d = self._h.tree(_image(image), holder=_opt_str(holder, "holder"),
                         preserve_owners=_bool(preserve_owners, "preserve_owners"), progress=_progress(progress))
        d["path"] = os.fsdecode(d["path"])
        d["rootfs"] = os.fsdecode(d["rootfs"])
        return Tree(**d)

    def render(self, image: ImageArg, dir: PathArg, *, preserve_owners: bool = True,
               progress: ProgressFn = None, max_bytes: Optional[int] = None,
               max_entries: Optional[int] = None, max_manifest_bytes: Optional[int] = None) -> None:
        """Render `image` with its dependencies (found in the store) into `dir` (absent
        or empty), as appc.render_image()."""
        self._h.render(_image(image), _path(dir, "dir"), preserve_owners=_bool(preserve_owners, "preserve_owners"),
                       progress=_progress(progress), **_limits(max_bytes, max_entries, max_manifest_bytes))

    def add_ref(self, holder: str, image: ImageArg, tree_key: Optional[str] = None) -> None:
        """Record that `holder` (a pod UUID) uses `image` (a full ID or a StoredImage)
        and, when given, the tree `tree_key`."""
        if not isinstance(holder, str):
            raise TypeError("holder: expected str")
        self._h.add_ref(holder, _image(image), _opt_str(tree_key, "tree_key"))

    def drop_refs(self, holder: str) -> None:
        """Drop every reference of `holder`."""
        if not isinstance(holder, str):
            raise TypeError("holder: expected str")
        self._h.drop_refs(holder)

    def rm(self, image: ImageArg, *, force: bool = False) -> Tuple[str, int]:
        """Remove `image` (blob, index row, its trees); returns (id, bytes_freed). An image a
        holder references raises appc.Error (code -12) unless force."""
        id, freed = self._h.rm(_image(image), force=_bool(force, "force"))
        return id, freed

    def gc(self, *, grace: Union[int, float, datetime.timedelta] = 24 * 3600,
           tree_grace: Union[int, float, datetime.timedelta] = 0, dry_run: bool = False) -> GcResult:
        """Remove unreferenced trees unused for more than `tree_grace` seconds, unreferenced
        images unused for more than `grace` seconds (with their trees), and leftovers of
        killed processes. dry_run: report only."""
        d = self._h.gc(_seconds(grace, "grace"), _seconds(tree_grace, "tree_grace"), _bool(dry_run, "dry_run"))
        return GcResult(**d)

    def check(self, *, hashes: bool = False) -> CheckReport:
        """Check the store's consistency (hashes: recompute every blob's ID and every tree's
        digest too). Problems are in the report, not raised."""
        return CheckReport(**self._h.check(_bool(hashes, "hashes")))

    def __repr__(self) -> str:
        return "<appc.Store closed>" if self.closed else f"<appc.Store {self.root!r}>"
