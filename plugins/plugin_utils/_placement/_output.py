"""Shape a finished run into the documented result: per host, per service, unplaced, moves.

``unsafe`` marks a string that came from the caller's data (inventory, engine facts, service
definitions) as never to be templated; the package knows nothing of Ansible, so the lookup
passes its marker and everyone else gets strings unchanged. It is applied while the result is
built, once per distinct string, to every string whose text comes from that data: walking the
finished result instead costs more than placing 100,000 replicas.
"""

from __future__ import annotations

from collections.abc import Callable

from ._explain import describe
from ._model import CPUS, MEMORY
from ._quantities import format_cpus
from ._scheduler import ReplicaKey, Run


def unchanged(text: str) -> str:
    return text


class _Marked(dict):
    """``marked[text]``: ``unsafe(text)``, computed once per distinct string (names repeat on
    every replica of a service and every move to a host)."""

    def __init__(self, unsafe: Callable[[str], str]) -> None:
        super().__init__()
        self.unsafe = unsafe

    def __missing__(self, text: str) -> str:
        marked = self[text] = self.unsafe(text)
        return marked


def result(run: Run, unsafe: Callable[[str], str] = unchanged) -> dict:
    marked = _Marked(unsafe)
    assigned, previous, left_because = run.cluster.assigned, run.previous, run.left_because
    host_names = [marked[host.name] for host in run.hosts]
    per_host: dict[str, list[dict]] = {name: [] for name in host_names}
    entries_of = [per_host[name] for name in host_names]  # by host index
    per_service: dict[str, dict] = {}
    moves: list[dict] = []
    seen_before = seen_after = 0
    # Services in request order and replicas in index order: each host's list and the moves come
    # out sorted, with one look-up per replica in the run's tables.
    for service in sorted(run.services, key=lambda s: s.order):
        name, project = marked[service.name], marked[service.project]
        request = dict(service.request)
        cpus, memory = format_cpus(request.pop(CPUS, 0)), request.pop(MEMORY, 0)
        resources = {marked[resource]: amount for resource, amount in request.items()}
        ports = [marked[port] for port in service.ports]
        placements: list[str | None] = []
        for replica in range(1, service.replicas + 1):
            key = (service.name, replica)
            index, before = assigned.get(key), previous.get(key)
            if index is None:
                placements.append(None)
                if before is not None:
                    seen_before += 1
                    moves.append(_move("stop", name, replica, unsafe(service.container_name(replica)), host_names[before],
                                       None, marked[left_because.get(key, "no host left")]))
                continue
            seen_after += 1
            container = unsafe(service.container_name(replica))
            placements.append(host_names[index])
            entries_of[index].append({
                "service": name, "replica": replica, "name": container, "project": project,
                "cpus": cpus, "memory": memory, "resources": dict(resources) if resources else {},
                "ports": list(ports) if ports else [],
                "volumes": [unsafe(v) for v in service.volumes_of(replica)] if service.volumes else [],
            })
            if before is None:
                moves.append(_move("start", name, replica, container, None, host_names[index], marked["new replica"]))
                continue
            seen_before += 1
            if before != index:
                moves.append(_move("move", name, replica, container, host_names[before], host_names[index],
                                   marked[left_because.get(key, "rebalance")]))
        per_service[name] = {
            "replicas": service.replicas,
            "placed": len(placements) - placements.count(None),
            "hosts": placements,
        }

    def container_name(key: ReplicaKey) -> str:
        return unsafe(run.by_name[key[0]].container_name(key[1]))

    order = {s.name: s.order for s in run.services}
    if run.extra or seen_before != len(previous) or seen_after != len(assigned):
        moves = _all_moves(run, order, host_names, marked, container_name)
    unplaced = [
        {"service": marked[key[0]], "replica": key[1], "name": container_name(key),
         "reasons": {marked[reason]: count for reason, count in reasons.items()},
         "message": unsafe(describe(reasons))}
        for key, reasons in sorted(run.unplaced.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    ]
    return {
        "hosts": per_host,
        "services": per_service,
        "unplaced": unplaced,
        "moves": moves,
        "preempted": [
            {"service": marked[victim[0]], "replica": victim[1], "name": container_name(victim),
             "host": host_names[index], "by": container_name(by)}
            for victim, index, by in run.preempted
        ],
        "summary": {
            "replicas": sum(s.replicas for s in run.services),
            "placed": sum(s["placed"] for s in per_service.values()),
            "unplaced": len(unplaced),
            "moves": len(moves),
            "hosts_used": sum(1 for entries in entries_of if entries),
        },
    }


def _move(action: str, service: str, replica: int, name: str, before: str | None, after: str | None,
          reason: str) -> dict:
    return {"action": action, "service": service, "replica": replica, "name": name,
            "from": before, "to": after, "reason": reason}


def _all_moves(run: Run, order: dict[str, int], host_names: list[str], marked: _Marked,
               container_name: Callable[[ReplicaKey], str]) -> list[dict]:
    """Every change against the current state, sorted: the general case, for runs that also stop
    duplicate or scaled-down containers (the loop in result() covers the rest)."""
    hosts, assigned, previous = run.hosts, run.cluster.assigned, run.previous
    changes = []
    for key in previous.keys() | assigned.keys():
        before, after = previous.get(key), assigned.get(key)
        if before == after:
            continue
        if before is None:
            action, reason = "start", "new replica"
        elif after is None:
            action = "stop"
            reason = run.left_because.get(key, "no host left")
        else:
            action, reason = "move", run.left_because.get(key, "rebalance")
        changes.append((key, action, before, after, reason))
    changes += [(key, "stop", index, None, reason) for key, index, reason in run.extra]
    changes.sort(key=lambda c: (order[c[0][0]], c[0][1], c[1], hosts[c[2]].order if c[2] is not None else -1))
    return [
        _move(action, marked[key[0]], key[1], container_name(key),
              host_names[before] if before is not None else None,
              host_names[after] if after is not None else None, marked[reason])
        for key, action, before, after, reason in changes
    ]
