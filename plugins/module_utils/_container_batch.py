# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many containers on one engine in one task: validate all, then converge in parallel over one client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.flotilla.fleet.plugins.module_utils._client import CONNECTION_SPEC, FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container import (
    ContainerConverger, ContainerRequest, ImageCache, container_argument_spec)

PROJECT_LABEL = "flotilla.project"
ACTIONS = ("created", "updated", "recreated", "started", "stopped", "removed", "unchanged", "failed")
_ITEM_SPEC = container_argument_spec()
_VALIDATOR = ArgumentSpecValidator(_ITEM_SPEC)


def build_requests(items, defaults, project):
    """Validate every item before anything changes; errors name the item: containers[3].memory: ..."""
    requests, names = [], {}
    for index, item in enumerate(items):
        prefix = "containers[%d]." % index
        if not isinstance(item, dict):
            raise FleetError("containers[%d]: expected a dictionary of container options, got %r" % (index, item))
        for where, options in (("defaults", defaults or {}), ("containers[%d]" % index, item)):
            for key in sorted(set(options) - set(_ITEM_SPEC)):
                hint = ("connection options are set once for the task" if key in CONNECTION_SPEC
                        else "see flotilla.fleet.container for the options")
                raise FleetError("%s.%s: not a container option (%s)" % (where, key, hint))
        merged = dict(defaults or {})
        merged.update(item)
        if project:
            labels = dict(merged.get("labels") or {})
            if labels.get(PROJECT_LABEL, project) != project:
                raise FleetError("%slabels.%s: %r contradicts project %r"
                                 % (prefix, PROJECT_LABEL, labels[PROJECT_LABEL], project))
            labels[PROJECT_LABEL] = project
            merged["labels"] = labels
        validated = _VALIDATOR.validate(merged)
        if validated.error_messages:
            # Ansible's own messages name the option ("value of state must be one of ..."); say which item.
            raise FleetError("containers[%d]: %s" % (index, "; ".join(validated.error_messages)))
        request = ContainerRequest(validated.validated_parameters, prefix)
        if request.name in names:
            raise FleetError("%sname: %s is listed twice (also containers[%d])" % (prefix, request.name, names[request.name]))
        names[request.name] = index
        requests.append(request)
    return requests


class BatchConverger:
    def __init__(self, engine, check_mode, parallelism):
        self.engine = engine
        self.converger = ContainerConverger(engine, ImageCache(engine), check_mode)
        self.parallelism = parallelism

    def _existing(self):
        """One list call: which containers exist (new ones then cost no failed inspect), with their labels."""
        with self.engine.action("list", "containers", "on the engine"):
            listed = self.engine.api.containers(all=True)
        # Names also holds link aliases (/other/alias); a container's own name has no further slash.
        return {name[1:]: entry.get("Labels") or {} for entry in listed for name in entry.get("Names") or []
                if "/" not in name[1:]}

    def _one(self, request, exists):
        try:
            return self.converger.converge(request, exists)
        except FleetError as exc:
            message = str(exc)
        except Exception as exc:  # a bug for one container must not hide what happened to the others
            message = "Unexpected error converging container %s: %s: %s" % (request.name, type(exc).__name__, exc)
        return {"name": request.name, "action": "failed", "changed": False, "failed": True, "msg": message}

    def run(self, requests, project, prune):
        existing = self._existing()
        if prune:
            wanted = {request.name for request in requests}
            requests = requests + [ContainerRequest({
                "name": name, "state": "absent", "recreate": False, "pull": "never", "wait_timeout": 0,
                "compare": "hash"}) for name, labels in sorted(existing.items())
                if labels.get(PROJECT_LABEL) == project and name not in wanted]
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallelism, len(requests) or 1))) as pool:
            results = list(pool.map(lambda request: self._one(request, request.name in existing), requests))
        return results


def summarize(results):
    counts = {action: 0 for action in ACTIONS}
    for result in results:
        counts[result["action"]] += 1
    return counts


def combined_diff(results):
    before, after = {}, {}
    for result in results:
        if result.get("diff"):
            before[result["name"]] = result["diff"]["before"]
            after[result["name"]] = result["diff"]["after"]
    return {"before": before, "after": after}
