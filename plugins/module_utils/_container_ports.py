# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Published ports: the container's ``ports`` option.

The grammar (``[HOST_IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`` or a dict) is the fleet contract's,
shared with the scheduler. The canonical form is sorted with engine defaults spelled out, and what
the engine reports is read into it, so comparing is plain equality.
"""

from __future__ import annotations

from ansible_collections.flotilla.fleet.plugins.module_utils import _fleet
from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._options import contract


def _sorted(ports):
    return sorted(ports, key=lambda port: (port["container_port"], port["protocol"], port["host_ip"],
                                           port["host_port"]))


def normalize_ports(value, field):
    ports = [contract(_fleet.parse_port, item, "%s[%d]" % (field, index)) for index, item in enumerate(value)]
    seen = set()
    for index, port in enumerate(ports):
        key = (port["host_ip"], port["host_port"], port["protocol"])
        if port["host_port"] and key in seen:
            raise FleetError("%s[%d]: host port %s/%s on %s is published twice"
                             % (field, index, port["host_port"], port["protocol"], port["host_ip"]))
        seen.add(key)
    return _sorted(ports)


def read_ports(inspected, context):
    bindings = (inspected.get("HostConfig") or {}).get("PortBindings") or {}
    ports = []
    for key, hosts in bindings.items():
        number, protocol = key.split("/", 1) if "/" in key else (key, "tcp")
        for host in hosts or [{}]:
            ports.append({"container_port": int(number), "protocol": protocol or "tcp",
                          "host_ip": contract(_fleet.parse_host_ip, host.get("HostIp"), "PortBindings"),
                          "host_port": host.get("HostPort") or ""})
    return _sorted(ports)


def write_ports(value, payload):
    payload["config"]["ports"] = sorted({(port["container_port"], port["protocol"]) for port in value})
    bindings = {}
    for port in value:
        key = "%d/%s" % (port["container_port"], port["protocol"])
        bindings.setdefault(key, []).append((port["host_ip"], int(port["host_port"]) if port["host_port"] else None))
    payload["host"]["port_bindings"] = bindings
