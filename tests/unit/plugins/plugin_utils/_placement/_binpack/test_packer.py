"""Binpack by filling one host at a time."""

from __future__ import annotations

from helpers import host, hosts_of, place


def test_a_replica_waiting_when_a_host_is_emptied_gets_that_host():
    """Issue 9 defect 1: the host-emptying step freed h1 and left web-2 unplaced, "passes every
    filter (a scheduler bug)"."""
    services = [{"name": "web", "replicas": 2, "memory": "512m", "ports": [8080]},
                {"name": "cache", "replicas": 2, "memory": "1g"}]
    hosts = [host("h1", cpus=2, memory="2g"), host("h2", cpus=1, memory="8g")]
    result = place(services, hosts, {"strategy": "binpack"})
    assert result["unplaced"] == []
    assert sorted(hosts_of(result, "web")) == ["h1", "h2"]
