# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The network option table and the ``connected`` list: every option of flotilla.fleet.network, declared once.

``context`` in the callbacks is a :class:`NetworkContext`: the network as the engine reports it (or None),
so what the engine fills in by itself (a gateway, a VXLAN ID) is not taken for a difference.

Docker cannot change any of these options on an existing network: every difference needs a recreate.
"""

from __future__ import annotations

import ipaddress

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._options import (
    Option, OptionTable, named_entries, parse_ipv4, string_map)
from ansible_collections.flotilla.fleet.plugins.module_utils._resource import labels

# Networks every engine (or swarm) has; they are the engine's, not ours to create, change or remove.
PREDEFINED = ("bridge", "host", "none", "ingress", "docker_gwbridge")
ENCRYPTED_KEY = "encrypted"
# Driver options the engine adds on its own; kept out of the comparison unless the user gives them.
ENGINE_ADDED_OPTIONS = ("com.docker.network.driver.overlay.vxlanid_list",)
SWARM_DRIVERS = ("overlay",)
# The bridge driver names its Linux interface after this option. Linux allows 15 characters (IFNAMSIZ - 1); the
# engine refuses a longer one in its own words ("failed to check bridge interface existence: numerical result
# out of range"), which name no option.
BRIDGE_NAME_KEY = "com.docker.network.bridge.name"
MAX_INTERFACE_NAME = 15

IPAM_CONFIG_SUBOPTIONS = {
    "subnet": {"type": "str", "required": True},
    "gateway": {"type": "str"},
    "ip_range": {"type": "str"},
    "aux_addresses": {"type": "dict"},
}
CONNECTED_SUBOPTIONS = {
    "name": {"type": "str", "required": True},
    "aliases": {"type": "list", "elements": "str"},
    "ipv4_address": {"type": "str"},
}


class NetworkContext:
    """The network as the engine reports it; None when it does not exist yet."""

    def __init__(self, inspected):
        self.inspected = inspected or {}


def _false(context):
    return False


def _read(key, default=None):
    return lambda inspected, context: inspected.get(key) or default


def _read_ipam(key, default=None):
    return lambda inspected, context: (inspected.get("IPAM") or {}).get(key) or default


def _driver_options(value, field):
    options = string_map(value, field)
    if ENCRYPTED_KEY in options:
        raise FleetError("%s.%s: use the encrypted option instead" % (field, ENCRYPTED_KEY))
    return options


def _read_driver_options(inspected, context):
    options = dict(inspected.get("Options") or {})
    options.pop(ENCRYPTED_KEY, None)
    return options


def _merge_driver_options(value, context):
    actual = _read_driver_options(context.inspected, context)
    merged = {key: actual[key] for key in ENGINE_ADDED_OPTIONS if key in actual}
    merged.update(value)
    return merged


def _read_encrypted(inspected, context):
    return ENCRYPTED_KEY in (inspected.get("Options") or {})


def _network(text, field):
    try:
        return ipaddress.ip_network(text, strict=True)
    except ValueError:
        pass
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        raise FleetError("%s: %r is not a subnet in CIDR notation such as 10.10.0.0/24" % (field, text))
    raise FleetError("%s: %r has host bits set; the subnet is %s" % (field, text, loose))


def _address_in(text, subnet, field):
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise FleetError("%s: %r is not an IP address" % (field, text))
    if address not in subnet:
        raise FleetError("%s: %s is not inside the subnet %s" % (field, address, subnet))
    return str(address)


def _ipam_config(value, field):
    configs, subnets = [], []
    for index, item in enumerate(value):
        where = "%s[%d]" % (field, index)
        subnet = _network(item["subnet"], where + ".subnet")
        for other in subnets:
            if subnet.version == other.version and subnet.overlaps(other):
                raise FleetError("%s.subnet: %s overlaps %s, given before it" % (where, subnet, other))
        subnets.append(subnet)
        config = {"subnet": str(subnet), "gateway": None, "ip_range": None, "aux_addresses": {}}
        if item.get("gateway") is not None:
            config["gateway"] = _address_in(item["gateway"], subnet, where + ".gateway")
        if item.get("ip_range") is not None:
            ip_range = _network(item["ip_range"], where + ".ip_range")
            if not (ip_range.version == subnet.version and ip_range.subnet_of(subnet)):
                raise FleetError("%s.ip_range: %s is not inside the subnet %s" % (where, ip_range, subnet))
            config["ip_range"] = str(ip_range)
        aux = string_map(item.get("aux_addresses") or {}, where + ".aux_addresses")
        config["aux_addresses"] = {host: _address_in(address, subnet, "%s.aux_addresses.%s" % (where, host))
                                   for host, address in aux.items()}
        configs.append(config)
    return sorted(configs, key=lambda config: config["subnet"])


def _read_ipam_config(inspected, context):
    configs = []
    for item in (inspected.get("IPAM") or {}).get("Config") or []:
        configs.append({"subnet": item.get("Subnet"), "gateway": item.get("Gateway") or None,
                        "ip_range": item.get("IPRange") or None,
                        "aux_addresses": dict(item.get("AuxiliaryAddresses") or {})})
    return sorted(configs, key=lambda config: config["subnet"] or "")


def _merge_ipam_config(value, context):
    # Left out, the gateway is the engine's pick (the subnet's first address); the user has no opinion on it.
    actual = {config["subnet"]: config for config in _read_ipam_config(context.inspected, context)}
    merged = []
    for config in value:
        config = dict(config)
        if config["gateway"] is None and config["subnet"] in actual:
            config["gateway"] = actual[config["subnet"]]["gateway"]
        merged.append(config)
    return merged


def write_ipam(desired):
    """The IPAM section of a create call, or None to let the engine choose everything."""
    if not any(key in desired for key in ("ipam_driver", "ipam_driver_options", "ipam_config")):
        return None
    ipam = {"Driver": desired.get("ipam_driver", "default"), "Options": desired.get("ipam_driver_options") or {},
            "Config": []}
    for config in desired.get("ipam_config") or []:
        pool = {"Subnet": config["subnet"]}
        if config["gateway"]:
            pool["Gateway"] = config["gateway"]
        if config["ip_range"]:
            pool["IPRange"] = config["ip_range"]
        if config["aux_addresses"]:
            pool["AuxiliaryAddresses"] = config["aux_addresses"]
        ipam["Config"].append(pool)
    return ipam


NETWORK_OPTIONS = OptionTable([
    Option("driver", normalize=lambda value, field: value.strip(), unset=lambda context: "bridge",
           read=_read("Driver")),
    Option("driver_options", type="dict", normalize=_driver_options, merge=_merge_driver_options,
           read=_read_driver_options),
    Option("internal", type="bool", unset=_false, read=_read("Internal", False)),
    Option("attachable", type="bool", unset=_false, read=_read("Attachable", False)),
    Option("encrypted", type="bool", unset=_false, read=_read_encrypted),
    Option("enable_ipv6", type="bool", unset=_false, read=_read("EnableIPv6", False)),
    Option("ipam_driver", read=_read_ipam("Driver", "default")),
    Option("ipam_driver_options", type="dict", normalize=string_map, read=_read_ipam("Options", {})),
    Option("ipam_config", type="list", elements="dict", suboptions=IPAM_CONFIG_SUBOPTIONS,
           normalize=_ipam_config, merge=_merge_ipam_config, read=_read_ipam_config),
    Option("labels", type="dict", normalize=labels, read=_read("Labels", {})),
    Option("scope", choices=["local", "swarm", "global"], read=_read("Scope")),
])


def check_combinations(desired, field_prefix=""):
    """Option combinations the engine would reject or silently ignore."""
    driver = desired.get("driver", "bridge")
    swarm_scoped = driver in SWARM_DRIVERS or desired.get("scope") == "swarm"
    if desired.get("encrypted") and driver != "overlay":
        raise FleetError("%sencrypted: applies to driver overlay only, not to driver %s" % (field_prefix, driver))
    if desired.get("attachable") and not swarm_scoped:
        raise FleetError("%sattachable: applies to swarm-scoped networks (driver overlay or scope swarm); "
                         "every container can attach to a local %s network" % (field_prefix, driver))
    if driver in SWARM_DRIVERS and desired.get("scope") == "local":
        raise FleetError("%sscope: driver %s networks are swarm-scoped, not local" % (field_prefix, driver))
    bridge = (desired.get("driver_options") or {}).get(BRIDGE_NAME_KEY)
    if driver == "bridge" and bridge is not None and not 0 < len(bridge) <= MAX_INTERFACE_NAME:
        raise FleetError("%sdriver_options.%s: %r is %d characters; a Linux interface name has 1 to %d"
                         % (field_prefix, BRIDGE_NAME_KEY, bridge, len(bridge), MAX_INTERFACE_NAME))
    configs = desired.get("ipam_config") or []
    if not desired.get("enable_ipv6"):
        for index, config in enumerate(configs):
            if ipaddress.ip_network(config["subnet"]).version == 6:
                raise FleetError("%sipam_config[%d].subnet: %s is an IPv6 subnet; set enable_ipv6: true"
                                 % (field_prefix, index, config["subnet"]))
    return swarm_scoped


def normalize_connected(value, subnets, field="connected"):
    """The containers to attach: sorted by name; aliases None / ipv4_address None mean "no opinion"."""
    entries = []
    for where, item in named_entries(value, field, "container"):
        aliases = item.get("aliases")
        if aliases is not None:
            for position, alias in enumerate(aliases):
                if not alias or not alias.strip():
                    raise FleetError("%s.aliases[%d]: an alias must not be empty" % (where, position))
            aliases = sorted(set(aliases))
        address = item.get("ipv4_address")
        if address is not None:
            address = parse_ipv4(address, where + ".ipv4_address")
            if subnets is None:
                raise FleetError("%s.ipv4_address: a static address needs ipam_config with the subnet it is in"
                                 % where)
            if not any(ipaddress.ip_address(address) in subnet for subnet in subnets):
                raise FleetError("%s.ipv4_address: %s is not inside any subnet of ipam_config (%s)"
                                 % (where, address, ", ".join(str(subnet) for subnet in subnets)))
        entries.append({"name": item["name"], "aliases": aliases, "ipv4_address": address})
    return sorted(entries, key=lambda entry: entry["name"])


def config_subnets(desired):
    if "ipam_config" not in desired:
        return None
    return [ipaddress.ip_network(config["subnet"]) for config in desired["ipam_config"]]
