"""The guard's oracle: the documented rules, checked on a result without the scheduler's code.

Inputs are read again here (quantities, ports, labels, constraints, who is ours), so that a
parser defect shows up as a broken rule instead of being shared by scheduler and check. Each
check returns the list of what is wrong, worded for a failing assertion.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

GIB, MIB = 1024**3, 1024**2
_UNITS = {"": 1, "k": 1024, "m": MIB, "g": GIB}
_LIVE = {"running", "restarting", "created", "paused", "starting", "healthy", "unhealthy"}


def millicpus(value) -> int:
    if isinstance(value, str):
        return int(value[:-1]) if value.endswith("m") else round(float(value) * 1000)
    return round(value * 1000)


def memory_bytes(value) -> int:
    if isinstance(value, str):
        number, unit = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg]?)(?:i?b?)", value.lower()).groups()
        return int(float(number) * _UNITS[unit])
    return int(value)


def port(value) -> str:
    text = str(value)
    return text if "/" in text else f"{text}/tcp"


def _version(text: str) -> tuple:
    parts = [int(p) for p in text.lstrip("v").split(".")]
    while len(parts) > 1 and parts[-1] == 0:
        parts.pop()
    return tuple(parts)


def label_matches(spec: tuple, labels: dict) -> bool:
    label, op, values = spec
    value = labels.get(label)
    if op in ("!=", "not in", "not exists"):
        return value is None or (op != "not exists" and value not in values)
    if value is None:
        return False
    if op in ("==", "in"):
        return value in values
    if op == "exists":
        return True
    if op == "regex":
        return re.fullmatch(values[0], value) is not None
    left, right = _version(value), _version(values[0])
    return {"<": left < right, "<=": left <= right, ">": left > right, ">=": left >= right}[op]


@dataclass
class Svc:
    name: str
    replicas: int
    project: str
    request: dict
    ports: set
    max_per_host: int | None
    spreads: list  # (label, max_skew, hard)
    rules: list  # (target, required, anti), anti-affinity mirrored from the other side too
    priority: int
    preemption: bool
    volumes: list
    constraints: list


@dataclass
class Node:
    name: str
    capacity: dict
    labels: dict
    state: str
    foreign: Counter = field(default_factory=Counter)
    foreign_ports: set = field(default_factory=set)
    volumes: set = field(default_factory=set)


class World:
    """One input, read independently of the scheduler."""

    def __init__(self, hosts: list[dict], services: list[dict], specs: dict, options: dict) -> None:
        default_project = options.get("project", "")
        self.services = {}
        for raw in services:
            rules = []
            for key, anti in (("affinity", False), ("anti_affinity", True)):
                for rule in raw.get(key, []):
                    rule = {"service": rule} if isinstance(rule, str) else rule
                    rules.append((rule["service"], rule.get("required", False), anti))
            request = Counter({"cpus": millicpus(raw.get("cpus", 0)), "memory": memory_bytes(raw.get("memory", 0))})
            request.update(raw.get("resources", {}))
            spreads = [(s, 1, False) if isinstance(s, str) else (s["label"], s.get("max_skew", 1), s.get("hard", False))
                       for s in raw.get("spread", [])]
            self.services[raw["name"]] = Svc(
                raw["name"], raw.get("replicas", 1), raw.get("project", default_project),
                {r: a for r, a in request.items() if a > 0}, {port(p) for p in raw.get("ports", [])},
                1 if raw.get("distinct_hosts") else raw.get("max_per_host"), spreads, rules,
                raw.get("priority", 0), raw.get("preemption", False), raw.get("volumes", []), specs[raw["name"]])
        for svc in list(self.services.values()):
            for target, required, anti in list(svc.rules):
                if anti:
                    self.services[target].rules.append((svc.name, required, True))
        self.hosts = []
        self.existing = {}  # (service, replica) -> host name, as the input runs them
        for raw in hosts:
            state = "unreachable" if raw.get("reachable") is False else raw.get("availability", "active")
            capacity = Counter({"cpus": millicpus(raw.get("cpus", 0)), "memory": memory_bytes(raw.get("memory", 0))})
            capacity.update(raw.get("resources", {}))
            node = Node(raw["name"], capacity, {**raw.get("labels", {}), "hostname": raw["name"]}, state,
                        volumes=set(raw.get("volumes", [])))
            for container in raw.get("containers", []):
                if container.get("state", "running") not in _LIVE:
                    continue
                svc = self.services.get(container.get("service") or "")
                if svc is not None and svc.project == container.get("project", ""):
                    self.existing.setdefault((svc.name, container["replica"]), node.name)
                    continue
                node.foreign.update({"cpus": millicpus(container.get("cpus", 0)),
                                     "memory": memory_bytes(container.get("memory", 0)), **container.get("resources", {})})
                node.foreign_ports.update(port(p) for p in container.get("ports", []))
            self.hosts.append(node)
        self.by_name = {node.name: node for node in self.hosts}

    def statically_eligible(self, svc: Svc, node: Node) -> bool:
        return (node.state == "active" and all(label_matches(spec, node.labels) for spec in svc.constraints)
                and all(label in node.labels for label, _skew, _hard in svc.spreads))

    def fresh(self, svc: Svc) -> bool:
        """Nothing of it runs yet, and no local volume decides its hosts."""
        return not svc.volumes and not any(key[0] == svc.name for key in self.existing)


class State:
    """What a result runs: per host, replicas of each service and what they use."""

    def __init__(self, world: World, result: dict) -> None:
        self.world = world
        self.placed = {name: list(result["services"][name]["hosts"]) for name in world.services}
        self.count = {node.name: Counter() for node in world.hosts}
        self.used = {node.name: Counter(node.foreign) for node in world.hosts}
        self.ports = {node.name: Counter(node.foreign_ports) for node in world.hosts}
        for name, hosts in self.placed.items():
            svc = world.services[name]
            for host in hosts:
                if host is not None:
                    self.count[host][name] += 1
                    self.used[host].update(svc.request)
                    self.ports[host].update(svc.ports)

    def domain_counts(self, svc: Svc, label: str) -> Counter:
        counts = Counter({n.labels[label]: 0 for n in self.world.hosts if self.world.statically_eligible(svc, n)})
        for host, per_service in self.count.items():
            value = self.world.by_name[host].labels.get(label)
            if value in counts:
                counts[value] += per_service[svc.name]
        return counts

    def has_room(self, svc: Svc, node: Node) -> bool:
        """Whether one more replica of ``svc`` passes every hard filter on ``node`` now."""
        if not self.world.statically_eligible(svc, node):
            return False
        used, count = self.used[node.name], self.count[node.name]
        if any(used[r] + a > node.capacity[r] for r, a in svc.request.items()):
            return False
        if any(self.ports[node.name][p] for p in svc.ports):
            return False
        if svc.max_per_host is not None and count[svc.name] >= svc.max_per_host:
            return False
        for target, required, anti in svc.rules:
            if required and (count[target] > 0) == anti:
                return False
        for label, max_skew, hard in svc.spreads:
            counts = self.domain_counts(svc, label)
            if hard and counts[node.labels[label]] + 1 - min(counts.values()) > max_skew:
                return False
        return True


def hard_violations(world: World, result: dict, fresh: set[str]) -> list[str]:
    """Capacity, state, constraints, ports, max_per_host, required (anti-)affinity, volume
    pins, and hard spread for the ``fresh`` services."""
    state, found = State(world, result), []
    for node in world.hosts:
        ours = [(name, n) for name, n in state.count[node.name].items() if n]
        if not ours:
            continue
        requested = {r for name, _n in ours for r in world.services[name].request}
        over = [r for r in sorted(requested) if state.used[node.name][r] > node.capacity[r]]
        if over:
            found.append(f"{node.name}: over capacity in {over}")
        clashes = sorted(p for p, n in state.ports[node.name].items() if n > 1)
        if clashes:
            found.append(f"{node.name}: host ports {clashes} used twice")
        for name, n in ours:
            svc = world.services[name]
            if svc.max_per_host is not None and n > svc.max_per_host:
                found.append(f"{node.name}: {n} replicas of {name} (max_per_host {svc.max_per_host})")
            if not all(label_matches(spec, node.labels) for spec in svc.constraints):
                found.append(f"{node.name}: runs {name} against its constraints {svc.constraints}")
            for target, required, anti in svc.rules:
                if required and (state.count[node.name][target] > 0) == anti:
                    found.append(f"{node.name}: runs {name} {'with' if anti else 'without'} {target} (required)")
    for name, hosts in state.placed.items():
        svc = world.services[name]
        for replica, host in enumerate(hosts, 1):
            if host is None:
                continue
            node = world.by_name[host]
            kept = world.existing.get((name, replica)) == host and node.state == "pause"
            if node.state != "active" and not kept:
                found.append(f"{name}-{replica} on {host}, which is {node.state}")
            for volume in svc.volumes:
                volume = volume.replace("{replica}", str(replica))
                holders = {n.name for n in world.hosts if volume in n.volumes}
                if holders and host not in holders:
                    found.append(f"{name}-{replica} on {host}, away from its volume {volume} on {sorted(holders)}")
        if name in fresh:
            for label, max_skew, hard in svc.spreads:
                counts = state.domain_counts(svc, label)
                if hard and counts and max(counts.values()) - min(counts.values()) > max_skew:
                    found.append(f"{name}: hard spread over {label} broken: {dict(counts)}")
    return found


def unplaced_with_room(world: World, result: dict) -> list[str]:
    """Replicas left unplaced although a host passes every hard filter for them (valid when
    nothing was preempted or rebalanced: then room only shrinks during a run)."""
    state, found = State(world, result), []
    for name, hosts in state.placed.items():
        svc = world.services[name]
        if svc.volumes or None not in hosts:
            continue
        room = [node.name for node in world.hosts if state.has_room(svc, node)]
        if room:
            found.append(f"{name}: {hosts.count(None)} unplaced while {room} can take one")
    return found


def soft_spread_violations(world: World, result: dict, fresh: set[str]) -> list[str]:
    """A soft spread may exceed max_skew only when the emptier zones have no host with room."""
    state, found = State(world, result), []
    for name in sorted(fresh):
        svc = world.services[name]
        if len(svc.spreads) != 1 or svc.spreads[0][2] or any(req and not anti for _t, req, anti in svc.rules):
            continue
        label, max_skew, _hard = svc.spreads[0]
        counts = state.domain_counts(svc, label)
        if not counts or max(counts.values()) - min(counts.values()) <= max_skew:
            continue
        top = max(counts.values())
        for value, count in counts.items():
            room = [n.name for n in world.hosts if n.labels.get(label) == value and state.has_room(svc, n)]
            if count < top - max_skew and room:
                found.append(f"{name}: soft spread {dict(counts)} while {room} in {label}={value} have room")
    return found
