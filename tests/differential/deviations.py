"""Documented deviations of libappc from the reference validator, as predicates.

libappc follows the appc 0.8.11 spec text where the reference (appc/spec Go
code, `actool validate`) and the text disagree (docs/conformance.md). Each rule
below is one such documented decision, written as a predicate over a manifest
document: it returns the JSON paths (libappc's path syntax, "app.ports[1].name")
where the document exhibits the deviation, or [] when it does not.

A disagreement between libappc and the reference is *expected* only when:

* libappc says invalid, the reference valid (direction OURS_STRICTER): at least
  one OURS_STRICTER rule holds and EVERY diagnostic libappc reported sits at
  (or above, or below) a path some holding rule found. A diagnostic elsewhere
  means libappc rejected the document for an undocumented reason.
* libappc says valid, the reference invalid (direction REF_STRICTER): at least
  one REF_STRICTER rule holds and, after each holding rule's repair (which
  removes exactly the deviating parts the way libappc reads them: libappc
  ignores what the repair removes), the reference accepts the document.

Anything else is a finding: a bug in libappc, or a deviation nobody documented.
"""

import math
import re

from jsonmodel import Obj, Num, raw_depth, parse

OURS_STRICTER = "ours-invalid/ref-valid"
REF_STRICTER = "ours-valid/ref-invalid"

# ---------------------------------------------------------------- value syntax

AC_IDENTIFIER = re.compile(r"[a-z0-9]+(?:[-._~/][a-z0-9]+)*\Z")
AC_NAME = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\Z")
IMAGE_ID = re.compile(r"sha512-[0-9a-f]{128}\Z")
_SEMVER = re.compile(
    r"(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)"
    r"(?:-((?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9][0-9]*|[0-9]*[a-zA-Z-][0-9a-zA-Z-]*))*))?"
    r"(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?\Z"
)
SPEC_VERSION = (0, 8, 11)
# Volume mode: an octal permission string of 1 to 4 digits like "0755"
# (spec/pods.md; docs/manifests.md).
VOLUME_MODE = re.compile(r"[0-7]{1,4}\Z")

KNOWN_ISOLATORS = (
    "resource/cpu",
    "resource/memory",
    "resource/block-bandwidth",
    "resource/block-iops",
    "resource/network-bandwidth",
    "os/linux/capabilities-retain-set",
    "os/linux/capabilities-remove-set",
    "os/linux/no-new-privileges",
    "os/linux/seccomp-remove-set",
    "os/linux/seccomp-retain-set",
    "os/linux/selinux-context",
    "os/unix/sysctl",
    "os/linux/cpu-shares",
    "os/linux/oom-score-adj",
)

MAX_DEPTH = 64  # appc::spec::ParseOptions::max_depth


def semver_within_spec(s):
    """Strict SemVer 2.0.0 and not newer than the spec version (0.8.11)."""
    m = _SEMVER.match(s)
    if not m:
        return False
    core = tuple(int(m.group(i)) for i in (1, 2, 3))
    if core != SPEC_VERSION:
        return core < SPEC_VERSION
    return True  # 0.8.11 itself, or a pre-release of it (which precedes it)


# ---------------------------------------------------------------- schema walk
#
# The schema as libappc reads it: exact, case-sensitive keys. A field type is a
# tag string, ("list", T) or ("obj", NAME).

L = lambda t: ("list", t)  # noqa: E731
O = lambda n: ("obj", n)  # noqa: E731

SCHEMA = {
    "image": {
        "acKind": "kind", "acVersion": "semver", "name": "ident", "labels": L(O("label")),
        "app": O("app"), "annotations": L(O("annotation")), "dependencies": L(O("dependency")),
        "pathWhitelist": L("str"),
    },
    "pod": {
        "acVersion": "semver", "acKind": "kind", "apps": L(O("runtime_app")), "volumes": L(O("volume")),
        "isolators": "isolators_pod", "annotations": L(O("pod_annotation")), "ports": L(O("exposed_port")),
        "userAnnotations": "map", "userLabels": "map",
    },
    "label": {"name": "ident", "value": "str"},
    "annotation": {"name": "ident", "value": "str"},
    "pod_annotation": {"name": "pod_annotation_name", "value": "str"},
    "app_annotation": {"name": "app_annotation_name", "value": "str"},
    "app": {
        "exec": L("str"), "eventHandlers": L(O("event_handler")), "user": "str", "group": "str",
        "supplementaryGIDs": L("gid"), "workingDirectory": "str", "environment": L(O("env")),
        "mountPoints": L(O("mount_point")), "ports": L(O("port")), "isolators": "isolators_app",
        "userAnnotations": "map", "userLabels": "map",
    },
    "event_handler": {"name": "str", "exec": L("str")},
    "env": {"name": "str", "value": "str"},
    "mount_point": {"name": "acname", "path": "str", "readOnly": "bool"},
    "port": {"name": "acname", "protocol": "str", "port": "uint", "count": "uint", "socketActivated": "bool"},
    "dependency": {"imageName": "ident", "imageID": "imageid", "labels": L(O("label")), "size": "uint"},
    "runtime_app": {
        "name": "acname", "image": O("runtime_image"), "app": O("app"), "readOnlyRootFS": "bool",
        "mounts": L(O("mount")), "annotations": L(O("app_annotation")),
    },
    "runtime_image": {"name": "ident", "id": "imageid", "labels": L(O("label"))},
    "mount": {"volume": "acname", "path": "str", "appVolume": O("volume")},
    "volume": {
        "name": "acname", "kind": "str", "source": "str", "readOnly": "bool", "recursive": "bool",
        "mode": "mode", "uid": "int", "gid": "int",
    },
    "exposed_port": {"name": "acname", "hostPort": "hostport", "hostIP": "str", "podPort": O("port")},
    "isolator": {"name": "ident", "value": "any"},
    # Values of known isolators that are JSON objects (the reference decodes
    # them into Go structs, so their keys are matched case-insensitively too).
    "iso_resource": {"default": "bool", "request": "quantity", "limit": "quantity"},
    "iso_caps": {"set": L("str")},
    "iso_seccomp": {"set": L("str"), "errno": "str"},
    "iso_selinux": {"user": "str", "role": "str", "type": "str", "level": "str"},
}

ISOLATOR_VALUE_SCHEMA = {
    "resource/cpu": "iso_resource", "resource/memory": "iso_resource",
    "resource/block-bandwidth": "iso_resource", "resource/block-iops": "iso_resource",
    "resource/network-bandwidth": "iso_resource",
    "os/linux/capabilities-retain-set": "iso_caps", "os/linux/capabilities-remove-set": "iso_caps",
    "os/linux/seccomp-remove-set": "iso_seccomp", "os/linux/seccomp-retain-set": "iso_seccomp",
    "os/linux/selinux-context": "iso_selinux",
}

