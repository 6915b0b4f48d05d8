#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: swarm
short_description: Docker Swarm mode membership of an engine, and node labels, availability and role
version_added: 0.1.0
description:
  - Swarm mode is the control plane that lets overlay networks span several engines. This module makes one
    engine initialize a swarm, join one as a manager or a worker, or leave it.
  - With O(node), it instead changes one node's labels, availability or role, through this engine, which must be
    a manager.
  - Idempotent. An engine already in the swarm of O(join_addresses) (or, without them, managing a swarm) with the
    role asked for reports no change. An engine in another swarm, or with another role, is never moved silently;
    the task fails and says what to do (leave first, or change the role through a manager).
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
    description: Shows the swarm state and role, or the node settings that differ, before and after.
  idempotent:
    support: full
    description: A second run with the same options changes nothing.
options:
  state:
    description:
      - V(present) makes sure this engine is in a swarm, V(absent) makes it leave its swarm.
    type: str
    choices: [present, absent]
    default: present
  advertise_addr:
    description:
      - Address other nodes reach this engine at, as V(IP), V(IP:PORT) or V(INTERFACE:PORT); used only when this
        engine initializes or joins a swarm. Left out, the engine picks one (and fails when it has several).
    type: str
  listen_addr:
    description: Address this engine listens on for swarm traffic; used only when it initializes or joins.
    type: str
    default: 0.0.0.0:2377
  join_addresses:
    description:
      - Managers of the swarm to join, as V(HOST) or V(HOST:PORT) (port 2377 when left out). Without it,
        O(state=present) initializes a new swarm with this engine as its first manager.
      - An engine already in a swarm is in the right one when one of these addresses is among its managers.
    type: list
    elements: str
  join_token:
    description:
      - The join token, as C(docker swarm join-token -q manager) or C(worker) prints it, or as
        RV(swarm.join_tokens) returns it. Its kind decides the role the engine joins with, so it must match
        O(role).
      - A secret. It is not logged, and failure messages never quote it, or any part of it.
    type: str
  role:
    description:
      - The role of this engine (with O(join_addresses) it is required), or of O(node).
      - A new swarm always starts with a manager.
    type: str
    choices: [manager, worker]
  force:
    description: With O(state=absent), let a manager leave (that can cost the swarm its quorum; the last manager
      takes the swarm's state with it).
    type: bool
    default: false
  return_tokens:
    description:
      - Return the swarm's join tokens in RV(swarm.join_tokens). Only a manager can read them.
      - "They are secrets, and Ansible does not hide return values: C(no_log) on options does not cover them.
        Set C(no_log: true) on the task that registers them, and pass them on only to O(join_token)."
    type: bool
    default: false
  node:
    description:
      - Hostname or ID (or unique ID prefix) of the node whose O(labels), O(availability) or O(role) to set,
        through this engine, which must be a manager. Does not change this engine's membership.
      - When a node left and re-joined, its old entry stays listed as down under the same hostname; the one that
        is up is chosen.
    type: str
  labels:
    description:
      - Labels of O(node), for placement constraints. Values are strings.
      - Merged into the node's labels unless O(purge_labels=true).
    type: dict
  purge_labels:
    description: Remove the labels of O(node) that O(labels) does not list.
    type: bool
    default: false
  availability:
    description: Availability of O(node). V(pause) takes no new tasks, V(drain) also moves its tasks away.
    type: str
    choices: [active, pause, drain]
notes:
  - Overlay networks need ports 2377/tcp, 7946/tcp+udp and 4789/udp open between the engines; encrypted
    overlay networks also need IP protocol 50 (ESP) and kernel IPsec support.
seealso:
  - module: flotilla.fleet.network
  - module: flotilla.fleet.host_info
"""

EXAMPLES = r"""
- name: Initialize the swarm on the first manager and read the join tokens
  flotilla.fleet.swarm:
    advertise_addr: "{{ ansible_default_ipv4.address }}"
    return_tokens: true
  register: swarm_init
  no_log: true  # the result holds the join tokens
  when: inventory_hostname == groups['managers'][0]

- name: Join the other hosts as workers
  flotilla.fleet.swarm:
    join_addresses: ["{{ hostvars[groups['managers'][0]].ansible_default_ipv4.address }}"]
    join_token: "{{ hostvars[groups['managers'][0]].swarm_init.swarm.join_tokens.worker }}"
    role: worker
    advertise_addr: "{{ ansible_default_ipv4.address }}"
  when: inventory_hostname in groups['workers']

- name: Label every node and drain one, through the manager
  flotilla.fleet.swarm:
    node: "{{ item }}"
    labels:
      zone: "{{ hostvars[item].zone }}"
    availability: "{{ 'drain' if item in groups['maintenance'] else 'active' }}"
  loop: "{{ groups['all'] }}"
  delegate_to: "{{ groups['managers'][0] }}"

- name: Leave the swarm
  flotilla.fleet.swarm:
    state: absent
    force: "{{ inventory_hostname in groups['managers'] }}"
"""

RETURN = r"""
swarm:
  description: This engine's swarm membership after the task (without O(node)).
  returned: when O(node) is not given
  type: dict
  contains:
    action:
      description: One of V(initialized), V(joined), V(left) or V(unchanged).
      type: str
      sample: joined
    changed:
      description: Whether anything changed.
      type: bool
    state:
      description: The engine's swarm state, V(inactive) or V(active).
      type: str
      sample: active
    role:
      description: V(manager) or V(worker); null outside a swarm.
      type: str
    node_id:
      description: This engine's node ID; null outside a swarm (and in check mode before a join).
      type: str
    node_addr:
      description: The address this engine advertises.
      type: str
    cluster_id:
      description: The swarm's ID; only managers know it.
      type: str
    managers:
      description: Addresses of the swarm's managers, as this engine knows them.
      type: list
      elements: str
      sample: [172.30.0.2:2377]
    join_tokens:
      description:
        - "The join tokens. Secrets: register the result with C(no_log: true)."
      returned: with O(return_tokens=true), on a manager (not in check mode before the swarm exists)
      type: dict
      contains:
        manager:
          description: Token to join as a manager.
          type: str
        worker:
          description: Token to join as a worker.
          type: str
node:
  description: The node O(node) after the task (with O(node)).
  returned: when O(node) is given
  type: dict
  contains:
    action:
      description: V(updated) or V(unchanged).
      type: str
    changed:
      description: Whether anything changed.
      type: bool
    id:
      description: Node ID.
      type: str
    hostname:
      description: The node's hostname.
      type: str
    role:
      description: V(manager) or V(worker).
      type: str
    availability:
      description: V(active), V(pause) or V(drain).
      type: str
    labels:
      description: All labels of the node.
      type: dict
      sample: {"zone": "a"}
    state:
      description: V(ready), V(down), V(disconnected) or V(unknown).
      type: str
    addr:
      description: The node's address, as the manager sees it.
      type: str
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._swarm import (
    SwarmConverger, SwarmRequest, swarm_argument_spec)


def main():
    # With node, the task is about that node; without, about this engine's membership.
    FleetModule(swarm_argument_spec(), supports_check_mode=True).converge(
        SwarmRequest, SwarmConverger, lambda request: "swarm" if request.node is None else "node")


if __name__ == "__main__":
    main()
