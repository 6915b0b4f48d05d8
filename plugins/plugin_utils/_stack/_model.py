# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The stack model: a Compose project (canonical JSON from the loader) -> plain data the roles can use.

Pure Python, no Ansible import. Shape (documented in docs/compose.md)::

    {name, project_dir, services: {svc: {name, replicas, mode, container, placement, pending, files, build,
     depends_on, profiles, platform, pull_policy, hosts, deploy, containers}}, networks, volumes, warnings}
"""

from __future__ import annotations

import os

from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import container_name

from ._deploy import placement_spec, replicas_of, x_flotilla
from ._errors import StackError
from ._loader import load_compose
from ._mounts import FILES_DIR
from ._services import map_service
from ._validate import check_container_name, check_dependencies, check_shared_namespaces, check_top_level

_NETWORK_KEYS = ("driver", "driver_opts", "ipam", "internal", "attachable", "labels", "enable_ipv6", "enable_ipv4")
_VOLUME_KEYS = ("driver", "driver_opts", "labels")


def load_stack(files=(), definition=None, project_dir=None, env=None, profiles=(), name=None,
               files_dir=FILES_DIR, base_env=None) -> dict:
    """Load with Compose, then map: the one entry point of the package."""
    project = load_compose(files, definition, project_dir, env, profiles, name, base_env)
    stack = build_stack(project, files_dir)
    stack["files"] = [str(item) for item in files]
    stack["project_dir"] = os.path.abspath(project_dir or (os.path.dirname(os.path.abspath(str(files[0])))
                                                           if files else os.getcwd()))
    return stack


def build_stack(project: dict, files_dir: str = FILES_DIR) -> dict:
    warnings: list[str] = []
    check_top_level(project, warnings)
    stack = project.get("name")
    if not stack:
        raise StackError("name", "the Compose project has no name")
    defaults = x_flotilla(project.get("x-flotilla"), "x-flotilla")
    networks = {key: _network(value) for key, value in sorted((project.get("networks") or {}).items())}
    volumes = {key: _volume(value) for key, value in sorted((project.get("volumes") or {}).items())}
    services = {}
    for name, definition in (project.get("services") or {}).items():
        services[name] = _service(stack, name, definition, project, defaults, files_dir, warnings)
    check_shared_namespaces(services)
    check_dependencies(services)
    for name, service in services.items():
        mode = service["pending"].get("network_mode")
        if mode:  # x's network namespace is on x's host
            target = mode.split(":", 1)[1]
            service["placement"].setdefault("affinity", []).append({"service": target, "required": True})
    return {"name": stack, "project_dir": "", "services": services,
            "networks": networks, "volumes": volumes, "x_flotilla": defaults, "warnings": warnings}


def _service(stack, name, definition, project, defaults, files_dir, warnings) -> dict:
    model = map_service(stack, name, definition, project, files_dir, warnings)
    replicas = replicas_of(name, definition)
    deploy = dict(definition.get("deploy") or {})
    mode = deploy.get("mode") or "replicated"
    check_container_name(name, definition, replicas, mode)
    if definition.get("container_name"):
        model["container"]["name"] = definition["container_name"]
    own = x_flotilla(definition.get("x-flotilla"), f"services.{name}.x-flotilla")
    hosts = own.get("hosts", defaults.get("hosts"))
    return {
        "name": name,
        "replicas": replicas,
        "mode": mode,
        "container": model["container"],
        "placement": placement_spec(stack, name, definition, project.get("volumes") or {}, defaults, warnings),
        "pending": model["pending"],
        "files": model["files"],
        "build": definition.get("build"),
        "depends_on": definition.get("depends_on") or {},
        "profiles": list(definition.get("profiles") or []),
        "platform": definition.get("platform"),
        "pull_policy": definition.get("pull_policy"),
        "hosts": hosts,
        "deploy": deploy,
        "containers": _container_names(stack, name, definition, replicas, mode),
    }


def _container_names(stack, name, definition, replicas, mode) -> list:
    """Known before placement for replicated services; a global service's count depends on the hosts."""
    if definition.get("container_name"):
        return [definition["container_name"]]
    if mode != "replicated":
        return []
    return [container_name(stack, name, index) for index in range(1, replicas + 1)]


def _network(value: dict) -> dict:
    value = value or {}
    network = {"name": value.get("name"), "external": bool(value.get("external"))}
    network.update({key: value[key] for key in _NETWORK_KEYS if value.get(key) not in (None, {}, [])})
    return network


def _volume(value: dict) -> dict:
    value = value or {}
    volume = {"name": value.get("name"), "external": bool(value.get("external"))}
    volume.update({key: value[key] for key in _VOLUME_KEYS if value.get(key) not in (None, {}, [])})
    return volume
