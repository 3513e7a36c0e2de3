#!/usr/bin/python3
"""The appc CLI against corpus files: outputs and exit codes.

usage: cli_test.py APPC   (APPC_TEST_DATA set by meson)
Exit codes under test: 0 success, 1 failure (one "appc: ..." line on stderr), 2 usage error.
"""
import json
import os
import re
import subprocess
import sys

appc = sys.argv[1]
corpus = os.path.join(os.environ["APPC_TEST_DATA"], "conformance", "manifests")
failures = []
checks = 0


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what)


def run(*args, stdin=None):
    return subprocess.run([appc, *args], input=stdin, capture_output=True, text=True, timeout=60)


def c(name):
    return os.path.join(corpus, name)


VALID_IMAGE = c("valid-image-dependencies-full.json")
VALID_POD = c("valid-spec-example-pod-runtime.json")
PORT_ZERO = c("invalid-image-app-port-zero.json")
NOT_JSON = c("invalid-image-not-json.json")
MISSING = c("does-not-exist.json")

# ---- version ----
r = run("version")
check(r.returncode == 0, f"version exits 0: {r.returncode} {r.stderr}")
lines = r.stdout.splitlines()
check(len(lines) == 2 and re.fullmatch(r"libappc \d+\.\d+\.\d+", lines[0]) is not None, f"version line: {lines}")
check(lines[1:] == ["appc spec 0.8.11"], f"spec line: {lines}")
r = run("--format=json", "version")
v = json.loads(r.stdout)
check(r.returncode == 0 and set(v) == {"library", "spec"} and v["spec"] == "0.8.11", f"version json: {r.stdout}")
check(v["library"] == lines[0].split()[1], "json and text versions agree")
r = run("version", "--format", "json")
check(r.returncode == 0 and json.loads(r.stdout) == v, "global flag after the command")

# ---- help and usage errors (exit 2, message on stderr) ----
r = run("--help")
check(r.returncode == 0 and "Commands:" in r.stdout and "manifest" in r.stdout, "--help")
for args in (["manifest", "--help"], ["help", "manifest"], ["help"]):
    r = run(*args)
    check(r.returncode == 0 and "usage: appc" in r.stdout, f"help {args}: {r.returncode}")


def usage(args, needle):
    r = run(*args)
    check(r.returncode == 2, f"{args} exits 2 (got {r.returncode}; {r.stderr!r})")
    check(r.stderr.startswith("appc: ") and needle in r.stderr, f"{args} message: {r.stderr!r}")
    check(r.stdout == "", f"{args} prints nothing on stdout: {r.stdout!r}")


usage([], "missing command")
usage(["bogus"], "unknown command 'bogus'")
usage(["--bogus", "version"], "unknown flag '--bogus'")
usage(["--format=xml", "version"], "unknown format 'xml'")
usage(["--format"], "--format needs a value")
usage(["--root"], "--root needs a directory")
usage(["--insecure-options=http,bogus", "version"], "unknown option 'bogus'")
usage(["version", "extra"], "version takes no arguments")
usage(["manifest"], "missing subcommand")
usage(["manifest", "frobnicate"], "unknown subcommand 'frobnicate'")
usage(["manifest", "validate"], "no FILE given")
usage(["manifest", "validate", "--strict", VALID_IMAGE], "unknown flag '--strict'")
usage(["manifest", "cat"], "exactly one FILE")
usage(["manifest", "cat", VALID_IMAGE, VALID_POD], "exactly one FILE")
usage(["manifest", "cat", "--ugly", VALID_IMAGE], "unknown flag '--ugly'")
help_help = run("help", "bogus")
check(help_help.returncode == 2, "help for an unknown command is a usage error")

# Accepted global flags change nothing for these commands.
r = run("--root", "/nonexistent/root", "--debug", "--insecure-options=http,image,pubkey", "version")
check(r.returncode == 0, f"global flags accepted: {r.stderr}")
r = run("--root=/x", "--insecure-options", "all", "--insecure-options=none", "version")
check(r.returncode == 0, f"global flags '=' and separate forms: {r.stderr}")

