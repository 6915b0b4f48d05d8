# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Docker Swarm mode, the control plane of overlay networks: membership of one engine, and node settings.

Two jobs, chosen by the ``node`` option:

* without ``node``: this engine's membership - init a swarm, join one as manager or worker, or leave;
* with ``node``: through this engine (a manager), the labels, availability and role of one node.
"""

from __future__ import annotations

import re
import socket

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import (
    node_hostname, node_settings, swarm_role, swarm_state)
from ansible_collections.flotilla.fleet.plugins.module_utils._options import Option, OptionTable, string_map

SWARM_PORT = 2377
CONTROL_SPEC = {
    "state": {"type": "str", "default": "present", "choices": ["present", "absent"]},
    "advertise_addr": {"type": "str"},
    "listen_addr": {"type": "str", "default": "0.0.0.0:%d" % SWARM_PORT},
    "join_addresses": {"type": "list", "elements": "str"},
    "join_token": {"type": "str", "no_log": True},
    "force": {"type": "bool", "default": False},
    "return_tokens": {"type": "bool", "default": False},
    "node": {"type": "str"},
    "purge_labels": {"type": "bool", "default": False},
}
# swarmkit: SWMTKN-<version>-<CA digest, base36>-<secret, base36>; FIPS swarms add a field.
_TOKEN_RE = re.compile(r"^SWMTKN-[0-9](?:-[0-9])?-[0-9a-z]{20,64}-[0-9a-z]{20,64}$")
_ADDRESS_RE = re.compile(r"^(?P<host>\[[0-9a-fA-F:.]+\]|[A-Za-z0-9_.-]+)(?::(?P<port>[0-9]{1,5}))?$")
_STUCK_STATES = {
    "pending": "is still joining a swarm (the last join did not finish)",
    "error": "is in a swarm but reports an error",
    "locked": "is in a locked swarm (unlock it with its unlock key first)",
}


class NodeContext:
    """What a node option given by the user amounts to: labels are merged into the node's unless purged."""

    def __init__(self, node, purge_labels):
        self.labels = dict(((node or {}).get("Spec") or {}).get("Labels") or {})
        self.purge_labels = purge_labels


def _spec(key, default=None):
    return lambda node, context: ((node.get("Spec") or {}).get(key)) or default


NODE_OPTIONS = OptionTable([
    Option("labels", type="dict", normalize=string_map, read=_spec("Labels", {}),
           merge=lambda value, context: dict(value) if context.purge_labels else dict(context.labels, **value)),
    Option("availability", choices=["active", "pause", "drain"], read=_spec("Availability")),
    Option("role", choices=["manager", "worker"], read=_spec("Role")),
])
_SPEC_KEYS = {"labels": "Labels", "availability": "Availability", "role": "Role"}


def swarm_argument_spec():
    spec = dict(CONTROL_SPEC)
    spec.update(NODE_OPTIONS.argument_spec())
    return spec


def _address(value, field):
    match = _ADDRESS_RE.match(value.strip())
    if not match or (match.group("port") and not 0 < int(match.group("port")) < 65536):
        raise FleetError("%s: %r is not an address such as 10.0.0.1, 10.0.0.1:%d or eth0:%d"
                         % (field, value, SWARM_PORT, SWARM_PORT))
    return match.group("host").strip("[]"), int(match.group("port") or SWARM_PORT)


class SwarmRequest:
    """The user's request, validated before the engine is asked anything. Errors never quote the token."""

    def __init__(self, params):
        self.state = params["state"]
        self.node = params["node"]
        self.force = params["force"]
        self.return_tokens = params["return_tokens"]
        self.purge_labels = params["purge_labels"]
        self.advertise_addr, self.listen_addr = params["advertise_addr"], params["listen_addr"]
        self.join_addresses = list(params["join_addresses"] or [])
        self.join_token = params["join_token"]
        self.desired = NODE_OPTIONS.normalize(params)
        self.role = self.desired.get("role")
        for field in ("advertise_addr", "listen_addr"):
            if params[field] is not None:
                _address(params[field], field)
        self.managers = [_address(item, "join_addresses[%d]" % index) for index, item in enumerate(self.join_addresses)]
        if self.node is not None:
            self._check_node_mode(params)
        else:
            self._check_membership(params)

    def _check_node_mode(self, params):
        if not self.node.strip():
            raise FleetError("node: must be a node hostname or ID, got an empty string")
        if self.state == "absent":
            raise FleetError("node: state absent makes this engine leave its swarm; it cannot be combined with node")
        for field in ("advertise_addr", "join_addresses", "join_token"):
            if params[field]:
                raise FleetError("%s: configures this engine's membership; it cannot be combined with node" % field)
        if self.return_tokens:
            raise FleetError("return_tokens: cannot be combined with node")
        if not self.desired:
            raise FleetError("node: give labels, availability or role to set on node %s" % self.node)

    def _check_membership(self, params):
        for field in ("labels", "availability"):
            if params[field] is not None:
                raise FleetError("%s: node settings are made through a manager; add node: <hostname or ID>" % field)
        if params["purge_labels"]:
            raise FleetError("purge_labels: only with node and labels")
        if self.state == "absent":
            for field in ("join_addresses", "join_token", "advertise_addr", "role"):
                if params[field]:
                    raise FleetError("%s: not used with state absent" % field)
            if self.return_tokens:
                raise FleetError("return_tokens: not used with state absent")
            return
        if self.force:
            raise FleetError("force: only with state absent (to leave a swarm as a manager)")
        if self.join_token is not None and not self.join_addresses:
            raise FleetError("join_token: needs join_addresses, the managers to join")
        if self.join_addresses:
            if self.join_token is None:
                raise FleetError("join_addresses: needs join_token")
            if not _TOKEN_RE.match(self.join_token.strip()):
                # Never quote the token: the failure message is printed even at low verbosity.
                raise FleetError("join_token: not a swarm join token (expected SWMTKN-1-<digest>-<secret>, "
                                 "as docker swarm join-token -q prints)")
            if self.role is None:
                raise FleetError("role: required with join_addresses (manager or worker, matching the join_token)")
        elif self.role == "worker":
            raise FleetError("role: a new swarm starts with a manager; to join as a worker give join_addresses "
                             "and join_token")


