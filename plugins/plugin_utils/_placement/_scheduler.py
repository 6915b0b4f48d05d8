"""One placement run: keep what still fits, place what is missing, preempt, rebalance."""

from __future__ import annotations

from itertools import groupby

from ._binpack._packer import pack, packable, worth_packing
from ._cluster import Cluster
from ._explain import eliminations
from ._filters import STATE_REASONS, HostGroups, affinity_reason, label_reason
from ._model import Affinity, Host, Options, Service, Spread
from ._placer import ServicePlacer

ReplicaKey = tuple[str, int]


class Run:
    """Everything one run knows; the passes below read and update it in turn."""

    def __init__(self, hosts: list[Host], services: list[Service], options: Options) -> None:
        self.hosts, self.services, self.options = hosts, services, options
        self.by_name = {s.name: s for s in services}
        self.cluster = Cluster(hosts, services, options)
        self.groups = HostGroups(hosts, services)
        self.rules = effective_rules(services)
        self.level = placement_levels(services)  # the priority each service is placed at
        self.previous: dict[ReplicaKey, int] = {}  # where each replica ran before this run
        self.left_because: dict[ReplicaKey, str] = {}  # why a replica left its previous host
        self.extra: list[tuple[ReplicaKey, int, str]] = []  # existing containers to stop
        self.unplaced: dict[ReplicaKey, dict[str, int]] = {}
        self.preempted: list[tuple[ReplicaKey, int, ReplicaKey]] = []  # victim, host, by
        self._ordered: list[Service] | None = None
        self._domains: dict[tuple[str, str], set[str]] = {}  # spread domains eligible per service

    def placer(self, service: Service) -> ServicePlacer:
        return ServicePlacer(self.cluster, self.groups, service, self.rules[service.name])

    def by_priority(self) -> list[Service]:
        """Highest priority first; within a priority, larger requests first (as first-fit
        decreasing does, which packs tighter) and affinity targets before their followers.
        A required-affinity target is placed at the priority of the services that require it,
        so that they find it in one run. Computed once: ordering only depends on the inputs."""
        if self._ordered is not None:
            return self._ordered
        ordered: list[Service] = []
        seen: set[str] = set()
        in_progress: set[str] = set()
        requires = {s.name: {r.service for r in s.affinity if r.required and not r.anti} for s in self.services}
        needed_by = _closure(requires)  # service -> every service it needs, directly or not

        def visit(service: Service) -> None:
            if service.name in seen:
                return  # ordered already, or an affinity cycle: input order breaks it
            seen.add(service.name)
            in_progress.add(service.name)
            for rule in service.affinity:
                target = self.by_name[rule.service]
                if rule.required and not rule.anti:
                    visit(target)
            for rule in service.affinity:
                target = self.by_name[rule.service]
                # A soft target goes first only if it does not need a service still waiting here.
                if (not rule.anti and not rule.required and self.level[target.name] == self.level[service.name]
                        and not needed_by[target.name] & in_progress):
                    visit(target)
            in_progress.discard(service.name)
            ordered.append(service)

        average = {}
        for resource, capacities in self.cluster.capacity.items():
            present = [c for c in capacities if c > 0]
            average[resource] = sum(present) / len(present) if present else 1.0

        def size(service: Service) -> float:
            # Fractions of an average host, summed: packs two resources better than the max.
            return sum(amount / average[resource] for resource, amount in service.request)

        for service in sorted(self.services, key=lambda s: (-self.level[s.name], -size(s), s.order)):
            visit(service)
        self._ordered = ordered
        return ordered

    def spread_skew(self, service: Service, spread: Spread, change: dict[int, int] | None = None) -> int:
        """The skew of ``spread`` over every domain eligible for ``service`` (as the placer
        counts it for hard spreads), after adding ``change[host]`` replicas on each host."""
        values = self._domains.get((service.name, spread.label))
        if values is None:
            values = {self.groups.representative[g].labels.get(spread.label)
                      for g in self.groups.eligible_groups(service)} - {None}
            self._domains[(service.name, spread.label)] = values
        counts = dict.fromkeys(values, 0)
        placed = self.cluster.counts[service.name]
        for index in set(placed) | set(change or ()):
            value = self.hosts[index].labels.get(spread.label)
            if value in counts:
                counts[value] += placed.get(index, 0) + (change or {}).get(index, 0)
        return max(counts.values()) - min(counts.values()) if counts else 0

    def keeps_hard_spread(self, service: Service, change: dict[int, int]) -> bool:
        """Whether ``change`` leaves every hard spread of ``service`` within max skew (or no
        worse than it already is)."""
        return all(self.spread_skew(service, spread, change) <= max(spread.max_skew, self.spread_skew(service, spread))
                   for spread in service.spread if spread.hard)

    def strands_followers(self, service: Service, index: int, leaving: int, also_leaving=()) -> bool:
        """Whether ``leaving`` replicas of ``service`` leaving host ``index`` strand a replica
        there that requires ``service`` (required affinity)."""
        if self.cluster.counts[service.name].get(index, 0) > leaving:
            return False
        for key in self.cluster.on_host[index]:
            if key[0] != service.name and key not in also_leaving and any(
                    r.required and not r.anti and r.service == service.name for r in self.by_name[key[0]].affinity):
                return True
        return False

    def keep_existing(self) -> None:
        """Existing replicas stay unless their host or their own filters rule them out."""
        existing: dict[str, dict[int, list[int]]] = {}  # service -> replica -> hosts
        for host in self.hosts:
            for container in host.containers:
                service = self.by_name.get(container.service or "")
                if service is None or service.project != container.project:
                    self.cluster.reserve(host.order, container.usage, container.ports)
                else:
                    replicas = existing.setdefault(service.name, {})
                    replicas.setdefault(container.replica, []).append(host.order)
        for service in self.by_priority():
            replicas = existing.get(service.name, {})
            for replica in sorted(replicas):
                for position, index in enumerate(replicas[replica]):
                    self._keep(service, (service.name, replica), index, duplicate=position > 0)

    def _keep(self, service: Service, key: ReplicaKey, index: int, duplicate: bool) -> None:
        if duplicate or key[1] > service.replicas:
            self.extra.append((key, index, "duplicate replica" if duplicate else "scaled down"))
            return
        self.previous[key] = index
        reason = self._eviction_reason(service, index)
        if reason:
            self.left_because[key] = reason
        else:
            self.cluster.add(service, key[1], index)

    def _eviction_reason(self, service: Service, index: int) -> str | None:
        """Why a running replica must leave its host; a paused host keeps its replicas (as in Swarm)."""
        host = self.hosts[index]
        if host.state in ("drain", "unreachable"):
            return STATE_REASONS[host.state]
        # Required targets are kept first (see by_priority), so their replicas are counted here.
        return (label_reason(service, host.labels) or self.cluster.misfit(service, index)
                or affinity_reason(self.cluster, self.rules[service.name], index))

    def place_missing(self) -> None:
        """Per priority, pack what binpack can pack host by host, then place the rest service
        by service; a replica left over is explained."""
        for _priority, level in groupby(self.by_priority(), key=lambda s: self.level[s.name]):
            level = list(level)
            pending = {s.name: self._missing(s) for s in level}
            packable_now = [s for s in level if packable(s, bool(self.rules[s.name])) and pending[s.name]]
            packed = set()
            if packable_now and worth_packing(packable_now, pending):
                pack(self.cluster, self.groups, packable_now, pending, self.options.resource_weights)
                packed = {s.name for s in packable_now}
            for service in level:
                missing = pending[service.name]
                if missing:
                    placer = self.placer(service)
                    left = missing if service.name in packed else placer.place_missing(missing)
                    explained: dict[tuple[str, ...], dict[str, int]] = {}  # same volumes, same reasons
                    for replica in left:
                        volumes = service.volumes_of(replica)
                        if volumes not in explained:
                            explained[volumes] = eliminations(placer, replica)
                        self.unplaced[(service.name, replica)] = dict(explained[volumes])

    def _missing(self, service: Service) -> list[int]:
        placed = self.cluster.placed[service.name]
        return [i for i in range(1, service.replicas + 1) if i not in placed]


