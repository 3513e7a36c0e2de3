"""ImageManifest and PodManifest, and their conversion to and from the C ABI.

A manifest object holds plain Python values (appc/_model.py). Every
operation that needs the spec — parse, validate, to_json, equality — goes
through libappc's C ABI (appc._appc wraps appc.h one to one):

    parse    : appc_*_manifest_parse, then every field read with the accessors
    validate : the fields handed to the builders (appc_*_new, _set_*, _add_*),
               then appc_*_manifest_validate
    to_json  : the same build, then appc_*_manifest_serialize (canonical form)

Nothing here writes or reads JSON for a manifest. The one JSON text Python
produces is an isolator's *value* (json.dumps of Isolator.value), because the
C ABI takes isolator values as JSON text; an isolator read from a manifest
keeps the library's own text and sends it back unchanged.
"""

from typing import Any, List, Optional, Union

from . import _appc
from ._errors import Diagnostic, ValidationError
from ._model import (
    App, Annotation, Dependency, EnvVar, EventHandler, ExposedPort, Isolator, Label, Mount,
    MountPoint, NameValueList, Port, RuntimeApp, RuntimeImage, Volume, _f, _int, _opt_record,
    _name_values, _record, _record_list, _Record, _str, _str_list, _str_map, _str_map_default,
)

__all__ = ["ImageManifest", "PodManifest", "detect_kind", "parse_manifest"]

Text = Union[str, bytes, bytearray, memoryview]

_INT64_MIN, _INT64_MAX = -(1 << 63), (1 << 63) - 1
_UINT64_MAX = (1 << 64) - 1


def _as_bytes(text: Any, what: str = "text") -> bytes:
    if isinstance(text, str):
        return text.encode("utf-8")
    if isinstance(text, (bytes, bytearray, memoryview)):
        return bytes(text)
    raise TypeError(f"{what}: expected str or bytes, got {type(text).__name__}")


def _limits(max_bytes: Optional[int], max_depth: Optional[int]) -> dict:
    out = {}
    if max_bytes is not None:
        if _int(max_bytes, "max_bytes") <= 0:
            raise ValueError("max_bytes must be positive")
        out["max_bytes"] = max_bytes
    if max_depth is not None:
        if _int(max_depth, "max_depth") <= 0 or max_depth > 0xFFFFFFFF:
            raise ValueError("max_depth must be in 1..4294967295")
        out["max_depth"] = max_depth
    return out


# ---------------------------------------------------------------------------
# Reading: handle -> value objects

def _app_from_handle(h: Any) -> Optional[App]:
    if h is None:
        return None
    d = h.fields()
    app = App(
        exec=d["exec"], user=d["user"], group=d["group"],
        supplementary_gids=d["supplementary_gids"], working_directory=d["working_directory"],
        environment=d["environment"],
        event_handlers=[EventHandler(name, exec) for name, exec in d["event_handlers"]],
        mount_points=[MountPoint(*mp) for mp in d["mount_points"]],
        ports=[Port(*p) for p in d["ports"]],
        user_annotations=dict(d["user_annotations"]), user_labels=dict(d["user_labels"]),
    )
    app.isolators = [Isolator._from_json(name, value) for name, value in d["isolators"]]
    return app


def _volume_from_handle(h: Any) -> Optional[Volume]:
    return None if h is None else Volume(**h.fields())


# ---------------------------------------------------------------------------
# Building: value objects -> handle, through the builders

def _check_range(v: int, lo: int, hi: int, where: str) -> int:
    if not lo <= v <= hi:
        raise OverflowError(f"{where}: {v} does not fit the C ABI's range {lo}..{hi}")
    return v


class _Builder:
    """Collects isolator values the library refuses while a manifest is built,
    with their paths completed as parse would report them, so one
    ValidationError lists them all."""

    def __init__(self) -> None:
        self.errors: List[Diagnostic] = []

    def isolator(self, add: Any, iso: Isolator, path: str) -> None:
        try:
            add(iso.name, iso.value_json)
        except ValidationError as e:
            for d in e.errors or [Diagnostic("value", e.message, 0)]:
                # The library reports paths inside the isolator ("value.limit").
                sub = d.path
                full = f"{path}.{sub}" if sub else path
                self.errors.append(Diagnostic(full, d.message, d.rule))

    def finish(self) -> None:
        if self.errors:
            first = self.errors[0]
            msg = str(first)
            if len(self.errors) > 1:
                msg += f" (and {len(self.errors) - 1} more)"
            raise ValidationError(msg, -2, first.path, self.errors)


