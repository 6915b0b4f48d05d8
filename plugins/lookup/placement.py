# Copyright: Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
from __future__ import annotations

DOCUMENTATION = r"""
name: placement
author: Flotilla developers (@flotilla)
version_added: 0.1.0
short_description: Decide which inventory host runs each replica of each service
description:
  - Places every replica of every service on one of the given inventory hosts. The inventory is
    the cluster, there is no control plane. Same input, same output (ties are broken by host
    order, or by O(seed)).
  - "B(Hard filters), in this order: host availability (drained, paused and unreachable hosts
    take no new replicas); label constraints; the spread label must exist; a local named volume
    pins a replica to the host holding it; required (anti-)affinity; free cpus, memory and
    custom resources; host port conflicts; C(max_per_host)."
  - "B(Scores): C(spread) prefers the least allocated host and puts replicas of one service on
    distinct hosts first; C(binpack) prefers the most allocated host. Both are 0-100 points,
    weighted per resource by O(resource_weights); preference and affinity weights add points.
    Within a priority, larger requests are placed first; a required-affinity target is placed
    before the services that require it, at the highest of their priorities. C(binpack)
    services without spread,
    preferences, affinity or volumes are packed one host at a time, each time with the replica
    whose request best matches what the host has left, which uses fewer hosts. Then an exact
    search tries to empty the least loaded host that runs nothing else, by repacking the
    replicas this run starts onto the other used hosts, and repeats while it succeeds and the
    hosts used are above a lower bound. Its work
    is bounded by a step count, not a clock (at most a few tenths of a second on the
    controller, same input same result); running replicas never move, hard filters hold.
    When a C(binpack) run leaves replicas unplaced, the run is repeated with C(spread) and the
    result that places more replicas is returned: binpack never places fewer than spread."
  - "B(Stability): replicas already running (from facts or C(flotilla_current)) stay where they
    are while they still pass the hard filters, required (anti-)affinity included (pause keeps
    them, drain and unreachable move them); they count with their service's current request,
    since a redeploy applies it.
    Containers that belong to no requested service count with what the facts report.
    Scaling a service moves no other replica, with two exceptions: a service with
    C(preemption) may displace lower-priority replicas, and a replica whose required-affinity
    target is scaled away from its host moves. Preemption never displaces a replica that the
    preempting service or another replica on that host requires, nor one whose leaving would
    break its service's hard spread. O(rebalance) moves up to O(max_moves)
    replicas, each time the one that improves the placement most, and never breaks a hard rule."
  - "B(Host data), per host: C(flotilla_host_info) is the registered result of
    M(flotilla.fleet.host_info) with this shape -
    C({engine: {cpus, memory, labels, resources}, swarm: {node_availability, node_labels},
    containers: [{name, service, project, replica, state, cpus, memory, resources, ports}],
    volumes: [{name, driver, services}]}). When it is absent or lacks a field, these inventory
    variables are used: C(flotilla_cpus) (number), C(flotilla_memory) (bytes or C(8g), C(512Mi)),
    C(flotilla_resources) (custom countables, for example C({gpu: 2})), C(flotilla_labels)
    (mapping), C(flotilla_zone) (shorthand for label C(zone)), C(flotilla_availability)
    (C(active), C(drain) or C(pause)), C(flotilla_current) (running replicas, same shape as
    C(containers)), C(flotilla_volumes) (local volume names). Labels from all sources merge,
    inventory last; every host also has the label C(hostname)."
  - "B(Unreachable hosts): hosts of this play that are in C(ansible_play_hosts_all) but not in
    C(ansible_play_hosts) (they failed or were unreachable earlier in the play) take no replicas
    and their replicas are placed elsewhere. Hosts outside the play count as reachable."
  - "Strings that come from the inventory or the engine are returned unsafe: they are never
    templated."
options:
  _terms:
    description:
      - The services to place. Each term is a service mapping or a list of them.
      - "C(name) (required, letters, digits, C(_.-)); C(replicas) (default 1); C(project)
        (container names are C(<project>-<service>-<replica>), or C(<service>-<replica>));
        C(cpus) (C(0.5) or C(500m)); C(memory) (bytes or C(512m), C(1.5GiB), C(256Mi), units
        are powers of 1024); C(resources) (custom countables, for example C({gpu: 1}));
        C(ports) (host ports, C(8080) or C(53/udp))."
      - "C(constraints): list of C(<label> <op> <value>) with op C(==), C(!=), C(in),
        C(not in) (comma-separated values), C(exists), C(not exists), C(regex) (whole value must
        match), C(<), C(<=), C(>), C(>=) (version comparison, C(1.10 > 1.9), trailing zeros
        compare equal, C(6.1 == 6.1.0)); or mappings C({label, op, value}), where the value of
        C(in) and C(not in) is a list or a comma-separated string. A missing label only matches
        C(!=), C(not in), C(not exists)."
      - "C(max_per_host) or C(distinct_hosts: true); C(spread): list of labels or
        C({label, max_skew (default 1), hard (default false)}) - replica counts per label value
        stay within C(max_skew) whenever a host with room allows it, and never exceed it when
        C(hard) (a hard spread compares with every value on hosts that pass the constraints,
        including values whose hosts are full or do not run a required-affinity target);
        C(affinity) and C(anti_affinity): list of service names or
        C({service, weight (default 100), required (default false)}) - anti-affinity applies
        both ways; C(preferences): list of C({match: <constraint>, weight (default 10)});
        C(priority) (default 0) and C(preemption) (default false: may displace lower-priority
        replicas when nothing fits); C(volumes): local named volumes, C({replica}) is replaced
        by the replica index; C(strategy) overrides the option below."
    type: list
    elements: raw
    required: true
  hosts:
    description:
      - Inventory hosts and groups to place on, in this order (order breaks ties).
      - Defaults to the hosts of the current play (C(ansible_play_hosts_all)).
    type: list
    elements: str
  strategy:
    description: How to choose among hosts that pass the filters.
    type: str
    choices: [spread, binpack]
    default: spread
  resource_weights:
    description:
      - Weight of each resource in the strategy score. Custom resources weigh 0 unless given.
    type: dict
    default: {cpus: 1, memory: 1}
  project:
    description: Default project of every service (the prefix of container names).
    type: str
    default: ""
  seed:
    description: Shuffles the order in which equal hosts are chosen; same seed, same result.
    type: int
  rebalance:
    description: Move running replicas when another host is clearly better.
    type: bool
    default: false
  max_moves:
    description: Most replicas O(rebalance) may move in one run.
    type: int
    default: 10
  exclude_unreachable:
    description: Give no replicas to hosts that failed or were unreachable earlier in the play.
    type: bool
    default: true
notes:
  - "The scheduler is pure Python in C(plugins/plugin_utils/_placement) and runs on the controller,
    in the process that templates the lookup. On one core (C(tests/bench/bench_placement.py)) the
    lookup takes about 30 ms for 1,000 replicas over 50 hosts; about 3.5 s for 100,000 replicas of
    1,000 services over 5,000 hosts (cpus, memory, constraints, zone spread), half of it placing and
    half reading the hosts' variables, which Ansible computes host by host; about 30 s for 1,000,000
    replicas over 10,000 hosts."
  - "ansible-core then finalises the returned structure, about 19 values per replica at some
    6 microseconds a value (about 0.1 s for 1,000 replicas, 12 s for 100,000), and in a playbook
    M(ansible.builtin.set_fact) also sends it from the worker and stores it: for 100,000 replicas,
    some 25 to 30 s of ansible-core beside the lookup's 3.5 s. Compute the placement once
    (C(run_once)) and read the parts each host needs from the stored fact."
seealso:
  - module: flotilla.fleet.host_info
"""

