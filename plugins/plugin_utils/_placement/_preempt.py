"""Preemption: a replica that found no host may displace lower-priority replicas.

Runs after the normal pass, so every lower-priority replica is already placed and may be
chosen, which keeps a second run on the output from preempting anything new.
"""

from __future__ import annotations

from ._explain import eliminations
from ._filters import affinity_reason, static_reason, volume_pins
from ._model import Service
from ._scheduler import ReplicaKey, Run


def preempt(run: Run) -> None:
    for service in run.by_priority():
        if not service.preemption:
            continue
        for key in [k for k in sorted(run.unplaced) if k[0] == service.name]:
            index, victims = _cheapest_host(run, service, key[1])
            if index is None:
                if not service.volumes:
                    break  # the next replica asks for the same room and would not find it either
                continue
            for victim in victims:
                run.cluster.remove(run.by_name[victim[0]], victim[1])
                run.preempted.append((victim, index, key))
                run.left_because.setdefault(victim, f"preempted by {service.container_name(key[1])}")
            placer = run.placer(service)
            placer.place(key[1], index)
            del run.unplaced[key]
            for victim in victims:
                _replace(run, victim, f"preempted by {service.container_name(key[1])}")


def _cheapest_host(run: Run, service: Service, replica: int) -> tuple[int | None, list[ReplicaKey]]:
    """The host where the fewest, least important replicas make room (None when none can),
    and those replicas."""
    cluster = run.cluster
    pins = volume_pins(cluster, service, replica)
    rules = run.rules[service.name]
    placer = run.placer(service)
    best = None
    for host in run.hosts:
        index = host.order
        if (static_reason(service, host) or (pins is not None and index not in pins)
                or affinity_reason(cluster, rules, index) or placer.spread_reason(index)):
            continue
        if service.max_per_host is not None and cluster.counts[service.name].get(index, 0) >= service.max_per_host:
            continue
        victims = _victims(run, service, index)
        if victims is not None:
            worst = max((run.by_name[v[0]].priority for v in victims), default=0)
            cost = (bool(victims), worst, len(victims), cluster.rank[index])  # free room first
            if best is None or cost < best[0]:
                best = (cost, index, victims)
    return (best[1], best[2]) if best else (None, [])


def _victims(run: Run, service: Service, index: int) -> list[ReplicaKey] | None:
    cluster = run.cluster
    lower = sorted(
        (k for k in cluster.on_host[index] if run.by_name[k[0]].priority < service.priority),
        key=lambda k: (run.by_name[k[0]].priority, -run.by_name[k[0]].order, -k[1]),
    )
    short = {r: a - cluster.free[r][index] for r, a in service.request}
    blocked = cluster.ports[index].intersection(service.ports)
    needs = {rule.service for rule in service.affinity if rule.required and not rule.anti}
    chosen: list[ReplicaKey] = []
    for key in lower:
        if all(v <= 0 for v in short.values()) and not blocked:
            break
        victim = run.by_name[key[0]]
        frees = dict(victim.request)
        if (any(short[r] > 0 and frees.get(r, 0) > 0 for r in short) or blocked & set(victim.ports)) \
                and victim.name not in needs and _may_leave(run, victim, index, chosen):
            chosen.append(key)
            for r in short:
                short[r] -= frees.get(r, 0)
            blocked -= set(victim.ports)
    if any(v > 0 for v in short.values()) or blocked:
        return None
    return chosen


def _may_leave(run: Run, victim: Service, index: int, chosen: list[ReplicaKey]) -> bool:
    """Whether one more replica of ``victim`` may leave host ``index`` without breaking a hard
    rule of what stays: a replica there that requires ``victim``, or ``victim``'s hard spread."""
    leaving = 1 + sum(1 for name, _replica in chosen if name == victim.name)
    return not run.strands_followers(victim, index, leaving, chosen) and run.keeps_hard_spread(victim, {index: -leaving})


def _replace(run: Run, key: ReplicaKey, reason: str) -> None:
    """Give a displaced replica another host, without preempting in turn."""
    service = run.by_name[key[0]]
    placer = run.placer(service)
    index = placer.choose(key[1])
    if index is None:
        run.unplaced[key] = {reason: 1, **eliminations(placer, key[1])}
    else:
        placer.place(key[1], index)
