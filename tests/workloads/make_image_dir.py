#!/usr/bin/python3
"""Make an image directory (manifest + rootfs/) from programs of this host,
each with the shared libraries it needs (its ldd closure), as the seed's demo
packaged redis. `appc image build DIR OUT.aci` turns it into an ACI.

  make_image_dir.py DIR --name NAME [--version V] [--exec ARG]... \
      [--file HOST[:IMAGE]]... [--user U] [--group G] [--env K=V]... \
      [--mount-point NAME:PATH[:ro]]... [--port NAME:PROTO:PORT]... \
      [--passwd NAME:UID:GID:HOME]... [--dir PATH[:MODE[:UID:GID]]]... [--busybox]

Presets (the workloads of the tests and the demo):
  --preset busybox  /bin/busybox (static) with its applets as symlinks; exec /bin/sh
  --preset redis    redis-server (Debian's redis-tools binary) + libraries,
                    user redis (uid 999) owning /data, mount point "data" at /data,
                    port 6379; exec redis-server --port 6379 --dir /data --protected-mode no

Every file keeps its mode; libraries land at the path ldd names.
"""
import argparse
import json
import os
import re
import shutil
import subprocess
import sys

BUSYBOX_APPLETS = ("sh", "ash", "true", "false", "sleep", "cat", "echo", "ls", "id", "env", "pwd", "mkdir",
                   "touch", "rm", "printf", "test", "[", "grep", "wc", "head", "tail", "ps", "kill", "hostname",
                   "mount", "stat", "readlink", "seq", "yes", "date", "whoami", "chmod", "uname", "dd", "sync",
                   "tty", "stty", "setsid")


def ldd_closure(path):
    """Absolute paths of the shared objects `path` needs (with the loader)."""
    out = subprocess.run(["ldd", path], capture_output=True, text=True)
    if out.returncode != 0:   # "not a dynamic executable": static
        return []
    libs = []
    for line in out.stdout.splitlines():
        m = re.search(r"=>\s*(/\S+)", line) or re.match(r"\s*(/\S+)", line)
        if m:
            libs.append(m.group(1))
    return libs


def copy_in(rootfs, host, inside=None):
    inside = inside or host
    dst = os.path.join(rootfs, inside.lstrip("/"))
    os.makedirs(os.path.dirname(dst), exist_ok=True)
    if not os.path.exists(dst):
        shutil.copy2(os.path.realpath(host), dst)
    return dst


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("dir")
    ap.add_argument("--preset", choices=("busybox", "redis"))
    ap.add_argument("--name")
    ap.add_argument("--version", default="1.0.0")
    ap.add_argument("--exec", dest="exec_", action="append", default=[])
    ap.add_argument("--file", action="append", default=[])
    ap.add_argument("--user", default="0")
    ap.add_argument("--group", default="0")
    ap.add_argument("--env", action="append", default=[])
    ap.add_argument("--mount-point", action="append", default=[])
    ap.add_argument("--port", action="append", default=[])
    ap.add_argument("--passwd", action="append", default=[])
    ap.add_argument("--dir", dest="dirs", action="append", default=[])
    ap.add_argument("--busybox", action="store_true", help="add busybox and its applets")
    a = ap.parse_args(argv)

    if a.preset == "busybox":
        a.name = a.name or "example.com/busybox"
        a.busybox = True
        a.exec_ = a.exec_ or ["/bin/sh"]
    elif a.preset == "redis":
        a.name = a.name or "example.com/redis"
        a.busybox = True
        a.file.append("/usr/bin/redis-check-rdb:/usr/bin/redis-server")
        a.exec_ = a.exec_ or ["/usr/bin/redis-server", "--port", "6379", "--dir", "/data",
                              "--protected-mode", "no", "--save", "1", "1"]
        a.user, a.group = "redis", "redis"
        a.passwd.append("redis:999:999:/data")
        a.dirs.append("/data:0755:999:999")
        a.mount_point.append("data:/data")
        a.port.append("redis:tcp:6379")
    if not a.name:
        ap.error("--name (or --preset) is required")

    rootfs = os.path.join(a.dir, "rootfs")
    os.makedirs(rootfs, exist_ok=True)
    for d in ("bin", "etc", "tmp", "usr/bin", "var"):
        os.makedirs(os.path.join(rootfs, d), exist_ok=True)
    os.chmod(os.path.join(rootfs, "tmp"), 0o1777)

    programs = []
    if a.busybox:
        if not os.path.exists("/bin/busybox"):
            sys.exit("/bin/busybox is missing: apt-get install busybox-static")
        copy_in(rootfs, "/bin/busybox")
        for applet in BUSYBOX_APPLETS:
            link = os.path.join(rootfs, "bin", applet)
            if not os.path.lexists(link):
                os.symlink("busybox", link)
    for spec in a.file:
        host, _, inside = spec.partition(":")
        programs.append(copy_in(rootfs, host, inside or None))
        for lib in ldd_closure(host):
            copy_in(rootfs, lib)

    users = [("root", 0, 0, "/root")] + [
        (n, int(u), int(g), h) for n, u, g, h in (p.split(":") for p in a.passwd)]
    with open(os.path.join(rootfs, "etc", "passwd"), "w") as f:
        for n, u, g, h in users:
            f.write("%s:x:%d:%d:%s:%s:/bin/sh\n" % (n, u, g, n, h))
    with open(os.path.join(rootfs, "etc", "group"), "w") as f:
        for n, u, g, h in users:
            f.write("%s:x:%d:\n" % (n, g))
    for spec in a.dirs:
        parts = spec.split(":")
        path = os.path.join(rootfs, parts[0].lstrip("/"))
        os.makedirs(path, exist_ok=True)
        if len(parts) > 1:
            os.chmod(path, int(parts[1], 8))
        if len(parts) > 3:
            os.chown(path, int(parts[2]), int(parts[3]))

    app = {"exec": a.exec_, "user": a.user, "group": a.group}
    if a.env:
        app["environment"] = [{"name": k, "value": v} for k, v in (e.split("=", 1) for e in a.env)]
    if a.mount_point:
        app["mountPoints"] = []
        for mp in a.mount_point:
            parts = mp.split(":")
            m = {"name": parts[0], "path": parts[1]}
            if len(parts) > 2 and parts[2] == "ro":
                m["readOnly"] = True
            app["mountPoints"].append(m)
    if a.port:
        app["ports"] = [{"name": n, "protocol": p, "port": int(num)}
                        for n, p, num in (x.split(":") for x in a.port)]
    manifest = {"acKind": "ImageManifest", "acVersion": "0.8.11", "name": a.name,
                "labels": [{"name": "version", "value": a.version}, {"name": "os", "value": "linux"},
                           {"name": "arch", "value": "amd64"}],
                "app": app}
    with open(os.path.join(a.dir, "manifest"), "w") as f:
        json.dump(manifest, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
