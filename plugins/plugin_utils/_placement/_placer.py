"""Choose the best host for each new replica of one service.

Candidates are kept per topology domain (one domain when the service has no spread). Inside a
domain, hosts the service has not touched yet sit in *streams*: lists sorted once by the
strategy order, one per preference bonus, read from the front. Hosts whose score is specific to
this service (they run one of its replicas, or a service it has an affinity with) sit in a
small heap with their full key. The best candidate of a domain is the better of the stream
heads and the heap top, so a placement costs O(streams + log n), not O(hosts). This is exact:
while one service is placed, only the hosts it lands on change, and those move to the heap.
"""

from __future__ import annotations

import heapq
from itertools import compress

from ._cluster import QUANT, Cluster
from ._filters import (HostGroups, affinity_bonus, affinity_reason, preference_bonus,
                       static_reason, volume_pins)
from ._model import Affinity, Service

Key = tuple[int, int, int]  # (same-service replicas on the host, strategy - bonus, rank)


class _Stream:
    __slots__ = ("hosts", "pos", "bonus_q", "checked")

    def __init__(self, hosts: list[int], bonus_q: int) -> None:
        self.hosts, self.pos, self.bonus_q, self.checked = hosts, 0, bonus_q, False


class _Domain:
    __slots__ = ("value", "streams", "heap")

    def __init__(self, value: tuple[str, ...]) -> None:
        self.value = value
        self.streams: list[_Stream] = []
        self.heap: list[tuple[Key, int]] = []


