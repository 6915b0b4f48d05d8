#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: container
short_description: Converge one Docker container
version_added: 0.1.0
description:
  - Creates, updates, recreates, starts, stops or removes one container so that it matches the options given.
  - Idempotent by design. A hash of the requested options is stored in the C(flotilla.spec-hash) label, so the
    options fixed at creation are known to be unchanged from one inspect; the options that change in place are
    compared with what the engine reports. When the hash differs, every option is compared, ignoring what the
    engine or the image fills in by default.
  - Resource limits, the restart policy and network attachments are changed in place and the container keeps
    its ID; any other change recreates it. Named volumes are never removed.
  - The module first plans (the action, the diff and the steps, returned as RV(container.plan)), then applies
    the plan; check mode returns the plan without changing anything.
  - A recreate keeps the old container, renamed to C(<name>_flotilla_old), until the new one runs (and, with
    O(state=healthy), is healthy); then it removes the old one. If the new one cannot be created, cannot start
    or does not become healthy within O(wait_timeout), the new one is removed, the old one gets its name and
    state back, and the task fails saying so. The old container's anonymous volumes (a mount without
    O(mounts[].source), an image C(VOLUME)) go over to the new one, as Compose does; removing a container
    removes the anonymous volumes only it used.
  - The parked name is also a lock. A run that finds a parked container waits up to O(wait_timeout) for the
    other run's recreate to end, then plans again. A parked container still there after that, or sooner when
    that recreate cannot still be going on (no new container 5 s after the rename, or a new one older than
    O(wait_timeout) plus the old one's stop timeout), is taken as a recreate that was interrupted (the module
    was killed); the run finishes it when the new container runs (and is healthy, if it has a healthcheck),
    and otherwise removes the new one and puts the old one back.
  - Each container carries the labels C(flotilla.revision) (1 when created, one more on each recreate) and,
    after a recreate, C(flotilla.previous-spec) (the options of the container it replaced, as read back from
    the engine, with its image ID; JSON, compressed with zlib and base64-encoded above 4 KiB, left out above
    64 KiB). They are bookkeeping, not in the spec hash, not settable through O(labels).
  - Before creating or changing anything, each user-defined network in O(networks) is inspected (only when a
    create, recreate or network change is planned). A missing network, or an O(networks[].ipv4_address)
    outside its subnets, fails before any change, in check mode too. A new container that fails to start
    (an unknown O(user), a missing command) is removed.
  - O(state=started) and O(state=stopped) unpause a paused container first; the diff shows the state as
    C(paused).
  - To converge many containers in one task, in parallel, use M(flotilla.fleet.containers).
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
  - flotilla.fleet.container
attributes:
  check_mode:
    support: full
    description: Reports what would change without changing anything.
  diff_mode:
    support: full
    description: Shows before and after of the options that differ.
  idempotent:
    support: full
    description: A second run with the same options changes nothing.
"""

EXAMPLES = r"""
- name: Run a web server, bound to loopback, with limits and a healthcheck
  flotilla.fleet.container:
    name: web-1
    image: flotilla-test/base:latest
    command: [python3, -m, http.server, "8000"]
    ports: ["127.0.0.1:8080:8000"]
    env:
      APP_MODE: production
    labels:
      flotilla.service: web
    memory: 256m
    cpus: 0.5
    pids_limit: 200
    restart_policy: unless-stopped
    security_opts: [no-new-privileges]
    cap_drop: [ALL]
    healthcheck:
      test: python3 -c "import socket; socket.create_connection(('127.0.0.1', 8000), 2)"
      interval: 5s
      retries: 3
    state: healthy
    wait_timeout: 60

- name: Keep data in a named volume, on a user-defined network with an alias
  flotilla.fleet.container:
    name: db-1
    image: flotilla-test/base:latest
    command: sleep infinity
    mounts:
      - source: db-data
        target: /var/lib/db
    networks:
      - name: backend
        aliases: [db]

- name: Remove it
  flotilla.fleet.container:
    name: web-1
    state: absent
"""

RETURN = r"""
container:
  description: The container after the task.
  returned: always
  type: dict
  contains:
    name:
      description: Container name.
      type: str
      sample: web-1
    action:
      description: What was done, one of V(created), V(updated) (in place), V(recreated), V(started), V(stopped),
        V(removed) or V(unchanged).
      type: str
      sample: updated
    changed:
      description: Whether anything changed.
      type: bool
    id:
      description: Container ID; missing when the container does not exist (or would be created in check mode).
      type: str
      returned: when the container exists
    image_id:
      description: ID of the image the container runs.
      type: str
      returned: when the container exists
    state:
      description: Engine state, such as V(running), V(exited) or V(created).
      type: str
      returned: when the container exists
    health:
      description: Health status when the container has a healthcheck, else null.
      type: str
      returned: when the container exists
    networks:
      description: Attached networks with the container's IP address on each.
      type: dict
      returned: when the container exists
      sample: {"backend": {"ip": "172.20.0.2"}}
    published:
      description:
        - Per published container port, the host address and port it is published on, read from the inspect
          result (the live bindings while it runs, else the requested ones; V(null) host_port when the engine
          picks it at start). The same shape as the C(published) entries of M(flotilla.fleet.host_info).
      type: list
      elements: dict
      returned: when the container exists
      sample: [{"container_port": 8000, "protocol": "tcp", "host_ip": "127.0.0.1", "host_port": 8080}]
    plan:
      description: What the module planned (in check mode) or did, in order.
      type: dict
      returned: always
      contains:
        action:
          description: The same as RV(container.action).
          type: str
        steps:
          description: The engine steps, in words, in the order they run.
          type: list
          elements: str
          sample: ["rename web-1 to web-1_flotilla_old", "create web-1", "stop web-1_flotilla_old", "start web-1",
                   "remove web-1_flotilla_old"]
        order:
          description: The recreate order used, V(stop-first) or V(start-first).
          type: str
          returned: when the action is V(recreated)
        order_note:
          description: Why V(start-first) fell back to V(stop-first).
          type: str
          returned: when O(order=start-first) could not be honoured
        recovery:
          description: What was done about a recreate a killed run had left halfway.
          type: str
          returned: when a parked C(<name>_flotilla_old) container was found
          sample: "undid an interrupted recreate: the old container 0123456789ab is web-1 again"
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._container import (
    ContainerConverger, ContainerRequest, ImageCache, container_argument_spec)


def _converger(engine, check_mode):
    return ContainerConverger(engine, ImageCache(engine), check_mode)


def main():
    FleetModule(container_argument_spec(), supports_check_mode=True).converge(ContainerRequest, _converger, "container")


if __name__ == "__main__":
    main()
