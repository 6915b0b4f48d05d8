"""Turn the user's service dicts and options into validated model objects.

Every error names the field path, e.g. ``services[2].memory: cannot parse '12xb' ...``.
"""

from __future__ import annotations

import difflib
import re

from ._constraints import Constraint, check_satisfiable, parse_constraint
from ._errors import (PlacementError, is_int, require_bool, require_dict, require_int,
                      require_list, require_str, type_name)
from ._model import CPUS, MEMORY, STRATEGIES, Affinity, Options, Preference, Service, Spread
from ._quantities import parse_count, parse_cpus, parse_memory, parse_port

SERVICE_KEYS = (
    "name", "replicas", "project", "cpus", "memory", "resources", "ports", "constraints",
    "max_per_host", "distinct_hosts", "spread", "affinity", "anti_affinity", "preferences",
    "priority", "preemption", "volumes", "strategy",
)
_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]*$")
_RESOURCE_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-/]*$")
DEFAULT_AFFINITY_WEIGHT = 100


def parse_options(raw: dict) -> Options:
    strategy = raw.get("strategy", "spread")
    if strategy not in STRATEGIES:
        raise PlacementError("strategy", f"unknown strategy {strategy!r} (use spread or binpack)")
    weights = {CPUS: 1.0, MEMORY: 1.0}
    for name, weight in require_dict(raw.get("resource_weights") or {}, "resource_weights").items():
        if isinstance(weight, bool) or not isinstance(weight, (int, float)) or weight < 0:
            raise PlacementError(f"resource_weights.{name}", f"must be a number >= 0, got {weight!r}")
        weights[str(name)] = float(weight)
    seed = raw.get("seed")
    if seed is not None and not is_int(seed):
        raise PlacementError("seed", f"must be an integer, got {seed!r}")
    project = raw.get("project") or ""
    if project and not _NAME_RE.match(str(project)):
        raise PlacementError("project", f"invalid name {project!r} (letters, digits, '_', '.', '-')")
    return Options(
        strategy=strategy,
        resource_weights=weights,
        seed=seed,
        rebalance=require_bool(raw.get("rebalance", False), "rebalance"),
        max_moves=require_int(raw.get("max_moves", 10), "max_moves", 0),
        project=str(project),
    )


def parse_services(raw: object, options: Options) -> list[Service]:
    if not isinstance(raw, (list, tuple)):
        raise PlacementError("services", f"expected a list of service dicts, got {type_name(raw)}")
    services: list[Service] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(raw):
        path = f"services[{index}]"
        service = _parse_service(require_dict(item, path), path, index, options)
        if service.name in seen:
            raise PlacementError(
                f"{path}.name", f"duplicate service {service.name!r} (also services[{seen[service.name]}])"
            )
        seen[service.name] = index
        services.append(service)
    for service in services:
        _check_affinity_targets(service, seen)
    return services


def _parse_service(raw: dict, path: str, index: int, options: Options) -> Service:
    _reject_unknown_keys(raw, SERVICE_KEYS, path)
    if "name" not in raw:
        raise PlacementError(f"{path}.name", "required")
    name = require_str(raw["name"], f"{path}.name")
    if not _NAME_RE.match(name):
        raise PlacementError(f"{path}.name", f"invalid name {name!r} (letters, digits, '_', '.', '-')")
    project = raw.get("project", options.project) or ""
    if project and not _NAME_RE.match(str(project)):
        raise PlacementError(f"{path}.project", f"invalid name {project!r} (letters, digits, '_', '.', '-')")
    max_per_host = raw.get("max_per_host")
    if max_per_host is not None:
        max_per_host = require_int(max_per_host, f"{path}.max_per_host", 1)
    if require_bool(raw.get("distinct_hosts", False), f"{path}.distinct_hosts"):
        max_per_host = 1
    strategy = raw.get("strategy", options.strategy)
    if strategy not in STRATEGIES:
        raise PlacementError(f"{path}.strategy", f"unknown strategy {strategy!r} (use spread or binpack)")
    constraints = tuple(
        parse_constraint(item, f"{path}.constraints[{i}]")
        for i, item in enumerate(require_list(raw.get("constraints") or [], f"{path}.constraints"))
    )
    check_satisfiable(constraints, f"{path}.constraints")
    return Service(
        name=name,
        order=index,
        replicas=require_int(raw.get("replicas", 1), f"{path}.replicas", 0),
        project=str(project),
        request=_parse_request(raw, path),
        ports=_parse_ports(raw.get("ports") or [], f"{path}.ports"),
        constraints=constraints,
        max_per_host=max_per_host,
        spread=_parse_spread(raw.get("spread") or [], f"{path}.spread"),
        affinity=_parse_affinity(raw, path, name),
        preferences=_parse_preferences(raw.get("preferences") or [], f"{path}.preferences"),
        priority=_parse_priority(raw.get("priority", 0), f"{path}.priority"),
        preemption=require_bool(raw.get("preemption", False), f"{path}.preemption"),
        volumes=tuple(
            require_str(v, f"{path}.volumes[{i}]")
            for i, v in enumerate(require_list(raw.get("volumes") or [], f"{path}.volumes"))
        ),
        strategy=strategy,
    )


