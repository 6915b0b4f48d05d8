#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: ingress_info
short_description: Show what an HAProxy ingress container serves, and the health of every backend server
version_added: 0.1.0
description:
  - Reads the routes stored in the ingress container (by M(flotilla.fleet.ingress_config)) and asks HAProxy,
    over its stats socket (C(show stat)), for every backend and its servers as its health checks see them.
  - Per backend, the route it serves (C(stack), C(service), C(port)), its status and per server its status
    (C(UP), C(DOWN), C(UP 1/2) while a check is failing, C(MAINT)), the last check's result and how long ago
    the status last changed.
  - With O(image), also tells whether the engine has that image (the role C(flotilla.fleet.ingress) checks this
    before it changes anything).
  - A missing or stopped container is not an error; RV(exists) and RV(running) say so.
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reads only; runs the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, so there is nothing to show.
  idempotent:
    support: full
    description: Never changes anything.
options:
  container:
    description:
      - Name of the ingress container.
    type: str
    required: true
  config_dir:
    description:
      - Directory of C(haproxy.cfg) and the stored routes inside the container.
    type: str
    default: /usr/local/etc/haproxy
  image:
    description:
      - An image reference whose presence on the engine to report in RV(image).
    type: str
seealso:
  - module: flotilla.fleet.ingress_config
"""

EXAMPLES = r"""
- name: Per route, the backends and their health
  flotilla.fleet.ingress_info:
    container: flotilla-ingress
  register: ingress

- name: Servers of stack shop that are not up
  ansible.builtin.debug:
    msg: "{{ ingress.backends | selectattr('stack', 'eq', 'shop') | map(attribute='servers') | flatten
             | rejectattr('status', 'eq', 'UP') }}"
"""

RETURN = r"""
container:
  description: The ingress container.
  returned: always
  type: str
exists:
  description: Whether the container exists.
  returned: always
  type: bool
running:
  description: Whether the container runs.
  returned: always
  type: bool
id:
  description: Container ID.
  returned: when the container exists
  type: str
image:
  description: Whether the engine has O(image), and its ID.
  returned: when O(image) is given
  type: dict
  sample: {"name": "flotilla/haproxy:latest", "present": true, "id": "sha256:d9e7..."}
routes:
  description: The routes the live config was rendered from (empty when the container does not run).
  returned: always
  type: list
  elements: dict
backends:
  description: Per backend its route, its status and its servers, sorted by backend name.
  returned: always
  type: list
  elements: dict
  sample:
    - name: shop.web.8080
      stack: shop
      service: web
      port: 8080
      status: UP
      servers:
        - {name: shop-web-1, address: "172.18.0.5:8000", status: UP, check_status: L7OK, check_code: "200",
           last_change_seconds: 42, sessions_total: 118}
summary:
  description: One line per server (route, server name, address, status and last check), for a person.
  returned: always
  type: list
  elements: str
  sample: ["shop/web port 8080: shop-web-1 172.18.0.5:8000 UP (L7OK)"]
reloads:
  description: The HAProxy master's reload count.
  returned: always
  type: int
workers:
  description: PIDs of the current HAProxy workers.
  returned: always
  type: list
  elements: int
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._ingress import ingress_info

ARGUMENT_SPEC = {
    "container": {"type": "str", "required": True},
    "config_dir": {"type": "str", "default": "/usr/local/etc/haproxy"},
    "image": {"type": "str"},
}


def main():
    def work(module):
        result = ingress_info(module.engine, module.params["container"], module.params["config_dir"],
                              module.params["image"])
        result["changed"] = False
        return result
    FleetModule(ARGUMENT_SPEC, supports_check_mode=True).run(work)


if __name__ == "__main__":
    main()
