# Copyright (c) Flotilla developers
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin of flotilla.fleet.image_ship: runs on the controller, one task per host (forks in parallel)."""

from __future__ import annotations

from ansible.plugins.action import ActionBase

from ansible_collections.flotilla.fleet.plugins.module_utils._client import (
    Engine, FleetError, resolve_connection, sdk_problem)
from ansible_collections.flotilla.fleet.plugins.module_utils._image_ship import (
    SHIP_REQUIRED_TOGETHER, ship_argument_spec)
from ansible_collections.flotilla.fleet.plugins.plugin_utils._ship import Shipper, ShipRequest


class ActionModule(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False  # both engines are reached from the controller, never through the host

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        args = self.validate_argument_spec(argument_spec=ship_argument_spec(),
                                           required_together=SHIP_REQUIRED_TOGETHER)[1]
        try:
            outcome = self._ship(args)
        except FleetError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        result["changed"] = outcome["changed"]
        if "diff" in outcome:
            result["diff"] = outcome.pop("diff")
        result["image"] = outcome
        return result

    def _ship(self, args):
        problem = sdk_problem()
        if problem:
            raise FleetError(problem)
        request = ShipRequest(args)  # validated before any engine is contacted
        try:
            source_settings = resolve_connection(args["source"] or {})
        except FleetError as exc:
            raise FleetError("source.%s" % exc)
        target_settings = resolve_connection(args)
        source, target = Engine(source_settings), Engine(target_settings)
        try:
            return Shipper(source, target, self._task.check_mode).ship(request)
        finally:
            for engine in (source, target):
                engine.api.close()
