"""ImageManifest: reading every field of the spec's examples, building from
Python, mutation, canonical JSON, equality and repr."""

import copy
import json
import pickle

import pytest

import appc

# The spec's examples use the placeholder imageID "sha512-..."; libappc checks
# image IDs strictly (spec 5), so these tests put a well-formed ID in its place.
REAL_ID = "sha512-" + "0123456789abcdef" * 8


def spec_image_text(corpus, name="valid-spec-example-image.json"):
    return corpus(name).decode().replace('"sha512-..."', f'"{REAL_ID}"')


@pytest.fixture
def spec_image(corpus):
    return appc.ImageManifest.parse(spec_image_text(corpus))


def test_spec_example_top_level(spec_image):
    m = spec_image
    assert m.acKind == m.ac_kind == "ImageManifest"
    assert m.acVersion == m.ac_version == "0.8.11"
    assert m.name == "example.com/reduce-worker"
    assert m.labels == [appc.Label("version", "1.0.0"), appc.Label("arch", "amd64"),
                        appc.Label("os", "linux")]
    assert m.labels == {"version": "1.0.0", "arch": "amd64", "os": "linux"}
    assert m.labels["os"] == "linux"
    assert "arch" in m.labels and "name" not in m.labels
    assert m.labels.get("missing") is None and m.labels.get("missing", "x") == "x"
    with pytest.raises(KeyError):
        m.labels["missing"]
    assert [label.name for label in m.labels] == ["version", "arch", "os"]
    assert m.path_whitelist == m.pathWhitelist == [
        "/etc/ca/example.com/crt", "/usr/bin/map-reduce-worker", "/opt/libs/reduce-toolkit.so",
        "/etc/reduce-worker.conf", "/etc/systemd/system/"]
    assert m.annotations.names() == ["authors", "created", "documentation", "homepage",
                                     "appc.io/executor/supports-systemd-notify"]
    assert m.annotations["created"] == "2014-10-27T19:32:27.67021798Z"
    assert m.annotations["homepage"] == "https://example.com"
    assert m.annotations["authors"].startswith("Carly Container <carly@example.com>")
    assert isinstance(m.annotations[0], appc.Annotation)


def test_spec_example_dependencies(spec_image):
    (dep,) = spec_image.dependencies
    assert isinstance(dep, appc.Dependency)
    assert dep.image_name == dep.imageName == "example.com/reduce-worker-base"
    assert dep.image_id == dep.imageID == REAL_ID
    assert dep.labels == [("os", "linux"), ("env", "canary")]
    assert dep.size is None


def test_spec_example_app(spec_image):
    app = spec_image.app
    assert isinstance(app, appc.App)
    assert app.exec == ["/usr/bin/reduce-worker", "--quiet"]
    assert app.user == "100"
    assert app.group == "300"
    assert app.supplementary_gids == app.supplementaryGIDs == []
    assert app.working_directory is None and app.workingDirectory is None
    assert app.environment == [appc.EnvVar("REDUCE_WORKER_DEBUG", "true")]
    assert app.environment["REDUCE_WORKER_DEBUG"] == "true"
    assert app.event_handlers == app.eventHandlers == [
        appc.EventHandler("pre-start", ["/usr/bin/data-downloader"]),
        appc.EventHandler("post-stop", ["/usr/bin/deregister-worker", "--verbose"])]
    assert app.mount_points == app.mountPoints == [appc.MountPoint("database", "/var/lib/db", False)]
    (port,) = app.ports
    assert (port.name, port.protocol, port.port, port.count, port.socket_activated) == \
        ("health", "tcp", 4000, 1, True)
    assert port.socketActivated is True
    assert [(i.name, i.value) for i in app.isolators] == [
        ("resource/cpu", {"limit": "20m"}),
        ("resource/memory", {"limit": "1G"}),
        ("os/linux/capabilities-retain-set", {"set": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]}),
        ("os/linux/no-new-privileges", True),
        ("os/linux/seccomp-remove-set",
         {"errno": "EACCESS", "set": ["clock_settime", "clock_adjtime", "reboot"]}),
    ]
    assert app.user_annotations == app.userAnnotations == {}
    assert app.user_labels == app.userLabels == {}