def _parse_request(raw: dict, path: str) -> tuple[tuple[str, int], ...]:
    amounts = {
        CPUS: parse_cpus(raw.get("cpus", 0), f"{path}.cpus"),
        MEMORY: parse_memory(raw.get("memory", 0), f"{path}.memory"),
    }
    for name, amount in sorted(require_dict(raw.get("resources") or {}, f"{path}.resources").items()):
        field = f"{path}.resources.{name}"
        if name in (CPUS, MEMORY):
            raise PlacementError(field, f"set {name} at the service level, not under resources")
        if not _RESOURCE_RE.match(str(name)):
            raise PlacementError(field, f"invalid resource name {name!r}")
        amounts[str(name)] = parse_count(amount, field)
    return tuple((name, amount) for name, amount in amounts.items() if amount > 0)


def _parse_ports(raw: object, path: str) -> tuple[str, ...]:
    ports: list[str] = []
    for i, item in enumerate(require_list(raw, path)):
        port = parse_port(item, f"{path}[{i}]")
        if port in ports:
            raise PlacementError(f"{path}[{i}]", f"duplicate host port {port}")
        ports.append(port)
    return tuple(ports)


def _parse_spread(raw: object, path: str) -> tuple[Spread, ...]:
    spreads: list[Spread] = []
    for i, item in enumerate(require_list(raw, path)):
        item_path = f"{path}[{i}]"
        item = {"label": item} if isinstance(item, str) else require_dict(item, item_path)
        _reject_unknown_keys(item, ("label", "max_skew", "hard"), item_path)
        label = require_str(item.get("label"), f"{item_path}.label")
        if any(s.label == label for s in spreads):
            raise PlacementError(f"{item_path}.label", f"label {label!r} is already spread over")
        spreads.append(Spread(
            label=label,
            max_skew=require_int(item.get("max_skew", 1), f"{item_path}.max_skew", 1),
            hard=require_bool(item.get("hard", False), f"{item_path}.hard"),
        ))
    return tuple(spreads)


def _parse_affinity(raw: dict, path: str, own_name: str) -> tuple[Affinity, ...]:
    rules: list[Affinity] = []
    for key, sign in (("affinity", 1), ("anti_affinity", -1)):
        for i, item in enumerate(require_list(raw.get(key) or [], f"{path}.{key}")):
            item_path = f"{path}.{key}[{i}]"
            item = {"service": item} if isinstance(item, str) else require_dict(item, item_path)
            _reject_unknown_keys(item, ("service", "weight", "required"), item_path)
            target = require_str(item.get("service"), f"{item_path}.service")
            if target == own_name:
                hint = "use max_per_host or distinct_hosts" if sign < 0 else "replicas may always share a host"
                raise PlacementError(f"{item_path}.service", f"a service cannot refer to itself ({hint})")
            weight = require_int(item.get("weight", DEFAULT_AFFINITY_WEIGHT), f"{item_path}.weight", 0)
            required = require_bool(item.get("required", False), f"{item_path}.required")
            # Required anti-affinity needs a sign even with weight 0; -1 keeps it an "anti" rule.
            rules.append(Affinity(target, sign * max(weight, 1 if required else 0), required))
    return tuple(rules)


def _parse_preferences(raw: object, path: str) -> tuple[Preference, ...]:
    preferences: list[Preference] = []
    for i, item in enumerate(require_list(raw, path)):
        item_path = f"{path}[{i}]"
        item = require_dict(item, item_path)
        _reject_unknown_keys(item, ("match", "weight"), item_path)
        if "match" not in item:
            raise PlacementError(f"{item_path}.match", "required (a label expression such as 'disk == ssd')")
        constraint: Constraint = parse_constraint(item["match"], f"{item_path}.match")
        weight = item.get("weight", 10)
        if not is_int(weight):
            raise PlacementError(f"{item_path}.weight", f"must be an integer, got {weight!r}")
        preferences.append(Preference(constraint, weight))
    return tuple(preferences)


def _parse_priority(value: object, path: str) -> int:
    if not is_int(value):
        raise PlacementError(path, f"must be an integer, got {value!r}")
    return value


def _check_affinity_targets(service: Service, known: dict[str, int]) -> None:
    positions = {True: 0, False: 0}  # rules are stored affinity first, then anti_affinity
    for rule in service.affinity:
        position = positions[rule.anti]
        positions[rule.anti] += 1
        if rule.service not in known:
            key = "anti_affinity" if rule.anti else "affinity"
            path = f"services[{service.order}].{key}[{position}].service"
            close = difflib.get_close_matches(rule.service, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PlacementError(path, f"unknown service {rule.service!r}{hint}")


def _reject_unknown_keys(raw: dict, allowed: tuple[str, ...], path: str) -> None:
    for key in raw:
        if key not in allowed:
            close = difflib.get_close_matches(str(key), allowed, n=1)
            hint = f"did you mean {close[0]!r}?" if close else "use " + ", ".join(allowed)
            raise PlacementError(path, f"unknown key {key!r} ({hint})")