def _app_to_handle(app: App, where: str, path: str, b: _Builder) -> Any:
    app._checked(where)
    h = _appc.AppHandle.new()
    if app.exec:
        h.set_exec(app.exec)
    h.set_user(app.user)
    h.set_group(app.group)
    if app.supplementary_gids:
        h.set_supplementary_gids([_check_range(g, _INT64_MIN, _INT64_MAX, f"{where}.supplementary_gids")
                                  for g in app.supplementary_gids])
    if app.working_directory:
        h.set_working_directory(app.working_directory)
    for name, value in app.environment:
        h.add_env(name, value)
    for i, eh in enumerate(app.event_handlers):
        eh._checked(f"{where}.event_handlers[{i}]")
        h.add_event_handler(eh.name, eh.exec)
    for i, mp in enumerate(app.mount_points):
        mp._checked(f"{where}.mount_points[{i}]")
        h.add_mount_point(mp.name, mp.path, mp.read_only)
    for i, p in enumerate(app.ports):
        w = f"{where}.ports[{i}]"
        p._checked(w)
        h.add_port(p.name, p.protocol, _check_range(p.port, _INT64_MIN, _INT64_MAX, w + ".port"),
                   _check_range(p.count, _INT64_MIN, _INT64_MAX, w + ".count"), p.socket_activated)
    for i, iso in enumerate(app.isolators):
        iso._checked(f"{where}.isolators[{i}]")
        b.isolator(h.add_isolator, iso, f"{path}.isolators[{i}]")
    for k, v in app.user_annotations.items():
        h.add_user_annotation(k, v)
    for k, v in app.user_labels.items():
        h.add_user_label(k, v)
    return h


def _volume_to_handle(v: Volume, where: str) -> Any:
    v._checked(where)
    h = _appc.VolumeHandle.new(v.name, v.kind)
    if v.source:
        h.set_source(v.source)
    if v.read_only is not None:
        h.set_read_only(v.read_only)
    if v.recursive is not None:
        h.set_recursive(v.recursive)
    if v.mode is not None:
        h.set_mode(v.mode)
    if v.uid is not None:
        h.set_uid(_check_range(v.uid, _INT64_MIN, _INT64_MAX, where + ".uid"))
    if v.gid is not None:
        h.set_gid(_check_range(v.gid, _INT64_MIN, _INT64_MAX, where + ".gid"))
    return h


# ---------------------------------------------------------------------------
# Manifests

class _Manifest(_Record):
    """Shared behaviour: validate(), to_json(), equality of canonical JSON."""

    _kind = ""

    def _handle(self) -> Any:                     # pragma: no cover - overridden
        raise NotImplementedError

    def validate(self) -> None:
        """Check every rule of the spec; raise ValidationError listing every finding."""
        self._handle().validate()

    def is_valid(self) -> bool:
        try:
            self.validate()
        except ValidationError:
            return False
        return True

    def to_json(self, pretty: bool = False) -> str:
        """The canonical JSON text (fixed key order, absent fields omitted); with pretty,
        4-space indentation. Raises ValidationError when the manifest is not valid."""
        return self._handle().serialize(_bool_arg(pretty, "pretty"))

    @property
    def ac_kind(self) -> str:
        return self._kind

    @property
    def acKind(self) -> str:
        return self._kind

    def __eq__(self, other: Any) -> bool:
        """Manifests are equal when their canonical JSON is; a manifest that cannot be
        serialized (it is not valid) is compared field by field instead."""
        if type(other) is not type(self):
            return NotImplemented
        try:
            return self.to_json() == other.to_json()
        except ValidationError:
            return _Record.__eq__(self, other)

    __hash__ = None  # type: ignore[assignment]


def _bool_arg(v: Any, what: str) -> bool:
    if not isinstance(v, bool):
        raise TypeError(f"{what}: expected bool, got {type(v).__name__}")
    return v


def _spec_version() -> str:
    return _appc.spec_version()


