#!/usr/bin/python3
"""The exported surface of libappc.so is exactly the header's appc_* functions.

usage: check_symbols.py NM READELF LIBAPPC.so appc.map appc.h

Compares `nm -D --defined-only` of the library with the functions declared
APPC_EXTERN in appc.h and with the version script (after harfbuzz
src/check-symbols.py): every exported symbol is declared, every declaration
is exported, all carry the version node of appc.map, nothing else leaks
(version node names themselves are allowed), and the soname is libappc.so.0.
"""
import re
import subprocess
import sys

nm, readelf, lib, mapfile, header = sys.argv[1:6]
problems = []

# ---- the version script: nodes with their global patterns ----
with open(mapfile) as f:
    map_text = re.sub(r"/\*.*?\*/", "", f.read(), flags=re.S)
nodes = {}
for name, body in re.findall(r"(\w[\w.]*)\s*\{(.*?)\}\s*[\w.]*\s*;", map_text, flags=re.S):
    glob = re.search(r"global\s*:(.*?)(?:local\s*:|$)", body, flags=re.S)
    local = re.search(r"local\s*:(.*)", body, flags=re.S)
    nodes[name] = {
        "global": [p.strip() for p in (glob.group(1) if glob else "").split(";") if p.strip()],
        "local": [p.strip() for p in (local.group(1) if local else "").split(";") if p.strip()],
    }
if not nodes:
    problems.append(f"{mapfile}: no version node found")
for name, n in nodes.items():
    if not re.fullmatch(r"LIBAPPC_\d+\.\d+", name):
        problems.append(f"{mapfile}: version node {name} is not LIBAPPC_<major>.<minor>")
    for p in n["global"]:
        if not p.startswith("appc_"):
            problems.append(f"{mapfile}: global pattern {p!r} in {name} does not start with appc_")
first_node = next(iter(nodes), None)
if first_node and nodes[first_node]["local"] != ["*"]:
    problems.append(f"{mapfile}: the first node must end with 'local: *;'")


def glob_match(pattern, name):
    return re.fullmatch(re.escape(pattern).replace(r"\*", ".*").replace(r"\?", "."), name) is not None


# ---- the header: functions declared APPC_EXTERN ----
with open(header) as f:
    htext = f.read()
code = re.sub(r"/\*.*?\*/", "", htext, flags=re.S)
code = re.sub(r"//[^\n]*", "", code)
declared = set()
for decl in re.findall(r"APPC_EXTERN\b([^;]*);", code):
    if "#define" in decl:
        continue
    m = re.search(r"\b(\w+)\s*\(", decl)
    if not m:
        problems.append(f"{header}: cannot read declaration: {decl.strip()!r}")
        continue
    declared.add(m.group(1))
for name in sorted(declared):
    if not name.startswith("appc_"):
        problems.append(f"{header}: declared function {name} does not start with appc_")
if len(declared) < 10:
    problems.append(f"{header}: only {len(declared)} declarations found; the parser is broken")
if not htext.rstrip().endswith("/* APPC_HEADER_READY */"):
    problems.append(f"{header}: the last line must be /* APPC_HEADER_READY */")

# ---- the library ----
out = subprocess.run([nm, "-D", "--defined-only", lib], capture_output=True, text=True, check=True).stdout
exported = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) < 3:
        continue
    kind, sym = parts[-2], parts[-1]
    name, _, version = sym.partition("@")
    version = version.lstrip("@")
    if kind == "A" and name in nodes:
        continue  # the version node's own symbol
    exported[name] = (kind, version)

for name, (kind, version) in sorted(exported.items()):
    if not name.startswith("appc_"):
        problems.append(f"exported symbol {name} ({kind}) is not appc_*: hidden visibility or the map leaked it")
    elif name not in declared:
        problems.append(f"exported symbol {name} is not declared in appc.h")
    if kind not in ("T", "W", "i"):
        problems.append(f"exported symbol {name} is of type {kind}, only functions are part of the ABI")
    if version and version not in nodes:
        problems.append(f"exported symbol {name} has version {version}, not a node of appc.map")
    if not version:
        problems.append(f"exported symbol {name} carries no version (is the version script applied?)")
    if not any(glob_match(p, name) for n in nodes.values() for p in n["global"]):
        problems.append(f"exported symbol {name} matches no global pattern of appc.map")
for name in sorted(declared - set(exported)):
    problems.append(f"{name} is declared in appc.h but not exported by {lib}")

dyn = subprocess.run([readelf, "-d", lib], capture_output=True, text=True, check=True).stdout
soname = re.search(r"\(SONAME\).*\[(.*)\]", dyn)
if not soname or soname.group(1) != "libappc.so.0":
    problems.append(f"soname is {soname.group(1) if soname else 'missing'}, expected libappc.so.0")

for p in problems:
    print("FAIL:", p)
print(f"{len(exported)} exported, {len(declared)} declared, {len(problems)} problem(s)")
sys.exit(1 if problems else 0)
