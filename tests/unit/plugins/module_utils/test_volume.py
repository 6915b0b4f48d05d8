"""The volume module's logic: validation, comparison, and the rules that keep data from being lost."""

from unittest import mock

import pytest
from docker.errors import NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import (
    Engine, FleetError, ResourceConflict, resolve_connection)
from ansible_collections.flotilla.fleet.plugins.module_utils._volume import (
    VolumeConverger, VolumeRequest, volume_argument_spec)

ENGINE = "unix:///var/run/docker.sock"
WRITES = ("create_volume", "remove_volume")


def volume(tmp_path=None, **extra):
    base = {"Name": "data", "Driver": "local", "Options": None, "Labels": None, "Scope": "local",
            "CreatedAt": "2024-01-01T00:00:00Z",
            "Mountpoint": str(tmp_path) if tmp_path else "/nonexistent/flotilla/_data"}
    base.update(extra)
    return base


def make_engine(existing, users=(), base_url=None):
    api = mock.Mock()

    def inspect_volume(name):
        if not existing:
            raise NotFound("no such volume")
        return existing

    api.inspect_volume.side_effect = inspect_volume
    api.containers.return_value = [{"Id": "x" * 64, "Names": ["/" + name]} for name in users]
    api.info.return_value = {"Plugins": {"Volume": ["local"]}}
    settings = resolve_connection({"docker_host": base_url} if base_url else {}, {})
    if base_url and base_url.startswith("tcp://"):
        settings = resolve_connection({"docker_host": base_url, "tls": False}, {})
    return Engine(settings, api=api), api


def request(**given):
    params = {name: spec.get("default") for name, spec in volume_argument_spec().items()}
    params["name"] = "data"
    params.update(given)
    return VolumeRequest(params)


def assert_no_writes(api):
    for name in WRITES:
        getattr(api, name).assert_not_called()


def test_create_in_check_mode_writes_nothing():
    engine, api = make_engine(None)
    result = VolumeConverger(engine, True).converge(request(labels={"a": 1}))
    assert result["action"] == "created"
    assert result["diff"] == {"before": {"state": "absent"}, "after": {"labels": {"a": "1"}, "state": "present"}}
    assert_no_writes(api)


def test_create_passes_driver_options_and_labels():
    engine, api = make_engine(None)
    api.inspect_volume.side_effect = [NotFound("no"), volume(Options={"type": "nfs"})]
    options = {"type": "nfs", "o": "addr=192.0.2.1,rw", "device": ":/export"}
    VolumeConverger(engine, False).converge(request(driver_options=options))
    api.create_volume.assert_called_once_with("data", driver="local", driver_opts=options, labels=None)


def test_left_out_options_are_not_compared():
    engine, api = make_engine(volume(Labels={"a": "1"}, Options={"type": "tmpfs", "device": "tmpfs"}))
    result = VolumeConverger(engine, False).converge(request())
    assert result["action"] == "unchanged"
    assert result["driver_options"] == {"type": "tmpfs", "device": "tmpfs"}
    assert_no_writes(api)


def test_difference_is_refused_without_recreate_and_says_what_it_costs():
    engine, api = make_engine(volume(Labels={"a": "1"}))
    with pytest.raises(ResourceConflict) as error:
        VolumeConverger(engine, False).converge(request(labels={"a": "2"}))
    assert str(error.value) == (
        'Volume data on %s differs in options Docker cannot change in place: labels ({"a": "1"} -> {"a": "2"}). '
        'Recreating it deletes the volume and all the data in it; set recreate: options-changed to allow that'
        % ENGINE)
    assert_no_writes(api)


@pytest.mark.parametrize("recreate", ["options-changed", "always"])
def test_volume_in_use_is_never_recreated(recreate):
    engine, api = make_engine(volume(Labels={"a": "1"}), users=["db-1", "db-2"])
    with pytest.raises(ResourceConflict) as error:
        VolumeConverger(engine, False).converge(request(labels={"a": "2"}, recreate=recreate))
    assert str(error.value) == ("Volume data on %s cannot be recreated: it is in use by containers db-1, db-2 "
                                "(running or stopped); remove them first" % ENGINE)
    assert_no_writes(api)


def test_recreate_removes_then_creates_and_check_mode_does_neither():
    engine, api = make_engine(volume(Labels={"a": "1"}))
    result = VolumeConverger(engine, True).converge(request(labels={"a": "2"}, recreate="options-changed"))
    assert result["action"] == "recreated"
    assert_no_writes(api)
    VolumeConverger(engine, False).converge(request(labels={"a": "2"}, recreate="options-changed"))
    api.remove_volume.assert_called_once_with("data")
    api.create_volume.assert_called_once_with("data", driver="local", driver_opts=None, labels={"a": "2"})


