"""The converger with a Mock engine API: plans, check mode, in-place vs recreate, recovery."""

import copy
from unittest.mock import Mock

import pytest
from docker.errors import APIError, NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError, resolve_connection
from ansible_collections.flotilla.fleet.plugins.module_utils._container import (
    ContainerConverger, ContainerRequest, ImageCache, container_argument_spec)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import SPEC_HASH_LABEL
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import REVISION_LABEL

IMAGE_ID = "sha256:" + "a" * 64
IMAGE = {"Id": IMAGE_ID, "Config": {"Cmd": ["sleep", "infinity"], "Env": ["PATH=/bin"], "Labels": None}}
WRITES = ("create_container", "start", "stop", "remove_container", "rename", "connect_container_to_network",
          "disconnect_container_from_network", "_post_json", "pull", "unpause", "remove_volume")
NETWORKS = {name: {"Name": name, "IPAM": {"Config": [{"Subnet": subnet}]}}
            for name, subnet in (("frontend", "10.251.1.0/24"), ("backend", "10.251.2.0/24"))}


def params(**overrides):
    result = {name: spec.get("default") for name, spec in container_argument_spec().items()}
    result.update(name="web", image="base:latest", stop_timeout=1)
    result.update(overrides)
    return result


class FakeEngineApi(Mock):
    """A Mock APIClient that keeps containers in a dict, so create -> inspect round-trips."""

    def __init__(self, containers=None, images=None, networks=None):
        super().__init__()
        self.store = {} if containers is None else containers
        self.volumes = set()
        images = {"base:latest": IMAGE, IMAGE_ID: IMAGE} if images is None else images
        self.images = images
        self.inspect_image.side_effect = lambda ref: _found(images, ref)
        self.inspect_network.side_effect = lambda ref: _found(NETWORKS if networks is None else networks, ref)
        self.inspect_container.side_effect = self._inspect_container
        self.info.return_value = {"LoggingDriver": "json-file"}
        self.create_host_config.side_effect = lambda **kwargs: dict(kwargs)
        self.create_endpoint_config.side_effect = lambda **kwargs: dict(kwargs)
        self.create_networking_config.side_effect = lambda endpoints: {"EndpointsConfig": endpoints}
        self.create_container.side_effect = self._create
        self.start.side_effect = lambda cid: self.store[cid]["State"].update(Status="running")
        self.stop.side_effect = lambda cid, timeout: self.store[cid]["State"].update(Status="exited")
        self.unpause.side_effect = lambda cid: self.store[cid]["State"].update(Status="running")
        self.rename.side_effect = self._rename
        self.remove_container.side_effect = self._remove
        self.remove_volume.side_effect = self._remove_volume
        self._url.side_effect = lambda path, *args: path.format(*args)
        self.created = 0

    def _get_child_mock(self, **kwargs):
        return Mock(**kwargs)  # the API's methods are plain mocks, not fake engines

    def _inspect_container(self, ref):
        for cid, container in self.store.items():
            if ref in (cid, container["Name"].lstrip("/")):
                return copy.deepcopy(container)
        raise NotFound("No such container: %s" % ref)

    def _create(self, image, name, host_config, networking_config, **config):
        if any(c["Name"] == "/" + name for c in self.store.values()):
            raise APIError("409", explanation="Conflict. The container name \"/%s\" is already in use" % name)
        self.created += 1
        cid = "%064d" % self.created
        network = host_config.get("network_mode", "bridge")
        self.store[cid] = created = container(cid, name, config, host_config, {network: {"Aliases": None}},
                                              status="created")
        # The engine's volumes: a mount without a source, and each VOLUME of the image, get a new anonymous one.
        mounts = [dict(mount) for mount in host_config.get("mounts") or []]
        targets = {mount["Target"] for mount in mounts}
        volumes = (self.images.get(image) or IMAGE)["Config"].get("Volumes") or {}
        mounts += [{"Type": "volume", "Source": None, "Target": target} for target in volumes if target not in targets]
        for mount in mounts:
            if mount["Type"] == "volume":
                anonymous = not mount.get("Source")
                volume = ("%x" % (0xA000 + len(self.volumes))).rjust(64, "e") if anonymous else mount["Source"]
                self.volumes.add(volume)
                created["Mounts"].append({"Type": "volume", "Name": volume, "Destination": mount["Target"],
                                          "Anonymous": anonymous})
        return {"Id": cid}

    def _rename(self, cid, name):
        if cid not in self.store:
            raise NotFound("No such container: %s" % cid)
        if self.store[cid]["Name"] == "/" + name:
            raise APIError("400", explanation="Renaming a container with the same name as its current name")
        if any(c["Name"] == "/" + name for c in self.store.values()):
            raise APIError("409", explanation="Conflict. The container name \"/%s\" is already in use" % name)
        self.store[cid]["Name"] = "/" + name

    def _in_use(self, volume):
        return any(m["Name"] == volume for c in self.store.values() for m in c["Mounts"])

    def _remove(self, cid, force, v):
        removed = self.store.pop(cid)
        for mount in removed["Mounts"]:
            # v=True: the engine removes the volumes it created for this container, unless another uses them.
            if v and mount["Anonymous"] and not self._in_use(mount["Name"]):
                self.volumes.discard(mount["Name"])

    def _remove_volume(self, name):
        if self._in_use(name):
            raise APIError("409", explanation="remove %s: volume is in use" % name)
        self.volumes.remove(name)


