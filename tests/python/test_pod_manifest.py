"""PodManifest: every field of the spec's pod examples, building from Python,
mutation, canonical JSON."""

import json

import pytest

import appc

ID_WORKER = ("sha512-8d3fffddf79e9a232ffd19f9ccaa4d6b37a6a243dbe0f23137b108a043d9da13121a9b505c804956b"
             "22e93c7f93969f4a7ba8ddea45bf4aab0bebc8f814e0990")
ID_BACKUP = ("sha512-d603c29df0214c9b6681ed591871d40cc4bfabf9914383ce95ada0f2333defa7e97e21ca347e1d8d"
             "fde0b3edfe703688729cd25cec895a9a5b5c856da2f031fe")
ID_REGISTER = ("sha512-57007df523db8aa55e11260aaaab5e8242eb7a2a431196da7ba8204c4aacc6215db289242d17e5a5"
               "e45cb0cd0c2e22c7be9c77b61401a8f7e3eba66c2e6e42eb")
ID_APP = ("sha512-cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff83"
          "18d2877eec2f63b931bd47417a81a538327af927da3e")


def test_runtime_example(spec_pod):
    p = spec_pod
    assert p.acKind == p.ac_kind == "PodManifest"
    assert p.acVersion == "0.8.11"
    assert [a.name for a in p.apps] == ["reduce-worker", "backup", "register"]

    worker, backup, register = p.apps
    assert isinstance(worker, appc.RuntimeApp)
    assert worker.image == appc.RuntimeImage("example.com/reduce-worker", ID_WORKER)
    assert worker.image.labels == []
    assert worker.app == appc.App(
        exec=["/usr/bin/reduce-worker", "--debug=true", "--data-dir=/mnt/foo"], user="0", group="0",
        mount_points=[appc.MountPoint("database", "/var/lib/db")],
        isolators=[appc.Isolator("resource/memory", {"limit": "1G"})])
    assert worker.read_only_root_fs is False and worker.readOnlyRootFS is False
    assert worker.mounts == [appc.Mount("dbvolume", "/var/lib/db")]
    assert worker.mounts[0].app_volume is None and worker.mounts[0].appVolume is None
    assert worker.annotations == []

    assert backup.image.name == "example.com/worker-backup"
    assert backup.image.id == ID_BACKUP
    assert backup.image.labels == {"version": "latest"}
    assert backup.app is None
    assert [(m.volume, m.path) for m in backup.mounts] == [("dbvolume", "/mnt/db"),
                                                           ("buildoutput", "/mnt/out")]
    assert backup.annotations == [appc.Annotation("foo", "baz")]

    assert register.image.labels["version"] == "3.0.0"
    assert register.mounts == [] and register.app is None

    host, empty = p.volumes
    assert isinstance(host, appc.Volume)
    assert (host.name, host.kind, host.source, host.read_only, host.readOnly) == \
        ("dbvolume", "host", "/opt/tenant1/database", True, True)
    assert host.recursive is None and host.mode is None and host.uid is None and host.gid is None
    assert (empty.name, empty.kind, empty.source, empty.mode, empty.uid, empty.gid) == \
        ("buildoutput", "empty", None, "0777", 0, 0)
    assert empty.read_only is None

    assert [(i.name, i.value) for i in p.isolators] == [
        ("resource/memory", {"limit": "4G"}),
        ("os/unix/sysctl", {"net.ipv4.tcp_fin_timeout": "6"})]
    assert p.isolators[1].decoded() == {"kind": "os/unix/sysctl",
                                        "entries": {"net.ipv4.tcp_fin_timeout": "6"}}
    assert p.annotations == {"ip-address": "10.1.2.3"}
    assert p.ports == []
    assert p.user_annotations == p.userAnnotations == {}
    assert p.user_labels == p.userLabels == {}


def test_template_example(corpus):
    p = appc.PodManifest.parse(corpus("valid-spec-example-pod-template.json"))
    assert p.ac_version == "0.3.0"
    assert [a.image.id for a in p.apps] == [ID_WORKER, None, None]      # a template: ids absent
    assert p.apps[1].image.labels["version"] == "latest"
    assert p.isolators[0].decoded()["limit"].value == 4 * 10**9
    assert p.to_json() == appc.PodManifest.parse(p.to_json()).to_json()


def test_pods_md_example_fields(corpus):
    text = corpus("valid-spec-pods-md-pod-manifest.json").decode().replace('"sha512-..."',
                                                                           f'"{ID_APP}"')
    p = appc.PodManifest.parse(text)
    assert p.apps[0].read_only_root_fs is True
    assert p.volumes[0].recursive is True
    (port,) = p.ports
    assert isinstance(port, appc.ExposedPort)
    assert (port.name, port.host_port, port.hostPort, port.host_ip, port.pod_port) == \
        ("ftp", 2121, 2121, None, None)


