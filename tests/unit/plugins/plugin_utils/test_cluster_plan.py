"""The cluster role's plan: roles, bootstrap manager, labels and availability from inventory variables."""

import pytest

from ansible_collections.flotilla.fleet.plugins.plugin_utils._cluster_plan import ClusterPlanError, cluster_plan

HOSTS = ["n1", "n2", "n3"]


def plan(hostvars=None, hosts=tuple(HOSTS), **kwargs):
    variables = {name: {} for name in hosts}
    for name, extra in (hostvars or {}).items():
        variables[name].update(extra)
    return cluster_plan(variables, hosts, **kwargs)


def swarm(state="active", role="manager", node_id="id1"):
    return {"host_info": {"swarm": {"state": state, "role": role, "node_id": node_id}}}


def test_first_host_manages_when_nobody_is_named():
    result = plan()
    assert result["managers"] == ["n1"] and result["workers"] == ["n2", "n3"]
    assert result["bootstrap"] == "n1" and result["leaving"] == []


def test_groups_then_host_var_decide_roles():
    result = plan({"n3": {"flotilla_cluster_role": "manager"}, "n2": {"flotilla_cluster_role": "worker"}},
                  managers=["n2"], workers=["n1"])
    assert result["managers"] == ["n3"] and result["workers"] == ["n1", "n2"]
    assert result["bootstrap"] == "n3"


def test_bootstrap_is_a_manager_that_already_runs_a_swarm():
    result = plan({"n2": {"st": swarm()}}, managers=["n1", "n2"], state_var="st")
    assert result["bootstrap"] == "n2"
    assert result["nodes"]["n2"]["node_id"] == "id1" and result["nodes"]["n1"]["swarm_state"] == "inactive"


def test_labels_zone_availability_and_advertise_address():
    result = plan({"n1": {"flotilla_labels": {"disk": "ssd", "gen": 3, "zone": "x"}, "flotilla_zone": "a",
                          "flotilla_availability": "drain", "ip": "10.1.0.1"}},
                  advertise_var="ip", default_availability="pause")
    assert result["nodes"]["n1"]["labels"] == {"disk": "ssd", "gen": "3", "zone": "a"}
    assert result["nodes"]["n1"]["availability"] == "drain" and result["nodes"]["n2"]["availability"] == "pause"
    assert result["nodes"]["n1"]["advertise_addr"] == "10.1.0.1" and result["nodes"]["n2"]["advertise_addr"] is None


def test_a_leaving_host_is_not_a_member():
    result = plan({"n3": {"flotilla_cluster_member": False}})
    assert result["members"] == ["n1", "n2"] and result["leaving"] == ["n3"]
    assert result["workers"] == ["n2"]


def test_when_the_first_host_leaves_the_next_manages():
    assert plan({"n1": {"flotilla_cluster_member": False}})["bootstrap"] == "n2"


@pytest.mark.parametrize("hostvars, kwargs, message", [
    ({}, {"hosts": []}, "cluster_group: the inventory group has no hosts"),
    ({"n2": {"flotilla_cluster_role": "boss"}}, {},
     "hostvars[n2].flotilla_cluster_role: must be one of manager, worker, got 'boss'"),
    ({}, {"managers": ["n1"], "workers": ["n1"]},
     "hostvars[n1]: the host is in both the managers and the workers group; set flotilla_cluster_role to choose"),
    ({"n1": {"flotilla_labels": ["a"]}}, {},
     "hostvars[n1].flotilla_labels: must be a mapping of label names to values, got list"),
    ({"n1": {"flotilla_labels": {"ssd": True}}}, {},
     "hostvars[n1].flotilla_labels.ssd: must be a string or a number, got True"),
    ({"n3": {"flotilla_zone": ["a"]}}, {}, "hostvars[n3].flotilla_zone: must be a string, got ['a']"),
    ({"n2": {"flotilla_availability": "off"}}, {},
     "hostvars[n2].flotilla_availability: must be one of active, pause, drain, got 'off'"),
    ({"n2": {"flotilla_cluster_member": "no"}}, {}, "hostvars[n2].flotilla_cluster_member: must be true or false, got 'no'"),
    ({"n1": {"ip": ""}}, {"advertise_var": "ip"},
     "hostvars[n1].ip: must be an address such as 10.0.0.1 or eth0:2377, got ''"),
    ({name: {"flotilla_cluster_member": False} for name in HOSTS}, {},
     "cluster_group: every host has flotilla_cluster_member: false; to dissolve the swarm use cluster_state: absent"),
    ({"n1": {"flotilla_cluster_member": False}}, {"managers": ["n1"]},
     "cluster_group: every manager is leaving (flotilla_cluster_member: false); keep one or make another host a manager"),
    ({"n2": {"st": swarm(role="worker")}, "n3": {"st": swarm(role="worker")}}, {"state_var": "st"},
     "cluster_group: n2, n3 are already in a swarm, but none of the managers (n1) manages one; name a manager of "
     "that swarm as a manager here, or dissolve it first (cluster_state: absent)"),
])
def test_bad_inventory(hostvars, kwargs, message):
    with pytest.raises(ClusterPlanError) as caught:
        plan(hostvars, **kwargs)
    assert str(caught.value) == message