# Fields the spec text requires that the reference never checks on decode
# (a missing plain string is "" for Go, a missing list nil, a missing ACName
# is never unmarshalled). Per object type: field -> also_empty (a present but
# empty string / null counts as missing: true for Go plain strings, whose null
# and "" decode to the same zero value as absence).
REQUIRED_UNCHECKED_BY_REF = {
    "mount_point": {"name": False, "path": True},
    "port": {"name": False, "protocol": True},
    "pod": {"apps": True, "acVersion": False},
    "runtime_app": {"name": False},
    "mount": {"volume": False, "path": True},
    "exposed_port": {"name": False},
}


def join(path, key):
    return key if not path else path + "." + key


def go_fold(s):
    """Go encoding/json key folding (fold.go): ASCII case-insensitive, plus
    U+017F (long s) ~ 's' and U+212A (Kelvin) ~ 'k'."""
    return s.replace("\u017f", "s").replace("\u212a", "k").translate(_ASCII_LOWER)


_ASCII_LOWER = {c: c + 32 for c in range(ord("A"), ord("Z") + 1)}


class Walk:
    """Everything the predicates look at, collected in one pass."""

    def __init__(self, doc):
        self.doc = doc
        self.kind = None
        self.typed = []            # (path, tag, value) for every schema scalar present
        self.missing = []          # (path, objtype, field) for required-but-absent fields
        self.schema_objects = []   # (path, Obj, objtype)
        self.isolator_lists = []   # (path, scope, list)
        self.pod_port_lists = []   # (path, list)
        self.all_objects = []      # (path, Obj) for every object anywhere
        if isinstance(doc, Obj):
            self.kind = _kind_of(doc)
            if self.kind:
                self._obj(doc, self.kind, "")
        self._every_object(doc, "")

    def _every_object(self, node, path):
        stack = [(node, path)]
        while stack:
            n, p = stack.pop()
            if isinstance(n, Obj):
                self.all_objects.append((p, n))
                stack.extend((v, join(p, k)) for k, v in n.items)
            elif isinstance(n, list):
                stack.extend((v, "%s[%d]" % (p, i)) for i, v in enumerate(n))

    def _obj(self, node, objtype, path):
        if not isinstance(node, Obj):
            return
        fields = SCHEMA[objtype]
        self.schema_objects.append((path, node, objtype))
        for key, val in node.items:
            if key in fields:
                self._value(val, fields[key], join(path, key), objtype)
        for field, also_empty in REQUIRED_UNCHECKED_BY_REF.get(objtype, {}).items():
            vals = node.get_all(field)
            if not vals or (also_empty and any(v is None or v == "" for v in vals)):
                self.missing.append((join(path, field), objtype, field))

    def _value(self, val, t, path, parent_type):
        if isinstance(t, tuple):
            if t[0] == "list":
                if isinstance(val, list):
                    if parent_type == "pod" and path == "ports":
                        self.pod_port_lists.append((path, val))
                    for i, x in enumerate(val):
                        self._value(x, t[1], "%s[%d]" % (path, i), parent_type)
            else:
                self._obj(val, t[1], path)
        elif t in ("isolators_app", "isolators_pod"):
            if isinstance(val, list):
                scope = "app" if t == "isolators_app" else "pod"
                self.isolator_lists.append((path, scope, val))
                for i, iso in enumerate(val):
                    ipath = "%s[%d]" % (path, i)
                    self._obj(iso, "isolator", ipath)
                    if isinstance(iso, Obj):
                        name = iso.get("name")
                        vt = ISOLATOR_VALUE_SCHEMA.get(name) if isinstance(name, str) else None
                        if vt:
                            for v in iso.get_all("value"):
                                self._obj(v, vt, join(ipath, "value"))
        else:
            self.typed.append((path, t, val))

    def of(self, tag):
        return [(p, v) for p, t, v in self.typed if t == tag]


def _kind_of(doc):
    """The manifest kind as libappc reads it (exact "acKind"), else as the
    reference reads it (case-folded key, last one wins)."""
    vals = doc.get_all("acKind")
    if not vals:
        vals = [v for k, v in doc.items if go_fold(k) == "ackind"]
    kind = vals[-1] if vals else None
    return {"ImageManifest": "image", "PodManifest": "pod"}.get(kind) if isinstance(kind, str) else None


# ---------------------------------------------------------------- the rules

class Rule:
    def __init__(self, rid, direction, text, predicate, repair=None, spec=""):
        self.id = rid
        self.direction = direction
        self.text = text
        self.predicate = predicate   # Walk -> [paths]
        self.repair = repair         # (Walk) -> None, mutates walk.doc (REF_STRICTER rules)
        self.spec = spec


def _strings_failing(w, tag, regex):
    return [p for p, v in w.of(tag) if isinstance(v, str) and not regex.match(v)]


def p_ac_identifier(w):
    return _strings_failing(w, "ident", AC_IDENTIFIER)


def p_ac_name(w):
    return _strings_failing(w, "acname", AC_NAME)


def p_semver(w):
    return [p for p, v in w.of("semver") if isinstance(v, str) and not semver_within_spec(v)]


def p_image_id(w):
    return _strings_failing(w, "imageid", IMAGE_ID)


def p_unknown_isolator_in_app(w):
    out = []
    for path, scope, lst in w.isolator_lists:
        if scope != "app":
            continue
        for i, iso in enumerate(lst):
            if isinstance(iso, Obj):
                names = iso.get_all("name")
                if names and all(isinstance(n, str) and n not in KNOWN_ISOLATORS for n in names):
                    out.append("%s[%d]" % (path, i))
    return out


def r_unknown_isolator_in_app(w):
    for path, scope, lst in w.isolator_lists:
        if scope != "app":
            continue
        lst[:] = [iso for iso in lst
                  if not (isinstance(iso, Obj) and iso.get_all("name")
                          and all(isinstance(n, str) and n not in KNOWN_ISOLATORS for n in iso.get_all("name")))]


def p_caps_retain_and_remove(w):
    out = []
    for path, scope, lst in w.isolator_lists:
        names = set()
        for iso in lst:
            if isinstance(iso, Obj):
                names.update(n for n in iso.get_all("name") if isinstance(n, str))
        if {"os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set"} <= names:
            out.append(path)
    return out


def p_required(w):
    return [p for p, _, _ in w.missing]


def p_gid_unsigned(w):
    out = []
    for p, v in w.of("gid"):
        if isinstance(v, Num) and v.is_integer_literal() and v.int_value() < 0:
            out.append(p)
    return out


def p_host_port(w):
    out = []
    for path, obj, objtype in w.schema_objects:
        if objtype != "exposed_port":
            continue
        vals = obj.get_all("hostPort")
        if not vals:
            out.append(join(path, "hostPort"))
        for v in vals:
            if isinstance(v, Num) and v.is_integer_literal() and not (1 <= v.int_value() <= 65535):
                out.append(join(path, "hostPort"))
            elif v is None:
                out.append(join(path, "hostPort"))
    return out


def p_pod_port_names_unique(w):
    out = []
    for path, lst in w.pod_port_lists:
        seen = {}
        for i, port in enumerate(lst):
            if not isinstance(port, Obj):
                continue
            for n in port.get_all("name"):
                if isinstance(n, str):
                    if n in seen:
                        out.append("%s[%d].name" % (path, i))
                    seen.setdefault(n, i)
    return out


