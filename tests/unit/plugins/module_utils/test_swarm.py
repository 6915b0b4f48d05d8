"""flotilla.fleet.swarm: validation, membership and node convergence against a mocked engine."""

from types import SimpleNamespace
from unittest.mock import MagicMock

import pytest
from docker.errors import APIError

from ansible_collections.flotilla.fleet.plugins.module_utils._client import Engine, FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._swarm import (
    SwarmConverger, SwarmRequest, swarm_argument_spec)

ENGINE = "tcp://10.0.0.1:2376"
TOKEN = "SWMTKN-1-" + "3" * 50 + "-" + "sentinel" + "x" * 17
INACTIVE = {"LocalNodeState": "inactive", "NodeID": "", "ControlAvailable": False, "RemoteManagers": None}
MANAGER = {"LocalNodeState": "active", "NodeID": "n1", "NodeAddr": "10.0.0.1", "ControlAvailable": True,
           "Cluster": {"ID": "c1"}, "RemoteManagers": [{"NodeID": "n1", "Addr": "10.0.0.1:2377"}]}
WORKER = {"LocalNodeState": "active", "NodeID": "n2", "NodeAddr": "10.0.0.2", "ControlAvailable": False,
          "RemoteManagers": [{"NodeID": "n1", "Addr": "10.0.0.1:2377"}]}


def params(**overrides):
    base = {name: spec.get("default") for name, spec in swarm_argument_spec().items()}
    base.update(overrides)
    return base


def engine_with(swarm, nodes=()):
    api = MagicMock()
    api.info.return_value = {"Swarm": swarm}
    api.nodes.return_value = list(nodes)
    api.inspect_swarm.return_value = {"JoinTokens": {"Manager": "SWMTKN-m", "Worker": "SWMTKN-w"}}
    return Engine(SimpleNamespace(base_url=ENGINE), api=api), api


def node(node_id, hostname, labels=None, availability="active", role="worker", state="ready"):
    return {"ID": node_id, "Version": {"Index": 7}, "Description": {"Hostname": hostname},
            "Spec": {"Labels": dict(labels or {}), "Availability": availability, "Role": role},
            "Status": {"State": state, "Addr": "10.0.0.9"}}


# --- validation: every message names the field, none quotes the token -----------------------------

@pytest.mark.parametrize("overrides, message", [
    ({"join_token": TOKEN}, "join_token: needs join_addresses, the managers to join"),
    ({"join_addresses": ["10.0.0.1"]}, "join_addresses: needs join_token"),
    ({"join_addresses": ["10.0.0.1"], "join_token": "SWMTKN-sentinel", "role": "worker"},
     "join_token: not a swarm join token (expected SWMTKN-1-<digest>-<secret>, as docker swarm join-token -q "
     "prints)"),
    ({"join_addresses": ["10.0.0.1"], "join_token": TOKEN},
     "role: required with join_addresses (manager or worker, matching the join_token)"),
    ({"role": "worker"}, "role: a new swarm starts with a manager; to join as a worker give join_addresses and "
                         "join_token"),
    ({"join_addresses": ["10.0.0.1:99999"], "join_token": TOKEN, "role": "worker"},
     "join_addresses[0]: '10.0.0.1:99999' is not an address such as 10.0.0.1, 10.0.0.1:2377 or eth0:2377"),
    ({"advertise_addr": "a b"}, "advertise_addr: 'a b' is not an address such as 10.0.0.1, 10.0.0.1:2377 or "
                                "eth0:2377"),
    ({"labels": {"zone": "a"}}, "labels: node settings are made through a manager; add node: <hostname or ID>"),
    ({"availability": "drain"}, "availability: node settings are made through a manager; add node: <hostname or "
                                "ID>"),
    ({"force": True}, "force: only with state absent (to leave a swarm as a manager)"),
    ({"state": "absent", "join_token": TOKEN}, "join_token: not used with state absent"),
    ({"state": "absent", "return_tokens": True}, "return_tokens: not used with state absent"),
    ({"node": "n1"}, "node: give labels, availability or role to set on node n1"),
    ({"node": " "}, "node: must be a node hostname or ID, got an empty string"),
    ({"node": "n1", "labels": {"a": "1"}, "state": "absent"},
     "node: state absent makes this engine leave its swarm; it cannot be combined with node"),
    ({"node": "n1", "labels": {"a": "1"}, "join_addresses": ["x"]},
     "join_addresses: configures this engine's membership; it cannot be combined with node"),
    ({"node": "n1", "labels": {"ssd": True}}, "labels.ssd: True is a boolean; quote it ('true') so the value is exact"),
    ({"purge_labels": True}, "purge_labels: only with node and labels"),
])
def test_request_rejects(overrides, message):
    with pytest.raises(FleetError) as caught:
        SwarmRequest(params(**overrides))
    assert str(caught.value) == message
    assert "sentinel" not in str(caught.value)


