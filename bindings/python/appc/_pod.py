"""Pods (appc_executor_* and appc_pod_* of the C ABI); docs/executor.md has the lifecycle.

    >>> with appc.Pod.run("example.com/busybox", root="/var/lib/appc", detach=True,
    ...                   exec_=["/bin/sleep", "1000"], net="host") as pod:
    ...     pod.status.state                     # "running"
    ...     pod.enter(["/bin/sh", "-c", "echo hi"])  # -> 0
    ...     pod.stop(grace=1.0); pod.wait().exit_code  # 143 (SIGTERM)
    ... # leaving the block stops (if running) and removes the pod
    >>> pod = appc.Pod.run("example.com/busybox", exec_=["/bin/sh", "-c", "echo hi; exit 3"])
    >>> pod.exit_code, [e.line for e in pod.logs()]   # (3, ["hi"])
    >>> for p in appc.pods(root): print(p.uuid, p.status.state)
    >>> appc.gc_pods(root, grace=0)                  # -> removed UUIDs

Running pods needs root. Every call runs without the GIL; pods are serialised by
file locks, so any number of threads and processes may use them. Errors are the
appc exception classes: NotFoundError (an unknown pod, image, app or host volume
source), ValidationError (bad options), appc.Error with code CONFLICT (-12) for a
pod in the wrong state (rm of a running pod, a wait that timed out, an ambiguous
UUID prefix), OSError for system errors. UUID arguments may be unique prefixes.
"""

import datetime
import os
import queue
import threading
from typing import (Any, Dict, Iterable, Iterator, List, Mapping, NamedTuple, Optional, Sequence, Tuple,
                    Union)

from . import _appc
from ._errors import Error, NotFoundError
from ._model import Mount, Volume

__all__ = ["Executor", "Pod", "PodApp", "PodStatus", "AppStatus", "LogEntry", "pods", "gc_pods"]

#: appc.Error.code of a pod in the wrong state, a timed-out wait, an ambiguous prefix.
CONFLICT = -12

PathArg = Union[str, bytes, "os.PathLike[str]", "os.PathLike[bytes]"]
VolumeArg = Union[str, Volume, Mapping[str, Any]]
EnvArg = Union[Mapping[str, str], Iterable[Tuple[str, str]], None]


def _time(ns: int) -> Optional[datetime.datetime]:
    if ns <= 0:
        return None
    return datetime.datetime.fromtimestamp(ns / 1e9, tz=datetime.timezone.utc)


def _fspath(p: Optional[PathArg]) -> Optional[bytes]:
    return None if p is None else os.fsencode(p)


def _env(env: EnvArg) -> List[Tuple[str, str]]:
    if env is None:
        return []
    items = env.items() if isinstance(env, Mapping) else env
    out = []
    for k, v in items:
        if not isinstance(k, str) or not isinstance(v, str):
            raise TypeError(f"environment: names and values must be str, not {k!r}={v!r}")
        out.append((k, v))
    return out


def _volume(v: VolumeArg) -> Union[str, Dict[str, Any]]:
    if isinstance(v, str):
        return v   # the --volume flag syntax: NAME,kind=host,source=PATH,readOnly=true
    if isinstance(v, Volume):
        return {k: getattr(v, k) for k in ("name", "kind", "source", "read_only", "recursive", "mode", "uid", "gid")}
    if isinstance(v, Mapping):
        return dict(v)
    raise TypeError(f"volume: expected a str, an appc.Volume or a dict, not {type(v).__name__}")


def _mounts(mounts: Iterable[Union[Mount, Tuple[str, str]]]) -> List[Tuple[str, str]]:
    out = []
    for m in mounts:
        if isinstance(m, Mount):
            out.append((m.volume, m.path))
        else:
            vol, path = m
            out.append((vol, path))
    return out


def _ms(seconds: Optional[float]) -> int:
    if seconds is None:
        return -1
    if seconds < 0:
        raise ValueError(f"a duration must not be negative: {seconds}")
    return int(round(seconds * 1000))