EXAMPLES = r"""
- name: Place the shop on the docker hosts
  ansible.builtin.set_fact:
    placement: >-
      {{ lookup('flotilla.fleet.placement', services, hosts='docker_hosts', project='shop') }}
  vars:
    services:
      - name: web
        replicas: 4
        cpus: 0.5
        memory: 512m
        ports: [8080]
        spread: [zone]
        affinity: [cache]
      - name: cache
        replicas: 2
        memory: 1g
      - name: db
        replicas: 2
        memory: 4g
        constraints: ["disk == ssd"]
        distinct_hosts: true
        volumes: ["db-data-{replica}"]
        priority: 10
        preemption: true

- name: Run on each host what the placement gives it
  ansible.builtin.debug:
    msg: "{{ placement.hosts[inventory_hostname] | map(attribute='name') }}"

- name: Fail loudly when a replica found no host
  ansible.builtin.assert:
    that: placement.unplaced | length == 0
    fail_msg: "{{ placement.unplaced | map(attribute='message') }}"
"""

RETURN = r"""
_raw:
  description: One mapping with the placement.
  type: list
  elements: dict
  contains:
    hosts:
      description:
        - Per host (every host considered, possibly empty), the replicas it should run, each
          with C(service), C(replica), C(name), C(project), C(cpus), C(memory), C(resources),
          C(ports), C(volumes).
      type: dict
    services:
      description: Per service, C(replicas), C(placed) and C(hosts) (host of each replica index, null when unplaced).
      type: dict
    unplaced:
      description:
        - "Replicas no host could take, with C(reasons) (number of hosts each filter eliminated)
          and C(message), for example C(3 hosts: insufficient memory; 2 hosts: constraint zone == eu-1)."
      type: list
      elements: dict
    moves:
      description: Changes against the running replicas - C(action) (start, stop or move), C(service), C(replica), C(name), C(from), C(to), C(reason).
      type: list
      elements: dict
    preempted:
      description: Replicas displaced by higher-priority ones - C(service), C(replica), C(name), C(host), C(by).
      type: list
      elements: dict
    summary:
      description: Counts - C(replicas), C(placed), C(unplaced), C(moves), C(hosts_used).
      type: dict
"""

