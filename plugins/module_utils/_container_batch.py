# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Many containers on one engine in one task: validate all, then converge over one client.

All at once by default; with ``batch_size``, a few at a time, each batch proven (running, and healthy when
asked) before the next starts, as a rolling update needs. The body of the ``containers`` module.
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

from ansible.module_utils.common.arg_spec import ArgumentSpecValidator

from ansible_collections.flotilla.fleet.plugins.module_utils._client import CONNECTION_SPEC, FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container import (
    ContainerConverger, ContainerRequest, container_argument_spec)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import CONTAINER_OPTIONS, ContainerContext
from ansible_collections.flotilla.fleet.plugins.module_utils._container_recreate import parked_name
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import health_of, state_of
from ansible_collections.flotilla.fleet.plugins.module_utils._fleet import (
    LEGACY_PROJECT_LABEL, SPEC_HASH_LABEL, STACK_LABEL, stack_of)
from ansible_collections.flotilla.fleet.plugins.module_utils._image import ImageCache

ACTIONS = ("created", "updated", "recreated", "started", "stopped", "removed", "unchanged", "failed", "skipped")
ORDERS = ("start-first", "stop-first")
CONTAINERS_SPEC = {
    "containers": {"type": "list", "elements": "dict", "required": True},
    "defaults": {"type": "dict", "default": {}},
    "project": {"type": "str"},
    "prune": {"type": "bool", "default": False},
    "parallelism": {"type": "int", "default": 4},
    "batch_size": {"type": "int"},
    "order": {"type": "str", "choices": list(ORDERS)},
    "monitor": {"type": "int", "default": 0},
}
_ITEM_SPEC = container_argument_spec()
_VALIDATOR = ArgumentSpecValidator(_ITEM_SPEC)
_RUNNING_STATES = ("started", "healthy")
_PROOF_POLL = 0.5


# --- validation --------------------------------------------------------------------------------------

def build_requests(items, defaults, project, legacy_names=()):
    """Validate every item before anything changes; errors name the item: containers[3].memory: ...

    legacy_names: containers that keep the legacy project label they were created with (see keep_legacy_labels).
    """
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
            _check_suboptions(options, _ITEM_SPEC, where)
        merged = dict(defaults or {})
        merged.update(item)
        if project:
            merged["labels"] = _project_labels(merged.get("labels"), project, prefix,
                                               legacy=merged.get("name") in legacy_names)
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


def _check_suboptions(options, spec, where):
    """Unknown sub-options, named with their path and index (Ansible's message drops 'Unsupported')."""
    for key, value in options.items():
        suboptions = (spec.get(key) or {}).get("options")
        if not suboptions:
            continue
        if isinstance(value, dict):
            entries = [("%s.%s" % (where, key), value)]
        elif isinstance(value, list):
            entries = [("%s.%s[%d]" % (where, key, index), entry) for index, entry in enumerate(value)]
        else:
            continue  # not a dict or list: the validator says what type it wants
        legal = set(suboptions) | {alias for sub in suboptions.values() for alias in sub.get("aliases") or ()}
        for path, entry in entries:
            if not isinstance(entry, dict):
                continue
            unknown = sorted(set(entry) - legal)
            if unknown:
                raise FleetError("%s: Unsupported parameters: %s. Supported parameters include: %s."
                                 % (path, ", ".join(unknown), ", ".join(sorted(suboptions))))
            _check_suboptions(entry, suboptions, path)


def _project_labels(labels, project, prefix, legacy):
    labels = dict(labels or {})
    for label in (STACK_LABEL, LEGACY_PROJECT_LABEL):
        if labels.get(label, project) != project:
            raise FleetError("%slabels.%s: %r contradicts project %r" % (prefix, label, labels[label], project))
    labels[LEGACY_PROJECT_LABEL if legacy and STACK_LABEL not in labels else STACK_LABEL] = project
    return labels


