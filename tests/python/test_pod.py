"""appc.Pod, appc.Executor, appc.pods(), appc.gc_pods(): real pods of a busybox image.

Needs root (namespaces, mounts, cgroups): skipped otherwise. The supervisor is
$APPC_SUPERVISOR, else the build tree's. The scratch root lives under /dev/shm;
every pod is stopped and removed, and the root deleted, even when a test fails.
"""

import fcntl
import json
import os
import pathlib
import re
import select
import struct
import termios
import shutil
import subprocess
import tempfile
import threading

import pytest

import appc

HERE = pathlib.Path(__file__).resolve().parent
MAKE_IMAGE = HERE.parent / "workloads" / "make_image_dir.py"
BB = "example.com/busybox"

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="running pods needs root")


@pytest.fixture(scope="module")
def root():
    if not os.environ.get("APPC_SUPERVISOR"):
        build = os.environ.get("APPC_BUILD_ROOT", str(HERE.parent.parent / "build"))
        os.environ["APPC_SUPERVISOR"] = os.path.join(build, "lib", "executor", "appc-supervisor")
    d = tempfile.mkdtemp(prefix="appc-py-pod-", dir="/dev/shm")
    r = os.path.join(d, "root")
    try:
        subprocess.run(["/usr/bin/python3", str(MAKE_IMAGE), os.path.join(d, "bb"), "--preset", "busybox"],
                       check=True, stdout=subprocess.DEVNULL)
        appc.build_image(os.path.join(d, "bb"), os.path.join(d, "bb.aci"))
        with appc.Store(r) as s:
            s.import_file(os.path.join(d, "bb.aci"))
        yield r
    finally:
        try:
            for p in appc.pods(r):
                with p:   # stops and removes
                    pass
        finally:
            shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def ex(root):
    with appc.Executor(root) as e:
        yield e
    with appc.Executor(root) as e:   # (a test may have closed the first)
        for p in e.pods():
            with p:
                pass


def sh(script, **kw):
    return dict(exec_=["/bin/sh", "-c", script], **kw)


def test_run_attached_exit_code_and_output(ex, capfd):
    pod = appc.Pod.run(BB, executor=ex, **sh("echo out; echo err >&2; exit 3"))
    assert pod.exit_code == 3
    cap = capfd.readouterr()
    assert cap.out == "out\n" and "err" in cap.err   # the apps' output on our stdout/stderr
    st = pod.status
    assert (st.state, st.exit_code, st.stale, st.pid) == ("exited", 3, False, 0)
    assert st.apps == [appc.AppStatus("busybox", st.apps[0].image_id, True, 3, 0, False, False)]
    assert st.apps[0].image_id.startswith("sha512-")
    assert st.created <= st.started <= st.exited and st.net == "none" and st.error == ""
    assert "exited" in repr(st)
    pod.rm()
    with pytest.raises(appc.NotFoundError, match=pod.uuid):
        pod.status


def test_root_keyword_and_context_manager(root):
    with appc.Pod.run(BB, root=root, exec_=["/bin/true"]) as pod:
        assert pod.exit_code == 0
        assert pod in list(appc.pods(root))
    assert pod not in list(appc.pods(root))   # removed on exit


def test_environment_user_hostname(ex, capfd):
    pod = appc.Pod.run(BB, executor=ex, env={"GREETING": "hello world"}, app_env={"PER_APP": "x"},
                       hostname="pyhost", user="1234", group="2345", name="who",
                       **sh('echo "$GREETING|$PER_APP|$AC_APP_NAME|$(hostname)|$(id -u):$(id -g)"'))
    assert pod.exit_code == 0
    assert capfd.readouterr().out == "hello world|x|who|pyhost|1234:2345\n"
    assert pod.status.apps[0].name == "who"


def test_volumes(ex, tmp_path_factory):
    host = tempfile.mkdtemp(dir="/dev/shm", prefix="appc-py-hostvol-")
    try:
        pathlib.Path(host, "in").write_text("from host\n")
        vols = [f"hv,kind=host,source={host}", appc.Volume(name="ev", kind="empty", mode="0710", uid=7, gid=8),
                {"name": "ro", "kind": "host", "source": host, "read_only": True}]
        pod = ex.run(BB, volumes=vols, mounts=[("hv", "/hv"), ("ev", "/ev"), appc.Mount(volume="ro", path="/ro")],
                     **sh("cat /hv/in > /hv/out; stat -c '%a %u %g' /ev >> /hv/out; touch /ro/x 2>/dev/null; "
                          "echo ro=$? >> /hv/out"))
        assert pod.exit_code == 0
        assert pathlib.Path(host, "out").read_text() == "from host\n710 7 8\nro=1\n"
        assert not os.path.exists(os.path.join(host, "x"))
        with pytest.raises(appc.ValidationError, match="kind"):
            ex.run(BB, volumes=["v,kind=nfs"], exec_=["/bin/true"])
        with pytest.raises(appc.NotFoundError, match="nonexistent"):
            ex.run(BB, volumes=[f"v,kind=host,source={host}/nonexistent"], mounts=[("v", "/v")],
                   exec_=["/bin/true"])
    finally:
        shutil.rmtree(host, ignore_errors=True)


