#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ingress_config
short_description: Check, install and gracefully reload the config of a running HAProxy ingress container
version_added: 0.1.0
description:
  - Compares O(config) with the live C(haproxy.cfg) in the ingress container. When they are equal, nothing
    happens (no reload) and the task reports no change.
  - Otherwise the new config is written beside the live one and checked with C(haproxy -c) inside the
    container. A config HAProxy refuses never replaces the working one; the task fails and names the route
    (stack, service, port) of every line HAProxy refused.
  - An accepted config is renamed over the live file and the HAProxy master is sent C(SIGUSR2); it re-executes
    itself with the new config, the new worker takes the listening sockets over from the old one (the stats
    socket has C(expose-fd listeners)) and the old worker finishes its connections, so no connection is
    refused or cut. The container is never recreated. The task returns once the new worker runs.
  - The routes the config was rendered from are stored beside it (C(flotilla-routes.json)), so the next run
    of M(flotilla.fleet.ingress_info) knows which stack owns which route.
  - Everything goes through the Docker API (exec, archive, kill), so a remote engine works the same.
  - Meant to be used by the role C(flotilla.fleet.ingress), which renders O(config) with the filter
    C(flotilla.fleet.ingress_plan) and runs the container (image C(flotilla/haproxy)).
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports whether the config or the routes would change, with the diff; writes, checks and
      reloads nothing (the HAProxy check needs the file in the container, so it runs on apply only).
  diff_mode:
    support: full
    description: Shows the live config before and the rendered config after.
  idempotent:
    support: full
    description: The same config and routes a second time change nothing and reload nothing.
options:
  container:
    description:
      - Name of the running ingress container (image C(flotilla/haproxy)).
    type: str
    required: true
  config:
    description:
      - The whole C(haproxy.cfg), as rendered by the filter C(flotilla.fleet.ingress_plan).
      - It must keep the C(stats socket /run/haproxy-admin.sock ... expose-fd listeners) line of the rendered
        config, or reloads can no longer hand the listening sockets over.
    type: str
    required: true
  routes:
    description:
      - The routes O(config) was rendered from (the plan's C(routes)), stored in the container beside the config.
    type: list
    elements: dict
    default: []
  backends:
    description:
      - Backend name to route (C(stack), C(service), C(port)), the plan's C(backends); used to name the route in
        the error when HAProxy refuses a line.
    type: dict
    default: {}
  config_dir:
    description:
      - Directory of C(haproxy.cfg) inside the container (the config volume is mounted there).
    type: str
    default: /usr/local/etc/haproxy
  reload_timeout:
    description:
      - Seconds to wait for the HAProxy master to answer and for the reload to finish.
    type: int
    default: 10
seealso:
  - module: flotilla.fleet.ingress_info
"""

EXAMPLES = r"""
- name: Apply the rendered ingress config (check, install, graceful reload)
  flotilla.fleet.ingress_config:
    container: flotilla-ingress
    config: "{{ plan.config }}"
    routes: "{{ plan.routes }}"
    backends: "{{ plan.backends }}"
"""

RETURN = r"""
changed:
  description: Whether the config or the stored routes changed.
  returned: always
  type: bool
container:
  description: The ingress container.
  returned: always
  type: str
  sample: flotilla-ingress
action:
  description: V(reloaded) (a new config runs), V(routes recorded) (only the stored routes changed) or V(unchanged).
    In check mode, what would be done.
  returned: always
  type: str
  sample: reloaded
reloads:
  description: The HAProxy master's reload count after the reload.
  returned: when HAProxy was reloaded
  type: int
workers:
  description: PIDs of the HAProxy workers running the new config.
  returned: when HAProxy was reloaded
  type: list
  elements: int
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._ingress import IngressConfigConverger

ARGUMENT_SPEC = {
    "container": {"type": "str", "required": True},
    "config": {"type": "str", "required": True},
    "routes": {"type": "list", "elements": "dict", "default": []},
    "backends": {"type": "dict", "default": {}},
    "config_dir": {"type": "str", "default": "/usr/local/etc/haproxy"},
    "reload_timeout": {"type": "int", "default": 10},
}


def main():
    def work(module):
        return IngressConfigConverger(module.engine, module.check_mode).converge(module.params)
    FleetModule(ARGUMENT_SPEC, supports_check_mode=True).run(work)


if __name__ == "__main__":
    main()
