# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The glue from a placement to the ``containers`` module: the container specs of the replicas on one host.

Behind the ``flotilla.fleet.replica_containers`` filter; pure Python so that it is tested without Ansible.
"""

from __future__ import annotations

import copy
import re

from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import REPLICA_LABEL, SERVICE_LABEL, container_name

from ._errors import StackError, suggestion

# [HOST_IP:]START-END:CONTAINER_PORT[/PROTOCOL]: one host port per replica, taken from the range in order.
_RANGE_RE = re.compile(r"^(?P<ip>(?:\[[0-9a-fA-F:.]+\]|[0-9.]+):)?(?P<start>\d+)-(?P<end>\d+):(?P<rest>\d+(?:/\w+)?)$")


def replica_containers(placement, host, service_specs, replicas=None, project=None, reserve_as_limit=False):
    """Per replica placed on ``host``: its service's options, its name, its labels, its own host port."""
    if not isinstance(service_specs, dict):
        raise StackError("service_specs", f"must be a mapping of service name to container options, "
                         f"got {type(service_specs).__name__}")
    entries = _entries(placement, host, replicas, project)
    containers = []
    for entry in entries:
        service = entry["service"]
        if service not in service_specs:
            raise StackError(f"service_specs.{service}", "missing: the placement has replicas of this service"
                             + suggestion(service, service_specs))
        spec = service_specs[service] or {}
        if not isinstance(spec, dict):
            raise StackError(f"service_specs.{service}", f"must be a mapping of container options, "
                             f"got {type(spec).__name__}")
        options = copy.deepcopy(spec)
        field = f"service_specs.{service}"
        if options.get("name") and entry["replica"] != 1:
            raise StackError(f"{field}.name", f"{options['name']!r} names one container, but replica "
                             f"{entry['replica']} is placed too")
        options["name"] = options.get("name") or entry["name"]
        labels = dict(options.get("labels") or {})
        labels[SERVICE_LABEL] = service
        labels[REPLICA_LABEL] = str(entry["replica"])
        options["labels"] = labels
        if "ports" in options:
            options["ports"] = [_port_for(port, entry["replica"], f"{field}.ports[{index}]")
                                for index, port in enumerate(options["ports"] or [])]
        if reserve_as_limit:
            # The scheduler reserved this much; make it the container's limit too when the spec sets none.
            if entry.get("cpus") and "cpus" not in options:
                options["cpus"] = entry["cpus"]
            if entry.get("memory") and "memory" not in options:
                options["memory"] = str(entry["memory"])
        containers.append(options)
    return containers


def _entries(placement, host, replicas, project):
    if placement is None:
        # One host, no scheduler: every replica of every service in `replicas` runs on `host`.
        if not isinstance(replicas, dict) or not replicas:
            raise StackError("replicas", "without a placement, give replicas: a mapping of service name to count")
        entries = []
        for service, count in replicas.items():
            if isinstance(count, bool) or not isinstance(count, int) or count < 0:
                raise StackError(f"replicas.{service}", f"must be an integer >= 0, got {count!r}")
            entries += [{"service": service, "replica": index,
                         "name": container_name(project, service, index) if project else f"{service}-{index}"}
                        for index in range(1, count + 1)]
        return entries
    if replicas is not None:
        raise StackError("replicas", "only without a placement (the placement already says how many)")
    if not isinstance(placement, dict) or not isinstance(placement.get("hosts"), dict):
        raise StackError("placement", "must be the result of the flotilla.fleet.placement lookup (with hosts)")
    if host not in placement["hosts"]:
        known = ", ".join(placement["hosts"]) or "none"
        raise StackError("host", f"{host!r} is not a host of the placement (its hosts: {known})")
    return placement["hosts"][host] or []


def _port_for(port, replica, field):
    if not isinstance(port, str):
        return port
    match = _RANGE_RE.match(port.strip())
    if not match:
        return port
    start, end = int(match.group("start")), int(match.group("end"))
    if end < start:
        raise StackError(field, f"host port range {start}-{end} runs backwards")
    if start + replica - 1 > end:
        raise StackError(field, f"host port range {start}-{end} has no port left for replica {replica}")
    return f"{match.group('ip') or ''}{start + replica - 1}:{match.group('rest')}"
