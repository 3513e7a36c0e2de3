#!/usr/bin/python3
"""Differential test: libappc's manifest verdicts against the reference validator.

  run_differential.py --ours BUILD/tests/differential/ours_driver [--workdir DIR]

Environment:
  APPC_REFKIT      reference toolkit folder (bin/actool), default /tmp/refkit; absent: skip (77)
  APPC_TEST_DATA   tests/data (the corpus is conformance/manifests)
  APPC_DIFF_SEED   seed of the mutations (printed; random when unset)
  APPC_DIFF_COUNT  number of mutated documents (default 10000)
  APPC_DIFF_MINIMISE_SECONDS  time budget for minimising each failure group (default 20; 240 in all)
  APPC_DIFF_DOC_TIMEOUT       seconds a driver may take on one document (default 20)

Steps: (1) build the batch reference driver refdriver.go (Go, GOPATH mode over
Debian's golang-github-appc-spec-dev, the sources actool is built from) and
check that it gives actool's verdict on every corpus file and on a sample of
mutated documents; (2) compare libappc and the reference on the corpus: they
must agree except on the corpus files of the deviation table, where the
documented rules must explain the difference; (3) the same over seeded
mutations of the corpus. Every disagreement is classified by the deviation
predicates of deviations.py; an unexplained one fails the test and is printed
minimised (also written under WORKDIR/failures/).
"""

import argparse
import concurrent.futures
import json
import os
import queue
import random
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # no __pycache__ in the source tree
sys.path.insert(0, HERE)

import deviations  # noqa: E402
from deviations import OURS_STRICTER, REF_STRICTER  # noqa: E402
from jsonmodel import Obj, copy, dump, parse  # noqa: E402
from mutate import Mutator  # noqa: E402

SKIP = 77

# Corpus files (tests/data/conformance/manifests) on which libappc's verdict
# deliberately differs from the reference: mirrors the deviation table of
# tests/unit/spec/conformance_test.cpp and docs/conformance.md. Value: the
# rules of deviations.py that must explain the difference.
CORPUS_DEVIATIONS = {
    "valid-spec-example-image.json": ["image-id-strict"],
    "valid-spec-aci-md-image-manifest.json": ["image-id-strict"],
    "valid-spec-pods-md-pod-manifest.json": ["image-id-strict"],
    "valid-spec052-example-pod-runtime.json": ["required-field"],
    "valid-image-acversion-future-major.json": ["semver-strict"],
    "valid-image-acversion-leading-zero.json": ["semver-strict"],
    "valid-image-name-consecutive-separators.json": ["ac-identifier-strict"],
    "valid-image-app-supplementary-gids-negative.json": ["gid-unsigned"],
    "valid-image-app-mountpoint-missing-path.json": ["required-field"],
    "valid-image-app-mountpoint-missing-name.json": ["required-field"],
    "valid-image-app-port-missing-name.json": ["required-field"],
    "invalid-image-isolator-unknown-name.json": ["unknown-isolator-valid"],
    "invalid-image-isolator-apparmor-profile.json": ["unknown-isolator-valid"],
    "invalid-pod-app-override-unknown-isolator.json": ["unknown-isolator-valid"],
    "valid-image-isolator-caps-retain-and-remove.json": ["caps-retain-and-remove"],
    "valid-pod-missing-apps.json": ["required-field"],
    "valid-pod-app-name-missing.json": ["required-field"],
    "valid-pod-app-image-id-non-hex.json": ["image-id-strict"],
    "valid-pod-app-mounts-missing-path.json": ["required-field"],
    "valid-pod-app-mounts-missing-volume.json": ["required-field"],
    "valid-pod-app-mounts-legacy-mountpoint.json": ["required-field"],
    "valid-pod-volume-empty-mode-garbage.json": ["volume-mode-octal"],
    "valid-pod-annotations-identifier-name.json": ["pod-annotation-ac-name"],
    "valid-pod-ports-hostport-out-of-range.json": ["host-port-range"],
    "valid-pod-ports-duplicate-names.json": ["pod-port-names-unique"],
}


