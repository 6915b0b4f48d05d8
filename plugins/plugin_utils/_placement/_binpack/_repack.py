"""Repack with one host fewer: a bounded exact search (bin completion) for ``_improve``.

Replicas of this run that are interchangeable form a *kind*. The search fills the given hosts
(*slots*) one at a time, each with a *maximal* pattern (counts per kind such that no waiting
replica still fits the room left), the most of the largest kinds first; ``chunk`` > 1 sorts
each run of that many patterns fullest first, a second order for ``_improve`` to alternate
with. It backtracks as soon as the room that would stay free exceeds the *slack* (what the
slots hold beyond what still waits) in any resource, or as soon as the slots left cannot hold
the replicas that need at least ``a`` of a resource, ``room // a`` per slot: on tight
instances, where greedy packing most often loses a host, these bounds leave few patterns to
try. Identical slots in a row take non-increasing patterns, so the same packing is not tried
in another order. Both loops are iterative, and every step counts against a budget.
"""

from __future__ import annotations

from itertools import islice

from .._cluster import Cluster
from .._filters import HostGroups
from .._model import Service

Pattern = tuple[int, ...]


class OutOfWork(Exception):
    """The work budget is spent: the search gives up (at the same point on every run)."""


class Kind:
    """Interchangeable movable replicas: one service's, or those of services with the same
    request and eligible hosts and no ports or max_per_host."""

    __slots__ = ("service", "request", "replicas", "count", "ports")

    def __init__(self, service: Service, request: list[tuple[int, int]], replicas: list) -> None:
        self.service, self.request, self.replicas = service, request, replicas
        self.count = len(replicas)
        self.ports = frozenset(service.ports)


class Slot:
    """A host the search may fill: its room once the movable replicas are taken off."""

    __slots__ = ("index", "room", "ports", "limit", "signature")

    def __init__(self, index: int, room: list[int], ports: frozenset, limit: list[int]) -> None:
        self.index, self.room, self.ports, self.limit = index, room, ports, limit
        self.signature = (tuple(room), tuple(sorted(ports)), tuple(limit))


