# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From a stack model and the hosts to the placement request, and from the placement to ``stack_plan``.

Pure Python: hosts come in as plain data (``HostView``: name, capacity in millicpus and bytes, labels,
availability, the usage of containers that are not this stack's), so the tests need no inventory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ._errors import StackError
from ._render import cpus_text, render, size_text

_ACTIVE = "active"
_SERVICE_INDEX_RE = re.compile(r"services\[(\d+)\]\.?")


@dataclass
class HostView:
    name: str
    cpus: int  # millicpus
    memory: int  # bytes
    labels: dict = field(default_factory=dict)
    availability: str = _ACTIVE
    reserved_cpus: int = 0  # by containers that are not replicas of this stack
    reserved_memory: int = 0
    volumes: tuple = ()  # local named volumes on the engine
    networks: tuple | None = None  # network names, when the facts list them (None: unknown)


def placement_request(stack: dict, hosts: list, groups: dict, matches) -> list[dict]:
    """The lookup's service list: ``x-flotilla.hosts`` as a hostname constraint, ``mode: global`` expanded.

    ``matches(constraint_text, labels)`` evaluates one of the scheduler's constraints (the plan passes the
    placement package's own parser, so both agree).
    """
    names = [host.name for host in hosts]
    check_external(stack, hosts)
    request = []
    for name, service in stack["services"].items():
        spec = dict(service["placement"])
        if service.get("hosts"):
            allowed = _expand(service["hosts"], groups, names, f"services.{name}.x-flotilla.hosts")
            spec["constraints"] = list(spec.get("constraints") or []) + [f"hostname in {','.join(allowed)}"]
        if service["mode"] == "global":
            constraints = spec.get("constraints") or []
            eligible = [host for host in hosts if host.availability == _ACTIVE
                        and all(matches(text, {**host.labels, "hostname": host.name}) for text in constraints)]
            spec["replicas"] = len(eligible)
            spec["max_per_host"] = 1
        request.append(spec)
    return request


def placement_error(message: str, stack: dict) -> str:
    """The scheduler names services by position (``services[2].priority``); the user wrote x-flotilla."""
    names = list(stack["services"])

    def by_name(found):
        index = int(found.group(1))
        return f"services.{names[index]}.x-flotilla." if index < len(names) else found.group(0)

    return _SERVICE_INDEX_RE.sub(by_name, message.replace("flotilla.fleet.placement: ", "", 1))


def check_external(stack: dict, hosts: list) -> None:
    """An external volume or network must already exist: on some host (volumes), on every host (networks)."""
    used_volumes = {mount.get("source") for service in stack["services"].values()
                    for mount in service["container"].get("mounts") or [] if mount.get("type") == "volume"}
    for key, volume in stack["volumes"].items():
        if volume["external"] and volume["name"] in used_volumes and \
                not any(volume["name"] in host.volumes for host in hosts):
            raise StackError(f"volumes.{key}", f"external volume {volume['name']!r} does not exist on any host "
                             f"({', '.join(host.name for host in hosts)}): create it first")
    for key, network in stack["networks"].items():
        if not network["external"]:
            continue
        missing = [host.name for host in hosts if host.networks is not None and network["name"] not in host.networks]
        if missing:
            raise StackError(f"networks.{key}", f"external network {network['name']!r} does not exist on "
                             f"{', '.join(missing)}: create it first")


def build_plan(stack: dict, placement: dict, hosts: list) -> dict:
    """``stack_plan``: the model, the placement, per host what it gets and how full it is, and the text."""
    per_host = {}
    for host in hosts:
        replicas = placement["hosts"].get(host.name) or []
        cpus = host.reserved_cpus + sum(round(float(item["cpus"] or 0) * 1000) for item in replicas)
        memory = host.reserved_memory + sum(int(item["memory"] or 0) for item in replicas)
        per_host[host.name] = {
            "replicas": [{"service": item["service"], "replica": item["replica"], "name": item["name"]}
                         for item in replicas],
            "cpus": {"reserved": cpus / 1000, "capacity": host.cpus / 1000},
            "memory": {"reserved": memory, "capacity": host.memory},
        }
    unplaced = []
    for item in placement["unplaced"]:
        entry = dict(item)
        if any(reason.startswith("insufficient") for reason in item.get("reasons") or {}):
            entry["message"] = f"{item['message']}; {largest_free_room(per_host)}"
        unplaced.append(entry)
    plan = {
        "stack": stack["name"],
        "files": stack.get("files") or [],
        "project_dir": stack.get("project_dir") or "",
        "services": stack["services"],
        "networks": stack["networks"],
        "volumes": stack["volumes"],
        "container_specs": {name: service["container"] for name, service in stack["services"].items()},
        "placement": placement,
        "hosts": per_host,
        "unplaced": unplaced,
        "moves": placement.get("moves") or [],
        "warnings": list(stack.get("warnings") or []),
    }
    plan["text"] = render(plan)
    return plan


def largest_free_room(per_host: dict) -> str:
    """``largest free room: 1.5 cpus (h2), 1.0 GiB memory (h1)``: what the biggest request could still get."""
    if not per_host:
        return "no hosts"
    free_cpus = {name: host["cpus"]["capacity"] - host["cpus"]["reserved"] for name, host in per_host.items()}
    free_memory = {name: host["memory"]["capacity"] - host["memory"]["reserved"] for name, host in per_host.items()}
    cpu_host = max(free_cpus, key=lambda name: free_cpus[name])
    memory_host = max(free_memory, key=lambda name: free_memory[name])
    return (f"largest free room: {cpus_text(max(free_cpus[cpu_host], 0))} cpus ({cpu_host}), "
            f"{size_text(max(free_memory[memory_host], 0))} memory ({memory_host})")


def _expand(patterns: list, groups: dict, names: list, field: str) -> list:
    allowed = []
    for index, pattern in enumerate(patterns):
        if pattern in groups:
            members = groups[pattern]
        elif pattern in names:
            members = [pattern]
        else:
            raise StackError(f"{field}[{index}]", f"{pattern!r} is neither a host of stack_hosts nor a group")
        allowed += [member for member in members if member in names and member not in allowed]
    if not allowed:
        raise StackError(field, f"{', '.join(patterns)} has no host among stack_hosts ({', '.join(names)})")
    return allowed
