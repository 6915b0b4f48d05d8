"""Improve a packing: empty one more host, while that works and the budget lasts.

The packer fills one host at a time and never looks back, so now and then it ends with one
host more than needed. Afterwards, for the least loaded host that ran nothing before and got
only replicas of this run, an exact search (``_repack``) looks for a way to put every replica
of this run on the other used hosts; when it finds one, the replicas move there and the next
host is tried. Such searches have heavy tails (one order of trying finds at once what another
misses for long), so two orders alternate, with budgets that double from FIRST_ROUND.

Only replicas placed by this run move, and each move passes the same checks as a placement
(eligible group, ``Cluster.misfit``), so every hard filter holds and running replicas stay.
Work is counted in search steps, never by the clock, and stops at WORK_BUDGET (0.1 to 0.2 s
of CPU when all of it is spent, which happens when the packing is already optimal but the
bounds cannot prove it): same input, same output. Runs with more than SETUP_LIMIT used hosts
x services to move skip the phase, as the setup alone would cost more than it can win.
"""

from __future__ import annotations

from bisect import bisect_left

from .._cluster import Cluster
from .._filters import HostGroups
from .._model import Service
from ._repack import Kind, Search, Slot, build, plan_moves

WORK_BUDGET = 100_000
FIRST_ROUND = 1_000
ORDERS = (1, 4)  # Search chunk: lexicographic, then fullest first in runs of four
SETUP_LIMIT = 200_000
ReplicaKey = tuple[str, int]


class Improver:
    """Runs once per packing, after the greedy pass; ``placed`` are the replicas it placed."""

    def __init__(self, cluster: Cluster, groups: HostGroups, services: list[Service],
                 eligible: dict[str, set[int]], placed: list[ReplicaKey]) -> None:
        self.cluster, self.groups, self.services, self.eligible = cluster, groups, services, eligible
        self.movable = set(placed)
        self.work = 0
        self.average = {}
        for resource, capacities in cluster.capacity.items():
            present = [c for c in capacities if c > 0]
            self.average[resource] = sum(present) / len(present) if present else 1.0
        # One number per service: its request as fractions of an average host, summed.
        self.size = {s.name: sum(amount / self.average[r] for r, amount in s.request) for s in services}

    def run(self) -> None:
        while self.movable and self.work < WORK_BUDGET and not self._at_lower_bound() and self._drop_one_host():
            pass

    def _at_lower_bound(self) -> bool:
        """Whether the used hosts are already as few as what they hold needs: then no search
        can empty one (and it would spend its whole budget failing to prove it). Two bounds,
        per resource: the total in use, and for each request size ``a``, the replicas asking
        at least ``a`` (a host holds at most ``capacity // a`` of them)."""
        cluster = self.cluster
        used = [index for index in range(cluster.size) if cluster.on_host[index]]
        requests = {s.name: dict(s.request) for s in self.services}
        for resource in cluster.resources:
            capacity, free = cluster.capacity[resource], cluster.free[resource]
            rooms = sorted((capacity[index] for index in used), reverse=True)
            if _hosts_needed(sum(capacity[index] - free[index] for index in used), rooms) >= len(used):
                return True
            asked = sorted(requests[name].get(resource, 0) for index in used
                           for name, _replica in cluster.on_host[index] if name in requests)
            for amount in sorted(set(asked) - {0}):
                at_least = len(asked) - bisect_left(asked, amount)
                if _hosts_needed(at_least, [room // amount for room in rooms]) >= len(used):
                    return True
        return False

    def _drop_one_host(self) -> bool:
        cluster = self.cluster
        used = [index for index in range(cluster.size) if cluster.on_host[index]]
        if len(used) * len({name for name, _replica in self.movable}) > SETUP_LIMIT:
            return False
        kinds, slots = build(cluster, self.groups, self.services, self.eligible, self.movable, used, self.size)
        by_index = {slot.index: slot for slot in slots}
        tried = set()
        for target in self._emptiable(used):
            if by_index[target].signature in tried:
                continue  # the same search again
            tried.add(by_index[target].signature)
            others = sorted((slot for slot in slots if slot.index != target), key=self._slot_order)
            solution = self._search(kinds, others)
            if solution is not None:
                return self._apply(kinds, others, solution, target)
            if self.work >= WORK_BUDGET:
                break
        return False

    def _search(self, kinds: list[Kind], slots: list[Slot]) -> list[tuple[int, ...]] | None:
        """Alternate the orders with doubling budgets, until found, proven impossible or spent."""
        budget = FIRST_ROUND
        while self.work < WORK_BUDGET:
            for chunk in ORDERS:
                search = Search(kinds, slots, len(self.cluster.resources),
                                min(budget, WORK_BUDGET - self.work), chunk)
                solution = search.run()
                self.work += search.work
                if solution is not None or not search.gave_up:
                    return solution
            budget *= 2
        return None

    def _slot_order(self, slot: Slot) -> tuple:
        """Roomiest first; identical slots next to each other (the search relies on it)."""
        room = sum(max(value, 0) / self.average[r] for r, value in zip(self.cluster.resources, slot.room))
        return -room, slot.signature, self.cluster.rank[slot.index]

    def _emptiable(self, used: list[int]) -> list[int]:
        """Used hosts that ran nothing before this run and got only movable replicas, least
        loaded first. (Emptying a host that runs other containers anyway saves nothing.)"""
        cluster, found = self.cluster, []
        for index in used:
            keys = cluster.on_host[index]
            if keys <= self.movable and not cluster.hosts[index].containers:
                load = sum(self.size[name] for name, _replica in sorted(keys))
                found.append((load, -cluster.rank[index], index))
        return [index for _load, _rank, index in sorted(found)]

    def _apply(self, kinds: list[Kind], slots: list[Slot], solution: list[tuple[int, ...]], target: int) -> bool:
        """Move replicas to match ``solution``, each move checked as a placement is; all or none."""
        cluster = self.cluster
        moves = plan_moves(cluster, kinds, slots, solution)
        origin = [cluster.remove(service, replica) for service, replica, _new in moves]
        for position, (service, replica, new) in enumerate(moves):
            if self.groups.group_of[new] in self.eligible[service.name] and cluster.misfit(service, new) is None:
                cluster.add(service, replica, new)
                continue
            for undone, undone_replica, _new in moves[:position]:  # not expected: the search checks the same
                cluster.remove(undone, undone_replica)
            for (undone, undone_replica, _new), old in zip(moves, origin):
                cluster.add(undone, undone_replica, old)
            return False
        return not cluster.on_host[target]


def _hosts_needed(needed: int, rooms: list[int]) -> int:
    """The fewest of ``rooms`` (largest first) that add up to ``needed``."""
    hosts, covered = 0, 0
    for room in rooms:
        if covered >= needed:
            break
        covered, hosts = covered + room, hosts + 1
    return hosts if covered >= needed else len(rooms) + 1
