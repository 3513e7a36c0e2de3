"""Seeded mutations of appc manifests: structure-aware operators on the JSON
model (jsonmodel.py) and byte-level operators on the serialized text.

Every operator takes a random.Random and returns a short description of what
it did (for the report), so a run is reproducible from its seed alone.
"""

from jsonmodel import Obj, Num, Style, copy, dump

KNOWN_ISOLATORS = [
    "resource/cpu", "resource/memory", "resource/block-bandwidth", "resource/block-iops",
    "resource/network-bandwidth", "os/linux/capabilities-retain-set", "os/linux/capabilities-remove-set",
    "os/linux/no-new-privileges", "os/linux/seccomp-remove-set", "os/linux/seccomp-retain-set",
    "os/linux/selinux-context", "os/unix/sysctl", "os/linux/cpu-shares", "os/linux/oom-score-adj",
]

HEX = "0123456789abcdef"

# Boundary values by the role of the string (chosen from the member's key).
STRINGS = {
    "generic": ["", " ", "a", "A", "0", "-", ".", "/", "a b", "\u00e9", "\u212a", "\u017f", "\U0001F600",
                "\x00", "a\nb", "\t", "\\", '"', "null", "true", "1", "-1"],
    "ident": ["a", "a..b", "a//b", "a-.b", "a~b", "a_b", "a.b/c", "-a", "a-", ".a", "a.", "/a", "a/",
              "A", "aB", "a b", "a#b", "\u00e4", "0", "a" * 255, "a" * 256, "example.com/app", "ab" * 600,
              "a--b", "a-b", "a~~b"],
    "acname": ["a", "a-b", "a--b", "-a", "a-", "a.b", "a_b", "a/b", "A", "0", "a" * 64, "a" * 300,
               "a-b-c", "\u00e4", "ab1"],
    "semver": ["0.8.11", "0.8.10", "0.8.12", "0.9.0", "1.0.0", "0.1.0", "0.0.0", "0.0.1", "01.2.3",
               "0.08.11", "0.8.011", "0.8.11-rc1", "0.8.11-rc.1", "0.8.11+meta", "0.8.11-01",
               "0.8.11-", "0.8", "0.8.11.0", "v0.8.11", " 0.8.11", "0.8.11 ", "9.9.9", "0.8.11+",
               "0.8.11-alpha.beta", "0.8.11-\u00e4", "18446744073709551616.0.0", "0.8.1a"],
    "imageid": ["sha512-" + "0" * 128, "sha512-" + "a" * 128, "sha512-" + "A" * 128, "sha512-" + "0" * 127,
                "sha512-" + "0" * 129, "sha512-" + "0" * 64, "sha512-...", "sha512-", "sha512-g" + "0" * 127,
                "sha256-" + "0" * 64, "SHA512-" + "0" * 128, "sha512--" + "0" * 128, "sha512" + "0" * 128,
                "sha512-" + "0123456789abcdef" * 8],
    "quantity": ["1", "0", "1G", "1Gi", "1M", "1Mi", "1K", "1Ki", "1k", "1ki", "250m", "0.5", "1.5Gi",
                 "1e3", "1E3", "1e-3", "1E", "1Ei", "1P", "1T", "1Ti", "-1", "+1", ".5", "1.", "1.5.5",
                 "", " 1", "1 ", "1u", "1n", "1m", "0.001", "0.0001", "123456789012345678901234567890",
                 "9223372036854775807", "9223372036854775808", "1Zi", "1Y", "1e400", "0x10", "1_000"],
    "path": ["/", "/a", "a", "", "./a", "/a/../b", "//", "/a b", "C:\\a", "/\u00e4", "/a\x00b", "~"],
    "timestamp": ["2015-05-18T13:49:28.351729952-04:00", "2015-05-18T13:49:28Z", "2015-05-18 13:49:28Z",
                  "2015-05-18T13:49:28z", "2015-05-18t13:49:28Z", "2015-05-18T13:49:28", "2015-5-18T13:49:28Z",
                  "2015-02-30T00:00:00Z", "2015-05-18T24:00:00Z", "2015-05-18T13:49:60Z",
                  "2015-05-18T13:49:28+25:00", "2015-05-18T13:49:28.Z", "1416015188", "yesterday", ""],
    "url": ["http://example.com", "https://example.com/x", "ftp://example.com", "HTTP://example.com",
            "http:", "http://", "example.com", "/relative", "http://[::1]/", "http://a b", "https://\u00e4.com",
            "http://example.com/%zz", ""],
    "errno": ["EPERM", "ENOSYS", "E", "EPERM1", "eperm", "E-PERM", "", "XPERM", "E\u00c4", "E_PERM"],
    "cap": ["CAP_NET_ADMIN", "CAP_SYS_ADMIN", "cap_net_admin", "NET_ADMIN", "", "CAP_FOO"],
    "syscall": ["reboot", "@appc.io/all", "@appc.io/empty", "@docker/default-blacklist", "", "@", "Reboot"],
    "mode": ["0755", "755", "0777", "07777", "17777", "0999", "0o755", "0x1ed", "", "rwx", "0", "00", "000",
             "0000", "00000", "-755", "+755", " 0755"],
    "kind": ["empty", "host", "Empty", "HOST", "", "tmpfs"],
    "protocol": ["tcp", "udp", "TCP", "", "sctp", "a b"],
    "os": ["linux", "freebsd", "darwin", "Linux", "windows", ""],
    "arch": ["amd64", "i386", "aarch64", "arm64", "armv7l", "x86_64", "arm", "ppc64le", "s390x", "AMD64", ""],
    "env": ["PATH", "a", "A_B", "_x", "1A", "A.B", "A-B", "A|B", "A B", "", "=", "A=B", "\u00c4"],
    "handler": ["pre-start", "post-stop", "post-start", "Pre-Start", ""],
    "hostip": ["0.0.0.0", "127.0.0.1", "::1", "::", "256.0.0.1", "1.2.3", "localhost", "", "fe80::1%eth0"],
    "user": ["0", "root", "/etc/passwd", "", " ", "-1", "4294967296", "nobody"],
    "selinux": ["system_u", "a:b", "", "s0:c1,c2", "\u00e4"],
}