class AppStatus(NamedTuple):
    """One app of a pod, as PodStatus.apps lists them."""

    name: str
    image_id: str
    finished: bool             #: exited, and its status recorded
    exit_code: Optional[int]   #: 0..255 (128+S when killed by signal S); None until finished
    signal: int                #: the signal that killed it, else 0
    skipped: bool              #: never started: the pod was stopped before
    pre_start_failed: bool     #: exit_code/signal are its pre-start handler's


class PodStatus:
    """A snapshot of a pod's state (it does not follow later changes)."""

    __slots__ = ("uuid", "state", "stale", "exit_code", "pid", "created_ns", "started_ns", "exited_ns",
                 "net", "error", "apps")

    uuid: str
    state: str                 #: "prepared", "running" or "exited"
    stale: bool                #: the supervisor died without recording the end (SIGKILL, reboot)
    exit_code: Optional[int]   #: the pod's status (first non-zero app status, else 0); None if unknown
    pid: int                   #: the supervisor's host pid while running, else 0
    created_ns: int
    started_ns: int
    exited_ns: int
    net: str                   #: "none" or "host"
    error: str                 #: a supervisor failure, "" when none
    apps: List[AppStatus]

    @classmethod
    def _from_dict(cls, d: Mapping[str, Any]) -> "PodStatus":
        self = object.__new__(cls)
        for k in cls.__slots__:
            if k != "apps":
                setattr(self, k, d[k])
        self.apps = [AppStatus(**a) for a in d["apps"]]
        return self

    @property
    def running(self) -> bool:
        return self.state == "running"

    @property
    def created(self) -> Optional[datetime.datetime]:
        return _time(self.created_ns)

    @property
    def started(self) -> Optional[datetime.datetime]:
        return _time(self.started_ns)

    @property
    def exited(self) -> Optional[datetime.datetime]:
        return _time(self.exited_ns)

    def __repr__(self) -> str:
        code = "" if self.exit_code is None else f" exit {self.exit_code}"
        return f"<appc.PodStatus {self.uuid} {self.state}{' (stale)' if self.stale else ''}{code}>"


class LogEntry(NamedTuple):
    """One line an app wrote."""

    app: str
    stream: str        #: "stdout" or "stderr"
    timestamp: str     #: RFC 3339 UTC with nanoseconds
    time_ns: int       #: the same, ns since the epoch
    line: str          #: without the newline


class PodApp:
    """One app of a pod made from an image, with its overrides (rkt's per-app flags).

    image -- a stored image's ID or unique prefix, "name[,label=value...]", or an ACI file
    exec  -- replaces the image's exec (a list of str)
    """

    __slots__ = ("image", "name", "exec", "user", "group", "env", "mounts", "read_only_rootfs")

    def __init__(self, image: Union[str, "os.PathLike[str]"], *, name: Optional[str] = None,
                 exec: Optional[Sequence[str]] = None, user: Optional[str] = None,   # noqa: A002
                 group: Optional[str] = None, env: EnvArg = None,
                 mounts: Iterable[Union[Mount, Tuple[str, str]]] = (), read_only_rootfs: bool = False):
        self.image = os.fspath(image)
        self.name = name
        self.exec = None if exec is None else [str(a) for a in exec]
        if isinstance(exec, str):
            raise TypeError("exec: a list of arguments, not a str")
        self.user = None if user is None else str(user)
        self.group = None if group is None else str(group)
        self.env = _env(env)
        self.mounts = _mounts(mounts)
        self.read_only_rootfs = bool(read_only_rootfs)

    def _spec(self) -> Dict[str, Any]:
        return {"image": self.image, "name": self.name, "exec": self.exec, "user": self.user, "group": self.group,
                "env": self.env, "mounts": self.mounts, "read_only_rootfs": self.read_only_rootfs}

    def __repr__(self) -> str:
        return f"<appc.PodApp {self.image!r}{' ' + self.name if self.name else ''}>"


