#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: host_info
short_description: What the scheduler needs to know about one Docker engine, in one structured result
version_added: 0.1.0
description:
  - Reads the engine's version, API version, OS, architecture, CPUs, memory and labels; its swarm state, role
    and node labels; every container of this collection (those with the label C(flotilla.spec-hash)) with its
    service, replica and stack labels, state, health, CPU and memory reservation and where its ports are
    published (container port, protocol, host address and host port); and the named volumes with the services
    and containers that use them.
  - Register the result as the hostvar C(flotilla_host_info) for the scheduler (see the example).
  - Fast. One round of four API calls made in parallel (info, version, one container list, one volume list),
    then one round of inspects, in parallel and at most O(parallelism) at a time, of this collection's
    containers only, since the container list does not say how much CPU and memory a container was given; on a
    manager, the same round also inspects this node for its swarm labels. O(reservations=false) skips the
    container inspects.
  - Changes nothing.
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
    description: Reads only; there is nothing to diff.
  idempotent:
    support: full
    description: Reads only.
options:
  reservations:
    description:
      - Read each container's CPU and memory reservation (one inspect per container of this collection).
      - When V(false), RV(host_info.containers[].cpus) and RV(host_info.containers[].memory) are null.
    type: bool
    default: true
  parallelism:
    description: How many API calls run at once, from 1 to 10 (the Docker SDK keeps 10 connections per engine).
    type: int
    default: 8
notes:
  - Swarm node labels and availability can only be read through a manager. On a worker,
    RV(host_info.swarm.node_labels) and RV(host_info.swarm.node_availability) are null (unknown); read them on a
    manager with M(flotilla.fleet.swarm) and O(flotilla.fleet.swarm#module:node).
  - Anonymous volumes (named by 64 hex digits, or labelled C(com.docker.volume.anonymous)) are left out.
seealso:
  - module: flotilla.fleet.swarm
  - module: flotilla.fleet.containers
"""

EXAMPLES = r"""
- name: Gather what the scheduler needs from every Docker host
  flotilla.fleet.host_info:
    docker_host: "{{ flotilla_docker_host }}"
  delegate_to: localhost
  register: gathered

- name: Publish it as the hostvar the scheduler reads
  ansible.builtin.set_fact:
    flotilla_host_info: "{{ gathered.host_info }}"

- name: Count the running replicas of service web on this host
  ansible.builtin.debug:
    msg: "{{ flotilla_host_info.containers | selectattr('service', '==', 'web') | selectattr('state', '==', 'running') | length }}"
"""

RETURN = r"""
host_info:
  description: The facts, in the shape of the hostvar C(flotilla_host_info).
  returned: always
  type: dict
  contains:
    engine:
      description: The engine.
      type: dict
      sample: {"version": "20.10.24", "api_version": "1.41", "os": "linux", "arch": "amd64", "cpus": 4,
               "memory": 8589934592, "labels": {"zone": "a"}}
      contains:
        version:
          description: Engine version.
          type: str
        api_version:
          description: Highest API version the engine speaks.
          type: str
        os:
          description: Operating system type, such as V(linux).
          type: str
        arch:
          description: Architecture as image platforms name it, such as V(amd64) or V(arm64).
          type: str
        cpus:
          description: Number of CPUs.
          type: int
        memory:
          description: Total memory in bytes.
          type: int
        labels:
          description: Engine labels (C(dockerd --label)).
          type: dict
    swarm:
      description: Swarm membership of the engine.
      type: dict
      sample: {"state": "active", "role": "manager", "node_id": "x2k1...", "node_availability": "active",
               "node_labels": {"zone": "a"}}
      contains:
        state:
          description: V(inactive), V(pending), V(active), V(error) or V(locked).
          type: str
        role:
          description: V(manager) or V(worker); null when not active.
          type: str
        node_id:
          description: Node ID; null outside a swarm.
          type: str
        node_availability:
          description: V(active), V(pause) or V(drain); null outside a swarm and on workers (unknown there).
          type: str
        node_labels:
          description: Swarm node labels; empty outside a swarm, null on workers (unknown there).
          type: dict
    containers:
      description: The containers of this collection on the engine, sorted by name, in any state.
      type: list
      elements: dict
      sample: [{"name": "shop-web-1", "service": "web", "replica": 1, "stack": "shop", "project": "shop",
                "state": "running", "health": "healthy", "cpus": 0.5, "memory": 268435456,
                "published": [{"container_port": 80, "protocol": "tcp", "host_ip": "127.0.0.1",
                               "host_port": 18080}],
                "ports": [18080]}]
      contains:
        name:
          description: Container name.
          type: str
        service:
          description: Label C(flotilla.service), or null.
          type: str
        replica:
          description: Label C(flotilla.replica) as an integer, or null.
          type: int
        stack:
          description: The stack the container belongs to (label C(flotilla.stack), else the older
            C(flotilla.project)), or null.
          type: str
        project:
          description:
            - The same value as RV(host_info.containers[].stack), under its old name.
            - Deprecated, kept for one release; read RV(host_info.containers[].stack).
          type: str
        state:
          description: Engine state, such as V(running), V(exited) or V(created).
          type: str
        health:
          description: V(healthy), V(unhealthy) or V(starting); null without a healthcheck.
          type: str
        cpus:
          description: CPUs the container may use (its C(cpus) limit); null when unlimited or not read.
          type: float
        memory:
          description: Memory in bytes (its C(memory) limit, else its C(memory_reservation)); null when unlimited
            or not read.
          type: int
        published:
          description:
            - Where the container's ports are published, sorted; ports exposed but not published are left out.
            - A port published on both IPv4 and IPv6 appears once per host address (V(0.0.0.0) and V(::)).
          type: list
          elements: dict
          contains:
            container_port:
              description: Port inside the container.
              type: int
            protocol:
              description: V(tcp), V(udp) or V(sctp).
              type: str
            host_ip:
              description: Host address the port is bound to; V(0.0.0.0) (or V(::)) for every address.
              type: str
            host_port:
              description: Port on the host.
              type: int
        ports:
          description:
            - The host ports of RV(host_info.containers[].published), each once, sorted; the placement lookup
              reads them to keep two replicas off one host port.
          type: list
          elements: int
    volumes:
      description: Named volumes on the engine, sorted by name.
      type: list
      elements: dict
      sample: [{"name": "db-data", "driver": "local", "services": ["db"], "containers": ["db-1"]}]
      contains:
        name:
          description: Volume name.
          type: str
        driver:
          description: Volume driver.
          type: str
        services:
          description: Services (label C(flotilla.service)) of the containers that mount it.
          type: list
          elements: str
        containers:
          description: Names of all containers that mount it, ours or not.
          type: list
          elements: str
    networks:
      description: The engine's networks, sorted by name (a stack's external networks must be among them).
      type: list
      elements: dict
      sample: [{"name": "bridge", "driver": "bridge", "scope": "local"}]
      contains:
        name:
          description: Network name.
          type: str
        driver:
          description: Network driver.
          type: str
        scope:
          description: V(local), or V(swarm) for overlay networks of the swarm.
          type: str
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._host_info import (
    HOST_INFO_SPEC, HostInfoReader, check_options)


def gather(module):
    check_options(module.params)
    reader = HostInfoReader(module.engine, module.params["reservations"], module.params["parallelism"])
    return {"changed": False, "host_info": reader.read()}


def main():
    FleetModule(HOST_INFO_SPEC, supports_check_mode=True).run(gather)


if __name__ == "__main__":
    main()