class ImageManifest(_Manifest):
    """An image manifest (spec/aci.md). Build one from Python,

        m = appc.ImageManifest(name="example.com/app", labels={"version": "1.0.0"},
                               app=appc.App(exec=["/bin/app"], user="0", group="0"))

    or parse one with ImageManifest.parse(text). Fields are plain Python values
    that can be read and changed; validate() and to_json() hand them to libappc.
    """
    _kind = "ImageManifest"
    _fields = (
        _f("name", "name", _str, ""),
        _f("labels", "labels", _name_values(Label), lambda: NameValueList((), Label)),
        _f("app", "app", _opt_record(App), None),
        _f("dependencies", "dependencies", _record_list(Dependency), list),
        _f("path_whitelist", "pathWhitelist", _str_list, list),
        _f("annotations", "annotations", _name_values(Annotation),
           lambda: NameValueList((), Annotation)),
        _f("ac_version", "acVersion", _str, _spec_version),
    )

    @classmethod
    def parse(cls, text: Text, *, max_bytes: Optional[int] = None,
              max_depth: Optional[int] = None) -> "ImageManifest":
        """Parse and validate an image manifest (str or bytes).

        Raises ValidationError (every finding, with JSON path and checklist item)
        or LimitError (larger than max_bytes, default 16 MiB, or nested deeper than
        max_depth, default 64)."""
        h = _appc.ImageManifestHandle.parse(_as_bytes(text), **_limits(max_bytes, max_depth))
        return cls._from_handle(h)

    @classmethod
    def _from_handle(cls, h: Any) -> "ImageManifest":
        m = cls(
            name=h.name(), labels=h.labels(), annotations=h.annotations(),
            dependencies=[Dependency(name, id, labels, size)
                          for name, id, labels, size in h.dependencies()],
            path_whitelist=h.path_whitelist(), ac_version=h.ac_version(),
        )
        m.app = _app_from_handle(h.app())
        kind = h.ac_kind()
        if kind != cls._kind:  # the library's guarantee; a mismatch is a bug worth seeing
            raise RuntimeError(f"libappc returned acKind {kind!r} for an image manifest")
        return m

    def _handle(self) -> Any:
        self._checked("ImageManifest")
        b = _Builder()
        h = _appc.ImageManifestHandle.new(self.name)
        h.set_ac_version(self.ac_version)
        for name, value in self.labels:
            h.add_label(name, value)
        if self.app is not None:
            h.set_app(_app_to_handle(self.app, "ImageManifest.app", "app", b))
        for i, d in enumerate(self.dependencies):
            where = f"ImageManifest.dependencies[{i}]"
            d._checked(where)
            idx = h.add_dependency(d.image_name, d.image_id or None)
            for name, value in d.labels:
                h.dependency_add_label(idx, name, value)
            if d.size is not None:
                h.dependency_set_size(idx, _check_range(d.size, 0, _UINT64_MAX, where + ".size"))
        for p in self.path_whitelist:
            h.add_path_whitelist(p)
        for name, value in self.annotations:
            h.add_annotation(name, value)
        b.finish()
        return h


