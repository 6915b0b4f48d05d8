"""The fleet contract (_fleet.py): names, labels and the size, CPU and port grammars every layer shares."""

import math

import pytest
from hypothesis import given, strategies as st

from ansible_collections.flotilla.fleet.plugins.module_utils import _fleet
from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import CONTAINER_OPTIONS
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import ContractError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import place
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._errors import PlacementError

MIB, GIB = 1024 ** 2, 1024 ** 3
SIZE_HELP = "(use bytes or a number with k, m, g or t, e.g. 512m)"
CPUS_HELP = "(use a number of CPUs such as 0.5 or millicpus such as 500m)"
PORT_HELP = "(use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL])"

# Every spelling either side documents (the container's doc fragment, the placement lookup's docs).
SIZES = [
    ("512m", 512 * MIB), ("512M", 512 * MIB), ("1g", GIB), ("2G", 2 * GIB), ("1.5GiB", 3 * GIB // 2),
    ("512Mi", 512 * MIB), ("256MiB", 256 * MIB), ("8MB", 8 * MIB), ("1gb", GIB), ("8192k", 8 * MIB),
    ("1t", 1024 * GIB), (" 64 m ", 64 * MIB), ("67108864", 64 * MIB), ("67108864b", 64 * MIB), (67108864, 64 * MIB),
]
BAD_SIZES = [
    ("lots", "cannot parse 'lots' as a size " + SIZE_HELP),
    ("8 gigs", "cannot parse '8 gigs' as a size " + SIZE_HELP),
    ("1e9", "cannot parse '1e9' as a size " + SIZE_HELP),
    ("-1g", "cannot parse '-1g' as a size " + SIZE_HELP),
    ("", "cannot parse '' as a size " + SIZE_HELP),
    ("99999999t", "'99999999t' is more than the engine can hold (at most 8 EiB, 2^63-1 bytes)"),
]
CPUS = [(0.5, 500), ("0.5", 500), ("500m", 500), (2, 2000), ("1500m", 1500), (0.25, 250), ("10m", 10)]
BAD_CPUS = [
    ("half", "cannot parse 'half' as cpus " + CPUS_HELP),
    ("1 cpu", "cannot parse '1 cpu' as cpus " + CPUS_HELP),
    ("-1", "cannot parse '-1' as cpus " + CPUS_HELP),
    (-0.5, "must not be negative, got -0.5"),
    (True, "cannot parse True as cpus " + CPUS_HELP),
    (float("nan"), "expected a number of CPUs such as 0.5 or 500m, got nan"),
    (float("inf"), "expected a number of CPUs such as 0.5 or 500m, got inf"),
]
# (spelling, (host port the scheduler reserves, protocol)) for ports with a fixed host port.
PORTS = [("127.0.0.1:8080:80", "8080/tcp"), ("8443:443/udp", "8443/udp"), ("[::1]:9000:9000", "9000/tcp"),
         ({"container_port": 80, "host_port": 8081, "host_ip": "127.0.0.1"}, "8081/tcp")]
BAD_PORTS = [
    ("127.0.0.1:99999:80", "port 99999 is out of range 1-65535"),
    ("web", "cannot parse 'web' as a port " + PORT_HELP),
    ("80/icmp", "protocol 'icmp' is not one of tcp, udp, sctp"),
    ("1.2.3.999:80:80", "'1.2.3.999' is not an IP address"),
]


def _container(option, value):
    return CONTAINER_OPTIONS.normalize({option: value})[option]


def _placed(**service):
    """What the scheduler makes of one service's quantities (via its public entry point)."""
    result = place([dict({"name": "web"}, **service)], [{"name": "h1", "cpus": 64, "memory": "4t"}])
    return result["hosts"]["h1"][0]


def _problem(call, *errors):
    with pytest.raises(errors) as error:
        call()
    return str(error.value).split(": ", 1)[1]


@pytest.mark.parametrize("text, size", SIZES)
def test_every_size_spelling_is_the_same_number_everywhere(text, size):
    assert _fleet.parse_size(text, "memory") == size
    assert _container("memory", text) == size
    assert _placed(memory=text)["memory"] == size


@pytest.mark.parametrize("text, problem", BAD_SIZES)
def test_every_bad_size_is_the_same_error_everywhere(text, problem):
    assert _problem(lambda: _fleet.parse_size(text, "memory"), ContractError) == problem
    assert _problem(lambda: _container("memory", text), FleetError) == problem
    assert _problem(lambda: _placed(memory=text), PlacementError) == problem


@pytest.mark.parametrize("value, millicpus", CPUS)
def test_every_cpu_spelling_is_the_same_number_everywhere(value, millicpus):
    assert _fleet.parse_millicpus(value, "cpus") == millicpus
    assert _container("cpus", value) == millicpus / 1000
    assert _placed(cpus=value)["cpus"] == _fleet.format_cpus(millicpus)


@pytest.mark.parametrize("value, problem", BAD_CPUS)
def test_every_bad_cpu_value_is_the_same_error_everywhere(value, problem):
    assert _problem(lambda: _fleet.parse_millicpus(value, "cpus"), ContractError) == problem
    assert _problem(lambda: _container("cpus", value), FleetError) == problem
    assert _problem(lambda: _placed(cpus=value), PlacementError) == problem


@pytest.mark.parametrize("spelling, host_port", PORTS)
def test_every_port_spelling_gives_the_scheduler_the_containers_host_port(spelling, host_port):
    port = _fleet.parse_port(spelling, "ports[0]")
    assert "%s/%s" % (port["host_port"], port["protocol"]) == host_port
    assert _container("ports", [spelling]) == [port]
    assert _placed(ports=[spelling])["ports"] == [host_port]


@pytest.mark.parametrize("spelling, problem", BAD_PORTS)
def test_every_bad_port_is_the_same_error_everywhere(spelling, problem):
    assert _problem(lambda: _fleet.parse_port(spelling, "ports[0]"), ContractError) == problem
    assert _problem(lambda: _container("ports", [spelling]), FleetError) == problem
    assert _problem(lambda: _placed(ports=[spelling]), PlacementError) == problem


def test_errors_carry_the_field():
    with pytest.raises(ContractError) as error:
        _fleet.parse_size("lots", "services[2].memory")
    assert (error.value.field, error.value.problem) == ("services[2].memory", "cannot parse 'lots' as a size " + SIZE_HELP)
    assert str(error.value) == "services[2].memory: cannot parse 'lots' as a size " + SIZE_HELP
    with pytest.raises(PlacementError, match=r"^services\[0\]\.memory: cannot parse 'lots' as a size"):
        _placed(memory="lots")


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True, None, [1]])
def test_sizes_that_are_no_size(value):
    with pytest.raises(ContractError) as error:
        _fleet.parse_size(value, "memory")
    assert str(error.value) == "memory: expected a size such as 512m or 1g, got %r" % (value,)


