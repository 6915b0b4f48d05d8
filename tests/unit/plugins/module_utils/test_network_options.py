"""Network option table: normalisation, what the engine fills in, combinations, the connected list."""

import pytest

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._network_options import (
    NETWORK_OPTIONS, NetworkContext, check_combinations, config_subnets, normalize_connected, write_ipam)

# As Docker 20.10 reports a bridge network created with only a subnet.
INSPECTED = {
    "Name": "backend", "Id": "n1", "Driver": "bridge", "Scope": "local", "EnableIPv6": False, "Internal": False,
    "Attachable": False, "Options": {}, "Labels": {},
    "IPAM": {"Driver": "default", "Options": {}, "Config": [{"Subnet": "10.20.0.0/24"}]},
}


def params(**given):
    base = {option.name: None for option in NETWORK_OPTIONS.options}
    base.update(given)
    return base


def differences(desired_params, inspected=None):
    inspected = inspected or INSPECTED
    desired = NETWORK_OPTIONS.normalize(params(**desired_params))
    context = NetworkContext(inspected)
    effective = NETWORK_OPTIONS.effective(desired, context)
    return NETWORK_OPTIONS.differences(effective, NETWORK_OPTIONS.actual(inspected, context))


def test_left_out_options_are_not_compared_except_driver_and_booleans():
    inspected = dict(INSPECTED, Labels={"a": "1"}, Options={"com.docker.network.driver.mtu": "1400"})
    assert differences({}, inspected) == []
    assert differences({"driver": "overlay"}) == ["driver"]
    assert differences({}, dict(INSPECTED, Internal=True)) == ["internal"]


def test_engine_gateway_is_not_a_difference_when_left_out():
    engine_filled = dict(INSPECTED, IPAM={"Driver": "default", "Options": None,
                                          "Config": [{"Subnet": "10.20.0.0/24", "Gateway": "10.20.0.1"}]})
    assert differences({"ipam_config": [{"subnet": "10.20.0.0/24"}]}, engine_filled) == []
    assert differences({"ipam_config": [{"subnet": "10.20.0.0/24", "gateway": "10.20.0.254"}]},
                       engine_filled) == ["ipam_config"]
    assert differences({"ipam_config": [{"subnet": "10.21.0.0/24"}]}, engine_filled) == ["ipam_config"]


def test_ipam_configs_compare_in_any_order():
    inspected = dict(INSPECTED, EnableIPv6=True, IPAM={"Driver": "default", "Config": [
        {"Subnet": "fd00:1::/64", "Gateway": "fd00:1::1"}, {"Subnet": "10.20.0.0/24", "Gateway": "10.20.0.1"}]})
    given = {"enable_ipv6": True, "ipam_config": [{"subnet": "10.20.0.0/24"}, {"subnet": "FD00:1::/64"}]}
    assert differences(given, inspected) == []


def test_engine_added_overlay_options_are_ignored_and_encrypted_is_its_own_option():
    inspected = dict(INSPECTED, Driver="overlay", Scope="swarm", Options={
        "com.docker.network.driver.overlay.vxlanid_list": "4097", "encrypted": ""})
    assert differences({"driver": "overlay", "driver_options": {}, "encrypted": True}, inspected) == []
    assert differences({"driver": "overlay"}, inspected) == ["encrypted"]


def test_labels_given_are_compared_exactly():
    inspected = dict(INSPECTED, Labels={"a": "1", "b": "2"})
    assert differences({"labels": {"a": "1"}}, inspected) == ["labels"]
    assert differences({"labels": {"b": 2, "a": "1"}}, inspected) == []


def test_diff_names_only_what_differs():
    desired = NETWORK_OPTIONS.normalize(params(labels={"a": "2"}, internal=True))
    context = NetworkContext(INSPECTED)
    effective = NETWORK_OPTIONS.effective(desired, context)
    actual = NETWORK_OPTIONS.actual(INSPECTED, context)
    names = NETWORK_OPTIONS.differences(effective, actual)
    assert NETWORK_OPTIONS.diff(names, effective, actual) == {
        "before": {"internal": False, "labels": {}}, "after": {"internal": True, "labels": {"a": "2"}}}


@pytest.mark.parametrize("given, message", [
    ({"ipam_config": [{"subnet": "10.0.0.1/24"}]},
     "ipam_config[0].subnet: '10.0.0.1/24' has host bits set; the subnet is 10.0.0.0/24"),
    ({"ipam_config": [{"subnet": "nope"}]},
     "ipam_config[0].subnet: 'nope' is not a subnet in CIDR notation such as 10.10.0.0/24"),
    ({"ipam_config": [{"subnet": "10.0.0.0/24", "gateway": "10.0.1.1"}]},
     "ipam_config[0].gateway: 10.0.1.1 is not inside the subnet 10.0.0.0/24"),
    ({"ipam_config": [{"subnet": "10.0.0.0/24", "ip_range": "10.0.0.0/16"}]},
     "ipam_config[0].ip_range: 10.0.0.0/16 is not inside the subnet 10.0.0.0/24"),
    ({"ipam_config": [{"subnet": "10.0.0.0/24", "aux_addresses": {"r": "10.0.9.9"}}]},
     "ipam_config[0].aux_addresses.r: 10.0.9.9 is not inside the subnet 10.0.0.0/24"),
    ({"ipam_config": [{"subnet": "10.0.0.0/16"}, {"subnet": "10.0.5.0/24"}]},
     "ipam_config[1].subnet: 10.0.5.0/24 overlaps 10.0.0.0/16, given before it"),
    ({"driver_options": {"encrypted": "true"}}, "driver_options.encrypted: use the encrypted option instead"),
    ({"driver_options": {"x": True}}, "driver_options.x: True is a boolean; quote it ('true') so the value is exact"),
    ({"labels": {"": "x"}}, "labels: a label needs a non-empty key"),
])
def test_bad_values_name_the_field(given, message):
    with pytest.raises(FleetError) as error:
        NETWORK_OPTIONS.normalize(params(**given))
    assert str(error.value) == message


