"""Preemption: higher-priority replicas displace lower-priority ones."""

from __future__ import annotations

from helpers import host, hosts_of, place, running


def moves(result):
    return [(m["action"], m["name"], m["from"], m["to"], m["reason"]) for m in result["moves"]]


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


def test_preemption_never_evicts_the_preemptors_required_affinity_target():
    """Issue 9 defect 2: app evicted db, the very replica it must run beside."""
    services = [{"name": "app", "memory": "512m", "affinity": [{"service": "db", "required": True}],
                 "priority": 2, "preemption": True}, {"name": "db", "memory": "2g"}]
    result = place(services, [host("h1", cpus=1, memory="2g")])
    assert hosts_of(result, "db") == ["h1"] and hosts_of(result, "app") == [None]
    assert result["preempted"] == []


def test_preemption_never_strands_a_replica_that_requires_the_victim():
    hosts = [host("h1", memory="4g", containers=[running("db", 1), running("app", 1)])]
    services = [{"name": "db", "memory": "2g"}, {"name": "app", "cpus": 1, "affinity": [{"service": "db", "required": True}]},
                {"name": "api", "memory": "3g", "priority": 5, "preemption": True}]
    result = place(services, hosts)
    assert hosts_of(result, "db") == ["h1"] and hosts_of(result, "app") == ["h1"] and hosts_of(result, "api") == [None]


def test_preemption_never_leaves_the_victims_service_over_its_hard_max_skew():
    """Issue 9 defect 11: both web replicas of rack 1 were evicted, leaving racks 0/2."""
    hosts = [host("r1", memory="4g", labels={"rack": "1"}, containers=[running("web", 1), running("web", 3)]),
             host("r2", memory="4g", labels={"rack": "2"}, containers=[running("web", 2), running("web", 4)])]
    services = [{"name": "web", "replicas": 4, "memory": "2g", "spread": [{"label": "rack", "hard": True}]},
                {"name": "api", "memory": "4g", "priority": 5, "preemption": True}]
    result = place(services, hosts)
    assert hosts_of(result, "api") == [None] and result["preempted"] == []
    assert sorted(hosts_of(result, "web")) == ["r1", "r1", "r2", "r2"]
