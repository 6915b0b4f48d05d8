"""Validated, immutable inputs of one placement run."""

from __future__ import annotations

from dataclasses import dataclass, field

from ._constraints import Constraint

CPUS = "cpus"
MEMORY = "memory"
STRATEGIES = ("spread", "binpack")
AVAILABILITIES = ("active", "drain", "pause")


@dataclass(frozen=True, slots=True)
class Spread:
    """Topology spread: keep replica counts per value of ``label`` within ``max_skew``."""

    label: str
    max_skew: int = 1
    hard: bool = False


@dataclass(frozen=True, slots=True)
class Affinity:
    """Attraction to (positive weight) or repulsion from (negative weight) another service."""

    service: str
    weight: int
    required: bool

    @property
    def anti(self) -> bool:
        return self.weight < 0


@dataclass(frozen=True, slots=True)
class Preference:
    constraint: Constraint
    weight: int


@dataclass(frozen=True, slots=True)
class Service:
    name: str
    order: int  # position in the request, the final tie-break between services
    replicas: int
    project: str
    request: tuple[tuple[str, int], ...]  # (resource, amount) pairs, amount > 0 only
    ports: tuple[str, ...] = ()
    constraints: tuple[Constraint, ...] = ()
    max_per_host: int | None = None
    spread: tuple[Spread, ...] = ()
    affinity: tuple[Affinity, ...] = ()
    preferences: tuple[Preference, ...] = ()
    priority: int = 0
    preemption: bool = False
    volumes: tuple[str, ...] = ()
    strategy: str = "spread"

    def container_name(self, replica: int) -> str:
        prefix = f"{self.project}-" if self.project else ""
        return f"{prefix}{self.name}-{replica}"

    def volumes_of(self, replica: int) -> tuple[str, ...]:
        # "{replica}" gives each replica its own local volume (db-data-1, db-data-2, ...).
        if not self.volumes:
            return ()
        return tuple(v.replace("{replica}", str(replica)) for v in self.volumes)

    def amount(self, resource: str) -> int:
        return dict(self.request).get(resource, 0)


@dataclass(frozen=True, slots=True)
class Container:
    """A container already running on a host; ``service`` is None when it is not ours."""

    name: str
    service: str | None
    project: str
    replica: int | None
    usage: tuple[tuple[str, int], ...]
    ports: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Host:
    name: str
    order: int
    capacity: dict[str, int]
    labels: dict[str, str]
    availability: str = "active"
    reachable: bool = True
    containers: tuple[Container, ...] = ()
    volumes: tuple[str, ...] = ()  # local named volumes held by the host

    @property
    def state(self) -> str:
        """Why new replicas may not go here: "active" when they may."""
        return self.availability if self.reachable else "unreachable"


@dataclass(frozen=True, slots=True)
class Options:
    strategy: str = "spread"
    resource_weights: dict[str, float] = field(default_factory=lambda: {CPUS: 1.0, MEMORY: 1.0})
    seed: int | None = None
    rebalance: bool = False
    max_moves: int = 10
    project: str = ""
