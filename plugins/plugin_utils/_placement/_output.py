"""Shape a finished run into the documented result: per host, per service, unplaced, moves."""

from __future__ import annotations

from ._explain import describe
from ._model import CPUS, MEMORY, Service
from ._quantities import format_cpus
from ._scheduler import Run


def result(run: Run) -> dict:
    cluster, hosts = run.cluster, run.hosts
    per_host: dict[str, list[dict]] = {host.name: [] for host in hosts}
    per_service: dict[str, dict] = {}
    for service in run.services:
        placements = []
        template = _container_template(service)
        for replica in range(1, service.replicas + 1):
            index = cluster.assigned.get((service.name, replica))
            host = hosts[index].name if index is not None else None
            placements.append(host)
            if host is not None:
                per_host[host].append({
                    **template, "replica": replica, "name": service.container_name(replica),
                    "resources": dict(template["resources"]), "ports": list(service.ports),
                    "volumes": list(service.volumes_of(replica)),
                })
        per_service[service.name] = {
            "replicas": service.replicas,
            "placed": sum(1 for h in placements if h is not None),
            "hosts": placements,
        }
    order = {s.name: s.order for s in run.services}
    for entries in per_host.values():
        entries.sort(key=lambda e: (order[e["service"]], e["replica"]))
    unplaced = [
        {"service": key[0], "replica": key[1], "name": run.by_name[key[0]].container_name(key[1]),
         "reasons": reasons, "message": describe(reasons)}
        for key, reasons in sorted(run.unplaced.items(), key=lambda item: (order[item[0][0]], item[0][1]))
    ]
    moves = _moves(run, order)
    return {
        "hosts": per_host,
        "services": per_service,
        "unplaced": unplaced,
        "moves": moves,
        "preempted": [
            {"service": v[0], "replica": v[1], "name": run.by_name[v[0]].container_name(v[1]),
             "host": hosts[index].name, "by": run.by_name[by[0]].container_name(by[1])}
            for v, index, by in run.preempted
        ],
        "summary": {
            "replicas": sum(s.replicas for s in run.services),
            "placed": sum(s["placed"] for s in per_service.values()),
            "unplaced": len(unplaced),
            "moves": len(moves),
            "hosts_used": sum(1 for entries in per_host.values() if entries),
        },
    }


def _container_template(service: Service) -> dict:
    """The fields every replica of ``service`` shares, in output order."""
    request = dict(service.request)
    return {
        "service": service.name,
        "replica": 0,
        "name": "",
        "project": service.project,
        "cpus": format_cpus(request.pop(CPUS, 0)),
        "memory": request.pop(MEMORY, 0),
        "resources": request,
        "ports": [],
        "volumes": [],
    }


def _moves(run: Run, order: dict[str, int]) -> list[dict]:
    """Every change against the current state: start, stop or move, with the reason."""
    hosts, assigned = run.hosts, run.cluster.assigned
    changes = []
    for key in set(run.previous) | set(assigned):
        before, after = run.previous.get(key), assigned.get(key)
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
        {"action": action, "service": key[0], "replica": key[1],
         "name": run.by_name[key[0]].container_name(key[1]),
         "from": hosts[before].name if before is not None else None,
         "to": hosts[after].name if after is not None else None,
         "reason": reason}
        for key, action, before, after, reason in changes
    ]