def test_aci_md_example_fields_absent_from_examples_json(corpus):
    # spec/aci.md's example adds workingDirectory, a port range and a dependency size.
    m = appc.ImageManifest.parse(spec_image_text(corpus, "valid-spec-aci-md-image-manifest.json"))
    assert m.app.working_directory == "/opt/work"
    assert m.app.ports[1] == appc.Port("ftp-data", "tcp", 20000, 1000, False)
    assert m.dependencies[0].size == 22017258
    assert [i.decoded() for i in m.app.isolators[:2]] == [
        {"kind": "resource/cpu", "request": appc.Quantity("250m", 250, 1),
         "limit": appc.Quantity("500m", 500, 1)},
        {"kind": "resource/memory", "request": appc.Quantity("1G", 10**12, 10**9),
         "limit": appc.Quantity("2G", 2 * 10**12, 2 * 10**9)},
    ]


def test_supplementary_gids_and_user_maps():
    m = appc.ImageManifest.parse(json.dumps({
        "acKind": "ImageManifest", "acVersion": "0.8.11", "name": "example.com/x",
        "app": {"user": "0", "group": "0", "supplementaryGIDs": [400, 500],
                "userAnnotations": {"team": "infra", "a": "b"}, "userLabels": {"tier": "web"}},
    }))
    assert m.app.supplementary_gids == [400, 500]
    assert m.app.user_annotations == {"team": "infra", "a": "b"}
    assert list(m.app.user_annotations) == ["team", "a"]          # document order kept
    assert m.app.user_labels == {"tier": "web"}


def test_isolator_values_decoded_by_the_library(spec_image):
    iso = {i.name: i for i in spec_image.app.isolators}
    assert iso["resource/cpu"].decoded() == {"kind": "resource/cpu",
                                             "limit": appc.Quantity("20m", 20, 1)}
    assert iso["os/linux/capabilities-retain-set"].decoded() == {
        "kind": "os/linux/capabilities-retain-set", "set": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]}
    assert iso["os/linux/no-new-privileges"].decoded() == {
        "kind": "os/linux/no-new-privileges", "enabled": True}
    assert iso["os/linux/seccomp-remove-set"].decoded() == {
        "kind": "os/linux/seccomp-remove-set", "set": ["clock_settime", "clock_adjtime", "reboot"],
        "errno": "EACCESS"}
    assert appc.Isolator("example.com/custom", {"any": [1, 2]}).decoded() == {"kind": None}
    assert appc.Isolator("os/linux/oom-score-adj", -500).decoded() == {
        "kind": "os/linux/oom-score-adj", "int": -500}
    sel = appc.Isolator("os/linux/selinux-context",
                        {"user": "system_u", "role": "system_r", "type": "t", "level": "s0:c1"})
    assert sel.decoded() == {"kind": "os/linux/selinux-context", "user": "system_u",
                             "role": "system_r", "type": "t", "level": "s0:c1"}
    with pytest.raises(appc.ValidationError) as ei:
        appc.Isolator("resource/memory", {"limit": "lots"}).decoded()
    assert ei.value.errors[0].path == "value.limit"


def test_canonical_json_round_trip(corpus):
    text = spec_image_text(corpus)
    m = appc.ImageManifest.parse(text)
    canonical = m.to_json()
    assert "\n" not in canonical
    assert json.loads(canonical) == _without_absent(json.loads(text))
    again = appc.ImageManifest.parse(canonical)
    assert again.to_json() == canonical
    assert again == m
    pretty = m.to_json(pretty=True)
    assert "\n    " in pretty and json.loads(pretty) == json.loads(canonical)
    assert appc.ImageManifest.parse(pretty) == m
    assert m.to_json(pretty=False) == canonical


def _without_absent(doc):
    # The spec example writes "readOnly": false explicitly; the canonical form omits defaults.
    for mp in doc["app"]["mountPoints"]:
        if mp.get("readOnly") is False:
            del mp["readOnly"]
    return doc


def test_parse_accepts_str_bytes_bytearray_memoryview(corpus):
    raw = spec_image_text(corpus).encode()
    ref = appc.ImageManifest.parse(raw)
    for text in (raw.decode(), bytearray(raw), memoryview(raw)):
        assert appc.ImageManifest.parse(text) == ref


