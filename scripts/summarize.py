#!/usr/bin/python3
"""Sum the results of every suite over one or more meson build dirs.

A test whose output carries a doctest or pytest summary contributes its
individual test cases; any other meson test counts as one. A test that
failed as a whole (crash, timeout) while its summary shows no failure adds
one failure, so a crash after the summary is never hidden. Prints one line:
"N passed, N failed[, N skipped]" and exits non-zero when anything failed.
"""
import json
import re
import sys

DOCTEST = re.compile(r"\[doctest\] test cases:\s*(\d+)\s*\|\s*(\d+) passed\s*\|\s*(\d+) failed\s*\|\s*(\d+) skipped")
PYTEST = re.compile(r"^=+ (.*?) in [\d.]+s", re.M)


def counts_of(out):
    m = DOCTEST.findall(out)
    if m:
        p = sum(int(x[1]) for x in m); f = sum(int(x[2]) for x in m); s = sum(int(x[3]) for x in m)
        return p, f, s
    m = PYTEST.findall(out)
    for line in reversed(m):
        got = dict((k, int(v)) for v, k in re.findall(r"(\d+) (passed|failed|skipped|errors?|xfailed|xpassed)", line))
        if got:
            failed = got.get("failed", 0) + got.get("error", 0) + got.get("errors", 0) + got.get("xpassed", 0)
            return got.get("passed", 0) + got.get("xfailed", 0), failed, got.get("skipped", 0)
    return None


def failure_excerpt(out, limit=25):
    """The lines that say what failed: doctest's test case, assertion and
    message lines, pytest's FAILED lines and assertion errors, our Python
    suites' FAIL lines, sanitizer reports. The CI shows only the end of the
    output, so these go right above the summary line."""
    keep = []
    for line in out.splitlines():
        s = line.strip()
        if (s.startswith(("TEST CASE:", "FAIL:", "FAILED ", "E   ", "Traceback", "values:", "logged:"))
                or re.search(r":\d+: (ERROR|FATAL ERROR):", s) or "Sanitizer" in s or "runtime error:" in s
                or re.match(r"\w+(Error|Exception): ", s)):
            keep.append("    " + line.rstrip()[:300])
        if len(keep) >= limit:
            keep.append("    ...")
            break
    return keep


def main(args):
    passed = failed = skipped = 0
    if args[:1] == ["--extra-failed"]:
        failed += int(args[1])
        args = args[2:]
    dirs = args
    rows = []
    excerpts = []
    for d in dirs:
        try:
            lines = open(f"{d}/meson-logs/testlog.json").read().splitlines()
        except OSError:
            print(f"summarize: no test log in {d}", file=sys.stderr)
            failed += 1
            continue
        for line in lines:
            t = json.loads(line)
            res = t.get("result", "")
            ok = res in ("OK", "EXPECTEDFAIL")
            skip = res == "SKIP"
            c = counts_of((t.get("stdout") or "") + "\n" + (t.get("stderr") or ""))
            if c is None:
                c = (1, 0, 0) if ok else (0, 0, 1) if skip else (0, 1, 0)
            elif not ok and not skip and c[1] == 0:
                c = (c[0], 1, c[2])
            passed += c[0]; failed += c[1]; skipped += c[2]
            rows.append(f"  {d}: {t['name']}: {res} ({c[0]} passed, {c[1]} failed, {c[2]} skipped)")
            if not ok and not skip:
                excerpts.append(f"  {d}: {t['name']} ({res}):")
                excerpts += failure_excerpt((t.get("stdout") or "") + "\n" + (t.get("stderr") or "")) or \
                    ["    (no failure line found; the end of its output:)"] + \
                    ["    " + x[:300] for x in ((t.get("stdout") or "") + (t.get("stderr") or "")).splitlines()[-8:]]
    print("\n".join(rows))
    if excerpts:
        print("=== what failed")
        print("\n".join(excerpts))
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
