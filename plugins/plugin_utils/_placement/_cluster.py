"""Mutable state of one placement run: free capacity, ports, replica counts, volumes, scores.

Hosts are addressed by their position in the host list; every per-host quantity is a flat
list so the hot loops of the scheduler index lists instead of walking objects.
"""

from __future__ import annotations

import random

from ._model import CPUS, MEMORY, Host, Options, Service

# Utilisation is kept as an integer in [0, QUANT] so ordering keys are exact integers.
QUANT = 10**9


class Cluster:
    def __init__(self, hosts: list[Host], services: list[Service], options: Options) -> None:
        self.hosts = hosts
        self.size = len(hosts)
        custom = {r for h in hosts for r in h.capacity} | {r for s in services for r, _amount in s.request}
        self.resources = [CPUS, MEMORY] + sorted(custom - {CPUS, MEMORY})
        self.capacity = {r: [h.capacity.get(r, 0) for h in hosts] for r in self.resources}
        self.free = {r: list(caps) for r, caps in self.capacity.items()}
        self.ports: list[set[str]] = [set() for _host in hosts]
        self.volumes: dict[str, set[int]] = {}
        # rank: the deterministic tie-break between otherwise equal hosts (shuffled by a seed).
        order = list(range(self.size))
        if options.seed is not None:
            random.Random(options.seed).shuffle(order)
        self.rank = [0] * self.size
        for position, host in enumerate(order):
            self.rank[host] = position
        self._coefficients = self._utilisation_coefficients(options.resource_weights)
        self.util = [0] * self.size
        self.order_key = {"spread": [0] * self.size, "binpack": [0] * self.size}
        self.assigned: dict[tuple[str, int], int] = {}
        self.placed: dict[str, dict[int, int]] = {s.name: {} for s in services}  # replica -> host
        self.on_host: list[set[tuple[str, int]]] = [set() for _host in hosts]
        self.counts: dict[str, dict[int, int]] = {s.name: {} for s in services}
        # The smallest request, per resource every service requests: a host with less free is
        # full for the whole run (``open`` is False), and placers drop it from their lists.
        self.floor = [(r, min(s.amount(r) for s in services)) for r in self.resources
                      if services and all(s.amount(r) > 0 for s in services)]
        self.open = [True] * self.size
        self.closed = 0  # counts hosts that became full
        self.freed = 0  # counts removals, after which a full host may have room again
        for host in hosts:
            for volume in host.volumes:
                self.volumes.setdefault(volume, set()).add(host.order)
        for index in range(self.size):
            self._refresh(index)

    def _utilisation_coefficients(self, weights: dict[str, float]) -> list[list[tuple[str, float]]]:
        """Per host, (resource, weight / capacity / total weight) for resources it has."""
        coefficients = []
        for index in range(self.size):
            present = [(r, weights.get(r, 0.0)) for r in self.resources
                       if self.capacity[r][index] > 0 and weights.get(r, 0.0) > 0]
            total = sum(weight for _resource, weight in present) or 1.0
            coefficients.append([(r, w / self.capacity[r][index] / total) for r, w in present])
        return coefficients

    def _refresh(self, index: int) -> None:
        used = 0.0
        capacity, free = self.capacity, self.free
        for resource, coefficient in self._coefficients[index]:
            used += coefficient * (capacity[resource][index] - free[resource][index])
        util = int(used * QUANT)
        for resource, amount in self.floor:
            if free[resource][index] < amount:
                if self.open[index]:
                    self.open[index] = False
                    self.closed += 1
                break
        else:
            self.open[index] = True
        self.util[index] = util
        self.order_key["spread"][index] = util * self.size + self.rank[index]
        self.order_key["binpack"][index] = -util * self.size + self.rank[index]

    def strategy_q(self, index: int, strategy: str) -> int:
        """Lower is better: the emptiest host for spread, the fullest for binpack."""
        return self.util[index] if strategy == "spread" else QUANT - self.util[index]

    # -- changes ------------------------------------------------------------------------------

    def reserve(self, index: int, usage: tuple[tuple[str, int], ...], ports: tuple[str, ...]) -> None:
        """Capacity held by containers that are not ours."""
        for resource, amount in usage:
            if resource in self.free:
                self.free[resource][index] -= amount
        self.ports[index].update(ports)
        self._refresh(index)

    def add(self, service: Service, replica: int, index: int) -> None:
        free = self.free
        for resource, amount in service.request:
            free[resource][index] -= amount
        if service.ports:
            self.ports[index].update(service.ports)
        counts = self.counts[service.name]
        counts[index] = counts.get(index, 0) + 1
        for volume in service.volumes_of(replica):
            self.volumes.setdefault(volume, set()).add(index)
        self.assigned[(service.name, replica)] = index
        self.placed[service.name][replica] = index
        self.on_host[index].add((service.name, replica))
        self._refresh(index)

    def remove(self, service: Service, replica: int) -> int:
        index = self.assigned.pop((service.name, replica))
        self.freed += 1
        del self.placed[service.name][replica]
        self.on_host[index].discard((service.name, replica))
        for resource, amount in service.request:
            self.free[resource][index] += amount
        self.ports[index].difference_update(service.ports)
        counts = self.counts[service.name]
        counts[index] -= 1
        if not counts[index]:
            del counts[index]
        self._refresh(index)
        return index

    # -- questions ----------------------------------------------------------------------------

    def misfit(self, service: Service, index: int) -> str | None:
        """Why ``service`` does not fit on host ``index`` right now, or None when it does."""
        free = self.free
        for resource, amount in service.request:
            if free[resource][index] < amount:
                return f"insufficient {resource}"
        if service.ports and not self.ports[index].isdisjoint(service.ports):
            taken = next(port for port in service.ports if port in self.ports[index])
            return f"host port {taken} in use"
        if service.max_per_host is not None and self.counts[service.name].get(index, 0) >= service.max_per_host:
            return f"already runs {service.max_per_host} replica(s) (max_per_host)"
        return None