# ---- manifest validate: text ----
r = run("manifest", "validate", VALID_IMAGE, VALID_POD)
check(r.returncode == 0, f"valid files exit 0: {r.returncode} {r.stdout} {r.stderr}")
check(r.stdout.splitlines() == [f"{VALID_IMAGE}: valid (ImageManifest)", f"{VALID_POD}: valid (PodManifest)"],
      f"valid lines: {r.stdout!r}")
check(r.stderr == "", f"nothing on stderr when valid: {r.stderr!r}")

r = run("manifest", "validate", PORT_ZERO)
check(r.returncode == 1, f"invalid exits 1: {r.returncode}")
lines = r.stdout.splitlines()
check(len(lines) >= 1 and all(l.startswith(PORT_ZERO + ": ") for l in lines), f"finding lines: {lines}")
check(any(re.fullmatch(re.escape(PORT_ZERO) + r": app\.ports\[0\]\.port: .+ \(spec 17\)", l) for l in lines),
      f"port finding with path and rule: {lines}")
check(r.stderr == "appc: 1 of 1 file is not valid\n", f"one summary line on stderr: {r.stderr!r}")

r = run("manifest", "validate", NOT_JSON)
check(r.returncode == 1 and len(r.stdout.splitlines()) >= 1, f"not JSON: {r.stdout!r}")

r = run("manifest", "validate", VALID_IMAGE, MISSING, PORT_ZERO)
check(r.returncode == 1, "mixed exits 1")
out = r.stdout.splitlines()
check(out[0] == f"{VALID_IMAGE}: valid (ImageManifest)", f"mixed first line: {out}")
check(out[1] == f"{MISSING}: cannot read: No such file or directory", f"missing file line: {out}")
check(r.stderr == "appc: 2 of 3 files are not valid\n", f"mixed summary: {r.stderr!r}")

with open(VALID_POD) as f:
    pod_text = f.read()
r = run("manifest", "validate", "-", stdin=pod_text)
check(r.returncode == 0 and r.stdout == "-: valid (PodManifest)\n", f"stdin: {r.stdout!r}")
r = run("manifest", "validate", "--", "-", stdin=pod_text)
check(r.returncode == 0, "-- ends the flags")

# Unbounded input stops at the library's 16 MiB default.
r = run("manifest", "validate", "/dev/zero")
check(r.returncode == 1 and r.stdout == "/dev/zero: larger than the limit of 16777216 bytes\n",
      f"over the limit: {r.stdout!r}")
r = run("manifest", "cat", "/dev/zero")
check(r.returncode == 1 and r.stderr == "appc: /dev/zero: larger than the limit of 16777216 bytes\n",
      f"cat over the limit: {r.stderr!r}")

# ---- manifest validate: json ----
r = run("--format=json", "manifest", "validate", VALID_IMAGE, PORT_ZERO, MISSING, NOT_JSON)
check(r.returncode == 1, "json mixed exits 1")
rep = json.loads(r.stdout)
check(list(rep) == ["files"], f"report keys: {list(rep)}")
files = rep["files"]
check([f["file"] for f in files] == [VALID_IMAGE, PORT_ZERO, MISSING, NOT_JSON], "one entry per file, in order")
for f in files:
    check(set(f) == {"file", "kind", "valid", "errors"}, f"entry keys: {set(f)}")
    check(f["valid"] == (f["errors"] == []), f"valid iff no errors: {f}")
    for e in f["errors"]:
        check(set(e) == {"path", "message", "rule"}, f"error keys: {e}")
        check(isinstance(e["path"], str) and isinstance(e["rule"], int) and e["message"], f"error types: {e}")
check(files[0]["valid"] is True and files[0]["kind"] == "ImageManifest", "json valid image")
check(any(e["path"] == "app.ports[0].port" and e["rule"] == 17 for e in files[1]["errors"]), "json port finding")
check(files[1]["kind"] == "ImageManifest", "kind of an invalid image")
check(files[2]["kind"] == "unknown" and files[2]["errors"][0]["message"].startswith("cannot read: "), "json missing")
check(files[3]["kind"] == "unknown" and not files[3]["valid"], "json not-JSON file")

