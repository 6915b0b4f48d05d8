"""Say why a replica found no host: per reason, how many hosts it eliminated."""

from __future__ import annotations

from ._filters import affinity_reason, static_reason, volume_pins
from ._model import Service
from ._placer import ServicePlacer

NO_HOSTS = "no hosts"


def eliminations(placer: ServicePlacer, replica: int) -> dict[str, int]:
    """Count, for every host, the first filter that rejects ``replica`` right now."""
    cluster, service = placer.cluster, placer.service
    pins = volume_pins(cluster, service, replica)
    counts: dict[str, int] = {}
    for host in cluster.hosts:
        index = host.order
        reason = (
            static_reason(service, host)
            or (_volume_reason(service, replica) if pins is not None and index not in pins else None)
            or affinity_reason(cluster, placer.rules, index)
            or cluster.misfit(service, index)
            or placer.spread_reason(index)
            or "passes every filter (a scheduler bug: please report it)"  # never hide a drop
        )
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0]))) if counts else {NO_HOSTS: 0}


def describe(counts: dict[str, int]) -> str:
    """``{"insufficient memory": 3, ...}`` -> ``"3 hosts: insufficient memory; ..."``."""
    if NO_HOSTS in counts:
        return NO_HOSTS
    return "; ".join(f"{n} host{'s' if n != 1 else ''}: {reason}" for reason, n in counts.items())


def _volume_reason(service: Service, replica: int) -> str:
    return f"volume {', '.join(service.volumes_of(replica))} is on another host"