def test_the_smallest_cpu_amount_is_said():
    with pytest.raises(ContractError) as error:
        _fleet.parse_millicpus(0.0001, "cpus")
    assert str(error.value) == "cpus: 0.0001 is below 0.001 (1m), the smallest amount of CPU"
    with pytest.raises(ContractError) as error:
        _fleet.parse_millicpus("5m", "cpus", 10, "the smallest CPU limit the engine applies")
    assert str(error.value) == "cpus: 5m is below 0.01 (10m), the smallest CPU limit the engine applies"
    assert _fleet.parse_millicpus(0, "cpus") == 0  # none asked for is not an amount below the smallest


@given(st.integers(min_value=0, max_value=2 ** 40))
def test_sizes_read_back_from_their_shown_form(size):
    assert _fleet.parse_size(_fleet.format_size(size), "memory") == size


@given(st.integers(min_value=0, max_value=10 ** 6))
def test_cpus_round_trip_through_their_forms(millicpus):
    assert _fleet.parse_millicpus(_fleet.format_cpus(millicpus), "cpus") == millicpus
    assert _fleet.parse_millicpus("%dm" % millicpus, "cpus") == millicpus
    cpus = millicpus / 1000
    assert _fleet.cpus_from_nano(_fleet.nano_cpus(cpus)) == (cpus or None)


def test_format_size_uses_the_largest_exact_unit():
    assert [_fleet.format_size(size) for size in (256 * MIB, 3 * GIB // 2, 1000, 0, 2 * 1024 * GIB)] == [
        "256m", "1536m", "1000", "0", "2t"]


@pytest.mark.parametrize("item, port", [
    ("80", {"container_port": 80, "protocol": "tcp", "host_ip": "", "host_port": ""}),
    (80, {"container_port": 80, "protocol": "tcp", "host_ip": "", "host_port": ""}),
    ("127.0.0.1::53/UDP", {"container_port": 53, "protocol": "udp", "host_ip": "127.0.0.1", "host_port": ""}),
    ({"container_port": "9000", "host_port": 9001, "protocol": "sctp"},
     {"container_port": 9000, "protocol": "sctp", "host_ip": "", "host_port": "9001"}),
])
def test_port_grammar(item, port):
    assert _fleet.parse_port(item, "ports[0]") == port


def test_container_name_and_labels():
    assert _fleet.container_name("shop", "web", 2) == "shop-web-2"
    assert _fleet.stack_of({_fleet.LEGACY_PROJECT_LABEL: "old"}) == "old"
    assert _fleet.stack_of({_fleet.STACK_LABEL: "new", _fleet.LEGACY_PROJECT_LABEL: "old"}) == "new"
    assert math.isclose(_fleet.cpus_from_nano(1500000000), 1.5) and _fleet.cpus_from_nano(0) is None
