"""Network attachments: canonical forms, engine read-back, and messages naming the field."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_networks import (
    network_mode, normalize_networks, read_networks)


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
