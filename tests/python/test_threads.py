"""Thread-safety sanity: parse, build and serialize from many threads at once
(the GIL is released around parse/validate/serialize, and the C library's last
error is thread-local): every thread must get exactly its own results."""

import threading
from concurrent.futures import ThreadPoolExecutor

import appc
from conftest import corpus_files, read_corpus

DOCS = [(name, read_corpus(name)) for name in corpus_files()]


def outcome(data):
    """What parsing a document gives: ("ok", canonical JSON) or ("error", class, findings)."""
    try:
        m = appc.parse_manifest(data)
    except appc.Error as e:
        return ("error", type(e).__name__, tuple(getattr(e, "errors", ())))
    return ("ok", m.to_json())


def test_parse_in_threads_matches_sequential():
    expected = {name: outcome(data) for name, data in DOCS}
    assert {o[0] for o in expected.values()} == {"ok", "error"}     # both paths are exercised
    work = DOCS * 4
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda item: (item[0], outcome(item[1])), work))
    assert len(results) == len(work)
    for name, got in results:
        assert got == expected[name], name


def test_build_in_threads():
    def build(i):
        m = appc.ImageManifest(f"example.com/app-{i}", labels={"version": str(i)},
                               app=appc.App(exec=[f"/bin/app{i}"], user=str(i), group="0",
                                            ports=[appc.Port("p", "tcp", 1 + i)]))
        if i % 3 == 0:
            m.app.ports[0].port = 70000 + i            # every third one is invalid
            try:
                m.to_json()
            except appc.ValidationError as e:
                return ("error", [(d.path, d.message) for d in e.errors])
            return ("unexpected success", i)
        return ("ok", appc.ImageManifest.parse(m.to_json()).app.exec)

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(build, range(400)))
    for i, got in enumerate(results):
        if i % 3 == 0:
            assert got == ("error", [("app.ports[0].port", f"{70000 + i} is outside 1..65535")]), i
        else:
            assert got == ("ok", [f"/bin/app{i}"]), i


def test_one_manifest_read_by_many_threads(spec_pod):
    text = spec_pod.to_json()
    barrier = threading.Barrier(6)
    out = []

    def reader():
        barrier.wait()
        for _ in range(50):
            out.append(appc.PodManifest.parse(text) == spec_pod)

    threads = [threading.Thread(target=reader) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(out) == 300 and all(out)