def p_volume_mode(w):
    return _strings_failing(w, "mode", VOLUME_MODE)


def p_pod_annotation_name(w):
    return _strings_failing(w, "pod_annotation_name", AC_NAME) + _strings_failing(w, "app_annotation_name", AC_NAME)


def _case_variant_keys(w):
    """(path of the field it shadows, parent Obj, key) for every key of a
    schema object that is not one of its fields but folds to one the way Go
    matches keys."""
    out = []
    for path, obj, objtype in w.schema_objects:
        fields = SCHEMA[objtype]
        folded = {go_fold(f): f for f in fields}
        if objtype in ("image", "pod"):
            folded.update({"ackind": "acKind", "acversion": "acVersion"})
        for k, _ in obj.items:
            if k not in fields and go_fold(k) in folded:
                field = folded[go_fold(k)]
                # Without an exact "acKind" libappc cannot tell the kind the
                # reference sees: every finding follows from that (path "").
                if path == "" and field == "acKind" and not obj.has("acKind"):
                    out.append(("", obj, k))
                elif re.search(r"\[\d+\]$", path):
                    # A list element (label, isolator, port...): the field the
                    # reference reads instead can change list-wide checks (os
                    # and arch, unique names, isolator combinations) and, for
                    # an isolator name, how its value is read. As for repeated
                    # keys, the path is the list's.
                    out.append((re.sub(r"\[\d+\]$", "", path), obj, k))
                else:
                    out.append((join(path, field), obj, k))
    # The top-level kind as Go's schema.Kind reads it, even when the kind is
    # unknown to both (so the walk did not enter the root object).
    if isinstance(w.doc, Obj) and not any(p == "" for p, _, _ in w.schema_objects):
        for k, _ in w.doc.items:
            if go_fold(k) in ("ackind", "acversion") and k not in ("acKind", "acVersion"):
                out.append(("" if go_fold(k) == "ackind" and not w.doc.has("acKind") else
                            {"ackind": "acKind", "acversion": "acVersion"}[go_fold(k)], w.doc, k))
    return out


def p_case_sensitive_keys(w):
    return [p for p, _, _ in _case_variant_keys(w)]


def r_case_sensitive_keys(w):
    for _, obj, key in _case_variant_keys(w):
        obj.remove(key)


def p_duplicate_keys(w):
    # Which of the repeated values applies is implementation-defined (libappc
    # keeps the first, Go the last), so findings that follow from the choice
    # are consequences of the repetition: the path is the object's, or, for an
    # element of a list, the list's (list-wide rules: unique names, os/arch).
    out = []
    for path, obj in w.all_objects:
        keys = obj.keys()
        if len(set(keys)) != len(keys):
            out.append(re.sub(r"\[\d+\]$", "", path))
    return out


# ---- further decisions of docs/manifests.md and docs/conformance.md

# Members libappc requires (docs/manifests.md, "Rules" and "Always written").
REQUIRED_MEMBERS = {
    "image": ("acKind", "acVersion", "name"), "pod": ("acVersion", "acKind", "apps"), "app": ("user", "group"),
    "runtime_app": ("name", "image"), "label": ("name", "value"), "annotation": ("name", "value"),
    "pod_annotation": ("name", "value"), "app_annotation": ("name", "value"), "env": ("name", "value"),
    "event_handler": ("name",), "mount_point": ("name", "path"), "port": ("name", "protocol", "port"),
    "dependency": ("imageName",), "volume": ("name", "kind"), "mount": ("volume", "path"),
    "exposed_port": ("name", "hostPort"), "isolator": ("name", "value"),
}
# Of those, the ones the reference never checks when absent (beyond the
# brief's list in REQUIRED_UNCHECKED_BY_REF): names and values of labels,
# annotations and environment entries, and a pod app's image.
REQUIRED_ABSENT_RULE = {
    "label": ("name", "value"), "annotation": ("name", "value"), "pod_annotation": ("name", "value"),
    "app_annotation": ("name", "value"), "env": ("name", "value"), "runtime_app": ("image",),
}
IPV4_DOTTED_QUAD = re.compile(r"(?:(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\.){3}"
                              r"(?:25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])\Z")
LEAP_SECOND = re.compile(r"([0-9]{4}-[0-9]{2}-[0-9]{2}[T][0-9]{2}:[0-9]{2}:)60((?:\.[0-9]+)?(?:Z|[+-][0-9]{2}:[0-9]{2}))\Z")


def is_http_url(s):
    """libappc's check (lib/spec/identifiers.cpp, http_url_fault): http or
    https (any case), "://", no space or control character, every '%' a
    percent-encoding; an RFC 3986 authority: userinfo of unreserved,
    sub-delims, ':' and %XX; a host that is an IPv6 literal in brackets or a
    non-empty reg-name (unreserved, sub-delims, non-ASCII text, %XX of bytes
    80-FF); a port of digits."""
    low = s.lower()
    if low.startswith("https://"):
        start = 8
    elif low.startswith("http://"):
        start = 7
    else:
        return False
    if any(ord(c) <= 0x20 or ord(c) == 0x7F for c in s) or BAD_PERCENT.search(s):
        return False
    authority = re.split(r"[/?#]", s[start:], maxsplit=1)[0]
    userinfo, at, hostport = authority.rpartition("@")
    if at and not URL_USERINFO.match(userinfo):
        return False
    m = URL_IP_LITERAL.match(hostport) if hostport.startswith("[") else URL_REG_NAME.match(hostport)
    return bool(m) and URL_PORT.match(hostport[m.end():]) is not None


# A '%' that does not start "%" HEXDIG HEXDIG (RFC 3986 section 2.1).
BAD_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
URL_USERINFO = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=:]|%[0-9A-Fa-f]{2})*\Z")
URL_REG_NAME = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=]|[^\x00-\x7f]|%[89A-Fa-f][0-9A-Fa-f])+")
URL_IP_LITERAL = re.compile(r"\[[0-9A-Fa-f.]*:[0-9A-Fa-f:.]*(?:%25[A-Za-z0-9\-._~]+)?\]")
URL_PORT = re.compile(r"(?::[0-9]*)?\Z")


def _members(w, objtypes):
    for path, obj, objtype in w.schema_objects:
        if objtype in objtypes:
            yield path, obj, objtype


def p_required_member(w):
    out = []
    for path, obj, objtype in w.schema_objects:
        for f in REQUIRED_MEMBERS.get(objtype, ()):
            vals = obj.get_all(f)
            if (vals and all(v is None for v in vals)) or (not vals and f in REQUIRED_ABSENT_RULE.get(objtype, ())):
                out.append(join(path, f))
    return out


def p_null_list_element(w):
    out = []
    stack = [(w.doc, "")]
    while stack:
        n, p = stack.pop()
        if isinstance(n, Obj):
            stack.extend((v, join(p, k)) for k, v in n.items)
        elif isinstance(n, list):
            for i, v in enumerate(n):
                ip = "%s[%d]" % (p, i)
                if v is None:
                    out.append(ip)
                stack.append((v, ip))
    return out