def log(msg=""):
    print(msg, flush=True)


# ---------------------------------------------------------------- drivers

def stream_input(docs):
    parts = []
    for d in docs:
        parts.append(b"%d\n" % len(d))
        parts.append(d)
    return b"".join(parts)


class Crash(Exception):
    pass


class StreamDriver:
    """A batch driver speaking the "<len>\\n<bytes>" record protocol, one
    process per batch. A document that kills the process is reported as
    {"v": "crash"}, one that gets no answer within `doc_timeout` seconds as
    {"v": "hang"}; the batch goes on after it in a new process."""

    def __init__(self, cmd, parse_line, doc_timeout=None):
        self.cmd = cmd
        self.parse_line = parse_line
        self.doc_timeout = doc_timeout or float(os.environ.get("APPC_DIFF_DOC_TIMEOUT", "20"))

    def run(self, docs):
        out = []
        start = 0
        while start < len(docs):
            got, end = self._batch(docs[start:])
            out.extend(got)
            if end is None:
                break
            out.append(end)
            start += len(got) + 1
        return out

    def _batch(self, batch):
        p = subprocess.Popen(self.cmd + ["-stream"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)
        lines = queue.Queue()
        err = []

        def write():
            try:
                p.stdin.write(stream_input(batch))
                p.stdin.close()
            except (BrokenPipeError, OSError):
                pass

        def read():
            for line in p.stdout:
                lines.put(line)
            lines.put(None)

        def read_err():
            err.append(p.stderr.read())

        threads = [threading.Thread(target=f, daemon=True) for f in (write, read, read_err)]
        for t in threads:
            t.start()
        got = []
        end = None
        while len(got) < len(batch):
            try:
                line = lines.get(timeout=self.doc_timeout)
            except queue.Empty:
                p.kill()
                end = {"v": "hang", "msg": "%s gave no answer within %gs" % (os.path.basename(self.cmd[0]),
                                                                              self.doc_timeout)}
                break
            if line is None:
                rc = p.wait()
                threads[2].join(5)
                end = {"v": "crash", "msg": "%s exit %s: %s" % (
                    os.path.basename(self.cmd[0]), rc,
                    b"".join(err).decode("utf-8", errors="replace").strip()[-2000:])}
                break
            got.append(self.parse_line(line.decode("utf-8", errors="replace").rstrip("\n")))
        p.wait()
        return got, end


def parse_ours(line):
    try:
        return json.loads(line)
    except ValueError:
        return {"v": "crash", "msg": "unparsable driver output: " + line[:200]}


def parse_ref(line):
    v, _, msg = line.partition("\t")
    return {"v": "valid" if v == "valid" else "invalid", "ref": v, "msg": msg}


class ActoolDriver:
    """Fallback without Go: one actool process per document (slow)."""

    def __init__(self, actool, workdir):
        self.actool = actool
        self.workdir = workdir

    def _one(self, i_doc):
        i, doc = i_doc
        path = os.path.join(self.workdir, "actool-%d.json" % i)
        with open(path, "wb") as f:
            f.write(doc)
        rc, msg = run_actool(self.actool, path)
        os.unlink(path)
        if rc is None:
            return {"v": "hang", "msg": "actool " + msg}
        v = {0: "valid", 1: "invalid", 2: "panic"}.get(rc, "invalid")
        return {"v": "valid" if rc == 0 else "invalid", "ref": v, "msg": msg}

    def run(self, docs):
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
            return list(ex.map(self._one, enumerate(docs)))


def run_actool(actool, path, timeout=60):
    """(exit code, stderr in one line); exit code None when actool hangs."""
    try:
        p = subprocess.run([actool, "validate", "--type=manifest", path], stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, "no answer within %ds" % timeout
    return p.returncode, p.stderr.decode("utf-8", errors="replace").strip().replace("\n", "\\n")


def find_go():
    go = shutil.which("go")
    if go:
        return go
    for cand in ("/usr/lib/go/bin/go", "/usr/lib/go-1.19/bin/go"):
        if os.access(cand, os.X_OK):
            return cand
    return None


def build_refdriver(workdir):
    go = find_go()
    if not go:
        log("note: no Go toolchain; falling back to one actool process per document (slow)")
        return None
    out = os.path.join(workdir, "refdriver")
    src = os.path.join(HERE, "refdriver.go")
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(src):
        return out
    env = dict(os.environ, GO111MODULE="off", GOPATH="/usr/share/gocode", GOCACHE=os.path.join(workdir, "gocache"),
               GOPROXY="off", GOFLAGS="", CGO_ENABLED="0")
    p = subprocess.run([go, "build", "-o", out, src], env=env, cwd=workdir, stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT)
    if p.returncode != 0:
        log(p.stdout.decode(errors="replace"))
        raise SystemExit("FAIL: cannot build refdriver.go (golang-github-appc-spec-dev installed? "
                         "tests/refkit/build.sh installs it)")
    return out


# ---------------------------------------------------------------- comparison

class Outcome:
    __slots__ = ("doc", "ops", "seed", "ours", "ref", "status", "detail", "rules")

    def __init__(self, doc, ops, seed, ours, ref):
        self.doc, self.ops, self.seed, self.ours, self.ref = doc, ops, seed, ours, ref
        self.status, self.detail, self.rules = None, "", []


class Comparator:
    def __init__(self, ours, ref):
        self.ours = ours
        self.ref = ref

    def verdicts(self, docs):
        with concurrent.futures.ThreadPoolExecutor(2) as ex:
            fo = ex.submit(self.ours.run, docs)
            fr = ex.submit(self.ref.run, docs)
            return fo.result(), fr.result()

    def classify(self, outcomes):
        """Sets status: agree | expected | FAIL (with detail) on each outcome."""
        pending_repairs = []
        for o in outcomes:
            ov, rv = o.ours.get("v"), o.ref["v"]
            if ov in ("crash", "hang"):
                o.status, o.detail = "FAIL", "libappc driver %s: %s" % (ov, o.ours.get("msg", ""))
            elif ov == "roundtrip":
                o.status, o.detail = "FAIL", "round-trip invariant broken: " + o.ours.get("msg", "")
            elif o.ref.get("v") == "hang":
                # The reference never answers (e.g. a quantity 1e5107374182 makes
                # it compute a 5-billion-digit power of ten): no verdict to compare.
                o.status, o.detail = "skip", "reference hangs: " + o.ref.get("msg", "")
            elif o.ref.get("v") == "crash":
                o.status, o.detail = "FAIL", "reference driver crashed: " + o.ref.get("msg", "")
            elif ov == rv:
                o.status = "agree"
                if ov == "invalid" and not o.ours.get("diags") and o.ours.get("code") != "limit":
                    o.status, o.detail = "FAIL", "invalid without diagnostics: " + o.ours.get("message", "")
            elif ov == "invalid":
                ok, why = deviations.explain_ours_stricter(o.doc, o.ours)
                if ok:
                    o.status, o.rules = "expected", why
                else:
                    first = (o.ours.get("diags") or [{}])[0]
                    if why.startswith("no documented"):
                        why += "; libappc says %s: %s" % (first.get("path", ""), first.get("msg", ""))
                    o.status, o.detail = "FAIL", "libappc rejects, reference accepts; " + why
            else:
                held, repaired = deviations.repair_ref_stricter(o.doc)
                if not held:
                    o.status, o.detail = "FAIL", "libappc accepts, reference rejects (%s); no documented " \
                                                 "deviation applies" % o.ref["msg"]
                else:
                    o.rules = held
                    pending_repairs.append((o, repaired))
        if pending_repairs:
            res = self.ref.run([r for _, r in pending_repairs])
            for (o, _), r in zip(pending_repairs, res):
                if r["v"] == "valid":
                    o.status = "expected"
                elif r["v"] == "hang":
                    o.status, o.detail = "skip", "reference hangs on the repaired document"
                else:
                    o.status, o.detail = "FAIL", ("libappc accepts, reference rejects (%s); it still rejects "
                                                  "without the parts %s explain: %s" % (
                                                      o.ref["msg"], ", ".join(o.rules), r["msg"]))
        return outcomes

    def run(self, docs, ops=None, seeds=None):
        ours, ref = self.verdicts(docs)
        outs = [Outcome(d, (ops or [None] * len(docs))[i], (seeds or [None] * len(docs))[i], ours[i], ref[i])
                for i, d in enumerate(docs)]
        return self.classify(outs)


def failure_kind(o, detail=None):
    """A grouping key for failures: the same bug gives the same key."""
    d = detail if detail is not None else o.detail
    d = re.sub(r"\[\d+\]", "[]", d)
    d = re.sub(r'"[^"]*"', '""', d)
    d = re.sub(r"'[^']*'", "''", d)
    d = re.sub(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", "N", d)
    return d[:160]


# ---------------------------------------------------------------- minimisation

NICE = {"acVersion": "0.8.11", "name": "a", "imageName": "a", "imageID": "sha512-" + "0" * 128,
        "id": "sha512-" + "0" * 128, "path": "/a", "user": "0", "group": "0", "workingDirectory": "/",
        "volume": "a", "protocol": "tcp"}


def _candidates_json(doc):
    """Documents one step smaller: a member or element removed, a container
    replaced by one of its children, a string shortened."""
    out = []
    paths = []

    def walk(node, trail):
        if isinstance(node, Obj):
            for i in range(len(node.items)):
                paths.append(("del", trail + [i]))
                walk(node.items[i][1], trail + [i])
        elif isinstance(node, list):
            for i in range(len(node)):
                paths.append(("del", trail + [i]))
                walk(node[i], trail + [i])
        elif isinstance(node, str) and len(node) > 1:
            paths.append(("str", trail))

    walk(doc, [])
    # Replace strings of well-known keys by a plain valid value, so that
    # unrelated (documented) deviations drop out of the reproducer.
    nice = []

    def walk_nice(node, trail):
        if isinstance(node, Obj):
            for i, (k, v) in enumerate(node.items):
                if isinstance(v, str) and k in NICE and v != NICE[k]:
                    nice.append(("nice", trail + [(i, NICE[k])]))
                walk_nice(v, trail + [i])
        elif isinstance(node, list):
            for i, v in enumerate(node):
                walk_nice(v, trail + [i])

    walk_nice(doc, [])

    def locate(root, trail):
        parent, node = None, root
        for i in trail:
            parent = node
            node = node.items[i][1] if isinstance(node, Obj) else node[i]
        return parent, node

    for what, trail in nice:
        d = copy(doc)
        parent, node = locate(d, trail[:-1] + [trail[-1][0]])
        parent.items[trail[-1][0]][1] = trail[-1][1]
        out.append(d)
    for what, trail in paths:
        d = copy(doc)
        if what == "del":
            parent, _ = locate(d, trail)
            if isinstance(parent, Obj):
                del parent.items[trail[-1]]
            else:
                del parent[trail[-1]]
            out.append(d)
            # hoist: replace the parent container by this child
            if len(trail) >= 2:
                d2 = copy(doc)
                grand, parent2 = locate(d2, trail[:-1])
                _, child = locate(d2, trail)
                if isinstance(grand, Obj):
                    grand.items[trail[-2]][1] = child
                else:
                    grand[trail[-2]] = child
                out.append(d2)
        else:
            parent, node = locate(d, trail)
            short = node[: max(1, len(node) // 2)] if len(node) > 8 else node[:-1]
            if isinstance(parent, Obj):
                parent.items[trail[-1]][1] = short
            else:
                parent[trail[-1]] = short
            out.append(d)
    return out


def _candidates_bytes(data):
    out = []
    n = len(data)
    chunk = max(1, n // 2)
    while chunk >= 1:
        for start in range(0, n, chunk):
            out.append(data[:start] + data[start + chunk:])
        if chunk == 1:
            break
        chunk //= 2
        if len(out) > 400:
            break
    return out


def minimise(comparator, o, budget):
    """Shrink o.doc while it stays a failure of the same kind."""
    want = failure_kind(o)
    best = o
    deadline = time.time() + budget
    while time.time() < deadline:
        model = parse(best.doc)
        # Only shrink structurally when the compact form still fails the same
        # way (else the failure lives in the bytes: whitespace, escapes, ...).
        cands = []
        if model is not None:
            cands = [dump(c) for c in _candidates_json(model)]
            if dump(model) != best.doc:
                cands.insert(0, dump(model))
        if model is None or not cands:
            cands = _candidates_bytes(best.doc)
        cands = sorted(set(c for c in cands if len(c) < len(best.doc) or c != best.doc), key=len)[:600]
        if not cands:
            break
        res = comparator.run(cands)
        nxt = next((r for r in res if r.status == "FAIL" and failure_kind(r) == want and len(r.doc) <= len(best.doc)
                    and r.doc != best.doc), None)
        if nxt is None and model is not None:
            res = comparator.run(_candidates_bytes(best.doc)[:200])
            nxt = next((r for r in res if r.status == "FAIL" and failure_kind(r) == want
                        and len(r.doc) < len(best.doc)), None)
        if nxt is None:
            break
        nxt.ops, nxt.seed = o.ops, o.seed
        best = nxt
    return best


# ---------------------------------------------------------------- main

def show(doc, limit=1500):
    s = doc.decode("utf-8", errors="backslashreplace")
    return s if len(s) <= limit else s[:limit] + "... (%d bytes)" % len(doc)


def load_corpus(folder):
    files = sorted(f for f in os.listdir(folder) if f.endswith(".json"))
    return [(f, open(os.path.join(folder, f), "rb").read()) for f in files]


def conformance_table_files(source_root):
    """File names listed in tests/unit/spec/conformance_test.cpp's deviation
    table, if that file exists and names any; None otherwise."""
    path = os.path.join(source_root or "", "tests", "unit", "spec", "conformance_test.cpp")
    if not os.path.exists(path):
        return None
    names = set(re.findall(r'"((?:valid|invalid)-[A-Za-z0-9._-]+\.json)"', open(path, encoding="utf-8").read()))
    return names or None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ours", required=True, help="ours_driver executable")
    ap.add_argument("--workdir", default=None)
    args = ap.parse_args()

    refkit = os.environ.get("APPC_REFKIT") or "/tmp/refkit"
    actool = os.path.join(refkit, "bin", "actool")
    if not os.access(actool, os.X_OK):
        log("SKIP: reference actool not found at %s (build it: REFKIT=DIR bash tests/refkit/build.sh, "
            "then export APPC_REFKIT=DIR)" % actool)
        return SKIP

    data_dir = os.environ.get("APPC_TEST_DATA") or os.path.join(HERE, "..", "data")
    corpus_dir = os.path.join(data_dir, "conformance", "manifests")
    workdir = os.path.abspath(args.workdir) if args.workdir else os.path.join(os.environ.get("APPC_BUILD_ROOT", tempfile.gettempdir()),
                                           "tests", "differential", "work")
    os.makedirs(workdir, exist_ok=True)
    faildir = os.path.join(workdir, "failures")
    shutil.rmtree(faildir, ignore_errors=True)
    os.makedirs(faildir)

    seed_env = os.environ.get("APPC_DIFF_SEED")
    seed = int(seed_env) if seed_env else random.SystemRandom().randrange(1 << 32)
    count = int(os.environ.get("APPC_DIFF_COUNT", "10000"))
    budget = float(os.environ.get("APPC_DIFF_MINIMISE_SECONDS", "20"))
    total_deadline = None
    log("differential: seed %d (rerun with APPC_DIFF_SEED=%d), %d mutations, reference %s" % (seed, seed, count,
                                                                                               actool))

    deviations.selftest()
    ours = StreamDriver([args.ours], parse_ours)
    refbin = build_refdriver(workdir)
    ref = StreamDriver([refbin], parse_ref) if refbin else ActoolDriver(actool, workdir)
    comp = Comparator(ours, ref)
    failures = []

    # (1) The batch driver is the reference: same verdicts as actool.
    corpus = load_corpus(corpus_dir)
    if not corpus:
        log("FAIL: no corpus in %s" % corpus_dir)
        return 1
    if refbin:
        rng = random.Random(seed ^ 0x5EED)
        mut = Mutator(rng, [parse(d) for _, d in corpus])
        sample = [mut.mutate(parse(d), d)[0] for _, d in (corpus[rng.randrange(len(corpus))] for _ in range(60))]
        docs = [d for _, d in corpus] + sample
        names = [f for f, _ in corpus] + ["mutation %d" % i for i in range(len(sample))]
        got = ref.run(docs)
        mism = 0
        with tempfile.TemporaryDirectory(dir=workdir) as tmp:
            for name, doc, g in zip(names, docs, got):
                path = os.path.join(tmp, "doc.json")
                with open(path, "wb") as f:
                    f.write(doc)
                rc, msg = run_actool(actool, path)
                want = {0: "valid", 1: "invalid", 2: "panic", None: None}.get(rc, "rc%s" % rc)
                if want is None and g.get("v") == "hang":
                    continue
                if g.get("ref") != want:
                    mism += 1
                    log("FAIL: refdriver says %s, actool %s (%s) on %s:\n%s" % (g.get("ref"), want, msg, name,
                                                                                  show(doc, 400)))
        if mism:
            return 1
        log("refdriver == actool on %d corpus files and %d mutations" % (len(corpus), len(sample)))

    # (2) The corpus: agreement except the documented table.
    table_files = conformance_table_files(os.environ.get("APPC_SOURCE_ROOT"))
    if table_files is not None:
        drift = sorted(set(CORPUS_DEVIATIONS) ^ table_files)
        if drift:
            failures.append(("corpus table drift", None,
                             "CORPUS_DEVIATIONS here and tests/unit/spec/conformance_test.cpp differ on: " +
                             ", ".join(drift)))
    res = comp.run([d for _, d in corpus])
    n_dev = 0
    for (name, _), o in zip(corpus, res):
        prefix_valid = name.startswith("valid-")
        if (o.ref["v"] == "valid") != prefix_valid:
            failures.append(("corpus", o, "reference verdict %s contradicts the file name %s" % (o.ref["ref"], name)))
        listed = name in CORPUS_DEVIATIONS
        if o.status == "agree":
            if listed:
                failures.append(("corpus", o, "%s: listed as a deliberate deviation (%s) but libappc agrees with "
                                              "the reference" % (name, ", ".join(CORPUS_DEVIATIONS[name]))))
        elif o.status == "expected":
            n_dev += 1
            if not listed:
                failures.append(("corpus", o, "%s: libappc differs from the reference (%s) but the file is not in "
                                              "the deviation table" % (name, ", ".join(o.rules))))
            elif not set(CORPUS_DEVIATIONS[name]) <= set(
                    deviations.findings(o.doc, OURS_STRICTER if o.ours["v"] == "invalid" else REF_STRICTER)):
                failures.append(("corpus", o, "%s: explained by %s, the table says %s" % (
                    name, ", ".join(o.rules), ", ".join(CORPUS_DEVIATIONS[name]))))
        else:
            failures.append(("corpus", o, "%s: %s" % (name, o.detail)))
    log("corpus: %d files, %d agree, %d documented deviations, %d problems" % (
        len(corpus), sum(1 for o in res if o.status == "agree"), n_dev,
        sum(1 for f in failures if f[0] == "corpus")))

    # (2b) The reproducers of past findings (tests/data/differential): each
    # must now agree, or differ only as documented.
    repro_dir = os.path.join(data_dir, "differential")
    repros = load_corpus(repro_dir) if os.path.isdir(repro_dir) else []
    settled = []   # reproducers that pass now seed the mutations
    if repros:
        res = comp.run([d for _, d in repros])
        for (name, d), o in zip(repros, res):
            if o.status == "FAIL":
                failures.append(("reproducer", o, "tests/data/differential/%s: %s" % (name, o.detail)))
            else:
                settled.append((name, d))
        log("reproducers: %d files, %d still unexplained" % (
            len(repros), sum(1 for o in res if o.status == "FAIL")))

    # (3) Mutations.
    rng = random.Random(seed)
    seeds = corpus[:]
    ace_dir = os.path.join(data_dir, "conformance", "ace")
    if os.path.isdir(ace_dir):
        seeds += [("ace/" + f, d) for f, d in load_corpus(ace_dir)]
    seeds += [("differential/" + f, d) for f, d in settled]
    models = [parse(d) for _, d in seeds]
    mut = Mutator(rng, [m for m in models if m is not None])
    docs, ops, origin = [], [], []
    for _ in range(count):
        i = rng.randrange(len(seeds))
        d, o = mut.mutate(models[i], seeds[i][1])
        docs.append(d)
        ops.append(o)
        origin.append(seeds[i][0])
    t0 = time.time()
    res = comp.run(docs, ops, origin)
    elapsed = time.time() - t0
    stats = {"agree": 0, "expected": 0, "FAIL": 0, "skip": 0}
    by_rule = {}
    for o in res:
        stats[o.status] += 1
        if o.status == "expected":
            for r in o.rules:
                by_rule[r] = by_rule.get(r, 0) + 1
    both_valid = sum(1 for o in res if o.status == "agree" and o.ours["v"] == "valid")
    log("mutations: %d documents in %.1fs: %d agree (%d valid for both), %d documented deviations, %d unexplained" % (
        len(res), elapsed, stats["agree"], both_valid, stats["expected"], stats["FAIL"]))
    for r in sorted(by_rule):
        log("  expected by %-28s %d" % (r, by_rule[r]))
    for o in res:
        if o.status == "skip":
            log("  skipped, %s; document: %s" % (o.detail, show(o.doc, 300)))
    failures.extend(("mutation", o, o.detail) for o in res if o.status == "FAIL")

    if not failures:
        log("PASS")
        return 0

    # Group, minimise one per group, print.
    groups = {}
    for where, o, detail in failures:
        key = (where, failure_kind(o, detail) if where == "mutation" else detail)
        groups.setdefault(key, []).append((o, detail))
    log("\n%d unexplained disagreements in %d groups:" % (len(failures), len(groups)))
    for n, ((where, _), members) in enumerate(sorted(groups.items(), key=lambda kv: -len(kv[1]))):
        o, detail = members[0]
        log("\n[%d] %s, %d case(s): %s" % (n + 1, where, len(members), detail))
        if o is None:
            continue
        if total_deadline is None:
            total_deadline = time.time() + 12 * budget
        if where == "mutation" and n < 25 and time.time() < total_deadline:
            m = minimise(comp, o, min(budget, total_deadline - time.time()))
        else:
            m = o
        log("    from %s via %s" % (o.seed, "; ".join(o.ops or []) or "-"))
        log("    libappc:   %s" % json.dumps(m.ours)[:600])
        log("    reference: %s %s" % (m.ref.get("ref"), m.ref.get("msg", "")[:300]))
        log("    minimised document (%d bytes): %s" % (len(m.doc), show(m.doc)))
        base = os.path.join(faildir, "%03d" % (n + 1))
        with open(base + ".json", "wb") as f:
            f.write(m.doc)
        with open(base + ".txt", "w") as f:
            f.write("%s\n%s\nseed %d, from %s via %s\nlibappc: %s\nreference: %s\n" % (
                where, m.detail or detail, seed, o.seed, "; ".join(o.ops or []), json.dumps(m.ours), m.ref))
    log("\nFAIL (seed %d; documents in %s)" % (seed, faildir))
    return 1


if __name__ == "__main__":
    sys.exit(main())