def keep_legacy_labels(requests, items, defaults, project, existing):
    """A container created with only the legacy project label keeps it while nothing else changes.

    Labels are fixed at creation: writing the new label would recreate every container of a project on
    upgrade. A container recreated for another reason gets the new label.
    """
    if not project:
        return requests
    legacy = {request.name for request in requests
              if _has_only_legacy_label(existing.get(request.name), project)}
    if not legacy:
        return requests
    relabelled = {request.name: request for request in build_requests(items, defaults, project, legacy)}
    return [relabelled[request.name]
            if request.name in legacy and relabelled[request.name].spec_hash == existing[request.name].get(SPEC_HASH_LABEL)
            else request for request in requests]


def _has_only_legacy_label(labels, project):
    return labels is not None and STACK_LABEL not in labels and labels.get(LEGACY_PROJECT_LABEL) == project


def check_batch_options(params):
    if params["prune"] and not params["project"]:
        raise FleetError("prune: needs project, so that only that project's containers can be removed")
    if params["parallelism"] < 1:
        raise FleetError("parallelism: must be at least 1, got %d" % params["parallelism"])
    if params["batch_size"] is not None and params["batch_size"] < 1:
        raise FleetError("batch_size: must be at least 1, got %d" % params["batch_size"])
    if params["monitor"] < 0:
        raise FleetError("monitor: must not be negative, got %d" % params["monitor"])
    for option in ("order", "monitor"):
        if params[option] and params["batch_size"] is None:
            raise FleetError("%s: needs batch_size (without it every container converges at once)" % option)


# --- converging --------------------------------------------------------------------------------------

class BatchConverger:
    def __init__(self, engine, check_mode, parallelism):
        self.engine = engine
        self.check_mode = check_mode
        self.converger = ContainerConverger(engine, ImageCache(engine), check_mode)
        self.parallelism = parallelism

    def existing(self):
        """One list call: which containers exist (new ones then cost no failed inspect), with their labels."""
        with self.engine.action("list", "containers", "on the engine"):
            listed = self.engine.api.containers(all=True)
        # Names also holds link aliases (/other/alias); a container's own name has no further slash.
        return {name[1:]: entry.get("Labels") or {} for entry in listed for name in entry.get("Names") or []
                if "/" not in name[1:]}

    def run(self, requests, project, prune, existing=None, batch_size=None, order=None, monitor=0):
        """One result per request, in order, then one per pruned container.

        Without batch_size every container converges at once and one failure hides nothing. With it, the
        listed containers go batch_size at a time in the order given, each batch proven before the next;
        pruned ones go last (order start-first) or first (stop-first); after a failed batch nothing more is tried.
        """
        existing = self.existing() if existing is None else existing
        removals = []
        if prune:
            wanted = {request.name for request in requests}
            removals = [ContainerRequest({
                "name": name, "state": "absent", "recreate": False, "pull": "never", "wait_timeout": 0,
                "compare": "hash"}) for name, labels in sorted(existing.items())
                if stack_of(labels) == project and name not in wanted]
        if batch_size is None:
            return self._converge_all(requests + removals, existing)
        batches = [requests[start:start + batch_size] for start in range(0, len(requests), batch_size)]
        if removals:
            batches.insert(0 if order == "stop-first" else len(batches), removals)
        results, failed_batch = {}, None
        for number, batch in enumerate(batches, 1):
            if failed_batch is None:
                outcomes = self._converge_all(batch, existing)
                if not self.check_mode:
                    self._prove(list(zip(batch, outcomes)), monitor)
            else:
                outcomes = [{"name": request.name, "action": "skipped", "changed": False,
                             "msg": "not attempted: batch %d failed" % failed_batch} for request in batch]
            for request, outcome in zip(batch, outcomes):
                outcome["batch"] = number
                results[request.name] = outcome
            if failed_batch is None and any(outcome.get("failed") for outcome in outcomes):
                failed_batch = number
        return [results[request.name] for request in requests + removals]

    def _converge_all(self, requests, existing):
        workers = max(1, min(self.parallelism, len(requests) or 1))
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return list(pool.map(lambda request: self._one(request, existing), requests))

    def _one(self, request, existing):
        try:
            # The list call already says whether the container and a parked old one (mid-recreate) exist.
            return self.converger.converge(request, request.name in existing, parked_name(request.name) in existing)
        except FleetError as exc:
            message = str(exc)
        except Exception as exc:  # a bug for one container must not hide what happened to the others
            message = "Unexpected error converging container %s: %s: %s" % (request.name, type(exc).__name__, exc)
        return {"name": request.name, "action": "failed", "changed": False, "failed": True, "msg": message}

    # --- proof ------------------------------------------------------------------------------------
    def _prove(self, pairs, monitor):
        """What the batch changed is running (and healthy when asked) now and, with monitor, that long."""
        watched = [(request, result) for request, result in pairs
                   if request.state in _RUNNING_STATES and result.get("id")
                   and result["action"] not in ("unchanged", "failed")]
        deadline = time.monotonic() + monitor
        while watched:
            watched = [(request, result) for request, result in watched if self._holds(request, result)]
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            time.sleep(min(_PROOF_POLL, remaining))

    def _holds(self, request, result):
        """Re-read one container; mark its result failed, in words, when it is not what the batch promised."""
        container = self.engine.inspect_or_none(self.engine.api.inspect_container, "container", result["id"])
        state = state_of(container) if container else "removed"
        health = health_of(container) if container else None
        result.update(state=state, health=health)
        if state == "running" and (request.state != "healthy" or health == "healthy"):
            return True
        if state != "running":
            detail = "state %s, exit code %s" % (state, ((container or {}).get("State") or {}).get("ExitCode"))
            problem = "stopped after it was %s (%s)%s" % (result["action"], detail, self._last_output(result))
        else:
            problem = "became %s after it was %s (state healthy was asked)" % (health, result["action"])
        result.update(failed=True, msg="Container %s on %s %s" % (request.name, self.engine.name, problem))
        result["action"] = "failed"
        return False

    def _last_output(self, result):
        try:
            with self.engine.action("read the logs of", "container", result["name"]):
                output = self.engine.api.logs(result["id"], stdout=True, stderr=True, tail=3)
        except FleetError:
            return ""  # the failure itself is what matters; its output is a bonus
        text = (output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)).strip()
        return "; last output: %s" % " | ".join(text.splitlines())[-300:] if text else ""