KEY_ROLE = {
    "acVersion": "semver", "name": "ident", "imageName": "ident", "imageID": "imageid", "id": "imageid",
    "request": "quantity", "limit": "quantity", "path": "path", "workingDirectory": "path", "source": "path",
    "errno": "errno", "mode": "mode", "kind": "kind", "protocol": "protocol", "hostIP": "hostip",
    "user": "user", "group": "user", "volume": "acname", "role": "selinux", "type": "selinux",
    "level": "selinux", "created": "timestamp", "homepage": "url", "documentation": "url",
}

NUMBERS = ["0", "-1", "1", "2", "65535", "65536", "65537", "1e400", "-1e400", "1.5", "1.0", "-0", "0.0", "1e2",
           "1E2", "1e-400", "4294967295", "4294967296", "9223372036854775807", "9223372036854775808",
           "-9223372036854775808", "-9223372036854775809", "18446744073709551615", "18446744073709551616",
           "262144", "262145", "-1000", "-1001", "1000", "1001", "100000000000000000000000", "0.5", "80", "1e0"]

ALL_KEYS = sorted({
    "acKind", "acVersion", "name", "labels", "app", "annotations", "dependencies", "pathWhitelist", "value",
    "exec", "eventHandlers", "user", "group", "supplementaryGIDs", "workingDirectory", "environment",
    "mountPoints", "ports", "isolators", "userAnnotations", "userLabels", "path", "readOnly", "protocol",
    "port", "count", "socketActivated", "imageName", "imageID", "size", "apps", "volumes", "image", "id",
    "readOnlyRootFS", "mounts", "volume", "appVolume", "kind", "source", "recursive", "mode", "uid", "gid",
    "hostPort", "hostIP", "podPort", "default", "request", "limit", "set", "errno", "role", "type", "level",
})


