"""The readers of engine list entries and inspect results (_inspect.py): both shapes, read alike."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import (
    cpus_of, endpoint_of, has_healthcheck, health_of, labels_from_pairs, memory_of, name_of, node_hostname,
    node_settings, published_of, state_of, swarm_role, swarm_state)

# One container, as GET /containers/json lists it and as GET /containers/{id}/json inspects it.
LISTED = {"Id": "0123456789abcdef", "Names": ["/shop-web-1"], "State": "running",
          "Status": "Up 2 minutes (healthy)",
          "Ports": [{"PrivatePort": 80, "PublicPort": 18080, "Type": "tcp", "IP": "127.0.0.1"},
                    {"PrivatePort": 443, "Type": "tcp"}]}
INSPECTED = {"Id": "0123456789abcdef", "Name": "/shop-web-1",
             "State": {"Status": "running", "Health": {"Status": "healthy"}},
             "Config": {"Healthcheck": {"Test": ["CMD", "true"]}},
             "NetworkSettings": {"Ports": {"80/tcp": [{"HostIp": "127.0.0.1", "HostPort": "18080"}], "443/tcp": None},
                                 "Networks": {"front": {"Aliases": ["web"], "IPAMConfig": None}}}}


def test_a_list_entry_and_an_inspect_result_read_the_same():
    for container in (LISTED, INSPECTED):
        assert (name_of(container), state_of(container), health_of(container)) == ("shop-web-1", "running", "healthy")
        assert published_of(container) == [
            {"container_port": 80, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 18080}]


@pytest.mark.parametrize("status, health", [
    ("Up 3 seconds (health: starting)", "starting"), ("Up 1 minute (unhealthy)", "unhealthy"),
    ("Up 1 minute", None), ("Created", None)])
def test_health_of_a_list_entry_comes_from_its_status(status, health):
    assert health_of(dict(LISTED, Status=status)) == health


def test_health_and_healthcheck_of_an_inspect_result():
    assert health_of({"State": {"Status": "running"}}) is None
    assert has_healthcheck(INSPECTED)
    assert not has_healthcheck({"Config": {"Healthcheck": {"Test": ["NONE"]}}})
    assert not has_healthcheck({"Config": {}})


def test_a_name_from_names_then_name_then_the_short_id():
    assert name_of({"Names": ["/a", "/b/alias"]}) == "a"
    assert name_of({"Name": "/b"}) == "b"
    assert name_of({"Id": "0123456789abcdef"}) == "0123456789ab"


def test_labels_from_engine_pairs():
    assert labels_from_pairs(["zone=a", "ssd", "expr=a=b"]) == {"zone": "a", "ssd": "", "expr": "a=b"}
    assert labels_from_pairs(None) == {}


@pytest.mark.parametrize("host_config, cpus, memory", [
    ({"NanoCpus": 500000000, "Memory": 268435456}, 0.5, 268435456),
    ({"CpuQuota": 150000, "CpuPeriod": 100000, "Memory": 0, "MemoryReservation": 1048576}, 1.5, 1048576),
    ({"NanoCpus": 0, "CpuQuota": -1, "CpuPeriod": 0, "Memory": 0}, None, None),
    (None, None, None),
])
def test_limits_from_the_host_config(host_config, cpus, memory):
    assert (cpus_of(host_config), memory_of(host_config)) == (cpus, memory)


@pytest.mark.parametrize("swarm, state, role", [
    ({"LocalNodeState": "active", "ControlAvailable": True}, "active", "manager"),
    ({"LocalNodeState": "active", "ControlAvailable": False}, "active", "worker"),
    ({"LocalNodeState": "pending"}, "pending", None),
    ({"LocalNodeState": ""}, "inactive", None),
    (None, "inactive", None),
])
def test_swarm_state_and_role(swarm, state, role):
    assert (swarm_state(swarm), swarm_role(swarm)) == (state, role)


def test_published_ports_of_both_families_and_protocols_sorted():
    listed = {"Ports": [{"PrivatePort": 53, "PublicPort": 1053, "Type": "udp", "IP": "::"},
                        {"PrivatePort": 53, "PublicPort": 1053, "Type": "udp", "IP": "0.0.0.0"},
                        {"PrivatePort": 53, "PublicPort": 1053, "Type": "udp", "IP": "0.0.0.0"}]}
    assert published_of(listed) == [
        {"container_port": 53, "protocol": "udp", "host_ip": "0.0.0.0", "host_port": 1053},
        {"container_port": 53, "protocol": "udp", "host_ip": "::", "host_port": 1053}]
    inspected = {"NetworkSettings": {"Ports": {"53/udp": [{"HostIp": "", "HostPort": "1053"}]}}}
    assert published_of(inspected) == [
        {"container_port": 53, "protocol": "udp", "host_ip": "0.0.0.0", "host_port": 1053}]
    assert published_of({"State": "created", "Ports": []}) == published_of({"NetworkSettings": {}}) == []


def test_the_endpoint_on_one_network():
    assert endpoint_of(INSPECTED, "front") == {"Aliases": ["web"], "IPAMConfig": None}
    assert endpoint_of(INSPECTED, "back") == {} == endpoint_of({}, "front")


def test_a_swarm_nodes_hostname_and_settings():
    node = {"ID": "n1", "Description": {"Hostname": "node-1"},
            "Spec": {"Role": "worker", "Availability": "drain", "Labels": {"zone": "a"}}}
    assert node_hostname(node) == "node-1" and node_hostname({"ID": "n2"}) == ""
    assert node_settings(node) == {"role": "worker", "availability": "drain", "labels": {"zone": "a"}}
    assert node_settings({}) == {"role": None, "availability": None, "labels": {}}
