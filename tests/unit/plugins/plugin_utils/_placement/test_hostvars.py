"""Host data from flotilla_host_info facts, with inventory variables as the fallback."""

from __future__ import annotations

import pytest
from helpers import GIB

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._hostvars import host_from_vars

FACTS = {
    "engine": {"cpus": 4, "memory": 8 * GIB, "labels": {"disk": "ssd", "zone": "engine-zone"}},
    "swarm": {"node_availability": "active", "node_labels": {"rack": "r1"}},
    "containers": [{"name": "shop-web-1", "service": "web", "replica": 1, "project": "shop", "state": "running",
                    "cpus": 0.5, "memory": 256 * 1024**2, "ports": [8080]}],
    "volumes": [{"name": "db-data", "driver": "local", "services": ["db"]}, {"name": "nfs", "driver": "nfs"}],
}


def test_facts_give_capacity_containers_and_volumes():
    host = host_from_vars("n1", 0, {"flotilla_host_info": FACTS, "flotilla_cpus": 64}, True)
    assert host.capacity == {"cpus": 4000, "memory": 8 * GIB}
    assert [(c.service, c.project, c.replica, c.ports) for c in host.containers] == [("web", "shop", 1, ("8080/tcp",))]
    assert host.volumes == ("db-data",)


def test_inventory_variables_are_the_fallback():
    hostvars = {"flotilla_cpus": 2, "flotilla_memory": "4g", "flotilla_resources": {"gpu": 1},
                "flotilla_current": [{"name": "web-2", "service": "web"}], "flotilla_volumes": ["data"]}
    host = host_from_vars("n1", 3, hostvars, True)
    assert host.order == 3
    assert host.capacity == {"cpus": 2000, "memory": 4 * GIB, "gpu": 1}
    assert [(c.service, c.replica) for c in host.containers] == [("web", 2)]  # index read from the name
    assert host.volumes == ("data",)


def test_labels_merge_with_inventory_last_and_zone_shorthand():
    hostvars = {"flotilla_host_info": FACTS, "flotilla_labels": {"disk": "nvme", "ssd": True}, "flotilla_zone": "eu-1"}
    host = host_from_vars("n1", 0, hostvars, True)
    assert host.labels == {"disk": "nvme", "zone": "eu-1", "rack": "r1", "ssd": "true", "hostname": "n1"}


@pytest.mark.parametrize("swarm, inventory, expected", [
    ("active", None, "active"), ("drain", None, "drain"), ("active", "pause", "pause"),
    ("drain", "active", "drain"), ("pause", "drain", "drain"), (None, "pause", "pause"),
])
def test_the_stricter_availability_wins(swarm, inventory, expected):
    facts = {**FACTS, "swarm": {"node_availability": swarm}}
    hostvars = {"flotilla_host_info": facts}
    if inventory:
        hostvars["flotilla_availability"] = inventory
    assert host_from_vars("n1", 0, hostvars, True).availability == expected


def test_errors_name_the_hostvar():
    with pytest.raises(PlacementError) as error:
        host_from_vars("n1", 0, {"flotilla_cpus": 2, "flotilla_memory": "2 gigs"}, True)
    assert str(error.value).startswith("hostvars[n1].flotilla_memory: cannot parse '2 gigs' as a size")
    with pytest.raises(PlacementError) as error:
        host_from_vars("n1", 0, {"flotilla_host_info": {**FACTS, "engine": {"cpus": "many", "memory": 1}}}, True)
    assert str(error.value).startswith("hostvars[n1].flotilla_host_info.engine.cpus: cannot parse 'many' as cpus")
    with pytest.raises(PlacementError) as error:
        host_from_vars("n1", 0, {"flotilla_host_info": "not gathered"}, True)
    assert str(error.value) == (
        "hostvars[n1].flotilla_host_info: must be the result of flotilla.fleet.host_info (a mapping), got str")
    with pytest.raises(PlacementError) as error:
        host_from_vars("n1", 0, {"flotilla_cpus": 1, "flotilla_memory": 1, "flotilla_availability": "gone"}, True)
    assert str(error.value) == "hostvars[n1].flotilla_availability: must be one of active, drain, pause, got 'gone'"
    with pytest.raises(PlacementError) as error:
        host_from_vars("n1", 0, {}, True)
    assert str(error.value) == ("hostvars[n1]: capacity unknown (cpus and memory): gather flotilla.fleet.host_info "
                                "into flotilla_host_info or set flotilla_cpus and flotilla_memory")


def test_an_unreachable_host_without_data_is_fine():
    host = host_from_vars("n1", 0, {}, False)
    assert host.state == "unreachable" and host.capacity == {}


@pytest.mark.parametrize("info, message", [
    ({"engine": {**FACTS["engine"], "labels": ["zone=a"]}},
     "hostvars[n1].flotilla_host_info.engine.labels: must be a mapping of label names to values, got list"),
    ({"engine": FACTS["engine"], "swarm": {"node_labels": ["zone=a"]}},
     "hostvars[n1].flotilla_host_info.swarm.node_labels: must be a mapping of label names to values, got list"),
    ({"engine": []}, "hostvars[n1].flotilla_host_info.engine: must be a mapping, got list"),
    ({"engine": FACTS["engine"], "swarm": ""}, "hostvars[n1].flotilla_host_info.swarm: must be a mapping, got str"),
])
def test_malformed_facts_name_the_field(info, message):
    """Issue 9 defect 8: lists raised a bare ValueError and `engine: []` was silently ignored."""
    with pytest.raises(PlacementError) as error:
        host_from_vars("n1", 0, {"flotilla_host_info": info, "flotilla_cpus": 1, "flotilla_memory": 1}, True)
    assert str(error.value) == message
