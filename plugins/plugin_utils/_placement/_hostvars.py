"""Read one host's capacity, labels, availability and current replicas from its variables.

Facts gathered by ``flotilla.fleet.host_info`` (stored in ``flotilla_host_info``) come first
for what is measured (cpus, memory, containers, volumes); inventory variables fill in what the
facts do not say. Labels are declared rather than measured, so all sources merge, inventory
last so that it can correct a daemon label. A host is drained or paused if either the swarm
node availability or ``flotilla_availability`` says so.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._errors import PlacementError
from ._model import Host
from ._parse_hosts import Field, build_host

INFO = "flotilla_host_info"
# Fallback inventory variables, by the field they provide.
INVENTORY_VARS = {
    "cpus": "flotilla_cpus",
    "memory": "flotilla_memory",
    "resources": "flotilla_resources",
    "labels": "flotilla_labels",
    "availability": "flotilla_availability",
    "containers": "flotilla_current",
    "volumes": "flotilla_volumes",
}
ZONE_VAR = "flotilla_zone"
# Every variable host_from_vars reads: the lookup templates only these (hostvars are lazy).
HOST_VARIABLES = (INFO, *INVENTORY_VARS.values(), ZONE_VAR)
_STRICTNESS = {"active": 0, "pause": 1, "drain": 2}


def host_from_vars(name: str, order: int, hostvars: Mapping, reachable: bool) -> Host:
    path = f"hostvars[{name}]"
    fields: dict[str, Field] = {}
    info = hostvars.get(INFO)
    if info is not None:
        fields.update(_fact_fields(info, f"{path}.{INFO}"))
    for field, variable in INVENTORY_VARS.items():
        value = hostvars.get(variable)
        if value is not None and field not in fields:
            fields[field] = Field(value, f"{path}.{variable}")
    fields["labels"] = _merged_labels(hostvars, fields.get("labels"), path)
    fields["availability"] = _strictest_availability(hostvars, fields.get("availability"), path)
    return build_host(name, order, {k: v for k, v in fields.items() if v is not None}, reachable, path)


def _fact_fields(info: object, path: str) -> dict[str, Field]:
    if not isinstance(info, Mapping):
        raise PlacementError(path, f"must be the result of flotilla.fleet.host_info (a mapping), got {type(info).__name__}")
    engine = _section(info, "engine", path)
    swarm = _section(info, "swarm", path)
    fields = {}
    for key in ("cpus", "memory", "resources"):
        if engine.get(key) is not None:
            fields[key] = Field(engine[key], f"{path}.engine.{key}")
    labels = dict(_labels(engine, "labels", f"{path}.engine"))
    labels.update(_labels(swarm, "node_labels", f"{path}.swarm"))
    fields["labels"] = Field(labels, f"{path}.engine.labels")
    if swarm.get("node_availability"):
        fields["availability"] = Field(swarm["node_availability"], f"{path}.swarm.node_availability")
    for key in ("containers", "volumes"):
        if info.get(key) is not None:
            fields[key] = Field(info[key], f"{path}.{key}")
    return fields


def _section(info: Mapping, key: str, path: str) -> Mapping:
    section = info.get(key)
    if section is None:
        return {}
    if not isinstance(section, Mapping):  # `engine: []` too: facts that say nothing are a mistake
        raise PlacementError(f"{path}.{key}", f"must be a mapping, got {type(section).__name__}")
    return section


def _labels(section: Mapping, key: str, path: str) -> Mapping:
    labels = section.get(key)
    if labels is None:
        return {}
    if not isinstance(labels, Mapping):
        raise PlacementError(f"{path}.{key}", f"must be a mapping of label names to values, got {type(labels).__name__}")
    return labels


def _merged_labels(hostvars: Mapping, facts: Field | None, path: str) -> Field:
    labels: dict = {}
    for source, source_path in ((facts.value if facts else None, facts.path if facts else ""),
                                (hostvars.get("flotilla_labels"), f"{path}.flotilla_labels")):
        if source is None:
            continue
        if not isinstance(source, Mapping):
            raise PlacementError(source_path, f"must be a mapping of label names to values, got {type(source).__name__}")
        labels.update(source)
    zone = hostvars.get(ZONE_VAR)
    if zone is not None:
        labels["zone"] = zone
    return Field(labels, f"{path}.flotilla_labels")


def _strictest_availability(hostvars: Mapping, facts: Field | None, path: str) -> Field | None:
    inventory = hostvars.get("flotilla_availability")
    if inventory is None or facts is None:
        return facts if inventory is None else Field(inventory, f"{path}.flotilla_availability")
    facts_level = _STRICTNESS.get(str(facts.value).lower(), 0)
    inventory_level = _STRICTNESS.get(str(inventory).lower(), -1)
    if inventory_level < 0:
        return Field(inventory, f"{path}.flotilla_availability")  # invalid: let build_host report it
    return facts if facts_level >= inventory_level else Field(inventory, f"{path}.flotilla_availability")