# The whole corpus: text and JSON agree file by file, exit code follows the verdicts.
every = sorted(os.path.join(corpus, n) for n in os.listdir(corpus) if n.endswith(".json"))
rj = run("--format=json", "manifest", "validate", *every)
report = json.loads(rj.stdout)["files"]
check(len(report) == len(every), f"corpus: {len(report)} entries for {len(every)} files")
rt = run("manifest", "validate", *every)
text_lines = rt.stdout.splitlines()
by_file = {}
for line in text_lines:
    for f in every:
        if line.startswith(f + ": "):
            by_file.setdefault(f, []).append(line[len(f) + 2:])
            break
ninvalid = 0
for f in report:
    lines = by_file.get(f["file"], [])
    if f["valid"]:
        check(lines == [f"valid ({f['kind']})"], f"corpus text for valid {f['file']}: {lines}")
    else:
        ninvalid += 1
        check(len(lines) == len(f["errors"]), f"corpus: one text line per finding for {f['file']}")
        for line, e in zip(lines, f["errors"]):
            want = (e["path"] + ": " if e["path"] else "") + e["message"] + (f" (spec {e['rule']})" if e["rule"] else "")
            check(line == want, f"corpus text == json finding: {line!r} vs {want!r}")
    check(f["kind"] in ("ImageManifest", "PodManifest", "unknown"), f"kind value {f['kind']}")
check(rj.returncode == (1 if ninvalid else 0) and rt.returncode == rj.returncode, "corpus exit codes")
if ninvalid:
    check(rt.stderr == f"appc: {ninvalid} of {len(every)} files are not valid\n", f"corpus summary: {rt.stderr!r}")
check(ninvalid > 0 and ninvalid < len(every), "the corpus has both verdicts")

# ---- manifest cat ----
for src in (VALID_IMAGE, VALID_POD):
    r = run("manifest", "cat", src)
    check(r.returncode == 0 and r.stderr == "", f"cat {src}: {r.stderr}")
    check(r.stdout.endswith("\n") and r.stdout.count("\n") == 1, "cat prints one compact line")
    with open(src) as f:
        check(json.loads(r.stdout)["acKind"] == json.loads(f.read())["acKind"], "cat keeps the kind")
    again = run("manifest", "cat", "-", stdin=r.stdout)
    check(again.stdout == r.stdout, f"canonical form is a fixed point for {src}")
    pretty = run("manifest", "cat", src, "--pretty")
    check(pretty.returncode == 0 and pretty.stdout.count("\n") > 3, "pretty is multi-line")
    check(json.loads(pretty.stdout) == json.loads(r.stdout), "pretty and compact are the same document")
    check(run("manifest", "cat", "-", stdin=pretty.stdout).stdout == r.stdout, "pretty parses back to canonical")

r = run("manifest", "cat", PORT_ZERO)
check(r.returncode == 1 and r.stdout == "", f"cat invalid exits 1: {r.returncode}")
err_lines = r.stderr.splitlines()
check(len(err_lines) == 1 and err_lines[0].startswith(f"appc: {PORT_ZERO}: "), f"one stderr line: {err_lines}")
check("app.ports[0].port" in r.stderr, f"the message names the path: {r.stderr!r}")
r = run("--debug", "manifest", "cat", PORT_ZERO)
check(r.returncode == 1 and any(l.startswith("appc: debug: status invalid (-2)") for l in r.stderr.splitlines()),
      f"--debug details: {r.stderr!r}")
check(any(re.fullmatch(r"appc: debug: app\.ports\[0\]\.port: .+ \(spec 17\)", l) for l in r.stderr.splitlines()),
      f"--debug lists findings: {r.stderr!r}")
r = run("manifest", "cat", MISSING)
check(r.returncode == 1 and r.stderr == f"appc: {MISSING}: cannot read: No such file or directory\n",
      f"cat missing: {r.stderr!r}")

print(f"{checks - len(failures)}/{checks} checks passed")
sys.exit(1 if failures else 0)
