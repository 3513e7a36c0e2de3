"""Wrong Python types are refused with TypeError naming the field, at assignment
and (for lists changed in place) when the manifest is handed to the C library."""

import pytest

import appc


@pytest.mark.parametrize("cls, field, value", [
    (appc.ImageManifest, "name", 5),
    (appc.ImageManifest, "name", b"bytes"),
    (appc.ImageManifest, "labels", 5),
    (appc.ImageManifest, "labels", "os=linux"),
    (appc.ImageManifest, "labels", [("os",)]),
    (appc.ImageManifest, "labels", {"os": 1}),
    (appc.ImageManifest, "app", "app"),
    (appc.ImageManifest, "dependencies", appc.Dependency("x")),
    (appc.ImageManifest, "path_whitelist", "/etc"),
    (appc.ImageManifest, "path_whitelist", ["/etc", 1]),
    (appc.ImageManifest, "annotations", [1, 2]),
    (appc.App, "exec", "/bin/sh"),
    (appc.App, "user", 0),
    (appc.App, "supplementary_gids", [1, "2"]),
    (appc.App, "supplementary_gids", [True]),
    (appc.App, "working_directory", 1),
    (appc.App, "environment", ["A=B"]),
    (appc.App, "ports", [{"name": "x", "port": "80"}]),
    (appc.App, "ports", [appc.MountPoint("x", "/x")]),
    (appc.App, "isolators", [("resource/cpu", {})]),
    (appc.App, "user_annotations", {"a": 1}),
    (appc.App, "user_labels", ["a"]),
    (appc.Port, "port", "80"),
    (appc.Port, "port", 80.0),
    (appc.Port, "socket_activated", 1),
    (appc.MountPoint, "read_only", "false"),
    (appc.Isolator, "value", {1, 2}),
    (appc.Isolator, "value", float("nan")),
    (appc.Dependency, "size", "10"),
    (appc.PodManifest, "apps", [appc.App()]),
    (appc.RuntimeApp, "image", "example.com/app"),
    (appc.RuntimeApp, "read_only_root_fs", None),
    (appc.Volume, "uid", "0"),
    (appc.Volume, "read_only", "true"),
    (appc.Mount, "app_volume", "scratch"),
    (appc.ExposedPort, "host_port", None),
    (appc.ExposedPort, "pod_port", 21),
])
def test_wrong_type_on_assignment(cls, field, value):
    obj = cls()
    with pytest.raises(TypeError) as ei:
        setattr(obj, field, value)
    assert f"{cls.__name__}.{field}" in str(ei.value)
    with pytest.raises(TypeError):
        cls(**{field: value})


def test_wrong_type_in_a_nested_constructor():
    with pytest.raises(TypeError, match=r"App\.ports\[1\]\.port: expected int, got str"):
        appc.App(user="0", group="0", ports=[{"name": "a", "protocol": "tcp", "port": 1},
                                             {"name": "b", "protocol": "tcp", "port": "2"}])


def test_unknown_field():
    with pytest.raises(TypeError, match="unexpected keyword argument 'nmae'"):
        appc.ImageManifest(nmae="x")
    m = appc.ImageManifest(name="example.com/x")
    with pytest.raises(AttributeError):
        m.nmae = "y"
    with pytest.raises(AttributeError):
        m.nmae


def test_too_many_positional_arguments():
    with pytest.raises(TypeError):
        appc.Port("a", "tcp", 1, 1, False, "extra")


def test_in_place_list_changes_are_checked_when_building():
    m = appc.ImageManifest(name="example.com/x", app=appc.App(user="0", group="0"))
    m.app.exec.append(42)
    with pytest.raises(TypeError, match=r"ImageManifest\.app\.exec\[0\]: expected str, got int"):
        m.to_json()
    m.app.exec[0] = "/bin/true"
    m.path_whitelist.append(None)
    with pytest.raises(TypeError, match=r"ImageManifest\.path_whitelist\[0\]"):
        m.validate()
    del m.path_whitelist[0]
    m.app.ports.append("http")
    with pytest.raises(TypeError, match=r"ImageManifest\.app\.ports\[0\]"):
        m.to_json()


def test_pod_in_place_changes_are_checked_when_building():
    p = appc.PodManifest(apps=[appc.RuntimeApp("a", appc.RuntimeImage("example.com/a"))])
    p.apps[0].mounts.append(appc.Mount("v", "/v"))
    p.apps[0].mounts[0].path = "/w"
    p.apps[0].mounts.append(("v", "/x"))
    with pytest.raises(TypeError, match=r"PodManifest\.apps\[0\]\.mounts\[1\]"):
        p.to_json()


def test_parse_wants_text():
    with pytest.raises(TypeError):
        appc.ImageManifest.parse(5)
    with pytest.raises(TypeError):
        appc.PodManifest.parse(None)
    with pytest.raises(TypeError):
        appc.parse_manifest({"acKind": "ImageManifest"})
    with pytest.raises(TypeError):
        appc.detect_kind(1.5)


def test_text_with_a_nul_byte_after_the_document_is_refused():
    # The length crosses the C ABI with the bytes: "\0garbage" after the object is trailing junk.
    good = b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x"}'
    assert appc.ImageManifest.parse(good).name == "example.com/x"
    with pytest.raises(appc.ValidationError):
        appc.ImageManifest.parse(good + b"\0garbage")


def test_text_with_a_nul_byte_inside_a_string_is_refused():
    with pytest.raises(appc.ValidationError):
        appc.ImageManifest.parse(b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"exa\0mple"}')


def test_str_with_a_nul_character_is_refused_before_reaching_c():
    # A C string would silently end at the NUL: the binding refuses it instead.
    m = appc.ImageManifest(name="example.com/x\0evil")
    with pytest.raises(ValueError, match="embedded null character"):
        m.to_json()
    m = appc.ImageManifest(name="example.com/x", labels={"version": "1\0"})
    with pytest.raises(ValueError, match="embedded null character"):
        m.validate()


def test_bad_utf8_text():
    with pytest.raises(appc.ValidationError):
        appc.ImageManifest.parse(b'{"acKind":"ImageManifest","acVersion":"0.8.11","name":"\xff"}')


def test_json_nul_escape_in_a_string_is_refused():
    # A \u0000 escape survives JSON but no C string (exec, paths, env, the C ABI): refused.
    text = ('{"acKind":"ImageManifest","acVersion":"0.8.11","name":"example.com/x",'
            '"annotations":[{"name":"authors","value":"a\\u0000b"}]}')
    with pytest.raises(appc.ValidationError) as e:
        appc.ImageManifest.parse(text)
    assert e.value.errors[0].path == "annotations[0].value"
    assert "NUL" in e.value.errors[0].message