def p_null_map_value(w):
    out = []
    for p, v in w.of("map"):
        if isinstance(v, Obj):
            out.extend(join(p, k) for k, x in v.items if x is None)
    return out


def p_nul_in_string(w):
    out = []
    stack = [(w.doc, "")]
    while stack:
        n, p = stack.pop()
        if isinstance(n, Obj):
            for k, v in n.items:
                if "\x00" in k:
                    out.append(join(p, k))
                stack.append((v, join(p, k)))
        elif isinstance(n, list):
            stack.extend((v, "%s[%d]" % (p, i)) for i, v in enumerate(n))
        elif isinstance(n, str) and "\x00" in n:
            out.append(p)
    return out


def _int(v):
    return v.int_value() if isinstance(v, Num) else None


def p_integer_ranges(w):
    out = []
    for p, v in w.of("gid"):
        if _int(v) is not None and _int(v) > 0xFFFFFFFF:
            out.append(p)
    for path, obj, _ in _members(w, ("volume",)):
        for f in ("uid", "gid"):
            for v in obj.get_all(f):
                if _int(v) is not None and not (-(1 << 31) <= _int(v) <= 0xFFFFFFFF):
                    out.append(join(path, f))
    for path, obj, _ in _members(w, ("port",)):
        ports = [_int(v) for v in obj.get_all("port")]
        for v in obj.get_all("count"):
            c = _int(v)
            if c is None:
                continue
            if not (1 <= c <= 65535) or any(pt is not None and 1 <= pt <= 65535 and pt + c - 1 > 65535
                                               for pt in ports):
                out.append(join(path, "count"))
    return out


def _annotation_values(w, name):
    for path, obj, _ in _members(w, ("annotation", "pod_annotation", "app_annotation")):
        names = obj.get_all("name")
        if names and names[0] == name:
            for v in obj.get_all("value")[:1]:
                if isinstance(v, str):
                    yield join(path, "value"), obj, v


def p_http_url(w):
    return [p for name in ("homepage", "documentation") for p, _, v in _annotation_values(w, name)
            if not is_http_url(v)]


def p_systemd_notify(w):
    return [p for p, _, v in _annotation_values(w, "appc.io/executor/supports-systemd-notify")
            if v not in ("true", "false")]


def p_host_ip(w):
    out = []
    for path, obj, _ in _members(w, ("exposed_port",)):
        for v in obj.get_all("hostIP"):
            if isinstance(v, str) and not IPV4_DOTTED_QUAD.match(v):
                out.append(join(path, "hostIP"))
    return out


def p_path_whitelist(w):
    out = []
    for path, obj, _ in _members(w, ("image",)):
        for lst in obj.get_all("pathWhitelist"):
            for i, v in enumerate(lst if isinstance(lst, list) else []):
                if isinstance(v, str) and not v.startswith("/"):
                    out.append("%s[%d]" % (join(path, "pathWhitelist"), i))
    return out


def p_working_directory(w):
    return [join(path, "workingDirectory") for path, obj, _ in _members(w, ("app",))
            if "" in [v for v in obj.get_all("workingDirectory") if isinstance(v, str)]]


def p_leap_second(w):
    return [p for p, _, v in _annotation_values(w, "created") if LEAP_SECOND.match(v)]


def r_leap_second(w):
    for _, obj, v in _annotation_values(w, "created"):
        m = LEAP_SECOND.match(v)
        if m:
            for item in obj.items:
                if item[0] == "value" and item[1] == v:
                    item[1] = m.group(1) + "59" + m.group(2)


# Go 1.19's time.Parse(time.RFC3339, s), which the reference's Date uses, is
# laxer than RFC 3339 section 5.6 in four ways (time/format.go): a one-digit
# hour (stdHour takes 1 or 2 digits), seconds left out before a fraction (the
# error of the seconds is overwritten by the fraction's), a comma before the
# fraction, and offset hours and minutes of any two characters atoi reads
# ("+25:00", "+99:99", "-+1:-5"). This matches what it accepts.
_GO_RFC3339 = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{1,2}):([0-9]{2}):([0-9]{2})?(?:([.,])[0-9]+)?"
                         r"(?:Z|[+-]([0-9]{2}|[+-][0-9]):([0-9]{2}|[+-][0-9]))\Z")
_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def _go_lax_timestamp(s):
    """True when Go 1.19 accepts `s` as RFC 3339 only through one of its four
    laxities (libappc's RFC 3339 check refuses all of them)."""
    m = _GO_RFC3339.match(s)
    if not m or (m.group(6) is None and m.group(7) is None):
        return False
    year, month, day, hour, minute = (int(m.group(i)) for i in range(1, 6))
    second = int(m.group(6) or 0)
    if not 1 <= month <= 12 or hour > 23 or minute > 59 or second > 59:
        return False
    leap = (year % 4 == 0 and year % 100 != 0) or year % 400 == 0
    if not 1 <= day <= _DAYS[month - 1] + (1 if month == 2 and leap else 0):
        return False
    offset = [m.group(8), m.group(9)] if m.group(8) is not None else []
    return (len(m.group(4)) == 1 or m.group(6) is None or m.group(7) == ","
            or any(not f.isdigit() for f in offset) or bool(offset and (int(offset[0]) > 23 or int(offset[1]) > 59)))


def p_created_rfc3339(w):
    return [p for p, _, v in _annotation_values(w, "created") if _go_lax_timestamp(v)]


def p_errno_name(w):
    out = []
    for _, _, _, ip, name, v in _isolators(w):
        if name in ("os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set") and isinstance(v, Obj):
            for e in v.get_all("errno")[:1]:
                if isinstance(e, str) and e != "" and not ERRNO_NAME.match(e):
                    out.append(join(join(ip, "value"), "errno"))
    return out


ERRNO_NAME = re.compile(r"E[A-Z0-9]+\Z")

# Fields the reference decodes as Go uint (port, count, hostPort, size): its
# strconv.ParseUint refuses "-0", which libappc reads as the integer 0.
UNSIGNED_FIELDS = {"port": ("port", "count"), "exposed_port": ("hostPort",), "dependency": ("size",)}


def _minus_zero_items(w):
    for path, obj, objtype in _members(w, tuple(UNSIGNED_FIELDS)):
        for item in obj.items:
            if item[0] in UNSIGNED_FIELDS[objtype] and isinstance(item[1], Num) and item[1].raw == "-0":
                yield join(path, item[0]), item


def p_unsigned_minus_zero(w):
    return [p for p, _ in _minus_zero_items(w)]


def r_unsigned_minus_zero(w):
    for _, item in _minus_zero_items(w):
        item[1] = Num("0")


def p_null_image_id(w):
    return [join(path, "id") for path, obj, _ in _members(w, ("runtime_image",)) if None in obj.get_all("id")]