def build_spec_example():
    """examples/image.json written with the Python classes."""
    return appc.ImageManifest(
        name="example.com/reduce-worker",
        labels={"version": "1.0.0", "arch": "amd64", "os": "linux"},
        app=appc.App(
            exec=["/usr/bin/reduce-worker", "--quiet"], user="100", group="300",
            event_handlers=[appc.EventHandler("pre-start", ["/usr/bin/data-downloader"]),
                            appc.EventHandler("post-stop", ["/usr/bin/deregister-worker", "--verbose"])],
            environment={"REDUCE_WORKER_DEBUG": "true"},
            isolators=[
                appc.Isolator("resource/cpu", {"limit": "20m"}),
                appc.Isolator("resource/memory", {"limit": "1G"}),
                appc.Isolator("os/linux/capabilities-retain-set",
                              {"set": ["CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE"]}),
                appc.Isolator("os/linux/no-new-privileges", True),
                appc.Isolator("os/linux/seccomp-remove-set",
                              {"errno": "EACCESS", "set": ["clock_settime", "clock_adjtime", "reboot"]}),
            ],
            mount_points=[appc.MountPoint("database", "/var/lib/db", read_only=False)],
            ports=[appc.Port("health", "tcp", 4000, socket_activated=True)],
        ),
        dependencies=[appc.Dependency("example.com/reduce-worker-base", REAL_ID,
                                      [("os", "linux"), ("env", "canary")])],
        path_whitelist=["/etc/ca/example.com/crt", "/usr/bin/map-reduce-worker",
                        "/opt/libs/reduce-toolkit.so", "/etc/reduce-worker.conf",
                        "/etc/systemd/system/"],
        annotations=[
            ("authors", "Carly Container <carly@example.com>, Nat Network "
                        "<[nat@example.com](mailto:nat@example.com)>"),
            ("created", "2014-10-27T19:32:27.67021798Z"),
            ("documentation", "https://example.com/docs"),
            ("homepage", "https://example.com"),
            ("appc.io/executor/supports-systemd-notify", "false"),
        ],
    )


def test_build_equals_parse(spec_image):
    built = build_spec_example()
    built.validate()
    assert built.to_json() == spec_image.to_json()
    assert built == spec_image
    assert built.to_json(pretty=True) == spec_image.to_json(pretty=True)


def test_build_with_json_names_and_dicts(spec_image):
    # Keyword arguments may use the JSON names; nested records may be given as dicts.
    built = build_spec_example()
    built.app = {"exec": built.app.exec, "user": "100", "group": "300",
                 "eventHandlers": built.app.event_handlers, "environment": built.app.environment,
                 "isolators": built.app.isolators,
                 "mountPoints": [{"name": "database", "path": "/var/lib/db", "readOnly": False}],
                 "ports": [{"name": "health", "protocol": "tcp", "port": 4000,
                            "socketActivated": True}]}
    assert isinstance(built.app, appc.App)
    assert built == spec_image


def test_minimal_manifest_defaults():
    m = appc.ImageManifest(name="example.com/app")
    assert m.ac_version == appc.spec_version
    assert m.labels == [] and m.app is None and m.dependencies == [] and m.annotations == []
    assert m.to_json() == ('{"acKind":"ImageManifest","acVersion":"0.8.11",'
                           '"name":"example.com/app"}')
    assert appc.ImageManifest("example.com/app") == m       # positional: name first


def test_mutation_goes_through_the_builders(spec_image):
    m = spec_image
    m.name = "example.com/other"
    m.labels["version"] = "2.0.0"
    m.labels["channel"] = "beta"
    del m.labels["arch"]
    m.app.exec.append("--verbose")
    m.app.user = "1000"
    m.app.working_directory = "/srv"
    m.app.ports[0].port = 4001
    m.app.isolators[1].value = {"limit": "2G"}
    m.app.environment["EXTRA"] = "1"
    m.app.user_labels["tier"] = "web"
    m.annotations["homepage"] = "https://example.org"
    m.dependencies[0].size = 1024
    m.path_whitelist.remove("/etc/systemd/system/")
    doc = json.loads(m.to_json())
    assert doc["name"] == "example.com/other"
    assert doc["labels"] == [{"name": "version", "value": "2.0.0"}, {"name": "os", "value": "linux"},
                             {"name": "channel", "value": "beta"}]
    assert doc["app"]["exec"][-1] == "--verbose"
    assert doc["app"]["user"] == "1000"
    assert doc["app"]["workingDirectory"] == "/srv"
    assert doc["app"]["ports"][0]["port"] == 4001
    assert doc["app"]["isolators"][1] == {"name": "resource/memory", "value": {"limit": "2G"}}
    assert doc["app"]["environment"][-1] == {"name": "EXTRA", "value": "1"}
    assert doc["app"]["userLabels"] == {"tier": "web"}
    assert doc["annotations"][3] == {"name": "homepage", "value": "https://example.org"}
    assert doc["dependencies"][0]["size"] == 1024
    assert "/etc/systemd/system/" not in doc["pathWhitelist"]
    assert appc.ImageManifest.parse(m.to_json()) == m


