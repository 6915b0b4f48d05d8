# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Converge one Docker volume. Data is sacred: nothing here deletes a volume unless the user said so.

Docker cannot change a volume's driver, options or labels; a difference is an error unless the user
allows a recreate (which loses the data). A volume that any container uses, running or stopped, is never
removed. ``state: absent`` removes a volume that may hold data only with ``force: true``.
"""

from __future__ import annotations

import os

from ansible_collections.flotilla.fleet.plugins.module_utils._client import FleetError, InvalidInput, ResourceConflict
from ansible_collections.flotilla.fleet.plugins.module_utils._inspect import name_of
from ansible_collections.flotilla.fleet.plugins.module_utils._options import Option, OptionTable, string_map
from ansible_collections.flotilla.fleet.plugins.module_utils._resource import (
    ResourceRequest, control_spec, describe_containers, labels, recreate_wanted, refuse_unallowed_recreate, them)

KIND = "volume"
LOCAL_OPTIONS = ("type", "o", "device", "size")
NFS_TYPES = ("nfs", "nfs4")

VOLUME_OPTIONS = OptionTable([
    Option("driver", normalize=lambda value, field: value.strip(), unset=lambda context: "local",
           read=lambda inspected, context: inspected.get("Driver")),
    Option("driver_options", type="dict", normalize=string_map,
           read=lambda inspected, context: inspected.get("Options") or {}),
    Option("labels", type="dict", normalize=labels,
           read=lambda inspected, context: inspected.get("Labels") or {}),
])


def volume_argument_spec():
    spec = control_spec()
    spec.update(VOLUME_OPTIONS.argument_spec())
    return spec


def _check_local_options(options):
    """The local driver's options, checked here so a typo fails before anything changes, not at first mount."""
    for key in options:
        if key not in LOCAL_OPTIONS:
            raise FleetError("driver_options.%s: the local driver takes only %s" % (key, ", ".join(LOCAL_OPTIONS)))
    if bool(options.get("type")) != bool(options.get("device")):
        raise FleetError("driver_options: type and device go together (such as type: nfs with device: :/export)")
    if options.get("type") in NFS_TYPES and "addr=" not in options.get("o", ""):
        raise FleetError("driver_options.o: an %s volume needs the server as addr=HOST in o (such as "
                         "addr=192.0.2.10,rw)" % options["type"])


class VolumeRequest(ResourceRequest):
    """One volume as the user wants it, validated and normalised before anything changes."""

    kind = KIND
    min_name_length = 2

    def __init__(self, params):
        super().__init__(params)
        self.desired = VOLUME_OPTIONS.normalize(params)
        if not self.desired.get("driver", "local"):
            raise InvalidInput("driver: must not be empty (the engine's own driver is local)")
        if self.desired.get("driver", "local") == "local":
            _check_local_options(self.desired.get("driver_options") or {})
        self.check_force()


