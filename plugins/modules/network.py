#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: network
short_description: Converge one Docker network, bridge or overlay, and the containers attached to it
version_added: 0.1.0
description:
  - Creates, recreates or removes one network so that it matches the options given, and connects the
    containers listed in O(connected).
  - Docker cannot change any option of an existing network, labels included. When an option differs, the task
    fails with the list of differing options unless O(recreate=options-changed) allows a recreate. A recreate
    disconnects every attached container (running or stopped), removes the network, creates it anew and
    reconnects each container with its aliases and static IPv4/IPv6 addresses. If creating the new network
    fails, the old one is created again as it was and its containers are reconnected.
  - Options you leave out are not compared, and a recreate keeps their current value (labels, driver options,
    IPAM settings), except O(driver) (V(bridge) when left out) and the booleans O(internal), O(attachable),
    O(encrypted) and O(enable_ipv6) (V(false) when left out).
  - The engine fills in what you do not give, such as the subnet and the gateway; those are not taken for
    differences.
  - Listing containers in O(connected) never detaches containers that are not listed (containers of other
    stacks, say) unless O(prune_connected=true). A run that changes nothing disconnects nothing.
  - Overlay networks (and O(scope=swarm)) need the engine to be a manager of a swarm; see
    M(flotilla.fleet.swarm).
author:
  - Flotilla developers (@flotilla)
extends_documentation_fragment:
  - flotilla.fleet.docker
attributes:
  check_mode:
    support: full
    description: Reports what would change, including a refused recreate, without changing anything.
  diff_mode:
    support: full
    description: Shows before and after of the options and container attachments that differ.
  idempotent:
    support: partial
    description: A second run with the same options changes nothing, except with O(recreate=always).
options:
  name:
    description:
      - Network name. Letters, digits, C(_), C(.) and C(-), starting with a letter or a digit.
      - The networks the engine manages itself (C(bridge), C(host), C(none), C(ingress), C(docker_gwbridge))
        are refused.
    type: str
    required: true
  state:
    description:
      - V(present) creates the network, or checks it and connects O(connected).
      - V(absent) removes it. A network that any container is attached to (running or stopped) is not removed,
        and the error names the containers, unless O(force=true).
    type: str
    default: present
    choices: [present, absent]
  recreate:
    description:
      - V(never) fails with the list of differing options when the network differs from the options given.
      - V(options-changed) recreates the network when an option differs (see the description for what a
        recreate does to attached containers).
      - V(always) recreates it on every run, which is not idempotent.
      - Before a recreate starts, every container that would be reconnected with a static address is checked
        against the subnets of the new network; a mismatch fails the task and changes nothing.
    type: str
    default: never
    choices: [never, options-changed, always]
  force:
    description:
      - With O(state=absent), disconnect every attached container (running or stopped) and then remove the
        network. The containers themselves are not touched.
      - Applies to O(state=absent) only.
    type: bool
    default: false
  connected:
    description:
      - Containers to attach to the network; each must exist. A listed container that is attached with other
        aliases or another static address is disconnected and connected again with the ones given.
      - Containers attached but not listed stay attached unless O(prune_connected=true).
    type: list
    elements: dict
    suboptions:
      name:
        description: Container name (or ID).
        type: str
        required: true
      aliases:
        description:
          - Network-scoped aliases of the container on this network.
          - Left out, the container keeps the aliases it has (none for a new attachment); V([]) means none.
        type: list
        elements: str
      ipv4_address:
        description:
          - Static IPv4 address of the container on this network. Needs O(ipam_config), with a subnet that
            contains the address.
          - Left out, the container keeps its address (the engine picks one for a new attachment).
        type: str
  prune_connected:
    description:
      - Disconnect every attached container that O(connected) does not list. Needs O(connected).
    type: bool
    default: false
  driver:
    description:
      - Network driver, such as V(bridge) or V(overlay) (or V(macvlan), V(ipvlan), or a plugin).
      - Left out, V(bridge).
    type: str
  driver_options:
    description:
      - Options of the driver, such as C(com.docker.network.bridge.name) or C(com.docker.network.driver.mtu).
        Values are strings; quote booleans.
      - Left out, not compared. Options the engine adds by itself (the overlay VXLAN ID) are not compared unless
        given. Use O(encrypted), not an C(encrypted) key.
    type: dict
  internal:
    description:
      - Restrict external access to the network (no route to the outside, no published ports).
      - Left out, V(false).
    type: bool
  attachable:
    description:
      - Let standalone containers (not only swarm services) attach to a swarm-scoped network.
      - Applies to O(driver=overlay) or O(scope=swarm) only. Left out, V(false).
    type: bool
  encrypted:
    description:
      - Encrypt the overlay traffic between nodes (IPsec).
      - Applies to O(driver=overlay) only. Left out, V(false).
    type: bool
  enable_ipv6:
    description:
      - Enable IPv6 on the network. Give the IPv6 subnet in O(ipam_config).
      - Left out, V(false).
    type: bool
  ipam_driver:
    description:
      - IPAM driver. The engine's own is V(default).
      - Left out, not compared.
    type: str
  ipam_driver_options:
    description:
      - Options of the IPAM driver. Left out, not compared.
    type: dict
  ipam_config:
    description:
      - Address pools of the network, one per subnet, IPv4 and/or IPv6.
      - Left out, not compared, and the engine picks a subnet for a new network.
    type: list
    elements: dict
    suboptions:
      subnet:
        description: Subnet in CIDR notation, such as C(10.10.0.0/24) or C(fd00:10::/64).
        type: str
        required: true
      gateway:
        description:
          - Gateway address, inside O(ipam_config[].subnet).
          - Left out, the engine picks one (the first address of the subnet) and it is not compared.
        type: str
      ip_range:
        description:
          - Range, in CIDR notation and inside the subnet, that the engine allocates container addresses from.
        type: str
      aux_addresses:
        description:
          - Addresses the engine must not give to containers, as a mapping of host names to addresses inside
            the subnet.
        type: dict
  labels:
    description:
      - Labels of the network. Docker cannot change labels in place, so a change needs a recreate.
      - Left out, not compared; V({}) means no labels.
    type: dict
  scope:
    description:
      - Scope of the network. Left out, the driver's own (V(local) for bridge, V(swarm) for overlay) and not
        compared.
      - V(swarm) needs the engine to be a swarm manager.
    type: str
    choices: [local, swarm, global]