def _found(items, ref):
    if ref not in items:
        raise NotFound("No such image: %s" % ref)
    return copy.deepcopy(items[ref])


def container(cid, name, config=None, host=None, networks=None, status="running"):
    """What the engine would report for a container created with these SDK keyword arguments."""
    config, host = config or {}, host or {}
    restart = host.get("restart_policy") or {}
    return {
        "Id": cid, "Name": "/" + name, "Image": IMAGE_ID,
        "State": {"Status": status, "Health": None},
        "Config": {"Image": "base:latest", "Cmd": config.get("command") or ["sleep", "infinity"],
                   "Entrypoint": config.get("entrypoint"),
                   "Env": ["%s=%s" % item for item in (config.get("environment") or {}).items()] + ["PATH=/bin"],
                   "Labels": config.get("labels") or {}, "StopTimeout": config.get("stop_timeout"),
                   "Hostname": cid[:12]},
        "Mounts": [],
        "HostConfig": {"Memory": host.get("mem_limit", 0), "NanoCpus": host.get("nano_cpus", 0),
                       "Mounts": host.get("mounts"), "PortBindings": {
                           key: [{"HostIp": ip, "HostPort": str(port or "")} for ip, port in bindings]
                           for key, bindings in (host.get("port_bindings") or {}).items()},
                       "RestartPolicy": {"Name": restart.get("Name", ""),
                                         "MaximumRetryCount": restart.get("MaximumRetryCount", 0)},
                       "LogConfig": {"Type": "json-file", "Config": {}}},
        "NetworkSettings": {"Networks": networks or {"bridge": {"Aliases": None}}},
    }


def converge(api, check_mode=False, parked=None, **overrides):
    engine = Engine(resolve_connection({}, environ={}), api=api)
    converger = ContainerConverger(engine, ImageCache(engine), check_mode)
    return converger.converge(ContainerRequest(params(**overrides)), parked=parked)


def assert_no_writes(api):
    for name in WRITES:
        getattr(api, name).assert_not_called()


def existing(api, **overrides):
    """A container created by the converger itself (so it carries the spec-hash label)."""
    result = converge(api, **overrides)
    api.reset_mock()
    return result


def test_check_mode_plans_a_create_without_writing():
    api = FakeEngineApi()
    result = converge(api, check_mode=True, memory="64m")
    assert result["action"] == "created" and result["changed"]
    assert result["diff"] == {"before": {"state": "absent"},
                              "after": {"image": "base:latest", "memory": "64m", "stop_timeout": 1,
                                        "state": "started"}}
    assert_no_writes(api)


