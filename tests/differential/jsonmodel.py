"""A lossless JSON model for mutation and for the deviation predicates.

Python's dict would merge duplicate keys and float() would round numbers, and
both are things the differential test must see exactly as written: an object
is an Obj holding its members as an ordered list of [key, value] pairs (a key
may repeat), a number is a Num holding its source text ("1e400", "-0", "1.0").
Strings are str (a lone surrogate escape survives as a lone surrogate), arrays
are list, and true/false/null are True/False/None.
"""

import json
import re

__all__ = ["Obj", "Num", "parse", "dump", "Style", "copy", "depth", "NUMBER_RE"]

NUMBER_RE = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?\Z")


class Num:
    __slots__ = ("raw",)

    def __init__(self, raw):
        self.raw = str(raw)

    def __eq__(self, other):
        return isinstance(other, Num) and other.raw == self.raw

    def __hash__(self):
        return hash(self.raw)

    def __repr__(self):
        return "Num(%s)" % self.raw

    def is_integer_literal(self):
        """True when written without fraction or exponent (what Go's int
        decoding accepts)."""
        return re.fullmatch(r"-?(?:0|[1-9][0-9]*)", self.raw) is not None

    def int_value(self):
        """The exact integer for an integer literal, else None."""
        return int(self.raw) if self.is_integer_literal() else None


class Obj:
    __slots__ = ("items",)

    def __init__(self, items=()):
        self.items = [[k, v] for k, v in items]

    def keys(self):
        return [k for k, _ in self.items]

    def get_all(self, key):
        """Every value written under exactly `key` (several when repeated)."""
        return [v for k, v in self.items if k == key]

    def get(self, key, default=None):
        vals = self.get_all(key)
        return vals[-1] if vals else default

    def has(self, key):
        return any(k == key for k, _ in self.items)

    def remove(self, key):
        self.items = [[k, v] for k, v in self.items if k != key]

    def __eq__(self, other):
        return isinstance(other, Obj) and other.items == self.items

    def __repr__(self):
        return "Obj(%r)" % (self.items,)


def _reject_constant(name):
    raise ValueError("not JSON: %s" % name)


def parse(data):
    """Parse bytes or str into the model; None when it is not JSON (RFC 8259,
    with Go's treatment of bad UTF-8: replaced by U+FFFD)."""
    if isinstance(data, bytes):
        text = data.decode("utf-8", errors="replace")
    else:
        text = data
    try:
        return json.loads(
            text,
            object_pairs_hook=Obj,
            parse_int=Num,
            parse_float=Num,
            parse_constant=_reject_constant,
        )
    except (ValueError, RecursionError):
        return None


class Style:
    """How dump() writes a document."""

    def __init__(self, indent=None, ensure_ascii=False, escape_slash=False, space_after_colon=False):
        self.indent = indent
        self.ensure_ascii = ensure_ascii
        self.escape_slash = escape_slash
        self.space_after_colon = space_after_colon


def _dump_str(s, style):
    out = json.dumps(s, ensure_ascii=style.ensure_ascii)
    if style.escape_slash:
        out = out.replace("/", "\\/")
    return out


def _dump(v, style, level, out):
    if isinstance(v, Obj):
        if not v.items:
            out.append("{}")
            return
        out.append("{")
        for i, (k, val) in enumerate(v.items):
            if i:
                out.append(",")
            if style.indent is not None:
                out.append("\n" + " " * (style.indent * (level + 1)))
            out.append(_dump_str(k, style))
            out.append(": " if (style.space_after_colon or style.indent is not None) else ":")
            _dump(val, style, level + 1, out)
        if style.indent is not None:
            out.append("\n" + " " * (style.indent * level))
        out.append("}")
    elif isinstance(v, list):
        if not v:
            out.append("[]")
            return
        out.append("[")
        for i, val in enumerate(v):
            if i:
                out.append(",")
            if style.indent is not None:
                out.append("\n" + " " * (style.indent * (level + 1)))
            _dump(val, style, level + 1, out)
        if style.indent is not None:
            out.append("\n" + " " * (style.indent * level))
        out.append("]")
    elif isinstance(v, str):
        out.append(_dump_str(v, style))
    elif isinstance(v, Num):
        out.append(v.raw)
    elif v is True:
        out.append("true")
    elif v is False:
        out.append("false")
    elif v is None:
        out.append("null")
    else:
        raise TypeError("not a JSON model value: %r" % (v,))


def dump(v, style=None):
    """Serialize the model to bytes (UTF-8; a lone surrogate written raw
    becomes its 3-byte encoding, i.e. invalid UTF-8, on purpose)."""
    out = []
    _dump(v, style or Style(), 0, out)
    return "".join(out).encode("utf-8", errors="surrogatepass")


def copy(v):
    if isinstance(v, Obj):
        return Obj([[k, copy(val)] for k, val in v.items])
    if isinstance(v, list):
        return [copy(x) for x in v]
    return v


def depth(v):
    """Nesting depth counting arrays and objects (a scalar is 0, [] is 1)."""
    best = 0
    stack = [(v, 0)]
    while stack:
        node, d = stack.pop()
        if isinstance(node, Obj):
            d += 1
            best = max(best, d)
            stack.extend((val, d) for _, val in node.items)
        elif isinstance(node, list):
            d += 1
            best = max(best, d)
            stack.extend((val, d) for val in node)
    return best


def raw_depth(data):
    """Nesting depth of a byte string that may not be JSON: brackets outside
    strings, counted the way a streaming parser meets them before it fails."""
    best = d = 0
    in_str = esc = False
    for b in data:
        if in_str:
            if esc:
                esc = False
            elif b == 0x5C:
                esc = True
            elif b == 0x22:
                in_str = False
        elif b == 0x22:
            in_str = True
        elif b in (0x5B, 0x7B):
            d += 1
            best = max(best, d)
        elif b in (0x5D, 0x7D):
            d -= 1
    return best
