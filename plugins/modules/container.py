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
    its ID; any other change recreates it. Recreating creates the new container before the old one is removed,
    and puts the old one back if creating fails. Named volumes are never removed.
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