def r_null_image_id(w):
    for _, obj, _ in _members(w, ("runtime_image",)):
        obj.items = [item for item in obj.items if not (item[0] == "id" and item[1] is None)]


def _number_too_big(raw):
    """True when libappc's parser (lib/spec/json_dom.cpp) refuses the number
    text with kParseErrorNumberTooBig: its value, correctly rounded to a
    double (as Python's float() rounds), is infinite. A zero with any
    exponent (0e400) is 0; a value too small for a double reads as 0."""
    if not re.fullmatch(r"-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?", raw):
        return False
    return math.isinf(float(raw))


def p_number_too_big(w):
    out = []
    stack = [(w.doc, "")]
    while stack:
        n, p = stack.pop()
        if isinstance(n, Obj):
            stack.extend((v, join(p, k)) for k, v in n.items)
        elif isinstance(n, list):
            stack.extend((v, "%s[%d]" % (p, i)) for i, v in enumerate(n))
        elif isinstance(n, Num) and _number_too_big(n.raw):
            out.append(p)
    return out


# A \u escape, or any other escape (consumed whole, so that the backslash of
# "\\" does not start one): matched left to right, escape after escape.
_ESCAPE = re.compile(rb"\\(?:u([0-9A-Fa-f]{4})|.)", re.S)


def lone_surrogate_paths(data):
    """docs/conformance.md: a \\uD800-\\uDFFF escape that is not half of a
    high-low pair (written back to back) is refused; Go reads it as U+FFFD."""
    pending = None   # end of a high-surrogate escape whose low half must follow
    for m in _ESCAPE.finditer(data):
        cp = int(m.group(1), 16) if m.group(1) else -1
        if pending is not None:
            if m.start() != pending or not 0xDC00 <= cp <= 0xDFFF:
                return [""]
            pending = None
        elif 0xD800 <= cp <= 0xDBFF:
            pending = m.end()
        elif 0xDC00 <= cp <= 0xDFFF:
            return [""]
    return [""] if pending is not None else []


def utf8_rule_paths(data):
    """docs/manifests.md, Parsing 2: the text must be well-formed UTF-8 (no
    overlong forms, no encoded surrogates, nothing above U+10FFFF) without
    NUL bytes; the reference reads bad bytes as U+FFFD."""
    try:
        data.decode("utf-8", errors="strict")
    except UnicodeDecodeError:
        return [""]
    return [""] if b"\x00" in data else []


# ---- isolators (docs/isolators.md, "Differences from the reference")

APP_ONLY_ISOLATORS = (
    "os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set", "os/linux/no-new-privileges",
    "os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set", "os/linux/cpu-shares", "os/linux/oom-score-adj",
)
# Isolators allowed once per list; both seccomp sets count as one kind.
ONCE_GROUP = {
    "os/linux/capabilities-retain-set": "caps-retain", "os/linux/capabilities-remove-set": "caps-remove",
    "os/linux/seccomp-remove-set": "seccomp", "os/linux/seccomp-retain-set": "seccomp",
    "os/linux/selinux-context": "selinux", "os/unix/sysctl": "sysctl", "os/linux/cpu-shares": "cpu-shares",
    "os/linux/oom-score-adj": "oom-score-adj",
}
BANDWIDTH_ISOLATORS = ("resource/block-bandwidth", "resource/block-iops", "resource/network-bandwidth")
RESOURCE_ISOLATORS = ("resource/cpu", "resource/memory") + BANDWIDTH_ISOLATORS
CAPABILITY_NAME = re.compile(r"CAP_[A-Z0-9_]+\Z")
SYSCALL_NAME = re.compile(r"[a-z_][a-z0-9_]*\Z")
WILDCARD = re.compile(r"@[a-z0-9._~-]+(?:/[a-z0-9._~-]+)+\Z")
SYSCTL_NAME = re.compile(r"[A-Za-z0-9_-]+(?:[./][A-Za-z0-9_-]+)*\Z")
QUANTITY_EXPONENT = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)[eE]([+-]?[0-9]+)\Z")
QUANTITY_K = re.compile(r"[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)K\Z")


def _isolators(w):
    """(scope, list path, index, path, name, value) for each isolator object;
    name and value as libappc reads them (the first of repeated keys)."""
    for path, scope, lst in w.isolator_lists:
        for i, iso in enumerate(lst):
            if not isinstance(iso, Obj):
                continue
            names, values = iso.get_all("name"), iso.get_all("value")
            name = names[0] if names and isinstance(names[0], str) else None
            yield scope, path, i, "%s[%d]" % (path, i), name, (values[0] if values else None)


def p_app_only_isolator_in_pod(w):
    return [ip for scope, _, _, ip, name, _ in _isolators(w) if scope == "pod" and name in APP_ONLY_ISOLATORS]


def p_isolator_once(w):
    out, seen = [], set()
    for _, lpath, _, ip, name, _ in _isolators(w):
        g = ONCE_GROUP.get(name)
        if g:
            if (lpath, g) in seen:
                out.append(ip)
            seen.add((lpath, g))
    return out


def p_bandwidth_limit_required(w):
    return [join(ip, "value") for _, _, _, ip, name, v in _isolators(w)
            if name in BANDWIDTH_ISOLATORS and isinstance(v, Obj) and all(x is None for x in v.get_all("limit"))]


def _quantities(w):
    for _, _, _, ip, name, v in _isolators(w):
        if name in RESOURCE_ISOLATORS and isinstance(v, Obj):
            for key in ("request", "limit"):
                for q in v.get_all(key):
                    yield join(join(ip, "value"), key), q


def p_quantity_strict(w):
    out = []
    for p, q in _quantities(w):
        if isinstance(q, str):
            t = q.strip()
            if q != t or t.startswith("-") or not any("0" <= c <= "9" for c in t):
                out.append(p)
        elif isinstance(q, Num) and q.raw.startswith("-"):
            out.append(p)
    return out


def p_isolator_value_syntax(w):
    out = []
    for _, _, _, ip, name, v in _isolators(w):
        vp = join(ip, "value")
        if not isinstance(v, Obj):
            continue
        if name in ("os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set"):
            for lst in v.get_all("set")[:1]:
                for j, e in enumerate(lst if isinstance(lst, list) else []):
                    if isinstance(e, str) and not CAPABILITY_NAME.match(e):
                        out.append("%s.set[%d]" % (vp, j))
        elif name in ("os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set"):
            for lst in v.get_all("set")[:1]:
                for j, e in enumerate(lst if isinstance(lst, list) else []):
                    if not isinstance(e, str):
                        continue
                    if not e.startswith("@"):
                        bad = not SYSCALL_NAME.match(e)
                    else:
                        bad = not WILDCARD.match(e) or (e.startswith("@appc.io/")
                                                         and e not in ("@appc.io/all", "@appc.io/empty"))
                    if bad:
                        out.append("%s.set[%d]" % (vp, j))
        elif name == "os/linux/selinux-context":
            for f in ("user", "role", "type", "level"):
                for x in v.get_all(f)[:1]:
                    if isinstance(x, str) and any(ord(c) < 0x20 or ord(c) == 0x7F for c in x):
                        out.append(join(vp, f))
        elif name == "os/unix/sysctl":
            for k, x in v.items:
                if not SYSCTL_NAME.match(k) or x is None or (isinstance(x, str) and "\x00" in x):
                    out.append(join(vp, k))
    return out


