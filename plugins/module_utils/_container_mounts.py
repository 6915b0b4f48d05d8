# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Ports, mounts and network attachments: the structured container options.

Each has a canonical form (sorted, engine defaults spelled out) that both what the user wrote and
what the engine reports are turned into, so comparing them is plain equality.
"""

from __future__ import annotations

import ipaddress
import posixpath
import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._options import named_entries, parse_ipv4, parse_size

# Networks the engine provides, which take no aliases or static addresses.
SPECIAL_NETWORKS = ("bridge", "host", "none")
MOUNT_SUBOPTIONS = {
    "type": {"type": "str", "choices": ["volume", "bind", "tmpfs"], "default": "volume"},
    "source": {"type": "str"},
    "target": {"type": "str", "required": True},
    "read_only": {"type": "bool", "default": False},
    "tmpfs_size": {"type": "str"},
    "tmpfs_mode": {"type": "str"},
}
NETWORK_SUBOPTIONS = {
    "name": {"type": "str", "required": True},
    "aliases": {"type": "list", "elements": "str"},
    "ipv4_address": {"type": "str"},
}

_PORT_RE = re.compile(r"^(?:(?:(?P<ip>\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?P<host>\d*):)?(?P<port>\d+)(?:/(?P<proto>\w+))?$")
_VOLUME_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]+$")


def _port_number(value, field, allow_empty=False):
    if value in ("", None) and allow_empty:
        return ""
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise FleetError("%s: %r is not a port number" % (field, value))
    if not 1 <= number <= 65535:
        raise FleetError("%s: port %d is out of range 1-65535" % (field, number))
    return number


def _host_ip(value, field):
    # Left out, the engine binds every address, IPv4 and IPv6 ("" in PortBindings); 0.0.0.0 is IPv4 only.
    if not value:
        return ""
    text = value.strip("[]")
    try:
        return str(ipaddress.ip_address(text))
    except ValueError:
        raise FleetError("%s: %r is not an IP address" % (field, value))


def _one_port(item, field):
    if isinstance(item, int) and not isinstance(item, bool):
        item = str(item)
    if isinstance(item, str):
        match = _PORT_RE.match(item.strip())
        if not match:
            raise FleetError("%s: cannot parse %r as a port (use [HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL])"
                             % (field, item))
        parts = match.groupdict()
    elif isinstance(item, dict):
        unknown = set(item) - {"container_port", "host_port", "host_ip", "protocol"}
        if unknown:
            raise FleetError("%s: unknown key(s) %s (use container_port, host_port, host_ip, protocol)"
                             % (field, ", ".join(sorted(unknown))))
        if item.get("container_port") is None:
            raise FleetError("%s.container_port: required" % field)
        parts = {"ip": item.get("host_ip"), "host": item.get("host_port"), "port": item["container_port"],
                 "proto": item.get("protocol")}
    else:
        raise FleetError("%s: expected a string such as '127.0.0.1:8080:80' or a dictionary, got %r" % (field, item))
    protocol = (parts["proto"] or "tcp").lower()
    if protocol not in ("tcp", "udp", "sctp"):
        raise FleetError("%s: protocol %r is not one of tcp, udp, sctp" % (field, protocol))
    host_port = _port_number(parts["host"], field, allow_empty=True)
    return {
        "container_port": _port_number(parts["port"], field),
        "protocol": protocol,
        "host_ip": _host_ip(parts["ip"], field),
        "host_port": str(host_port),
    }


def normalize_ports(value, field):
    ports = [_one_port(item, "%s[%d]" % (field, index)) for index, item in enumerate(value)]
    seen = set()
    for index, port in enumerate(ports):
        key = (port["host_ip"], port["host_port"], port["protocol"])
        if port["host_port"] and key in seen:
            raise FleetError("%s[%d]: host port %s/%s on %s is published twice"
                             % (field, index, port["host_port"], port["protocol"], port["host_ip"]))
        seen.add(key)
    return sorted(ports, key=lambda port: (port["container_port"], port["protocol"], port["host_ip"],
                                           port["host_port"]))


def read_ports(inspected, context):
    bindings = (inspected.get("HostConfig") or {}).get("PortBindings") or {}
    ports = []
    for key, hosts in bindings.items():
        number, protocol = key.split("/", 1) if "/" in key else (key, "tcp")
        for host in hosts or [{}]:
            ports.append({"container_port": int(number), "protocol": protocol or "tcp",
                          "host_ip": _host_ip(host.get("HostIp"), "PortBindings"),
                          "host_port": host.get("HostPort") or ""})
    return sorted(ports, key=lambda port: (port["container_port"], port["protocol"], port["host_ip"],
                                           port["host_port"]))


def write_ports(value, payload):
    payload["config"]["ports"] = sorted({(port["container_port"], port["protocol"]) for port in value})
    bindings = {}
    for port in value:
        key = "%d/%s" % (port["container_port"], port["protocol"])
        bindings.setdefault(key, []).append((port["host_ip"], int(port["host_port"]) if port["host_port"] else None))
    payload["host"]["port_bindings"] = bindings


def normalize_mounts(value, field):
    mounts, targets = [], set()
    for index, item in enumerate(value):
        where = "%s[%d]" % (field, index)
        target = item.get("target")
        if not isinstance(target, str) or not posixpath.isabs(target):
            raise FleetError("%s.target: %r must be an absolute path" % (where, target))
        target = posixpath.normpath(target)
        if target in targets:
            raise FleetError("%s.target: %s is mounted twice" % (where, target))
        targets.add(target)
        kind, source = item.get("type") or "volume", item.get("source")
        mount = {"type": kind, "source": source or "", "target": target, "read_only": bool(item.get("read_only"))}
        if kind == "bind" and not (source and posixpath.isabs(source)):
            raise FleetError("%s.source: a bind mount needs an absolute host path, got %r" % (where, source))
        if kind == "volume" and source and not _VOLUME_NAME_RE.match(source):
            raise FleetError("%s.source: %r is not a valid volume name" % (where, source))
        if kind == "tmpfs":
            if source:
                raise FleetError("%s.source: a tmpfs mount has no source" % where)
            if item.get("tmpfs_size") is not None:
                mount["tmpfs_size"] = parse_size(item["tmpfs_size"], where + ".tmpfs_size")
            if item.get("tmpfs_mode") is not None:
                try:
                    mount["tmpfs_mode"] = int(str(item["tmpfs_mode"]), 8)
                except ValueError:
                    raise FleetError("%s.tmpfs_mode: %r is not an octal mode such as 1777" % (where, item["tmpfs_mode"]))
        elif item.get("tmpfs_size") is not None or item.get("tmpfs_mode") is not None:
            raise FleetError("%s: tmpfs_size and tmpfs_mode apply to type tmpfs only" % where)
        mounts.append(mount)
    return sorted(mounts, key=lambda mount: mount["target"])


def read_mounts(inspected, context):
    mounts = []
    for item in (inspected.get("HostConfig") or {}).get("Mounts") or []:
        mount = {"type": item.get("Type"), "source": item.get("Source") or "",
                 "target": posixpath.normpath(item.get("Target") or "/"), "read_only": bool(item.get("ReadOnly"))}
        tmpfs = item.get("TmpfsOptions") or {}
        if tmpfs.get("SizeBytes"):
            mount["tmpfs_size"] = tmpfs["SizeBytes"]
        if tmpfs.get("Mode"):
            mount["tmpfs_mode"] = tmpfs["Mode"]
        mounts.append(mount)
    return sorted(mounts, key=lambda mount: mount["target"])


def write_mounts(value, payload):
    payload["host"]["mounts"] = [
        {"Type": mount["type"], "Source": mount["source"] or None, "Target": mount["target"],
         "ReadOnly": mount["read_only"],
         **({"TmpfsOptions": {key: mount[name] for key, name in (("SizeBytes", "tmpfs_size"), ("Mode", "tmpfs_mode"))
                              if name in mount}} if mount["type"] == "tmpfs" else {})}
        for mount in value
    ]


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
