#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: containers
short_description: Converge many Docker containers on one engine in one task, in parallel
version_added: 0.1.0
description:
  - The fast path for roles and stacks. Every item of O(containers) takes the options of
    M(flotilla.fleet.container) (same option table, same behaviour), and all are converged in parallel over one
    client.
  - All items are validated before anything changes; one bad item fails the task and changes nothing.
  - One API call lists the engine's containers, so new ones cost no failed lookup and O(prune) needs no other
    call; each existing container is inspected once, and an unchanged one costs nothing more.
  - A container that fails does not hide the others' results; the task fails after all were tried.
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing anything.
  diff_mode:
    support: full
    description: Shows before and after per container, for the options that differ.
  idempotent:
    support: full
    description: A second run with the same options changes nothing.
options:
  containers:
    description:
      - The containers, each a dictionary of M(flotilla.fleet.container) options (C(name), C(image),
        C(state), C(ports), C(mounts), C(networks), C(memory), ...; not the connection options, which are
        set once for the task).
    type: list
    elements: dict
    required: true
  defaults:
    description: Options applied to every item of O(containers) unless the item sets them.
    type: dict
    default: {}
  project:
    description:
      - Project name, set as the C(flotilla.project) label on every container.
      - With O(prune=true), containers of this project that are not listed are removed.
    type: str
  prune:
    description: Remove the containers of O(project) that are not listed. Needs O(project).
    type: bool
    default: false
  parallelism:
    description: How many containers are converged at once.
    type: int
    default: 4
"""

EXAMPLES = r"""
- name: Three replicas of a web service and a cache, as one project
  flotilla.fleet.containers:
    project: shop
    prune: true
    defaults:
      image: flotilla-test/base:latest
      restart_policy: unless-stopped
      memory: 128m
      security_opts: [no-new-privileges]
      networks:
        - name: shop
    containers:
      - name: shop-web-1
        command: [python3, -m, http.server, "8000"]
        labels: {flotilla.service: web, flotilla.replica: "1"}
      - name: shop-web-2
        command: [python3, -m, http.server, "8000"]
        labels: {flotilla.service: web, flotilla.replica: "2"}
      - name: shop-cache-1
        command: sleep infinity
        labels: {flotilla.service: cache, flotilla.replica: "1"}
  register: shop

- name: Show what happened
  ansible.builtin.debug:
    var: shop.summary
"""

RETURN = r"""
containers:
  description: One result per container, in the order given (then removed ones), as
    RV(flotilla.fleet.container#module:container) returns; failed items carry C(failed) and C(msg).
  returned: always
  type: list
  elements: dict
summary:
  description: How many containers were created, updated in place, recreated, started, stopped, removed,
    unchanged or failed.
  returned: always
  type: dict
  sample: {"created": 2, "updated": 0, "recreated": 1, "started": 0, "stopped": 0, "removed": 1,
           "unchanged": 26, "failed": 0}
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError, FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._container_batch import (
    BatchConverger, build_requests, combined_diff, summarize)


def converge(module):
    params = module.params
    if params["prune"] and not params["project"]:
        raise FleetError("prune: needs project, so that only that project's containers can be removed")
    if params["parallelism"] < 1:
        raise FleetError("parallelism: must be at least 1, got %d" % params["parallelism"])
    requests = build_requests(params["containers"], params["defaults"], params["project"])
    results = BatchConverger(module.engine, module.check_mode, params["parallelism"]).run(
        requests, params["project"], params["prune"])
    diff = combined_diff(results)
    for result in results:
        result.pop("diff", None)
    output = {"changed": any(result["changed"] for result in results), "containers": results,
              "summary": summarize(results), "diff": diff}
    failed = [result for result in results if result.get("failed")]
    if failed:
        output["failed"] = True
        output["msg"] = "%d of %d containers failed: %s" % (
            len(failed), len(results), "; ".join(result["msg"] for result in failed))
    return output


def main():
    argument_spec = {
        "containers": {"type": "list", "elements": "dict", "required": True},
        "defaults": {"type": "dict", "default": {}},
        "project": {"type": "str"},
        "prune": {"type": "bool", "default": False},
        "parallelism": {"type": "int", "default": 4},
    }
    FleetModule(argument_spec, supports_check_mode=True).run(converge)


if __name__ == "__main__":
    main()
