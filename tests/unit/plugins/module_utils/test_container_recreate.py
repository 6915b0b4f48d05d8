"""The safe recreate, failed starts, pauses, interrupted and concurrent recreates, bookkeeping labels."""

import copy
import json

import pytest
from docker.errors import APIError

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container import ContainerRequest
from ansible_collections.flotilla.fleet.plugins.module_utils._container_recreate import (
    PREVIOUS_SPEC_INLINE_BYTES, decode_spec, encode_spec, previous_spec, restore_params)
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import published_of
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import PREVIOUS_SPEC_LABEL, REVISION_LABEL

from test_container import IMAGE, IMAGE_ID, WRITES, FakeEngineApi, assert_no_writes, converge, existing, params

ENGINE = "unix:///var/run/docker.sock"


@pytest.fixture(autouse=True)
def clock(monkeypatch):
    """A monotonic clock that moves only when the code sleeps."""
    now = {"t": 1000.0, "slept": 0.0, "meanwhile": lambda: None}

    def sleep(seconds):
        now["t"] += seconds
        now["slept"] += seconds
        now["meanwhile"]()
    monkeypatch.setattr("time.sleep", sleep)
    monkeypatch.setattr("time.monotonic", lambda: now["t"])
    return now


def writes(api):
    return [call[0] for call in api.mock_calls if call[0] in WRITES]


def failing_start_of_new(api, first_id, explanation):
    start = api.start.side_effect

    def start_or_fail(cid):
        if cid != first_id:
            raise APIError("500", explanation=explanation)
        start(cid)
    api.start.side_effect = start_or_fail


def test_recreate_labels_count_revisions_and_keep_the_previous_spec():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"}, memory="64m")
    second = converge(api, env={"A": "2"}, memory="64m")
    labels = api.store[second["id"]]["Config"]["Labels"]
    assert labels[REVISION_LABEL] == "2"
    previous = decode_spec(labels[PREVIOUS_SPEC_LABEL])
    assert previous["env"] == {"A": "1", "PATH": "/bin"} and previous["memory"] == 64 * 1024 ** 2
    assert (previous["image"], previous["image_id"]) == ("base:latest", IMAGE_ID)
    assert "hostname" not in previous  # the engine's default (the short ID) is not part of the spec
    third = converge(api, env={"A": "3"}, memory="64m")
    assert api.store[third["id"]]["Config"]["Labels"][REVISION_LABEL] == "3"
    # Bookkeeping: neither label is compared, so a full compare of the new container finds nothing to do.
    assert converge(api, env={"A": "3"}, memory="64m", compare="full")["action"] == "unchanged"
    assert first["id"] not in api.store


def test_a_large_previous_spec_is_compressed_and_read_back():
    spec = {"env": {"K%d" % index: "v" * 40 for index in range(200)}}
    encoded = encode_spec(spec)
    assert len(json.dumps(spec)) > PREVIOUS_SPEC_INLINE_BYTES and encoded.startswith("zlib+base64:")
    assert len(encoded) < PREVIOUS_SPEC_INLINE_BYTES and decode_spec(encoded) == spec


def test_start_first_keeps_the_old_one_running_until_the_new_one_runs():
    api = FakeEngineApi()
    existing(api, env={"A": "1"})
    planned = converge(api, check_mode=True, env={"A": "2"}, order="start-first")
    assert planned["plan"] == {"action": "recreated", "order": "start-first", "steps": [
        "rename web to web_flotilla_old", "create web", "start web", "stop web_flotilla_old",
        "remove web_flotilla_old"]}
    assert_no_writes(api)
    converge(api, env={"A": "2"}, order="start-first")
    assert writes(api) == ["rename", "create_container", "start", "stop", "remove_container"]


def test_start_first_falls_back_to_stop_first_when_a_host_port_is_published():
    api = FakeEngineApi()
    existing(api, ports=["127.0.0.1:8080:80"])
    planned = converge(api, check_mode=True, ports=["127.0.0.1:8080:80"], env={"A": "2"}, order="start-first")
    assert planned["plan"]["order"] == "stop-first"
    assert planned["plan"]["order_note"] == "start-first falls back to stop-first: host port 8080/tcp is published"
    assert planned["plan"]["steps"][2:4] == ["stop web_flotilla_old", "start web"]