@pytest.mark.parametrize("desired, message", [
    ({"encrypted": True}, "encrypted: applies to driver overlay only, not to driver bridge"),
    ({"attachable": True}, "attachable: applies to swarm-scoped networks (driver overlay or scope swarm); every "
                           "container can attach to a local bridge network"),
    ({"driver": "overlay", "scope": "local"}, "scope: driver overlay networks are swarm-scoped, not local"),
    ({"ipam_config": [{"subnet": "fd00::/64"}]},
     "ipam_config[0].subnet: fd00::/64 is an IPv6 subnet; set enable_ipv6: true"),
    ({"driver_options": {"com.docker.network.bridge.name": "br-flotilla-front"}},
     "driver_options.com.docker.network.bridge.name: 'br-flotilla-front' is 17 characters; a Linux interface name "
     "has 1 to 15"),
    ({"driver": "bridge", "driver_options": {"com.docker.network.bridge.name": ""}},
     "driver_options.com.docker.network.bridge.name: '' is 0 characters; a Linux interface name has 1 to 15"),
])
def test_bad_combinations(desired, message):
    with pytest.raises(FleetError) as error:
        check_combinations(desired)
    assert str(error.value) == message


def test_a_bridge_name_of_15_characters_passes_and_other_drivers_ignore_the_option():
    assert check_combinations({"driver_options": {"com.docker.network.bridge.name": "br-flotilla-fro"}}) is False
    assert check_combinations({"driver": "macvlan",
                               "driver_options": {"com.docker.network.bridge.name": "br-flotilla-front"}}) is False


def test_swarm_scoped_combinations_pass():
    assert check_combinations({"driver": "overlay", "encrypted": True, "attachable": True}) is True
    assert check_combinations({"scope": "swarm", "attachable": True}) is True
    assert check_combinations({}) is False


def test_connected_entries_are_sorted_and_keep_no_opinion():
    subnets = config_subnets({"ipam_config": [{"subnet": "10.0.0.0/24"}]})
    entries = normalize_connected([{"name": "web", "aliases": None, "ipv4_address": None},
                                   {"name": "db", "aliases": ["b", "a", "a"], "ipv4_address": "10.0.0.5"}], subnets)
    assert entries == [{"name": "db", "aliases": ["a", "b"], "ipv4_address": "10.0.0.5"},
                       {"name": "web", "aliases": None, "ipv4_address": None}]


@pytest.mark.parametrize("entries, subnets, message", [
    ([{"name": "a"}, {"name": "a"}], None, "connected[1].name: container a is listed twice"),
    ([{"name": "a", "ipv4_address": "10.0.0.5"}], None,
     "connected[0].ipv4_address: a static address needs ipam_config with the subnet it is in"),
    ([{"name": "a", "ipv4_address": "10.1.0.5"}], ["10.0.0.0/24"],
     "connected[0].ipv4_address: 10.1.0.5 is not inside any subnet of ipam_config (10.0.0.0/24)"),
    ([{"name": "a", "ipv4_address": "fd00::5"}], ["10.0.0.0/24"],
     "connected[0].ipv4_address: 'fd00::5' is not an IPv4 address"),
    ([{"name": "a", "aliases": [" "]}], None, "connected[0].aliases[0]: an alias must not be empty"),
])
def test_bad_connected_entries(entries, subnets, message):
    if subnets is not None:
        subnets = config_subnets({"ipam_config": [{"subnet": subnet} for subnet in subnets]})
    with pytest.raises(FleetError) as error:
        normalize_connected([dict({"aliases": None, "ipv4_address": None}, **entry) for entry in entries], subnets)
    assert str(error.value) == message


def test_write_ipam_only_when_given():
    assert write_ipam({"labels": {}}) is None
    desired = NETWORK_OPTIONS.normalize(params(ipam_config=[
        {"subnet": "10.0.0.0/24", "gateway": "10.0.0.254", "ip_range": "10.0.0.128/25",
         "aux_addresses": {"r": "10.0.0.2"}}, {"subnet": "10.1.0.0/24"}]))
    assert write_ipam(desired) == {"Driver": "default", "Options": {}, "Config": [
        {"Subnet": "10.0.0.0/24", "Gateway": "10.0.0.254", "IPRange": "10.0.0.128/25",
         "AuxiliaryAddresses": {"r": "10.0.0.2"}},
        {"Subnet": "10.1.0.0/24"}]}
