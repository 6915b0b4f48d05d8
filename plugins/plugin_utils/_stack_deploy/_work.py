# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""From ``stack_plan`` to what each host must hold: networks, volumes, secret files, containers by level.

Pure Python over plain data (the plan, the hosts' ``flotilla_host_info`` facts), so the role's tasks only loop
over lists this builds. Every check runs before the role changes anything; errors name the stack, the service
and the field.
"""

from __future__ import annotations

import hashlib
import os
import re

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._replicas import replica_containers

STACK_LABEL = "flotilla.stack"
# "flotilla." labels are the modules' own (USER_SETTABLE_LABELS): the hash lives beside them.
FILES_HASH_LABEL = "com.flotilla.files-hash"
# The one place the image build step plugs in: until flotilla.fleet.image_build lands, build: is refused.
IMAGE_BUILD_STEP = "flotilla.fleet.image_build"
_PORT_RE = re.compile(r"^(?:(?P<ip>\[[^\]]+\]|[0-9.]+):)?(?P<host>\d+):(?P<target>\d+)/(?P<proto>\w+)$")
_NETWORK_OPTIONS = {"internal": "internal", "attachable": "attachable", "driver_opts": "driver_options",
                    "labels": "labels"}


def _fail(stack, field, problem):
    raise StackError(f"stack {stack}: {field}", problem)


def deploy_check(plan: dict, facts: dict, env: dict | None = None) -> None:
    """Refuse what the deploy cannot do, before any change. ``facts``: per host its ``flotilla_host_info``."""
    stack = plan["stack"]
    for name, service in plan["services"].items():
        if service.get("build"):
            _fail(stack, f"services.{name}.build", "building images is the image build step's job "
                  f"({IMAGE_BUILD_STEP}), which this collection does not have yet; give an image: instead")
        for dependency, settings in (service.get("depends_on") or {}).items():
            if (settings or {}).get("condition") == "service_completed_successfully":
                _fail(stack, f"services.{name}.depends_on.{dependency}.condition",
                      "service_completed_successfully is not supported by the deploy yet")
    _check_files(plan, env if env is not None else dict(os.environ))
    _check_swarm(plan, facts)
    for host in plan["hosts"]:
        _check_ports(stack, host, containers_for(plan, host))


def _check_files(plan, env):
    stack = plan["stack"]
    for name, service in plan["services"].items():
        for entry in service.get("files") or []:
            field = f"{entry['kind']}s.{entry['name']}"
            if entry.get("file") is not None and not os.path.isfile(entry["file"]):
                _fail(stack, f"{field}.file", f"{entry['file']} does not exist (used by services.{name})")
            if entry.get("environment") is not None and entry["environment"] not in env:
                _fail(stack, f"{field}.environment",
                      f"the variable {entry['environment']} is not set (used by services.{name})")


def _check_swarm(plan, facts):
    used = [host for host, entry in plan["hosts"].items() if entry["replicas"]]
    if len(used) < 2:
        return
    outside = [host for host in used if ((facts.get(host) or {}).get("swarm") or {}).get("state") != "active"]
    if outside:
        services = sorted({item["service"] for host in used for item in plan["hosts"][host]["replicas"]})
        _fail(plan["stack"], "networks", f"the stack runs on {len(used)} hosts ({', '.join(used)}), so its networks "
              f"are overlays on a swarm, and {', '.join(outside)} is not in one (services {', '.join(services)}): "
              "form one with the flotilla.fleet.cluster role first")


def _check_ports(stack, host, containers):
    seen = {}
    for container in containers:
        service = container["labels"]["flotilla.service"]
        for index, port in enumerate(container.get("ports") or []):
            match = _PORT_RE.match(str(port))
            if not match:
                continue
            key = (match.group("ip") or "0.0.0.0", int(match.group("host")), match.group("proto"))
            other = seen.get(key[1:])
            if other and other[0] != service and (other[1] == key[0] or "0.0.0.0" in (other[1], key[0])):
                _fail(stack, f"services.{service}.ports[{index}]",
                      f"host port {key[1]}/{key[2]} on {host} is also published by services.{other[0]}")
            seen.setdefault(key[1:], (service, key[0]))


def containers_for(plan: dict, host: str) -> list:
    return replica_containers(plan["placement"], host, plan["container_specs"])


def spans_hosts(plan: dict) -> bool:
    return sum(1 for entry in plan["hosts"].values() if entry["replicas"]) > 1


def dependency_levels(plan: dict) -> list:
    """Services in topological levels: a service comes after everything it depends on (the loader refused cycles)."""
    level = {}

    def depth(name, trail=()):
        if name not in level:
            needs = [dep for dep in plan["services"][name].get("depends_on") or {} if dep in plan["services"]]
            level[name] = 1 + max((depth(dep, trail + (name,)) for dep in needs), default=-1)
        return level[name]

    for name in plan["services"]:
        depth(name)
    return [sorted(name for name in level if level[name] == index) for index in range(max(level.values(), default=-1) + 1)]


def file_contents(plan: dict, env: dict | None = None) -> dict:
    """Per ``<kind>s/<name>`` the file's content (read on the controller) and its hash. Secret: never print it."""
    env = env if env is not None else dict(os.environ)
    contents = {}
    for service in plan["services"].values():
        for entry in service.get("files") or []:
            key = _key(entry)
            if key in contents:
                continue
            if entry.get("file") is not None:
                with open(entry["file"], "rb") as handle:
                    data = handle.read().decode("utf-8", "surrogateescape")
            elif entry.get("environment") is not None:
                data = env.get(entry["environment"], "")
            else:
                data = entry.get("content") or ""
            contents[key] = {"content": data, "hash": hashlib.sha256(data.encode("utf-8", "surrogateescape")).hexdigest()}
    return contents


def host_work(plan: dict, host: str, hashes: dict, overlay: bool) -> dict:
    """What ``host`` needs: its networks, volumes, files and, per dependency level, its containers."""
    stack = plan["stack"]
    containers = containers_for(plan, host)
    services_here = {container["labels"]["flotilla.service"] for container in containers}
    needs_healthy = _healthy_services(plan)
    networks, volumes, files = {}, {}, {}
    for container in containers:
        service = container["labels"]["flotilla.service"]
        for network in container.get("networks") or []:
            networks[network["name"]] = True
        for mount in container.get("mounts") or []:
            if mount.get("type") == "volume" and mount.get("source"):
                volumes[mount["source"]] = True
        entries = plan["services"][service].get("files") or []
        for entry in entries:
            files[entry["path"]] = {"path": entry["path"], "key": _key(entry),
                                    "mode": _mode(entry)}
        if entries:
            parts = [f"{entry['path']}={hashes[_key(entry)]}:{_mode(entry)};" for entry in entries]
            digest = hashlib.sha256("".join(parts).encode()).hexdigest()[:16]
            container["labels"][FILES_HASH_LABEL] = digest
        if service in needs_healthy or _has_healthcheck(container):
            container["state"] = "healthy"
    levels = []
    for names in dependency_levels(plan):
        levels.append([container for container in containers if container["labels"]["flotilla.service"] in names])
    images = {}
    for container in containers:
        images.setdefault(container["image"], set()).add(container["labels"]["flotilla.service"])
    return {
        "stack": stack,
        "services": sorted(services_here),
        "images": [{"name": image, "services": sorted(users)} for image, users in sorted(images.items())],
        "networks": [_network_args(plan, key, value, overlay) for key, value in plan["networks"].items()
                     if value["name"] in networks and not value["external"]],
        "volumes": [_volume_args(plan, key, value) for key, value in plan["volumes"].items()
                    if value["name"] in volumes and not value["external"]],
        "files": sorted(files.values(), key=lambda item: item["path"]),
        "levels": levels,
    }


def _key(entry):
    return f"{entry['kind']}s/{entry['name']}"


def _mode(entry):
    mode = entry.get("mode")
    if mode is None:  # Compose's defaults: secrets for the owner only, configs readable by all
        return "0400" if entry["kind"] == "secret" else "0444"
    return "%04o" % mode if isinstance(mode, int) else str(mode)


def _healthy_services(plan):
    return {dependency for service in plan["services"].values()
            for dependency, settings in (service.get("depends_on") or {}).items()
            if (settings or {}).get("condition") == "service_healthy"}


def _has_healthcheck(container):
    check = container.get("healthcheck") or {}
    return bool(check) and not check.get("disable")


def _network_args(plan, key, network, overlay):
    args = {"key": key, "name": network["name"], "driver": network.get("driver") or ("overlay" if overlay else "bridge"),
            "labels": {**(network.get("labels") or {}), STACK_LABEL: plan["stack"]}}
    if args["driver"] == "overlay":
        args["attachable"] = True
    for source, target in _NETWORK_OPTIONS.items():
        if source != "labels" and network.get(source) not in (None, {}, False):
            args[target] = network[source]
    ipam = network.get("ipam") or {}
    if ipam.get("driver"):
        args["ipam_driver"] = ipam["driver"]
    if ipam.get("config"):
        args["ipam_config"] = [{key: value for key, value in pool.items()
                                if key in ("subnet", "gateway", "ip_range", "aux_addresses")}
                               for pool in ipam["config"]]
    return args


def _volume_args(plan, key, volume):
    users = sorted(name for name, service in plan["services"].items()
                   if any(mount.get("source") == volume["name"] for mount in service["container"].get("mounts") or []))
    args = {"key": key, "name": volume["name"], "services": users,
            "labels": {**(volume.get("labels") or {}), STACK_LABEL: plan["stack"]}}
    if volume.get("driver"):
        args["driver"] = volume["driver"]
    if volume.get("driver_opts"):
        args["driver_options"] = volume["driver_opts"]
    return args


def without_networks(containers: list, missing: list) -> list:
    """Check mode: a network the run would create does not exist yet, so the containers are planned without it
    (the network task already shows its creation; a container attached to it is created or recreated anyway)."""
    missing = set(missing)
    if not missing:
        return containers
    result = []
    for container in containers:
        container = dict(container)
        kept = [network for network in container.get("networks") or [] if network["name"] not in missing]
        if len(kept) != len(container.get("networks") or []):
            container["networks"] = kept or [{"name": "bridge"}]
        result.append(container)
    return result
