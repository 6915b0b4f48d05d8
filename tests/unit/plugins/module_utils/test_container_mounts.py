"""Ports, mounts and networks: canonical forms, engine read-back, and messages naming the field."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_mounts import (
    network_mode, normalize_mounts, normalize_networks, normalize_ports, read_mounts, read_networks, read_ports,
    write_mounts, write_ports)


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


def mount(target, kind="volume", source="", read_only=False, **extra):
    return dict({"type": kind, "source": source, "target": target, "read_only": read_only}, **extra)


def test_mounts_normalised_written_and_read_back():
    mounts = normalize_mounts([
        {"type": "tmpfs", "target": "/scratch/", "tmpfs_size": "16m", "tmpfs_mode": "1770", "read_only": False},
        {"type": "volume", "source": "data", "target": "/data", "read_only": False},
        {"type": "bind", "source": "/srv/conf", "target": "/etc/app", "read_only": True},
        {"target": "/anon"},
    ], "mounts")
    assert mounts == [mount("/anon"), mount("/data", source="data"), mount("/etc/app", "bind", "/srv/conf", True),
                      mount("/scratch", "tmpfs", tmpfs_size=16 * 1024 ** 2, tmpfs_mode=0o1770)]
    payload = {"config": {}, "host": {}}
    write_mounts(mounts, payload)
    assert payload["host"]["mounts"][3] == {"Type": "tmpfs", "Source": None, "Target": "/scratch", "ReadOnly": False,
                                            "TmpfsOptions": {"SizeBytes": 16 * 1024 ** 2, "Mode": 0o1770}}
    engine = {"HostConfig": {"Mounts": [
        {"Type": "bind", "Source": "/srv/conf", "Target": "/etc/app", "ReadOnly": True},
        {"Type": "volume", "Source": "data", "Target": "/data"},
        {"Type": "tmpfs", "Target": "/scratch", "TmpfsOptions": {"SizeBytes": 16 * 1024 ** 2, "Mode": 1016}},
        {"Type": "volume", "Target": "/anon"},
    ]}}
    assert read_mounts(engine, None) == mounts


@pytest.mark.parametrize("mounts, message", [
    ([{"type": "volume", "source": "vol", "target": "data"}], "mounts[0].target: 'data' must be an absolute path"),
    ([{"type": "bind", "source": "tmp", "target": "/d"}],
     "mounts[0].source: a bind mount needs an absolute host path, got 'tmp'"),
    ([{"type": "bind", "target": "/d"}], "mounts[0].source: a bind mount needs an absolute host path, got None"),
    ([{"type": "volume", "source": "bad name", "target": "/d"}], "mounts[0].source: 'bad name' is not a valid volume name"),
    ([{"type": "tmpfs", "source": "vol", "target": "/d"}], "mounts[0].source: a tmpfs mount has no source"),
    ([{"type": "volume", "source": "vol", "target": "/d", "tmpfs_size": "1m"}],
     "mounts[0]: tmpfs_size and tmpfs_mode apply to type tmpfs only"),
    ([{"type": "tmpfs", "target": "/d", "tmpfs_mode": "rwx"}],
     "mounts[0].tmpfs_mode: 'rwx' is not an octal mode such as 1777"),
    ([{"type": "tmpfs", "target": "/d", "tmpfs_size": "big"}],
     "mounts[0].tmpfs_size: cannot parse 'big' as a size (use bytes or a number with k, m, g or t, e.g. 512m)"),
    ([{"source": "vol", "target": "/d"}, {"type": "tmpfs", "target": "/d/"}], "mounts[1].target: /d is mounted twice"),
])
def test_bad_mounts(mounts, message):
    with pytest.raises(FleetError) as error:
        normalize_mounts(mounts, "mounts")
    assert str(error.value) == message


def net(name, aliases=(), address=None):
    return {"name": name, "aliases": sorted(aliases), "ipv4_address": address}


def test_networks_keep_the_users_order_and_read_back_as_a_set():
    networks = normalize_networks([{"name": "backend", "aliases": ["db", "db", "api"], "ipv4_address": "10.0.0.5"},
                                   {"name": "bridge"}], "networks")
    assert networks == [net("backend", ["api", "db"], "10.0.0.5"), net("bridge")]
    assert network_mode(networks) == "backend"
    engine = {"Id": "0123456789abcdef", "NetworkSettings": {"Networks": {
        "bridge": {"Aliases": None, "IPAMConfig": None},
        "backend": {"Aliases": ["db", "0123456789ab", "api"], "IPAMConfig": {"IPv4Address": "10.0.0.5"}}}}}
    # The short container ID the engine adds as an alias is not the user's.
    assert read_networks(engine, None) == [net("backend", ["api", "db"], "10.0.0.5"), net("bridge")]


def test_network_mode_default_is_bridge():
    assert network_mode([]) == "bridge"
    engine = {"Id": "x", "HostConfig": {"NetworkMode": "default"},
              "NetworkSettings": {"Networks": {"bridge": {"Aliases": None}}}}
    assert read_networks(engine, None) == [net("bridge")]


@pytest.mark.parametrize("networks, message", [
    ([{"name": "n", "ipv4_address": "10.0.0.300"}], "networks[0].ipv4_address: '10.0.0.300' is not an IPv4 address"),
    ([{"name": "n", "ipv4_address": "fe80::1"}], "networks[0].ipv4_address: 'fe80::1' is not an IPv4 address"),
    ([{"name": "bridge", "ipv4_address": "172.17.0.9"}],
     "networks[0].ipv4_address: static addresses need a user-defined network, not bridge"),
    ([{"name": "n"}, {"name": "n"}], "networks[1].name: network n is listed twice"),
    ([{"name": "n"}, {"name": "host"}], "networks[1].name: network host cannot be combined with other networks"),
])
def test_bad_networks(networks, message):
    with pytest.raises(FleetError) as error:
        normalize_networks(networks, "networks")
    assert str(error.value) == message
