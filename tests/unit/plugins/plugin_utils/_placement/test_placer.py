"""Soft scores: strategies, topology spread, affinity, preferences, weights, tie-breaks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

from helpers import host, hosts_of, place, zoned_hosts


def test_spread_uses_the_least_allocated_hosts_and_distinct_hosts_first():
    hosts = [host("busy", containers=[{"name": "x", "cpus": 3}]), host("idle1"), host("idle2")]
    result = place([{"name": "web", "replicas": 3, "cpus": 0.5}], hosts)
    assert hosts_of(result, "web") == ["idle1", "idle2", "busy"]


def test_binpack_fills_the_most_allocated_host_first():
    hosts = [host("idle1"), host("busy", containers=[{"name": "x", "cpus": 2}]), host("idle2")]
    result = place([{"name": "web", "replicas": 5, "cpus": 0.5}], hosts, {"strategy": "binpack"})
    assert hosts_of(result, "web") == ["busy", "busy", "busy", "busy", "idle1"]


def test_strategy_can_be_set_per_service():
    result = place([{"name": "a", "replicas": 2, "cpus": 1, "strategy": "binpack"},
                    {"name": "b", "replicas": 2, "cpus": 1}],
                   [host("h1"), host("h2")])
    assert hosts_of(result, "a") == ["h1", "h1"] and hosts_of(result, "b") == ["h2", "h1"]


def test_resource_weights_decide_which_resource_counts():
    hosts = [host("cpu-busy", containers=[{"name": "x", "cpus": 3}]),
             host("mem-busy", containers=[{"name": "y", "memory": 7 * 1024**3}])]
    by_memory = place([{"name": "web"}], hosts, {"resource_weights": {"cpus": 0, "memory": 1}})
    by_cpus = place([{"name": "web"}], hosts, {"resource_weights": {"cpus": 1, "memory": 0}})
    assert hosts_of(by_memory, "web") == ["cpu-busy"] and hosts_of(by_cpus, "web") == ["mem-busy"]


def test_zone_spread_keeps_skew_within_max():
    result = place([{"name": "web", "replicas": 7, "spread": ["zone"]}], zoned_hosts(6))
    zones = Counter(host_name and f"z{int(host_name[1:]) % 3}" for host_name in hosts_of(result, "web"))
    assert max(zones.values()) - min(zones.values()) <= 1


def test_soft_spread_uses_remaining_zones_when_one_is_full():
    hosts = [host("a1", cpus=1, labels={"zone": "a"}), host("b1", labels={"zone": "b"}), host("c1", labels={"zone": "c"})]
    result = place([{"name": "web", "replicas": 5, "cpus": 1, "spread": ["zone"]}], hosts)
    assert Counter(hosts_of(result, "web")) == {"a1": 1, "b1": 2, "c1": 2}


def test_hard_spread_leaves_replicas_unplaced_rather_than_skew():
    hosts = [host("a1", cpus=1, labels={"zone": "a"}), host("b1", labels={"zone": "b"})]
    result = place([{"name": "web", "replicas": 4, "cpus": 1, "spread": [{"label": "zone", "hard": True}]}], hosts)
    assert Counter(hosts_of(result, "web")) == {"a1": 1, "b1": 2, None: 1}
    assert result["unplaced"][0]["message"] == "1 host: insufficient cpus; 1 host: spread zone: max skew 1"


def test_max_skew_two_lets_scores_choose_within_the_budget():
    hosts = [host("a1", labels={"zone": "a", "disk": "ssd"}), host("b1", labels={"zone": "b"})]
    service = {"name": "web", "replicas": 3, "spread": [{"label": "zone", "max_skew": 2}],
               "preferences": [{"match": "disk == ssd", "weight": 100}], "strategy": "binpack"}
    assert Counter(hosts_of(place([service], hosts), "web")) == {"a1": 2, "b1": 1}


def test_spread_over_two_labels():
    hosts = [host(f"{z}{r}", labels={"zone": z, "rack": f"{z}{r}"}) for z in "ab" for r in "12"]
    result = place([{"name": "web", "replicas": 4, "spread": ["zone", "rack"], "strategy": "binpack"}], hosts)
    assert sorted(hosts_of(result, "web")) == ["a1", "a2", "b1", "b2"]


def test_hosts_without_the_spread_label_are_skipped_and_explained():
    result = place([{"name": "web", "spread": ["rack"]}], [host("h1")])
    assert result["unplaced"][0]["message"] == "1 host: no label 'rack' to spread over"


def test_affinity_colocates_and_anti_affinity_separates():
    hosts = zoned_hosts(4)
    services = [{"name": "cache", "replicas": 1}, {"name": "app", "replicas": 1, "affinity": ["cache"]},
                {"name": "db-a"}, {"name": "db-b", "anti_affinity": ["db-a"]}]
    result = place(services, hosts, {"strategy": "binpack"})
    assert hosts_of(result, "app") == hosts_of(result, "cache")
    assert hosts_of(result, "db-a") != hosts_of(result, "db-b")


def test_affinity_targets_are_placed_first_whatever_the_input_order():
    services = [{"name": "app", "affinity": ["cache"]}, {"name": "cache", "memory": "1g"}]
    result = place(services, zoned_hosts(3, containers=[]))
    assert hosts_of(result, "app") == hosts_of(result, "cache")


def test_preferences_add_weight():
    hosts = [host("hdd", labels={"disk": "hdd"}), host("ssd", labels={"disk": "ssd"})]
    service = {"name": "db", "preferences": [{"match": "disk == ssd", "weight": 50}]}
    assert hosts_of(place([service], hosts), "db") == ["ssd"]
    negative = {"name": "db", "preferences": [{"match": "disk == ssd", "weight": -50}]}
    assert hosts_of(place([negative], hosts), "db") == ["hdd"]


def test_same_input_gives_byte_identical_output():
    services = [{"name": f"s{i}", "replicas": 7, "cpus": 0.25, "spread": ["zone"]} for i in range(5)]
    first = json.dumps(place(services, zoned_hosts(9)), sort_keys=False)
    assert all(json.dumps(place(services, zoned_hosts(9))) == first for _run in range(3))


def test_seed_changes_tie_breaks_reproducibly():
    services = [{"name": "web", "replicas": 3}]
    unseeded = hosts_of(place(services, zoned_hosts(12)), "web")
    seeded = [hosts_of(place(services, zoned_hosts(12), {"seed": seed}), "web") for seed in range(5)]
    assert unseeded == ["h0", "h1", "h2"]
    assert seeded == [hosts_of(place(services, zoned_hosts(12), {"seed": seed}), "web") for seed in range(5)]
    assert any(s != unseeded for s in seeded)


def test_priority_goes_first():
    services = [{"name": "low", "memory": "6g"}, {"name": "high", "memory": "6g", "priority": 5}]
    result = place(services, [host("h1"), host("h2", memory="4g")])
    assert hosts_of(result, "high") == ["h1"] and hosts_of(result, "low") == [None]


def test_binpack_mixes_cpu_heavy_and_memory_heavy_replicas_on_one_host():
    hosts = [host(f"h{i}", cpus=4, memory="16g") for i in range(6)]
    services = [{"name": "cruncher", "replicas": 4, "cpus": 2, "memory": "2g"},
                {"name": "cache", "replicas": 4, "cpus": 0.5, "memory": "6g"}]
    result = place(services, hosts, {"strategy": "binpack"})
    assert result["summary"]["hosts_used"] == 3  # the lower bound: 10 cpus on 4-cpu hosts
    assert Counter(e["service"] for e in result["hosts"]["h0"]) == {"cruncher": 1, "cache": 2}


def test_binpack_packing_respects_filters():
    hosts = [host("ssd", cpus=4, labels={"disk": "ssd"}), host("hdd", cpus=8, labels={"disk": "hdd"})]
    services = [{"name": "db", "replicas": 3, "cpus": 1, "constraints": ["disk == ssd"], "ports": [5432]},
                {"name": "batch", "replicas": 2, "cpus": 1, "max_per_host": 1}]
    result = place(services, hosts, {"strategy": "binpack"})
    assert hosts_of(result, "db") == ["ssd", None, None]
    assert sorted(hosts_of(result, "batch")) == ["hdd", "ssd"]
    assert result["unplaced"][0]["message"] == "1 host: constraint disk == ssd; 1 host: host port 5432/tcp in use"


def test_output_does_not_depend_on_the_hash_seed():
    """Sets iterate in hash order, which changes between processes: none may leak into output."""
    script = (
        "import json, sys; sys.path[:0] = sys.argv[1:]\n"
        "from helpers import place, zoned_hosts\n"
        "services = [{'name': f's{i}', 'replicas': 4, 'cpus': 0.5, 'spread': ['zone'],\n"
        "             'anti_affinity': [f's{i + 1}'] if i < 5 else [], 'priority': i % 2, 'preemption': True,\n"
        "             'preferences': [{'match': 'zone == b', 'weight': 5}]} for i in range(6)]\n"
        "services.append({'name': 'packed', 'replicas': 9, 'memory': '3g', 'strategy': 'binpack'})\n"
        "print(json.dumps(place(services, zoned_hosts(7))))\n"
    )
    paths = [str(Path(__file__).parent), *sys.path]
    outputs = {
        subprocess.run([sys.executable, "-c", script, *paths], check=True, capture_output=True, text=True,
                       env={**os.environ, "PYTHONHASHSEED": seed}).stdout
        for seed in ("1", "2", "3")
    }
    assert len(outputs) == 1 and next(iter(outputs)).startswith('{"hosts": {"h0": [')


def test_hard_spread_with_required_affinity_counts_zones_without_the_target():
    """Issue 9 defect 11: all three app replicas went to zone a, the only zone running db,
    while zone b had room: a hard spread compares with every eligible zone."""
    services = [{"name": "db"}, {"name": "app", "replicas": 3, "affinity": [{"service": "db", "required": True}],
                                 "spread": [{"label": "zone", "hard": True}]}]
    result = place(services, [host("a1", labels={"zone": "a"}), host("b1", labels={"zone": "b"})])
    assert hosts_of(result, "db") == ["a1"] and hosts_of(result, "app") == ["a1", None, None]
    assert result["unplaced"][0]["message"] == "1 host: does not run db (affinity); 1 host: spread zone: max skew 1"


def test_hard_spread_counts_a_full_zone():
    hosts = [host("a1", cpus=1, labels={"zone": "a"}, containers=[{"name": "other", "cpus": 1}]),
             host("b1", labels={"zone": "b"})]
    result = place([{"name": "web", "replicas": 3, "cpus": 1, "spread": [{"label": "zone", "hard": True}]}], hosts)
    assert hosts_of(result, "web") == ["b1", None, None]
