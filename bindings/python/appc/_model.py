"""Plain value objects for every schema type of appc 0.8.11.

These classes hold Python data only. Turning them into a manifest, checking
and serializing it happen in the C library: appc/_manifest.py walks these
objects and calls the C ABI's builder functions (through appc._appc), and
walks a parsed manifest with the C ABI's accessors to create them.

Every field is checked for its Python type when it is set (constructor or
assignment), and again when a manifest is built (lists may have been changed
in place); a wrong type raises TypeError naming the field. Values are not
checked against the spec here: that is the C library's job (.validate()).

Field names are snake_case; the JSON (camelCase) name of every field is an
alias: app.working_directory is app.workingDirectory.
"""

import json
from typing import Any, Callable, Dict, Iterable, List, NamedTuple, Optional

from . import _appc

__all__ = [
    "Label", "Annotation", "EnvVar", "NameValueList", "EventHandler", "MountPoint", "Port",
    "Isolator", "App", "Dependency", "Volume", "Mount", "RuntimeImage", "RuntimeApp",
    "ExposedPort", "Quantity",
]


# ---------------------------------------------------------------------------
# Type checks. Each takes the value and a description of where it goes
# ("App.user") and returns the value to store, or raises TypeError.

def _type_name(v: Any) -> str:
    return type(v).__name__


def _fail(where: str, expected: str, v: Any) -> TypeError:
    return TypeError(f"{where}: expected {expected}, got {_type_name(v)}")


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str):
        raise _fail(where, "str", v)
    return v


def _opt_str(v: Any, where: str) -> Optional[str]:
    return None if v is None else _str(v, where)


