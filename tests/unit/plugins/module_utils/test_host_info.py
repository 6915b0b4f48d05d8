"""flotilla.fleet.host_info: the exact shape the scheduler reads, and how few API calls it costs."""

from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from docker.errors import NotFound

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError, InvalidInput
from ansible_collections.flotilla.fleet.plugins.module_utils._host_info import HostInfoReader, check_options

INFO = {"ServerVersion": "20.10.24", "OSType": "linux", "Architecture": "x86_64", "NCPU": 4,
        "MemTotal": 8589934592, "Labels": ["zone=a", "ssd"],
        "Swarm": {"LocalNodeState": "active", "NodeID": "n1", "ControlAvailable": True}}
VERSION = {"Version": "20.10.24", "ApiVersion": "1.41", "Os": "linux", "Arch": "amd64"}
OURS = {"flotilla.spec-hash": "h"}
CONTAINERS = [
    {"Id": "c-web1", "Names": ["/web-1"], "State": "running", "Status": "Up 2 minutes (healthy)",
     "Labels": dict(OURS, **{"flotilla.service": "web", "flotilla.replica": "1", "flotilla.project": "shop"}),
     "Ports": [{"PrivatePort": 8000, "PublicPort": 8080, "Type": "tcp", "IP": "0.0.0.0"},
               {"PrivatePort": 8000, "PublicPort": 8080, "Type": "tcp", "IP": "::"},
               {"PrivatePort": 9000, "Type": "tcp"}], "Mounts": []},
    {"Id": "c-db1", "Names": ["/db-1"], "State": "exited", "Status": "Exited (0) 1 minute ago",
     "Labels": dict(OURS, **{"flotilla.service": "db", "flotilla.replica": "x"}), "Ports": [],
     "Mounts": [{"Type": "volume", "Name": "db-data"}, {"Type": "bind", "Source": "/srv"}]},
    {"Id": "c-other", "Names": ["/someone-else"], "State": "running", "Status": "Up 1 hour", "Labels": {},
     "Ports": [{"PrivatePort": 80, "PublicPort": 80}], "Mounts": [{"Type": "volume", "Name": "db-data"}]},
]
VOLUMES = {"Volumes": [{"Name": "db-data", "Driver": "local"}, {"Name": "a" * 64, "Driver": "local"},
                       {"Name": "spare", "Driver": "nfs"},
                       {"Name": "anon", "Driver": "local", "Labels": {"com.docker.volume.anonymous": ""}}]}
HOST_CONFIGS = {"c-web1": {"NanoCpus": 500000000, "Memory": 268435456},
                "c-db1": {"CpuQuota": 150000, "CpuPeriod": 100000, "Memory": 0, "MemoryReservation": 1048576}}


NETWORKS = [{"Name": "shop_front", "Driver": "overlay", "Scope": "swarm"},
            {"Name": "bridge", "Driver": "bridge", "Scope": "local"}]


def engine_with(info=None):
    api = MagicMock()
    api.info.return_value = info or INFO
    api.version.return_value = VERSION
    api.containers.return_value = CONTAINERS
    api.volumes.return_value = VOLUMES
    api.networks.return_value = NETWORKS
    api.inspect_node.return_value = {"Spec": {"Availability": "active", "Labels": {"rack": "r1"}}}

    def inspect(container_id):
        if container_id not in HOST_CONFIGS:
            raise NotFound("gone")
        return {"HostConfig": HOST_CONFIGS[container_id]}

    api.inspect_container.side_effect = inspect
    return Engine(SimpleNamespace(base_url="unix:///fake.sock"), api=api), api


def test_the_exact_shape_the_scheduler_reads():
    engine, api = engine_with()
    assert HostInfoReader(engine).read() == {
        "engine": {"version": "20.10.24", "api_version": "1.41", "os": "linux", "arch": "amd64", "cpus": 4,
                   "memory": 8589934592, "labels": {"zone": "a", "ssd": ""}},
        "swarm": {"state": "active", "role": "manager", "node_id": "n1", "node_availability": "active",
                  "node_labels": {"rack": "r1"}},
        "containers": [
            {"name": "db-1", "service": "db", "replica": None, "stack": None, "project": None, "state": "exited",
             "health": None, "cpus": 1.5, "memory": 1048576, "published": [], "ports": []},
            {"name": "web-1", "service": "web", "replica": 1, "stack": "shop", "project": "shop", "state": "running",
             "health": "healthy", "cpus": 0.5, "memory": 268435456,
             "published": [{"container_port": 8000, "protocol": "tcp", "host_ip": "0.0.0.0", "host_port": 8080},
                           {"container_port": 8000, "protocol": "tcp", "host_ip": "::", "host_port": 8080}],
             "ports": [8080]},
        ],
        "volumes": [
            {"name": "db-data", "driver": "local", "services": ["db"], "containers": ["db-1", "someone-else"]},
            {"name": "spare", "driver": "nfs", "services": [], "containers": []},
        ],
        "networks": [{"name": "bridge", "driver": "bridge", "scope": "local"},
                     {"name": "shop_front", "driver": "overlay", "scope": "swarm"}],
    }
    # One list of each kind; inspects of our containers only, and of this node (a manager).
    assert (api.info.call_count, api.version.call_count, api.containers.call_count, api.volumes.call_count,
            api.networks.call_count) == (1, 1, 1, 1, 1)
    api.containers.assert_called_once_with(all=True)
    assert sorted(call.args[0] for call in api.inspect_container.call_args_list) == ["c-db1", "c-web1"]
    api.inspect_node.assert_called_once_with("n1")