class VolumeConverger:
    def __init__(self, engine, check_mode):
        self.engine = engine
        self.api = engine.api
        self.check_mode = check_mode

    def converge(self, request):
        volume = self.engine.inspect_or_none(self.api.inspect_volume, KIND, request.name)
        users = self._users(request.name) if volume is not None else []
        if request.state == "absent":
            return self._remove(request, volume, users)
        if volume is None:
            diff = {"before": {"state": "absent"}, "after": dict(request.desired, state="present")}
            if not self.check_mode:
                volume = self._create(request)
            return self._result(request, volume, "created", [], diff)
        return self._converge_existing(request, volume, users)

    # --- reads ----------------------------------------------------------------------------------------
    def _users(self, name):
        """Every container that uses the volume, running or stopped (Docker refuses to remove it for either)."""
        with self.engine.action("list containers using", KIND, name):
            summaries = self.api.containers(all=True, filters={"volume": name})
        return sorted(name_of(summary) for summary in summaries)

    def _data_check(self, volume):
        """(holds_data, reason): True/False when known, None with the reason when the module cannot tell."""
        options = volume.get("Options") or {}
        if volume.get("Driver") == "local" and options.get("device"):
            return False, None  # the data lives on the device (NFS export, bind source); removal leaves it there
        if volume.get("Driver") != "local":
            return None, "the %s driver keeps the data where this module cannot look" % volume.get("Driver")
        if not self.engine.settings.base_url.startswith("unix://"):
            return None, "the engine at %s is remote, so its mount point cannot be read" % self.engine.name
        mountpoint = volume.get("Mountpoint") or ""
        try:
            with os.scandir(mountpoint) as entries:
                return next(entries, None) is not None, None
        except OSError as exc:
            return None, "its mount point %s cannot be read here (%s)" % (mountpoint, exc.strerror or exc)

    # --- the paths ------------------------------------------------------------------------------------
    def _remove(self, request, volume, users):
        if volume is None:
            return self._result(request, None, "unchanged", [])
        if users:
            raise ResourceConflict("Volume %s on %s is in use by %s (running or stopped); remove %s first: a "
                                   "volume in use is never removed, even with force"
                                   % (request.name, self.engine.name, describe_containers(users), them(users)))
        if not request.force:
            holds_data, reason = self._data_check(volume)
            if holds_data:
                raise ResourceConflict("Volume %s on %s holds data (%s is not empty); set force: true to remove it and "
                                       "the data in it" % (request.name, self.engine.name, volume.get("Mountpoint")))
            if holds_data is None:
                raise ResourceConflict("Volume %s on %s may hold data: %s; set force: true to remove it and the data in "
                                       "it" % (request.name, self.engine.name, reason))
        diff = {"before": dict(VOLUME_OPTIONS.actual(volume, None), state="present"), "after": {"state": "absent"}}
        if not self.check_mode:
            with self.engine.action("remove", KIND, request.name):
                self.api.remove_volume(request.name)
        return self._result(request, None, "removed", [], diff)

    def _converge_existing(self, request, volume, users):
        effective = VOLUME_OPTIONS.effective(request.desired, None)
        actual = VOLUME_OPTIONS.actual(volume, None)
        changes = VOLUME_OPTIONS.differences(effective, actual)
        if not recreate_wanted(request, changes):
            return self._result(request, volume, "unchanged", users)
        diff = VOLUME_OPTIONS.diff(changes, effective, actual)
        refuse_unallowed_recreate(request, self.engine, changes, diff, "deletes the volume and all the data in it")
        if users:
            raise ResourceConflict("Volume %s on %s cannot be recreated: it is in use by %s (running or stopped); "
                                   "remove %s first" % (request.name, self.engine.name, describe_containers(users),
                                                        them(users)))
        self._check_driver_available(request)
        if not changes:
            diff = {"before": {"created_at": volume.get("CreatedAt")},
                    "after": {"created_at": "(new: recreate requested)"}}
        if not self.check_mode:
            with self.engine.action("remove (to recreate)", KIND, request.name):
                self.api.remove_volume(request.name)
            volume = self._create(request)
        return self._result(request, volume, "recreated", [], diff)

    def _check_driver_available(self, request):
        """Before a recreate removes anything, make sure the engine has the driver to create the new volume."""
        driver = request.desired.get("driver", "local")
        drivers = (self.engine.info().get("Plugins") or {}).get("Volume") or []
        if driver not in drivers and driver.split(":")[0] not in drivers:
            raise InvalidInput("driver: the engine at %s has no volume driver %s (it has %s); the volume was not "
                               "touched" % (self.engine.name, driver, ", ".join(drivers) or "none"))

    def _create(self, request):
        desired = request.desired
        with self.engine.action("create", KIND, request.name):
            self.api.create_volume(request.name, driver=desired.get("driver", "local"),
                                   driver_opts=desired.get("driver_options") or None,
                                   labels=desired.get("labels") or None)
            return self.api.inspect_volume(request.name)

    # --- results --------------------------------------------------------------------------------------
    @staticmethod
    def _result(request, volume, action, users, diff=None):
        result = {"name": request.name, "action": action, "changed": action != "unchanged"}
        if diff is not None:
            result["diff"] = diff
        if volume is not None:
            result.update(VOLUME_OPTIONS.actual(volume, None), mountpoint=volume.get("Mountpoint"),
                          scope=volume.get("Scope"), created_at=volume.get("CreatedAt"), containers=users)
        return result
