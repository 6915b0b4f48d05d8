"""Binpack by filling one host at a time (bin-centric "dot product" packing).

Placing service after service, even largest first, leaves hosts full in one resource and
empty in another. Filling one host at a time, always with the pending replica whose request
best matches what the host has left (largest dot product of request and free capacity, both
as fractions of the host), mixes cpu-heavy and memory-heavy replicas and uses fewer hosts.
It needs no soft score, so it is used for binpack services without spread, preferences,
affinity or volumes, while the work stays small (replicas x request shapes <= WORK_LIMIT);
larger runs keep the per-service placer, which is fast at any size. Afterwards ``_improve``
tries to empty hosts the greedy pass used without need.
"""

from __future__ import annotations

from .._cluster import Cluster
from .._filters import HostGroups
from .._model import Service
from ._improve import Improver

WORK_LIMIT = 1_000_000


def packable(service: Service, has_rules: bool) -> bool:
    return (service.strategy == "binpack" and not service.spread and not service.preferences
            and not service.volumes and not has_rules)


def worth_packing(services: list[Service], pending: dict[str, list[int]]) -> bool:
    shapes = {service.request for service in services}
    return sum(len(p) for p in pending.values()) * len(shapes) <= WORK_LIMIT


def pack(cluster: Cluster, groups: HostGroups, services: list[Service], pending: dict[str, list[int]],
         weights: dict[str, float]) -> None:
    """Place ``pending`` replicas (service name -> replica indexes); what stays there found no host."""
    eligible = {s.name: set(groups.eligible_groups(s)) for s in services}
    shapes: dict[tuple, list[Service]] = {}
    for service in services:  # services keep their priority order inside a shape
        shapes.setdefault(service.request, []).append(service)
    wanted = set().union(*eligible.values()) if eligible else set()
    hosts = sorted((h for h in range(cluster.size) if groups.group_of[h] in wanted),
                   key=cluster.order_key["binpack"].__getitem__)
    placed = _fill(cluster, groups, hosts, shapes, pending, eligible, weights)
    Improver(cluster, groups, services, eligible, placed).run()
    # Emptying a host may have made room for a replica that found none: give it a chance.
    hosts.sort(key=cluster.order_key["binpack"].__getitem__)
    _fill(cluster, groups, hosts, shapes, pending, eligible, weights)


def _fill(cluster: Cluster, groups: HostGroups, hosts: list[int], shapes: dict[tuple, list[Service]],
          pending: dict[str, list[int]], eligible: dict[str, set[int]],
          weights: dict[str, float]) -> list[tuple[str, int]]:
    """Fill ``hosts`` one at a time, in order; returns the replicas placed."""
    remaining = sum(len(replicas) for replicas in pending.values())
    placed: list[tuple[str, int]] = []
    for index in hosts:
        if not remaining:
            break
        while remaining:
            choice = _best_replica(cluster, groups, index, shapes, pending, eligible, weights)
            if choice is None:
                break
            replica = pending[choice.name].pop(0)
            cluster.add(choice, replica, index)
            placed.append((choice.name, replica))
            remaining -= 1
    return placed


def _best_replica(cluster: Cluster, groups: HostGroups, index: int, shapes: dict[tuple, list[Service]],
                  pending: dict[str, list[int]], eligible: dict[str, set[int]],
                  weights: dict[str, float]) -> Service | None:
    """The pending replica whose request best matches what host ``index`` has left."""
    group = groups.group_of[index]
    ranked = []
    for request, members in shapes.items():
        if any(cluster.free[r][index] < amount for r, amount in request):
            continue
        score = sum(weights.get(r, 0.0) * amount * cluster.free[r][index] / cluster.capacity[r][index] ** 2
                    for r, amount in request if cluster.capacity[r][index])
        ranked.append((-score, members[0].order, request))
    for _score, _order, request in sorted(ranked):
        for service in shapes[request]:
            if pending[service.name] and group in eligible[service.name] and cluster.misfit(service, index) is None:
                return service
    return None