import gc
from collections.abc import Mapping
from contextlib import contextmanager

from ansible.errors import AnsibleLookupError
from ansible.plugins.lookup import LookupBase
from ansible.utils.unsafe_proxy import AnsibleUnsafeText

from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._api import PlacementError, place_hosts
from ansible_collections.flotilla.fleet.plugins.plugin_utils._placement._hostvars import HOST_VARIABLES, host_from_vars

_OPTIONS = ("strategy", "resource_weights", "project", "seed", "rebalance", "max_moves")


class LookupModule(LookupBase):
    def run(self, terms, variables=None, **kwargs):
        variables = variables or {}
        self.set_options(var_options=variables, direct=kwargs)
        services = []
        for term in terms:
            services.extend(term if isinstance(term, (list, tuple)) else [term])
        try:
            with _collector_paused():
                names = self._host_names(variables)
                hostvars = variables.get("hostvars", {})
                down = self._unreachable(variables)
                hosts = [host_from_vars(name, order, _vars_of(hostvars, name), name not in down)
                         for order, name in enumerate(names)]
                options = {name: self.get_option(name) for name in _OPTIONS}
                # Strings from the inventory, the engine or the services are marked as the result
                # is built: never templated, and nothing walks the finished result.
                placement = place_hosts(services, hosts, options, unsafe=AnsibleUnsafeText)
        except PlacementError as error:
            raise AnsibleLookupError(f"flotilla.fleet.placement: {error}") from None
        return [placement]

    def _host_names(self, variables):
        """Expand groups into hosts, keeping the given order and dropping repeats."""
        patterns = self.get_option("hosts")
        if patterns is None:
            patterns = variables.get("ansible_play_hosts_all")
            if patterns is None:
                raise PlacementError("hosts", "not set, and there are no play hosts to default to")
        groups = variables.get("groups", {})
        hostvars = variables.get("hostvars", {})
        names: dict[str, None] = {}  # ordered, and a repeat is found without a scan
        for position, pattern in enumerate(patterns):
            if pattern in groups:
                members = groups[pattern]
            elif pattern in hostvars:
                members = [pattern]
            else:
                raise PlacementError(f"hosts[{position}]", f"{pattern!r} is neither a host nor a group in the inventory")
            names.update(dict.fromkeys(members))
        return list(names)

    def _unreachable(self, variables):
        if not self.get_option("exclude_unreachable"):
            return set()
        everyone = variables.get("ansible_play_hosts_all")
        still_up = variables.get("ansible_play_hosts")
        if everyone is None or still_up is None:
            return set()
        return set(everyone) - set(still_up)


@contextmanager
def _collector_paused():
    """A run allocates about ten objects per replica, none in a cycle; with the cycle collector
    on, it would traverse Ansible's whole heap again and again while the result is built."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _vars_of(hostvars, name):
    """The variables the scheduler reads, each templated once: a host's variables are templated
    on access, and on a large inventory every needless access is paid thousands of times."""
    found = hostvars[name] if name in hostvars else {}
    if not isinstance(found, Mapping):
        return {}
    return {key: found[key] for key in HOST_VARIABLES if key in found}