def _pod_spec(images, *, volumes, env, net, hostname, uuid, pod_manifest, name, exec_, user, group, app_env,
              mounts, read_only_rootfs) -> Dict[str, Any]:
    if images is None or isinstance(images, (str, bytes, os.PathLike, PodApp)):
        images = [] if images is None else [images]
    apps = [a if isinstance(a, PodApp) else PodApp(os.fsdecode(a)) for a in images]
    overrides = dict(name=name, exec=exec_, user=user, group=group)
    if any(v is not None for v in overrides.values()) or app_env or mounts or read_only_rootfs:
        if len(apps) != 1:
            raise ValueError("name, exec_, user, group, app_env, mounts and read_only_rootfs apply to a pod of one "
                             "image; give several apps as appc.PodApp(image, exec=..., ...)")
        a = apps[0]
        apps[0] = PodApp(a.image, name=name if name is not None else a.name,
                         exec=exec_ if exec_ is not None else a.exec, user=user if user is not None else a.user,
                         group=group if group is not None else a.group, env=a.env + _env(app_env),
                         mounts=a.mounts + _mounts(mounts), read_only_rootfs=read_only_rootfs or a.read_only_rootfs)
    if not apps and pod_manifest is None:
        raise ValueError("a pod needs at least one image (or pod_manifest)")
    if pod_manifest is not None and not isinstance(pod_manifest, bytes):
        if isinstance(pod_manifest, str):
            pod_manifest = pod_manifest.encode()
        elif hasattr(pod_manifest, "to_json"):
            pod_manifest = pod_manifest.to_json().encode()
        else:
            raise TypeError("pod_manifest: bytes, str or an appc.PodManifest")
    if net not in ("none", "host"):
        raise ValueError(f'net: expected "none" or "host", not {net!r}')
    return {"apps": [a._spec() for a in apps], "volumes": [_volume(v) for v in volumes], "env": _env(env),
            "net": net, "hostname": hostname, "uuid": uuid, "pod_manifest": pod_manifest}


class Executor:
    """The pods of a root directory (default $APPC_ROOT, else /var/lib/appc).

    supervisor -- the appc-supervisor program (default $APPC_SUPERVISOR, else the installed one)
    """

    def __init__(self, root: Optional[PathArg] = None, *, supervisor: Optional[PathArg] = None):
        self._h = _appc.ExecutorHandle.open(_fspath(root), _fspath(supervisor))

    @property
    def root(self) -> str:
        return os.fsdecode(self._h.root())

    def close(self) -> None:
        self._h.close()

    def __enter__(self) -> "Executor":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def pod(self, uuid: str) -> "Pod":
        """The pod `uuid` (or a unique prefix of it); NotFoundError when there is none."""
        d = self._h.status(uuid)
        p = Pod(self, d["uuid"])
        p.last_status = PodStatus._from_dict(d)
        return p

    def pods(self) -> Iterator["Pod"]:
        """Every pod, oldest first; each Pod's .last_status is its state when listed."""
        for d in self._h.list():
            p = Pod(self, d["uuid"])
            p.last_status = PodStatus._from_dict(d)
            yield p

    def gc(self, grace: float = 1800, prepared_grace: float = 86400) -> List[str]:
        """Remove exited pods that ended more than `grace` seconds ago and prepared pods older than
        `prepared_grace`; returns their UUIDs."""
        if grace < 0 or prepared_grace < 0:
            raise ValueError("a grace period must not be negative")
        return self._h.gc(int(grace), int(prepared_grace))

    def prepare(self, images=None, **kw) -> "Pod":
        """As Pod.prepare(), in this executor's root."""
        return Pod(self, self._h.prepare(_pod_spec(images, **_spec_kw(kw))))

    def run(self, images=None, *, detach: bool = False, **kw) -> "Pod":
        """As Pod.run(), in this executor's root."""
        uuid, code, pid = self._h.run(_pod_spec(images, **_spec_kw(kw)), detach)
        p = Pod(self, uuid)
        p.exit_code, p.pid = code, pid
        return p


_SPEC_DEFAULTS = dict(volumes=(), env=None, net="none", hostname=None, uuid=None, pod_manifest=None, name=None,
                      exec_=None, user=None, group=None, app_env=None, mounts=(), read_only_rootfs=False)


def _spec_kw(kw: Dict[str, Any]) -> Dict[str, Any]:
    unknown = set(kw) - set(_SPEC_DEFAULTS)
    if unknown:
        raise TypeError(f"unexpected keyword argument(s): {', '.join(sorted(unknown))}")
    return {**_SPEC_DEFAULTS, **kw}


