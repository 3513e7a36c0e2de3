#!/usr/bin/python3
"""`appc prepare|run|run-prepared|status|list|stop|rm|gc|enter|logs`: real pods.

usage: cli_pod_test.py APPC            pods of a busybox image: exit status, output, environment,
                                       volumes, detach/status/stop/rm, list, logs, enter, gc,
                                       multi-app pods, pod manifests, usage and lookup errors
       cli_pod_test.py APPC --redis    the real workload: redis-server (Debian's, with its
                                       libraries) in a pod with host networking and a host,
                                       then an empty, data volume; redis-cli from the host
       cli_pod_test.py APPC --leak     200 short pod lifecycles (true, exit 7, supervisor
                                       SIGKILLed, stop of a sleeping pod); then no mount,
                                       process, cgroup or pod file is left

Needs root (exit 77 without it). The supervisor is $APPC_SUPERVISOR (meson sets it to the build
tree's). Scratch roots live under /dev/shm; every pod is stopped and removed, and the scratch
tree deleted, even when a check fails. Exit codes under test: 0 success, 1 failure (one
"appc: ..." line on stderr), 2 usage error; `run` exits with the pod's status.
"""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

appc = sys.argv[1]
mode = sys.argv[2] if len(sys.argv) > 2 else ""
failures = []
checks = 0
HERE = os.path.dirname(os.path.abspath(__file__))
MAKE_IMAGE = os.path.join(HERE, "..", "workloads", "make_image_dir.py")
UUID_RE = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
TS_RE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z ")
ROOT = None   # the scratch root of the running test


def check(cond, what):
    global checks
    checks += 1
    if not cond:
        failures.append(what)
        print("FAIL:", what, flush=True)
    return cond


def run(*args, root=None, timeout=120, stdin=subprocess.DEVNULL):
    r = root or ROOT
    return subprocess.run([appc, "--root", r, *args], capture_output=True, timeout=timeout, stdin=stdin)


def out(r):
    return r.stdout.decode(errors="replace")


def err(r):
    return r.stderr.decode(errors="replace")


def one_line_error(r, code, needle, what):
    e = err(r).strip()
    check(r.returncode == code, f"{what}: exit {r.returncode}, expected {code} ({e})")
    if code == 1:
        check(len(e.splitlines()) == 1 and e.startswith("appc: "), f"{what}: one 'appc: ' line on stderr: {e!r}")
    check(needle in e, f"{what}: {needle!r} in {e!r}")


def make_image(S, preset):
    d = os.path.join(S, preset)
    subprocess.run(["/usr/bin/python3", MAKE_IMAGE, d, "--preset", preset], check=True, stdout=subprocess.DEVNULL)
    aci = os.path.join(S, preset + ".aci")
    r = subprocess.run([appc, "image", "build", d, aci], capture_output=True)
    assert r.returncode == 0, err(r)
    r = run("image", "import", aci)
    assert r.returncode == 0, err(r)
    return out(r).strip()


def pods(root=None):
    r = run("--format=json", "list", root=root)
    assert r.returncode == 0, err(r)
    return json.loads(out(r))["pods"]


def status(uuid, *extra):
    r = run("--format=json", "status", uuid, *extra)
    assert r.returncode == 0, err(r)
    return json.loads(out(r))


