"""Bad input: each case gives the exact message, which always starts with the field path."""

from __future__ import annotations

import pytest
from helpers import host, place

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError

HOSTS = [host("h1"), host("h2")]
WEB = {"name": "web"}

SERVICE_CASES = [
    ("not a list", "services: expected a list of service dicts, got str"),
    (["web"], "services[0]: must be a mapping, got str"),
    ([{"replicas": 2}], "services[0].name: required"),
    ([{"name": "my web"}], "services[0].name: invalid name 'my web' (letters, digits, '_', '.', '-')"),
    ([WEB, {"name": "web"}], "services[1].name: duplicate service 'web' (also services[0])"),
    ([{"name": "web", "replicas": -1}], "services[0].replicas: must be an integer >= 0, got -1"),
    ([{"name": "web", "replicas": "3"}], "services[0].replicas: must be an integer >= 0, got '3'"),
    ([{"name": "web", "replicas": True}], "services[0].replicas: must be an integer >= 0, got True"),
    ([{"name": "web", "replica": 2}], "services[0]: unknown key 'replica' (did you mean 'replicas'?)"),
    ([WEB, WEB | {"name": "db", "memory": "12xb"}],
     "services[1].memory: cannot parse '12xb' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ([{"name": "web", "cpus": -0.5}], "services[0].cpus: must not be negative, got -0.5"),
    ([{"name": "web", "resources": {"gpu": -1}}], "services[0].resources.gpu: must be an integer >= 0, got -1"),
    ([{"name": "web", "resources": {"memory": 1}}],
     "services[0].resources.memory: set memory at the service level, not under resources"),
    ([{"name": "web", "ports": [8080, "8080/tcp"]}], "services[0].ports[1]: duplicate host port 8080/tcp"),
    ([{"name": "web", "constraints": ["zone <> a"]}],
     "services[0].constraints[0]: unknown operator '<>' in 'zone <> a' "
     "(use ==, !=, in, not in, exists, not exists, regex, <, <=, >, >=)"),
    ([{"name": "web", "constraints": ["zone == a", "zone == b"]}],
     "services[0].constraints: no host can satisfy 'zone == a' and 'zone == b' at once (label 'zone')"),
    ([{"name": "web", "constraints": "zone == a"}], "services[0].constraints: must be a list, got str"),
    ([{"name": "web", "max_per_host": 0}], "services[0].max_per_host: must be an integer >= 1, got 0"),
    ([{"name": "web", "spread": [{"label": "zone", "max_skew": 0}]}],
     "services[0].spread[0].max_skew: must be an integer >= 1, got 0"),
    ([{"name": "web", "spread": [{"max_skew": 2}]}], "services[0].spread[0].label: must be a non-empty string, got None"),
    ([{"name": "web", "spread": ["zone", "zone"]}], "services[0].spread[1].label: label 'zone' is already spread over"),
    ([{"name": "web", "affinity": ["cahce"]}, {"name": "cache"}],
     "services[0].affinity[0].service: unknown service 'cahce' (did you mean 'cache'?)"),
    ([{"name": "web", "anti_affinity": ["web"]}],
     "services[0].anti_affinity[0].service: a service cannot refer to itself (use max_per_host or distinct_hosts)"),
    ([{"name": "web", "affinity": [{"service": "db", "weight": -5}]}, {"name": "db"}],
     "services[0].affinity[0].weight: must be an integer >= 0, got -5"),
    ([{"name": "web", "preferences": [{"weight": 5}]}],
     "services[0].preferences[0].match: required (a label expression such as 'disk == ssd')"),
    ([{"name": "web", "priority": "high"}], "services[0].priority: must be an integer, got 'high'"),
    ([{"name": "web", "preemption": "yes"}], "services[0].preemption: must be true or false, got 'yes'"),
    ([{"name": "web", "strategy": "random"}], "services[0].strategy: unknown strategy 'random' (use spread or binpack)"),
    ([{"name": "web", "volumes": [""]}], "services[0].volumes[0]: must be a non-empty string, got ''"),
]


@pytest.mark.parametrize("services, message", SERVICE_CASES)
def test_bad_services(services, message):
    with pytest.raises(PlacementError) as error:
        place(services, HOSTS)
    assert str(error.value) == message


HOST_CASES = [
    ([], "hosts: no hosts to place on (give an inventory group or a list of hosts)"),
    ("h1", "hosts: must be a list, got str"),
    ([host("h1"), host("h1")], "hosts[1]: duplicate host 'h1' (also hosts[0])"),
    ([{"name": "h1", "cpus": 2}], "hosts[0]: capacity unknown (memory): gather flotilla.fleet.host_info "
                                  "into flotilla_host_info or set flotilla_cpus and flotilla_memory"),
    ([host("h1", memory="8 gigs")],
     "hosts[0].memory: cannot parse '8 gigs' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ([host("h1", availability="offline")], "hosts[0].availability: must be one of active, drain, pause, got 'offline'"),
    ([host("h1", labels=["zone=a"])], "hosts[0].labels: must be a mapping, got list"),
    ([host("h1", cpu=4)], "hosts[0]: unknown key 'cpu' (use name, cpus, memory, resources, labels, availability, "
                          "reachable, containers, volumes)"),
    ([host("h1", containers=[{"name": "web-1", "service": "web", "replica": 0}])],
     "hosts[0].containers[0].replica: must be an integer >= 1, got 0"),
]


@pytest.mark.parametrize("hosts, message", HOST_CASES)
def test_bad_hosts(hosts, message):
    with pytest.raises(PlacementError) as error:
        place([WEB], hosts)
    assert str(error.value) == message


OPTION_CASES = [
    ({"strategy": "fastest"}, "strategy: unknown strategy 'fastest' (use spread or binpack)"),
    ({"max_moves": -1}, "max_moves: must be an integer >= 0, got -1"),
    ({"seed": "abc"}, "seed: must be an integer, got 'abc'"),
    ({"resource_weights": {"cpus": -1}}, "resource_weights.cpus: must be a number >= 0, got -1"),
    ({"rebalance": "sometimes"}, "rebalance: must be true or false, got 'sometimes'"),
    ({"project": "my shop"}, "project: invalid name 'my shop' (letters, digits, '_', '.', '-')"),
]


@pytest.mark.parametrize("options, message", OPTION_CASES)
def test_bad_options(options, message):
    with pytest.raises(PlacementError) as error:
        place([WEB], HOSTS, options)
    assert str(error.value) == message


def test_there_are_at_least_twenty_bad_inputs():
    assert len(SERVICE_CASES) + len(HOST_CASES) + len(OPTION_CASES) >= 20


def test_an_impossible_placement_is_not_an_error_but_explained():
    result = place([{"name": "web", "constraints": ["zone == mars"]}], HOSTS)
    assert result["unplaced"][0]["message"] == "2 hosts: constraint zone == mars"


@pytest.mark.parametrize("services, hosts, field", [
    ([{**WEB, "cpus": float("nan")}], HOSTS, "services[0].cpus"),
    ([{**WEB, "memory": float("inf")}], HOSTS, "services[0].memory"),
    ([WEB], [host("h1", cpus=float("inf"))], "hosts[0].cpus"),
    ([WEB], [host("h1", memory=float("nan"))], "hosts[0].memory"),
])
def test_nan_and_infinite_quantities_name_the_field(services, hosts, field):
    """Issue 9 defect 8: `.nan` / `.inf` raised a bare ValueError or OverflowError."""
    with pytest.raises(PlacementError) as error:
        place(services, hosts)
    assert str(error.value).startswith(f"{field}: ")
