from __future__ import annotations

import pytest
from helpers import GIB, MIB

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._quantities import (
    format_cpus, parse_count, parse_cpus, parse_memory, parse_port)

MEMORY_HELP = "(use bytes or a number with k, m, g or t, e.g. 512m)"


@pytest.mark.parametrize("text, expected", [
    (1024, 1024), (0, 0), ("1024", 1024), ("100b", 100), ("1k", 1024), ("512m", 512 * MIB),
    ("512M", 512 * MIB), ("256Mi", 256 * MIB), ("256MiB", 256 * MIB), ("1g", GIB), ("2G", 2 * GIB),
    ("1gb", GIB), ("1.5GiB", 3 * GIB // 2), ("1t", 1024 * GIB), (" 8g ", 8 * GIB), (2.0 * GIB, 2 * GIB),
])
def test_memory_sizes_use_powers_of_1024(text, expected):
    assert parse_memory(text, "m") == expected


@pytest.mark.parametrize("text", ["12xb", "g", "1.5.2g", "-1g", "8 gigs", "", "1e9"])
def test_memory_garbage_is_rejected_with_the_field_path(text):
    with pytest.raises(PlacementError) as error:
        parse_memory(text, "services[2].memory")
    assert str(error.value) == f"services[2].memory: cannot parse {text!r} as a size {MEMORY_HELP}"


def test_negative_memory_number_is_rejected():
    with pytest.raises(PlacementError, match=r"^services\[0\].memory: must not be negative, got -5$"):
        parse_memory(-5, "services[0].memory")


@pytest.mark.parametrize("value, millicpus", [
    (1, 1000), (0.5, 500), (0.1, 100), ("2", 2000), ("0.25", 250), ("500m", 500), ("1500m", 1500),
])
def test_cpus_become_millicpus(value, millicpus):
    assert parse_cpus(value, "c") == millicpus


@pytest.mark.parametrize("value", ["half", "1 cpu", "-1", True])
def test_cpus_garbage_is_rejected(value):
    with pytest.raises(PlacementError) as error:
        parse_cpus(value, "services[1].cpus")
    assert str(error.value) == (
        f"services[1].cpus: cannot parse {value!r} as cpus (use a number of CPUs such as 0.5 or millicpus such as 500m)"
    )


@pytest.mark.parametrize("value, problem", [
    (float("nan"), "expected a number of CPUs such as 0.5 or 500m, got nan"),
    (float("inf"), "expected a number of CPUs such as 0.5 or 500m, got inf"),
    (0.0001, "0.0001 is below 0.001 (1m), the smallest amount of CPU"),
])
def test_cpus_that_are_no_amount_are_rejected(value, problem):
    with pytest.raises(PlacementError) as error:
        parse_cpus(value, "services[1].cpus")
    assert str(error.value) == f"services[1].cpus: {problem}"


@pytest.mark.parametrize("value", [float("nan"), float("-inf")])
def test_memory_that_is_no_size_is_rejected(value):
    with pytest.raises(PlacementError) as error:
        parse_memory(value, "services[1].memory")
    assert str(error.value) == f"services[1].memory: expected a size such as 512m or 1g, got {value!r}"


def test_format_cpus_round_trips():
    assert format_cpus(2000) == 2 and format_cpus(1500) == 1.5 and format_cpus(0) == 0


@pytest.mark.parametrize("value, port", [
    (80, "80/tcp"), ("8080", "8080/tcp"), ("53/udp", "53/udp"), ("53/UDP", "53/udp"),
    # The container's spelling: the host port is the one the scheduler reserves.
    ("127.0.0.1:8080:80", "8080/tcp"), ("8443:443/udp", "8443/udp"), ({"container_port": 80, "host_port": 81}, "81/tcp"),
])
def test_ports_are_normalised(value, port):
    assert parse_port(value, "p") == port


@pytest.mark.parametrize("value, problem", [
    (0, "port 0 is out of range 1-65535"),
    (65536, "port 65536 is out of range 1-65535"),
    ("http", "cannot parse 'http' as a port (use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL])"),
    ("80/icmp", "protocol 'icmp' is not one of tcp, udp, sctp"),
    (None, "expected a string such as '127.0.0.1:8080:80' or a dictionary, got None"),
    ("127.0.0.1::80", "'127.0.0.1::80' takes any free host port; list only fixed host ports here"),
])
def test_bad_ports_are_rejected(value, problem):
    with pytest.raises(PlacementError) as error:
        parse_port(value, "services[0].ports[1]")
    assert str(error.value) == f"services[0].ports[1]: {problem}"


def test_counts_are_whole_and_never_negative():
    assert parse_count(2, "r") == 2
    for bad in (-1, 1.5, "2", True):
        with pytest.raises(PlacementError, match=r"^services\[0\].resources.gpu: must be an integer >= 0"):
            parse_count(bad, "services[0].resources.gpu")
