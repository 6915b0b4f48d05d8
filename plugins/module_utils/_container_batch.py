# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many containers on one engine in one task: validate all, then converge in parallel over one client."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container import (
    ContainerConverger, ContainerRequest, ImageCache, container_argument_spec)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import SPEC_HASH_LABEL

PROJECT_LABEL = "flotilla.project"
ACTIONS = ("created", "updated", "recreated", "started", "stopped", "removed", "unchanged", "failed")
_VALIDATOR = ArgumentSpecValidator(container_argument_spec())


def build_requests(items, defaults, project):
    """Validate every item before anything changes; errors name the item: containers[3].memory: ..."""
    requests, names = [], {}
    for index, item in enumerate(items):
        prefix = "containers[%d]." % index
        if not isinstance(item, dict):
            raise FleetError("containers[%d]: expected a dictionary of container options, got %r" % (index, item))
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
            raise FleetError(prefix + ("; " + prefix).join(validated.error_messages))
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

    def _managed_summaries(self):
        """One list call tells which of our containers exist, with their spec hash, image and state."""
        with self.engine.action("list", "containers", "managed by flotilla"):
            listed = self.engine.api.containers(all=True, filters={"label": SPEC_HASH_LABEL})
        return {(entry.get("Names") or ["/"])[0].lstrip("/"): entry for entry in listed}

    def _project_leftovers(self, project, wanted):
        with self.engine.action("list", "containers", "of project %s" % project):
            listed = self.engine.api.containers(all=True, filters={"label": "%s=%s" % (PROJECT_LABEL, project)})
        names = sorted((entry.get("Names") or ["/"])[0].lstrip("/") for entry in listed)
        return [name for name in names if name not in wanted]

    def _one(self, request, summary):
        try:
            return self.converger.converge(request, summary)
        except FleetError as exc:
            return {"name": request.name, "action": "failed", "changed": False, "failed": True, "msg": str(exc)}

    def run(self, requests, project, prune):
        summaries = self._managed_summaries()
        if prune:
            wanted = {request.name for request in requests}
            requests = requests + [ContainerRequest({
                "name": name, "state": "absent", "recreate": False, "pull": "never", "wait_timeout": 0,
                "compare": "hash"}) for name in self._project_leftovers(project, wanted)]
        with ThreadPoolExecutor(max_workers=max(1, min(self.parallelism, len(requests) or 1))) as pool:
            results = list(pool.map(lambda request: self._one(request, summaries.get(request.name)), requests))
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