# --- membership ----------------------------------------------------------------------------------

def test_init_check_mode_writes_nothing():
    engine, api = engine_with(INACTIVE)
    result = SwarmConverger(engine, True).converge(SwarmRequest(params(advertise_addr="10.0.0.1")))
    assert (result["action"], result["role"], result["state"]) == ("initialized", "manager", "active")
    assert result["diff"] == {"before": {"state": "inactive"}, "after": {"state": "active", "role": "manager"}}
    api.init_swarm.assert_not_called()
    api.inspect_swarm.assert_not_called()


def test_init_then_tokens_only_when_asked():
    engine, api = engine_with(INACTIVE)
    api.info.side_effect = [{"Swarm": INACTIVE}, {"Swarm": MANAGER}]
    result = SwarmConverger(engine, False).converge(SwarmRequest(params(advertise_addr="10.0.0.1",
                                                                        return_tokens=True)))
    api.init_swarm.assert_called_once_with(advertise_addr="10.0.0.1", listen_addr="0.0.0.0:2377")
    assert result["join_tokens"] == {"manager": "SWMTKN-m", "worker": "SWMTKN-w"}
    assert result["cluster_id"] == "c1" and result["node_id"] == "n1"


def test_manager_already_in_a_swarm_is_unchanged_and_hides_tokens_by_default():
    engine, api = engine_with(MANAGER)
    result = SwarmConverger(engine, False).converge(SwarmRequest(params()))
    assert result["action"] == "unchanged" and "join_tokens" not in result and "diff" not in result
    api.init_swarm.assert_not_called()
    api.inspect_swarm.assert_not_called()


def test_join_when_inactive_and_unchanged_when_in_that_swarm():
    request = SwarmRequest(params(join_addresses=["10.0.0.1"], join_token=TOKEN, role="worker"))
    engine, api = engine_with(INACTIVE)
    api.info.side_effect = [{"Swarm": INACTIVE}, {"Swarm": WORKER}]
    assert SwarmConverger(engine, False).converge(request)["action"] == "joined"
    api.join_swarm.assert_called_once_with(["10.0.0.1"], TOKEN, listen_addr="0.0.0.0:2377", advertise_addr=None)
    engine, api = engine_with(WORKER)
    assert SwarmConverger(engine, False).converge(request)["action"] == "unchanged"
    api.join_swarm.assert_not_called()


def test_join_with_the_wrong_kind_of_token_fails_clearly():
    engine, api = engine_with(INACTIVE)
    api.info.side_effect = [{"Swarm": INACTIVE}, {"Swarm": dict(WORKER, ControlAvailable=True)}]
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(join_addresses=["10.0.0.1"], join_token=TOKEN,
                                                                   role="worker")))
    assert str(caught.value) == ("role: engine %s joined as a manager, not a worker: the kind of join_token "
                                 "decides the role" % ENGINE)


def test_engine_in_another_swarm_is_not_moved():
    engine, api = engine_with(WORKER)
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(join_addresses=["10.9.9.9"], join_token=TOKEN,
                                                                   role="worker")))
    assert str(caught.value) == ("join_addresses: engine %s is already in another swarm (managers: "
                                 "10.0.0.1:2377); leave it first with state: absent" % ENGINE)
    api.leave_swarm.assert_not_called()
    api.join_swarm.assert_not_called()


def test_worker_asked_to_be_manager_is_told_how():
    engine, _api = engine_with(WORKER)
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(join_addresses=["10.0.0.1:2377"],
                                                                   join_token=TOKEN, role="manager")))
    assert str(caught.value) == ("role: engine %s is a worker of its swarm, not a manager; change the role through "
                                 "a manager (node: n2, role: manager) or leave the swarm first" % ENGINE)


def test_leave_needs_force_on_a_manager_and_is_a_no_op_when_inactive():
    engine, api = engine_with(MANAGER)
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(state="absent")))
    assert str(caught.value).startswith("force: engine %s is a swarm manager;" % ENGINE)
    result = SwarmConverger(engine, True).converge(SwarmRequest(params(state="absent", force=True)))
    assert result["action"] == "left"
    api.leave_swarm.assert_not_called()
    SwarmConverger(engine, False).converge(SwarmRequest(params(state="absent", force=True)))
    api.leave_swarm.assert_called_once_with(force=True)
    engine, api = engine_with(INACTIVE)
    assert SwarmConverger(engine, False).converge(SwarmRequest(params(state="absent")))["action"] == "unchanged"