class ServicePlacer:
    """Places the missing replicas of one service, given what the cluster already runs."""

    def __init__(self, cluster: Cluster, groups: HostGroups, service: Service,
                 rules: tuple[Affinity, ...]) -> None:
        self.cluster, self.groups, self.service, self.rules = cluster, groups, service, rules
        self.counts = cluster.counts[service.name]
        self.per_host_spread = service.strategy == "spread"
        self.touched: set[int] = set()
        self.discarded: set[int] = set()  # cannot take another replica during this batch
        self.heap_key: dict[int, Key] = {}  # the live heap entry of each touched host
        self.domains: dict[tuple[str, ...], _Domain] = {}
        self._group_bonus: dict[int, int] = {}
        self.domain_counts: list[dict[str, int]] = [{} for _spread in service.spread]
        for index, count in self.counts.items():
            self._count_domain(index, count)
        self._build_candidates()

    # -- setup --------------------------------------------------------------------------------

    def _build_candidates(self) -> None:
        cluster, groups, service = self.cluster, self.groups, self.service
        eligible = groups.eligible_groups(service)
        eligible_set = set(eligible)
        if any(spread.hard for spread in service.spread):
            # Hard spreads compare with every eligible domain, also those with no candidate
            # (full, or without a required-affinity target): they count zero.
            for group in eligible:
                self._domain(self._domain_value(groups.representative[group].labels))
        special = set(self.counts)
        for rule in self.rules:
            special.update(cluster.counts[rule.service])
            if rule.required and rule.anti:
                self.discarded.update(cluster.counts[rule.service])
        if not any(rule.required and not rule.anti for rule in self.rules):
            # (Otherwise only hosts already running the target qualify, and all are special.)
            order_key = cluster.order_key[service.strategy].__getitem__
            for value, bonus, hosts in self._classes(eligible):
                hosts.sort(key=order_key)  # nearly sorted already when reused: cheap
                self._domain(value).streams.append(_Stream(hosts, bonus * QUANT // 100))
        for index in sorted(special):
            if groups.group_of[index] in eligible_set:
                self._admit_special(index)

    def _classes(self, eligible: list[int]) -> list[tuple[tuple[str, ...], int, list[int]]]:
        """Eligible hosts split by (spread domain, preference bonus). Services with the same
        filters share these lists, re-sorting them in place, so a placer is only valid until
        the next one is built."""
        service, groups, cluster = self.service, self.groups, self.cluster
        if groups.cache_freed != cluster.freed:  # a host dropped as full may have room again
            groups.class_cache.clear()
            groups.class_closed.clear()
            groups.cache_freed = cluster.freed
        signature = (service.constraints, service.spread, service.preferences, service.strategy)
        classes = self.groups.class_cache.get(signature)
        if classes is not None and groups.class_closed[signature] != cluster.closed:
            for _value, _bonus, hosts in classes:  # hosts that became full: gone for the run
                hosts[:] = compress(hosts, map(cluster.open.__getitem__, hosts))
            groups.class_closed[signature] = cluster.closed
        if classes is None:
            merged: dict[tuple, list[int]] = {}
            for group in eligible:
                labels = self.groups.representative[group].labels
                key = (self._domain_value(labels), self._bonus_of_group(group))
                members = groups.members[group]
                merged.setdefault(key, []).extend(compress(members, map(cluster.open.__getitem__, members)))
            classes = [(value, bonus, hosts) for (value, bonus), hosts in sorted(merged.items())]
            groups.class_cache[signature] = classes
            groups.class_closed[signature] = cluster.closed
        return classes

    def _admit_special(self, index: int) -> None:
        if affinity_reason(self.cluster, self.rules, index) is not None:
            return
        self.touched.add(index)
        self._push(index)

    def _push(self, index: int) -> None:
        key = self.key(index)
        self.heap_key[index] = key
        heapq.heappush(self._domain(self.domain_of(index)).heap, (key, index))

    def _domain(self, value: tuple[str, ...]) -> _Domain:
        domain = self.domains.get(value)
        if domain is None:
            domain = self.domains[value] = _Domain(value)
        return domain

    def _domain_value(self, labels: dict[str, str]) -> tuple[str, ...]:
        return tuple(labels.get(spread.label, "") for spread in self.service.spread)

    def domain_of(self, index: int) -> tuple[str, ...]:
        """The spread domain of host ``index``: its values of the spread labels."""
        return self._domain_value(self.cluster.hosts[index].labels)

    def _bonus_of_group(self, group: int) -> int:
        bonus = self._group_bonus.get(group)
        if bonus is None:
            labels = self.groups.representative[group].labels
            bonus = self._group_bonus[group] = preference_bonus(self.service, labels)
        return bonus

    def _count_domain(self, index: int, count: int) -> None:
        labels = self.cluster.hosts[index].labels
        for spread, counts in zip(self.service.spread, self.domain_counts):
            value = labels.get(spread.label)
            if value is not None:
                counts[value] = counts.get(value, 0) + count

    # -- scoring ------------------------------------------------------------------------------

    def key(self, index: int) -> Key:
        """Lower is better. Spread puts replicas of one service on distinct hosts first."""
        cluster = self.cluster
        bonus = self._bonus_of_group(self.groups.group_of[index])
        if self.rules:
            bonus += affinity_bonus(cluster, self.rules, index)
        same = self.counts.get(index, 0) if self.per_host_spread else 0
        return same, cluster.strategy_q(index, self.service.strategy) - bonus * QUANT // 100, cluster.rank[index]

    # -- choosing -----------------------------------------------------------------------------

    def _head(self, stream: _Stream) -> int | None:
        """The best untouched host of a stream that still fits, or None when it is used up."""
        hosts, touched, discarded = stream.hosts, self.touched, self.discarded
        while stream.pos < len(hosts):
            index = hosts[stream.pos]
            if stream.checked:
                if index not in touched:
                    return index
            elif index not in touched and index not in discarded:
                if self.cluster.misfit(self.service, index) is None:
                    stream.checked = True
                    return index
                self.discarded.add(index)  # capacity only shrinks while this service is placed
            stream.pos += 1
            stream.checked = False
        return None

    def _best_in(self, domain: _Domain) -> tuple[Key, int] | None:
        best: tuple[Key, int] | None = None
        strategy_q, rank, strategy = self.cluster.strategy_q, self.cluster.rank, self.service.strategy
        for stream in domain.streams:
            index = self._head(stream)
            if index is not None:
                key = (0, strategy_q(index, strategy) - stream.bonus_q, rank[index])
                if best is None or key < best[0]:
                    best = (key, index)
        heap = domain.heap
        while heap:
            key, index = heap[0]
            if self.heap_key.get(index) != key:
                heapq.heappop(heap)  # superseded by a newer entry for the same host
                continue
            if index in self.discarded or self.cluster.misfit(self.service, index) is not None:
                heapq.heappop(heap)
                self.discarded.add(index)
                continue
            if best is None or key < best[0]:
                best = (key, index)
            break
        return best

    def choose(self, replica: int) -> int | None:
        """The host for ``replica``, or None when no host can take it."""
        pins = volume_pins(self.cluster, self.service, replica)
        if pins is not None:
            return self._choose_pinned(pins)
        if not self.service.spread:
            domain = self.domains.get(())
            best = self._best_in(domain) if domain else None
            return best[1] if best else None
        if len(self.service.spread) == 1:
            return self._choose_one_spread()
        live = [(domain, best) for domain in self.domains.values() if (best := self._best_in(domain))]
        floors = self._spread_floors(live)
        allowed = [(best, domain) for domain, best in live if self._excess(domain.value, floors, True) == 0]
        if allowed:
            return min(allowed, key=lambda item: item[0][0])[0][1]
        # No domain keeps every skew: break soft spreads as little as possible, never hard ones.
        fallback = [(self._excess(domain.value, floors, False), best[0], best[1])
                    for domain, best in live if self._excess(domain.value, floors, None) == 0]
        return min(fallback)[2] if fallback else None

    def _choose_one_spread(self) -> int | None:
        """The common case, one spread label: visit domains emptiest first and stop at the
        first count that would exceed max skew, so most domains are never looked at."""
        spread, counts = self.service.spread[0], self.domain_counts[0]
        by_count = sorted(self.domains.values(), key=lambda d: counts.get(d.value[0], 0))
        floor = counts.get(by_count[0].value[0], 0) if spread.hard and by_count else None
        best = None
        for domain in by_count:
            count = counts.get(domain.value[0], 0)
            if floor is not None and self._skew_if_added(0, domain.value, floor) > spread.max_skew:
                break
            candidate = self._best_in(domain)
            if candidate is None:
                continue
            if floor is None:
                floor = count  # soft: the emptiest domain that can still take a replica
            if best is None or candidate[0] < best[0]:
                best = candidate
        return best[1] if best else None

    def _spread_floors(self, live: list) -> list[int]:
        """Per spread label, the smallest replica count a domain may be compared to.

        Hard spreads compare with every eligible domain (as kube-scheduler does); soft ones
        only with domains that can still take a replica, so a full zone does not stall others.
        """
        floors = []
        for position, spread in enumerate(self.service.spread):
            counts = self.domain_counts[position]
            domains = self.domains.values() if spread.hard else (domain for domain, _best in live)
            values = {domain.value[position] for domain in domains}
            floors.append(min((counts.get(v, 0) for v in values), default=0))
        return floors

    def _excess(self, value: tuple[str, ...], floors: list[int], hard: bool | None) -> int:
        """By how much one more replica in ``value`` exceeds max skew; ``hard`` selects which
        spreads count (None: hard ones only, False: soft ones only, True: all)."""
        excess = 0
        for position, spread in enumerate(self.service.spread):
            if hard is None and not spread.hard or hard is False and spread.hard:
                continue
            excess += max(0, self._skew_if_added(position, value, floors[position]) - spread.max_skew)
        return excess

    def _skew_if_added(self, position: int, value: tuple[str, ...], floor: int) -> int:
        """The skew of spread ``position`` after one more replica in domain ``value``."""
        return self.domain_counts[position].get(value[position], 0) + 1 - floor

    def _choose_pinned(self, pins: set[int]) -> int | None:
        # A local volume decides the host: spread gives way to it.
        candidates = []
        for index in sorted(pins):
            if (index in self.discarded or static_reason(self.service, self.cluster.hosts[index])
                    or affinity_reason(self.cluster, self.rules, index)
                    or self.cluster.misfit(self.service, index)):
                continue
            candidates.append((self.key(index), index))
        return min(candidates)[1] if candidates else None

    def spread_reason(self, index: int) -> str | None:
        """Why a hard spread keeps another replica off host ``index`` (for explanations)."""
        value = self.domain_of(index)
        floors = self._spread_floors([])
        for position, spread in enumerate(self.service.spread):
            if spread.hard and self._skew_if_added(position, value, floors[position]) > spread.max_skew:
                return f"spread {spread.label}: max skew {spread.max_skew}"
        return None

    def over_skew(self, index: int) -> bool:
        """Whether the domain of host ``index`` already exceeds a max skew (any spread)."""
        value = self.domain_of(index)
        for position, spread in enumerate(self.service.spread):
            counts = self.domain_counts[position]
            floor = min((counts.get(d.value[position], 0) for d in self.domains.values()), default=0)
            if counts.get(value[position], 0) - floor > spread.max_skew:
                return True
        return False

    # -- placing ------------------------------------------------------------------------------

    def place(self, replica: int, index: int) -> None:
        self.cluster.add(self.service, replica, index)
        self._count_domain(index, 1)
        self.touched.add(index)  # its stream entry is skipped from now on
        self._push(index)  # the old heap entry, if any, is now stale

    def place_missing(self, replicas: list[int]) -> list[int]:
        """Place ``replicas`` best host first; returns those no host could take."""
        unplaced = []
        for replica in replicas:
            index = self.choose(replica)
            if index is None:
                unplaced.append(replica)
            else:
                self.place(replica, index)
        return unplaced
