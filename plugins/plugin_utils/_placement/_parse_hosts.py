"""Validate host descriptions: capacity, labels, availability, running containers, volumes.

Hosts arrive either as plain dicts (``hosts[3].memory``) or from Ansible hostvars
(``hostvars[web1].flotilla_memory``); both go through :func:`build_host`, which is given the
field path of every value so that errors point at what the user wrote.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ._constraints import label_text
from ._errors import PlacementError, is_int, require_dict, require_list, require_str
from ._model import AVAILABILITIES, CPUS, MEMORY, Container, Host
from ._quantities import parse_count, parse_cpus, parse_memory, parse_port

HOST_KEYS = ("name", "cpus", "memory", "resources", "labels", "availability", "reachable",
             "containers", "volumes")
# Containers in these states hold their resources; exited or dead ones do not.
_LIVE_STATES = {"running", "restarting", "created", "paused", "starting", "healthy", "unhealthy"}
_NAME_INDEX_RE = re.compile(r"-(\d+)$")


@dataclass(frozen=True, slots=True)
class Field:
    """A raw value and the path to report when it is wrong."""

    value: object
    path: str


def parse_host(raw: object, index: int) -> Host:
    """A host given as a plain dict (the package API and the tests use this form)."""
    path = f"hosts[{index}]"
    raw = require_dict(raw, path)
    for key in raw:
        if key not in HOST_KEYS:
            raise PlacementError(path, f"unknown key {key!r} (use {', '.join(HOST_KEYS)})")
    name = require_str(raw.get("name"), f"{path}.name")
    fields = {key: Field(value, f"{path}.{key}") for key, value in raw.items() if value is not None}
    reachable = raw.get("reachable", True)
    return build_host(name, index, fields, reachable is not False, path)


def build_host(name: str, order: int, fields: dict[str, Field], reachable: bool, path: str) -> Host:
    """``path`` names the host in errors that concern no single field."""
    capacity: dict[str, int] = {}
    missing = [key for key in (CPUS, MEMORY) if key not in fields]
    # An unreachable host gets no replicas, so it needs no capacity (its facts are missing anyway).
    if missing and reachable:
        raise PlacementError(
            path,
            f"capacity unknown ({' and '.join(missing)}): gather flotilla.fleet.host_info into "
            "flotilla_host_info or set flotilla_cpus and flotilla_memory",
        )
    if CPUS in fields:
        capacity[CPUS] = parse_cpus(fields[CPUS].value, fields[CPUS].path)
    if MEMORY in fields:
        capacity[MEMORY] = parse_memory(fields[MEMORY].value, fields[MEMORY].path)
    if "resources" in fields:
        field = fields["resources"]
        for resource, amount in require_dict(field.value, field.path).items():
            capacity[str(resource)] = parse_count(amount, f"{field.path}.{resource}")
    labels = {}
    if "labels" in fields:
        field = fields["labels"]
        for key, value in require_dict(field.value, field.path).items():
            labels[str(key)] = label_text(value)
    labels["hostname"] = name  # implicit, and always the inventory name
    availability = "active"
    if "availability" in fields:
        field = fields["availability"]
        availability = str(field.value).lower()
        if availability not in AVAILABILITIES:
            raise PlacementError(field.path, f"must be one of {', '.join(AVAILABILITIES)}, got {field.value!r}")
    containers: tuple[Container, ...] = ()
    if "containers" in fields:
        field = fields["containers"]
        items = require_list(field.value, field.path)
        parsed = (_parse_container(item, f"{field.path}[{i}]") for i, item in enumerate(items))
        containers = tuple(c for c in parsed if c is not None)
    volumes: tuple[str, ...] = ()
    if "volumes" in fields:
        field = fields["volumes"]
        items = require_list(field.value, field.path)
        volumes = tuple(v for i, item in enumerate(items) if (v := _local_volume(item, f"{field.path}[{i}]")))
    return Host(name, order, capacity, labels, availability, reachable, containers, volumes)


def _parse_container(raw: object, path: str) -> Container | None:
    raw = require_dict(raw, path)
    if str(raw.get("state") or "running").lower() not in _LIVE_STATES:
        return None
    name = require_str(raw.get("name"), f"{path}.name")
    service = raw.get("service") or None
    replica = raw.get("replica")
    if replica is None and service:
        found = _NAME_INDEX_RE.search(name)
        replica = int(found.group(1)) if found else None
    if replica is not None and (not is_int(replica) or replica < 1):
        raise PlacementError(f"{path}.replica", f"must be an integer >= 1, got {replica!r}")
    if service is not None and replica is None:
        service = None  # without a replica index we cannot keep it: treat it as someone else's
    usage = [(CPUS, parse_cpus(raw.get("cpus") or 0, f"{path}.cpus")),
             (MEMORY, parse_memory(raw.get("memory") or 0, f"{path}.memory"))]
    for resource, amount in require_dict(raw.get("resources") or {}, f"{path}.resources").items():
        usage.append((str(resource), parse_count(amount, f"{path}.resources.{resource}")))
    ports = tuple(parse_port(p, f"{path}.ports[{i}]")
                  for i, p in enumerate(require_list(raw.get("ports") or [], f"{path}.ports")))
    return Container(
        name=name,
        service=str(service) if service else None,
        project=str(raw.get("project") or ""),
        replica=replica,
        usage=tuple((r, a) for r, a in usage if a > 0),
        ports=ports,
    )


def _local_volume(raw: object, path: str) -> str | None:
    if isinstance(raw, str):
        return require_str(raw, path)
    raw = require_dict(raw, path)
    if (raw.get("driver") or "local") != "local":
        return None  # a network volume does not pin a replica to this host
    return require_str(raw.get("name"), f"{path}.name")
