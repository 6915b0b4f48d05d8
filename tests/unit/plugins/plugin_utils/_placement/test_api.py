"""Properties that must hold for any input (hypothesis)."""

from __future__ import annotations

from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from helpers import GIB, MIB, as_current, place

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._constraints import parse_constraint
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._quantities import parse_port

ZONES = ("a", "b", "c")
CONSTRAINTS = ("disk == ssd", "zone != c", "zone in a,b", "rack exists", "gen >= 2")
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def hosts_strategy(draw, min_size=1, max_size=8, availability=True):
    count = draw(st.integers(min_size, max_size))
    hosts = []
    for i in range(count):
        labels = {"zone": draw(st.sampled_from(ZONES)), "disk": draw(st.sampled_from(["ssd", "hdd"])),
                  "gen": str(draw(st.integers(1, 3)))}
        if draw(st.booleans()):
            labels["rack"] = f"r{i % 2}"
        hosts.append({
            "name": f"h{i}", "cpus": draw(st.integers(1, 8)), "memory": draw(st.integers(1, 16)) * GIB,
            "resources": {"gpu": draw(st.integers(0, 2))}, "labels": labels,
            "availability": draw(st.sampled_from(["active"] * 4 + ["drain", "pause"])) if availability else "active",
        })
    return hosts


@st.composite
def services_strategy(draw, max_services=5, preemption=True):
    services = []
    for i in range(draw(st.integers(1, max_services))):
        service = {"name": f"s{i}", "replicas": draw(st.integers(0, 6)),
                   "cpus": draw(st.integers(0, 8)) / 4, "memory": draw(st.integers(0, 16)) * 256 * MIB,
                   "strategy": draw(st.sampled_from(["spread", "binpack"])),
                   "priority": draw(st.integers(0, 2)),
                   "preemption": preemption and draw(st.booleans())}
        if draw(st.booleans()):
            service["constraints"] = draw(st.lists(st.sampled_from(CONSTRAINTS), max_size=2, unique=True))
        if draw(st.integers(0, 3)) == 0:
            service["resources"] = {"gpu": 1}
        if draw(st.integers(0, 3)) == 0:
            service["ports"] = [draw(st.sampled_from([80, 443]))]
        if draw(st.integers(0, 2)) == 0:
            service["max_per_host"] = draw(st.integers(1, 2))
        if draw(st.integers(0, 2)) == 0:
            service["spread"] = [{"label": "zone", "max_skew": draw(st.integers(1, 2))}]
        services.append(service)
    if len(services) > 1 and draw(st.booleans()):
        services[1]["anti_affinity"] = [{"service": "s0", "required": True}]
    return services


def _usage(result):
    """Per host, per resource, what the placed replicas use."""
    used = {}
    for name, entries in result["hosts"].items():
        totals = Counter()
        for entry in entries:
            totals["cpus"] += round(entry["cpus"] * 1000)
            totals["memory"] += entry["memory"]
            totals.update(entry["resources"])
        used[name] = totals
    return used


@SETTINGS
@given(hosts_strategy(), services_strategy())
def test_no_host_is_ever_overcommitted(hosts, services):
    result = place(services, hosts)
    used = _usage(result)
    for item in hosts:
        totals = used[item["name"]]
        assert totals["cpus"] <= item["cpus"] * 1000
        assert totals["memory"] <= item["memory"]
        assert totals["gpu"] <= item["resources"]["gpu"]


@SETTINGS
@given(hosts_strategy(), services_strategy())
def test_every_hard_constraint_holds_for_every_placed_replica(hosts, services):
    result = place(services, hosts)
    by_host = {h["name"]: h for h in hosts}
    for item in services:
        constraints = [parse_constraint(text, "c") for text in item.get("constraints", [])]
        counts = Counter(h for h in result["services"][item["name"]]["hosts"] if h)
        for host_name, count in counts.items():
            host = by_host[host_name]
            assert host["availability"] == "active"
            labels = {**host["labels"], "hostname": host_name}
            assert all(c.matches(labels) for c in constraints)
            assert count <= item.get("max_per_host", count)
            for rule in item.get("anti_affinity", []):
                assert host_name not in result["services"][rule["service"]]["hosts"]
    for host_name, entries in result["hosts"].items():
        ports = [parse_port(p, "p") for entry in entries for p in entry["ports"]]
        assert len(ports) == len(set(ports)), f"port conflict on {host_name}"


