"""Published ports: canonical forms, engine read-back, and messages naming the field."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_ports import (
    normalize_ports, read_ports, write_ports)


def port(container_port, host_port="", host_ip="", protocol="tcp"):
    return {"container_port": container_port, "protocol": protocol, "host_ip": host_ip, "host_port": host_port}


@pytest.mark.parametrize("spelling, expected", [
    ("80", port(80)),
    (80, port(80)),
    ("8080:80", port(80, "8080")),
    ("127.0.0.1:8080:80", port(80, "8080", "127.0.0.1")),
    ("127.0.0.1::80/udp", port(80, "", "127.0.0.1", "udp")),
    ("[::1]:8080:80", port(80, "8080", "::1")),
    ("0.0.0.0:53:53/UDP", port(53, "53", "0.0.0.0", "udp")),
    ({"container_port": 80, "host_port": 8080, "host_ip": "127.0.0.1"}, port(80, "8080", "127.0.0.1")),
    ({"container_port": "9000", "protocol": "sctp"}, port(9000, "", "", "sctp")),
])
def test_port_spellings(spelling, expected):
    assert normalize_ports([spelling], "ports") == [expected]


def test_ports_are_sorted_and_read_back_equal():
    ports = normalize_ports(["127.0.0.1:8081:81", "8000", "[::1]:8082:81", "53/udp"], "ports")
    assert [p["container_port"] for p in ports] == [53, 81, 81, 8000]
    payload = {"config": {}, "host": {}}
    write_ports(ports, payload)
    assert payload["config"]["ports"] == [(53, "udp"), (81, "tcp"), (8000, "tcp")]
    assert payload["host"]["port_bindings"]["81/tcp"] == [("127.0.0.1", 8081), ("::1", 8082)]
    engine = {"HostConfig": {"PortBindings": {
        "53/udp": [{"HostIp": "", "HostPort": ""}], "8000/tcp": [{"HostIp": "", "HostPort": ""}],
        "81/tcp": [{"HostIp": "::1", "HostPort": "8082"}, {"HostIp": "127.0.0.1", "HostPort": "8081"}]}}}
    assert read_ports(engine, None) == ports


def test_no_host_address_means_every_address_not_0_0_0_0():
    # "" binds IPv4 and IPv6; 0.0.0.0 is IPv4 only: they are different settings.
    assert normalize_ports(["8080:80"], "ports") != normalize_ports(["0.0.0.0:8080:80"], "ports")
    assert read_ports({"HostConfig": {"PortBindings": {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}}}, None) == \
        normalize_ports(["8080:80"], "ports")


@pytest.mark.parametrize("ports, message", [
    (["127.0.0.1:99999:80"], "ports[0]: port 99999 is out of range 1-65535"),
    (["0"], "ports[0]: port 0 is out of range 1-65535"),
    (["80", "web"], "ports[1]: cannot parse 'web' as a port (use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL])"),
    (["8000-8010:8000-8010"],
     "ports[0]: cannot parse '8000-8010:8000-8010' as a port (use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL])"),
    (["80/icmp"], "ports[0]: protocol 'icmp' is not one of tcp, udp, sctp"),
    (["1.2.3.999:80:80"], "ports[0]: '1.2.3.999' is not an IP address"),
    ([{"host_port": 80}], "ports[0].container_port: required"),
    ([{"container_port": 80, "hostport": 80}],
     "ports[0]: unknown key(s) hostport (use container_port, host_port, host_ip, protocol)"),
    ([{"container_port": "http"}], "ports[0]: 'http' is not a port number"),
    ([["80"]], "ports[0]: expected a string such as '127.0.0.1:8080:80' or a dictionary, got ['80']"),
    (["127.0.0.1:8080:80", "127.0.0.1:8080:81"], "ports[1]: host port 8080/tcp on 127.0.0.1 is published twice"),
])
def test_bad_ports(ports, message):
    with pytest.raises(FleetError) as error:
        normalize_ports(ports, "ports")
    assert str(error.value) == message


def test_same_host_port_on_other_address_or_protocol_is_fine():
    assert len(normalize_ports(["127.0.0.1:53:53", "127.0.0.2:53:53", "127.0.0.1:53:53/udp"], "ports")) == 3
