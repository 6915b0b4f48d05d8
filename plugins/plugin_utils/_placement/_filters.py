"""Hard filters that do not depend on what is already placed: host state, label constraints,
spread labels; plus the per-replica pins (local volumes, required affinity).

Hosts with the same labels and state are interchangeable for these filters, so they are
evaluated once per group of identical hosts, not once per host.
"""

from __future__ import annotations

from ._cluster import Cluster
from ._model import Affinity, Host, Service

STATE_REASONS = {"drain": "host drained", "pause": "host paused", "unreachable": "host unreachable"}


def static_reason(service: Service, host: Host) -> str | None:
    """The first static filter that rejects ``host`` for new replicas of ``service``."""
    if host.state != "active":
        return STATE_REASONS[host.state]
    return label_reason(service, host.labels)


def label_reason(service: Service, labels: dict[str, str]) -> str | None:
    for constraint in service.constraints:
        if not constraint.matches(labels):
            return f"constraint {constraint.text}"
    for spread in service.spread:
        if spread.label not in labels:
            return f"no label {spread.label!r} to spread over"
    return None


class HostGroups:
    """Hosts grouped by (labels, state). ``hostname`` joins the key only when a service
    refers to it, since it would otherwise make every group a singleton."""

    def __init__(self, hosts: list[Host], services: list[Service]) -> None:
        referenced = {c.label for s in services for c in s.constraints}
        referenced |= {p.constraint.label for s in services for p in s.preferences}
        referenced |= {sp.label for s in services for sp in s.spread}
        keep_hostname = "hostname" in referenced
        index: dict[tuple, int] = {}
        self.members: list[list[int]] = []
        self.representative: list[Host] = []
        self.group_of: list[int] = []
        for host in hosts:
            labels = host.labels if keep_hostname else {k: v for k, v in host.labels.items() if k != "hostname"}
            key = (host.state, tuple(sorted(labels.items())))
            if key not in index:
                index[key] = len(self.members)
                self.members.append([])
                self.representative.append(host)
            self.members[index[key]].append(host.order)
            self.group_of.append(index[key])
        self._eligible: dict[tuple, list[int]] = {}
        self.class_cache: dict[tuple, list] = {}  # owned by the placer, see ServicePlacer._classes
        self.class_closed: dict[tuple, int] = {}  # Cluster.closed when full hosts were last dropped
        self.cache_freed = 0  # Cluster.freed when class_cache was last emptied

    def eligible_groups(self, service: Service) -> list[int]:
        signature = (service.constraints, tuple(s.label for s in service.spread))
        cached = self._eligible.get(signature)
        if cached is None:
            cached = [g for g, host in enumerate(self.representative) if static_reason(service, host) is None]
            self._eligible[signature] = cached
        return cached


def preference_bonus(service: Service, labels: dict[str, str]) -> int:
    return sum(p.weight for p in service.preferences if p.constraint.matches(labels))


def volume_pins(cluster: Cluster, service: Service, replica: int) -> set[int] | None:
    """Hosts holding every local volume this replica needs; None when nothing pins it."""
    pinned: set[int] | None = None
    for volume in service.volumes_of(replica):
        holders = cluster.volumes.get(volume)
        if holders:
            pinned = set(holders) if pinned is None else pinned & holders
    return pinned


def affinity_reason(cluster: Cluster, rules: tuple[Affinity, ...], index: int) -> str | None:
    """Required (anti-)affinity: must (not) share the host with another service."""
    for rule in rules:
        if not rule.required:
            continue
        present = index in cluster.counts[rule.service]
        if rule.anti and present:
            return f"runs {rule.service} (anti-affinity)"
        if not rule.anti and not present:
            return f"does not run {rule.service} (affinity)"
    return None


def affinity_bonus(cluster: Cluster, rules: tuple[Affinity, ...], index: int) -> int:
    return sum(rule.weight for rule in rules if index in cluster.counts[rule.service])