@SETTINGS
@given(st.integers(1, 9), st.integers(1, 3), st.integers(0, 30), st.sampled_from(["spread", "binpack"]),
       st.integers(1, 3))
def test_spread_skew_stays_within_max_when_capacity_allows(host_count, zone_count, replicas, strategy, max_skew):
    hosts = [{"name": f"h{i}", "cpus": 64, "memory": "64g", "labels": {"zone": ZONES[i % zone_count]}}
             for i in range(host_count)]
    service = {"name": "web", "replicas": replicas, "cpus": 1, "strategy": strategy,
               "spread": [{"label": "zone", "max_skew": max_skew}]}
    result = place([service], hosts)
    assert result["unplaced"] == []
    zones = Counter(ZONES[int(h[1:]) % zone_count] for h in result["services"]["web"]["hosts"])
    present = {ZONES[i % zone_count] for i in range(host_count)}
    counts = [zones.get(z, 0) for z in present]
    assert max(counts) - min(counts) <= max_skew


@SETTINGS
@given(hosts_strategy(), services_strategy())
def test_rerunning_on_its_own_output_changes_nothing(hosts, services):
    first = place(services, hosts)
    second = place(services, as_current(first, hosts, services))
    assert second["moves"] == []
    assert second["hosts"] == first["hosts"]
    assert [u["name"] for u in second["unplaced"]] == [u["name"] for u in first["unplaced"]]


@SETTINGS
@given(hosts_strategy(availability=False), services_strategy(preemption=False), st.data())
def test_scaling_one_service_moves_no_replica_of_another(hosts, services, data):
    current = as_current(place(services, hosts), hosts, services)
    target = data.draw(st.integers(0, len(services) - 1))
    scaled = [dict(s) for s in services]
    scaled[target]["replicas"] = data.draw(st.integers(0, 10))
    result = place(scaled, current)
    others = [m for m in result["moves"] if m["service"] != scaled[target]["name"]]
    # Scaling down may free room for replicas that found none before: those start, nothing moves.
    assert all(m["action"] == "start" for m in others)


def test_binpack_never_places_fewer_replicas_than_spread():
    """Issue 9 defect 10: binpack filled hosts so that a small service with max_per_host and a
    soft spread found too few hosts, while spread placed everything."""
    hosts = [{"name": "h0", "cpus": 2, "memory": "8g", "labels": {"zone": "a"}},
             {"name": "h1", "cpus": 4, "memory": "8g", "labels": {"zone": "b"}},
             {"name": "h2", "cpus": 2, "memory": "8g", "labels": {"zone": "c"}},
             {"name": "h3", "cpus": 4, "memory": "8g", "labels": {"zone": "a"}}]
    services = [{"name": "s0", "replicas": 4, "cpus": 1.5, "memory": "256m"},
                {"name": "s1", "replicas": 4, "cpus": 0.5, "memory": "256m"},
                {"name": "s2", "replicas": 1, "cpus": 1, "memory": "256m"},
                {"name": "s3", "replicas": 1, "cpus": 1, "memory": "256m"},
                {"name": "small", "replicas": 8, "cpus": 0.1, "max_per_host": 3, "spread": ["zone"]}]
    spread = place(services, hosts, {"strategy": "spread"})
    binpack = place(services, hosts, {"strategy": "binpack"})
    assert spread["summary"]["placed"] == 16
    assert binpack["summary"]["placed"] == 16
    assert binpack == place(services, hosts, {"strategy": "binpack"})