def test_prepare_then_run(ex):
    pod = appc.Pod.prepare(BB, executor=ex, **sh("exit 5"))
    assert pod.status.state == "prepared" and pod.status.exit_code is None
    assert pod.run() == 5 and pod.exit_code == 5     # pod.run() on a prepared pod
    with pytest.raises(appc.Error) as e:
        pod.run()                                    # only once
    assert e.value.code == -12
    m = pod.manifest
    assert isinstance(m, appc.PodManifest) and m.apps[0].name == "busybox"
    assert m.apps[0].image.id == pod.status.apps[0].image_id


def test_detached_wait_stop(ex):
    with appc.Pod.run(BB, executor=ex, detach=True, net="host", exec_=["/bin/sleep", "1000"]) as pod:
        assert pod.exit_code is None and pod.pid > 0
        st = pod.status
        assert st.running and st.pid == pod.pid and st.net == "host"
        with pytest.raises(appc.Error) as e:
            pod.wait(timeout=0.1)
        assert e.value.code == -12 and "still runs" in str(e.value)
        with pytest.raises(appc.Error) as e:
            pod.rm()
        assert e.value.code == -12
        assert appc.Pod.open(pod.uuid[:8], root=ex.root) == pod   # a unique prefix
        pod.stop(grace=1.0)
        st = pod.wait(timeout=10)
        assert (st.state, st.exit_code, st.apps[0].signal) == ("exited", 143, 15)
    with pytest.raises(appc.NotFoundError):
        ex.pod(pod.uuid)


def test_stop_in_context_manager_on_error(ex):
    with pytest.raises(RuntimeError):
        with appc.Pod.run(BB, executor=ex, detach=True, exec_=["/bin/sleep", "1000"]) as pod:
            raise RuntimeError("boom")
    assert pod not in list(ex.pods())


def test_logs(ex):
    with ex.run(BB, **sh("echo one; echo two >&2; echo three")) as pod:
        entries = pod.logs()
        assert [(e.stream, e.line) for e in entries if e.stream == "stdout"] == [("stdout", "one"), ("stdout", "three")]
        assert [e.line for e in entries if e.stream == "stderr"] == ["two"]
        assert all(e.app == "busybox" and e.time_ns > 0 and e.timestamp.endswith("Z") for e in entries)
        assert [e.line for e in pod.logs(stdout=False)] == ["two"]
        assert [e.line for e in pod.logs(app="busybox", stderr=False)] == ["one", "three"]
        seen = []
        assert pod.logs(callback=lambda e: seen.append(e.line) or False) == []
        assert len(seen) == 1          # False stopped it after one line
        with pytest.raises(ZeroDivisionError):
            pod.logs(callback=lambda e: 1 / 0)   # the callback's exception comes through
        with pytest.raises(appc.NotFoundError, match="nosuchapp"):
            pod.logs(app="nosuchapp")


def test_follow_logs(ex):
    with ex.run(BB, detach=True, **sh("for i in 1 2 3; do echo tick $i; sleep 0.2; done")) as pod:
        assert [e.line for e in pod.follow_logs()] == ["tick 1", "tick 2", "tick 3"]
        assert pod.status.state == "exited"


def test_enter(ex, capfd):
    with ex.run(BB, detach=True, exec_=["/bin/sleep", "1000"]) as pod:
        assert pod.enter(["/bin/sh", "-c", "echo inside; exit 9"]) == 9
        assert "inside" in capfd.readouterr().out
        assert pod.enter(["true"], app="busybox") == 0
        with pytest.raises(appc.NotFoundError):
            pod.enter(["true"], app="nope")
        with pytest.raises(TypeError):
            pod.enter("true")
        pod.stop(grace=0)
        with pytest.raises(appc.Error) as e:
            pod.enter(["true"])
        assert e.value.code == -12