def test_a_new_container_that_fails_to_start_is_rolled_back_to_the_old_one():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    failing_start_of_new(api, first["id"], "exec: \"/no/such/binary\": no such file or directory")
    with pytest.raises(FleetError) as error:
        converge(api, env={"A": "2"}, command="/no/such/binary")
    assert str(error.value) == (
        "Failed to start container web on %s: exec: \"/no/such/binary\": no such file or directory; rolled back: "
        "web is the old container %s again (running), the new one was removed" % (ENGINE, first["id"][:12]))
    assert list(api.store) == [first["id"]]
    assert api.store[first["id"]]["Name"] == "/web" and api.store[first["id"]]["State"]["Status"] == "running"


def test_a_new_container_that_does_not_become_healthy_is_rolled_back():
    api = FakeEngineApi()
    check = {"test": "false", "interval": "1s"}
    first = existing(api, healthcheck=check)
    api.store[first["id"]]["State"]["Health"] = {"Status": "healthy", "Log": []}
    with pytest.raises(FleetError) as error:
        converge(api, healthcheck=check, env={"A": "2"}, state="healthy", wait_timeout=0)
    assert str(error.value) == (
        "Container web on %s is not healthy after 0 s (health: starting; no health check has run yet; the first "
        "one runs 1 s after the start); rolled back: web is the old container %s again (running), the new one was "
        "removed" % (ENGINE, first["id"][:12]))
    assert list(api.store) == [first["id"]]


@pytest.fixture
def with_health(monkeypatch):
    """New fake containers report health starting, as a real engine does before the first probe."""
    original = FakeEngineApi._create

    def create(self, image, name, host_config, networking_config, **config):
        created = original(self, image, name, host_config, networking_config, **config)
        self.store[created["Id"]]["Config"]["Healthcheck"] = config.get("healthcheck")
        if config.get("healthcheck"):
            self.store[created["Id"]]["State"]["Health"] = {"Status": "starting", "Log": []}
        return created
    monkeypatch.setattr(FakeEngineApi, "_create", create)


test_a_new_container_that_does_not_become_healthy_is_rolled_back = pytest.mark.usefixtures("with_health")(
    test_a_new_container_that_does_not_become_healthy_is_rolled_back)


def test_a_created_container_that_fails_to_start_is_removed():
    api = FakeEngineApi()
    failing_start_of_new(api, None, "unable to find user nosuchuser: no matching entries in passwd file")
    with pytest.raises(FleetError) as error:
        converge(api, user="nosuchuser")
    assert str(error.value) == ("Failed to start container web on %s: unable to find user nosuchuser: no matching "
                                "entries in passwd file; the new container was removed" % ENGINE)
    assert api.store == {}


@pytest.mark.parametrize("network, message", [
    ({"name": "missing"}, "networks[0].name: network missing does not exist on %s; create it first "
                          "(flotilla.fleet.network)" % ENGINE),
    ({"name": "backend", "ipv4_address": "10.251.9.5"},
     "networks[0].ipv4_address: 10.251.9.5 is outside the subnet of network backend (10.251.2.0/24)"),
])
@pytest.mark.parametrize("check_mode", [True, False])
def test_networks_are_checked_before_any_change(network, message, check_mode):
    api = FakeEngineApi()
    with pytest.raises(FleetError) as error:
        converge(api, check_mode=check_mode, networks=[network])
    assert str(error.value) == message
    assert_no_writes(api)


def test_a_swarm_worker_leaves_an_unseen_network_to_the_create():
    # A worker sees an attachable overlay network of the swarm only once a container joins it.
    api = FakeEngineApi()
    api.info.return_value = {"LoggingDriver": "json-file",
                             "Swarm": {"LocalNodeState": "active", "ControlAvailable": False}}
    assert converge(api, networks=[{"name": "overlay-of-the-swarm"}])["action"] == "created"
    api.info.return_value["Swarm"]["ControlAvailable"] = True  # a manager knows every swarm network
    with pytest.raises(FleetError, match="network overlay-of-the-swarm does not exist"):
        converge(api, name="web2", networks=[{"name": "overlay-of-the-swarm"}])