def test_stuck_states_and_worker_tokens_fail():
    engine, _api = engine_with(dict(INACTIVE, LocalNodeState="pending"))
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params()))
    assert str(caught.value) == ("Swarm: engine %s is still joining a swarm (the last join did not finish) (state "
                                 "pending); leave it with state: absent and force: true" % ENGINE)
    engine, _api = engine_with(WORKER)
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(join_addresses=["10.0.0.1"], join_token=TOKEN,
                                                                   role="worker", return_tokens=True)))
    assert str(caught.value) == ("return_tokens: engine %s is a worker; only a manager can read join tokens"
                                 % ENGINE)


def test_a_join_failure_never_shows_any_part_of_the_token():
    engine, api = engine_with(INACTIVE)
    api.join_swarm.side_effect = APIError("500", explanation="remote CA does not match fingerprint. Expected: "
                                          + "3" * 50)
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(join_addresses=["10.0.0.1"], join_token=TOKEN,
                                                                   role="worker")))
    assert str(caught.value) == ("Failed to join swarm via 10.0.0.1 on %s: remote CA does not match fingerprint. "
                                 "Expected: <part of join_token>" % ENGINE)


def test_engine_errors_name_the_action():
    engine, api = engine_with(INACTIVE)
    api.init_swarm.side_effect = APIError("500", explanation="could not choose an IP address to advertise")
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params()))
    assert str(caught.value) == ("Failed to initialize swarm on this engine on %s: could not choose an IP address "
                                 "to advertise" % ENGINE)


# --- one node through a manager ------------------------------------------------------------------

def test_node_labels_merge_by_default_and_purge_on_request():
    engine, api = engine_with(MANAGER, [node("abc123", "lab-2", {"zone": "a", "keep": "1"})])
    merged = SwarmConverger(engine, False).converge(SwarmRequest(params(node="lab-2", labels={"zone": "b"})))
    assert merged["diff"] == {"before": {"labels": {"zone": "a", "keep": "1"}},
                              "after": {"labels": {"zone": "b", "keep": "1"}}}
    api.update_node.assert_called_once_with("abc123", 7, {"Labels": {"zone": "b", "keep": "1"},
                                                          "Availability": "active", "Role": "worker"})
    api.update_node.reset_mock()
    purged = SwarmConverger(engine, True).converge(SwarmRequest(params(node="abc", labels={"zone": "a"},
                                                                       purge_labels=True)))
    assert purged["diff"]["after"] == {"labels": {"zone": "a"}} and purged["labels"] == {"zone": "a"}
    api.update_node.assert_not_called()


def test_node_unchanged_and_availability_change():
    engine, api = engine_with(MANAGER, [node("abc123", "lab-2", {"zone": "a"})])
    same = SwarmConverger(engine, False).converge(SwarmRequest(params(node="abc123", labels={"zone": "a"},
                                                                      availability="active", role="worker")))
    assert same["action"] == "unchanged" and "diff" not in same
    drained = SwarmConverger(engine, True).converge(SwarmRequest(params(node="lab-2", availability="drain")))
    assert drained["diff"] == {"before": {"availability": "active"}, "after": {"availability": "drain"}}
    assert drained["availability"] == "drain"
    api.update_node.assert_not_called()


def test_node_lookup_prefers_the_node_that_is_up_and_reports_ambiguity():
    engine, _api = engine_with(MANAGER, [node("old1", "lab-2", state="down"), node("new2", "lab-2")])
    result = SwarmConverger(engine, True).converge(SwarmRequest(params(node="lab-2", labels={"a": "1"})))
    assert result["id"] == "new2"
    engine, _api = engine_with(MANAGER, [node("x1", "twin"), node("x2", "twin")])
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, True).converge(SwarmRequest(params(node="twin", labels={"a": "1"})))
    assert str(caught.value) == "node: 'twin' matches 2 nodes (x1, x2); use the node ID"
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, True).converge(SwarmRequest(params(node="nope", labels={"a": "1"})))
    assert str(caught.value) == "node: no node of the swarm has the hostname or ID 'nope' (nodes: twin, twin)"


def test_node_settings_need_a_manager():
    engine, api = engine_with(WORKER)
    with pytest.raises(FleetError) as caught:
        SwarmConverger(engine, False).converge(SwarmRequest(params(node="lab-2", availability="pause")))
    assert str(caught.value) == ("node: engine %s is not a swarm manager (swarm state active); node settings can "
                                 "only be changed through a manager" % ENGINE)
    api.nodes.assert_not_called()
