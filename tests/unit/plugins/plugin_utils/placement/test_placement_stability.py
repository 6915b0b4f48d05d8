"""Running replicas, moves, scaling, preemption and rebalancing."""

from __future__ import annotations

from collections import Counter

from placement_helpers import as_current, host, hosts_of, place, running, zoned_hosts


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


def test_preemption_displaces_lower_priority_replicas_and_reports_them():
    hosts = [host("h1", memory="4g", containers=[running("batch", 1, memory=3 * 1024**3)])]
    services = [{"name": "batch", "memory": "3g"},
                {"name": "api", "memory": "2g", "priority": 10, "preemption": True}]
    result = place(services, hosts)
    assert hosts_of(result, "api") == ["h1"] and hosts_of(result, "batch") == [None]
    assert result["preempted"] == [{"service": "batch", "replica": 1, "name": "batch-1", "host": "h1", "by": "api-1"}]
    assert moves(result) == [("stop", "batch-1", "h1", None, "preempted by api-1"),
                             ("start", "api-1", None, "h1", "new replica")]
    assert result["unplaced"][0]["reasons"] == {"preempted by api-1": 1, "insufficient memory": 1}


def test_preempted_replicas_move_when_there_is_room_elsewhere():
    hosts = [host("h1", memory="4g", labels={"disk": "ssd"}, containers=[running("batch", 1, memory=3 * 1024**3)]),
             host("h2", memory="4g")]
    services = [{"name": "batch", "memory": "3g"},
                {"name": "api", "memory": "2g", "constraints": ["disk == ssd"], "priority": 1, "preemption": True}]
    result = place(services, hosts)
    assert moves(result) == [("move", "batch-1", "h1", "h2", "preempted by api-1"),
                             ("start", "api-1", None, "h1", "new replica")]


def test_without_preemption_nothing_is_displaced():
    hosts = [host("h1", memory="4g", containers=[running("batch", 1, memory=3 * 1024**3)])]
    result = place([{"name": "batch", "memory": "3g"}, {"name": "api", "memory": "2g", "priority": 10}], hosts)
    assert hosts_of(result, "api") == [None] and result["preempted"] == []


def test_rebalance_moves_the_fewest_replicas_to_even_out():
    hosts = [host("h1", containers=[running("web", i, cpus=1) for i in (1, 2, 3, 4)]), host("h2"), host("h3")]
    services = [{"name": "web", "replicas": 4, "cpus": 1}]
    assert place(services, hosts)["moves"] == []
    result = place(services, hosts, {"rebalance": True, "max_moves": 10})
    assert Counter(hosts_of(result, "web")) == {"h1": 2, "h2": 1, "h3": 1}
    assert [m["reason"] for m in result["moves"]] == ["rebalance", "rebalance"]
    limited = place(services, hosts, {"rebalance": True, "max_moves": 1})
    assert len(limited["moves"]) == 1


def test_rebalance_fixes_zone_skew_first():
    hosts = [host("a1", labels={"zone": "a"}, containers=[running("web", 1), running("web", 2)]),
             host("a2", labels={"zone": "a"}, containers=[running("web", 3)]), host("b1", labels={"zone": "b"})]
    result = place([{"name": "web", "replicas": 3, "spread": ["zone"]}], hosts, {"rebalance": True, "max_moves": 1})
    assert [m["to"] for m in result["moves"]] == ["b1"]


def test_a_balanced_placement_is_left_alone_by_rebalance():
    hosts = zoned_hosts(3)
    services = [{"name": "web", "replicas": 6, "cpus": 1}]
    current = as_current(place(services, hosts), hosts, services)
    assert place(services, current, {"rebalance": True})["moves"] == []


def test_preemption_picks_the_least_important_and_fewest_victims():
    # Running replicas hold what their service requests (1g for low), whatever the facts say.
    hosts = [host("a", memory="4g", containers=[running("mid", 1)]),
             host("b", memory="4g", containers=[running("low", i) for i in (1, 2, 3)]),
             host("c", memory="4g", containers=[running("low", i) for i in (4, 5)])]
    services = [{"name": "low", "replicas": 5, "memory": "1g"}, {"name": "mid", "memory": "3g", "priority": 1},
                {"name": "api", "memory": "3g", "priority": 9, "preemption": True}]
    result = place(services, hosts)
    assert hosts_of(result, "api") == ["c"]  # one low replica out, rather than mid or two lows
    assert [p["name"] for p in result["preempted"]] == ["low-5"]
    assert ("move", "low-5", "c", "a", "preempted by api-1") in moves(result)  # a had 1g left