def _executor(root: Optional[PathArg], supervisor: Optional[PathArg], executor: Optional[Executor]) -> Executor:
    return executor if executor is not None else Executor(root, supervisor=supervisor)


def _run_new(cls, images=None, *, root: Optional[PathArg] = None, detach: bool = False,
             supervisor: Optional[PathArg] = None, executor: Optional[Executor] = None, **kw) -> "Pod":
    return _executor(root, supervisor, executor).run(images, detach=detach, **kw)


class _Hybrid:
    """Pod.run(images, ...) makes and runs a pod; pod.run() runs a prepared one."""

    def __init__(self, on_class, on_instance):
        self.on_class, self.on_instance = on_class, on_instance
        self.__doc__ = None

    def __get__(self, obj, objtype=None):
        if obj is None:
            return self.on_class.__get__(objtype, type(objtype))
        return self.on_instance.__get__(obj, objtype)


class Pod:
    """A pod of a root directory, by UUID. Pod.run() / Pod.prepare() make one; appc.pods() lists
    them. As a context manager it stops (when running) and removes the pod on exit.

    Arguments of run() and prepare():
      images     -- an IMAGE (str: ID or prefix, "name[,label=value...]", or an ACI file), an
                    appc.PodApp, or a list of them (a multi-app pod)
      volumes    -- "NAME,kind=host,source=PATH[,readOnly=true]" strings (the CLI's --volume),
                    appc.Volume objects or dicts of their fields
      env        -- {NAME: VALUE} for every app (--set-env)
      net        -- "none" (default: only loopback) or "host"
      hostname, uuid, pod_manifest (bytes/str/appc.PodManifest, instead of images)
      name, exec_, user, group, app_env, mounts, read_only_rootfs -- overrides of a one-image pod
      root, supervisor, executor -- where (an Executor is reused when given)
    """

    def __init__(self, executor: Executor, uuid: str):
        self.executor = executor
        self.uuid = uuid
        #: the pod's status after an attached run (Pod.run(detach=False), pod.run()), else None
        self.exit_code: Optional[int] = None
        #: the supervisor's host pid of the last run from this object, else 0
        self.pid = 0
        #: the status when listed by appc.pods(), else None
        self.last_status: Optional[PodStatus] = None

    @classmethod
    def prepare(cls, images=None, *, root: Optional[PathArg] = None, supervisor: Optional[PathArg] = None,
                executor: Optional[Executor] = None, **kw) -> "Pod":
        """Reify a pod without running it (pod.run() runs it, once)."""
        return _executor(root, supervisor, executor).prepare(images, **kw)

    @classmethod
    def open(cls, uuid: str, *, root: Optional[PathArg] = None, supervisor: Optional[PathArg] = None) -> "Pod":
        """An existing pod by UUID or unique prefix."""
        return Executor(root, supervisor=supervisor).pod(uuid)

    def start(self, detach: bool = False) -> Optional[int]:
        """Run this prepared pod (once). Attached: returns its exit status; detached: None."""
        uuid, code, pid = self.executor._h.run_prepared(self.uuid, detach)
        self.exit_code, self.pid = code, pid
        return code

    run = _Hybrid(_run_new, start)
    run.__doc__ = """Pod.run(images, ...): prepare and run a new pod -> Pod. Attached (default): the apps'
        output goes to this process's stdout/stderr and the call returns when the pod has ended,
        with .exit_code set. pod.run(detach=False): run this prepared pod (once), as start()."""

    @property
    def status(self) -> PodStatus:
        """The pod's state now."""
        return PodStatus._from_dict(self.executor._h.status(self.uuid))

    def wait(self, timeout: Optional[float] = None) -> PodStatus:
        """Wait until the pod no longer runs (appc.Error with code CONFLICT after `timeout` seconds)."""
        return PodStatus._from_dict(self.executor._h.status(self.uuid, True, _ms(timeout)))

    @property
    def manifest(self):
        """The reified pod manifest (an appc.PodManifest)."""
        from ._manifest import PodManifest
        return PodManifest.parse(self.executor._h.manifest(self.uuid).encode())

    def stop(self, grace: Optional[float] = None) -> None:
        """SIGTERM to the apps, SIGKILL to every process of the pod after `grace` seconds
        (default 10); returns when the pod has ended."""
        self.executor._h.stop(self.uuid, _ms(grace))

    def rm(self) -> None:
        """Remove the pod (not while it runs)."""
        self.executor._h.rm(self.uuid)

    def enter(self, argv: Optional[Sequence[str]] = None, app: Optional[str] = None, *,
              tty: Optional[bool] = None) -> int:
        """Run `argv` (default /bin/sh) in the running pod, chrooted into `app` (default: the only
        app); returns its exit status.

        `tty`: None (default) gives the command a terminal of the pod's when this process's stdin
        and stdout (fds 0 and 1) are terminals; True always; False never. With a terminal, it is
        the command's stdio and controlling terminal, fd 0's terminal is in raw mode meanwhile and
        the bytes are relayed through fds 0 and 1. Without one, the command's stdio is this
        process's fds 0, 1, 2 (so pipes stay pipes)."""
        if isinstance(argv, str):
            raise TypeError("argv: a list of arguments, not a str")
        if tty is not None and not isinstance(tty, bool):
            raise TypeError("tty: None, True or False")
        return self.executor._h.enter(self.uuid, app, list(argv or []), tty)

    def logs(self, app: Optional[str] = None, *, stdout: bool = True, stderr: bool = True,
             callback=None) -> List[LogEntry]:
        """The lines the apps wrote so far (app order, then time). With `callback`, each
        LogEntry goes to it instead (returning False stops) and the list is empty."""
        entries: List[LogEntry] = []

        def take(a, s, ts, ns, line):
            e = LogEntry(a, s, ts, ns, line)
            if callback is not None:
                return callback(e)
            entries.append(e)
            return True
        self.executor._h.logs(self.uuid, app, stdout, stderr, False, take)
        return entries

    def follow_logs(self, app: Optional[str] = None, *, stdout: bool = True, stderr: bool = True
                    ) -> Iterator[LogEntry]:
        """Every line, then new lines as they come, until the pod no longer runs. A reader
        thread feeds the iterator; closing the iterator stops it at the next line."""
        q: "queue.Queue[Any]" = queue.Queue(maxsize=1024)
        stop = threading.Event()
        done = object()

        def take(a, s, ts, ns, line):
            if stop.is_set():
                return False
            q.put(LogEntry(a, s, ts, ns, line))
            return True

        def reader():
            try:
                self.executor._h.logs(self.uuid, app, stdout, stderr, True, take)
                q.put(done)
            except BaseException as e:   # noqa: BLE001 - handed to the consumer
                q.put(e)

        t = threading.Thread(target=reader, name=f"appc-logs-{self.uuid[:8]}", daemon=True)
        t.start()
        try:
            while True:
                item = q.get()
                if item is done:
                    return
                if isinstance(item, BaseException):
                    raise item
                yield item
        finally:
            stop.set()

    def __enter__(self) -> "Pod":
        return self

    def __exit__(self, *exc) -> None:
        try:
            st = self.status
        except NotFoundError:
            return
        if st.state == "running":
            self.stop(grace=0)
        try:
            self.rm()
        except NotFoundError:
            pass

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pod) and other.uuid == self.uuid

    def __hash__(self) -> int:
        return hash(self.uuid)

    def __repr__(self) -> str:
        return f"<appc.Pod {self.uuid}>"


def pods(root: Optional[PathArg] = None, *, supervisor: Optional[PathArg] = None) -> Iterator[Pod]:
    """Every pod of `root`, oldest first (each with .last_status)."""
    return Executor(root, supervisor=supervisor).pods()


def gc_pods(root: Optional[PathArg] = None, grace: float = 1800, prepared_grace: float = 86400) -> List[str]:
    """Remove exited pods after `grace` seconds and prepared pods after `prepared_grace`; the UUIDs."""
    with Executor(root) as e:
        return e.gc(grace, prepared_grace)


for _cls in (Executor, Pod, PodApp, PodStatus, AppStatus, LogEntry):
    _cls.__module__ = "appc"
del _cls