notes:
  - Attached containers are found through the container list, which includes stopped containers (the network's
    own inspect does not), so a recreate or O(force) removal also handles stopped containers.
  - A recreate reconnects containers with their aliases and static addresses; other endpoint settings (links,
    driver options of the endpoint, a fixed MAC address) are not carried over.
seealso:
  - module: flotilla.fleet.container
"""

EXAMPLES = r"""
- name: A bridge network with a fixed subnet
  flotilla.fleet.network:
    name: backend
    ipam_config:
      - subnet: 10.20.0.0/24
        gateway: 10.20.0.1
        ip_range: 10.20.0.128/25
    labels:
      flotilla.project: shop

- name: Attach two containers with aliases and a static address, leaving other containers attached
  flotilla.fleet.network:
    name: backend
    ipam_config:
      - subnet: 10.20.0.0/24
    connected:
      - name: db-1
        aliases: [db]
        ipv4_address: 10.20.0.10
      - name: web-1

- name: Change an option Docker cannot change in place; containers are reconnected as they were
  flotilla.fleet.network:
    name: backend
    internal: true
    recreate: options-changed

- name: An encrypted, attachable overlay network (the engine must be a swarm manager)
  flotilla.fleet.network:
    name: mesh
    driver: overlay
    encrypted: true
    attachable: true

- name: A dual-stack network
  flotilla.fleet.network:
    name: dual
    enable_ipv6: true
    ipam_config:
      - subnet: 10.21.0.0/24
      - subnet: fd00:21::/64

- name: Remove a network, disconnecting the containers still attached
  flotilla.fleet.network:
    name: backend
    state: absent
    force: true
"""

RETURN = r"""
network:
  description: The network after the task (in check mode, as it is now).
  returned: always
  type: dict
  contains:
    name:
      description: Network name.
      type: str
      sample: backend
    action:
      description: What was done, one of V(created), V(recreated), V(updated) (containers connected or
        disconnected), V(removed) or V(unchanged).
      type: str
      sample: created
    changed:
      description: Whether anything changed.
      type: bool
    containers:
      description: Names of the containers attached after the task (running or stopped).
      type: list
      elements: str
      sample: [db-1, web-1]
    id:
      description: Network ID.
      type: str
      returned: when the network exists
    driver:
      description: Network driver.
      type: str
      returned: when the network exists
      sample: bridge
    driver_options:
      description: Driver options, without C(encrypted).
      type: dict
      returned: when the network exists
    internal:
      description: Whether the network is internal.
      type: bool
      returned: when the network exists
    attachable:
      description: Whether standalone containers can attach.
      type: bool
      returned: when the network exists
    encrypted:
      description: Whether overlay traffic is encrypted.
      type: bool
      returned: when the network exists
    enable_ipv6:
      description: Whether IPv6 is enabled.
      type: bool
      returned: when the network exists
    ipam_driver:
      description: IPAM driver.
      type: str
      returned: when the network exists
      sample: default
    ipam_driver_options:
      description: IPAM driver options.
      type: dict
      returned: when the network exists
    ipam_config:
      description: Address pools, with the gateway the engine picked when none was given.
      type: list
      elements: dict
      returned: when the network exists
      sample: [{"subnet": "10.20.0.0/24", "gateway": "10.20.0.1", "ip_range": null, "aux_addresses": {}}]
    labels:
      description: Labels of the network.
      type: dict
      returned: when the network exists
    scope:
      description: Scope, V(local) or V(swarm).
      type: str
      returned: when the network exists
"""

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetModule
from ansible_collections.flotilla.fleet.plugins.module_utils._network import (
    NetworkConverger, NetworkRequest, network_argument_spec)


def main():
    FleetModule(network_argument_spec(), supports_check_mode=True).converge(NetworkRequest, NetworkConverger, "network")


if __name__ == "__main__":
    main()
