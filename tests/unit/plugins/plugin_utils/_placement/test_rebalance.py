"""Rebalance: move the fewest replicas that clearly improve the placement."""

from __future__ import annotations

from collections import Counter

from helpers import as_current, host, hosts_of, place, running, zoned_hosts


def moves(result):
    return [(m["action"], m["name"], m["from"], m["to"], m["reason"]) for m in result["moves"]]


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


def test_rebalance_never_breaks_a_hard_spread():
    """Issue 9 defect 4: web-1 moved a1 -> b2 (zones b, b, c): the target was checked before
    the leaving replica's zone count dropped."""
    spread = [{"label": "zone", "hard": True}]
    hosts = [host("a1", labels={"zone": "a"}, containers=[{"name": "other", "cpus": 3}, running("web", 1)]),
             host("b1", labels={"zone": "b"}, containers=[running("web", 2)]),
             host("c1", labels={"zone": "c"}, containers=[running("web", 3)]), host("b2", labels={"zone": "b"})]
    result = place([{"name": "web", "replicas": 3, "cpus": 1, "spread": spread}], hosts, {"rebalance": True, "max_moves": 1})
    zones = Counter(h[0] for h in hosts_of(result, "web"))
    assert zones == {"a": 1, "b": 1, "c": 1}


def test_rebalance_never_breaks_a_required_affinity():
    """Issue 9 defect 5: db moved to the empty host and app, which requires it, stayed."""
    hosts = [host("h1", containers=[{"name": "other", "cpus": 2}, running("db", 1), running("app", 1)]), host("h2")]
    services = [{"name": "db", "cpus": 1}, {"name": "app", "cpus": 1, "affinity": [{"service": "db", "required": True}]}]
    result = place(services, hosts, {"rebalance": True, "max_moves": 1})
    assert hosts_of(result, "app") == hosts_of(result, "db")
