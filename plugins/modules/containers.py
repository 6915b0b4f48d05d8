#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: containers
short_description: Converge many Docker containers on one engine in one task, in parallel or in batches
version_added: 0.1.0
description:
  - The fast path for roles and stacks. Every item of O(containers) takes the options of
    M(flotilla.fleet.container) (same option table, same behaviour), and all are converged over one client.
  - All items are validated before anything changes; one bad item fails the task and changes nothing.
  - One API call lists the engine's containers, so new ones cost no failed lookup and O(prune) needs no other
    call; each existing container is inspected once, and an unchanged one costs nothing more.
  - By default every container converges at once (at most O(parallelism) at a time), and a container that
    fails does not hide the others' results; the task fails after all were tried.
  - With O(batch_size), the containers converge a batch at a time, in the order listed, as a rolling update
    needs; each batch is proven before the next starts, and a failed batch stops the rest.
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing anything (batches included; nothing is proven).
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
      - Project (stack) name, set as the C(flotilla.stack) label on every container.
      - Containers created by earlier versions of this module carry it as C(flotilla.project). They keep that
        label until they are recreated for another reason (writing the new one would recreate them all), and
        both labels count as the project for O(prune) and for the check that an item's labels agree with
        O(project).
      - With O(prune=true), containers of this project that are not listed are removed.
    type: str
  prune:
    description: Remove the containers of O(project) that are not listed. Needs O(project).
    type: bool
    default: false
  parallelism:
    description: How many containers are converged at once (within a batch, with O(batch_size)).
    type: int
    default: 4
  batch_size:
    description:
      - Converge the listed containers this many at a time, in the order given.
      - A batch is proven before the next starts. Every container it created, recreated, started or updated
        must be running (and healthy, for C(state=healthy), which waits for the healthcheck) when the batch is
        done, and stay so for O(monitor) seconds.
      - When a container of a batch fails, the next batches are not attempted (their containers are reported
        with action V(skipped)) and the task fails naming the failed containers.
      - Without it, every container converges at once and one failure stops nothing.
    type: int
  order:
    description:
      - With O(batch_size) and O(prune), when the unlisted containers of O(project) are removed.
      - V(start-first) (the default) removes them after the last batch is proven, and not at all when a batch
        failed; V(stop-first) removes them first, as their own batch (to free host ports or memory the new
        containers need).
    type: str
    choices: [start-first, stop-first]
  monitor:
    description:
      - With O(batch_size), how many seconds the containers a batch changed must stay running (and healthy,
        for C(state=healthy)) before the batch counts as proven. V(0) checks once, when the batch is done.
    type: int
    default: 0
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

- name: Roll a new image out to four replicas, two at a time, each pair healthy for 10 s before the next
  flotilla.fleet.containers:
    project: shop
    batch_size: 2
    monitor: 10
    defaults:
      image: shop/web:1.5.0
      state: healthy
      healthcheck:
        test: python3 -c "import socket; socket.create_connection(('127.0.0.1', 8000), 2)"
        interval: 2s
    containers:
      - {name: shop-web-1, command: [python3, -m, http.server, "8000"]}
      - {name: shop-web-2, command: [python3, -m, http.server, "8000"]}
      - {name: shop-web-3, command: [python3, -m, http.server, "8000"]}
      - {name: shop-web-4, command: [python3, -m, http.server, "8000"]}
"""

RETURN = r"""
containers:
  description:
    - One result per container, in the order given (then removed ones), as
      RV(flotilla.fleet.container#module:container) returns.
    - A failed container carries C(failed) and C(msg) (action V(failed)); with O(batch_size), every result
      carries its C(batch) number (from 1), and the containers of batches after a failed one have action
      V(skipped) and a C(msg).
  returned: always
  type: list
  elements: dict
summary:
  description: How many containers were created, updated in place, recreated, started, stopped, removed,
    unchanged, failed, or skipped (not attempted after a failed batch).
  returned: always
  type: dict
  sample: {"created": 2, "updated": 0, "recreated": 1, "started": 0, "stopped": 0, "removed": 1,
           "unchanged": 26, "failed": 0, "skipped": 0}
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._container_batch import (
    CONTAINERS_SPEC, converge_containers)


def main():
    FleetModule(CONTAINERS_SPEC, supports_check_mode=True).run(converge_containers)


if __name__ == "__main__":
    main()