def cleanup(root):
    """Stop and remove every pod of `root` (whatever state the test left it in)."""
    if not root or not os.path.isdir(os.path.join(root, "pods")):
        return
    try:
        for p in pods(root):
            if p["state"] == "running":
                run("stop", "--grace", "0s", p["uuid"], root=root)
            run("rm", p["uuid"], root=root)
    except Exception as e:   # noqa: BLE001 - cleanup goes on
        print("cleanup:", e, flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def alive(pid):
    """A live process (a zombie waiting for a parent that does not reap is not alive)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except FileNotFoundError:
        return False


# ---------------------------------------------------------------------------

def main_tests(S):
    bb = make_image(S, "busybox")
    sh = ["example.com/busybox", "--exec", "/bin/sh", "--", "-c"]

    # Attached: output on the terminal (our stdout/stderr), exit with the pod's status.
    r = run("run", *sh, "echo to-stdout; echo to-stderr >&2; exit 3")
    check(r.returncode == 3, f"attached run exits with the app's status 3: {r.returncode} {err(r)}")
    check(out(r) == "to-stdout\n", f"app stdout on ours: {out(r)!r}")
    check("to-stderr" in err(r), f"app stderr on ours: {err(r)!r}")
    r = run("run", bb, "--exec", "/bin/true")
    check(r.returncode == 0 and out(r) == "", f"run /bin/true: {r.returncode} {err(r)}")

    # Environment: --set-env (pod-level, anywhere), spec 86 variables.
    r = run("run", "--set-env", "GREETING=hello world", *sh, 'echo "$GREETING|$AC_APP_NAME|$container"')
    check(r.returncode == 0 and out(r) == "hello world|busybox|appc\n" or out(r).startswith("hello world|busybox|"),
          f"--set-env and AC_APP_NAME visible: {out(r)!r} {err(r)}")
    check(out(r).startswith("hello world|busybox|"), f"--set-env value with a space: {out(r)!r}")

    # --user/--group overrides, --name, --hostname.
    r = run("run", "--hostname", "podhost", bb, "--user", "1234", "--group", "2345", "--name", "who", "--exec",
            "/bin/sh", "--", "-c", 'echo "$(id -u) $(id -g) $AC_APP_NAME $(hostname)"')
    check(r.returncode == 0 and out(r).strip() == "1234 2345 who podhost",
          f"--user/--group/--name/--hostname: {out(r)!r} {err(r)}")

    # Volumes: host (read-write and readOnly) and empty (mode, uid, gid), mounted with --mount.
    host = tempfile.mkdtemp(dir=S, prefix="hostvol-")
    with open(os.path.join(host, "from-host"), "w") as f:
        f.write("host data\n")
    r = run("run", "--volume", f"hv,kind=host,source={host}", "--volume", "ev,kind=empty,mode=0710,uid=7,gid=8",
            bb, "--mount", "volume=hv,target=/mnt/hv", "--mount", "volume=ev,target=/mnt/ev",
            "--exec", "/bin/sh", "--", "-c",
            "cat /mnt/hv/from-host; echo pod data > /mnt/hv/from-pod; stat -c '%a %u %g' /mnt/ev; "
            "echo x > /mnt/ev/f && cat /mnt/ev/f")
    check(r.returncode == 0, f"volumes pod: {r.returncode} {err(r)}")
    check(out(r) == "host data\n710 7 8\nx\n", f"volumes visible with their attributes: {out(r)!r}")
    check(open(os.path.join(host, "from-pod")).read() == "pod data\n", "a pod's write lands in the host volume")
    r = run("run", "--volume", f"hv,kind=host,source={host},readOnly=true", bb, "--mount", "volume=hv,target=/mnt",
            "--exec", "/bin/sh", "--", "-c", "echo no > /mnt/x; echo rc=$?")
    check("rc=1" in out(r) and not os.path.exists(os.path.join(host, "x")),
          f"readOnly host volume refuses writes: {out(r)!r} {err(r)}")
    r = run("run", "--volume", f"hv,kind=host,source={S}/missing-dir", bb, "--mount", "volume=hv,target=/mnt",
            "--exec", "/bin/true")
    one_line_error(r, 1, "missing-dir", "a host volume whose source is missing (spec 83)")
    os.symlink(host, os.path.join(S, "link-to-host"))
    r = run("run", "--volume", f"hv,kind=host,source={S}/link-to-host", bb, "--mount", "volume=hv,target=/mnt",
            "--exec", "/bin/true")
    one_line_error(r, 1, "link-to-host", "a symlinked host volume source (spec 83)")

    # Multi-app pod: "---" ends the first app's arguments; the pod's status is the first
    # non-zero app status in app order.
    r = run("run", bb, "--name", "a", "--exec", "/bin/sh", "--", "-c", "exit 0", "---",
            bb, "--name", "b", "--exec", "/bin/sh", "--", "-c", "exit 4")
    check(r.returncode == 4, f"multi-app pod exits with the first non-zero status: {r.returncode} {err(r)}")
    last = pods()[-1]
    check([(a["name"], a["exit_code"]) for a in last["apps"]] == [("a", 0), ("b", 4)],
          f"per-app exit codes in status: {last['apps']}")

    # An app killed by a signal: 128+S.
    r = run("run", *sh, "kill -9 $$")
    check(r.returncode == 137, f"app killed by SIGKILL -> 137: {r.returncode}")

    # Ctrl-C on an attached run: the terminal's SIGINT reaches the foreground group (the pod's
    # supervisor forwards it to the app); appc waits and exits with the pod's status, 130.
    p = subprocess.Popen([appc, "--root", ROOT, "--format=json", "run", bb, "--exec", "/bin/sh", "--", "-c",
                          "echo started; exec sleep 1000"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                         start_new_session=True)
    check(p.stdout.readline() == b"started\n", "the attached pod started")
    os.killpg(p.pid, signal.SIGINT)
    try:
        rc = p.wait(30)
    except subprocess.TimeoutExpired:
        p.kill()
        rc = "timeout"
    p.stdout.close()
    p.stderr.close()
    check(rc == 130, f"appc run exits 130 after Ctrl-C (the pod's status), not killed by it: {rc}")
    check(pods()[-1]["exit_code"] == 130 and pods()[-1]["apps"][0]["signal"] == 2, f"pod status: {pods()[-1]}")

    # Detached, status, stop, rm; UUID prefixes.
    r = run("--format=json", "run", "--detach", "--net=host", bb, "--exec", "/bin/sleep", "--", "1000")
    check(r.returncode == 0, f"run --detach: {err(r)}")
    d = json.loads(out(r))
    uuid, pid = d["uuid"], d["pid"]
    check(UUID_RE.match(uuid) is not None and alive(pid), f"--detach json gives uuid and a live pid: {d}")
    st = status(uuid[:8])
    check(st["uuid"] == uuid and st["state"] == "running" and st["supervisor_pid"] == pid and st["exit_code"] is None,
          f"status of a running pod by prefix: {st}")
    check(st["net"] == "host" and st["apps"][0]["finished"] is False, f"status net/apps: {st}")
    check(any(p["uuid"] == uuid and p["state"] == "running" for p in pods()), "list --format=json shows the pod")
    r = run("list")
    check(r.returncode == 0 and out(r).splitlines()[0].split()[:3] == ["UUID", "STATE", "EXIT"]
          and any(l.startswith(uuid) and "running" in l for l in out(r).splitlines()), f"list text: {out(r)}")
    r = run("status", uuid)
    check(r.returncode == 0 and "state     running" in out(r), f"status text: {out(r)}")
    r = run("status", "--wait", "--timeout", "200ms", uuid)
    one_line_error(r, 1, "still runs", "status --wait --timeout on a running pod")
    r = run("rm", uuid)
    one_line_error(r, 1, uuid, "rm of a running pod")
    r = run("stop", "--grace", "2s", uuid[:6])
    check(r.returncode == 0 and out(r).strip() == uuid[:6], f"stop: {r.returncode} {err(r)}")
    st = status(uuid)
    check(st["state"] == "exited" and st["exit_code"] == 143 and st["supervisor_pid"] is None,
          f"stopped pod: exited with 143 (SIGTERM): {st}")
    check(not alive(pid), "the supervisor is gone after stop")
    r = run("rm", uuid)
    check(r.returncode == 0 and out(r).strip() == uuid, f"rm prints the full UUID: {out(r)!r} {err(r)}")
    check(not os.path.exists(os.path.join(ROOT, "pods", uuid)), "rm removes the pod directory")
    r = run("status", uuid)
    one_line_error(r, 1, uuid, "status of a removed pod")

    # Text --detach prints the UUID; an ACI file as IMAGE is imported on the way; run --uuid-file-save.
    uf = os.path.join(S, "run-uuid")
    r = run("run", "--detach", "--uuid-file-save", uf, os.path.join(S, "busybox.aci"), "--exec", "/bin/true")
    uuid = out(r).strip()
    check(r.returncode == 0 and UUID_RE.match(uuid) and open(uf).read().strip() == uuid,
          f"run --detach (text) of an ACI file, --uuid-file-save: {out(r)!r} {err(r)}")
    check(status(uuid, "--wait")["exit_code"] == 0, "the detached /bin/true pod exits 0")

    # Logs: per app, streams, timestamps, json.
    r = run("--format=json", "run", "--detach", *sh, "echo one; echo two >&2; echo three")
    uuid = json.loads(out(r))["uuid"]
    status(uuid, "--wait")
    r = run("logs", uuid)
    check(r.returncode == 0 and out(r) == "one\nthree\n" and err(r) == "two\n",
          f"logs: stdout lines on stdout, stderr lines on stderr: {out(r)!r} {err(r)!r}")
    r = run("logs", "--stderr", uuid)
    check(out(r) == "" and err(r) == "two\n", f"logs --stderr: {out(r)!r} {err(r)!r}")
    r = run("logs", "--timestamps", "--app", "busybox", uuid)
    lines = out(r).splitlines()
    check(len(lines) == 2 and all(TS_RE.match(l) for l in lines) and lines[0].endswith(" one"),
          f"logs --timestamps: {lines}")
    r = run("--format=json", "logs", uuid)
    entries = [json.loads(l) for l in out(r).splitlines()]
    check([(e["stream"], e["line"]) for e in entries if e["stream"] == "stdout"] == [("stdout", "one"), ("stdout", "three")]
          and {e["app"] for e in entries} == {"busybox"} and all(e["time_ns"] > 0 for e in entries),
          f"logs json: {entries}")
    r = run("logs", "--app", "nosuchapp", uuid)
    one_line_error(r, 1, "nosuchapp", "logs of an unknown app")
    r = run("--format=json", "run", "--detach", *sh, "for i in 1 2 3; do echo tick $i; sleep 0.2; done")
    fu = json.loads(out(r))["uuid"]
    r = run("logs", "--follow", fu, timeout=30)
    check(r.returncode == 0 and out(r) == "tick 1\ntick 2\ntick 3\n", f"logs --follow until the pod ends: {out(r)!r}")

    # Enter a running pod.
    r = run("--format=json", "run", "--detach", bb, "--exec", "/bin/sleep", "--", "1000")
    check(r.returncode == 0, f"detached sleep: {err(r)}")
    uuid = json.loads(out(r))["uuid"]
    r = run("enter", uuid, "/bin/sh", "-c", "echo entered $(cat /proc/1/comm); exit 9")
    check(r.returncode == 9 and out(r).startswith("entered "), f"enter runs a command, exits with its status: "
                                                               f"{r.returncode} {out(r)!r} {err(r)}")
    r = run("enter", "--app", "busybox", uuid, "--", "ls", "/proc/self")
    check(r.returncode == 0 and "status" in out(r), f"enter --app NAME -- CMD: {r.returncode} {err(r)}")
    r = run("enter", uuid, "--app", "nope", "true")
    one_line_error(r, 1, "nope", "enter an unknown app")
    run("stop", "--grace", "0s", uuid)
    r = run("enter", uuid, "true")
    one_line_error(r, 1, uuid[:8], "enter a pod that does not run")

    # prepare, run-prepared, --uuid-file-save.
    uf = os.path.join(S, "uuid-file")
    r = run("prepare", bb, "--exec", "/bin/sh", "--", "-c", "exit 5", "---", "--uuid-file-save", uf)
    uuid = out(r).strip()
    check(r.returncode == 0 and UUID_RE.match(uuid) and open(uf).read().strip() == uuid,
          f"prepare prints the UUID and saves it: {out(r)!r} {err(r)}")
    check(status(uuid)["state"] == "prepared", "a prepared pod's state")
    r = run("run-prepared", uuid)
    check(r.returncode == 5, f"run-prepared exits with the pod's status: {r.returncode} {err(r)}")
    r = run("run-prepared", uuid)
    one_line_error(r, 1, uuid[:8], "run-prepared twice")

    # --pod-manifest.
    pm = {"acKind": "PodManifest", "acVersion": "0.8.11",
          "apps": [{"name": "from-manifest", "image": {"id": bb},
                    "app": {"exec": ["/bin/sh", "-c", "echo $AC_APP_NAME; exit 6"], "user": "0", "group": "0"}}]}
    pmf = os.path.join(S, "pod.json")
    with open(pmf, "w") as f:
        json.dump(pm, f)
    r = run("run", "--pod-manifest", pmf)
    check(r.returncode == 6 and out(r) == "from-manifest\n", f"run --pod-manifest: {r.returncode} {out(r)!r} {err(r)}")

    # gc: exited pods after --grace, prepared ones after --prepared-grace.
    r = run("prepare", bb)
    prepared = out(r).strip()
    before = {p["uuid"]: p["state"] for p in pods()}
    r = run("gc", "--grace", "1h")
    check(r.returncode == 0 and out(r) == "", f"gc with a long grace removes nothing: {out(r)!r}")
    r = run("--format=json", "gc", "--grace=0s")
    removed = json.loads(out(r))["removed"]
    exited = {u for u, s in before.items() if s == "exited"}
    check(set(removed) == exited, f"gc --grace=0s removes exactly the exited pods: {removed} vs {exited}")
    check({p["uuid"] for p in pods()} == {prepared}, "the prepared pod stays")
    r = run("gc", "--grace=0s", "--prepared-grace=0s")
    check(out(r).split() == [prepared] and pods() == [], f"--prepared-grace=0s removes it: {out(r)!r}")

    # Usage errors (exit 2) and lookup errors (exit 1).
    for args, needle in [
        (["run"], "IMAGE"),
        (["run", bb, "--bogus"], "--bogus"),
        (["run", "--exec", "/bin/true", bb], "must follow the IMAGE"),
        (["run", bb, "--net=bridge"], "--net"),
        (["run", bb, "--volume", "v,kind=nfs"], "kind"),
        (["run", bb, "--volume", "v,kind=host"], "source"),
        (["run", bb, "--volume", "v,kind=empty,readOnly=maybe"], "readOnly"),
        (["run", bb, "--mount", "volume=v"], "--mount"),
        (["run", bb, "--set-env", "NOEQUALS"], "NAME=VALUE"),
        (["run", bb, "--", "x"], "--exec"),
        (["run", "--pod-manifest", pmf, bb], "exclude"),
        (["status"], "UUID"),
        (["stop", "--grace", "soon", "abc"], "--grace"),
        (["gc", "--grace", "1h30"], "--grace"),
        (["rm"], "UUID"),
        (["enter"], "UUID"),
        (["logs", "a", "b"], "UUID"),
    ]:
        r = run(*args)
        one_line_error(r, 2, needle, "usage: appc " + " ".join(args))
    for args in (["status", "00000000-0000-4000-8000-000000000000"], ["stop", "deadbeef"], ["rm", "deadbeef"],
                 ["logs", "deadbeef"], ["enter", "deadbeef", "true"], ["run-prepared", "deadbeef"]):
        r = run(*args)
        one_line_error(r, 1, "no pod", "unknown UUID: appc " + " ".join(args))
    r = run("run", "example.com/nosuchimage")
    one_line_error(r, 1, "nosuchimage", "run of an unknown image")
    check(pods() == [], "failed runs leave no pod behind")


def redis_tests(S):
    """redis-server in a pod, host networking, its data in a host volume, then an empty one."""
    if not shutil.which("redis-cli") or not os.path.exists("/usr/bin/redis-check-rdb"):
        print("SKIP: redis-tools is not installed", flush=True)
        return 77
    make_image(S, "redis")

    def cli(port, *args):
        return subprocess.run(["redis-cli", "-p", str(port), *args], capture_output=True, timeout=10)

    def start(volume):
        port = free_port()
        r = run("--format=json", "run", "--detach", "--net=host", "--volume", volume, "example.com/redis",
                "--exec", "/usr/bin/redis-server", "--", "--port", str(port), "--dir", "/data",
                "--protected-mode", "no", "--save", "1", "1")
        check(r.returncode == 0, f"redis pod starts: {err(r)}")
        uuid = json.loads(out(r))["uuid"]
        deadline = time.time() + 20
        while time.time() < deadline:
            if out(cli(port, "ping")).strip() == "PONG":
                break
            time.sleep(0.1)
        check(out(cli(port, "ping")).strip() == "PONG", f"redis answers redis-cli on 127.0.0.1:{port}")
        return uuid, port

    # Host volume: the data survives the pod.
    data = tempfile.mkdtemp(dir=S, prefix="redis-data-")
    os.chown(data, 999, 999)   # the image's redis user
    uuid, port = start(f"data,kind=host,source={data}")
    check(out(cli(port, "SET", "libappc-key", "libappc-value")).strip() == "OK", "redis SET")
    check(out(cli(port, "GET", "libappc-key")).strip() == "libappc-value", "redis GET")
    check(out(cli(port, "SAVE")).strip() == "OK", "redis SAVE")
    st = status(uuid)
    check(st["state"] == "running", f"the redis pod runs: {st}")
    r = run("enter", uuid, "/bin/sh", "-c", "id -un")
    check(out(r).strip() == "root", f"enter works in the redis pod: {out(r)!r} {err(r)}")
    check(run("stop", uuid).returncode == 0, "stop the redis pod")
    check(run("rm", uuid).returncode == 0, "rm the redis pod")
    rdb = os.path.join(data, "dump.rdb")
    check(os.path.exists(rdb) and b"libappc-key" in open(rdb, "rb").read(),
          "the RDB file (with the key) survived the pod in the host volume")
    check(os.stat(rdb).st_uid == 999, "written by the image's redis user (999)")
    r = subprocess.run(["/usr/bin/redis-check-rdb", rdb], capture_output=True)
    check(r.returncode == 0, f"redis-check-rdb accepts it: {r.stdout[-300:]!r}")
    # The next pod reads it back.
    uuid, port = start(f"data,kind=host,source={data}")
    check(out(cli(port, "GET", "libappc-key")).strip() == "libappc-value", "a new pod loads the saved data")
    run("stop", uuid)
    run("rm", uuid)

    # Empty volume: shared by the pod, removed with it.
    uuid, port = start("data,kind=empty,uid=999,gid=999,mode=0700")
    check(out(cli(port, "SET", "k2", "v2")).strip() == "OK", "redis SET (empty volume)")
    check(out(cli(port, "SAVE")).strip() == "OK", "redis SAVE (empty volume)")
    r = run("enter", uuid, "/bin/sh", "-c", "ls -n /data/dump.rdb")
    check(r.returncode == 0 and " 999 " in out(r), f"the RDB is in the empty volume, owned by 999: {out(r)!r}")
    pod_dir = os.path.join(ROOT, "pods", uuid)
    run("stop", uuid)
    check(run("rm", uuid).returncode == 0 and not os.path.exists(pod_dir),
          "rm removes the pod and its empty volume")
    return 0


CGROUP_BASES = ("/sys/fs/cgroup/appc", "/sys/fs/cgroup/unified/appc", "/sys/fs/cgroup/pids/appc",
                "/sys/fs/cgroup/freezer/appc")


def count_state(root, uuids):
    """Mounts of our mount namespace; processes and cgroups of the pods `uuids` (other engineers'
    builds and pods run on this machine too, so whole-machine counts would be noise); every file
    under the root's pods/ directory."""
    with open("/proc/self/mountinfo") as f:
        mounts = len(f.readlines())
    procs = 0
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/cgroup") as f:
                cg = f.read()
        except OSError:
            continue
        # A zombie holds nothing but its pid: detached supervisors are reparented to this
        # machine's PID 1 (or a subreaper), whose job reaping them is.
        if any(u in cg for u in uuids) and alive(int(d)):
            procs += 1
    files = 0
    for _, dirs, fs in os.walk(os.path.join(root, "pods")):
        files += len(dirs) + len(fs)
    cgroups = sum(1 for b in CGROUP_BASES for u in uuids if os.path.exists(os.path.join(b, u)))
    return {"mounts": mounts, "pod processes": procs, "pod files": files, "pod cgroups": cgroups}


def leak_tests(S, lifecycles=200):
    bb = make_image(S, "busybox")
    # One pod first, so that lazily created directories (pods/, cgroup parents) exist before counting.
    run("run", bb, "--exec", "/bin/true")
    run("gc", "--grace=0s")
    time.sleep(0.2)
    uuids = set()
    before = count_state(ROOT, uuids)
    kinds = {"true": 0, "exit7": 0, "sigkill": 0, "stop": 0}
    t0 = time.time()
    for i in range(lifecycles):
        k = ("true", "exit7", "sigkill", "stop")[i % 4]
        kinds[k] += 1
        net = ["--net=host"] if i % 3 == 0 else []
        if k == "true":
            r = run("run", *net, bb, "--exec", "/bin/true")
            check(r.returncode == 0, f"#{i} true: {r.returncode} {err(r)}")
        elif k == "exit7":
            r = run("run", *net, bb, "--exec", "/bin/sh", "--", "-c", "exit 7")
            check(r.returncode == 7, f"#{i} exit 7: {r.returncode} {err(r)}")
        else:
            r = run("--format=json", "run", "--detach", *net, bb, "--exec", "/bin/sh", "--", "-c",
                    "sleep 1000 & sleep 1000")   # a second process in the pod
            if not check(r.returncode == 0, f"#{i} detach: {err(r)}"):
                continue
            d = json.loads(out(r))
            uuids.add(d["uuid"])
            if k == "sigkill":
                os.kill(d["pid"], signal.SIGKILL)
                for _ in range(200):
                    st = status(d["uuid"])
                    if st["state"] != "running":
                        break
                    time.sleep(0.01)
                check(st["state"] == "exited" and st["stale"] and st["exit_code"] is None,
                      f"#{i} a SIGKILLed supervisor's pod is exited and stale: {st}")
            else:
                r = run("stop", "--grace", "0s" if i % 8 == 3 else "1s", d["uuid"])
                check(r.returncode == 0, f"#{i} stop: {err(r)}")
        # Remove with rm or gc, alternately.
        listed = pods()
        uuids.update(p["uuid"] for p in listed)
        if i % 2 == 0:
            for p in listed:
                r = run("rm", p["uuid"])
                check(r.returncode == 0, f"#{i} rm: {err(r)}")
        else:
            r = run("gc", "--grace=0s")
            check(r.returncode == 0, f"#{i} gc: {err(r)}")
    elapsed = time.time() - t0
    check(pods() == [], "no pod left after the lifecycles")
    time.sleep(0.5)   # processes of the last pod being reaped by init
    after = count_state(ROOT, uuids)
    check(len(uuids) == lifecycles, f"{lifecycles} pods seen: {len(uuids)}")
    for key in before:
        check(after[key] <= before[key], f"no {key} leaked over {lifecycles} pods: before {before[key]}, "
                                         f"after {after[key]}")
    print(f"{lifecycles} lifecycles {kinds} in {elapsed:.1f} s; before {before}, after {after}", flush=True)
    r = run("image", "rm", bb)
    check(r.returncode == 0, f"no pod holds the image any more (store references dropped): {err(r)}")


def main():
    global ROOT
    if os.geteuid() != 0:
        print("SKIP: pods need root (namespaces, mounts, cgroups)")
        return 77
    if not os.path.exists("/bin/busybox"):
        print("SKIP: busybox-static is not installed")
        return 77
    if not os.environ.get("APPC_SUPERVISOR"):
        build = os.environ.get("APPC_BUILD_ROOT", "")
        os.environ["APPC_SUPERVISOR"] = os.path.join(build, "lib", "executor", "appc-supervisor")
    S = tempfile.mkdtemp(prefix="appc-cli-pod-", dir="/dev/shm")
    ROOT = os.path.join(S, "root")
    rc = 0
    try:
        if mode == "--redis":
            rc = redis_tests(S)
        elif mode == "--leak":
            leak_tests(S)
        else:
            main_tests(S)
    except Exception as e:   # noqa: BLE001 - reported as a failure, cleanup still runs
        import traceback
        traceback.print_exc()
        failures.append(f"exception: {e}")
    finally:
        cleanup(ROOT)
        shutil.rmtree(S, ignore_errors=True)
    if rc == 77 and not failures:
        return 77
    print(f"{checks - len(failures)} of {checks} checks passed")
    return 1 if failures else 0


sys.exit(main())