def test_create_starts_and_labels_with_the_spec_hash():
    api = FakeEngineApi()
    result = converge(api, env={"A": "1"})
    assert result["action"] == "created" and result["state"] == "running"
    labels = api.store[result["id"]]["Config"]["Labels"]
    assert labels == {SPEC_HASH_LABEL: ContainerRequest(params(env={"A": "1"})).spec_hash, REVISION_LABEL: "1"}
    assert converge(api, env={"A": "1"})["action"] == "unchanged"


def test_unchanged_container_costs_no_write():
    api = FakeEngineApi()
    first = existing(api, memory="64m", restart_policy="always")
    result = converge(api, memory="64m", restart_policy="always")
    assert (result["action"], result["changed"], result["id"]) == ("unchanged", False, first["id"])
    assert "diff" not in result
    assert_no_writes(api)


@pytest.mark.parametrize("change, body", [
    ({"memory": "128m"}, {"Memory": 128 * 1024 ** 2, "MemorySwap": 128 * 1024 ** 2}),
    ({"cpus": 1.5}, {"NanoCpus": 1500000000}),
    ({"restart_policy": "on-failure", "restart_retries": 2},
     {"RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 2}}),
])
def test_updatable_changes_are_made_in_place(change, body):
    api = FakeEngineApi()
    first = existing(api, memory="64m", cpus=0.5)
    spec = dict({"memory": "64m", "cpus": 0.5}, **change)
    planned = converge(api, check_mode=True, **spec)
    assert planned["action"] == "updated"
    assert_no_writes(api)
    api._post_json.side_effect = lambda url, data: api.store[first["id"]]["HostConfig"].update(
        {"Memory": data.get("Memory", api.store[first["id"]]["HostConfig"]["Memory"]),
         "NanoCpus": data.get("NanoCpus", api.store[first["id"]]["HostConfig"]["NanoCpus"]),
         "RestartPolicy": data.get("RestartPolicy", api.store[first["id"]]["HostConfig"]["RestartPolicy"])})
    result = converge(api, **spec)
    assert (result["action"], result["id"]) == ("updated", first["id"])
    assert result["diff"] == planned["diff"]
    api._post_json.assert_called_once_with("/containers/{0}/update".format(first["id"]), data=body)
    api.create_container.assert_not_called()
    api.remove_container.assert_not_called()
    # After an in-place update the label still holds the creation spec: the next run must not be fooled.
    api.reset_mock()
    assert converge(api, **spec)["action"] == "unchanged"
    assert converge(api, memory="64m", cpus=0.5)["action"] == "updated"  # going back is a change too


def test_lifting_a_memory_limit_recreates():
    api = FakeEngineApi()
    first = existing(api, memory="64m")
    result = converge(api)
    assert result["action"] == "recreated" and result["id"] != first["id"]
    assert result["diff"] == {"before": {"memory": "64m"}, "after": {"memory": None}}


def test_other_changes_recreate_new_before_old_goes():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    planned = converge(api, check_mode=True, env={"A": "2"})
    assert planned["action"] == "recreated" and planned["id"] == first["id"]
    assert_no_writes(api)
    result = converge(api, env={"A": "2"})
    assert result["action"] == "recreated" and result["id"] != first["id"] and result["state"] == "running"
    assert result["diff"] == {"before": {"env": {"A": "1"}}, "after": {"env": {"A": "2"}}}
    calls = [call[0] for call in api.mock_calls if call[0] in WRITES]
    # stop-first: the old one is parked and stopped, the new one started, and only then the old one removed.
    assert calls == ["rename", "create_container", "stop", "start", "remove_container"]
    api.rename.assert_called_once_with(first["id"], "web_flotilla_old")
    # v=True removes only the anonymous volumes the engine made for it (and none in use): named ones stay.
    api.remove_container.assert_called_once_with(first["id"], force=True, v=True)
    assert list(api.store) == [result["id"]]


def test_recreate_restores_the_old_container_when_create_fails():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    api.create_container.side_effect = APIError("500", explanation="no space left on device")
    with pytest.raises(FleetError) as error:
        converge(api, env={"A": "2"})
    assert str(error.value) == ("Failed to create container web on unix:///var/run/docker.sock: no space left on "
                                "device; rolled back: web is the old container %s again (running)" % first["id"][:12])
    assert api.rename.call_args_list[-1][0] == (first["id"], "web")
    api.stop.assert_not_called()
    api.remove_container.assert_not_called()
    assert api.store[first["id"]]["Name"] == "/web" and api.store[first["id"]]["State"]["Status"] == "running"


def test_a_create_that_cannot_connect_every_network_leaves_nothing_behind():
    api = FakeEngineApi()
    api.connect_container_to_network.side_effect = NotFound("network backend not found")
    with pytest.raises(FleetError, match="^Failed to connect to network backend container web on "):
        converge(api, networks=[{"name": "frontend"}, {"name": "backend"}])
    assert api.store == {}


def test_network_changes_connect_and_disconnect_in_place():
    api = FakeEngineApi()
    first = existing(api)
    result = converge(api, check_mode=True, networks=[{"name": "backend", "aliases": ["db"]}])
    assert result["action"] == "updated"
    assert result["diff"] == {"before": {"networks": [{"name": "bridge", "aliases": [], "ipv4_address": None}]},
                              "after": {"networks": [{"name": "backend", "aliases": ["db"], "ipv4_address": None}]}}
    assert_no_writes(api)
    converge(api, networks=[{"name": "backend", "aliases": ["db"]}])
    api.disconnect_container_from_network.assert_called_once_with(first["id"], "bridge")
    api.connect_container_to_network.assert_called_once_with(first["id"], "backend", aliases=["db"], ipv4_address=None)
    api.create_container.assert_not_called()


def test_switching_to_the_host_network_recreates():
    api = FakeEngineApi()
    existing(api)
    assert converge(api, check_mode=True, networks=[{"name": "host"}])["action"] == "recreated"


def test_force_recreate_and_image_change():
    api = FakeEngineApi(images={"base:latest": IMAGE, "base:2": dict(IMAGE, Id="sha256:" + "b" * 64)})
    first = existing(api)
    forced = converge(api, check_mode=True, recreate=True)
    assert forced["action"] == "recreated"
    assert forced["diff"] == {"before": {"id": first["id"]}, "after": {"id": "(new: recreate requested)"}}
    changed_image = converge(api, check_mode=True, image="base:2")
    assert changed_image["action"] == "recreated"
    assert changed_image["diff"]["after"]["image"] == "base:2 (sha256:%s)" % ("b" * 64)


def test_states_without_config_changes():
    api = FakeEngineApi()
    first = existing(api)
    assert converge(api, check_mode=True, state="stopped")["action"] == "stopped"
    assert_no_writes(api)
    stopped = converge(api, state="stopped")
    assert (stopped["action"], stopped["state"], stopped["diff"]) == (
        "stopped", "exited", {"before": {"state": "running"}, "after": {"state": "exited"}})
    api.stop.assert_called_once_with(first["id"], timeout=1)
    assert converge(api, state="present")["action"] == "unchanged"
    assert converge(api, state="started")["action"] == "started"
    api.reset_mock()
    assert converge(api, check_mode=True, state="absent")["action"] == "removed"
    assert_no_writes(api)
    assert converge(api, state="absent")["action"] == "removed"
    assert converge(api, state="absent")["action"] == "unchanged"


def test_present_creates_without_starting():
    api = FakeEngineApi()
    result = converge(api, state="present")
    assert (result["action"], result["state"]) == ("created", "created")
    api.start.assert_not_called()


def test_missing_image():
    api = FakeEngineApi(images={})
    with pytest.raises(FleetError) as error:
        converge(api, pull="never")
    assert str(error.value) == ("Image base:latest is not present on unix:///var/run/docker.sock (pull is never); "
                                "load it with flotilla.fleet.image")
    assert converge(api, check_mode=True)["action"] == "created"  # pull=missing: it would be pulled
    assert_no_writes(api)
    api.pull.return_value = iter([{"status": "Pulling from library/base"}])  # ends without the image
    with pytest.raises(FleetError, match=r"\(pulling it did not bring it\)"):
        converge(api)
    api.pull.assert_called_once_with("base:latest", auth_config=None, stream=True, decode=True)
    api.pull.reset_mock()
    with pytest.raises(FleetError, match=r"\(an image ID cannot be pulled\)"):
        converge(api, image="sha256:" + "c" * 64)
    api.pull.assert_not_called()


def test_state_healthy_without_any_healthcheck_fails_before_creating():
    api = FakeEngineApi()
    with pytest.raises(FleetError) as error:
        converge(api, state="healthy")
    assert str(error.value) == ("healthcheck: state healthy needs a healthcheck; set healthcheck or use an image "
                                "that defines one (container web)")
    assert_no_writes(api)


def test_healthy_wait_times_out_with_the_last_check(monkeypatch):
    api = FakeEngineApi()
    first = existing(api, healthcheck={"test": "false", "interval": "1s"})
    api.store[first["id"]]["Config"]["Healthcheck"] = {"Test": ["CMD-SHELL", "false"], "Interval": 10 ** 9}
    api.store[first["id"]]["State"]["Health"] = {"Status": "unhealthy",
                                                 "Log": [{"ExitCode": 1, "Output": "db not ready\n"}]}
    monkeypatch.setattr("time.sleep", lambda seconds: None)
    with pytest.raises(FleetError) as error:
        converge(api, state="healthy", wait_timeout=0, healthcheck={"test": "false", "interval": "1s"})
    assert str(error.value) == ("Container web on unix:///var/run/docker.sock is not healthy after 0 s "
                                "(health: unhealthy; last check: exit 1: db not ready)")


@pytest.mark.parametrize("overrides, message", [
    ({"name": "-web"}, "name: '-web' is not a valid container name (letters, digits, '_', '.', '-'; "
                       "starting with a letter or digit)"),
    ({"image": None}, "image: required when state is started"),
    ({"wait_timeout": -1}, "wait_timeout: must not be negative, got -1"),
    ({"restart_retries": 2}, "restart_retries: needs restart_policy on-failure"),
    ({"networks": [{"name": "host", "aliases": ["x"]}]},
     "networks[0].aliases: the host network does not support aliases; use a user-defined network"),
    ({"networks": [{"name": "host"}], "hostname": "web"}, "hostname: cannot be combined with network host"),
    ({"networks": [{"name": "none"}], "ports": ["80"]}, "ports: cannot be combined with network none"),
    ({"memory": "64m", "memory_reservation": "128m"},
     "memory_reservation: must not exceed memory (134217728 > 67108864 bytes)"),
])
def test_request_validation(overrides, message):
    with pytest.raises(FleetError) as error:
        ContainerRequest(params(**overrides))
    assert str(error.value) == message


def test_labels_given_by_the_user_are_not_mutated_by_create():
    api = FakeEngineApi()
    request = ContainerRequest(params(labels={"tier": "web"}))
    engine = Engine(resolve_connection({}, environ={}), api=api)
    result = ContainerConverger(engine, ImageCache(engine), False).converge(request)
    assert request.desired["labels"] == {"tier": "web"}
    assert result["diff"]["after"]["labels"] == {"tier": "web"}


def test_engine_info_is_asked_only_when_an_omitted_log_driver_must_be_compared():
    # GET /info makes a 20.10 engine exec runc and docker-init: not for a create, nor for a hash match.
    api = FakeEngineApi()
    existing(api, memory="64m")
    api.info.assert_not_called()
    assert converge(api, memory="64m")["action"] == "unchanged"
    api.info.assert_not_called()
    assert converge(api, memory="64m", compare="full")["action"] == "unchanged"
    api.info.assert_called_once_with()
