# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one container to a desired spec; shared by the container and containers modules."""

from __future__ import annotations

import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import (
    CONTAINER_OPTIONS, SPEC_HASH_LABEL, UPDATABLE_OPTIONS, ContainerContext)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_mounts import (
    SPECIAL_NETWORKS, endpoint_matches, network_mode)
from ansible_collections.flotilla.fleet.plugins.module_utils._options import OptionTable
from ansible_collections.flotilla.fleet.plugins.module_utils._container_runtime import (
    ImageCache, health_of, state_of, wait_healthy)

__all__ = ["CONTROL_SPEC", "ContainerConverger", "ContainerRequest", "ImageCache", "container_argument_spec"]

RUNNING_STATES = ("started", "healthy")
_HEALTHCHECK = OptionTable([CONTAINER_OPTIONS.by_name["healthcheck"]])
KIND = "container"
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

# Options about what to do with the container, as opposed to how it is configured.
CONTROL_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "started",
              "choices": ["present", "started", "stopped", "healthy", "absent"]},
    "recreate": {"type": "bool", "default": False},
    "pull": {"type": "str", "default": "missing", "choices": ["missing", "never"]},
    "wait_timeout": {"type": "int", "default": 60},
    "compare": {"type": "str", "default": "hash", "choices": ["hash", "full"]},
}


def container_argument_spec():
    """The argument_spec of one container: control options plus the option table."""
    spec = dict(CONTROL_SPEC)
    spec.update(CONTAINER_OPTIONS.argument_spec())
    return spec


class ContainerRequest:
    """One container as the user wants it, validated and normalised before anything changes."""

    def __init__(self, params, field_prefix=""):
        self.name = params["name"]
        self.state = params["state"]
        self.force_recreate = params["recreate"]
        self.pull = params["pull"]
        self.wait_timeout = params["wait_timeout"]
        self.compare = params["compare"]
        self.desired = CONTAINER_OPTIONS.normalize(params, field_prefix)
        self._check_combinations(field_prefix)
        self.spec_hash = CONTAINER_OPTIONS.fingerprint(self.desired)

    def _check_combinations(self, prefix):
        if not _NAME_RE.match(self.name):
            raise FleetError("%sname: %r is not a valid container name (letters, digits, '_', '.', '-'; "
                             "starting with a letter or digit)" % (prefix, self.name))
        if self.state != "absent" and not self.desired.get("image"):
            raise FleetError("%simage: required when state is %s" % (prefix, self.state))
        if self.wait_timeout < 0:
            raise FleetError("%swait_timeout: must not be negative, got %s" % (prefix, self.wait_timeout))
        retries = self.desired.get("restart_retries")
        if retries and self.desired.get("restart_policy") != "on-failure":
            raise FleetError("%srestart_retries: needs restart_policy on-failure" % prefix)
        networks = self.desired.get("networks") or []
        for index, network in enumerate(networks):
            if network["aliases"] and network["name"] in SPECIAL_NETWORKS:
                raise FleetError("%snetworks[%d].aliases: the %s network does not support aliases; "
                                 "use a user-defined network" % (prefix, index, network["name"]))
        if networks and networks[0]["name"] in ("host", "none"):
            # The engine refuses these at create time; say which option is the problem before anything changes.
            for option in ("ports", "hostname") if networks[0]["name"] == "host" else ("ports",):
                if self.desired.get(option):
                    raise FleetError("%s%s: cannot be combined with network %s" % (prefix, option, networks[0]["name"]))
        reservation, limit = self.desired.get("memory_reservation"), self.desired.get("memory")
        if reservation and limit and reservation > limit:
            raise FleetError("%smemory_reservation: must not exceed memory (%d > %d bytes)" % (prefix, reservation, limit))


