"""Running replicas: what stays, what moves, scaling."""

from __future__ import annotations

import pytest
from helpers import as_current, host, hosts_of, place, running, zoned_hosts


def moves(result):
    return [(m["action"], m["name"], m["from"], m["to"], m["reason"]) for m in result["moves"]]


def test_running_replicas_stay_even_when_another_host_scores_better():
    hosts = [host("h1", containers=[running("web", 1, cpus=1), running("web", 2, cpus=1)]), host("h2")]
    result = place([{"name": "web", "replicas": 3, "cpus": 1}], hosts)
    assert hosts_of(result, "web") == ["h1", "h1", "h2"]
    assert moves(result) == [("start", "web-3", None, "h2", "new replica")]


def test_scaling_down_stops_the_highest_replicas():
    hosts = [host("h1", containers=[running("web", i) for i in (1, 2, 3)])]
    result = place([{"name": "web", "replicas": 1}], hosts)
    assert moves(result) == [("stop", "web-2", "h1", None, "scaled down"), ("stop", "web-3", "h1", None, "scaled down")]


def test_replicas_on_drained_or_unreachable_hosts_move_and_paused_ones_stay():
    hosts = [host("drained", availability="drain", containers=[running("web", 1)]),
             host("down", reachable=False, containers=[running("web", 2)]),
             host("paused", availability="pause", containers=[running("web", 3)]), host("up")]
    result = place([{"name": "web", "replicas": 3}], hosts)
    assert hosts_of(result, "web") == ["up", "up", "paused"]
    assert moves(result) == [("move", "web-1", "drained", "up", "host drained"),
                             ("move", "web-2", "down", "up", "host unreachable")]


def test_a_replica_whose_constraint_no_longer_holds_moves():
    hosts = [host("old", labels={"disk": "hdd"}, containers=[running("db", 1)]), host("new", labels={"disk": "ssd"})]
    result = place([{"name": "db", "constraints": ["disk == ssd"]}], hosts)
    assert moves(result) == [("move", "db-1", "old", "new", "constraint disk == ssd")]


def test_overcommitted_host_keeps_what_fits_in_priority_order():
    hosts = [host("h1", memory="4g", containers=[running("low", 1, memory=3 * 1024**3),
                                                 running("high", 1, memory=3 * 1024**3)]), host("h2")]
    result = place([{"name": "low", "memory": "3g"}, {"name": "high", "memory": "3g", "priority": 1}], hosts)
    assert hosts_of(result, "high") == ["h1"] and hosts_of(result, "low") == ["h2"]
    assert moves(result) == [("move", "low-1", "h1", "h2", "insufficient memory")]


def test_duplicate_replicas_are_stopped():
    hosts = [host("h1", containers=[running("web", 1)]), host("h2", containers=[running("web", 1)])]
    result = place([{"name": "web"}], hosts)
    assert hosts_of(result, "web") == ["h1"]
    assert moves(result) == [("stop", "web-1", "h2", None, "duplicate replica")]


def test_rerunning_on_the_output_changes_nothing():
    services = [{"name": "web", "replicas": 5, "cpus": 1, "spread": ["zone"]},
                {"name": "db", "replicas": 2, "memory": "6g", "distinct_hosts": True, "priority": 3},
                {"name": "huge", "memory": "20g"}]
    hosts = zoned_hosts(4)
    first = place(services, hosts)
    second = place(services, as_current(first, hosts, services))
    assert second["hosts"] == first["hosts"] and second["moves"] == []
    assert second["unplaced"] == first["unplaced"]


def test_scaling_one_service_moves_no_other_replica():
    services = [{"name": "web", "replicas": 4, "cpus": 1}, {"name": "api", "replicas": 3, "cpus": 1}]
    hosts = zoned_hosts(3)
    current = as_current(place(services, hosts), hosts, services)
    scaled = place([{**services[0], "replicas": 8}, services[1]], current)
    assert {m["service"] for m in scaled["moves"]} == {"web"}
    assert all(m["action"] == "start" for m in scaled["moves"])


def test_a_running_replica_that_breaks_a_required_affinity_moves():
    """Issue 9 defect 6: app-1 stayed on h1 while db-1 ran on h2."""
    hosts = [host("h1", containers=[running("app", 1)]), host("h2", containers=[running("db", 1)])]
    services = [{"name": "db"}, {"name": "app", "affinity": [{"service": "db", "required": True}]}]
    result = place(services, hosts)
    assert moves(result) == [("move", "app-1", "h1", "h2", "does not run db (affinity)")]


@pytest.mark.parametrize("services", [
    [{"name": "app", "priority": 1, "affinity": [{"service": "db", "required": True}]}, {"name": "db"}],
    [{"name": "db", "affinity": ["app"]}, {"name": "app", "affinity": [{"service": "db", "required": True}]}],
    [{"name": "app", "affinity": [{"service": "db", "required": True}]}, {"name": "db", "affinity": ["app"]}],
    [{"name": "app", "priority": 3, "affinity": [{"service": "mid", "required": True}]},
     {"name": "mid", "priority": 2, "affinity": [{"service": "db", "required": True}]}, {"name": "db"}],
], ids=["lower-priority-target", "soft-affinity-back", "soft-affinity-back-reversed", "chain"])
def test_a_required_affinity_target_is_placed_first_whatever_its_priority(services):
    """Issue 9 defect 3: the follower was unplaced in the first run and placed by the second."""
    hosts = [host("h1"), host("h2")]
    result = place(services, hosts)
    assert result["unplaced"] == []
    assert len({hosts_of(result, s["name"])[0] for s in services}) == 1
    assert place(services, as_current(result, hosts, services))["moves"] == []