def test_network_check_costs_nothing_when_nothing_changes():
    api = FakeEngineApi()
    existing(api, networks=[{"name": "backend", "ipv4_address": "10.251.2.5"}])
    api.store[next(iter(api.store))]["NetworkSettings"]["Networks"] = {
        "backend": {"Aliases": None, "IPAMConfig": {"IPv4Address": "10.251.2.5"}}}
    assert converge(api, networks=[{"name": "backend", "ipv4_address": "10.251.2.5"}])["action"] == "unchanged"
    api.inspect_network.assert_not_called()


@pytest.mark.parametrize("state, action, steps, after", [
    ("stopped", "stopped", ["unpause web", "stop web"], "exited"),
    ("started", "started", ["unpause web"], "running"),
])
def test_paused_containers_are_unpaused_and_check_mode_agrees(state, action, steps, after):
    api = FakeEngineApi()
    first = existing(api)
    api.store[first["id"]]["State"]["Status"] = "paused"
    planned = converge(api, check_mode=True, state=state)
    assert_no_writes(api)
    done = converge(api, state=state)
    for result in (planned, done):
        assert (result["action"], result["plan"]["steps"]) == (action, steps)
        assert result["diff"] == {"before": {"state": "paused"}, "after": {"state": after}}
    assert done["state"] == after
    api.unpause.assert_called_once_with(first["id"])
    assert converge(api, state=state)["action"] == "unchanged"


def park(api, cid):
    api.store[cid]["Name"] = "/web_flotilla_old"


def test_an_interrupted_recreate_before_the_new_container_is_undone():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    park(api, first["id"])  # killed right after the rename
    planned = converge(api, check_mode=True, env={"A": "1"}, wait_timeout=0)
    assert planned["plan"]["steps"] == ["rename web_flotilla_old to web"] and planned["changed"]
    assert_no_writes(api)
    result = converge(api, env={"A": "1"}, wait_timeout=0)
    assert (result["id"], result["action"], result["changed"]) == (first["id"], "unchanged", True)
    assert result["plan"]["recovery"] == ("undid an interrupted recreate: the old container %s is web again"
                                          % first["id"][:12])
    assert api.store[first["id"]]["Name"] == "/web"


def test_an_interrupted_recreate_with_a_running_new_container_is_finished():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"}, mounts=[{"target": "/anon"}])
    park(api, first["id"])
    api.stop(first["id"], timeout=1)
    converge(api, env={"A": "2"}, mounts=[{"target": "/anon"}], parked=False)  # the new one, started
    new_id = next(cid for cid in api.store if cid != first["id"])
    result = converge(api, env={"A": "2"}, mounts=[{"target": "/anon"}], wait_timeout=0)
    assert (result["id"], result["action"]) == (new_id, "unchanged")
    assert result["plan"]["steps"] == ["remove web_flotilla_old (finish the interrupted recreate)"]
    assert list(api.store) == [new_id]


def test_an_interrupted_recreate_with_an_unstarted_new_container_is_undone():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    park(api, first["id"])
    converge(api, env={"A": "2"}, state="present", parked=False)  # killed after the create
    result = converge(api, env={"A": "1"}, wait_timeout=0)
    assert result["plan"]["steps"] == ["remove web (the unproven new container of an interrupted recreate)",
                                       "rename web_flotilla_old to web"]
    assert list(api.store) == [first["id"]] and result["id"] == first["id"]


def test_a_concurrent_recreate_waits_for_the_one_in_flight_and_then_finds_nothing_to_do():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    rename, other = api.rename.side_effect, {}

    def the_other_run_gets_there_first(cid, name):
        if not other:
            other["started"] = True
            other["result"] = converge(api, env={"A": "2"})  # the whole other recreate, between our plan and rename
        return rename(cid, name)
    api.rename.side_effect = the_other_run_gets_there_first
    result = converge(api, env={"A": "2"})
    assert other["result"]["action"] == "recreated"
    assert (result["action"], result["id"]) == ("unchanged", other["result"]["id"])
    assert list(api.store) == [other["result"]["id"]] and first["id"] not in api.store
    assert api.create_container.call_count == 1