class Search:
    """How many replicas of each kind go on each slot (one pattern per slot), or None."""

    def __init__(self, kinds: list[Kind], slots: list[Slot], resources: int, budget: int, chunk: int = 1) -> None:
        self.kinds, self.slots, self.resources, self.budget = kinds, slots, resources, budget
        self.chunk = chunk
        self.work = 0
        self.gave_up = False  # out of work, as opposed to: there is no such packing
        self.bounds: list[tuple[list[int], list[int]]] = []

    def run(self) -> list[Pattern] | None:
        remaining = [kind.count for kind in self.kinds]
        slack = [sum(max(slot.room[r], 0) for slot in self.slots) for r in range(self.resources)]
        for kind in self.kinds:
            for r, amount in kind.request:
                slack[r] -= amount * kind.count
        if min(slack, default=0) < 0 or not self.slots:
            return None  # not enough room in total: no search needed
        try:
            self._count_bounds()
            if not self._enough_slots(0, remaining):
                return None
            return self._fill(remaining, slack)
        except OutOfWork:
            self.gave_up = True
            return None

    def _fill(self, remaining: list[int], slack: list[int]) -> list[Pattern] | None:
        """Depth-first over slots, with an explicit stack of pattern generators."""
        slots, empty = self.slots, (0,) * len(self.kinds)
        chosen: list[Pattern] = []
        stack = [(self._ordered(slots[0], remaining, slack, None), remaining, slack)]
        while stack:
            patterns, remaining, slack = stack[-1]
            found = next(patterns, None)
            del chosen[len(stack) - 1:]
            if found is None:
                stack.pop()
                continue
            pattern, waste = found
            chosen.append(pattern)
            left = [have - used for have, used in zip(remaining, pattern)]
            if not any(left):
                return chosen + [empty] * (len(slots) - len(chosen))
            position = len(stack)
            if position == len(slots) or not self._enough_slots(position, left):
                continue
            upper = pattern if slots[position].signature == slots[position - 1].signature else None
            after = [s - w for s, w in zip(slack, waste)]
            stack.append((self._ordered(slots[position], left, after, upper), left, after))
        return None

    def _count_bounds(self) -> None:
        """For each (resource, amount) some kind requests: which kinds request at least that
        much, and how many such replicas the slots from each position on can hold at most."""
        thresholds = sorted({(r, amount) for kind in self.kinds for r, amount in kind.request})
        self._spend(len(thresholds) * (len(self.kinds) + len(self.slots)))
        for r, amount in thresholds:
            members = [k for k, kind in enumerate(self.kinds) if dict(kind.request).get(r, 0) >= amount]
            room = [max(slot.room[r], 0) // amount for slot in self.slots] + [0]
            for position in range(len(self.slots) - 1, -1, -1):
                room[position] += room[position + 1]
            self.bounds.append((members, room))

    def _enough_slots(self, position: int, remaining: list[int]) -> bool:
        """A slot with room R holds at most R // a replicas that each need a or more."""
        self._spend(len(self.bounds))
        for members, room in self.bounds:
            if sum(remaining[k] for k in members) > room[position]:
                return False
        return True

    def _spend(self, work: int) -> None:
        self.work += work
        if self.work > self.budget:
            raise OutOfWork

    def _ordered(self, slot: Slot, remaining: list[int], slack: list[int], upper: Pattern | None):
        """The patterns of ``_patterns``, each ``chunk`` of them fullest first (relative to
        the slack)."""
        patterns = self._patterns(slot, remaining, slack, upper)
        if self.chunk == 1:
            yield from patterns
            return
        scale = [max(s, 1) for s in slack]
        while True:
            chunk = list(islice(patterns, self.chunk))
            if not chunk:
                return
            chunk.sort(key=lambda item: sum(w / s for w, s in zip(item[1], scale)))  # fullest first
            yield from chunk

    def _patterns(self, slot: Slot, remaining: list[int], slack: list[int], upper: Pattern | None):
        """Yield (pattern, room left per resource) for the maximal patterns of ``slot`` that
        waste at most ``slack``, most of the first kinds first, none above ``upper``."""
        kinds, count_kinds = self.kinds, len(self.kinds)
        self._spend(count_kinds)
        most = [0 if kind.ports & slot.ports else min(remaining[k], slot.limit[k])
                for k, kind in enumerate(kinds)]
        reach = [[0] * self.resources for _k in range(count_kinds + 1)]  # what kinds k.. may add
        for k in range(count_kinds - 1, -1, -1):
            reach[k] = list(reach[k + 1])
            for r, amount in kinds[k].request:
                reach[k][r] += amount * most[k]
        room = [max(value, 0) for value in slot.room]
        if any(value - most_added > spare for value, most_added, spare in zip(room, reach[0], slack)):
            return
        counts, lowest = [0] * count_kinds, [0] * count_kinds
        bounded = [False] * (count_kinds + 1)  # counts[:k] == upper[:k]
        bounded[0] = upper is not None
        ports: set[str] = set()
        k = 0
        count, lowest[0] = self._counts(0, room, ports, most, reach[1], slack, upper if bounded[0] else None)
        while True:
            self.work += 1  # (inline: this is the hot loop)
            if self.work > self.budget:
                raise OutOfWork
            kind = kinds[k]
            if count >= lowest[k]:
                counts[k] = count
                for r, amount in kind.request:
                    room[r] -= amount * count
                if count and kind.ports:
                    ports |= kind.ports
                if k + 1 < count_kinds:
                    bounded[k + 1] = bounded[k] and count == upper[k]
                    k += 1
                    count, lowest[k] = self._counts(k, room, ports, most, reach[k + 1], slack,
                                                    upper if bounded[k] else None)
                    continue
                if self._maximal(room, ports, counts, most):
                    yield tuple(counts), list(room)  # what stays free is wasted
            elif k == 0:
                return
            else:
                k -= 1
                kind = kinds[k]
            count = counts[k]  # take back the count of kind k, then try one fewer
            for r, amount in kind.request:
                room[r] += amount * count
            if count and kind.ports:
                ports -= kind.ports
            counts[k] = 0
            count -= 1

    def _counts(self, k: int, room: list[int], ports: set[str], most: list[int], after: list[int],
                slack: list[int], upper: Pattern | None) -> tuple[int, int]:
        """The most and the fewest replicas of kind ``k`` worth trying, given the room left,
        ``after`` (what the next kinds may add at most) and ``slack``. Fewer than the fewest
        would waste more than the slack, or leave room for another replica of this kind
        whatever comes next (a pattern that is not maximal)."""
        kind = self.kinds[k]
        top = most[k]
        if kind.ports:
            top = 0 if kind.ports & ports else min(top, 1)
        requested = dict(kind.request)
        fewest = 0
        for r, value in enumerate(room):
            amount = requested.get(r)
            excess = value - after[r] - slack[r]
            if amount is None:
                if excess > 0:
                    return 0, 1  # no count of this kind can help
                continue
            top = min(top, value // amount)
            if excess > 0:
                fewest = max(fewest, -(-excess // amount))
        if not kind.ports:
            blocking = min(((room[r] - after[r]) // amount for r, amount in kind.request), default=most[k])
            fewest = max(fewest, min(blocking, most[k]))
        if upper is not None:
            top = min(top, upper[k])
        return top, fewest

    def _maximal(self, room: list[int], ports: set[str], counts: list[int], most: list[int]) -> bool:
        """No kind with a replica left over fits the room still free."""
        for k, kind in enumerate(self.kinds):
            if counts[k] < most[k] and not (kind.ports and kind.ports & ports) \
                    and all(room[r] >= amount for r, amount in kind.request):
                return False
        return True


def build(cluster: Cluster, groups: HostGroups, services: list[Service], eligible: dict[str, set[int]],
          movable: set[tuple[str, int]], hosts: list[int], size: dict[str, float]) -> tuple[list[Kind], list[Slot]]:
    """Kinds of the movable replicas, largest first, and slots for ``hosts``."""
    position = {r: p for p, r in enumerate(cluster.resources)}
    by_name = {s.name: s for s in services}
    grouped: dict[tuple, list[tuple[Service, int]]] = {}
    for name, replica in sorted(movable, key=lambda key: (by_name[key[0]].order, key[1])):
        service = by_name[name]
        if service.ports or service.max_per_host is not None:
            key: tuple = (service.order,)
        else:
            key = (service.request, tuple(sorted(eligible[name])))
        grouped.setdefault(key, []).append((service, replica))
    kinds = [Kind(members[0][0], [(position[r], a) for r, a in members[0][0].request], members)
             for members in grouped.values()]
    kinds.sort(key=lambda kind: (-size[kind.service.name], kind.service.order))
    kind_of = {(service.name, replica): k for k, kind in enumerate(kinds) for service, replica in kind.replicas}
    slots = []
    for index in hosts:
        room = [cluster.free[r][index] for r in cluster.resources]
        ports = set(cluster.ports[index])
        for key in cluster.on_host[index]:
            k = kind_of.get(key)
            if k is not None:
                for r, amount in kinds[k].request:
                    room[r] += amount
                ports -= kinds[k].ports
        limit = []
        for kind in kinds:
            service = kind.service
            if groups.group_of[index] not in eligible[service.name]:
                limit.append(0)
            elif service.max_per_host is not None:
                fixed = sum(1 for key in cluster.on_host[index] if key[0] == service.name and key not in kind_of)
                limit.append(max(0, service.max_per_host - fixed))
            else:
                limit.append(kind.count)
        slots.append(Slot(index, room, frozenset(ports), limit))
    return kinds, slots


def plan_moves(cluster: Cluster, kinds: list[Kind], slots: list[Slot],
               solution: list[Pattern]) -> list[tuple[Service, int, int]]:
    """(service, replica, new host) so that each slot holds its counts per kind; as many
    replicas as the counts allow stay where they are."""
    moves = []
    for k, kind in enumerate(kinds):
        wanted = {slot.index: pattern[k] for slot, pattern in zip(slots, solution) if pattern[k]}
        leaving = []
        for service, replica in kind.replicas:
            index = cluster.assigned[(service.name, replica)]
            if wanted.get(index, 0) > 0:
                wanted[index] -= 1
            else:
                leaving.append((service, replica))
        arriving = [index for index in sorted(wanted, key=cluster.rank.__getitem__) for _n in range(wanted[index])]
        moves += [(service, replica, index) for (service, replica), index in zip(leaving, arriving)]
    return moves