def effective_rules(services: list[Service]) -> dict[str, tuple[Affinity, ...]]:
    """A service's own affinity rules plus anti-affinity declared against it by others:
    "keep db-a away from db-b" must also hold when db-b is placed after db-a."""
    rules: dict[str, list[Affinity]] = {s.name: list(s.affinity) for s in services}
    for service in services:
        for rule in service.affinity:
            if rule.anti:
                mirrored = Affinity(service.name, rule.weight, rule.required)
                if mirrored not in rules[rule.service]:
                    rules[rule.service].append(mirrored)
    return {name: tuple(found) for name, found in rules.items()}


def placement_levels(services: list[Service]) -> dict[str, int]:
    """A service's priority, raised to that of any service that requires it (transitively)."""
    level = {s.name: s.priority for s in services}
    changed = True
    while changed:
        changed = False
        for service in services:
            for rule in service.affinity:
                if rule.required and not rule.anti and level[rule.service] < level[service.name]:
                    level[rule.service] = level[service.name]
                    changed = True
    return level


def _closure(edges: dict[str, set[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for start in edges:
        reached: set[str] = set()
        stack = list(edges[start])
        while stack:
            name = stack.pop()
            if name not in reached:
                reached.add(name)
                stack.extend(edges[name])
        found[start] = reached
    return found