def p_isolator_fields_required(w):
    out = []
    for path, _, lst in w.isolator_lists:
        for i, iso in enumerate(lst):
            if isinstance(iso, Obj):
                for f in ("name", "value"):
                    if all(v is None for v in iso.get_all(f)):
                        out.append("%s[%d].%s" % (path, i, f))
    return out


def _k_suffix_quantities(w):
    return [(p, q) for p, q in _quantities(w) if isinstance(q, str) and QUANTITY_K.match(q)]


def p_quantity_k_suffix(w):
    return [p for p, _ in _k_suffix_quantities(w)]


def r_quantity_k_suffix(w):
    for _, _, _, _, name, v in _isolators(w):
        if name in RESOURCE_ISOLATORS and isinstance(v, Obj):
            for item in v.items:
                if item[0] in ("request", "limit") and isinstance(item[1], str) and QUANTITY_K.match(item[1]):
                    item[1] = item[1][:-1] + "k"


def _huge_exponent(q):
    m = QUANTITY_EXPONENT.match(q) if isinstance(q, str) else None
    return bool(m) and not (-(1 << 63) <= int(m.group(1)) < (1 << 63))


def p_quantity_exponent_overflow(w):
    return [p for p, q in _quantities(w) if _huge_exponent(q)]


def r_quantity_exponent_overflow(w):
    for _, _, _, _, name, v in _isolators(w):
        if name in RESOURCE_ISOLATORS and isinstance(v, Obj):
            for item in v.items:
                if item[0] in ("request", "limit") and _huge_exponent(item[1]):
                    item[1] = "1"


RULES = [
    Rule("ac-identifier-strict", OURS_STRICTER,
         "an AC Identifier (image/label/isolator/annotation/dependency/pod image name) does not match "
         "^[a-z0-9]+([-._~/][a-z0-9]+)*$ (the reference only checks charset and edges)",
         p_ac_identifier, spec="1"),
    Rule("ac-name-strict", OURS_STRICTER,
         "an AC Name (pod app, volume, mountPoint, port, mount volume name) does not match "
         "^[a-z0-9]+(-[a-z0-9]+)*$ (the reference only checks charset and edges)",
         p_ac_name, spec="2"),
    Rule("semver-strict", OURS_STRICTER,
         "acVersion is not a SemVer 2.0.0 string <= 0.8.11 (the reference accepts leading zeros and any "
         "newer version)",
         p_semver, spec="4"),
    Rule("image-id-strict", OURS_STRICTER,
         "an image ID (dependencies[].imageID, apps[].image.id) is not sha512-<128 lowercase hex> (the "
         "reference checks only the 'sha512-' prefix and a non-empty value)",
         p_image_id, spec="5"),
    Rule("unknown-isolator-valid", REF_STRICTER,
         "an app-scope isolator has a name libappc does not know: valid everywhere (an executor MAY ignore "
         "it); the reference rejects unknown names inside an app",
         p_unknown_isolator_in_app, r_unknown_isolator_in_app, spec="22"),
    Rule("caps-retain-and-remove", OURS_STRICTER,
         "one isolator list holds both os/linux/capabilities-retain-set and -remove-set (the reference "
         "accepts the combination)",
         p_caps_retain_and_remove, spec="29"),
    Rule("required-field", OURS_STRICTER,
         "a field the spec requires and the reference never checks is absent (for plain strings also "
         "empty or null): mountPoint name/path, port name/protocol, pod apps, pod acVersion, pod app name, "
         "mount volume/path, pod port name",
         p_required, spec="16, 17, 71, 72, 76, 79"),
    Rule("gid-unsigned", OURS_STRICTER,
         "app.supplementaryGIDs holds a negative number (the reference decodes []int)",
         p_gid_unsigned, spec="13"),
    Rule("host-port-range", OURS_STRICTER,
         "a pod port's hostPort is absent, null or outside 1..65535 (the reference decodes any uint)",
         p_host_port, spec="79"),
    Rule("pod-port-names-unique", OURS_STRICTER,
         "two pod ports share a name (the reference does not check)",
         p_pod_port_names_unique, spec="79"),
    Rule("volume-mode-octal", OURS_STRICTER,
         "a volume mode is not an octal permission string of 1 to 4 digits (the reference keeps any string)",
         p_volume_mode, spec="78"),
    Rule("pod-annotation-ac-name", OURS_STRICTER,
         "an annotation name in a pod manifest (pod annotations, pod app annotations) is not an AC Name "
         "(the reference uses AC Identifier)",
         p_pod_annotation_name, spec="9"),
    Rule("isolator-fields-required", OURS_STRICTER,
         "an isolator object lacks name or value (absent or null), whatever its name and scope (the "
         "reference panics on a known name without value, and accepts the rest at pod level)",
         p_isolator_fields_required, spec="6"),
    Rule("isolator-app-only-at-pod", OURS_STRICTER,
         "a pod's own isolator list holds an app-only isolator (capabilities, no-new-privileges, seccomp, "
         "cpu-shares, oom-score-adj); the reference checks nothing at pod level",
         p_app_only_isolator_in_pod, spec="22, 29-32, 36"),
    Rule("isolator-once", OURS_STRICTER,
         "a list holds a second capabilities-retain-set, capabilities-remove-set, seccomp set (either kind), "
         "selinux-context, sysctl, cpu-shares or oom-score-adj (the reference allows repeated capability sets, "
         "and anything at pod level)",
         p_isolator_once, spec="29, 33-36"),
    Rule("bandwidth-limit-required", OURS_STRICTER,
         "a resource/block-bandwidth, block-iops or network-bandwidth value has no limit",
         p_bandwidth_limit_required, spec="25, 26"),
    Rule("quantity-strict", OURS_STRICTER,
         "a request/limit quantity is negative, has spaces around it or has no digit (the reference trims "
         "spaces, accepts negatives and reads a digit-less quantity as 0)",
         p_quantity_strict, spec="27"),
    Rule("isolator-value-syntax", OURS_STRICTER,
         "a capability name is not CAP_[A-Z0-9_]+, a seccomp entry is neither a syscall name nor an "
         "@scope/name wildcard (or an undefined @appc.io/ one), a sysctl name is not dotted/slashed "
         "[A-Za-z0-9_-] parts or its value is null or holds NUL, a selinux field holds a control character",
         p_isolator_value_syntax, spec="29, 31-35"),
    Rule("quantity-K-suffix", REF_STRICTER,
         "a quantity uses the decimal suffix K the spec text lists (Kubernetes, hence the reference, only "
         "knows k); repair: K -> k",
         p_quantity_k_suffix, r_quantity_k_suffix, spec="27"),
    Rule("quantity-exponent-overflow", REF_STRICTER,
         "a quantity's exponent does not fit in int64: libappc saturates the value, the reference rejects; "
         "repair: the quantity becomes \"1\"",
         p_quantity_exponent_overflow, r_quantity_exponent_overflow, spec="27"),
    Rule("required-member", OURS_STRICTER,
         "docs/manifests.md: a member libappc requires is null, or a label/annotation/environment name or "
         "value or a pod app's image is absent (the reference reads them as empty)",
         p_required_member, spec="8, 9, 11, 73"),
    Rule("null-list-element", OURS_STRICTER,
         "docs/manifests.md: a list element is null (a wrong type here; the reference decodes a zero value)",
         p_null_list_element, spec="46"),
    Rule("null-map-value", OURS_STRICTER,
         "docs/manifests.md: a userAnnotations/userLabels value is null (\"objects of strings\"; the "
         "reference decodes \"\")",
         p_null_map_value, spec="10, 80"),
    Rule("nul-in-string", OURS_STRICTER,
         "docs/manifests.md: a string or key holds U+0000 (refused: no C string can carry it)",
         p_nul_in_string, spec="46"),
    Rule("integer-ranges", OURS_STRICTER,
         "docs/manifests.md: supplementaryGIDs above 2^32-1, a volume uid/gid outside -2^31..2^32-1, a port "
         "count of 0 (the reference makes it 1), above 65535 or past port 65535 (the reference's check wraps)",
         p_integer_ranges, spec="13, 17, 78"),
    Rule("http-url", OURS_STRICTER,
         "docs/manifests.md: a homepage/documentation annotation is not http(s):// with a host, without "
         "spaces or control characters, with every '%' followed by two hex digits (the reference checks the "
         "scheme, and '%' escapes outside the query)",
         p_http_url, spec="9"),
    Rule("systemd-notify-bool", OURS_STRICTER,
         "docs/conformance.md: appc.io/executor/supports-systemd-notify is not \"true\" or \"false\"",
         p_systemd_notify, spec="9"),
    Rule("host-ip-dotted-quad", OURS_STRICTER,
         "docs/conformance.md: a pod port hostIP is not an IPv4 dotted quad (no leading zeros)",
         p_host_ip, spec="79"),
    Rule("path-whitelist-absolute", OURS_STRICTER,
         "docs/conformance.md: a pathWhitelist entry is not an absolute path",
         p_path_whitelist, spec="20"),
    Rule("working-directory-empty", OURS_STRICTER,
         "docs/manifests.md: workingDirectory is \"\" (not an absolute path; the reference reads it as absent)",
         p_working_directory, spec="14"),
    Rule("leap-second", REF_STRICTER,
         "docs/manifests.md: a created timestamp has second 60 (RFC 3339 allows a leap second, Go does not); "
         "repair: second 59",
         p_leap_second, r_leap_second, spec="7"),
    Rule("created-rfc3339", OURS_STRICTER,
         "docs/conformance.md: a created timestamp uses a laxity of Go 1.19's time.Parse that RFC 3339 does not "
         "allow: a one-digit hour, no seconds before a fraction, a comma before the fraction, or a time-zone "
         "offset hour above 23, minute above 59 or not two digits",
         p_created_rfc3339, spec="7"),
    Rule("errno-name-ascii", OURS_STRICTER,
         "docs/isolators.md: a seccomp errno is neither empty nor E followed by one or more of A-Z 0-9 (the "
         "reference takes \"E\" alone and any Unicode upper-case letter or number)",
         p_errno_name, spec="33"),
    Rule("unsigned-minus-zero", REF_STRICTER,
         "docs/conformance.md: port, count, hostPort or dependency size written -0, which is the integer 0 for "
         "libappc; Go's ParseUint refuses the minus sign; repair: 0",
         p_unsigned_minus_zero, r_unsigned_minus_zero, spec="17, 19, 79"),
    Rule("null-image-id", REF_STRICTER,
         "docs/manifests.md: a pod app's image id is null, which libappc reads as absent (a template); the "
         "reference hands null to Hash.UnmarshalJSON, which fails; repair: drop the member",
         p_null_image_id, r_null_image_id, spec="73"),
    Rule("json-number-too-big", OURS_STRICTER,
         "docs/conformance.md: a number too large for a double (kParseErrorNumberTooBig: 1e400, "
         "a 310-digit integer, -11.5e308), wherever it is; the reference never decodes unknown members",
         p_number_too_big, spec="46"),
    Rule("case-sensitive-keys", None,
         "a schema object has a key that differs from a field name only by case (Go folding, incl. "
         "U+017F/U+212A): libappc ignores it as unknown, the reference uses it as that field",
         p_case_sensitive_keys, r_case_sensitive_keys, spec="47"),
    Rule("duplicate-keys", OURS_STRICTER,
         "an object repeats a key (the reference silently takes the last); found at the object's path, or "
         "at its list's path when it is a list element",
         p_duplicate_keys, spec="47"),
]

