# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: replica_containers
author: Flotilla developers (@flotilla)
version_added: 0.1.0
short_description: The container specs of the replicas a placement puts on one host
description:
  - Turns the result of the P(flotilla.fleet.placement#lookup) lookup into the O(flotilla.fleet.containers#module:containers)
    list for one host, the glue between the scheduler and the M(flotilla.fleet.containers) module.
  - "For every replica placed on O(host), in the placement's order, the options of its service from
    O(service_specs), with C(name) set to the replica's container name (C(<project>-<service>-<n>)), and the labels
    C(flotilla.service) and C(flotilla.replica) added. The project label is the C(containers) module's own
    (its C(project) option)."
  - "A port whose host part is a range on one container port, such as C(127.0.0.1:18080-18089:8000), gives
    replica I(n) the I(n)-th port of the range (C(18080) for replica 1), so replicas can share a host."
  - Without a placement (O(_input) null), every replica counted in O(replicas) runs on O(host) (one host, no
    scheduler).
positional: host, service_specs
options:
  _input:
    description:
      - The placement lookup's result (a mapping with C(hosts)), or null together with O(replicas).
    type: raw
    required: true
  host:
    description: The inventory host whose replicas are wanted, usually C(inventory_hostname).
    type: str
    required: true
  service_specs:
    description:
      - Per service name, the M(flotilla.fleet.containers) options of its replicas (without C(name), unless
        the service has one replica and wants a fixed name). C(stack_plan.container_specs) from
        C(flotilla.fleet.plan) has this shape.
    type: dict
    required: true
  replicas:
    description: Without a placement, per service name the number of replicas on O(host).
    type: dict
  project:
    description: Without a placement, the prefix of container names (C(<project>-<service>-<n>)).
    type: str
  reserve_as_limit:
    description:
      - Give each container the CPUs and memory the scheduler reserved for it as its C(cpus) and C(memory)
        limits, where its service spec sets none.
    type: bool
    default: false
seealso:
  - plugin: flotilla.fleet.placement
    plugin_type: lookup
  - module: flotilla.fleet.containers
"""

EXAMPLES = r"""
- name: Run on each host the replicas the scheduler gave it
  flotilla.fleet.containers:
    project: shop
    prune: true
    containers: "{{ placement | flotilla.fleet.replica_containers(inventory_hostname, specs, reserve_as_limit=true) }}"
  vars:
    specs:
      web:
        image: registry.example.com/shop/web:1.4.2
        ports: ["8080:8000"]
        networks: [{name: shop, aliases: [web]}]
      cache:
        image: registry.example.com/shop/cache:7

- name: One host, no scheduler - two web replicas with a port each
  ansible.builtin.debug:
    msg: "{{ none | flotilla.fleet.replica_containers('localhost', specs, replicas={'web': 2}, project='demo') }}"
  vars:
    specs:
      web:
        image: flotilla-test/base:latest
        ports: ["127.0.0.1:18080-18081:8000"]
"""

RETURN = r"""
_value:
  description:
    - One M(flotilla.fleet.containers) item per replica on O(host), in placement order, with C(name), the
      service's options, and the labels C(flotilla.service) and C(flotilla.replica).
  type: list
  elements: dict
"""

from ansible.errors import AnsibleFilterError

from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._errors import StackError
from ansible_collections.flotilla.fleet.plugins.plugin_utils._stack._replicas import replica_containers as _build


def replica_containers(placement, host, service_specs, replicas=None, project=None, reserve_as_limit=False):
    try:
        return _build(placement, host, service_specs, replicas=replicas, project=project,
                      reserve_as_limit=reserve_as_limit)
    except StackError as error:
        raise AnsibleFilterError(f"flotilla.fleet.replica_containers: {error}") from None


class FilterModule:
    def filters(self):
        return {"replica_containers": replica_containers}
