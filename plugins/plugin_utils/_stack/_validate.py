# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Rules across services and top-level keys, checked before anything is placed."""

from __future__ import annotations

from ._errors import StackError
from ._keys import TOP_LEVEL_IGNORED, TOP_LEVEL_KEYS, TOP_LEVEL_REFUSED


def check_top_level(project: dict, warnings: list) -> None:
    for key in project:
        if key.startswith("x-") and key != "x-flotilla":
            continue
        if key in TOP_LEVEL_REFUSED:
            raise StackError(key, f"not supported: {TOP_LEVEL_REFUSED[key]}")
        if key in TOP_LEVEL_IGNORED:
            warnings.append(f"{key}: ignored ({TOP_LEVEL_IGNORED[key]})")
        elif key not in TOP_LEVEL_KEYS:
            raise StackError(key, "a top-level Compose key that flotilla.fleet does not know yet")


def check_container_name(name: str, definition: dict, replicas: int, mode: str) -> None:
    fixed = definition.get("container_name")
    if fixed and (replicas != 1 or mode == "global"):
        count = "one per host (mode global)" if mode == "global" else f"{replicas} replicas"
        raise StackError(f"services.{name}.container_name", f"{fixed!r} names one container, but the service has "
                         f"{count}: remove container_name or run 1 replica")


def check_shared_namespaces(services: dict) -> None:
    """``network_mode: service:x`` joins one container of x, so x must have exactly one replica."""
    for name, service in services.items():
        mode = service["pending"].get("network_mode")
        if not mode:
            continue
        target = mode.split(":", 1)[1]
        field = f"services.{name}.network_mode"
        if target not in services:
            raise StackError(field, f"service {target!r} is not in the stack")
        other = services[target]
        if other["mode"] == "global" or other["replicas"] != 1:
            count = "one per host (mode global)" if other["mode"] == "global" else f"{other['replicas']} replicas"
            raise StackError(field, f"{mode} needs {target} to run 1 replica, it has {count} "
                             f"({name} joins the network namespace of one container)")


def check_dependencies(services: dict) -> None:
    """Compose refuses cycles itself; this keeps the rule where the model is built from data, not a file."""
    state: dict[str, int] = {}

    def visit(name: str, path: list) -> None:
        state[name] = 1
        for other in services[name]["depends_on"]:
            if other not in services:
                raise StackError(f"services.{name}.depends_on.{other}", f"service {other!r} is not in the stack")
            if state.get(other) == 1:
                cycle = path[path.index(other):] + [other] if other in path else [name, other]
                raise StackError(f"services.{cycle[0]}.depends_on", "cycle " + " -> ".join(cycle))
            if not state.get(other):
                visit(other, path + [other])
        state[name] = 2

    for name in services:
        if not state.get(name):
            visit(name, [name])