def test_a_stale_parked_container_found_at_the_rename_is_cleaned_up_first():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    rename, left = api.rename.side_effect, []

    def left_over_from_an_old_run(cid, name):
        if name == "web_flotilla_old" and not left:
            left.append(True)
            api.store["stale"] = dict(copy.deepcopy(api.store[cid]), Id="stale", Name="/web_flotilla_old",
                                      Mounts=[], State={"Status": "exited"})
        return rename(cid, name)
    api.rename.side_effect = left_over_from_an_old_run
    result = converge(api, env={"A": "2"}, wait_timeout=0)
    assert result["action"] == "recreated" and result["plan"]["steps"][0] == (
        "remove web_flotilla_old (finish the interrupted recreate)")
    assert list(api.store) == [result["id"]] and result["id"] != first["id"]


def test_a_run_that_loses_the_rename_twice_fails_clearly_and_changes_nothing():
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    other = "b" * 64  # another run keeps parking its old container there as soon as it is gone
    api.store[other] = dict(copy.deepcopy(api.store[first["id"]]), Id=other, Name="/web_flotilla_old", Mounts=[])
    api.rename.side_effect = APIError("409", explanation="Conflict. The container name is already in use")
    remove = api.remove_container.side_effect
    api.remove_container.side_effect = lambda cid, force, v: None if cid == other else remove(cid, force, v)
    with pytest.raises(FleetError) as error:
        converge(api, env={"A": "2"}, wait_timeout=0)
    assert str(error.value) == ("Container web on %s: another run is recreating it (the old container is parked as "
                                "web_flotilla_old); this run changed nothing" % ENGINE)
    assert api.store[first["id"]]["Name"] == "/web" and api.store[first["id"]]["State"]["Status"] == "running"
    api.create_container.assert_not_called()


@pytest.mark.parametrize("mounts, image_volumes", [([{"target": "/anon"}], None), (None, {"/anon": {}})])
def test_anonymous_volumes_go_over_to_the_new_container_and_never_leak(mounts, image_volumes):
    image = dict(IMAGE, Config=dict(IMAGE["Config"], Volumes=image_volumes))
    api = FakeEngineApi(images={"base:latest": image, IMAGE_ID: image})
    first = existing(api, mounts=mounts, env={"A": "1"})
    volume = api.store[first["id"]]["Mounts"][0]["Name"]
    planned = converge(api, check_mode=True, mounts=mounts, env={"A": "2"})
    assert planned["plan"]["steps"][1] == "create web (taking over anonymous volume(s) /anon)"
    second = converge(api, mounts=mounts, env={"A": "2"})
    assert [m["Name"] for m in api.store[second["id"]]["Mounts"]] == [volume] and api.volumes == {volume}
    assert converge(api, mounts=mounts, env={"A": "2"}, compare="full")["action"] == "unchanged"
    # A failed recreate leaves the volume with the old container.
    failing_start_of_new(api, second["id"], "port is already allocated")
    with pytest.raises(FleetError, match="rolled back"):
        converge(api, mounts=mounts, env={"A": "3"})
    assert list(api.store) == [second["id"]] and api.volumes == {volume}
    api.start.side_effect = lambda cid: api.store[cid]["State"].update(Status="running")
    third = converge(api, mounts=mounts, env={"A": "3"})
    assert [m["Name"] for m in api.store[third["id"]]["Mounts"]] == [volume]
    converge(api, state="absent")
    assert api.store == {} and api.volumes == set()  # removing the container takes its anonymous volume


