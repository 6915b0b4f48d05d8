# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one Docker network: create, recreate (only when asked, reconnecting everyone), connect, remove.

Docker cannot change a network's options in place, so any difference needs a recreate, which the user
must allow. The containers attached to a network are read from the container list (it includes stopped
containers, which the network's own inspect leaves out), and each one's endpoint (aliases, static
addresses) from the container's inspect, so a recreate puts every container back as it was.
"""

from __future__ import annotations

import ipaddress
import time

from ansible_collections.flotilla.fleet.plugins.module_utils._client import (
    FleetError, InvalidInput, ResourceConflict)
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import (
    endpoint_of, name_of, swarm_role, swarm_state)
from ansible_collections.flotilla.fleet.plugins.module_utils._network_options import (
    CONNECTED_SUBOPTIONS, ENGINE_ADDED_OPTIONS, ENCRYPTED_KEY, NETWORK_OPTIONS, PREDEFINED, SWARM_DRIVERS,
    NetworkContext, check_combinations, config_subnets, normalize_connected, write_ipam)
from ansible_collections.flotilla.fleet.plugins.module_utils._resource import (
    ResourceRequest, control_spec, describe_containers, recreate_wanted, refuse_unallowed_recreate, them)

KIND = "network"
# Left out by the user, these keep the network's current value when it is recreated.
CARRIED_OVER = ("driver_options", "labels", "ipam_driver", "ipam_driver_options", "ipam_config")

CONNECTION_SPEC = {
    "connected": {"type": "list", "elements": "dict", "options": CONNECTED_SUBOPTIONS},
    "prune_connected": {"type": "bool", "default": False},
}


def network_argument_spec():
    spec = control_spec()
    spec.update(CONNECTION_SPEC)
    spec.update(NETWORK_OPTIONS.argument_spec())
    return spec


class NetworkRequest(ResourceRequest):
    """One network as the user wants it, validated and normalised before anything changes."""

    kind = KIND

    def __init__(self, params):
        super().__init__(params)
        self.prune_connected = params["prune_connected"]
        if self.name in PREDEFINED:
            raise InvalidInput("name: %s is a network the engine manages itself; it cannot be created, changed or "
                               "removed" % self.name)
        self.desired = NETWORK_OPTIONS.normalize(params)
        self.swarm_scoped = check_combinations(self.desired)
        self.connected = None
        if params.get("connected") is not None:
            self.connected = normalize_connected(params["connected"], config_subnets(self.desired))
        if self.prune_connected and self.connected is None:
            raise InvalidInput("prune_connected: needs connected, the containers to keep (connected: [] detaches "
                               "every container)")
        self.check_force()


def _endpoint(container, network_name):
    """How a container is attached: what a reconnect needs to put it back as it was."""
    settings = endpoint_of(container, network_name)
    short_id = container["Id"][:12]
    ipam = settings.get("IPAMConfig") or {}
    return {"name": name_of(container), "id": container["Id"],
            # The engine adds the short container ID as an alias; it comes back by itself.
            "aliases": sorted({alias for alias in settings.get("Aliases") or [] if alias != short_id}),
            "ipv4_address": ipam.get("IPv4Address") or None, "ipv6_address": ipam.get("IPv6Address") or None}


def _public(endpoint):
    return {"aliases": endpoint["aliases"], "ipv4_address": endpoint["ipv4_address"]}


class NetworkConverger:
    def __init__(self, engine, check_mode):
        self.engine = engine
        self.api = engine.api
        self.check_mode = check_mode

    # --- entry point -------------------------------------------------------------------------------
    def converge(self, request):
        network = self.engine.inspect_or_none(self.api.inspect_network, KIND, request.name)
        if network is not None and network.get("Name") != request.name:
            network = None  # the engine matched an ID prefix, not the name
        if request.state == "absent":
            return self._remove(request, network)
        if request.swarm_scoped:
            self._require_swarm_manager(request)
        listed = self._listed_containers(request)
        if network is None:
            return self._create_new(request, listed)
        return self._converge_existing(request, network, listed)

    # --- reads ----------------------------------------------------------------------------------------
    def _require_swarm_manager(self, request):
        driver = request.desired.get("driver", "bridge")
        field, what = ("driver", "driver %s" % driver) if driver in SWARM_DRIVERS else ("scope", "scope swarm")
        swarm = self.engine.info().get("Swarm") or {}
        state = swarm_state(swarm)
        if state != "active":
            raise InvalidInput("%s: %s networks need swarm mode, but the engine at %s is not in a swarm (swarm state: "
                               "%s); create or join one first with flotilla.fleet.swarm"
                               % (field, what, self.engine.name, state))
        if swarm_role(swarm) != "manager":
            raise InvalidInput("%s: %s networks are created on a swarm manager, but the engine at %s is a worker; "
                               "run this task against a manager" % (field, what, self.engine.name))

    def _listed_containers(self, request):
        """The containers of ``connected``, inspected: each must exist before anything changes."""
        listed = {}
        for index, entry in enumerate(request.connected or []):
            container = self.engine.inspect_or_none(self.api.inspect_container, "container", entry["name"])
            if container is None:
                raise InvalidInput("connected[%d].name: no container named %s on %s"
                                   % (index, entry["name"], self.engine.name))
            # Keyed by the container's own name, so an entry that gives an ID matches its attachment.
            listed[name_of(container)] = (entry, container)
        return listed

    def _attached(self, network):
        """Every container attached to the network, running or stopped: {name: endpoint}."""
        with self.engine.action("list containers of", KIND, network["Name"]):
            # By name: a container that was created but never started has no network ID in its endpoint yet.
            summaries = self.api.containers(all=True, filters={"network": network["Name"]})
        attached = {}
        for summary in summaries:
            container = self.engine.inspect_or_none(self.api.inspect_container, "container", summary["Id"])
            if container is not None:
                endpoint = _endpoint(container, network["Name"])
                attached[endpoint["name"]] = endpoint
        return attached

    # --- the paths ------------------------------------------------------------------------------------
    def _remove(self, request, network):
        if network is None:
            return self._result(request, None, "unchanged", [])
        attached = self._attached(network)
        if attached and not request.force:
            raise ResourceConflict("Network %s on %s is in use by %s (running or stopped); remove or disconnect %s "
                                   "first, or set force: true to disconnect %s and remove the network"
                                   % (request.name, self.engine.name, describe_containers(attached),
                                      them(attached), them(attached)))
        diff = {"before": {"state": "present", "containers": sorted(attached)}, "after": {"state": "absent"}}
        if not self.check_mode:
            for endpoint in attached.values():
                self._disconnect(network, endpoint)
            with self.engine.action("remove", KIND, request.name):
                self.api.remove_network(network["Id"])
        return self._result(request, None, "removed", [], diff)

    def _create_new(self, request, listed):
        wanted = {name: self._wanted(entry, None, container) for name, (entry, container) in listed.items()}
        after = dict(request.desired, state="present")
        if wanted:
            after["connected"] = {name: _public(endpoint) for name, endpoint in wanted.items()}
        diff = {"before": {"state": "absent"}, "after": after}
        network = None
        if not self.check_mode:
            network = self._create(request.name, request.desired)
            self._connect_all(network, wanted.values())
        return self._result(request, network, "created", sorted(wanted), diff)

    def _converge_existing(self, request, network, listed):
        context = NetworkContext(network)
        effective = NETWORK_OPTIONS.effective(request.desired, context)
        actual = NETWORK_OPTIONS.actual(network, context)
        changes = NETWORK_OPTIONS.differences(effective, actual)
        diff = NETWORK_OPTIONS.diff(changes, effective, actual)
        attached = self._attached(network)
        plan = self._plan_connections(request, attached, listed)
        who = ("briefly disconnects %s and reconnects each with its aliases and static addresses"
               % describe_containers(attached)) if attached else "affects no container (none is attached)"
        refuse_unallowed_recreate(request, self.engine, changes, diff, who)
        if recreate_wanted(request, changes):
            spec = self._recreate_spec(request, network, actual)
            keep = {name: plan["wanted"].get(name, endpoint) for name, endpoint in attached.items()
                    if name not in plan["detach"]}
            keep.update({name: endpoint for name, endpoint in plan["wanted"].items() if name not in keep})
            self._check_static_addresses(request, spec, keep)
            if not changes:
                diff = {"before": {"id": network["Id"]}, "after": {"id": "(new: recreate requested)"}}
            self._add_connection_diff(diff, plan)
            if not self.check_mode:
                network = self._recreate(request, network, spec, attached, keep)
            return self._result(request, network, "recreated", sorted(keep), diff)
        if not (plan["connect"] or plan["detach"]):
            return self._result(request, network, "unchanged", sorted(attached))
        diff = {"before": {}, "after": {}}
        self._add_connection_diff(diff, plan)
        if not self.check_mode:
            for name in plan["detach"] + [name for name in plan["connect"] if name in attached]:
                self._disconnect(network, attached[name])
            self._connect_all(network, [plan["wanted"][name] for name in plan["connect"]])
        remaining = (set(attached) - set(plan["detach"])) | set(plan["connect"])
        return self._result(request, network, "updated", sorted(remaining), diff)

    # --- planning -------------------------------------------------------------------------------------
    def _wanted(self, entry, current, container):
        """The endpoint a listed container should have; what the user left out stays as it is."""
        endpoint = dict(current) if current else _endpoint(container, "")
        if entry["aliases"] is not None:
            endpoint["aliases"] = entry["aliases"]
        if entry["ipv4_address"] is not None:
            endpoint["ipv4_address"] = entry["ipv4_address"]
        return endpoint

    def _plan_connections(self, request, attached, listed):
        wanted, connect = {}, []
        for name, (entry, container) in listed.items():
            current = attached.get(name)
            wanted[name] = self._wanted(entry, current, container)
            if current is None or _public(current) != _public(wanted[name]):
                connect.append(name)
        detach = sorted(name for name in attached if name not in listed) if request.prune_connected else []
        return {"wanted": wanted, "connect": sorted(connect), "detach": detach, "attached": attached}

    @staticmethod
    def _add_connection_diff(diff, plan):
        before = {name: _public(plan["attached"][name]) for name in plan["connect"] + plan["detach"]
                  if name in plan["attached"]}
        after = {name: _public(plan["wanted"][name]) for name in plan["connect"]}
        if before or after:
            diff["before"]["connected"] = before
            diff["after"]["connected"] = after

    @staticmethod
    def _recreate_spec(request, network, actual):
        """What to create: the user's options, and the current value of the ones they left out."""
        spec = dict(request.desired)
        same_driver = spec.get("driver", "bridge") == actual.get("driver")
        for name in CARRIED_OVER:
            if name in spec or (name == "driver_options" and not same_driver):
                continue
            value = actual.get(name)
            if name == "driver_options":
                value = {key: item for key, item in value.items() if key not in ENGINE_ADDED_OPTIONS}
            if name == "ipam_config":
                value = [dict(config) for config in value]
            if value:
                spec[name] = value
        return spec

    @staticmethod
    def _check_static_addresses(request, spec, keep):
        """A recreate must be able to give every container its static address back: check before starting."""
        subnets = config_subnets(spec) or []
        for name, endpoint in sorted(keep.items()):
            address = endpoint["ipv4_address"]
            if address and not any(ipaddress.ip_address(address) in subnet for subnet in subnets):
                raise InvalidInput("connected: container %s has the static address %s on network %s, outside the "
                                   "subnets the network would be recreated with (%s); list it under connected with "
                                   "a new ipv4_address" % (name, address, request.name,
                                                           ", ".join(str(subnet) for subnet in subnets) or "none"))

    # --- engine calls ---------------------------------------------------------------------------------
    def _create(self, name, spec):
        options = dict(spec.get("driver_options") or {})
        if spec.get("encrypted"):
            options[ENCRYPTED_KEY] = ""
        with self.engine.action("create", KIND, name):
            created = self.api.create_network(
                name, driver=spec.get("driver", "bridge"), options=options or None, ipam=write_ipam(spec),
                check_duplicate=True, internal=bool(spec.get("internal")), labels=spec.get("labels") or None,
                enable_ipv6=bool(spec.get("enable_ipv6")), attachable=spec.get("attachable") or None,
                scope=spec.get("scope"))
            return self.api.inspect_network(created["Id"])

    def _disconnect(self, network, endpoint):
        with self.engine.action("disconnect container %s from" % endpoint["name"], KIND, network["Name"]):
            self.api.disconnect_container_from_network(endpoint["id"], network["Id"])

    def _connect_all(self, network, endpoints):
        """Connect each; a failure does not stop the others, and all failures are reported together."""
        failures = []
        for endpoint in endpoints:
            try:
                with self.engine.action("connect container %s to" % endpoint["name"], KIND, network["Name"]):
                    self.api.connect_container_to_network(
                        endpoint["id"], network["Id"], aliases=endpoint["aliases"] or None,
                        ipv4_address=endpoint["ipv4_address"], ipv6_address=endpoint.get("ipv6_address"))
            except FleetError as exc:
                failures.append(exc)
        if failures:
            # One kind when every failure is of that kind (all unreachable, say), else the generic one.
            kinds = {failure.__class__ for failure in failures}
            raise (kinds.pop() if len(kinds) == 1 else FleetError)("; ".join(map(str, failures)))

    def _recreate(self, request, old, spec, attached, keep):
        for endpoint in attached.values():
            self._disconnect(old, endpoint)
        with self.engine.action("remove (to recreate)", KIND, request.name):
            self.api.remove_network(old["Id"])
        self._wait_gone(old)
        try:
            new = self._create(request.name, spec)
        except FleetError as exc:
            raise self._restore(request, old, attached, exc)
        self._connect_all(new, keep.values())
        return new

    def _wait_gone(self, old):
        """A swarm removes a swarm-scoped network in the background; its name is taken until it is gone."""
        deadline = time.monotonic() + self.engine.settings.timeout
        while self.engine.inspect_or_none(self.api.inspect_network, KIND, old["Id"]) is not None:
            if time.monotonic() >= deadline:
                raise FleetError("Network %s on %s was removed to be recreated but is still there after %s s; run "
                                 "the task again to create it" % (old["Name"], self.engine.name,
                                                                  self.engine.settings.timeout))
            time.sleep(0.25)

    def _restore(self, request, old, attached, cause):
        """Creating the new network failed: put the old one back, with its containers; the error to raise."""
        previous = NETWORK_OPTIONS.actual(old, NetworkContext(old))
        previous["driver_options"] = {key: value for key, value in previous["driver_options"].items()
                                      if key not in ENGINE_ADDED_OPTIONS}
        try:
            restored = self._create(request.name, previous)
            self._connect_all(restored, attached.values())
        except FleetError as exc:
            return cause.__class__("%s; restoring the old network failed too: %s" % (cause, exc))
        return cause.__class__("%s; the old network was restored and its containers reconnected" % cause)

    # --- results --------------------------------------------------------------------------------------
    def _result(self, request, network, action, containers, diff=None):
        result = {"name": request.name, "action": action, "changed": action != "unchanged",
                  "containers": containers}
        if diff is not None:
            result["diff"] = diff
        if network is not None:
            if action != "unchanged" and not self.check_mode:
                network = self.engine.inspect_or_none(self.api.inspect_network, KIND, network["Id"]) or network
            actual = NETWORK_OPTIONS.actual(network, NetworkContext(network))
            result.update(actual, id=network["Id"])
        return result
