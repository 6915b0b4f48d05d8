# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Network attachments: the container's ``networks`` option, changed in place by (dis)connecting.

The canonical form spells out the engine's defaults (the bridge network, no aliases) and what the
engine reports is read into it, without the aliases the engine adds by itself.
"""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._options import named_entries, parse_ipv4

# Networks the engine provides, which take no aliases or static addresses.
SPECIAL_NETWORKS = ("bridge", "host", "none")
NETWORK_SUBOPTIONS = {
    "name": {"type": "str", "required": True},
    "aliases": {"type": "list", "elements": "str"},
    "ipv4_address": {"type": "str"},
}


def normalize_networks(value, field):
    networks = []
    for where, item in named_entries(value, field, "network"):
        name = item["name"]
        address = item.get("ipv4_address")
        if address is not None:
            address = parse_ipv4(address, where + ".ipv4_address")
            if name in SPECIAL_NETWORKS:
                raise FleetError("%s.ipv4_address: static addresses need a user-defined network, not %s"
                                 % (where, name))
        if name in ("host", "none") and len(value) > 1:
            raise FleetError("%s.name: network %s cannot be combined with other networks" % (where, name))
        networks.append({"name": name, "aliases": sorted(set(item.get("aliases") or [])), "ipv4_address": address})
    # In the user's order: the first one is attached at creation (compared as a set).
    return networks


def default_networks(context):
    return [{"name": "bridge", "aliases": [], "ipv4_address": None}]


def read_networks(inspected, context):
    short_id = (inspected.get("Id") or "")[:12]
    attached = ((inspected.get("NetworkSettings") or {}).get("Networks")) or {}
    networks = []
    for name, endpoint in attached.items():
        endpoint = endpoint or {}
        # The engine adds the short container ID as an alias on user-defined networks.
        aliases = sorted({alias for alias in endpoint.get("Aliases") or [] if alias != short_id})
        address = (endpoint.get("IPAMConfig") or {}).get("IPv4Address") or None
        networks.append({"name": name, "aliases": aliases, "ipv4_address": address})
    return sorted(networks, key=lambda network: network["name"])


def endpoint_matches(wanted, actual):
    """An attachment is as wanted when aliases match and, if a static address was asked for, it matches.

    Without one, the engine's own allocation counts as fine: swarm-scoped (overlay) attachments report
    their dynamically allocated address in IPAMConfig too.
    """
    return (actual is not None and wanted["aliases"] == actual["aliases"]
            and wanted["ipv4_address"] in (None, actual["ipv4_address"]))


def networks_match(wanted, actual):
    actual_by_name = {network["name"]: network for network in actual or []}
    return (len(wanted) == len(actual_by_name)
            and all(endpoint_matches(network, actual_by_name.get(network["name"])) for network in wanted))


def network_mode(networks):
    """The NetworkMode a create call needs: the first network, as the engine reports it back."""
    return networks[0]["name"] if networks else "bridge"