def test_ports_with_host_ip_and_pod_port(corpus):
    p = appc.PodManifest.parse(corpus("valid-pod-ports-hostip.json"))
    assert p.ports[0].host_ip == p.ports[0].hostIP == "203.0.113.23"
    p = appc.PodManifest.parse(corpus("valid-pod-ports-podport.json"))
    assert p.ports[0].pod_port == p.ports[0].podPort == appc.Port("ftp", "tcp", 21)


def test_app_volume(corpus):
    p = appc.PodManifest.parse(corpus("valid-pod-app-mounts-appvolume.json"))
    (mount,) = p.apps[0].mounts
    assert mount.app_volume == appc.Volume("scratch", "empty")


def build_runtime_example():
    return appc.PodManifest(
        apps=[
            appc.RuntimeApp(
                "reduce-worker", appc.RuntimeImage("example.com/reduce-worker", ID_WORKER),
                app=appc.App(exec=["/usr/bin/reduce-worker", "--debug=true", "--data-dir=/mnt/foo"],
                             user="0", group="0",
                             mount_points=[appc.MountPoint("database", "/var/lib/db")],
                             isolators=[appc.Isolator("resource/memory", {"limit": "1G"})]),
                mounts=[appc.Mount("dbvolume", "/var/lib/db")]),
            appc.RuntimeApp(
                "backup", appc.RuntimeImage("example.com/worker-backup", ID_BACKUP, {"version": "latest"}),
                mounts=[appc.Mount("dbvolume", "/mnt/db"), appc.Mount("buildoutput", "/mnt/out")],
                annotations={"foo": "baz"}),
            appc.RuntimeApp(
                "register",
                appc.RuntimeImage("example.com/reduce-worker-register", ID_REGISTER, {"version": "3.0.0"})),
        ],
        volumes=[appc.Volume("dbvolume", "host", source="/opt/tenant1/database", read_only=True),
                 appc.Volume("buildoutput", "empty", mode="0777", uid=0, gid=0)],
        isolators=[appc.Isolator("resource/memory", {"limit": "4G"}),
                   appc.Isolator("os/unix/sysctl", {"net.ipv4.tcp_fin_timeout": "6"})],
        annotations={"ip-address": "10.1.2.3"},
    )


def test_build_equals_parse(spec_pod):
    built = build_runtime_example()
    built.validate()
    assert built.to_json() == spec_pod.to_json()
    assert built == spec_pod


def test_build_every_pod_field():
    p = appc.PodManifest(
        apps=[appc.RuntimeApp(
            name="web", image={"name": "example.com/web", "id": ID_APP, "labels": {"version": "1"}},
            read_only_root_fs=True,
            mounts=[appc.Mount("scratch", "/scratch",
                               app_volume=appc.Volume("scratch", "empty", mode="0700", uid=1000,
                                                      gid=1000, read_only=False)),
                    appc.Mount("data", "/data")],
            annotations=[("created", "2015-05-18T13:49:28Z")])],
        volumes=[appc.Volume("data", "host", "/srv/data", read_only=True, recursive=False)],
        ports=[appc.ExposedPort("http", 8080, "127.0.0.1", appc.Port("http", "tcp", 80)),
               appc.ExposedPort("dns", 5353)],
        isolators=[appc.Isolator("example.com/custom", {"anything": [1, "two"]})],
        user_annotations={"owner": "ops"}, user_labels={"env": "prod"},
    )
    doc = json.loads(p.to_json())
    assert doc["apps"][0] == {
        "name": "web",
        "image": {"name": "example.com/web", "id": ID_APP, "labels": [{"name": "version", "value": "1"}]},
        "readOnlyRootFS": True,
        "mounts": [{"volume": "scratch", "path": "/scratch",
                    "appVolume": {"name": "scratch", "kind": "empty", "readOnly": False,
                                  "mode": "0700", "uid": 1000, "gid": 1000}},
                   {"volume": "data", "path": "/data"}],
        "annotations": [{"name": "created", "value": "2015-05-18T13:49:28Z"}],
    }
    assert doc["volumes"] == [{"name": "data", "kind": "host", "source": "/srv/data",
                               "readOnly": True, "recursive": False}]
    assert doc["ports"] == [
        {"name": "http", "hostPort": 8080, "hostIP": "127.0.0.1",
         "podPort": {"name": "http", "protocol": "tcp", "port": 80}},
        {"name": "dns", "hostPort": 5353}]
    assert doc["isolators"] == [{"name": "example.com/custom", "value": {"anything": [1, "two"]}}]
    assert doc["userAnnotations"] == {"owner": "ops"} and doc["userLabels"] == {"env": "prod"}
    back = appc.PodManifest.parse(p.to_json())
    assert back == p
    assert back.apps[0].mounts[0].app_volume == appc.Volume("scratch", "empty", None, False, None,
                                                            "0700", 1000, 1000)
    assert back.ports[0].pod_port == appc.Port("http", "tcp", 80)
    assert back.user_annotations == {"owner": "ops"}