def test_without_reservations_no_container_is_inspected():
    engine, api = engine_with()
    containers = HostInfoReader(engine, reservations=False).read()["containers"]
    assert [(item["cpus"], item["memory"]) for item in containers] == [(None, None), (None, None)]
    api.inspect_container.assert_not_called()


def test_a_worker_does_not_know_its_node_labels_and_an_inactive_engine_has_none():
    engine, api = engine_with(dict(INFO, Swarm={"LocalNodeState": "active", "NodeID": "n2",
                                                "ControlAvailable": False}))
    swarm = HostInfoReader(engine).read()["swarm"]
    assert swarm == {"state": "active", "role": "worker", "node_id": "n2", "node_availability": None,
                     "node_labels": None}
    api.inspect_node.assert_not_called()
    engine, api = engine_with(dict(INFO, Swarm={"LocalNodeState": "inactive", "NodeID": ""}))
    assert HostInfoReader(engine).read()["swarm"] == {"state": "inactive", "role": None, "node_id": None,
                                                      "node_availability": None, "node_labels": {}}


def test_a_container_removed_between_list_and_inspect_has_no_reservations():
    engine, api = engine_with()
    api.inspect_container.side_effect = NotFound("gone")
    containers = HostInfoReader(engine, parallelism=1).read()["containers"]
    assert [(item["name"], item["cpus"], item["memory"]) for item in containers] == [("db-1", None, None),
                                                                                     ("web-1", None, None)]


@pytest.mark.parametrize("status, health", [("Up 3 seconds (health: starting)", "starting"),
                                            ("Up 1 minute (unhealthy)", "unhealthy"), ("Created", None)])
def test_health_from_the_list_status(status, health):
    engine, api = engine_with()
    api.containers.return_value = [dict(CONTAINERS[0], Status=status)]
    assert HostInfoReader(engine, reservations=False).read()["containers"][0]["health"] == health


@pytest.mark.parametrize("value", [0, 11, -1])
def test_parallelism_bounds(value):
    with pytest.raises(FleetError) as caught:
        check_options({"parallelism": value})
    assert str(caught.value) == "parallelism: must be between 1 and 10, got %d" % value


def test_the_stack_label_wins_over_the_legacy_project_label_and_both_names_report_it():
    engine, api = engine_with()
    labels = dict(OURS, **{"flotilla.stack": "shop-v2", "flotilla.project": "shop"})
    api.containers.return_value = [dict(CONTAINERS[0], Labels=labels)]
    entry = HostInfoReader(engine, reservations=False).read()["containers"][0]
    assert (entry["stack"], entry["project"]) == ("shop-v2", "shop-v2")


def test_every_published_address_and_protocol_is_reported_and_placement_gets_the_host_ports():
    engine, api = engine_with()
    ports = [{"PrivatePort": 53, "PublicPort": 1053, "Type": "udp", "IP": "127.0.0.1"},
             {"PrivatePort": 53, "PublicPort": 1053, "Type": "tcp", "IP": "127.0.0.1"},
             {"PrivatePort": 80, "PublicPort": 18080, "Type": "tcp", "IP": "127.0.0.2"},
             {"PrivatePort": 81, "Type": "tcp"}]
    api.containers.return_value = [dict(CONTAINERS[0], Ports=ports)]
    entry = HostInfoReader(engine, reservations=False).read()["containers"][0]
    assert entry["published"] == [
        {"container_port": 53, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 1053},
        {"container_port": 53, "protocol": "udp", "host_ip": "127.0.0.1", "host_port": 1053},
        {"container_port": 80, "protocol": "tcp", "host_ip": "127.0.0.2", "host_port": 18080}]
    assert entry["ports"] == [1053, 18080]


def test_bad_parallelism_is_invalid_input():
    with pytest.raises(InvalidInput):
        check_options({"parallelism": 0})