def _int(v: Any, where: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(where, "int", v)
    return v


def _opt_int(v: Any, where: str) -> Optional[int]:
    return None if v is None else _int(v, where)


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise _fail(where, "bool", v)
    return v


def _opt_bool(v: Any, where: str) -> Optional[bool]:
    return None if v is None else _bool(v, where)


def _iterable(v: Any, where: str, expected: str) -> Iterable:
    if isinstance(v, (str, bytes, dict)) or not hasattr(v, "__iter__"):
        raise _fail(where, expected, v)
    return v


def _str_list(v: Any, where: str) -> List[str]:
    return [_str(x, f"{where}[{i}]") for i, x in enumerate(_iterable(v, where, "a list of str"))]


def _int_list(v: Any, where: str) -> List[int]:
    return [_int(x, f"{where}[{i}]") for i, x in enumerate(_iterable(v, where, "a list of int"))]


def _str_map(v: Any, where: str) -> Dict[str, str]:
    """userAnnotations / userLabels: a JSON object of strings (order kept)."""
    if isinstance(v, dict):
        items = v.items()
    else:
        items = _iterable(v, where, "a dict of str to str")
    out: Dict[str, str] = {}
    for pair in items:
        if not isinstance(pair, tuple) or len(pair) != 2:
            raise _fail(where, "a dict of str to str", v)
        k, val = pair
        out[_str(k, f"{where} key")] = _str(val, f"{where}[{k!r}]")
    return out


def _record(cls: type) -> Callable[[Any, str], Any]:
    def check(v: Any, where: str) -> Any:
        if isinstance(v, cls):
            return v
        if isinstance(v, dict):          # the fields, by snake_case or JSON name
            return cls._from_dict(v, where)
        raise _fail(where, cls.__name__, v)
    check.__name__ = cls.__name__
    return check


def _opt_record(cls: type) -> Callable[[Any, str], Any]:
    inner = _record(cls)
    return lambda v, where: None if v is None else inner(v, where)


def _record_list(cls: type) -> Callable[[Any, str], list]:
    inner = _record(cls)

    def check(v: Any, where: str) -> list:
        it = _iterable(v, where, f"a list of {cls.__name__}")
        return [inner(x, f"{where}[{i}]") for i, x in enumerate(it)]
    return check


def _json_value(v: Any, where: str) -> Any:
    try:
        json.dumps(v, allow_nan=False)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{where}: not representable as JSON ({e})") from None
    return v


# ---------------------------------------------------------------------------
# Name/value pairs: labels, annotations, environment.

class Label(NamedTuple):
    """An image label: {"name": AC Identifier, "value": str} (spec 8)."""
    name: str
    value: str


class Annotation(NamedTuple):
    """An annotation: {"name": AC Identifier, "value": str} (spec 9)."""
    name: str
    value: str


class EnvVar(NamedTuple):
    """An app environment variable: {"name", "value"} (spec 11)."""
    name: str
    value: str


class NameValueList(list):
    """A list of Label / Annotation / EnvVar that can also be used like a dict.

    It is a list (document order kept; duplicates can be represented, so that
    validation can report them), and indexing with a str looks up a name:

        m.labels["version"]            -> "1.0.0"   (KeyError when absent)
        m.labels["os"] = "linux"       replaces the first "os" or appends
        "arch" in m.labels, m.labels.get("arch"), m.labels.to_dict()
    """

    item_type: type = Label

    def __init__(self, items: Iterable = (), item_type: type = Label, where: str = "labels"):
        self.item_type = item_type
        super().__init__(_pairs(items, item_type, where))

    def _find(self, name: str) -> int:
        for i, item in enumerate(self):
            if item[0] == name:
                return i
        return -1

    def __getitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            i = self._find(key)
            if i < 0:
                raise KeyError(key)
            return list.__getitem__(self, i)[1]
        return list.__getitem__(self, key)

    def __setitem__(self, key, value):  # type: ignore[override]
        if isinstance(key, str):
            item = self.item_type(key, _str(value, f"{self.item_type.__name__} {key!r}"))
            i = self._find(key)
            if i < 0:
                self.append(item)
            else:
                list.__setitem__(self, i, item)
            return
        list.__setitem__(self, key, value)

    def __delitem__(self, key):  # type: ignore[override]
        if isinstance(key, str):
            i = self._find(key)
            if i < 0:
                raise KeyError(key)
            key = i
        list.__delitem__(self, key)

    def __contains__(self, key) -> bool:  # type: ignore[override]
        if isinstance(key, str):
            return self._find(key) >= 0
        return list.__contains__(self, key)

    def __eq__(self, other) -> bool:  # type: ignore[override]
        if isinstance(other, dict):
            return len(self) == len(other) and self.to_dict() == other
        return list.__eq__(self, other)

    def __ne__(self, other) -> bool:  # type: ignore[override]
        return not self == other

    __hash__ = None  # type: ignore[assignment]

    def get(self, name: str, default: Optional[str] = None) -> Optional[str]:
        i = self._find(name)
        return default if i < 0 else list.__getitem__(self, i)[1]

    def names(self) -> List[str]:
        return [item[0] for item in self]

    def to_dict(self) -> Dict[str, str]:
        """{name: value}; with duplicate names the first one wins."""
        out: Dict[str, str] = {}
        for name, value in self:
            out.setdefault(name, value)
        return out

    def __repr__(self) -> str:
        return "[" + ", ".join(repr(x) for x in self) + "]"


def _pairs(v: Any, item_type: type, where: str) -> list:
    if isinstance(v, dict):
        v = v.items()
    it = _iterable(v, where, f"a dict or a list of {item_type.__name__}")
    out = []
    for i, x in enumerate(it):
        w = f"{where}[{i}]"
        if not isinstance(x, tuple) or len(x) != 2:
            raise _fail(w, f"{item_type.__name__} or a (name, value) pair", x)
        out.append(item_type(_str(x[0], f"{w}.name"), _str(x[1], f"{w}.value")))
    return out


def _name_values(item_type: type) -> Callable[[Any, str], NameValueList]:
    def check(v: Any, where: str) -> NameValueList:
        return NameValueList(v, item_type, where)
    return check


# ---------------------------------------------------------------------------
# Records with checked, aliased fields.

class _Field:
    __slots__ = ("name", "json", "check", "default")

    def __init__(self, name: str, json_name: str, check: Callable[[Any, str], Any],
                 default: Callable[[], Any]):
        self.name, self.json, self.check, self.default = name, json_name, check, default


def _f(name: str, json_name: str, check: Callable[[Any, str], Any], default: Any = None) -> _Field:
    return _Field(name, json_name, check, default if callable(default) else (lambda: default))


class _Record:
    """Base of the value classes: positional or keyword construction (snake_case or
    JSON names), type-checked assignment, equality field by field, a readable repr."""

    _fields: tuple = ()
    _by_name: Dict[str, _Field] = {}

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        by_name = {}
        for f in cls._fields:
            by_name[f.name] = f
            by_name[f.json] = f
        cls._by_name = by_name

    def __init__(self, *args, **kwargs):
        self._init(args, kwargs, type(self).__name__)

    def _init(self, args: tuple, kwargs: dict, where: str) -> None:
        cls = type(self)
        if len(args) > len(cls._fields):
            raise TypeError(f"{cls.__name__}() takes at most {len(cls._fields)} positional "
                            f"arguments ({len(args)} given)")
        values = {}
        for f, v in zip(cls._fields, args):
            values[f.name] = v
        for k, v in kwargs.items():
            f = cls._by_name.get(k) if isinstance(k, str) else None
            if f is None:
                raise TypeError(f"{cls.__name__}() got an unexpected keyword argument {k!r}")
            if f.name in values:
                raise TypeError(f"{cls.__name__}() got multiple values for argument {f.name!r}")
            values[f.name] = v
        for f in cls._fields:
            v = values[f.name] if f.name in values else f.default()
            object.__setattr__(self, f.name, f.check(v, f"{where}.{f.name}"))

    @classmethod
    def _from_dict(cls, d: dict, where: str) -> "_Record":
        """A record from a dict of its fields (snake_case or JSON names); errors name `where`."""
        obj = cls.__new__(cls)
        obj._init((), d, where)
        return obj

    def __setattr__(self, name: str, value: Any) -> None:
        f = type(self)._by_name.get(name)
        if f is None:
            if name.startswith("_"):
                object.__setattr__(self, name, value)
                return
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        object.__setattr__(self, f.name, f.check(value, f"{type(self).__name__}.{f.name}"))

    def __getattr__(self, name: str) -> Any:
        # Only reached when normal lookup fails: the JSON (camelCase) aliases.
        f = type(self)._by_name.get(name)
        if f is None:
            raise AttributeError(f"{type(self).__name__} has no field {name!r}")
        if f.name == name:               # a field not set yet (inside the constructor)
            raise AttributeError(name)
        return getattr(self, f.name)

    def _checked(self, where: str) -> "_Record":
        """Re-check every field (lists may have been changed in place)."""
        for f in type(self)._fields:
            object.__setattr__(self, f.name, f.check(getattr(self, f.name), f"{where}.{f.name}"))
        return self

    def _is_default(self, f: _Field) -> bool:
        return bool(getattr(self, f.name) == f.default())

    def __eq__(self, other: Any) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(getattr(self, f.name) == getattr(other, f.name) for f in type(self)._fields)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        parts = [f"{f.name}={getattr(self, f.name)!r}" for f in type(self)._fields
                 if not self._is_default(f)]
        return f"{type(self).__name__}({', '.join(parts)})"


class EventHandler(_Record):
    """An app event handler (spec 15): name is "pre-start" or "post-stop"."""
    _fields = (
        _f("name", "name", _str, ""),
        _f("exec", "exec", _str_list, list),
    )


class MountPoint(_Record):
    """An app mount point (spec 16)."""
    _fields = (
        _f("name", "name", _str, ""),
        _f("path", "path", _str, ""),
        _f("read_only", "readOnly", _bool, False),
    )


class Port(_Record):
    """An app port (spec 17); also a pod's podPort."""
    _fields = (
        _f("name", "name", _str, ""),
        _f("protocol", "protocol", _str, ""),
        _f("port", "port", _int, 0),
        _f("count", "count", _int, 1),
        _f("socket_activated", "socketActivated", _bool, False),
    )


class Quantity(NamedTuple):
    """A resource quantity as libappc reads it (spec 27): text as written ("500m",
    "1G"), milli = thousandths of the base unit, value = base units rounded up."""
    text: str
    milli: int
    value: int


# appc_isolator_kind values -> isolator names (checklist section 2).
_ISOLATOR_KINDS = {
    0: None, 1: "resource/cpu", 2: "resource/memory", 3: "resource/block-bandwidth",
    4: "resource/block-iops", 5: "resource/network-bandwidth",
    6: "os/linux/capabilities-retain-set", 7: "os/linux/capabilities-remove-set",
    8: "os/linux/no-new-privileges", 9: "os/linux/seccomp-remove-set",
    10: "os/linux/seccomp-retain-set", 11: "os/linux/selinux-context", 12: "os/unix/sysctl",
    13: "os/linux/cpu-shares", 14: "os/linux/oom-score-adj",
}


class Isolator(_Record):
    """An isolator (spec 6, 22-36): a name and a JSON value.

    value is the Python form of the JSON value (json.loads of the text the C
    library returns: dict, list, str, int, float, bool or None). The JSON text
    exactly as the library gave it is kept in .value_json until value is
    replaced, so an unchanged isolator goes back to the library unchanged.
    """
    _fields = (
        _f("name", "name", _str, ""),
        _f("value", "value", _json_value, None),
    )

    def __setattr__(self, name: str, value: Any) -> None:
        super().__setattr__(name, value)
        if name == "value":
            object.__setattr__(self, "_json", None)

    @property
    def value_json(self) -> str:
        """The value as JSON text."""
        j = self.__dict__.get("_json")
        return j if j is not None else json.dumps(self.value, allow_nan=False, ensure_ascii=False)

    def decoded(self) -> Dict[str, Any]:
        """The value as libappc decodes it for an app (the appc_isolator_* accessors):

            {"kind": "resource/memory", "limit": Quantity("1G", 1000000000000, 1000000000)}

        "kind" is None for an isolator libappc does not know (its value stays JSON).
        Other keys by kind: request/limit (Quantity), default (bool), set (list of str),
        errno (str or None), enabled (bool), user/role/type/level (str), entries
        (dict), int (int). Raises ValidationError when the value does not decode
        (paths start with "value")."""
        self._checked("Isolator")
        _, _, typed = _appc.decode_isolator(self.name, self.value_json)
        out: Dict[str, Any] = {"kind": _ISOLATOR_KINDS.get(typed.pop("kind"))}
        for k, v in typed.items():
            if k in ("request", "limit"):
                out[k] = Quantity(*v)
            elif k == "entries":
                out[k] = dict(v)
            else:
                out[k] = v
        return out

    @classmethod
    def _from_json(cls, name: str, text: str) -> "Isolator":
        iso = cls(name, json.loads(text))
        object.__setattr__(iso, "_json", text)
        return iso


def _str_map_default() -> Dict[str, str]:
    return {}


class App(_Record):
    """The app section of an image manifest, or a pod app's override (spec 11-18)."""
    _fields = (
        _f("exec", "exec", _str_list, list),
        _f("user", "user", _str, ""),
        _f("group", "group", _str, ""),
        _f("supplementary_gids", "supplementaryGIDs", _int_list, list),
        _f("working_directory", "workingDirectory", _opt_str, None),
        _f("environment", "environment", _name_values(EnvVar), lambda: NameValueList((), EnvVar)),
        _f("event_handlers", "eventHandlers", _record_list(EventHandler), list),
        _f("mount_points", "mountPoints", _record_list(MountPoint), list),
        _f("ports", "ports", _record_list(Port), list),
        _f("isolators", "isolators", _record_list(Isolator), list),
        _f("user_annotations", "userAnnotations", _str_map, _str_map_default),
        _f("user_labels", "userLabels", _str_map, _str_map_default),
    )


class Dependency(_Record):
    """An image dependency (spec 19)."""
    _fields = (
        _f("image_name", "imageName", _str, ""),
        _f("image_id", "imageID", _opt_str, None),
        _f("labels", "labels", _name_values(Label), lambda: NameValueList((), Label)),
        _f("size", "size", _opt_int, None),
    )


class Volume(_Record):
    """A pod volume (kind "host" or "empty"); also a mount's appVolume."""
    _fields = (
        _f("name", "name", _str, ""),
        _f("kind", "kind", _str, ""),
        _f("source", "source", _opt_str, None),
        _f("read_only", "readOnly", _opt_bool, None),
        _f("recursive", "recursive", _opt_bool, None),
        _f("mode", "mode", _opt_str, None),
        _f("uid", "uid", _opt_int, None),
        _f("gid", "gid", _opt_int, None),
    )


class Mount(_Record):
    """A pod app's mount: a volume name (or an inline appVolume) and a path."""
    _fields = (
        _f("volume", "volume", _str, ""),
        _f("path", "path", _str, ""),
        _f("app_volume", "appVolume", _opt_record(Volume), None),
    )


class RuntimeImage(_Record):
    """The image of a pod app: name, id (absent in a pod template) and labels."""
    _fields = (
        _f("name", "name", _opt_str, None),
        _f("id", "id", _opt_str, None),
        _f("labels", "labels", _name_values(Label), lambda: NameValueList((), Label)),
    )


class RuntimeApp(_Record):
    """An app of a pod manifest."""
    _fields = (
        _f("name", "name", _str, ""),
        _f("image", "image", _record(RuntimeImage), RuntimeImage),
        _f("app", "app", _opt_record(App), None),
        _f("read_only_root_fs", "readOnlyRootFS", _bool, False),
        _f("mounts", "mounts", _record_list(Mount), list),
        _f("annotations", "annotations", _name_values(Annotation),
           lambda: NameValueList((), Annotation)),
    )


class ExposedPort(_Record):
    """A pod port exposed on the host."""
    _fields = (
        _f("name", "name", _str, ""),
        _f("host_port", "hostPort", _int, 0),
        _f("host_ip", "hostIP", _opt_str, None),
        _f("pod_port", "podPort", _opt_record(Port), None),
    )
