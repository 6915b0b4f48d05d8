# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one container to a desired spec; shared by the container and containers modules.

Plan, then apply: :meth:`ContainerConverger.plan` reads the engine and decides everything (the action,
the diff, the steps), check mode returns that plan, and :meth:`ContainerConverger.apply` carries it out.
"""

from __future__ import annotations

import re

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError
from ansible_collections.flotilla.fleet.plugins.module_utils._container_options import (
    CONTAINER_OPTIONS, SPEC_HASH_LABEL, UPDATABLE_OPTIONS, ContainerContext)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_networks import SPECIAL_NETWORKS
from ansible_collections.flotilla.fleet.plugins.module_utils._container_recreate import (
    as_created, carried_volumes, parked_name, proven, start_first_blocker)
from ansible_collections.flotilla.fleet.plugins.module_utils._container_steps import ContainerSteps, RecreateContended
from ansible_collections.flotilla.fleet.plugins.module_utils._options import OptionTable
from ansible_collections.flotilla.fleet.plugins.module_utils._image import ImageCache
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import health_of, published_of, state_of

__all__ = ["CONTROL_SPEC", "ContainerConverger", "ContainerRequest", "ImageCache", "Plan", "container_argument_spec"]

RUNNING_STATES = ("started", "healthy")
_HEALTHCHECK = OptionTable([CONTAINER_OPTIONS.by_name["healthcheck"]])
_NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")

# Options about what to do with the container, as opposed to how it is configured.
CONTROL_SPEC = {
    "name": {"type": "str", "required": True},
    "state": {"type": "str", "default": "started",
              "choices": ["present", "started", "stopped", "healthy", "absent"]},
    "recreate": {"type": "bool", "default": False},
    "order": {"type": "str", "default": "stop-first", "choices": ["stop-first", "start-first"]},
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
        self.order = params.get("order") or "stop-first"
        self.pull = params["pull"]
        self.wait_timeout = params["wait_timeout"]
        self.compare = params["compare"]
        self.field_prefix = field_prefix
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


class Plan:
    """What converging will do, decided before anything changes; check mode reports it as it is."""

    def __init__(self, action, container, diff=None):
        self.action = action  # created, updated, recreated, started, stopped, removed, unchanged
        self.container = container  # the inspect the plan was made from (None: there is none)
        self.diff = diff
        self.steps = []
        self.effective = None
        self.changes = {}  # option -> value, for an in-place update
        self.carried = {}  # target -> anonymous volume the new container takes over
        self.order = "stop-first"
        self.order_note = None
        self.want_running = None  # True / False / None (leave as it is)
        self.unpause = False
        self.recovery = None  # ("finish" | "undo", parked inspect, current inspect or None)
        self.recovery_note = None
        self.wait_healthy = False

    def summary(self):
        summary = {"action": self.action, "steps": list(self.steps)}
        if self.action == "recreated":
            summary["order"] = self.order
        for key, note in (("order_note", self.order_note), ("recovery", self.recovery_note)):
            if note:
                summary[key] = note
        return summary


class ContainerConverger(ContainerSteps):
    """Brings one container to its request; each public call returns a result dict."""

    def __init__(self, engine, images, check_mode):
        self.engine = engine
        self.images = images
        self.check_mode = check_mode

    # --- entry point -------------------------------------------------------------------------------
    def converge(self, request, exists=None, parked=None):
        """exists=False / parked=False when the caller's list call showed no container of that name / no
        parked one (each saves an inspect)."""
        plan = self.plan(request, exists, parked)
        if self.check_mode:
            return self._result(request, plan.container, plan)
        try:
            return self.apply(request, plan)
        except RecreateContended:
            # Another run parked the old container first: plan again, which waits for that recreate to end.
            return self.apply(request, self.plan(request))

    def plan(self, request, exists=None, parked=None):
        container = None if exists is False else self._inspect_name(request.name)
        parked = None if parked is False else self._parked(request)
        recovery = None
        if parked is not None and not self.check_mode:
            # A recreate in flight (another run) ends within its wait; one still parked after ours was interrupted.
            parked = self._wait_parked_gone(request, parked)
            container = self._inspect_name(request.name)
        if parked is not None:
            recovery = self._plan_recovery(request, parked, container)
            container = recovery["remaining"]
        if request.state == "absent":
            plan = self._plan_remove(request, container)
        else:
            image = self.images.get(request.desired["image"], request.pull, self.check_mode)
            self._check_health_is_possible(request, image)
            plan = (self._plan_create(request, image) if container is None
                    else self._plan_existing(request, container, image))
        if recovery:
            plan.recovery, plan.recovery_note = recovery, recovery["note"]
            plan.steps[:0] = recovery["steps"]
        return plan

    def apply(self, request, plan):
        if plan.recovery:
            self._recover(request, plan.recovery)
        container = plan.container
        if plan.action == "removed":
            self._remove(request, container)
            container = None
        elif plan.action == "created":
            container = self._create_and_start(request, plan)
        elif plan.action == "recreated":
            container = self._recreate(request, plan)
        else:
            if plan.action == "updated":
                self._update_in_place(request, container, plan.changes)
                container = self._inspect(request, container["Id"])
            container = self._apply_state(request, plan, container)
        if plan.wait_healthy and plan.action != "recreated":
            container = self._wait_healthy(request, container)
        return self._result(request, container, plan)

    # --- planning ----------------------------------------------------------------------------------
    def _check_health_is_possible(self, request, image):
        if request.state == "healthy" and image is not None:
            # Known before anything changes: the user's healthcheck or else the image's.
            check = _HEALTHCHECK.effective(request.desired, self._context(image, request))["healthcheck"]
            if not check or check.get("Test") in (None, [], ["NONE"]):
                raise FleetError("healthcheck: state healthy needs a healthcheck; set healthcheck or use an image "
                                 "that defines one (container %s)" % request.name)

    def _plan_recovery(self, request, parked, current):
        """An interrupted recreate: finish it when its new container got to run, else put the old one back."""
        name, parked_as = request.name, parked_name(request.name)
        recovery = {"parked": parked, "current": current}
        if proven(current):
            recovery.update(kind="finish", remaining=current, steps=["remove %s (finish the interrupted recreate)"
                                                                     % parked_as],
                            note="finished an interrupted recreate: removed the old container %s parked as %s"
                            % (parked["Id"][:12], parked_as))
            return recovery
        steps = ["remove %s (the unproven new container of an interrupted recreate)" % name] if current else []
        recovery.update(kind="undo", remaining=dict(parked, Name="/" + name),
                        steps=steps + ["rename %s to %s" % (parked_as, name)],
                        note="undid an interrupted recreate: the old container %s is %s again"
                        % (parked["Id"][:12], name))
        return recovery

    def _plan_remove(self, request, container):
        if container is None:
            return Plan("unchanged", None)
        plan = Plan("removed", container, {"before": {"state": state_of(container)}, "after": {"state": "absent"}})
        plan.steps.append("remove %s" % request.name)
        return plan

    def _plan_create(self, request, image):
        # A create writes what was asked for; of the defaults, it needs only the networks.
        plan = Plan("created", None, {"before": {"state": "absent"},
                                      "after": dict(CONTAINER_OPTIONS.show(request.desired), state=request.state)})
        plan.effective = UPDATABLE_OPTIONS.effective(request.desired, self._context(image, request))
        self._check_networks(request, plan.effective["networks"])
        plan.want_running = request.state in RUNNING_STATES
        plan.steps.append("create %s" % request.name)
        plan.steps.extend("connect %s to network %s" % (request.name, network["name"])
                          for network in plan.effective["networks"][1:])
        if plan.want_running:
            plan.steps.append("start %s" % request.name)
        self._plan_health_wait(request, plan)
        return plan

    def _plan_existing(self, request, container, image):
        context = self._context(image, request)
        hash_matches = request.compare == "hash" and (
            ((container.get("Config") or {}).get("Labels") or {}).get(SPEC_HASH_LABEL) == request.spec_hash)
        # The label vouches for every option fixed at creation (and hides engine defaults we might
        # misread); the options that change in place are kept out of it, so they are compared.
        table = UPDATABLE_OPTIONS if hash_matches else CONTAINER_OPTIONS
        effective = table.effective(request.desired, context)
        actual = table.actual(as_created(container, image), context)
        changes = table.differences(effective, actual)
        diff = table.diff(changes, effective, actual)
        if image is None or container.get("Image") != image["Id"]:
            changes.append("image")
            diff["before"]["image"] = "%s (%s)" % ((container.get("Config") or {}).get("Image"), container.get("Image"))
            diff["after"]["image"] = "%s (%s)" % (request.desired["image"], image["Id"] if image else "to pull")
        plan = Plan("unchanged", container, diff)
        plan.effective = effective
        want = {"started": True, "healthy": True, "stopped": False}.get(request.state)
        if request.force_recreate or _needs_recreate(changes, effective, actual):
            plan.action = "recreated"
            if not changes:
                plan.diff = {"before": {"id": container["Id"]}, "after": {"id": "(new: recreate requested)"}}
            self._plan_recreate(request, plan, container, image, want)
        else:
            if changes:
                plan.action = "updated"
                plan.changes = _update_changes(changes, effective)
                if "networks" in changes:
                    self._check_networks(request, effective["networks"])
                plan.steps.append("update %s in place (%s)" % (request.name, ", ".join(sorted(plan.changes))))
            self._plan_state(request, plan, container, want)
        self._plan_health_wait(request, plan)
        if plan.action == "unchanged":
            plan.diff = None
        return plan

    def _plan_recreate(self, request, plan, container, image, want):
        effective = CONTAINER_OPTIONS.effective(request.desired, self._context(image, request))
        self._check_networks(request, effective["networks"])
        plan.effective = UPDATABLE_OPTIONS.effective(request.desired, self._context(image, request))
        was_running = state_of(container) in ("running", "paused", "restarting")
        plan.want_running = was_running if want is None else want
        plan.order = request.order
        blocker = start_first_blocker(request.desired) if request.order == "start-first" else None
        if blocker:
            plan.order, plan.order_note = "stop-first", "start-first falls back to stop-first: %s" % blocker
        plan.carried = carried_volumes(container, request.desired, image)
        name, parked_as = request.name, parked_name(request.name)
        taking_over = " (taking over anonymous volume(s) %s)" % ", ".join(plan.carried) if plan.carried else ""
        steps = ["rename %s to %s" % (name, parked_as), "create %s%s" % (name, taking_over)]
        stop_old = ["stop %s" % parked_as] if was_running else []
        if plan.order == "stop-first":
            steps += stop_old
        if plan.want_running:
            steps.append("start %s" % name)
            if request.state == "healthy":
                steps.append("wait until %s is healthy (up to %s s)" % (name, request.wait_timeout))
        if plan.order == "start-first":
            steps += stop_old
        steps.append("remove %s" % parked_as)
        plan.steps.extend(steps)

    def _plan_state(self, request, plan, container, want):
        """started / stopped also end a pause: a paused container is unpaused first (and said so)."""
        current = state_of(container)
        if want is None:
            return
        plan.unpause = current == "paused"
        running = current in ("running", "paused")
        if plan.unpause:
            plan.steps.append("unpause %s" % request.name)
        if want != running:
            plan.steps.append("%s %s" % ("start" if want else "stop", request.name))
        if plan.unpause or want != running:
            plan.want_running = want
            plan.diff["before"]["state"] = current
            plan.diff["after"]["state"] = "running" if want else "exited"
            if plan.action == "unchanged":
                plan.action = "started" if want else "stopped"

    def _plan_health_wait(self, request, plan):
        plan.wait_healthy = request.state == "healthy"
        if plan.wait_healthy and plan.action != "recreated" and health_of(plan.container or {}) != "healthy":
            plan.steps.append("wait until %s is healthy (up to %s s)" % (request.name, request.wait_timeout))

    # --- results ------------------------------------------------------------------------------------
    def _context(self, image, request):
        return ContainerContext((image or {}).get("Config"), self.engine.info, request.desired)

    def _result(self, request, container, plan):
        changed = plan.action != "unchanged" or plan.recovery is not None
        result = {"name": request.name, "action": plan.action, "changed": changed, "plan": plan.summary()}
        if plan.diff and plan.action != "unchanged":
            result["diff"] = plan.diff
        if container is not None:
            networks = ((container.get("NetworkSettings") or {}).get("Networks")) or {}
            result.update({
                "id": container["Id"],
                "image_id": container.get("Image"),
                "state": state_of(container),
                "health": health_of(container),
                "networks": {name: {"ip": (endpoint or {}).get("IPAddress") or None}
                             for name, endpoint in networks.items()},
                "published": published_of(container),
            })
        return result


def _update_changes(changes, effective):
    """The values an in-place update sends: the changed options and those that share their engine field."""
    names = set(changes)
    names.update(CONTAINER_OPTIONS.by_name[name].updated_with for name in changes
                 if CONTAINER_OPTIONS.by_name[name].updated_with)
    return {name: effective[name] for name in sorted(names)}


def _needs_recreate(changes, effective, actual):
    """Whether the changes go beyond what the engine can change on a live container."""
    # An option updates in place when it declares how; a limit it cannot lift (the endpoint reads 0 as
    # "keep") needs a recreate too. The option table knows both.
    if not CONTAINER_OPTIONS.updates_in_place({name: effective[name] for name in changes}):
        return True
    if "networks" in changes:
        # host and none are network modes, not attachments: connect/disconnect cannot switch them.
        names = {network["name"] for network in effective["networks"] + (actual.get("networks") or [])}
        return bool(names & {"host", "none"})
    return False