# --- the module's body and result ----------------------------------------------------------------------

def converge_containers(module):
    """Validate every option and item, converge, and assemble the module's result."""
    params = module.params
    check_batch_options(params)
    requests = build_requests(params["containers"], params["defaults"], params["project"])
    # What this engine cannot take (cpus above its CPU count) is refused for every item before any changes.
    context = ContainerContext(None, module.engine.info)
    for index, request in enumerate(requests):
        CONTAINER_OPTIONS.check(request.desired, context, "containers[%d]." % index)
    batch = BatchConverger(module.engine, module.check_mode, params["parallelism"])
    existing = batch.existing()
    requests = keep_legacy_labels(requests, params["containers"], params["defaults"], params["project"], existing)
    results = batch.run(requests, params["project"], params["prune"], existing=existing,
                        batch_size=params["batch_size"], order=params["order"], monitor=params["monitor"])
    return assemble(results)


def assemble(results):
    """The module's output: per-container results (diffs lifted into one), the summary, and the failure."""
    diff = combined_diff(results)
    for result in results:
        result.pop("diff", None)
    output = {"changed": any(result["changed"] for result in results), "containers": results,
              "summary": summarize(results), "diff": diff}
    failed = [result for result in results if result.get("failed")]
    if failed:
        output["failed"] = True
        output["msg"] = "%d of %d containers failed (%s): %s" % (
            len(failed), len(results), ", ".join(result["name"] for result in failed),
            "; ".join(result["msg"] for result in failed))
        skipped = [result["name"] for result in results if result["action"] == "skipped"]
        if skipped:
            output["msg"] += ". Not attempted after the failed batch: %s" % ", ".join(skipped)
    return output


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