class ContainerConverger:
    """Brings one container to its request; each public call returns a result dict."""

    def __init__(self, engine, images, check_mode):
        self.engine = engine
        self.images = images
        self.check_mode = check_mode

    # --- entry point -------------------------------------------------------------------------------
    def converge(self, request, exists=None):
        """exists=False when the caller's list call showed no container of that name (saves an inspect)."""
        container = None
        if exists is not False:
            container = self.engine.inspect_or_none(self.engine.api.inspect_container, KIND, request.name)
        if request.state == "absent":
            return self._remove(request, container)
        image = self.images.get(request.desired["image"], request.pull, self.check_mode)
        if request.state == "healthy" and image is not None:
            # Known before anything changes: the user's healthcheck or else the image's.
            check = _HEALTHCHECK.effective(request.desired, self._context(image, request))["healthcheck"]
            if not check or check.get("Test") in (None, [], ["NONE"]):
                raise FleetError("healthcheck: state healthy needs a healthcheck; set healthcheck or use an image "
                                 "that defines one (container %s)" % request.name)
        if container is None:
            return self._create_new(request, image)
        return self._converge_existing(request, container, image)

    @staticmethod
    def _hash_matches(request, container):
        labels = (container.get("Config") or {}).get("Labels") or {}
        return request.compare == "hash" and labels.get(SPEC_HASH_LABEL) == request.spec_hash

    # --- the three paths -----------------------------------------------------------------------------
    def _remove(self, request, container):
        if container is None:
            return self._result(request, None, "unchanged")
        diff = {"before": {"state": state_of(container)}, "after": {"state": "absent"}}
        if not self.check_mode:
            with self.engine.action("remove", KIND, request.name):
                self.engine.api.remove_container(container["Id"], force=True, v=False)
        return self._result(request, None, "removed", diff)

    def _create_new(self, request, image):
        # A create writes what was asked for; of the defaults, it needs only the networks.
        effective = UPDATABLE_OPTIONS.effective(request.desired, self._context(image, request))
        diff = {"before": {"state": "absent"}, "after": dict(request.desired, state=request.state)}
        if self.check_mode:
            return self._result(request, None, "created", diff)
        starting = request.state in RUNNING_STATES
        # When it starts at once, the inspect after the start is the one that tells anything.
        container = self._create(request, effective, inspect=not starting)
        if starting:
            container = self._start(request, container)
        if request.state == "healthy":
            container = self._wait_healthy(request, container)
        return self._result(request, container, "created", diff)

    def _converge_existing(self, request, container, image):
        context = self._context(image, request)
        # The label vouches for every option fixed at creation (and hides engine defaults we might
        # misread); the options that change in place are kept out of it, so they are compared.
        table = UPDATABLE_OPTIONS if self._hash_matches(request, container) else CONTAINER_OPTIONS
        effective = table.effective(request.desired, context)
        actual = table.actual(container, context)
        changes = table.differences(effective, actual)
        diff = table.diff(changes, effective, actual)
        if image is None or container.get("Image") != image["Id"]:
            changes.append("image")
            diff["before"]["image"] = "%s (%s)" % ((container.get("Config") or {}).get("Image"),
                                                   container.get("Image"))
            diff["after"]["image"] = "%s (%s)" % (request.desired["image"], image["Id"] if image else "to pull")
        action = "unchanged"
        if request.force_recreate or _needs_recreate(changes, effective, actual):
            action = "recreated"
            if not changes:
                diff = {"before": {"id": container["Id"]}, "after": {"id": "(new: recreate requested)"}}
            if not self.check_mode:
                container = self._recreate(request, container, effective)
        elif changes:
            action = "updated"
            if not self.check_mode:
                self._update_in_place(request, container, {name: effective[name] for name in changes})
                container = self._inspect(request, container["Id"])
        return self._converge_state(request, container, action, diff)

    def _converge_state(self, request, container, action, diff):
        running = state_of(container) == "running"
        want_running = {"started": True, "healthy": True, "stopped": False}.get(request.state, running)
        if want_running != running:
            if action != "recreated":
                diff["before"]["state"] = state_of(container)
                diff["after"]["state"] = "running" if want_running else "exited"
            action = action if action != "unchanged" else ("started" if want_running else "stopped")
            if not self.check_mode:
                container = self._start(request, container) if want_running else self._stop(request, container)
        if request.state == "healthy" and not self.check_mode:
            container = self._wait_healthy(request, container)
        return self._result(request, container, action, diff if action != "unchanged" else None)

    # --- engine calls -------------------------------------------------------------------------------
    def _context(self, image, request):
        return ContainerContext((image or {}).get("Config"), self.engine.info, request.desired)

    def _inspect(self, request, container_id):
        with self.engine.action("inspect", KIND, request.name):
            return self.engine.api.inspect_container(container_id)

    def _create(self, request, effective, inspect=True):
        api = self.engine.api
        payload = {"config": {}, "host": {}}
        for option in CONTAINER_OPTIONS.options:
            if option.write and option.name in request.desired:
                option.write(request.desired[option.name], payload)
        # A copy: the labels dict written is the request's own, which the diff still shows.
        labels = dict(payload["config"].get("labels") or {})
        labels[SPEC_HASH_LABEL] = request.spec_hash
        payload["config"]["labels"] = labels
        networks = effective["networks"]
        if "mem_limit" in payload["host"]:
            # memory is a hard limit: no swap beyond it (and an in-place update keeps it that way).
            payload["host"]["memswap_limit"] = payload["host"]["mem_limit"]
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
                api.remove_container(created["Id"], force=True, v=False)
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

    def _stop(self, request, container):
        # The container's own stop timeout (as created), else the engine's 10 s.
        timeout = (container.get("Config") or {}).get("StopTimeout")
        with self.engine.action("stop", KIND, request.name):
            self.engine.api.stop(container["Id"], timeout=10 if timeout is None else timeout)
        return self._inspect(request, container["Id"])

    def _update_in_place(self, request, container, changes):
        body = {}
        if "networks" in changes:
            self._reconnect(request, container, changes.pop("networks"))
        if "restart_policy" in changes or "restart_retries" in changes:
            policy = request.desired.get("restart_policy", "no")
            body["RestartPolicy"] = {"Name": policy, "MaximumRetryCount": request.desired.get("restart_retries", 0)}
        if "cpus" in changes:
            body["NanoCpus"] = int(round(changes["cpus"] * 1e9))
        if "memory" in changes:
            body["Memory"] = body["MemorySwap"] = changes["memory"]
        if "memory_reservation" in changes:
            body["MemoryReservation"] = changes["memory_reservation"]
        if "pids_limit" in changes:
            body["PidsLimit"] = changes["pids_limit"] or -1  # -1 lifts the limit (0 would mean "keep")
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

    def _recreate(self, request, old, effective):
        """Create the new container before the old one stops, so a failed create changes nothing."""
        api, was_running = self.engine.api, state_of(old) == "running"
        parked = "%s_flotilla_old_%s" % (request.name, old["Id"][:12])
        with self.engine.action("rename", KIND, request.name):
            api.rename(old["Id"], parked)
        try:
            new = self._create(request, effective)
        except FleetError:
            with self.engine.action("restore", KIND, request.name):
                api.rename(old["Id"], request.name)
            raise
        if was_running:
            self._stop(request, old)  # gracefully, so what it writes to named volumes is complete
        with self.engine.action("remove replaced", KIND, request.name):
            api.remove_container(old["Id"], force=True, v=False)
        if request.state == "present" and was_running:
            new = self._start(request, new)
        return new

    def _wait_healthy(self, request, container):
        return wait_healthy(self.engine, request.name, container, request.wait_timeout,
                            lambda: self._inspect(request, container["Id"]))

    # --- results ------------------------------------------------------------------------------------
    def _result(self, request, container, action, diff=None):
        result = {"name": request.name, "action": action, "changed": action != "unchanged"}
        if diff:
            result["diff"] = diff
        if container is not None:
            networks = ((container.get("NetworkSettings") or {}).get("Networks")) or {}
            result.update({
                "id": container["Id"],
                "image_id": container.get("Image"),
                "state": state_of(container),
                "health": health_of(container),
                "networks": {name: {"ip": (endpoint or {}).get("IPAddress") or None}
                             for name, endpoint in networks.items()},
            })
        return result


def _needs_recreate(changes, effective, actual):
    """Whether the changes go beyond what the engine can change on a live container."""
    for name in changes:
        option = CONTAINER_OPTIONS.by_name[name]
        if option.update is None:
            return True
        if effective[name] is None and name != "pids_limit":
            return True  # the update endpoint reads 0 as "keep": a limit cannot be lifted in place
    if "networks" in changes:
        # host and none are network modes, not attachments: connect/disconnect cannot switch them.
        names = {network["name"] for network in effective["networks"] + (actual.get("networks") or [])}
        return bool(names & {"host", "none"})
    return False
