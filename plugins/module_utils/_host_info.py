# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Read-only facts about one engine, in the shape the scheduler reads from the hostvar flotilla_host_info.

Two rounds of API calls, each made in parallel:

1. info, version, one list of all containers, one list of volumes;
2. an inspect of each of *our* containers (label flotilla.spec-hash) for its CPU and memory reservation, which
   the list API does not return, bounded by ``parallelism``; plus, on a manager, an inspect of this node for its
   swarm labels and availability.

Round 2 is the price of reading reservations from the engine instead of trusting labels; ``reservations:
false`` skips the container inspects.
"""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

from ansible_collections.flotilla.fleet.plugins.module_utils._client import InvalidInput
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import (
    REPLICA_LABEL, SERVICE_LABEL, SPEC_HASH_LABEL, stack_of)
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import (
    cpus_of, health_of, labels_from_pairs, memory_of, name_of, node_settings, published_of, state_of, swarm_role,
    swarm_state)

# The SDK's connection pool holds 10 connections per engine; more threads would only churn connections.
MAX_PARALLELISM = 10
HOST_INFO_SPEC = {
    "reservations": {"type": "bool", "default": True},
    "parallelism": {"type": "int", "default": 8},
}
# Engines before 23.0 do not label anonymous volumes; their names are 64 hex digits.
_ANONYMOUS_VOLUME_RE = re.compile(r"^[0-9a-f]{64}$")


def check_options(params):
    parallelism = params["parallelism"]
    if not 1 <= parallelism <= MAX_PARALLELISM:
        raise InvalidInput("parallelism: must be between 1 and %d, got %d" % (MAX_PARALLELISM, parallelism))


class HostInfoReader:
    def __init__(self, engine, reservations=True, parallelism=8):
        self.engine = engine
        self.reservations = reservations
        self.parallelism = parallelism

    def read(self):
        api = self.engine.api
        calls = {
            "info": self.engine.info,
            "version": lambda: self._call("read", "engine", "version", api.version),
            "containers": lambda: self._call("list", "containers", "on the engine", lambda: api.containers(all=True)),
            "volumes": lambda: self._call("list", "volumes", "on the engine", api.volumes),
            "networks": lambda: self._call("list", "networks", "on the engine", api.networks),
        }
        first = self._parallel(calls)
        info, listed = first["info"] or {}, first["containers"] or []
        ours = [entry for entry in listed if SPEC_HASH_LABEL in (entry.get("Labels") or {})]
        swarm = info.get("Swarm") or {}
        second = {}
        if self.reservations:
            second.update(("container:" + entry["Id"], self._inspector(entry["Id"])) for entry in ours)
        if swarm_role(swarm) == "manager" and swarm.get("NodeID"):
            second["node"] = lambda: self._call("inspect", "swarm node", swarm["NodeID"],
                                                lambda: api.inspect_node(swarm["NodeID"]))
        inspected = self._parallel(second) if second else {}
        return {
            "engine": _engine(info, first["version"] or {}),
            "swarm": _swarm(swarm, inspected.get("node")),
            "containers": sorted((_container(entry, inspected.get("container:" + entry["Id"]), self.reservations)
                                  for entry in ours), key=lambda item: item["name"]),
            "volumes": _volumes((first["volumes"] or {}).get("Volumes") or [], listed),
            "networks": _networks(first["networks"] or []),
        }

    def _call(self, verb, kind, name, function):
        with self.engine.action(verb, kind, name):
            return function()

    def _inspector(self, container_id):
        # A container removed between the list and the inspect is reported without reservations.
        return lambda: self.engine.inspect_or_none(self.engine.api.inspect_container, "container", container_id)

    def _parallel(self, calls):
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallelism, len(calls)))) as pool:
            futures = {key: pool.submit(call) for key, call in calls.items()}
            return {key: future.result() for key, future in futures.items()}


def _engine(info, version):
    return {
        "version": info.get("ServerVersion") or version.get("Version"),
        "api_version": version.get("ApiVersion"),
        "os": version.get("Os") or info.get("OSType"),
        # The platform name images use (amd64, arm64), not uname's (x86_64, aarch64).
        "arch": version.get("Arch") or info.get("Architecture"),
        "cpus": info.get("NCPU"),
        "memory": info.get("MemTotal"),
        "labels": labels_from_pairs(info.get("Labels")),
    }


def _swarm(swarm, node):
    state = swarm_state(swarm)
    active = state == "active"
    result = {
        "state": state,
        "role": swarm_role(swarm),
        "node_id": swarm.get("NodeID") or None,
        # Only a manager can read node settings; a worker does not know its own labels.
        "node_availability": None,
        "node_labels": None if active else {},
    }
    if node:
        settings = node_settings(node)
        result["node_availability"] = settings["availability"]
        result["node_labels"] = settings["labels"]
    return result


def _replica(value):
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


def _container(entry, inspected, reservations):
    labels = entry.get("Labels") or {}
    host = (inspected or {}).get("HostConfig") if reservations else None
    published = published_of(entry)
    stack = stack_of(labels)
    return {
        "name": name_of(entry),
        "service": labels.get(SERVICE_LABEL),
        "replica": _replica(labels.get(REPLICA_LABEL)),
        "stack": stack,
        "project": stack,  # the old name of stack, kept for one release
        "state": state_of(entry),
        "health": health_of(entry),
        "cpus": cpus_of(host),
        "memory": memory_of(host),
        "published": published,
        # The host ports alone, as the placement lookup reads them.
        "ports": sorted({port["host_port"] for port in published}),
    }


def _volumes(volumes, listed):
    users = {}
    for entry in listed:
        for mount in entry.get("Mounts") or []:
            if mount.get("Type") == "volume" and mount.get("Name"):
                users.setdefault(mount["Name"], []).append(entry)
    result = []
    for volume in sorted(volumes, key=lambda item: item.get("Name") or ""):
        name = volume.get("Name") or ""
        if _ANONYMOUS_VOLUME_RE.match(name) or "com.docker.volume.anonymous" in (volume.get("Labels") or {}):
            continue
        using = users.get(name, [])
        result.append({
            "name": name,
            "driver": volume.get("Driver"),
            "services": sorted({(entry.get("Labels") or {}).get(SERVICE_LABEL) for entry in using} - {None}),
            "containers": sorted(name_of(entry) for entry in using),
        })
    return result


def _networks(networks):
    """The engine's networks (an external network of a stack must exist on every host that runs it)."""
    return sorted(({"name": network.get("Name") or "", "driver": network.get("Driver"), "scope": network.get("Scope")}
                   for network in networks), key=lambda item: item["name"])