def test_mutation(spec_pod):
    spec_pod.apps[2].image.id = None                   # back to a template entry
    spec_pod.apps[1].read_only_root_fs = True
    spec_pod.apps[0].app.exec[1] = "--debug=false"
    spec_pod.volumes[1].mode = "0700"
    spec_pod.annotations["ip-address"] = "10.1.2.4"
    spec_pod.user_labels["team"] = "a"
    spec_pod.apps.append(appc.RuntimeApp("extra", appc.RuntimeImage("example.com/extra")))
    doc = json.loads(spec_pod.to_json())
    assert "id" not in doc["apps"][2]["image"]
    assert doc["apps"][1]["readOnlyRootFS"] is True
    assert doc["apps"][0]["app"]["exec"][1] == "--debug=false"
    assert doc["volumes"][1]["mode"] == "0700"
    assert doc["annotations"] == [{"name": "ip-address", "value": "10.1.2.4"}]
    assert doc["userLabels"] == {"team": "a"}
    assert doc["apps"][3] == {"name": "extra", "image": {"name": "example.com/extra"}}


def test_pod_rules_reported_with_paths(spec_pod):
    spec_pod.apps[1].name = "worker_2"
    spec_pod.volumes[0].source = "relative/path"
    spec_pod.apps.append(appc.RuntimeApp("register", appc.RuntimeImage("example.com/other", ID_APP)))
    with pytest.raises(appc.ValidationError) as ei:
        spec_pod.validate()
    paths = [e.path for e in ei.value.errors]
    assert paths[0] == "apps[1].name" and ei.value.errors[0].rule == 2
    assert "apps[3].name" in paths                     # duplicate app name
    assert "volumes[0].source" in paths
    assert paths.index("apps[3].name") < paths.index("volumes[0].source")     # document order


def test_empty_pod():
    # "apps" is required (spec 72) but may be empty; the canonical form always writes it.
    p = appc.PodManifest()
    assert p.apps == [] and p.ac_version == appc.spec_version
    assert json.loads(p.to_json()) == {"acVersion": "0.8.11", "acKind": "PodManifest", "apps": []}
    assert appc.PodManifest.parse(p.to_json()) == p
    with pytest.raises(appc.ValidationError) as ei:
        appc.PodManifest.parse('{"acVersion": "0.8.11", "acKind": "PodManifest"}')
    assert (ei.value.errors[0].path, ei.value.errors[0].rule) == ("apps", 72)


def test_detect_kind_and_parse_manifest(corpus, spec_pod):
    image = corpus("valid-image-name-simple.json")
    pod = corpus("valid-spec-example-pod-runtime.json")
    assert appc.detect_kind(image) == "ImageManifest"
    assert appc.detect_kind(pod.decode()) == "PodManifest"
    assert appc.detect_kind(b"not json") is None
    assert appc.detect_kind('{"acKind": "imagemanifest"}') is None
    assert appc.detect_kind("[]") is None
    assert isinstance(appc.parse_manifest(image), appc.ImageManifest)
    assert appc.parse_manifest(pod) == spec_pod
    with pytest.raises(appc.ValidationError) as ei:
        appc.parse_manifest('{"acKind": "SomethingElse", "acVersion": "0.8.11"}')
    assert ei.value.errors[0].path == "acKind"
    with pytest.raises(appc.ValidationError) as ei:
        appc.parse_manifest("{")
    assert ei.value.errors[0].path == "" and ei.value.errors[0].rule == 46


def test_kind_mismatch_is_a_validation_error(corpus):
    with pytest.raises(appc.ValidationError) as ei:
        appc.ImageManifest.parse(corpus("valid-spec-example-pod-runtime.json"))
    assert ei.value.errors[0].path == "acKind"
    with pytest.raises(appc.ValidationError) as ei:
        appc.PodManifest.parse(corpus("valid-image-name-simple.json"))
    assert ei.value.errors[0].path == "acKind"
