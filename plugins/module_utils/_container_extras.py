# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Container options fixed at creation beyond the core table: init, extra hosts, DNS, sysctls, ulimits,
shm size, extra groups, tty and domain name.

Left out, each means "no opinion": the engine's defaults (daemon.json may set init, DNS, default ulimits,
and the shm size reads 64m) never count as a change. All are in the spec hash, so a change recreates.
"""

from __future__ import annotations

import ipaddress
import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import ULIMIT_NAMES, format_size
from ansible_collections.flotilla.fleet.plugins.module_utils._options import (
    Option, parse_size, string_list, string_map)

ULIMIT_SUBOPTIONS = {
    "name": {"type": "str", "required": True},
    "soft": {"type": "int", "required": True},
    "hard": {"type": "int"},
}
_HOSTNAME_RE = re.compile(r"[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?")


def _section(inspected, section):
    return inspected.get(section) or {}


def _read(section, key, empty):
    def read(inspected, context):
        value = _section(inspected, section).get(key)
        return empty if value is None else value
    return read


def _write(section, key):
    def write(value, payload):
        payload[section][key] = value
    return write


def normalize_extra_hosts(value, field):
    hosts = []
    for index, entry in enumerate(string_list(value, field)):
        host, sep, address = entry.partition(":")
        where = "%s[%d]" % (field, index)
        if not sep or not _HOSTNAME_RE.fullmatch(host):
            raise FleetError("%s: %r is not host:ip (such as db.local:127.0.0.1)" % (where, entry))
        if address != "host-gateway":
            try:
                address = str(ipaddress.ip_address(address))
            except ValueError:
                raise FleetError("%s: %r is not an IP address (or host-gateway)" % (where, address))
        hosts.append("%s:%s" % (host, address))
    return hosts


def normalize_dns(value, field):
    servers = []
    for index, entry in enumerate(string_list(value, field)):
        try:
            servers.append(str(ipaddress.ip_address(entry)))
        except ValueError:
            raise FleetError("%s[%d]: %r is not an IP address" % (field, index, entry))
    return servers


def normalize_dns_search(value, field):
    for index, entry in enumerate(string_list(value, field)):
        if not _HOSTNAME_RE.fullmatch(entry):
            raise FleetError("%s[%d]: %r is not a domain name" % (field, index, entry))
    return list(value)


def normalize_dns_opts(value, field):
    for index, entry in enumerate(string_list(value, field)):
        if not entry or " " in entry:
            raise FleetError("%s[%d]: %r is not a resolver option such as ndots:2" % (field, index, entry))
    return list(value)


def normalize_sysctls(value, field):
    sysctls = string_map(value, field)
    for key in sysctls:
        if not re.fullmatch(r"[A-Za-z0-9_]+([./][A-Za-z0-9_-]+)*", key):
            raise FleetError("%s: %r is not a kernel parameter name such as net.core.somaxconn" % (field, key))
    return sysctls


def normalize_ulimits(value, field):
    limits = {}
    for index, entry in enumerate(value):
        where = "%s[%d]" % (field, index)
        name = entry["name"]
        if name not in ULIMIT_NAMES:
            raise FleetError("%s.name: %r is not a ulimit (use one of %s)" % (where, name, ", ".join(ULIMIT_NAMES)))
        if name in limits:
            raise FleetError("%s.name: ulimit %s is listed twice" % (where, name))
        soft = entry["soft"]
        hard = soft if entry.get("hard") is None else entry["hard"]
        if soft < -1 or hard < -1:
            raise FleetError("%s: limits are -1 (unlimited) or more, got soft %d, hard %d" % (where, soft, hard))
        if hard != -1 and (soft == -1 or soft > hard):
            raise FleetError("%s.soft: %d is above the hard limit %d" % (where, soft, hard))
        limits[name] = {"name": name, "soft": soft, "hard": hard}
    return [limits[name] for name in sorted(limits)]


def read_ulimits(inspected, context):
    limits = _section(inspected, "HostConfig").get("Ulimits") or []
    return sorted(({"name": item["Name"], "soft": item["Soft"], "hard": item["Hard"]} for item in limits),
                  key=lambda item: item["name"])


def write_ulimits(value, payload):
    payload["host"]["ulimits"] = [{"Name": item["name"], "Soft": item["soft"], "Hard": item["hard"]}
                                  for item in value]


def ulimits_match(desired, actual):
    # The engine adds the daemon's default ulimits to the container's: only the names asked for count.
    by_name = {item["name"]: item for item in actual or []}
    return all(by_name.get(item["name"]) == item for item in desired)


def normalize_shm_size(value, field):
    size = parse_size(value, field)
    if size <= 0:
        raise FleetError("%s: must be a positive size such as 64m, got %r" % (field, value))
    return size


def normalize_group_add(value, field):
    for index, entry in enumerate(string_list(value, field)):
        if not entry.strip() or ":" in entry:
            raise FleetError("%s[%d]: %r is not a group name or ID" % (field, index, entry))
    return sorted(set(value))


def normalize_domainname(value, field):
    if not _HOSTNAME_RE.fullmatch(value):
        raise FleetError("%s: %r is not a domain name" % (field, value))
    return value


EXTRA_OPTIONS = [
    Option("init", type="bool", read=_read("HostConfig", "Init", False), write=_write("host", "init")),
    Option("extra_hosts", type="list", elements="str", normalize=normalize_extra_hosts,
           read=_read("HostConfig", "ExtraHosts", []), write=_write("host", "extra_hosts"), compare="set"),
    Option("dns", type="list", elements="str", normalize=normalize_dns, read=_read("HostConfig", "Dns", []),
           write=_write("host", "dns")),
    Option("dns_search", type="list", elements="str", normalize=normalize_dns_search,
           read=_read("HostConfig", "DnsSearch", []), write=_write("host", "dns_search")),
    Option("dns_opts", type="list", elements="str", normalize=normalize_dns_opts,
           read=_read("HostConfig", "DnsOptions", []), write=_write("host", "dns_opt"), compare="set"),
    Option("sysctls", type="dict", normalize=normalize_sysctls, read=_read("HostConfig", "Sysctls", {}),
           write=_write("host", "sysctls")),
    Option("ulimits", type="list", elements="dict", suboptions=ULIMIT_SUBOPTIONS, normalize=normalize_ulimits,
           read=read_ulimits, write=write_ulimits, compare=ulimits_match),
    Option("shm_size", normalize=normalize_shm_size, read=_read("HostConfig", "ShmSize", None),
           write=_write("host", "shm_size"), show=format_size),
    Option("group_add", type="list", elements="str", normalize=normalize_group_add,
           read=lambda inspected, context: sorted(set(_section(inspected, "HostConfig").get("GroupAdd") or [])),
           write=_write("host", "group_add")),
    Option("tty", type="bool", read=_read("Config", "Tty", False), write=_write("config", "tty")),
    Option("domainname", normalize=normalize_domainname, read=_read("Config", "Domainname", ""),
           write=_write("config", "domainname")),
]
