# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""``deploy``, ``platform`` and ``x-flotilla`` of one service -> the placement lookup's service spec.

Swarm constraints (``node.labels.zone == eu``) become the lookup's label expressions (``zone == eu``); the
labels ``node.role``, ``node.id``, ``node.platform.arch`` and ``node.platform.os`` are provided per host by the
plan from its ``host_info`` facts.
"""

from __future__ import annotations

import re

from ._errors import StackError, suggestion
from ._keys import DEPLOY_IGNORED, DEPLOY_MAPPED, X_FLOTILLA_KEYS
from ._mounts import fixed_host_ports
from ._units import parse_bytes

_CONSTRAINT_RE = re.compile(r"^\s*(?P<label>[A-Za-z0-9_.\-/]+)\s*(?P<op>[=!<>~]+)\s*(?P<value>.*?)\s*$")
_SWARM_OPERATORS = ("==", "!=")
# Swarm's names -> the labels the plan gives each host.
_SWARM_LABELS = {"node.hostname": "hostname", "node.role": "node.role", "node.id": "node.id",
                 "node.platform.arch": "node.platform.arch", "node.platform.os": "node.platform.os"}
_ARCH_ALIASES = {"x86_64": "amd64", "aarch64": "arm64", "armhf": "arm"}
MODES = ("replicated", "global")


def placement_spec(stack: str, name: str, definition: dict, volumes: dict, defaults: dict, warnings: list) -> dict:
    """The lookup's service mapping for ``name`` (see ``flotilla.fleet.placement``)."""
    deploy = definition.get("deploy") or {}
    _check_deploy_keys(name, deploy, warnings)
    spec = {"name": name, "project": stack, "replicas": replicas_of(name, definition)}
    reservations = (deploy.get("resources") or {}).get("reservations") or {}
    if reservations.get("cpus") not in (None, 0):
        spec["cpus"] = float(reservations["cpus"])
    if reservations.get("memory") not in (None, 0, "0"):
        spec["memory"] = parse_bytes(reservations["memory"], f"services.{name}.deploy.resources.reservations.memory")
    if reservations.get("devices"):
        raise StackError(f"services.{name}.deploy.resources.reservations.devices", "device requests are not "
                         "supported yet; reserve a count with generic_resources (discrete_resource_spec) instead")
    generic = _generic_resources(name, reservations.get("generic_resources") or [])
    if generic:
        spec["resources"] = generic
    ports = fixed_host_ports(definition.get("ports"))
    if ports:
        spec["ports"] = ports
    placement = deploy.get("placement") or {}
    constraints = [swarm_constraint(text, f"services.{name}.deploy.placement.constraints[{index}]")
                   for index, text in enumerate(placement.get("constraints") or [])]
    constraints += platform_constraints(name, definition.get("platform"))
    spread = []
    for index, preference in enumerate(placement.get("preferences") or []):
        label = preference.get("spread")
        if not label:
            raise StackError(f"services.{name}.deploy.placement.preferences[{index}]", "only spread preferences exist")
        spread.append(swarm_label(label, f"services.{name}.deploy.placement.preferences[{index}].spread"))
    if placement.get("max_replicas_per_node"):
        spec["max_per_host"] = int(placement["max_replicas_per_node"])
    local = [volumes[use["source"]]["name"] for use in definition.get("volumes") or []
             if use.get("type") == "volume" and use.get("source") in volumes
             and (volumes[use["source"]].get("driver") or "local") == "local"]
    if local:
        spec["volumes"] = sorted(set(local))
    extra = x_flotilla(definition.get("x-flotilla"), f"services.{name}.x-flotilla")
    merged = {**defaults, **extra}
    constraints += list(merged.pop("constraints", []))
    if constraints:
        spec["constraints"] = constraints
    # x-flotilla says more about a label (max_skew, hard) than a Swarm preference: it replaces it.
    extra_spread = merged.pop("spread", [])
    named = {item.get("label") if isinstance(item, dict) else item for item in extra_spread}
    spread = [label for label in spread if label not in named] + extra_spread
    if spread:
        spec["spread"] = spread
    merged.pop("hosts", None)  # the plan turns hosts into a constraint, it knows the inventory
    if "max_per_host" in merged and "max_per_host" in spec:
        raise StackError(f"services.{name}.x-flotilla.max_per_host",
                         "also set by deploy.placement.max_replicas_per_node: keep one")
    spec.update(merged)
    return spec