RULE_BY_ID = {r.id: r for r in RULES}


def applies(rule, direction):
    return rule.direction is None or rule.direction == direction


def depth_rule_paths(data):
    """Resource limit, not a spec deviation: ParseOptions.max_depth (64) in
    lib/spec/manifest.hpp refuses deeper documents with Code::limit."""
    return [""] if raw_depth(data) > MAX_DEPTH else []


def related(a, b):
    """True when one JSON path is the other or lies inside it."""
    if a == b:
        return True
    lo, hi = (a, b) if len(a) < len(b) else (b, a)
    return hi.startswith(lo + ".") or hi.startswith(lo + "[") or lo == ""


def findings(data, direction):
    """{rule id: [paths]} for the rules of `direction` that hold on the document."""
    out = {}
    doc = parse(data)
    if doc is not None:
        w = Walk(doc)
        for r in RULES:
            if applies(r, direction):
                paths = r.predicate(w)
                if paths:
                    out[r.id] = paths
    if direction == OURS_STRICTER:
        d = depth_rule_paths(data)
        if d:
            out["depth-limit"] = d
        u = utf8_rule_paths(data)
        if u:
            out["utf8-strict"] = u
        u = lone_surrogate_paths(data)
        if u:
            out["json-lone-surrogate"] = u
    return out


def explain_ours_stricter(data, ours):
    """Why libappc rejecting `data` (accepted by the reference) is expected.
    Returns (True, [rule ids]) or (False, reason)."""
    f = findings(data, OURS_STRICTER)
    if not f:
        return False, "no documented deviation applies"
    if ours.get("code") == "limit" and "depth-limit" in f:
        return True, ["depth-limit"]
    paths = [(rid, p) for rid, ps in f.items() for p in ps]
    diags = ours.get("diags") or []
    if not diags:
        return False, "libappc rejected without any diagnostic"
    used = set()
    for d in diags:
        hits = [rid for rid, p in paths if related(d.get("path", ""), p)]
        if not hits:
            return False, "diagnostic not explained by any documented deviation: %s: %s" % (
                d.get("path", ""), d.get("msg", ""))
        used.update(hits)
    return True, sorted(used)


