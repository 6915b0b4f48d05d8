# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Who is what in the swarm, from the inventory: the plan the ``flotilla.fleet.cluster`` role carries out.

Pure (no Ansible import): hosts' variables in, a plan out, or a :class:`ClusterPlanError` that names the host
and the variable. Every check runs before the role changes anything.

Role of a host, first that applies: its ``flotilla_cluster_role``; membership of the managers group; of the
workers group; otherwise a worker, except that with no manager named at all the group's first host is the
manager. A host with ``flotilla_cluster_member: false`` is to leave the swarm. The swarm is bootstrapped from
the first manager that already manages a swarm (so re-runs and a changed manager list keep the same swarm),
else from the first manager.
"""

from __future__ import annotations

from collections.abc import Mapping

ROLES = ("manager", "worker")
AVAILABILITIES = ("active", "pause", "drain")
ROLE_VAR, MEMBER_VAR = "flotilla_cluster_role", "flotilla_cluster_member"
LABELS_VAR, ZONE_VAR, AVAILABILITY_VAR = "flotilla_labels", "flotilla_zone", "flotilla_availability"


class ClusterPlanError(Exception):
    """Bad inventory for the cluster; the message names the host and the variable."""


def _labels(name, variables):
    """flotilla_labels plus zone from flotilla_zone (the zone wins, as in the placement lookup)."""
    raw = variables.get(LABELS_VAR)
    if raw is None:
        raw = {}
    if not isinstance(raw, Mapping):
        raise ClusterPlanError("hostvars[%s].%s: must be a mapping of label names to values, got %s"
                               % (name, LABELS_VAR, type(raw).__name__))
    labels = {}
    for key, value in raw.items():
        if isinstance(value, bool) or isinstance(value, (Mapping, list)):
            raise ClusterPlanError("hostvars[%s].%s.%s: must be a string or a number, got %r"
                                   % (name, LABELS_VAR, key, value))
        labels[str(key)] = "" if value is None else str(value)
    zone = variables.get(ZONE_VAR)
    if zone is not None:
        if isinstance(zone, bool) or not isinstance(zone, (str, int)):
            raise ClusterPlanError("hostvars[%s].%s: must be a string, got %r" % (name, ZONE_VAR, zone))
        labels["zone"] = str(zone)
    return labels


def _choice(name, variables, variable, choices, default):
    value = variables.get(variable, default)
    if value not in choices:
        raise ClusterPlanError("hostvars[%s].%s: must be one of %s, got %r"
                               % (name, variable, ", ".join(choices), value))
    return value


def _member(name, variables):
    value = variables.get(MEMBER_VAR, True)
    if not isinstance(value, bool):
        raise ClusterPlanError("hostvars[%s].%s: must be true or false, got %r" % (name, MEMBER_VAR, value))
    return value


def _advertise(name, variables, advertise_var):
    if not advertise_var:
        return None
    value = variables.get(advertise_var)
    if value is not None and not (isinstance(value, str) and value.strip()):
        raise ClusterPlanError("hostvars[%s].%s: must be an address such as 10.0.0.1 or eth0:2377, got %r"
                               % (name, advertise_var, value))
    return value


def _swarm_state(variables, state_var):
    """The host's swarm section of a flotilla.fleet.host_info result registered as state_var, or {}."""
    registered = variables.get(state_var) if state_var else None
    if not isinstance(registered, Mapping):
        return {}
    return dict((registered.get("host_info") or {}).get("swarm") or {})


def cluster_plan(hostvars, hosts, managers=(), workers=(), advertise_var=None, state_var=None,
                 default_availability="active", group="cluster_group"):
    """The plan: members and leavers in inventory order, roles, bootstrap manager, and per-node settings."""
    hosts = list(hosts or [])
    if not hosts:
        raise ClusterPlanError("%s: the inventory group has no hosts" % group)
    managers, workers = set(managers or ()), set(workers or ())
    nodes, leaving = {}, []
    for name in hosts:
        variables = hostvars[name]
        if name in managers and name in workers:
            raise ClusterPlanError("hostvars[%s]: the host is in both the managers and the workers group; "
                                   "set %s to choose" % (name, ROLE_VAR))
        default_role = "manager" if name in managers else "worker" if name in workers else None
        role = _choice(name, variables, ROLE_VAR, ROLES, default_role) if variables.get(ROLE_VAR) is not None \
            else default_role
        swarm = _swarm_state(variables, state_var)
        node = {"role": role, "member": _member(name, variables),
                "advertise_addr": _advertise(name, variables, advertise_var),
                "labels": _labels(name, variables),
                "availability": _choice(name, variables, AVAILABILITY_VAR, AVAILABILITIES, default_availability),
                "swarm_state": swarm.get("state") or "inactive", "swarm_role": swarm.get("role"),
                "node_id": swarm.get("node_id")}
        nodes[name] = node
        if not node["member"]:
            leaving.append(name)
    members = [name for name in hosts if nodes[name]["member"]]
    if not members:
        raise ClusterPlanError("%s: every host has %s: false; to dissolve the swarm use cluster_state: absent"
                               % (group, MEMBER_VAR))
    if not any(nodes[name]["role"] == "manager" for name in members):
        if any(nodes[name]["role"] == "manager" for name in hosts):
            raise ClusterPlanError("%s: every manager is leaving (%s: false); keep one or make another host a "
                                   "manager" % (group, MEMBER_VAR))
        nodes[members[0]]["role"] = "manager"  # nobody named a manager: the first host is one
    for node in nodes.values():
        node["role"] = node["role"] or "worker"
    member_managers = [name for name in members if nodes[name]["role"] == "manager"]
    running = [name for name in member_managers
               if nodes[name]["swarm_state"] == "active" and nodes[name]["swarm_role"] == "manager"]
    in_a_swarm = [name for name in members if nodes[name]["swarm_state"] == "active"]
    if in_a_swarm and not running:
        # Initializing on another manager would split the hosts into two swarms.
        raise ClusterPlanError("%s: %s already in a swarm, but none of the managers (%s) manages one; name a manager "
                               "of that swarm as a manager here, or dissolve it first (cluster_state: absent)"
                               % (group, ", ".join(in_a_swarm) + (" is" if len(in_a_swarm) == 1 else " are"),
                                  ", ".join(member_managers)))
    return {
        "members": members,
        "leaving": leaving,
        "managers": member_managers,
        "workers": [name for name in members if nodes[name]["role"] == "worker"],
        "bootstrap": (running or member_managers)[0],
        "nodes": nodes,
    }