def test_recreate_with_a_driver_the_engine_lacks_is_refused_before_removing():
    engine, api = make_engine(volume())
    with pytest.raises(FleetError) as error:
        VolumeConverger(engine, False).converge(request(driver="nfs-plugin", recreate="options-changed"))
    assert str(error.value) == ("driver: the engine at %s has no volume driver nfs-plugin (it has local); the volume "
                                "was not touched" % ENGINE)
    assert_no_writes(api)


def test_absent_in_use_is_refused_even_with_force():
    engine, api = make_engine(volume(), users=["db-1"])
    for force in (False, True):
        with pytest.raises(ResourceConflict) as error:
            VolumeConverger(engine, False).converge(request(state="absent", force=force))
        assert str(error.value) == ("Volume data on %s is in use by container db-1 (running or stopped); remove it "
                                    "first: a volume in use is never removed, even with force" % ENGINE)
    assert_no_writes(api)


def test_absent_refuses_a_volume_holding_data_unless_forced(tmp_path):
    (tmp_path / "sentinel").write_text("keep-me")
    engine, api = make_engine(volume(tmp_path))
    with pytest.raises(FleetError) as error:
        VolumeConverger(engine, False).converge(request(state="absent"))
    assert str(error.value) == ("Volume data on %s holds data (%s is not empty); set force: true to remove it and "
                                "the data in it" % (ENGINE, tmp_path))
    assert_no_writes(api)
    assert VolumeConverger(engine, False).converge(request(state="absent", force=True))["action"] == "removed"
    api.remove_volume.assert_called_once_with("data")


def test_absent_removes_an_empty_volume(tmp_path):
    engine, api = make_engine(volume(tmp_path))
    result = VolumeConverger(engine, False).converge(request(state="absent"))
    assert result["diff"] == {"before": {"driver": "local", "driver_options": {}, "labels": {}, "state": "present"},
                              "after": {"state": "absent"}}
    api.remove_volume.assert_called_once_with("data")


@pytest.mark.parametrize("existing, base_url, reason", [
    (volume(), None, "its mount point /nonexistent/flotilla/_data cannot be read here (No such file or directory)"),
    (volume(Driver="rexray"), None, "the rexray driver keeps the data where this module cannot look"),
    (volume(), "tcp://192.0.2.1:2376", "the engine at tcp://192.0.2.1:2376 is remote, so its mount point cannot be "
                                       "read"),
])
def test_absent_when_the_module_cannot_tell_counts_as_holding_data(existing, base_url, reason):
    engine, api = make_engine(existing, base_url=base_url)
    with pytest.raises(FleetError) as error:
        VolumeConverger(engine, False).converge(request(state="absent"))
    assert str(error.value) == ("Volume data on %s may hold data: %s; set force: true to remove it and the data in "
                                "it" % (engine.name, reason))
    assert_no_writes(api)


def test_device_backed_local_volume_is_removed_without_force():
    engine, api = make_engine(volume(Options={"type": "nfs", "o": "addr=192.0.2.1", "device": ":/export"}))
    assert VolumeConverger(engine, False).converge(request(state="absent"))["action"] == "removed"


@pytest.mark.parametrize("given, message", [
    ({"name": "x"}, "name: 'x' is not a valid volume name (two or more letters, digits, '_', '.', '-'; starting "
                    "with a letter or digit)"),
    ({"driver_options": {"foo": "bar"}}, "driver_options.foo: the local driver takes only type, o, device, size"),
    ({"driver_options": {"type": "nfs"}},
     "driver_options: type and device go together (such as type: nfs with device: :/export)"),
    ({"driver_options": {"type": "nfs", "device": ":/x", "o": "rw"}},
     "driver_options.o: an nfs volume needs the server as addr=HOST in o (such as addr=192.0.2.10,rw)"),
    ({"labels": {"": "x"}}, "labels: a label needs a non-empty key"),
    ({"driver": " "}, "driver: must not be empty (the engine's own driver is local)"),
    ({"force": True}, "force: applies to state absent only; to allow a recreate, set recreate"),
])
def test_bad_requests(given, message):
    with pytest.raises(FleetError) as error:
        request(**given)
    assert str(error.value) == message


def test_other_drivers_take_any_options():
    assert request(driver="rexray", driver_options={"size": "10", "anything": "x"}).desired["driver"] == "rexray"
