# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The engine calls of a container plan: create, start, stop, update, and the safe recreate.

Every call goes through ``engine.action`` so a failure names the verb, the container and the engine.
"""

from __future__ import annotations

import datetime
import ipaddress
import time

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_networks import (
    SPECIAL_NETWORKS, endpoint_matches, network_mode)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import (
    CONTAINER_OPTIONS, SPEC_HASH_LABEL)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_recreate import (
    anonymous_volumes, carried_in, first_labels, parked_name, successor_labels, with_carried)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_health import wait_healthy
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import state_of, swarm_role

KIND = "container"
_PARKED_POLL_SECONDS = 0.5
# A live recreate creates its new container within moments of parking the old one.
_CREATE_GRACE_SECONDS = 5


class RecreateContended(FleetError):
    """Another run parked the old container first; nothing was changed by this one."""


def update_body(changes):
    """The body of POST /containers/{id}/update for the changed in-place options (networks reconnect instead)."""
    return CONTAINER_OPTIONS.update_body({name: value for name, value in changes.items() if name != "networks"})


def _check_address(field, network, inspected):
    subnets = [config["Subnet"] for config in (inspected.get("IPAM") or {}).get("Config") or []
               if config.get("Subnet") and ":" not in config["Subnet"]]
    if not subnets:
        raise FleetError("%s.ipv4_address: network %s has no user-configured IPv4 subnet; a static address needs one"
                         % (field, network["name"]))
    address = ipaddress.IPv4Address(network["ipv4_address"])
    if not any(address in ipaddress.IPv4Network(subnet, strict=False) for subnet in subnets):
        raise FleetError("%s.ipv4_address: %s is outside the subnet of network %s (%s)"
                         % (field, address, network["name"], ", ".join(subnets)))


def _stop_timeout(container):
    timeout = (container.get("Config") or {}).get("StopTimeout")
    return 10 if timeout is None else timeout


def _age(container):
    """Seconds since the engine created the container (its clock and ours: a margin absorbs the skew)."""
    try:
        created = datetime.datetime.strptime((container.get("Created") or "")[:19], "%Y-%m-%dT%H:%M:%S")
    except ValueError:
        return 0.0
    return time.time() - created.replace(tzinfo=datetime.timezone.utc).timestamp()


class ContainerSteps:
    """Engine calls for :class:`ContainerConverger` (which provides ``engine``)."""

    # --- reads ---------------------------------------------------------------------------------------
    def _inspect_name(self, name):
        return self.engine.inspect_or_none(self.engine.api.inspect_container, KIND, name)

    def _parked(self, request):
        return self._inspect_name(parked_name(request.name))

    def _inspect(self, request, container_id):
        with self.engine.action("inspect", KIND, request.name):
            return self.engine.api.inspect_container(container_id)

    def _check_networks(self, request, networks):
        """A network the engine lacks, or a static address outside its subnets, is refused before any change
        (and check mode says so): one inspect per user-defined network, made only when something changes."""
        for index, network in enumerate(request.desired.get("networks") or []):
            if network["name"] in SPECIAL_NETWORKS:
                continue
            field = "%snetworks[%d]" % (request.field_prefix, index)
            found = self.engine.inspect_or_none(self.engine.api.inspect_network, "network", network["name"])
            if found is None and swarm_role(self.engine.info().get("Swarm")) == "worker":
                # A swarm worker learns of an attachable overlay network only when a container joins it:
                # absent here is no proof it does not exist, so the create is the check.
                continue
            if found is None:
                raise FleetError("%s.name: network %s does not exist on %s; create it first (flotilla.fleet.network)"
                                 % (field, network["name"], self.engine.name))
            if network["ipv4_address"]:
                _check_address(field, network, found)

    def _wait_parked_gone(self, request, parked):
        """Wait for another run's recreate to end; the parked container when it is still there (interrupted).

        Waiting ends early when that recreate cannot still be going on: no new container some seconds after
        the rename, or a new one older than the other run's stop and health waits (taken to be ours)."""
        started = time.monotonic()
        # At least the grace, even with wait_timeout 0: a recreate in flight must not be taken as interrupted.
        while parked is not None and time.monotonic() < started + max(request.wait_timeout, _CREATE_GRACE_SECONDS):
            current = self._inspect_name(request.name)
            if current is None and time.monotonic() - started >= _CREATE_GRACE_SECONDS:
                return parked
            if current is not None and _age(current) > _stop_timeout(parked) + request.wait_timeout + _CREATE_GRACE_SECONDS:
                return parked
            time.sleep(_PARKED_POLL_SECONDS)
            parked = self._parked(request)
        return parked

    # --- single steps --------------------------------------------------------------------------------
    def _create(self, request, effective, labels, carried=None, inspect=True):
        api = self.engine.api
        payload = {"config": {}, "host": {}}
        for option in CONTAINER_OPTIONS.options:
            if option.write and option.name in request.desired:
                option.write(request.desired[option.name], payload)
        # A copy: the labels dict written is the request's own, which the diff still shows.
        all_labels = dict(payload["config"].get("labels") or {})
        all_labels.update(labels)
        all_labels[SPEC_HASH_LABEL] = request.spec_hash
        payload["config"]["labels"] = all_labels
        if carried:
            payload["host"]["mounts"] = with_carried(payload["host"].get("mounts") or [], carried)
        networks = effective["networks"]
        with self.engine.action("create", KIND, request.name):
            host_config = api.create_host_config(network_mode=network_mode(networks), **payload["host"])
            first = networks[0]
            networking = api.create_networking_config({first["name"]: api.create_endpoint_config(
                aliases=first["aliases"] or None, ipv4_address=first["ipv4_address"])})
            created = api.create_container(request.desired["image"], name=request.name,
                                           host_config=host_config, networking_config=networking,
                                           **payload["config"])
        try:
            # API 1.41 attaches one network at create; the others are connected before the first start.
            for network in networks[1:]:
                self._connect(request, created["Id"], network)
        except FleetError:
            # Half a container would carry the label of the whole spec: remove it, so nothing changed.
            with self.engine.action("remove incomplete", KIND, request.name):
                api.remove_container(created["Id"], force=True, v=True)
            raise
        return self._inspect(request, created["Id"]) if inspect else created

    def _connect(self, request, container_id, network):
        with self.engine.action("connect to network %s" % network["name"], KIND, request.name):
            self.engine.api.connect_container_to_network(container_id, network["name"],
                                                         aliases=network["aliases"] or None,
                                                         ipv4_address=network["ipv4_address"])

    def _start(self, request, container):
        with self.engine.action("start", KIND, request.name):
            self.engine.api.start(container["Id"])
        return self._inspect(request, container["Id"])

    def _unpause(self, request, container, name=None):
        with self.engine.action("unpause", KIND, name or request.name):
            self.engine.api.unpause(container["Id"])
        return self._inspect(request, container["Id"])

    def _stop(self, request, container, name=None):
        if state_of(container) == "paused":
            container = self._unpause(request, container, name)  # the engine stops only what runs
        # The container's own stop timeout (as created), else the engine's 10 s.
        with self.engine.action("stop", KIND, name or request.name):
            self.engine.api.stop(container["Id"], timeout=_stop_timeout(container))
        return self._inspect(request, container["Id"])

    def _remove(self, request, container, keep=(), verb="remove", name=None):
        """Remove a container and the anonymous volumes only it used (keep: volumes another container took over).

        v=True removes the volumes the engine created for it; the ones it took over from a predecessor are
        mounted by name, so the engine keeps them: they are removed here unless listed in keep."""
        api = self.engine.api
        with self.engine.action(verb, KIND, name or request.name):
            api.remove_container(container["Id"], force=True, v=True)
        for volume in sorted(carried_in(container) - set(keep)):
            try:
                with self.engine.action("remove anonymous volume %s of" % volume[:12], KIND, request.name):
                    api.remove_volume(volume)
            except FleetError:
                pass  # in use by another container: then it is not this one's to remove

    def _update_in_place(self, request, container, changes):
        if "networks" in changes:
            self._reconnect(request, container, changes["networks"])
        body = update_body(changes)
        if body:
            api = self.engine.api
            with self.engine.action("update", KIND, request.name):
                # The SDK's update_container() lacks NanoCpus and PidsLimit; the endpoint has them.
                api._result(api._post_json(api._url("/containers/{0}/update", container["Id"]), data=body), True)

    def _reconnect(self, request, container, networks):
        wanted = {network["name"]: network for network in networks}
        actual = {network["name"]: network for network in CONTAINER_OPTIONS.by_name["networks"].read(container, None)}
        for name, network in actual.items():
            if name not in wanted or not endpoint_matches(wanted[name], network):
                with self.engine.action("disconnect from network %s" % name, KIND, request.name):
                    self.engine.api.disconnect_container_from_network(container["Id"], name)
        for name, network in wanted.items():
            if not endpoint_matches(network, actual.get(name)):
                self._connect(request, container["Id"], network)

    def _wait_healthy(self, request, container):
        return wait_healthy(self.engine, request.name, container, request.wait_timeout,
                            lambda: self._inspect(request, container["Id"]))

    # --- plans -----------------------------------------------------------------------------------------
    def _create_and_start(self, request, plan):
        """A new container that fails to start is removed: a failed task leaves nothing behind."""
        container = self._create(request, plan.effective, first_labels(), inspect=not plan.want_running)
        if plan.want_running:
            try:
                container = self._start(request, container)
            except FleetError as exc:
                self._remove(request, container, verb="remove the container that failed to start")
                raise FleetError("%s; the new container was removed" % exc)
        return container

    def _apply_state(self, request, plan, container):
        if plan.unpause:
            container = self._unpause(request, container)
        if plan.want_running is not None and plan.want_running != (state_of(container) == "running"):
            container = self._start(request, container) if plan.want_running else self._stop(request, container)
        return container

    def _park(self, request, old):
        """Rename the old container to its parked name: the engine's one-name-per-container rule makes
        this the lock that keeps two recreates of one container apart."""
        try:
            with self.engine.action("rename", KIND, request.name):
                self.engine.api.rename(old["Id"], parked_name(request.name))
        except FleetError:
            current = self._inspect_name(request.name)
            if self._parked(request) is None and current is not None and current["Id"] == old["Id"]:
                raise  # not another run: the engine refused the rename itself
            raise RecreateContended("Container %s on %s: another run is recreating it (the old container is parked "
                                    "as %s); this run changed nothing" % (request.name, self.engine.name,
                                                                          parked_name(request.name)))

    def _recreate(self, request, plan):
        """The old container stays, parked, until the new one runs (and is healthy when state healthy asks
        for it); when the new one fails, it is removed and the old one restored under its name and state."""
        old, parked_as = plan.container, parked_name(request.name)
        was_running = state_of(old) in ("running", "paused", "restarting")
        self._park(request, old)
        new = None
        try:
            new = self._create(request, plan.effective, successor_labels(old), plan.carried, inspect=False)
            if plan.order == "stop-first" and was_running:
                # Gracefully, so what it writes to its volumes is complete before the new one reads them.
                self._stop(request, old, parked_as)
            if plan.want_running:
                new = self._start(request, new)
                if request.state == "healthy":
                    new = self._wait_healthy(request, new)
            else:
                new = self._inspect(request, new["Id"])
        except FleetError as exc:
            raise FleetError("%s; %s" % (exc, self._roll_back(request, old, new, was_running)))
        if plan.order == "start-first" and was_running:
            self._stop(request, old, parked_as)
        self._remove(request, old, keep=set(plan.carried.values()), verb="remove replaced", name=parked_as)
        return new

    def _roll_back(self, request, old, new, was_running):
        """Put the old container back under its name and in its state; says what happened, for the error."""
        try:
            if new is not None:
                self._remove(request, new, keep=set(anonymous_volumes(old).values()), verb="remove the failed new")
            with self.engine.action("restore", KIND, request.name):
                self.engine.api.rename(old["Id"], request.name)
            restored = self._inspect(request, old["Id"])
            if was_running and state_of(restored) != "running":
                restored = self._start(request, restored)
        except FleetError as exc:
            return ("rolling back failed too (%s): the old container %s stays parked as %s, and the next run "
                    "puts it back or finishes the recreate" % (exc, old["Id"][:12], parked_name(request.name)))
        return ("rolled back: %s is the old container %s again (%s)%s"
                % (request.name, old["Id"][:12], state_of(restored),
                   ", the new one was removed" if new is not None else ""))

    def _recover(self, request, recovery):
        parked, current = recovery["parked"], recovery["current"]
        parked_as = parked_name(request.name)
        if recovery["kind"] == "finish":
            if state_of(parked) in ("running", "paused"):
                self._stop(request, parked, parked_as)
            self._remove(request, parked, keep=set(anonymous_volumes(current).values()),
                         verb="remove the parked", name=parked_as)
            return
        if current is not None:
            self._remove(request, current, keep=set(anonymous_volumes(parked).values()),
                         verb="remove the unproven new")
        with self.engine.action("restore", KIND, request.name):
            self.engine.api.rename(parked["Id"], request.name)
