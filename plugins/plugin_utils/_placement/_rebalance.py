"""Rebalance: move the fewest replicas that clearly improve the placement.

Each step moves the one replica whose best other host beats its current host by the most
(fixing a topology-spread violation first, then spreading replicas of a service over hosts,
then the strategy score by at least MARGIN), until ``max_moves`` or nothing improves. The
margin keeps two nearly equal hosts from trading a replica back and forth.
"""

from __future__ import annotations

from ._cluster import QUANT
from ._model import Service
from ._scheduler import Run

MARGIN = QUANT // 20  # five points of the 0-100 strategy score


def rebalance(run: Run, max_moves: int) -> None:
    for _move in range(max_moves):
        best = None
        for service in run.by_priority():
            if service.volumes:
                continue  # local volumes stay where they are
            found = _best_move(run, service)
            if found and (best is None or found[0] > best[0]):
                best = found
        if best is None:
            return
        _gain, service, replica, target = best
        run.cluster.remove(service, replica)
        run.placer(service).place(replica, target)
        run.left_because.setdefault((service.name, replica), "rebalance")


def _best_move(run: Run, service: Service) -> tuple[tuple[int, int, int], Service, int, int] | None:
    """The most improving move of one replica of ``service``: (gain, service, replica, host)."""
    cluster = run.cluster
    replicas = sorted(cluster.placed[service.name])
    if not replicas:
        return None
    placer = run.placer(service)
    target = placer.choose(replicas[0])
    if target is None:
        return None
    target_key = placer.key(target)
    candidates = []
    for replica in replicas:
        current = cluster.placed[service.name][replica]
        if current == target:
            continue
        violating = placer.over_skew(current) and placer.domain_of(current) != placer.domain_of(target)
        cluster.remove(service, replica)
        current_key = placer.key(current)
        cluster.add(service, replica, current)
        gain = (int(violating), current_key[0] - target_key[0], current_key[1] - target_key[1])
        if gain > (0, 0, MARGIN):
            candidates.append((gain, -replica, current))
    for gain, negated, current in sorted(candidates, reverse=True):
        # The target was chosen with the replica still counted where it is: check the move
        # itself, as the replica leaving can change what a hard rule allows.
        if not run.strands_followers(service, current, 1) and run.keeps_hard_spread(service, {current: -1, target: 1}):
            return gain, service, -negated, target
    return None