def test_enter_tty(ex, capfd):
    with ex.run(BB, detach=True, exec_=["/bin/sleep", "1000"]) as pod:
        # tty=True without a terminal here (pytest captures fd 1): the command gets one anyway.
        assert pod.enter(["/bin/sh", "-c", "tty; exit 4"], tty=True) == 4
        assert re.fullmatch(r"/dev/pts/\d+\r\n", capfd.readouterr().out)
        assert pod.enter(["/bin/sh", "-c", "test -t 1 || echo plain"], tty=False) == 0
        assert capfd.readouterr().out == "plain\n"
        with pytest.raises(TypeError):
            pod.enter(["true"], tty="yes")
        # tty=None (auto) in a process whose stdio is a terminal (a pseudo-terminal of ours,
        # 25 x 77): the pod's own pty, with that window size.
        master, slave = os.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 25, 77, 0, 0))
        saved = termios.tcgetattr(slave)

        def ctty():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)

        code = ("import appc, sys; p = appc.Executor(sys.argv[2]).pod(sys.argv[1]); "
                "sys.exit(p.enter(['/bin/sh', '-c', 'tty; stty size; exit 3']))")
        proc = subprocess.Popen(["/usr/bin/python3", "-c", code, pod.uuid, pod.executor.root],
                                stdin=slave, stdout=slave, stderr=slave, preexec_fn=ctty)
        output = b""
        while True:
            r, _, _ = select.select([master], [], [], 0.2)
            if r:
                output += os.read(master, 4096)
            elif proc.poll() is not None:
                break
        text = output.decode().replace("\r\n", "\n")
        assert proc.returncode == 3, text
        assert re.search(r"^/dev/pts/\d+\n25 77\n", text, re.M), text
        assert termios.tcgetattr(slave) == saved   # restored
        os.close(master)
        os.close(slave)


def test_multi_app_pod(ex):
    with ex.run([appc.PodApp(BB, name="a", exec=["/bin/sh", "-c", "exit 0"]),
                 appc.PodApp(BB, name="b", exec=["/bin/sh", "-c", "exit 4"], env={"X": "1"})]) as pod:
        assert pod.exit_code == 4
        assert [(a.name, a.exit_code) for a in pod.status.apps] == [("a", 0), ("b", 4)]
    with pytest.raises(ValueError, match="one image"):
        ex.run([BB, BB], exec_=["/bin/true"])


def test_pod_manifest(ex, root):
    with appc.Store(root) as s:
        image_id = s.resolve(BB).id
    pm = {"acKind": "PodManifest", "acVersion": "0.8.11",
          "apps": [{"name": "from-manifest", "image": {"id": image_id},
                    "app": {"exec": ["/bin/sh", "-c", "exit 6"], "user": "0", "group": "0"}}]}
    with ex.run(pod_manifest=json.dumps(pm)) as pod:
        assert pod.exit_code == 6 and pod.status.apps[0].name == "from-manifest"
    with ex.run(pod_manifest=appc.PodManifest.parse(json.dumps(pm).encode())) as pod:
        assert pod.exit_code == 6


def test_pods_and_gc(ex, root):
    done = ex.run(BB, exec_=["/bin/true"])
    prepared = ex.prepare(BB)
    listed = {p.uuid: p.last_status.state for p in appc.pods(root)}
    assert listed[done.uuid] == "exited" and listed[prepared.uuid] == "prepared"
    assert appc.gc_pods(root, grace=3600) == []
    assert appc.gc_pods(root, grace=0) == [done.uuid]
    assert ex.gc(grace=0, prepared_grace=0) == [prepared.uuid]
    assert list(appc.pods(root)) == []
    with pytest.raises(ValueError):
        ex.gc(grace=-1)


def test_errors(ex):
    with pytest.raises(appc.NotFoundError, match="no pod"):
        ex.pod("00000000")
    with pytest.raises(appc.NotFoundError, match="nosuch"):
        ex.run("example.com/nosuch")
    with pytest.raises(ValueError, match="net"):
        ex.run(BB, net="bridge")
    with pytest.raises(TypeError):
        ex.run(BB, exec_="/bin/true")
    with pytest.raises(TypeError, match="unexpected"):
        ex.run(BB, colour="red")
    with pytest.raises(ValueError, match="at least one image"):
        ex.run([])
    with pytest.raises(appc.ValidationError):
        ex.run(BB, volumes=["v,kind=empty,mode=abc"])
    assert list(ex.pods()) == []   # nothing left by the failures
    ex.close()
    with pytest.raises(ValueError, match="closed"):
        list(ex.pods())


def test_threads(ex):
    """Pods run from several threads at once (the GIL is released around every call)."""
    codes = {}

    def worker(n):
        pod = ex.run(BB, exec_=["/bin/sh", "-c", f"exit {n}"])
        codes[n] = pod.exit_code
        pod.rm()
    ts = [threading.Thread(target=worker, args=(n,)) for n in range(1, 5)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert codes == {1: 1, 2: 2, 3: 3, 4: 4}