def test_mutation_that_breaks_a_rule_is_reported(spec_image):
    spec_image.app.ports[0].port = 70000
    spec_image.app.working_directory = "relative"
    with pytest.raises(appc.ValidationError) as ei:
        spec_image.validate()
    assert [(e.path, e.rule) for e in ei.value.errors] == [
        ("app.workingDirectory", 14), ("app.ports[0].port", 17)]
    assert str(ei.value.errors[1]) == "app.ports[0].port: 70000 is outside 1..65535 (spec 17)"
    assert not spec_image.is_valid()
    with pytest.raises(appc.ValidationError):
        spec_image.to_json()                          # serialize validates first


def test_remove_app_and_clear_lists(spec_image):
    spec_image.app = None
    spec_image.labels = {}
    spec_image.dependencies = []
    spec_image.annotations = []
    spec_image.path_whitelist = []
    assert spec_image.to_json() == ('{"acKind":"ImageManifest","acVersion":"0.8.11",'
                                    '"name":"example.com/reduce-worker"}')


def test_ac_version_is_settable_ac_kind_is_not(spec_image):
    spec_image.acVersion = "0.8.10"
    assert spec_image.ac_version == "0.8.10"
    assert json.loads(spec_image.to_json())["acVersion"] == "0.8.10"
    with pytest.raises(AttributeError):
        spec_image.acKind = "PodManifest"
    with pytest.raises(AttributeError):
        spec_image.ac_kind = "PodManifest"


def test_isolator_value_text_is_kept_until_replaced():
    m = appc.ImageManifest.parse(
        '{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x","app":{"user":"0",'
        '"group":"0","isolators":[{"name":"resource/memory","value":{"limit":1e3}}]}}')
    iso = m.app.isolators[0]
    # value is json.loads of the library's canonical text of the value, which is what goes back.
    assert iso.value == json.loads(iso.value_json)
    assert json.loads(m.to_json())["app"]["isolators"][0]["value"] == iso.value
    assert iso.value_json in m.to_json()
    assert iso.decoded()["limit"].value == 1000
    iso.value = {"limit": "1K"}
    assert iso.value_json == '{"limit": "1K"}'
    assert iso.decoded()["limit"] == appc.Quantity("1K", 1000000, 1000)
    assert json.loads(m.to_json())["app"]["isolators"][0]["value"] == {"limit": "1K"}


def test_equality():
    a = appc.ImageManifest(name="example.com/a", labels={"os": "linux"})
    b = appc.ImageManifest(name="example.com/a", labels=[appc.Label("os", "linux")])
    assert a == b and not (a != b)
    b.labels["arch"] = "amd64"
    assert a != b
    assert a != appc.PodManifest()
    assert a != a.to_json()
    with pytest.raises(TypeError):
        hash(a)


def test_equality_of_invalid_manifests_is_field_by_field():
    a = appc.ImageManifest(name="Not Valid")
    b = appc.ImageManifest(name="Not Valid")
    assert not a.is_valid()
    assert a == b
    b.labels["x"] = "y"
    assert a != b


def test_repr_round_trips(spec_image):
    r = repr(spec_image)
    assert r.startswith("ImageManifest(name='example.com/reduce-worker', labels=[Label(")
    assert "ac_version" not in r                       # defaults are left out
    assert eval(r, vars(appc)) == spec_image
    assert repr(appc.App(user="0")) == "App(user='0')"
    assert repr(appc.ImageManifest("example.com/x")) == "ImageManifest(name='example.com/x')"


def test_copy_and_pickle(spec_image):
    c = copy.deepcopy(spec_image)
    assert c == spec_image
    c.app.exec[0] = "/bin/other"
    assert spec_image.app.exec[0] == "/usr/bin/reduce-worker"
    p = pickle.loads(pickle.dumps(spec_image))
    assert p == spec_image and p.app.isolators[0].value_json == spec_image.app.isolators[0].value_json


def test_app_values_compare_field_by_field():
    a = appc.App(exec=["/bin/sh"], user="0", group="0")
    assert a == appc.App(["/bin/sh"], "0", "0")
    assert a != appc.App(exec=["/bin/sh"], user="0", group="1")
    assert appc.Port("p", "tcp", 80) == appc.Port(name="p", protocol="tcp", port=80, count=1)
