# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Readers of what the engine returns: list entries and inspect results, read in one place.

Works on both shapes the engine returns for a container: an inspect result (State is a dict, ports under
NetworkSettings) and a list entry (State is a string, health only in Status, ports in Ports). Used by the
container converger, ``host_info``, ``network``, ``volume`` and ``swarm``. Pure functions, no Docker import.
"""

from __future__ import annotations

import re

_HEALTH_RE = re.compile(r"\((?:health: )?(healthy|unhealthy|starting)\)")


def state_of(container):
    """running, exited, created, paused, ... from an inspect result or a list entry."""
    state = container.get("State")
    return state if isinstance(state, str) else (state or {}).get("Status")


def health_of(container):
    """healthy, unhealthy, starting, or None when the container has no healthcheck."""
    state = container.get("State")
    if isinstance(state, dict):
        return ((state.get("Health") or {}).get("Status")) or None
    found = _HEALTH_RE.search(container.get("Status") or "")
    return found.group(1) if found else None


def has_healthcheck(container):
    test = ((container.get("Config") or {}).get("Healthcheck") or {}).get("Test")
    return bool(test) and test != ["NONE"]


def name_of(entry):
    """A container's name from a list entry (``Names: [/x]``) or an inspect result (``Name: /x``)."""
    if entry.get("Names"):
        return entry["Names"][0].lstrip("/")
    if entry.get("Name"):
        return entry["Name"].lstrip("/")
    return (entry.get("Id") or "")[:12]


def labels_from_pairs(pairs):
    """``["a=1", "b"]`` (engine labels, env) -> ``{"a": "1", "b": ""}``."""
    return dict(pair.split("=", 1) if "=" in pair else (pair, "") for pair in pairs or [])


def cpus_of(host_config):
    """The CPU limit a container was given, in cpus (NanoCpus, else quota/period), or None."""
    host = host_config or {}
    if host.get("NanoCpus"):
        return round(host["NanoCpus"] / 1e9, 3)
    if (host.get("CpuQuota") or 0) > 0 and (host.get("CpuPeriod") or 0) > 0:
        return round(host["CpuQuota"] / float(host["CpuPeriod"]), 3)
    return None


def memory_of(host_config):
    """The memory a container was given, in bytes: its limit, else its soft reservation, or None."""
    host = host_config or {}
    return next((host[key] for key in ("Memory", "MemoryReservation") if (host.get(key) or 0) > 0), None)


def swarm_role(swarm_info):
    """manager, worker, or None when the engine is in no swarm (``info()["Swarm"]``)."""
    swarm = swarm_info or {}
    if (swarm.get("LocalNodeState") or "inactive") != "active":
        return None
    return "manager" if swarm.get("ControlAvailable") else "worker"


def swarm_state(swarm_info):
    """inactive, pending, active, error or locked (``info()["Swarm"]``)."""
    return (swarm_info or {}).get("LocalNodeState") or "inactive"


def published_of(container):
    """Where a container's ports are published on the host, from a list entry (``Ports``) or an inspect
    result: ``[{container_port, protocol, host_ip, host_port}]``, sorted.

    An inspect result gives the live bindings while the container runs, else the ones it asks for
    (``host_port`` None where the engine picks one at start). Ports exposed but not published are left out;
    a port published on IPv4 and IPv6 appears once per address.
    """
    found = set()
    if "Ports" in container:
        for port in container.get("Ports") or []:
            if port.get("PublicPort"):
                found.add((int(port["PrivatePort"]), port.get("Type") or "tcp", port.get("IP") or "0.0.0.0",
                           int(port["PublicPort"])))
    else:
        bindings = ((container.get("NetworkSettings") or {}).get("Ports")) or {}
        requested = not any(bindings.values())
        if requested:
            bindings = ((container.get("HostConfig") or {}).get("PortBindings")) or {}
        for key, published in bindings.items():
            number, _slash, protocol = key.partition("/")
            for binding in published or []:
                host_port = int(binding["HostPort"]) if binding.get("HostPort") else None
                if host_port or requested:
                    found.add((int(number), protocol or "tcp", binding.get("HostIp") or "0.0.0.0", host_port))
    return [{"container_port": port, "protocol": protocol, "host_ip": host_ip, "host_port": host_port}
            for port, protocol, host_ip, host_port in sorted(found, key=lambda item: item[:3] + (item[3] or 0,))]


def endpoint_of(container, network_name):
    """A container's endpoint on one network (aliases, static addresses), or {} when it is not attached."""
    return (((container.get("NetworkSettings") or {}).get("Networks")) or {}).get(network_name) or {}


def node_hostname(node):
    """A swarm node's hostname (``GET /nodes``), or "" when it has not reported one."""
    return ((node.get("Description") or {}).get("Hostname")) or ""


def node_settings(node):
    """What a manager set on a swarm node: its role, availability and labels."""
    spec = node.get("Spec") or {}
    return {"role": spec.get("Role"), "availability": spec.get("Availability"),
            "labels": dict(spec.get("Labels") or {})}