class PodManifest(_Manifest):
    """A pod manifest (spec/pods.md); same model as ImageManifest."""
    _kind = "PodManifest"
    _fields = (
        _f("apps", "apps", _record_list(RuntimeApp), list),
        _f("volumes", "volumes", _record_list(Volume), list),
        _f("isolators", "isolators", _record_list(Isolator), list),
        _f("annotations", "annotations", _name_values(Annotation),
           lambda: NameValueList((), Annotation)),
        _f("ports", "ports", _record_list(ExposedPort), list),
        _f("user_annotations", "userAnnotations", _str_map, _str_map_default),
        _f("user_labels", "userLabels", _str_map, _str_map_default),
        _f("ac_version", "acVersion", _str, _spec_version),
    )

    @classmethod
    def parse(cls, text: Text, *, max_bytes: Optional[int] = None,
              max_depth: Optional[int] = None) -> "PodManifest":
        """Parse and validate a pod manifest (str or bytes); errors as ImageManifest.parse."""
        h = _appc.PodManifestHandle.parse(_as_bytes(text), **_limits(max_bytes, max_depth))
        return cls._from_handle(h)

    @classmethod
    def _from_handle(cls, h: Any) -> "PodManifest":
        apps = []
        for a in h.apps():
            image_name, image_id, image_labels = a["image"]
            apps.append(RuntimeApp(
                name=a["name"], image=RuntimeImage(image_name, image_id, image_labels),
                app=_app_from_handle(a["app"]), read_only_root_fs=a["read_only_root_fs"],
                mounts=[Mount(vol, path, _volume_from_handle(av)) for vol, path, av in a["mounts"]],
                annotations=a["annotations"],
            ))
        ports = []
        for name, host_port, host_ip, pod_port in h.ports():
            ports.append(ExposedPort(name, host_port, host_ip,
                                     None if pod_port is None else Port(*pod_port)))
        p = cls(
            apps=apps, volumes=[_volume_from_handle(v) for v in h.volumes()],
            annotations=h.annotations(), ports=ports,
            user_annotations=dict(h.user_annotations()), user_labels=dict(h.user_labels()),
            ac_version=h.ac_version(),
        )
        p.isolators = [Isolator._from_json(name, value) for name, value in h.isolators()]
        kind = h.ac_kind()
        if kind != cls._kind:
            raise RuntimeError(f"libappc returned acKind {kind!r} for a pod manifest")
        return p

    def _handle(self) -> Any:
        self._checked("PodManifest")
        b = _Builder()
        h = _appc.PodManifestHandle.new()
        h.set_ac_version(self.ac_version)
        for i, a in enumerate(self.apps):
            where = f"PodManifest.apps[{i}]"
            a._checked(where)
            img = a.image._checked(where + ".image")
            idx = h.add_app(a.name, img.name or "", img.id or None)
            for name, value in img.labels:
                h.app_add_image_label(idx, name, value)
            if a.app is not None:
                h.app_set_override(idx, _app_to_handle(a.app, where + ".app", f"apps[{i}].app", b))
            if a.read_only_root_fs:
                h.app_set_read_only_root_fs(idx, True)
            for j, mnt in enumerate(a.mounts):
                w = f"{where}.mounts[{j}]"
                mnt._checked(w)
                av = None if mnt.app_volume is None else _volume_to_handle(mnt.app_volume, w + ".app_volume")
                h.app_add_mount(idx, mnt.volume, mnt.path, av)
            for name, value in a.annotations:
                h.app_add_annotation(idx, name, value)
        for i, v in enumerate(self.volumes):
            h.add_volume(_volume_to_handle(v, f"PodManifest.volumes[{i}]"))
        for i, iso in enumerate(self.isolators):
            iso._checked(f"PodManifest.isolators[{i}]")
            b.isolator(h.add_isolator, iso, f"isolators[{i}]")
        for name, value in self.annotations:
            h.add_annotation(name, value)
        for i, ep in enumerate(self.ports):
            where = f"PodManifest.ports[{i}]"
            ep._checked(where)
            idx = h.add_port(ep.name, _check_range(ep.host_port, _INT64_MIN, _INT64_MAX, where + ".host_port"),
                             ep.host_ip or None)
            if ep.pod_port is not None:
                pp = ep.pod_port._checked(where + ".pod_port")
                h.port_set_pod_port(idx, pp.name, pp.protocol,
                                    _check_range(pp.port, _INT64_MIN, _INT64_MAX, where + ".pod_port.port"),
                                    _check_range(pp.count, _INT64_MIN, _INT64_MAX, where + ".pod_port.count"),
                                    pp.socket_activated)
        for k, v in self.user_annotations.items():
            h.add_user_annotation(k, v)
        for k, v in self.user_labels.items():
            h.add_user_label(k, v)
        b.finish()
        return h


# ---------------------------------------------------------------------------
# Kind detection

_KINDS = {1: "ImageManifest", 2: "PodManifest"}


def detect_kind(text: Text) -> Optional[str]:
    """"ImageManifest", "PodManifest" or None, from the top-level acKind alone
    (nothing else is looked at or validated)."""
    return _KINDS.get(_appc.detect_kind(_as_bytes(text)))


def parse_manifest(text: Text, *, max_bytes: Optional[int] = None,
                   max_depth: Optional[int] = None) -> Union[ImageManifest, PodManifest]:
    """Parse an image or a pod manifest, whichever acKind says.

    A document of neither kind (not JSON, no acKind, another acKind) is parsed
    as an image manifest so that the library reports what is wrong with it
    (the JSON syntax error, or the acKind finding first)."""
    data = _as_bytes(text)
    cls = PodManifest if _appc.detect_kind(data) == 2 else ImageManifest
    return cls.parse(data, max_bytes=max_bytes, max_depth=max_depth)