def replicas_of(name: str, definition: dict) -> int:
    deploy = definition.get("deploy") or {}
    mode = deploy.get("mode") or "replicated"
    if mode not in MODES:
        raise StackError(f"services.{name}.deploy.mode", f"{mode!r} is not supported (use replicated or global)")
    replicas = deploy.get("replicas")
    if replicas is None:
        replicas = definition.get("scale", 1)
    return int(replicas)


def swarm_label(text: str, field: str) -> str:
    """``node.labels.zone`` -> ``zone``; ``engine.labels.x`` -> ``x``; ``node.hostname`` -> ``hostname``."""
    for prefix in ("node.labels.", "engine.labels."):
        if text.startswith(prefix) and len(text) > len(prefix):
            return text[len(prefix):]
    if text in _SWARM_LABELS:
        return _SWARM_LABELS[text]
    known = [*_SWARM_LABELS, "node.labels.<name>", "engine.labels.<name>"]
    raise StackError(field, f"unknown attribute {text!r}{suggestion(text, _SWARM_LABELS)} (use {', '.join(known)})")


def swarm_constraint(text: str, field: str) -> str:
    match = _CONSTRAINT_RE.match(str(text))
    if not match:
        raise StackError(field, f"cannot parse {text!r} (use <attribute> == <value> or <attribute> != <value>)")
    if match.group("op") not in _SWARM_OPERATORS:
        raise StackError(field, f"unknown operator {match.group('op')!r} in {text!r} (Swarm constraints use == or !=; "
                         "x-flotilla.constraints takes the scheduler's full set)")
    if not match.group("value"):
        raise StackError(field, f"{text!r} needs a value")
    label = swarm_label(match.group("label"), field)
    value = match.group("value")
    if label == "node.platform.arch":
        value = _ARCH_ALIASES.get(value, value)
    return f"{label} {match.group('op')} {value}"


def platform_constraints(name: str, platform) -> list[str]:
    if not platform:
        return []
    parts = str(platform).split("/")
    if len(parts) < 2 or not all(parts[:2]):
        raise StackError(f"services.{name}.platform", f"{platform!r} is not os/arch[/variant], such as linux/arm64")
    return [f"node.platform.os == {parts[0]}", f"node.platform.arch == {_ARCH_ALIASES.get(parts[1], parts[1])}"]


def x_flotilla(raw, field: str) -> dict:
    """The ``x-flotilla`` mapping, keys checked (the values are checked by the scheduler with the rest)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise StackError(field, f"must be a mapping, got {type(raw).__name__}")
    for key in raw:
        if key not in X_FLOTILLA_KEYS:
            raise StackError(f"{field}.{key}", f"unknown key{suggestion(key, X_FLOTILLA_KEYS)} "
                             f"(use {', '.join(X_FLOTILLA_KEYS)})")
    result = dict(raw)
    for key in ("constraints", "spread", "affinity", "anti_affinity", "preferences"):
        if key in result and not isinstance(result[key], list):
            raise StackError(f"{field}.{key}", f"must be a list, got {type(result[key]).__name__}")
    hosts = result.get("hosts")
    if hosts is not None:
        if isinstance(hosts, str):
            result["hosts"] = [hosts]
        elif not (isinstance(hosts, list) and all(isinstance(item, str) and item for item in hosts)):
            raise StackError(f"{field}.hosts", "must be a group or host name, or a list of them")
    return result


def _generic_resources(name: str, entries: list) -> dict:
    resources = {}
    for index, entry in enumerate(entries):
        discrete = entry.get("discrete_resource_spec")
        if not discrete:
            raise StackError(f"services.{name}.deploy.resources.reservations.generic_resources[{index}]",
                             "only discrete_resource_spec is supported (a count the scheduler can add up)")
        resources[discrete["kind"]] = resources.get(discrete["kind"], 0) + int(discrete.get("value") or 0)
    return resources


def _check_deploy_keys(name: str, deploy: dict, warnings: list) -> None:
    for key in deploy:
        field = f"services.{name}.deploy.{key}"
        if key in DEPLOY_IGNORED:
            warnings.append(f"{field}: ignored ({DEPLOY_IGNORED[key]})")
        elif key not in DEPLOY_MAPPED:
            raise StackError(field, "a Compose deploy key that flotilla.fleet does not know yet")
