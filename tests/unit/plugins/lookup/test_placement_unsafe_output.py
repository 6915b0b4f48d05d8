"""The result marks every string that came from the caller's data through ``unsafe``, as it is
built (the lookup passes Ansible's marker; the package alone leaves strings as they are)."""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place, place_hosts
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._parse_hosts import parse_host

GIB = 1024**3


class Marked(str):
    """What a marker returns: a str the test can recognise."""


# The result's own field names and the action words are the package's constants, not input.
CONSTANTS = {"hosts", "services", "unplaced", "moves", "preempted", "summary", "service", "replica", "name",
             "project", "cpus", "memory", "resources", "ports", "volumes", "replicas", "placed", "reasons",
             "message", "action", "from", "to", "reason", "host", "by", "hosts_used"}


def strings(value, path="result"):
    """(path, string) for every key and string value in ``value``."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield f"{path} key", key
            yield from strings(item, f"{path}.{key}")
    elif isinstance(value, list):
        for position, item in enumerate(value):
            yield from strings(item, f"{path}[{position}]")
    elif isinstance(value, str):
        yield path, value


def running(name, service, replica, cpus=0.0, memory=0):
    return {"name": name, "service": service, "project": "shop", "replica": replica, "state": "running",
            "cpus": cpus, "memory": memory}


HOSTS = [
    {"name": "n1", "cpus": 1, "memory": 4 * GIB, "labels": {"zone": "a"}, "resources": {"gpu": 2},
     "containers": [running("shop-batch-1", "batch", 1, cpus=1)]},
    {"name": "n2", "cpus": 4, "memory": 8 * GIB, "labels": {"zone": "b"}, "availability": "drain",
     "containers": [running("shop-web-1", "web", 1), running("shop-web-9", "web", 9)]},
    {"name": "n3", "cpus": 4, "memory": 8 * GIB, "labels": {"zone": "c"}, "volumes": ["data-1"]},
]
SERVICES = [
    {"name": "web", "replicas": 2, "cpus": 0.5, "memory": "256m", "ports": [8080, "53/udp"], "spread": ["zone"]},
    {"name": "db", "volumes": ["data-{replica}"], "resources": {"gpu": 0}},
    {"name": "ml", "cpus": 1, "resources": {"gpu": 1}, "priority": 5, "preemption": True},
    {"name": "batch", "cpus": 1},
    {"name": "huge", "memory": "64g", "constraints": ["zone in a,b"]},
]


def run(unsafe=None):
    hosts = [parse_host(raw, position) for position, raw in enumerate(HOSTS)]
    options = {"project": "shop"}
    return place_hosts(SERVICES, hosts, options) if unsafe is None else place_hosts(SERVICES, hosts, options, unsafe=unsafe)


def test_the_case_covers_every_part_of_the_result():
    result = run()
    assert {m["action"] for m in result["moves"]} == {"start", "stop", "move"}
    assert [p["name"] for p in result["preempted"]] == ["shop-batch-1"]
    assert "shop-huge-1" in [u["name"] for u in result["unplaced"]]
    assert result["hosts"]["n3"][0]["ports"] == ["8080/tcp", "53/udp"]
    assert any(entry["volumes"] == ["data-1"] for entry in result["hosts"]["n3"])


def test_every_string_from_the_input_goes_through_unsafe():
    unmarked = [(path, text) for path, text in strings(run(Marked))
                if not isinstance(text, Marked) and not (path.endswith(" key") and text in CONSTANTS)
                and not path.endswith(".action")]
    assert unmarked == []


def test_without_a_marker_the_result_is_the_same():
    assert run(Marked) == run()
    assert not any(isinstance(text, Marked) for _path, text in strings(run()))


def test_place_still_takes_three_arguments():
    result = place([{"name": "web"}], [{"name": "n1", "cpus": 1, "memory": "1g"}], {"strategy": "binpack"})
    assert result["services"]["web"]["hosts"] == ["n1"]