def repair_ref_stricter(data):
    """(rule ids that hold, repaired document bytes or None)."""
    from jsonmodel import copy, dump  # local: avoid a cycle at import time
    doc = parse(data)
    if doc is None:
        return [], None
    doc = copy(doc)
    w = Walk(doc)
    held = []
    for r in RULES:
        if applies(r, REF_STRICTER) and r.repair and r.predicate(w):
            held.append(r.id)
    if not held:
        return [], None
    for rid in held:
        RULE_BY_ID[rid].repair(Walk(doc))
    return held, dump(doc)


def selftest():
    """Checks of the classification machinery itself, run before each test
    (a predicate that explains too much would hide bugs)."""
    img = '{"acKind":"ImageManifest","acVersion":"0.8.11","name":%s%s}'

    def ours(*paths):
        return {"v": "invalid", "code": "invalid", "diags": [{"path": p, "msg": "x"} for p in paths]}

    def expect(cond, what):
        if not cond:
            raise AssertionError("deviations.py self-test: " + what)

    doc = (img % ('"a..b"', '')).encode()
    expect(explain_ours_stricter(doc, ours("name"))[0], "a..b explains a finding at name")
    expect(not explain_ours_stricter(doc, ours("name", "labels[0].name"))[0],
           "a..b does not explain a finding elsewhere")
    doc = (img % ('"a"', ',"labels":[{"name":"os","name":"x","value":"linux"},{"name":"arch","value":"y"}]')).encode()
    expect(explain_ours_stricter(doc, ours("labels[0].name", "labels[1].value"))[0],
           "a repeated key explains findings in its list")
    expect(not explain_ours_stricter(doc, ours("labels[0].name", "name"))[0],
           "a repeated key does not explain findings outside its list")
    doc = (img % ('"a"', ',"app":{"User":"0","group":"0"}')).encode()
    expect(explain_ours_stricter(doc, ours("app.user"))[0], "a case-folded key explains its field")
    expect(not explain_ours_stricter(doc, ours("app.group"))[0], "a case-folded key explains only its field")
    doc = (img % ('"a"', ',"app":{"user":"0","group":"0","isolators":[{"name":"os/linux/cpu-shares",'
                  '"NAME":"os/linux/capabilities-remove-set","value":{"set":["C"]}}]}')).encode()
    expect(explain_ours_stricter(doc, ours("app.isolators[0].value"))[0],
           "a case-folded isolator name explains the findings of its isolator")
    expect(not explain_ours_stricter(doc, ours("app.user"))[0], "a case-folded isolator name explains only its list")
    doc = (img % ('"a"', ',"labels":[{"name":"os","value":"linux","Name":"b"},{"name":"arch","value":"p"}]')).encode()
    expect(explain_ours_stricter(doc, ours("labels[1].value"))[0],
           "a case-folded label name explains the list-wide os/arch finding")
    expect(not explain_ours_stricter(doc, ours("name"))[0], "a case-folded label name explains only its list")
    doc = (img % ('"a"', ',"app":{"user":"0","group":"0","isolators":[{"name":"example.com/x","value":1}]}')).encode()
    held, repaired = repair_ref_stricter(doc)
    expect(held == ["unknown-isolator-valid"] and b"example.com/x" not in repaired,
           "the unknown-isolator repair drops exactly the unknown isolator")
    doc = (img % ('"a"', ',"app":{"user":"0","group":"0","isolators":[{"name":"resource/cpu","value":{}}]}')).encode()
    expect(repair_ref_stricter(doc) == ([], None), "a known isolator needs no repair")
    expect(not findings(b'{"acKind":"ImageManifest"', OURS_STRICTER), "no rule holds on a broken document")
    doc = b'{"acKind":"PodManifest","isolators":[{}]}'
    expect(set(findings(doc, OURS_STRICTER)["isolator-fields-required"]) == {"isolators[0].name", "isolators[0].value"},
           "an empty isolator lacks name and value")
    # Lone surrogate escapes: not an escaped backslash before "udc00", not a pair.
    for text, lone in ((rb'"\udc00"', True), (rb'"\ud800"', True), (rb'"\ud800\u0041"', True),
                       (rb'"\ud800\udc00\udc00"', True), (rb'"\\udc00"', False), (rb'"\\\\udc00"', False),
                       (rb'"\\\udc00"', True), (rb'"\ud83c\udf89"', False), (rb'"\ud83c\\udf89"', True)):
        expect(bool(lone_surrogate_paths((img % ('"a"', ',"x":' + text.decode())).encode())) == lone,
               "lone surrogate escape in %r: %s" % (text, lone))
    f = findings((img % ('"a"', ',"x":[1e400,0e400,1e308,1' + '0' * 309 + ',-11.5e308,2e-400]')).encode(),
                 OURS_STRICTER)
    expect(sorted(f.get("json-number-too-big", [])) == ["x[0]", "x[3]", "x[4]"],
           "too-big numbers: 1e400, 10^309 and -11.5e308, not 0e400, 1e308 or 2e-400: %r"
           % f.get("json-number-too-big"))
    ann = ',"annotations":[{"name":"created","value":"%s"}]'
    for ts, held in (("2015-05-18T13:49:28+25:00", True), ("2015-05-18T13:49:28-00:60", True),
                     ("2015-05-18T3:49:28Z", True), ("2015-05-18T13:49:.5Z", True), ("2015-05-18T13:49:28,5Z", True),
                     ("2015-05-18T13:49:28+-1:00", True), ("2015-05-18T13:49:28+23:59", False),
                     ("2015-05-18T13:49:28.5Z", False), ("2015-13-18T13:49:28+25:00", False),
                     ("2015-05-18T13:49:Z", False), ("2015-02-29T3:49:28Z", False), ("2015-05-18T3:49:60Z", False)):
        expect(bool(findings((img % ('"a"', ann % ts)).encode(), OURS_STRICTER).get("created-rfc3339")) == held,
               "created-rfc3339 on %s: %s" % (ts, held))
    seccomp = ',"app":{"user":"0","group":"0","isolators":[{"name":"os/linux/seccomp-remove-set",' \
              '"value":{"set":["reboot"],"errno":"%s"}}]}'
    for errno, held in (("E", True), ("E\u00c4", True), ("EPERM", False), ("", False), ("E2BIG", False)):
        expect(bool(findings((img % ('"a"', seccomp % errno)).encode(), OURS_STRICTER).get("errno-name-ascii")) == held,
               "errno-name-ascii on %r: %s" % (errno, held))
    held, repaired = repair_ref_stricter((img % ('"a"', ',"dependencies":[{"imageName":"b","size":-0}]')).encode())
    expect(held == ["unsigned-minus-zero"] and b'"size":0}' in repaired, "-0 is repaired to 0")
    pod = b'{"acKind":"PodManifest","acVersion":"0.8.11","apps":[{"name":"a","image":{"id":null,"name":"b"}}]}'
    held, repaired = repair_ref_stricter(pod)
    expect(held == ["null-image-id"] and b'"image":{"name":"b"}' in repaired, "a null image id is dropped")