class Mutator:
    def __init__(self, rng, corpus_models):
        self.rng = rng
        # Pools learnt from the corpus: values per key, and keys seen together.
        self.values_by_key = {}
        self.sibling_keys = {}
        for doc in corpus_models:
            self._learn(doc)
        for k in self.values_by_key:
            self.values_by_key[k] = self.values_by_key[k][:200]
        # Isolator values seen in the corpus, by isolator name.
        self.iso_values = {}
        for lst in self.values_by_key.get("isolators", []):
            for iso in lst if isinstance(lst, list) else []:
                if isinstance(iso, Obj) and isinstance(iso.get("name"), str) and iso.has("value"):
                    self.iso_values.setdefault(iso.get("name"), []).append(iso.get("value"))
        self._key_list = sorted(self.values_by_key)

    def _learn(self, node):
        stack = [node]
        while stack:
            n = stack.pop()
            if isinstance(n, Obj):
                keys = n.keys()
                for k, v in n.items:
                    self.values_by_key.setdefault(k, []).append(v)
                    self.sibling_keys.setdefault(k, set()).update(keys)
                    stack.append(v)
            elif isinstance(n, list):
                stack.extend(n)

    # ------------------------------------------------------------ helpers

    @staticmethod
    def _slots(root):
        """Every (container, key-or-index, parent-key) that holds a value."""
        out = []
        stack = [(root, None)]
        while stack:
            n, pkey = stack.pop()
            if isinstance(n, Obj):
                for i, (k, v) in enumerate(n.items):
                    out.append((n, i, k))
                    stack.append((v, k))
            elif isinstance(n, list):
                for i, v in enumerate(n):
                    out.append((n, i, pkey))
                    stack.append((v, pkey))
        return out

    @staticmethod
    def _get(container, i):
        return container.items[i][1] if isinstance(container, Obj) else container[i]

    @staticmethod
    def _set(container, i, v):
        if isinstance(container, Obj):
            container.items[i][1] = v
        else:
            container[i] = v

    @staticmethod
    def _containers(root, kind):
        out = []
        stack = [root]
        while stack:
            n = stack.pop()
            if isinstance(n, kind):
                out.append(n)
            if isinstance(n, Obj):
                stack.extend(v for _, v in n.items)
            elif isinstance(n, list):
                stack.extend(n)
        return out

    def _pick(self, seq):
        return seq[self.rng.randrange(len(seq))] if seq else None

    def _random_value(self, depth=0):
        r = self.rng.random()
        if r < 0.15:
            return None
        if r < 0.25:
            return self.rng.random() < 0.5
        if r < 0.45:
            return Num(self._pick(NUMBERS))
        if r < 0.7:
            return self._pick(STRINGS[self._pick(sorted(STRINGS))])
        if r < 0.85 or depth > 2:
            return [self._random_value(depth + 1) for _ in range(self.rng.randrange(3))]
        return Obj([[self._pick(ALL_KEYS), self._random_value(depth + 1)] for _ in range(self.rng.randrange(3))])

    def _boundary_string(self, key, old):
        rng = self.rng
        role = KEY_ROLE.get(key)
        r = rng.random()
        if role and r < 0.45:
            return self._pick(STRINGS[role]), "%s boundary" % role
        if r < 0.55:
            return self._pick(STRINGS[self._pick(sorted(STRINGS))]), "boundary"
        if not isinstance(old, str):
            old = "a"
        ops = [
            ("uppercase", lambda s: s.upper()),
            ("capitalize", lambda s: s[:1].upper() + s[1:]),
            ("empty", lambda s: ""),
            ("double separator", lambda s: s.replace("-", "--").replace(".", "..").replace("/", "//") if any(
                c in s for c in "-./") else s + "--x"),
            ("leading separator", lambda s: self._pick(["-", ".", "/", "_", "~", " "]) + s),
            ("trailing separator", lambda s: s + self._pick(["-", ".", "/", "_", "~", " "])),
            ("long", lambda s: (s or "a") * (1 + 4096 // max(1, len(s)))),
            ("unicode", lambda s: s + self._pick(["\u00e9", "\u212a", "\u017f", "\U0001F600", "\u0130", "\ufffd"])),
            ("nul", lambda s: s + "\x00"),
            ("digits", lambda s: "".join(c if not c.isdigit() else str((int(c) + 1) % 10) for c in s) + "0"),
            ("truncate", lambda s: s[: rng.randrange(len(s) + 1)]),
            ("whitespace", lambda s: " " + s + "\t"),
            ("lone surrogate", lambda s: s + self._pick(["\ud800", "\udc00"])),
        ]
        name, f = self._pick(ops)
        return f(old), name

    # ------------------------------------------------------------ operators

    def op_drop(self, root):
        slots = self._slots(root)
        if not slots:
            return None
        c, i, k = self._pick(slots)
        if isinstance(c, Obj):
            key = c.items[i][0]
            del c.items[i]
            return "drop member %r" % key
        del c[i]
        return "drop element %d of %r" % (i, k)

    def op_duplicate(self, root):
        slots = self._slots(root)
        if not slots:
            return None
        c, i, k = self._pick(slots)
        if isinstance(c, Obj):
            key, v = c.items[i]
            nv = copy(v) if self.rng.random() < 0.5 else self._variant(key, v)
            c.items.insert(i + 1 if self.rng.random() < 0.5 else len(c.items), [key, nv])
            return "duplicate key %r" % key
        c.insert(i + 1, copy(c[i]))
        return "duplicate element %d of %r" % (i, k)

    def _variant(self, key, v):
        if isinstance(v, str):
            return self._boundary_string(key, v)[0]
        if isinstance(v, Num):
            return Num(self._pick(NUMBERS))
        pool = self.values_by_key.get(key)
        return copy(self._pick(pool)) if pool else self._random_value()

    def op_retype(self, root):
        slots = self._slots(root)
        if not slots:
            return None
        c, i, k = self._pick(slots)
        old = self._get(c, i)
        for _ in range(8):
            nv = self._random_value()
            if type(nv) is not type(old):
                break
        self._set(c, i, nv)
        return "retype %r: %s -> %s" % (k, type(old).__name__, type(nv).__name__)

    def op_string(self, root):
        slots = [s for s in self._slots(root) if isinstance(self._get(s[0], s[1]), str)]
        if not slots:
            return None
        c, i, k = self._pick(slots)
        # Values of {"name": X, "value": Y} pairs take the role of X.
        role_key = k
        if isinstance(c, Obj) and k == "value":
            n = c.get("name")
            if isinstance(n, str) and n in KEY_ROLE:
                role_key = n
            elif n in ("os", "arch"):
                self._set(c, i, self._pick(STRINGS[n]))
                return "label %s value" % n
        if isinstance(c, list) and k == "set":
            nv = self._pick(STRINGS["cap"] + STRINGS["syscall"])
            self._set(c, i, nv)
            return "set entry -> %r" % nv
        if k == "name" and isinstance(c, Obj) and (c.has("value") or c.has("exec")):
            # annotation/label/env/isolator/handler names
            pools = ["ident", "acname", "env", "handler"]
            nv = self._pick(STRINGS[self._pick(pools)] + ["created", "homepage", "documentation", "os", "arch",
                                                            "name"] + KNOWN_ISOLATORS)
            self._set(c, i, nv)
            return "name -> %r" % nv
        nv, what = self._boundary_string(role_key, self._get(c, i))
        self._set(c, i, nv)
        return "string %r: %s" % (k, what)

    def op_number(self, root):
        slots = [s for s in self._slots(root) if isinstance(self._get(s[0], s[1]), Num)]
        if not slots or self.rng.random() < 0.2:
            slots = [s for s in self._slots(root)
                     if s[2] in ("port", "count", "hostPort", "uid", "gid", "size", "supplementaryGIDs", "value")]
        if not slots:
            return None
        c, i, k = self._pick(slots)
        nv = self._pick(NUMBERS)
        self._set(c, i, Num(nv))
        return "number %r -> %s" % (k, nv)

    def op_swap_kind(self, root):
        if not isinstance(root, Obj) or not root.has("acKind"):
            return None
        for item in root.items:
            if item[0] == "acKind":
                swap = {"ImageManifest": "PodManifest", "PodManifest": "ImageManifest"}
                item[1] = swap[item[1]] if isinstance(item[1], str) and item[1] in swap else self._pick(
                    ["ImageManifest", "PodManifest", "imagemanifest", ""])
        return "swap acKind"

    def op_key_case(self, root):
        objs = [o for o in self._containers(root, Obj) if o.items]
        o = self._pick(objs)
        if o is None:
            return None
        item = self._pick(o.items)
        k = item[0]
        variants = [k.upper(), k.lower(), k[:1].upper() + k[1:], k.swapcase(),
                    k.replace("k", "\u212a", 1), k.replace("s", "\u017f", 1), k + " ", k[:-1]]
        nk = self._pick([v for v in variants if v != k] or [k + "x"])
        item[0] = nk
        return "rename key %r -> %r" % (k, nk)

    def op_rename_key(self, root):
        objs = [o for o in self._containers(root, Obj) if o.items]
        o = self._pick(objs)
        if o is None:
            return None
        item = self._pick(o.items)
        old = item[0]
        item[0] = self._pick(ALL_KEYS)
        return "rename key %r -> %r" % (old, item[0])

    def op_splice(self, root):
        slots = [s for s in self._slots(root) if isinstance(s[0], Obj)]
        if not slots:
            return None
        c, i, k = self._pick(slots)
        key = c.items[i][0]
        pool = self.values_by_key.get(key)
        if not pool:
            return None
        c.items[i][1] = copy(self._pick(pool))
        return "splice %r from corpus" % key

    def op_insert(self, root):
        objs = self._containers(root, Obj)
        o = self._pick(objs)
        if o is None:
            return None
        cand = set()
        for k in o.keys():
            cand.update(self.sibling_keys.get(k, ()))
        cand -= set(o.keys())
        if not cand or self.rng.random() < 0.2:
            cand = set(self._key_list)
        key = self._pick(sorted(cand))
        pool = self.values_by_key.get(key)
        v = copy(self._pick(pool)) if pool else self._random_value()
        o.items.insert(self.rng.randrange(len(o.items) + 1), [key, v])
        return "insert %r" % key

    def op_isolator(self, root):
        lists = []
        stack = [root]
        while stack:
            n = stack.pop()
            if isinstance(n, Obj):
                for k, v in n.items:
                    if k == "isolators" and isinstance(v, list):
                        lists.append(v)
                    stack.append(v)
            elif isinstance(n, list):
                stack.extend(n)
        if not lists:
            apps = [v for k, v in (root.items if isinstance(root, Obj) else []) if k == "app" and isinstance(v, Obj)]
            if not apps:
                return None
            lst = []
            apps[0].items.append(["isolators", lst])
            lists = [lst]
        lst = self._pick(lists)
        name = self._pick(KNOWN_ISOLATORS + ["example.com/x", "os/linux/apparmor-profile", "Resource/cpu",
                                             "resource/CPU", "resource/cpu "])
        vals = self.iso_values.get(name)
        value = copy(self._pick(vals)) if vals and self.rng.random() < 0.8 else self._random_value()
        iso = Obj([["name", name], ["value", value]])
        if self.rng.random() < 0.1:
            iso.remove("value")
        lst.insert(self.rng.randrange(len(lst) + 1), iso)
        return "add isolator %r" % name

    def op_wrap(self, root):
        slots = self._slots(root)
        if not slots:
            return None
        c, i, k = self._pick(slots)
        v = self._get(c, i)
        r = self.rng.random()
        if isinstance(v, list) and v and r < 0.5:
            self._set(c, i, v[0])
            return "unwrap %r" % k
        if r < 0.75:
            self._set(c, i, [v])
            return "wrap %r in array" % k
        self._set(c, i, Obj([["value", v]]))
        return "wrap %r in object" % k

    def op_deep(self, root):
        slots = self._slots(root)
        if not slots:
            return None
        c, i, k = self._pick(slots)
        v = self._get(c, i)
        n = self.rng.choice([30, 60, 62, 63, 64, 65, 70, 200])
        for _ in range(n):
            v = [v]
        self._set(c, i, v)
        return "nest %r in %d arrays" % (k, n)

    def op_shuffle(self, root):
        objs = [o for o in self._containers(root, Obj) if len(o.items) > 1]
        o = self._pick(objs)
        if o is None:
            return None
        self.rng.shuffle(o.items)
        return "shuffle members"

    STRUCT_OPS = [
        ("op_drop", 10), ("op_duplicate", 8), ("op_retype", 10), ("op_string", 22), ("op_number", 10),
        ("op_swap_kind", 2), ("op_key_case", 6), ("op_rename_key", 3), ("op_splice", 10), ("op_insert", 8),
        ("op_isolator", 8), ("op_wrap", 3), ("op_deep", 1), ("op_shuffle", 2),
    ]

    def structural(self, root):
        ops, weights = zip(*self.STRUCT_OPS)
        for _ in range(10):
            op = self.rng.choices(ops, weights)[0]
            what = getattr(self, op)(root)
            if what:
                return what
        return None

    # ------------------------------------------------------------ bytes

    def style(self):
        r = self.rng.random()
        return Style(
            indent=None if r < 0.6 else self.rng.choice([0, 1, 2, 4]),
            ensure_ascii=self.rng.random() < 0.2,
            escape_slash=self.rng.random() < 0.1,
            space_after_colon=self.rng.random() < 0.3,
        )

    def bytewise(self, data):
        rng = self.rng
        b = bytearray(data)
        n = len(b)
        ops = ["flip", "delete", "insert", "dupchunk", "truncate", "bom", "trailing", "badutf8", "escape",
               "whitespace", "number-text"]
        op = self._pick(ops)
        pos = rng.randrange(n + 1) if n else 0
        if op == "flip" and n:
            p = rng.randrange(n)
            b[p] ^= 1 << rng.randrange(8)
        elif op == "delete" and n:
            ln = rng.randrange(1, min(16, n) + 1)
            del b[pos:pos + ln]
        elif op == "insert":
            b[pos:pos] = self._pick([b"\x00", b"\x80", b"\xff", b"{", b"}", b"[", b"]", b'"', b"\\", b",", b":",
                                     b"0", b"-", b"e", b".", b" ", b"\x7f", b"\xc0\xaf", b"null", b"/"])
        elif op == "dupchunk" and n:
            ln = rng.randrange(1, min(64, n) + 1)
            b[pos:pos] = b[pos:pos + ln]
        elif op == "truncate" and n:
            del b[rng.randrange(n):]
        elif op == "bom":
            b[0:0] = b"\xef\xbb\xbf"
        elif op == "trailing":
            b += self._pick([b"\n", b" ", b"x", b"}", b"{}", b"\x00", b"\n\n\t ", b"null"])
        elif op == "badutf8" or op == "escape":
            quotes = [i for i, c in enumerate(b) if c == 0x22]
            if not quotes:
                return bytes(b), "no string for %s" % op
            p = self._pick(quotes) + 1
            if op == "badutf8":
                ins = self._pick([b"\xff", b"\xc3", b"\xe2\x82", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
                                  b"\xc0\x80", b"\xe0\x80\xaf"])
            else:
                ins = self._pick([b"\\u0041", b"\\u00e9", b"\\ud800", b"\\udc00", b"\\ud83d\\ude00", b"\\u0000",
                                  b"\\/", b"\\x41", b"\\u12", b"\\U0041", b"\\'", b"\\u212a"])
            b[p:p] = ins
            return bytes(b), "%s at %d: %r" % (op, p, ins)
        elif op == "whitespace":
            seps = [i + 1 for i, c in enumerate(b) if c in (0x2C, 0x3A)]
            p = self._pick(seps) if seps else 0
            ins = self._pick([b" ", b"\t", b"\n", b"\r", b"\x0b", b"\x0c", b"\xc2\xa0", b"\r\n"])
            b[p:p] = ins
            return bytes(b), "whitespace %r at %d" % (ins, p)
        elif op == "number-text":
            digits = [i for i, c in enumerate(b) if 0x30 <= c <= 0x39 and (i == 0 or b[i - 1] in b" :[,")]
            if not digits:
                return bytes(b), "no number"
            p = self._pick(digits)
            ins = self._pick([b"0", b"-", b"+", b".", b"00", b"1e5", b"e"])
            b[p:p] = ins
            return bytes(b), "number text %r at %d" % (ins, p)
        return bytes(b), "%s at %d" % (op, pos)

    # ------------------------------------------------------------ one case

    def mutate(self, seed_model, seed_bytes):
        """One mutated document: (bytes, [operations])."""
        rng = self.rng
        ops = []
        if seed_model is not None and rng.random() < 0.85:
            doc = copy(seed_model)
            for _ in range(1 + min(int(rng.expovariate(0.9)), 5)):
                what = self.structural(doc)
                if what:
                    ops.append(what)
            data = dump(doc, self.style())
            if rng.random() < 0.15:
                data, what = self.bytewise(data)
                ops.append(what)
        else:
            data = seed_bytes
            for _ in range(1 + min(int(rng.expovariate(1.2)), 3)):
                data, what = self.bytewise(data)
                ops.append(what)
        return data, ops