def _resolve(host, port):
    """host:port and, best effort, host's IP addresses with port (RemoteManagers lists IPs)."""
    found = {"%s:%d" % (host, port)}
    try:
        found.update("%s:%d" % (info[4][0], port) for info in socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM))
    except (OSError, UnicodeError):
        pass
    return found


class SwarmConverger:
    def __init__(self, engine, check_mode):
        self.engine = engine
        self.check_mode = check_mode

    def converge(self, request):
        if request.node is not None:
            return self._converge_node(request)
        swarm = self.engine.info().get("Swarm") or {}
        state = swarm_state(swarm)
        if state in _STUCK_STATES:
            raise FleetError("Swarm: engine %s %s (state %s%s); leave it with state: absent and force: true"
                             % (self.engine.name, _STUCK_STATES[state], state,
                                ": " + swarm["Error"] if swarm.get("Error") else ""))
        if request.state == "absent":
            return self._leave(request, swarm, state)
        if state == "inactive":
            return self._enter(request)
        self._check_membership(request, swarm)
        return self._membership_result(request, "unchanged", swarm, None)

    # --- membership ---------------------------------------------------------------------------------
    def _check_membership(self, request, swarm):
        """An engine already in a swarm: it must be the swarm and the role asked for (we never re-join)."""
        role = swarm_role(swarm)
        if request.join_addresses:
            managers = {entry.get("Addr") for entry in swarm.get("RemoteManagers") or []}
            if not any(_resolve(host, port) & managers for host, port in request.managers):
                raise FleetError("join_addresses: engine %s is already in another swarm (managers: %s); leave it "
                                 "first with state: absent" % (self.engine.name, ", ".join(sorted(managers)) or "?"))
        wanted = request.role or "manager"
        if role != wanted:
            raise FleetError("role: engine %s is a %s of its swarm, not a %s; change the role through a manager "
                             "(node: %s, role: %s) or leave the swarm first"
                             % (self.engine.name, role, wanted, swarm.get("NodeID"), wanted))

    def _enter(self, request):
        action = "joined" if request.join_addresses else "initialized"
        role = request.role or "manager"
        diff = {"before": {"state": "inactive"}, "after": {"state": "active", "role": role}}
        if self.check_mode:
            return self._membership_result(request, action, {"LocalNodeState": "active"}, diff, role=role)
        api = self.engine.api
        if request.join_addresses:
            token = request.join_token.strip()
            try:
                with self.engine.action("join", "swarm", "via %s" % ", ".join(request.join_addresses)):
                    api.join_swarm(request.join_addresses, token,
                                   listen_addr=request.listen_addr, advertise_addr=request.advertise_addr)
            except FleetError as exc:
                # The engine quotes the token's CA digest when it does not match; no part of a token is shown.
                message = str(exc)
                for part in token.split("-"):
                    if len(part) >= 20:  # the CA digest and the secret; not SWMTKN or the version
                        message = message.replace(part, "<part of join_token>")
                raise FleetError(message)
        else:
            with self.engine.action("initialize", "swarm", "on this engine"):
                api.init_swarm(advertise_addr=request.advertise_addr, listen_addr=request.listen_addr)
        swarm = self._fresh_swarm_info()
        joined = swarm_role(swarm)
        if joined != role:
            raise FleetError("role: engine %s joined as a %s, not a %s: the kind of join_token decides the role"
                             % (self.engine.name, joined or "node in state %s" % swarm_state(swarm), role))
        return self._membership_result(request, action, swarm, diff)

    def _leave(self, request, swarm, state):
        if state == "inactive":
            return self._membership_result(request, "unchanged", swarm, None)
        role = swarm_role(swarm)
        if role == "manager" and not request.force:
            raise FleetError("force: engine %s is a swarm manager; leaving can cost the swarm its quorum (or, for "
                             "the last manager, all its state): set force: true to leave anyway" % self.engine.name)
        diff = {"before": {"state": state, "role": role}, "after": {"state": "inactive"}}
        if not self.check_mode:
            with self.engine.action("leave", "swarm", swarm.get("NodeID") or ""):
                self.engine.api.leave_swarm(force=request.force)
        return self._membership_result(request, "left", {"LocalNodeState": "inactive"}, diff)

    def _fresh_swarm_info(self):
        with self.engine.action("read", "engine", "info"):
            return self.engine.api.info().get("Swarm") or {}

    def _membership_result(self, request, action, swarm, diff, role=None):
        state = swarm_state(swarm)
        result = {"action": action, "changed": action != "unchanged", "state": state,
                  "node_id": swarm.get("NodeID") or None, "node_addr": swarm.get("NodeAddr") or None,
                  "role": role or swarm_role(swarm),
                  "cluster_id": ((swarm.get("Cluster") or {}).get("ID")) or None,
                  "managers": sorted(entry.get("Addr") for entry in swarm.get("RemoteManagers") or [])}
        if request.return_tokens and result["role"] == "manager" and not (self.check_mode and action != "unchanged"):
            with self.engine.action("read", "swarm", "join tokens"):
                tokens = self.engine.api.inspect_swarm().get("JoinTokens") or {}
            result["join_tokens"] = {"manager": tokens.get("Manager"), "worker": tokens.get("Worker")}
        elif request.return_tokens and state == "active" and result["role"] != "manager":
            raise FleetError("return_tokens: engine %s is a worker; only a manager can read join tokens"
                             % self.engine.name)
        if diff:
            result["diff"] = diff
        return result

    # --- one node, through a manager ----------------------------------------------------------------
    def _converge_node(self, request):
        swarm = self.engine.info().get("Swarm") or {}
        if swarm_role(swarm) != "manager":
            raise FleetError("node: engine %s is not a swarm manager (swarm state %s); node settings can only be "
                             "changed through a manager" % (self.engine.name, swarm_state(swarm)))
        node = self._find_node(request.node)
        context = NodeContext(node, request.purge_labels)
        effective = NODE_OPTIONS.effective(request.desired, context)
        actual = NODE_OPTIONS.actual(node, context)
        changes = NODE_OPTIONS.differences(effective, actual)
        if not changes:
            return self._node_result(node, "unchanged", None)
        diff = NODE_OPTIONS.diff(changes, effective, actual)
        spec = dict(node.get("Spec") or {})
        for name in changes:
            spec[_SPEC_KEYS[name]] = effective[name]
        if self.check_mode:
            return self._node_result(dict(node, Spec=spec), "updated", diff)
        label = "%s (%s)" % (node_hostname(node), node["ID"])
        with self.engine.action("update", "swarm node", label):
            self.engine.api.update_node(node["ID"], node["Version"]["Index"], spec)
        with self.engine.action("inspect", "swarm node", label):
            node = self.engine.api.inspect_node(node["ID"])
        return self._node_result(node, "updated", diff)

    def _find_node(self, wanted):
        """A node by ID, unique ID prefix or hostname; among same-named nodes, the one that is up."""
        with self.engine.action("list", "swarm nodes", "to find %s" % wanted):
            nodes = self.engine.api.nodes() or []
        for matches in ([n for n in nodes if n["ID"] == wanted],
                        [n for n in nodes if node_hostname(n) == wanted],
                        [n for n in nodes if n["ID"].startswith(wanted)]):
            if len(matches) > 1:
                # A node that left and re-joined stays listed as down under the same hostname.
                matches = [n for n in matches if (n.get("Status") or {}).get("State") == "ready"] or matches
            if len(matches) == 1:
                return matches[0]
            if matches:
                raise FleetError("node: %r matches %d nodes (%s); use the node ID"
                                 % (wanted, len(matches), ", ".join(sorted(n["ID"] for n in matches))))
        raise FleetError("node: no node of the swarm has the hostname or ID %r (nodes: %s)"
                         % (wanted, ", ".join(sorted(node_hostname(n) for n in nodes))))

    def _node_result(self, node, action, diff):
        status, settings = node.get("Status") or {}, node_settings(node)
        result = {"action": action, "changed": action != "unchanged", "id": node["ID"],
                  "hostname": node_hostname(node), "role": settings["role"],
                  "availability": settings["availability"], "labels": settings["labels"],
                  "state": status.get("State"), "addr": status.get("Addr")}
        if diff:
            result["diff"] = diff
        return result