def test_results_report_published_ports_from_the_inspect():
    container = {"NetworkSettings": {"Ports": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18481"}],
                                               "8002/tcp": None}},
                 "HostConfig": {"PortBindings": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18481"}]}}}
    # exposed but not published (8002) is not a published port
    assert published_of(container) == [
        {"container_port": 8000, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 18481}]
    stopped = {"NetworkSettings": {"Ports": {}}, "HostConfig": {"PortBindings": {"53/udp": [{"HostPort": ""}]}}}
    assert published_of(stopped) == [{"container_port": 53, "protocol": "udp", "host_ip": "0.0.0.0",
                                      "host_port": None}]


def test_the_previous_spec_spells_back_into_the_options_that_recreate_it():
    ran = {
        "Id": "f" * 64, "Image": IMAGE_ID,
        "Config": {"Image": "base:latest", "Cmd": ["python3", "-m", "http.server"], "Entrypoint": None,
                   "Env": ["A=1", "PATH=/bin"], "Labels": {"tier": "web", REVISION_LABEL: "4",
                                                           PREVIOUS_SPEC_LABEL: "{}", "flotilla.spec-hash": "x"},
                   "Hostname": "f" * 12, "User": "nobody", "WorkingDir": "/srv", "StopSignal": "SIGINT",
                   "StopTimeout": 3,
                   "Healthcheck": {"Test": ["CMD-SHELL", "true"], "Interval": 30 * 10 ** 9, "Retries": 2}},
        "HostConfig": {"Memory": 64 * 1024 ** 2, "NanoCpus": 500000000, "PidsLimit": 64,
                       "RestartPolicy": {"Name": "on-failure", "MaximumRetryCount": 3},
                       "PortBindings": {"8000/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18481"}]},
                       "Mounts": [{"Type": "tmpfs", "Target": "/scratch",
                                   "TmpfsOptions": {"SizeBytes": 16 * 1024 ** 2, "Mode": 0o1770}},
                                  {"Type": "volume", "Source": "data", "Target": "/data"}],
                       "CapDrop": ["MKNOD"], "SecurityOpt": ["no-new-privileges"], "ReadonlyRootfs": True,
                       "LogConfig": {"Type": "json-file", "Config": {"max-size": "5m"}}},
        "NetworkSettings": {"Networks": {"backend": {"Aliases": ["web", "f" * 12],
                                                     "IPAMConfig": {"IPv4Address": "10.251.2.5"}}}},
    }
    spec = decode_spec(encode_spec(previous_spec(ran)))
    assert spec["labels"] == {"tier": "web"} and spec["image_id"] == IMAGE_ID and "hostname" not in spec
    request = ContainerRequest(params(**restore_params(spec)))
    canonical = {name: value for name, value in spec.items() if name not in ("image", "image_id")}
    assert dict(request.desired, image=None) == dict(canonical, image=None)
    assert request.desired["image"] == IMAGE_ID


def test_a_parked_container_without_a_new_one_is_taken_as_interrupted_after_a_short_grace(clock):
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    park(api, first["id"])
    result = converge(api, env={"A": "1"}, wait_timeout=60)
    assert result["id"] == first["id"] and result["plan"]["recovery"].startswith("undid an interrupted recreate")
    assert 5 <= clock["slept"] < 6  # not the whole wait_timeout


def test_a_parked_container_beside_an_old_new_one_is_recovered_at_once(clock):
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    park(api, first["id"])
    new = converge(api, env={"A": "2"}, parked=False)
    api.store[new["id"]]["Created"] = "2020-01-01T00:00:00.123456789Z"
    result = converge(api, env={"A": "2"}, wait_timeout=60)
    assert result["plan"]["steps"] == ["remove web_flotilla_old (finish the interrupted recreate)"]
    assert clock["slept"] == 0 and list(api.store) == [new["id"]]


def test_a_recreate_in_flight_is_waited_for(clock):
    api = FakeEngineApi()
    first = existing(api, env={"A": "1"})
    park(api, first["id"])
    new = converge(api, env={"A": "2"}, parked=False)
    api.store[new["id"]]["Created"] = "2999-01-01T00:00:00Z"  # just created: the other run is still at it

    def other_run_finishes_while_we_wait():
        if clock["slept"] >= 3 and first["id"] in api.store:
            api.store.pop(first["id"])
    clock["meanwhile"] = other_run_finishes_while_we_wait
    result = converge(api, env={"A": "2"}, wait_timeout=60)
    assert (result["action"], result["id"], result["changed"]) == ("unchanged", new["id"], False)
    assert 3 <= clock["slept"] < 4
